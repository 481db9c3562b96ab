//! The scripted demo endpoint: routes for the three API styles (the Responses API in
//! `responses`), auth and CORS like the real service, and the glue from a chat request to
//! the script and back to a response.

pub mod errors;
pub mod images;
pub mod request;
pub mod response;
pub mod responses;
pub mod script;
pub mod text;
pub mod tokens;

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::config::DemoConfig;
use errors::VendorError;
use request::{ApiStyle, ChatRequest};
use response::Envelope;
use script::Context;

/// Largest request body accepted (images arrive inline as base64).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Conversations remembered for the "rate limit" trigger before the memory is cleared.
const MAX_REMEMBERED: usize = 10_000;
/// `created` of the demo model in `/v1/models`.
const MODEL_CREATED: u64 = 1_735_689_600;

/// Name the demo reports when the request names no model.
pub const DEMO_MODEL: &str = "demo";

struct DemoState {
    config: DemoConfig,
    call_ids: AtomicU64,
    completion_ids: AtomicU64,
    attempts: Mutex<HashMap<u64, u64>>,
    /// Responses remembered for `previous_response_id`.
    responses: responses::store::ResponseStore,
    response_ids: AtomicU64,
    /// Start time of this server, so response ids differ between runs.
    run_id: u64,
}

impl DemoState {
    /// Counts requests with this exact `messages` array (for "rate limit").
    fn attempt(&self, messages: Option<&Value>) -> u64 {
        let mut hasher = DefaultHasher::new();
        messages.map(Value::to_string).hash(&mut hasher);
        let key = hasher.finish();
        let mut attempts = match self.attempts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if attempts.len() >= MAX_REMEMBERED {
            attempts.clear();
        }
        let count = attempts.entry(key).or_insert(0);
        *count += 1;
        *count
    }
}

/// The demo endpoint's routes.
pub fn router(config: DemoConfig) -> Router {
    let state = Arc::new(DemoState {
        config,
        call_ids: AtomicU64::new(1),
        completion_ids: AtomicU64::new(1),
        attempts: Mutex::new(HashMap::new()),
        responses: responses::store::ResponseStore::default(),
        response_ids: AtomicU64::new(1),
        run_id: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
    });
    Router::new()
        .route("/models/chat/completions", post(azure_chat))
        .route("/models/info", get(azure_info))
        .route("/v1/chat/completions", post(openai_chat))
        .route("/v1/models", get(openai_models))
        .route("/v1/responses", post(responses::create))
        .route("/openai/v1/chat/completions", post(openai_chat))
        .route("/openai/v1/models", get(openai_models))
        .route("/openai/v1/responses", post(responses::create))
        .layer(middleware::from_fn(cors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Answers preflights and lets any origin read demo responses.
async fn cors(request: Request, next: Next) -> Response {
    static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);
    let mut response = if request.method() == Method::OPTIONS {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let headers = preflight.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "api-key, authorization, content-type, extra-parameters, x-ms-client-request-id",
            ),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        preflight
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, retry-after-ms, x-request-id"),
    );
    let id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    if let Ok(value) = HeaderValue::from_str(&format!("{id:032x}")) {
        headers.insert("x-request-id", value);
    }
    response
}

/// Accepts `api-key: <key>` or `Authorization: Bearer <key>`.
fn check_auth(headers: &HeaderMap, key: &str) -> Result<(), VendorError> {
    if let Some(value) = headers.get("api-key") {
        return if value.as_bytes() == key.as_bytes() {
            Ok(())
        } else {
            Err(VendorError::invalid_key())
        };
    }
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(VendorError::invalid_key());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if token == Some(key) {
        Ok(())
    } else {
        Err(VendorError::invalid_token())
    }
}

fn has_api_version(query: Option<&str>) -> bool {
    query.unwrap_or_default().split('&').any(|pair| {
        pair.strip_prefix("api-version=")
            .is_some_and(|v| !v.is_empty())
    })
}

/// Applies the `extra-parameters` header to unknown top-level keys (Azure style only).
fn extra_parameters(headers: &HeaderMap, extra: &[String]) -> Result<Vec<String>, VendorError> {
    let mode = headers.get("extra-parameters").map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .trim()
            .to_ascii_lowercase()
    });
    match mode.as_deref() {
        Some("pass-through") => Ok(extra.to_vec()),
        Some("drop") => Ok(Vec::new()),
        None | Some("error") => match extra.first() {
            Some(key) => Err(VendorError::extra_parameter(key)),
            None => Ok(Vec::new()),
        },
        Some(other) => Err(VendorError::bad_extra_parameters_header(other)),
    }
}

async fn azure_chat(
    State(state): State<Arc<DemoState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = check_auth(&headers, &state.config.key) {
        return e.into_response();
    }
    if !has_api_version(query.as_deref()) {
        return VendorError::missing_api_version().into_response();
    }
    chat(state, ApiStyle::AzureInference, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn openai_chat(
    State(state): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = check_auth(&headers, &state.config.key) {
        return e.into_response();
    }
    chat(state, ApiStyle::OpenAi, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn chat(
    state: Arc<DemoState>,
    style: ApiStyle,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, VendorError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        VendorError::bad_request(&format!("The request body is not valid JSON: {e}"))
    })?;
    let request = ChatRequest::parse(&value)?;
    let pass_through = match style {
        ApiStyle::AzureInference => extra_parameters(headers, &request.extra_keys)?,
        ApiStyle::OpenAi => Vec::new(),
    };
    let attempt = state.attempt(value.get("messages"));
    let envelope = Envelope {
        id: format!(
            "chatcmpl-demo-{}",
            state.completion_ids.fetch_add(1, Ordering::Relaxed)
        ),
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        model: request
            .model
            .clone()
            .unwrap_or_else(|| DEMO_MODEL.to_owned()),
        style,
    };
    let delay = state.config.delay;
    // Decoding images and generating long replies is CPU work: keep it off the I/O threads.
    let decided = tokio::task::spawn_blocking(move || {
        let ctx = Context {
            call_ids: &state.call_ids,
            attempt,
            pass_through,
        };
        script::decide(&request, &ctx).map(|reply| (request, reply))
    })
    .await
    .map_err(|_| VendorError::server_error())?;
    let (request, reply) = decided?;
    Ok(if request.stream {
        response::streamed(&envelope, &reply, request.include_usage, delay)
    } else {
        response::whole(&envelope, &reply)
    })
}

async fn azure_info(
    State(state): State<Arc<DemoState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = check_auth(&headers, &state.config.key) {
        return e.into_response();
    }
    if !has_api_version(query.as_deref()) {
        return VendorError::missing_api_version().into_response();
    }
    Json(json!({
        "model_name": "demo (scripted, no model)",
        "model_type": "chat-completions",
        "model_provider_name": "foundry-chat demo",
    }))
    .into_response()
}

async fn openai_models(State(state): State<Arc<DemoState>>, headers: HeaderMap) -> Response {
    if let Err(e) = check_auth(&headers, &state.config.key) {
        return e.into_response();
    }
    Json(json!({
        "object": "list",
        "data": [{
            "id": DEMO_MODEL,
            "object": "model",
            "created": MODEL_CREATED,
            "owned_by": "foundry-chat demo",
        }],
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn auth_accepts_the_key_in_either_header_and_explains_failures() {
        assert!(check_auth(&headers(&[("api-key", "k")]), "k").is_ok());
        assert!(check_auth(&headers(&[("authorization", "Bearer k")]), "k").is_ok());
        assert!(check_auth(&headers(&[("authorization", "bearer k")]), "k").is_ok());
        assert_eq!(
            check_auth(&headers(&[("api-key", "x")]), "k").err(),
            Some(VendorError::invalid_key())
        );
        assert_eq!(
            check_auth(&headers(&[("authorization", "Bearer x")]), "k").err(),
            Some(VendorError::invalid_token())
        );
        assert_eq!(
            check_auth(&headers(&[]), "k").err(),
            Some(VendorError::invalid_key())
        );
    }

    #[test]
    fn api_version_must_be_present_and_non_empty() {
        assert!(has_api_version(Some("api-version=2024-05-01-preview")));
        assert!(has_api_version(Some("x=1&api-version=1")));
        assert!(!has_api_version(Some("api-version=")));
        assert!(!has_api_version(None));
    }

    #[test]
    fn extra_parameters_header_decides_about_unknown_keys() {
        let extra = vec!["logprobs".to_owned()];
        assert_eq!(
            extra_parameters(&headers(&[("extra-parameters", "pass-through")]), &extra),
            Ok(extra.clone())
        );
        assert_eq!(
            extra_parameters(&headers(&[("extra-parameters", "drop")]), &extra),
            Ok(Vec::new())
        );
        assert_eq!(
            extra_parameters(&headers(&[]), &extra).map_err(|e| e.status.as_u16()),
            Err(422)
        );
        assert_eq!(
            extra_parameters(&headers(&[("extra-parameters", "yes")]), &extra)
                .map_err(|e| e.status.as_u16()),
            Err(400)
        );
        assert_eq!(extra_parameters(&headers(&[]), &[]), Ok(Vec::new()));
    }
}
