//! The exchange with the endpoint: opening a request (with the `tokenProvider`'s bearer
//! token), reading a streamed or whole reply into the pacer, and naming transport errors.

use std::rc::Rc;

use chat_core::error::{ChatError, ErrorKind};
use chat_core::request::{HttpRequest, ModelInfo};
use chat_core::sse::Decoder;
use chat_core::stream::{Accumulate, Accumulator, Outcome, Reply, Update as StreamUpdate};
use chat_core::turn::silence_error;
use futures_util::future::{select, Either};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::{ChatController, LiveReply, Status};
use crate::client::{self, Abort, AbortReason};
use crate::settings::Settings;

/// How long the `tokenProvider` may take before the request fails as `auth`.
const TOKEN_TIMEOUT_MS: u32 = 20_000;

/// Longest stretch of stream reading before the browser gets a chance to paint.
const YIELD_EVERY_MS: f64 = 12.0;

/// Bytes of a network chunk decoded between chances to yield (~1 ms of decoding).
const DECODE_PIECE_BYTES: usize = 32 * 1024;

impl ChatController {
    /// What the endpoint says about its model (`/info`, or `/models` in the openai style).
    pub async fn fetch_model_info(&self) -> Result<ModelInfo, ChatError> {
        let endpoint = self.settings.get_untracked().endpoint(&self.base_url())?;
        let request = chat_core::request::model_info_request(&endpoint)?;
        let abort = Rc::new(Abort::new()?);
        let head = self.open(&request, &abort).await?;
        let body = head
            .text()
            .await
            .map_err(|e| ChatError::network(client::describe(&e)))?;
        chat_core::request::parse_model_info(&endpoint, &body)
    }

    pub fn token_provider(&self) -> Option<js_sys::Function> {
        self.inner.token_provider.borrow().clone()
    }

    pub fn set_token_provider(&self, provider: Option<js_sys::Function>) {
        *self.inner.token_provider.borrow_mut() = provider;
    }

    /// Asks the `tokenProvider` (when there is one) for a bearer token. A throw, a
    /// rejection, a non-string or no answer within [`TOKEN_TIMEOUT_MS`] is an `auth` error.
    async fn bearer_token(&self, abort: &Abort) -> Result<Option<String>, ChatError> {
        let Some(provider) = self.token_provider() else {
            return Ok(None);
        };
        let answer = provider.call0(&JsValue::NULL).map_err(|e| {
            token_error(format!(
                "the token provider threw: {}",
                client::describe(&e)
            ))
        })?;
        let token = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&answer));
        let timer = gloo_timers::future::TimeoutFuture::new(TOKEN_TIMEOUT_MS);
        let signal = abort.signal();
        let stopped = abort_future(&signal);
        futures_util::pin_mut!(token, stopped);
        match select(token, select(timer, stopped)).await {
            Either::Left((Ok(value), _)) => match value.as_string() {
                Some(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
                _ => Err(token_error(
                    "the token provider did not return a token (a non-empty string)".into(),
                )),
            },
            Either::Left((Err(e), _)) => Err(token_error(format!(
                "the token provider failed: {}",
                client::describe(&e)
            ))),
            Either::Right((Either::Left(_), _)) => Err(token_error(format!(
                "the token provider did not answer within {} seconds",
                TOKEN_TIMEOUT_MS / 1000
            ))),
            Either::Right((Either::Right(_), _)) => Err(ChatError::aborted()),
        }
    }

    /// Sends the request and folds a streamed response into `acc`; a non-streamed reply
    /// comes back whole.
    pub(super) async fn exchange(
        &self,
        settings: &Settings,
        request: &HttpRequest,
        abort: &Rc<Abort>,
        live: &LiveReply,
        acc: &mut Accumulator,
    ) -> (Outcome, Option<Reply>) {
        if !settings.stream {
            return self.exchange_whole(settings, request, abort, live).await;
        }
        (
            self.exchange_stream(settings, request, abort, live, acc)
                .await,
            None,
        )
    }

    async fn exchange_whole(
        &self,
        settings: &Settings,
        request: &HttpRequest,
        abort: &Rc<Abort>,
        live: &LiveReply,
    ) -> (Outcome, Option<Reply>) {
        let head = match self.open(request, abort).await {
            Ok(head) => head,
            Err(e) => return (Outcome::Failed(e), None),
        };
        live.started.set(true);
        match head.text().await {
            Ok(body) => match chat_core::stream::parse_body(settings.api_style, &body) {
                Ok(reply) => {
                    self.inner
                        .pacer
                        .queue(live, &reply.content, &reply.reasoning);
                    (Outcome::Complete, Some(reply))
                }
                Err(e) => (Outcome::Failed(e), None),
            },
            Err(e) => (Outcome::Failed(self.transport_error(abort, &e)), None),
        }
    }

    /// Sends the request; a non-2xx response becomes its classified error.
    async fn open(
        &self,
        request: &HttpRequest,
        abort: &Rc<Abort>,
    ) -> Result<client::ResponseHead, ChatError> {
        let authorized;
        let request = match self.bearer_token(abort).await? {
            Some(token) => {
                authorized = with_bearer(request, &token);
                &authorized
            }
            None => request,
        };
        let head = client::send(request, &abort.signal())
            .await
            .map_err(|e| self.transport_error(abort, &e))?;
        if head.ok() {
            return Ok(head);
        }
        let status = head.status;
        let headers: Vec<(String, String)> = ["retry-after-ms", "retry-after", "content-type"]
            .into_iter()
            .filter_map(|name| head.header(name).map(|v| (name.to_owned(), v)))
            .collect();
        let body = head.text().await.unwrap_or_default();
        Err(chat_core::error::classify_http(
            status,
            &headers,
            &body,
            Some(js_sys::Date::now() as u64),
        ))
    }

    async fn exchange_stream(
        &self,
        settings: &Settings,
        request: &HttpRequest,
        abort: &Rc<Abort>,
        live: &LiveReply,
        acc: &mut Accumulator,
    ) -> Outcome {
        let head = match self.open(request, abort).await {
            Ok(head) => head,
            Err(e) => return Outcome::Failed(e),
        };
        live.started.set(true);
        self.set_status(Status::Streaming);
        let mut decoder = Decoder::new();
        let mut last_yield = now_ms();
        let mut body = head.chunks();
        // One vector for the updates of every event (an allocation per event costs more
        // than decoding it: BENCHMARKS.md, Decoder).
        let mut updates = Vec::new();
        let silence_ms = settings.stream_timeout_ms;
        loop {
            let next = body.next();
            let timer = gloo_timers::future::TimeoutFuture::new(silence_ms);
            futures_util::pin_mut!(next);
            let chunk = match select(next, timer).await {
                Either::Left((chunk, _)) => chunk,
                Either::Right(((), _)) => {
                    abort.abort(AbortReason::Silence);
                    return Outcome::Failed(silence_error(silence_ms));
                }
            };
            let bytes = match chunk {
                Ok(Some(bytes)) => bytes,
                Ok(None) => break,
                Err(e) => return Outcome::Failed(self.transport_error(abort, &e)),
            };
            // A fast server fills the stream's queue faster than we read it, and reads
            // of queued data resolve as microtasks: without yielding now and then, the
            // browser would not paint until the whole reply had arrived. A large chunk is
            // decoded in pieces for the same reason (the decoder takes any split).
            for piece in bytes.chunks(DECODE_PIECE_BYTES) {
                for event in decoder.feed(piece) {
                    acc.push_into(&event, &mut updates);
                    if let Some(end) = self.apply(live, acc, &mut updates) {
                        return end;
                    }
                }
                if now_ms() - last_yield > YIELD_EVERY_MS {
                    gloo_timers::future::TimeoutFuture::new(0).await;
                    last_yield = now_ms();
                }
            }
        }
        for event in decoder.finish() {
            acc.push_into(&event, &mut updates);
            if let Some(end) = self.apply(live, acc, &mut updates) {
                return end;
            }
        }
        let mut rest = acc.flush();
        self.apply(live, acc, &mut rest);
        acc.finish()
    }

    /// Shows the updates (and empties `updates`); returns how the reply ended when an update
    /// ends it.
    fn apply(
        &self,
        live: &LiveReply,
        acc: &Accumulator,
        updates: &mut Vec<StreamUpdate>,
    ) -> Option<Outcome> {
        for update in updates.drain(..) {
            match update {
                StreamUpdate::Content(range) => {
                    self.inner
                        .pacer
                        .queue(live, &acc.reply().content[range], "");
                }
                StreamUpdate::Reasoning(range) => {
                    self.inner
                        .pacer
                        .queue(live, "", &acc.reply().reasoning[range]);
                }
                StreamUpdate::ToolCall { position, name, .. } => {
                    self.inner
                        .pacer
                        .queue_call(live, position, |call| call.name = name);
                }
                StreamUpdate::ToolArguments { position, fragment } => {
                    self.inner
                        .pacer
                        .queue_call(live, position, |call| call.arguments.push_str(&fragment));
                }
                StreamUpdate::Done => return Some(Outcome::Complete),
                StreamUpdate::Failed(e) => return Some(Outcome::Failed(e)),
                _ => {}
            }
        }
        None
    }

    fn transport_error(&self, abort: &Abort, error: &JsValue) -> ChatError {
        match abort.reason() {
            Some(AbortReason::User) => ChatError::aborted(),
            Some(AbortReason::Silence) => {
                silence_error(self.settings.get_untracked().stream_timeout_ms)
            }
            None => ChatError::network(client::describe(error)),
        }
    }
}

/// The request with the token as `Authorization: Bearer` (replacing any key header).
fn with_bearer(request: &HttpRequest, token: &str) -> HttpRequest {
    let mut request = request.clone();
    request.headers.retain(|(name, _)| {
        !name.eq_ignore_ascii_case("authorization") && !name.eq_ignore_ascii_case("api-key")
    });
    request
        .headers
        .push(("authorization".into(), format!("Bearer {token}")));
    request
}

fn token_error(message: String) -> ChatError {
    let mut error = ChatError::new(ErrorKind::Auth, message);
    error.hint = Some("No access token: check the host page's tokenProvider (the sign-in).".into());
    error
}

/// Resolves when `signal` aborts (at once if it already has).
pub(super) async fn abort_future(signal: &web_sys::AbortSignal) {
    if signal.aborted() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = signal.add_event_listener_with_callback("abort", &resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub(super) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}
