//! The demo endpoint's Responses API (`POST /v1/responses`, `/openai/v1/responses`): the
//! request is checked and reduced to the chat script's request, the same script decides, and
//! the reply goes out as Responses events or a `response` object; stored responses are
//! remembered for `previous_response_id`.

pub mod errors;
pub mod render;
pub mod request;
pub mod store;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::errors::VendorError;
use super::script::{self, Context, Ending};
use super::{check_auth, response, DemoState};
use render::{output_items, Envelope};
use request::ResponsesRequest;

/// Trigger phrase that empties the response store.
pub const FORGET_TRIGGER: &str = "forget responses";

/// `POST …/responses`.
pub(super) async fn create(
    State(state): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = check_auth(&headers, &state.config.key) {
        return e.into_response();
    }
    answer(state, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn answer(state: Arc<DemoState>, body: &[u8]) -> Result<Response, VendorError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| errors::invalid_json(&e.to_string()))?;
    let mut request = ResponsesRequest::parse(&value)?;
    if script::mentions(request.new_user_text(), FORGET_TRIGGER) {
        state.responses.clear();
    }
    let earlier = match &request.previous_response_id {
        Some(id) => state
            .responses
            .get(id)
            .ok_or_else(|| errors::previous_response_not_found(id))?,
        None => Vec::new(),
    };
    request.set_history(&earlier);
    let attempt = state.attempt(Some(&json!([
        value.get("input"),
        value.get("previous_response_id")
    ])));
    let n = state.response_ids.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("{:016x}{n:08x}", state.run_id);
    let envelope = Envelope {
        id: format!("resp_{suffix}"),
        suffix,
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        echo: request.echo.clone(),
    };
    let delay = state.config.delay;
    let worker = state.clone();
    // Decoding images and generating long replies is CPU work: keep it off the I/O threads.
    let decided = tokio::task::spawn_blocking(move || {
        let ctx = Context {
            call_ids: &worker.call_ids,
            attempt,
            pass_through: Vec::new(),
        };
        script::decide(&request.chat, &ctx).map(|reply| (request, reply))
    })
    .await
    .map_err(|_| errors::restate(VendorError::server_error()))?;
    let (request, mut reply) = decided.map_err(errors::restate)?;
    if !request.parallel_tool_calls {
        reply.tool_calls.truncate(1);
    }
    if request.store {
        let mut conversation = earlier;
        conversation.extend(request.input.iter().cloned());
        conversation.extend(output_items(&reply));
        state.responses.put(envelope.id.clone(), conversation);
    }
    Ok(if request.chat.stream {
        response::sse(envelope.events(&reply), &reply, delay)
    } else if reply.ending == Ending::StreamError {
        errors::restate(VendorError::server_error()).into_response()
    } else {
        response::json_body(&envelope.finished(&reply), &reply)
    })
}
