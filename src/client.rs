//! HTTP for the chat: `fetch` with an `AbortController`, and the response body read as a
//! stream of byte chunks (wasm-streams). Knows nothing about the protocol.

use chat_core::error::ChatError;
use chat_core::request::HttpRequest;
use futures_util::StreamExt;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, Response};

/// Why a request was cut short by us (rather than by the network).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortReason {
    /// The user pressed Stop (or the element was removed).
    User,
    /// The stream stayed silent longer than the configured timeout.
    Silence,
}

/// The abort handle of one in-flight request.
pub struct Abort {
    controller: AbortController,
    reason: std::cell::Cell<Option<AbortReason>>,
}

impl Abort {
    pub fn new() -> Result<Self, ChatError> {
        let controller = AbortController::new().map_err(|e| {
            ChatError::network(format!(
                "cannot create an AbortController: {}",
                describe(&e)
            ))
        })?;
        Ok(Self {
            controller,
            reason: std::cell::Cell::new(None),
        })
    }

    pub fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// Aborts the request; the first reason given wins.
    pub fn abort(&self, reason: AbortReason) {
        if self.reason.get().is_none() {
            self.reason.set(Some(reason));
        }
        self.controller.abort();
    }

    pub fn reason(&self) -> Option<AbortReason> {
        self.reason.get()
    }
}

/// The head of a response: status, headers, and the body still to be read.
pub struct ResponseHead {
    pub status: u16,
    response: Response,
}

impl ResponseHead {
    pub fn header(&self, name: &str) -> Option<String> {
        self.response.headers().get(name).ok().flatten()
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Reads the whole body as text (error bodies, non-streaming replies).
    pub async fn text(self) -> Result<String, JsValue> {
        let promise = self.response.text()?;
        let value = JsFuture::from(promise).await?;
        Ok(value.as_string().unwrap_or_default())
    }

    /// The body as a stream of byte chunks, exactly as the network delivered them.
    pub fn chunks(self) -> BodyChunks {
        BodyChunks {
            stream: self
                .response
                .body()
                .map(|raw| wasm_streams::ReadableStream::from_raw(raw).into_stream()),
        }
    }
}

/// The response body, one network chunk at a time.
pub struct BodyChunks {
    stream: Option<wasm_streams::readable::IntoStream<'static>>,
}

impl BodyChunks {
    /// The next chunk; `Ok(None)` at the end of the body; `Err` when the connection broke.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, JsValue> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        match stream.next().await {
            None => Ok(None),
            Some(Ok(chunk)) => Ok(Some(chunk.dyn_into::<Uint8Array>()?.to_vec())),
            Some(Err(e)) => Err(e),
        }
    }
}

/// Sends the request; resolves when the response head has arrived.
pub async fn send(request: &HttpRequest, signal: &AbortSignal) -> Result<ResponseHead, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &request.headers {
        headers.append(name, value)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    init.set_signal(Some(signal));
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(&request.url, &init))
        .await?
        .dyn_into()?;
    Ok(ResponseHead {
        status: response.status(),
        response,
    })
}

/// A JavaScript error as plain words.
pub fn describe(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}
