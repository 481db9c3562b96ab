//! Turning a scripted reply into HTTP: a paced `chat.completion.chunk` SSE stream (one
//! flushed frame per token) or a whole `chat.completion` object, with scripted failures.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::stream;
use serde_json::{json, Value};

use super::errors::VendorError;
use super::request::ApiStyle;
use super::script::{Ending, Finish, Reply};

/// Pause between tokens of a "slow" reply.
const SLOW_DELAY: Duration = Duration::from_millis(100);
/// How long a "stall" keeps the connection silent before cutting it.
const STALL: Duration = Duration::from_secs(300);
/// Pause before a "drop" cuts the connection.
const DROP_PAUSE: Duration = Duration::from_millis(50);
/// With no delay, frames are sent in batches of about this many bytes.
const BATCH_BYTES: usize = 16 * 1024;

/// The fields every chunk or completion repeats.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub id: String,
    pub created: u64,
    pub model: String,
    pub style: ApiStyle,
}

/// One SSE frame; `paced` frames wait for the token delay first.
#[derive(Debug)]
pub(super) struct Frame {
    pub(super) bytes: Bytes,
    pub(super) paced: bool,
}

impl Frame {
    fn data(value: &Value, paced: bool) -> Self {
        Self {
            bytes: Bytes::from(format!("data: {value}\n\n")),
            paced,
        }
    }
}

fn usage(reply: &Reply) -> Value {
    let completion = reply.completion_tokens();
    json!({
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": reply.prompt_tokens + completion,
    })
}

impl Envelope {
    fn chunk(&self, delta: Value, finish: Option<Finish>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "delta": delta,
                "finish_reason": finish.map(Finish::as_str),
                "logprobs": null,
            }],
        })
    }

    fn frames(&self, reply: &Reply, include_usage: bool) -> Vec<Frame> {
        let mut frames = Vec::with_capacity(reply.content.len() + reply.reasoning.len() + 4);
        frames.push(Frame::data(
            &self.chunk(json!({"role": "assistant", "content": ""}), None),
            false,
        ));
        for token in &reply.reasoning {
            frames.push(Frame::data(
                &self.chunk(json!({"reasoning_content": token}), None),
                true,
            ));
        }
        for token in &reply.content {
            frames.push(Frame::data(
                &self.chunk(json!({"content": token}), None),
                true,
            ));
        }
        for (index, call) in reply.tool_calls.iter().enumerate() {
            let opening = json!({"tool_calls": [{
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }]});
            frames.push(Frame::data(&self.chunk(opening, None), true));
            for fragment in &call.argument_fragments {
                let delta = json!({"tool_calls": [{
                    "index": index,
                    "function": {"arguments": fragment},
                }]});
                frames.push(Frame::data(&self.chunk(delta, None), true));
            }
        }
        match reply.ending {
            Ending::Complete => {
                let mut last = match self.style {
                    ApiStyle::AzureInference => {
                        self.chunk(json!({"content": ""}), Some(reply.finish))
                    }
                    ApiStyle::OpenAi => self.chunk(json!({}), Some(reply.finish)),
                };
                if self.style == ApiStyle::AzureInference {
                    // The Azure AI Model Inference docs show usage on the finish chunk.
                    last["usage"] = usage(reply);
                }
                frames.push(Frame::data(&last, false));
                if include_usage {
                    let usage_only = json!({
                        "id": self.id,
                        "object": "chat.completion.chunk",
                        "created": self.created,
                        "model": self.model,
                        "choices": [],
                        "usage": usage(reply),
                    });
                    frames.push(Frame::data(&usage_only, false));
                }
                frames.push(Frame {
                    bytes: Bytes::from_static(b"data: [DONE]\n\n"),
                    paced: false,
                });
            }
            Ending::StreamError => frames.push(Frame::data(
                &json!({"error": {
                    "code": "server_error",
                    "message": "The server had an error while streaming the response. \
                                (scripted demo error)",
                }}),
                true,
            )),
            Ending::Drop | Ending::Stall => {}
        }
        frames
    }

    /// The whole `chat.completion` object.
    pub fn completion(&self, reply: &Reply) -> Value {
        let mut message = json!({"role": "assistant", "content": reply.content.concat()});
        if !reply.reasoning.is_empty() {
            message["reasoning_content"] = json!(reply.reasoning.concat());
        }
        if !reply.tool_calls.is_empty() {
            message["tool_calls"] = reply
                .tool_calls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments()},
                    })
                })
                .collect();
        }
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": message,
                "finish_reason": reply.finish.as_str(),
                "logprobs": null,
            }],
            "usage": usage(reply),
        })
    }
}

/// What happens after the last frame.
#[derive(Debug, Clone, Copy)]
enum Tail {
    End,
    Fail,
    StallThenFail,
}

struct Pacer {
    frames: std::vec::IntoIter<Frame>,
    delay: Duration,
    tail: Option<Tail>,
}

impl Pacer {
    async fn next(mut self) -> Option<(io::Result<Bytes>, Self)> {
        if self.delay.is_zero() {
            let mut batch = BytesMut::new();
            while batch.len() < BATCH_BYTES {
                match self.frames.next() {
                    Some(frame) => batch.extend_from_slice(&frame.bytes),
                    None => break,
                }
            }
            if !batch.is_empty() {
                return Some((Ok(batch.freeze()), self));
            }
        } else if let Some(frame) = self.frames.next() {
            if frame.paced {
                tokio::time::sleep(self.delay).await;
            }
            return Some((Ok(frame.bytes), self));
        }
        match self.tail.take()? {
            Tail::End => None,
            Tail::Fail => {
                // Let the tokens already written reach the client before the cut.
                tokio::time::sleep(DROP_PAUSE).await;
                Some((Err(io::Error::other("scripted connection drop")), self))
            }
            Tail::StallThenFail => {
                tokio::time::sleep(STALL).await;
                Some((Err(io::Error::other("scripted stall ended")), self))
            }
        }
    }

    fn into_body(self) -> Body {
        Body::from_stream(stream::unfold(self, Pacer::next))
    }
}

fn tail_of(ending: Ending) -> Tail {
    match ending {
        Ending::Complete | Ending::StreamError => Tail::End,
        Ending::Drop => Tail::Fail,
        Ending::Stall => Tail::StallThenFail,
    }
}

/// The reply as a truly streamed SSE response.
pub fn streamed(
    envelope: &Envelope,
    reply: &Reply,
    include_usage: bool,
    delay: Duration,
) -> Response {
    sse(envelope.frames(reply, include_usage), reply, delay)
}

/// `frames` as a paced `text/event-stream` body that ends the way `reply` says.
pub(super) fn sse(frames: Vec<Frame>, reply: &Reply, delay: Duration) -> Response {
    let pacer = Pacer {
        frames: frames.into_iter(),
        delay: if reply.slow { SLOW_DELAY } else { delay },
        tail: Some(tail_of(reply.ending)),
    };
    let mut response = pacer.into_body().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The reply as one JSON object (a "drop" cuts it in half, a "stall" never sends it).
pub fn whole(envelope: &Envelope, reply: &Reply) -> Response {
    if reply.ending == Ending::StreamError {
        return VendorError::server_error().into_response();
    }
    json_body(&envelope.completion(reply), reply)
}

/// `value` as a 200 JSON body, delayed, cut or withheld the way `reply` ends ("slow",
/// "drop", "stall"); the caller answers a "stream error" itself.
pub(super) fn json_body(value: &Value, reply: &Reply) -> Response {
    let mut bytes = Bytes::from(value.to_string());
    let (paced, delay) = if reply.slow {
        let tokens = u32::try_from(reply.completion_tokens()).unwrap_or(u32::MAX);
        (true, SLOW_DELAY.saturating_mul(tokens))
    } else {
        (false, Duration::ZERO)
    };
    match reply.ending {
        Ending::Drop => bytes.truncate(bytes.len() / 2),
        Ending::Stall => bytes.clear(),
        Ending::Complete | Ending::StreamError => {}
    }
    let frames = if bytes.is_empty() {
        Vec::new()
    } else {
        vec![Frame { bytes, paced }]
    };
    let pacer = Pacer {
        frames: frames.into_iter(),
        delay,
        tail: Some(tail_of(reply.ending)),
    };
    let mut response = (StatusCode::OK, pacer.into_body()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
