//! The chat session: owns the settings, the transcript and the in-flight request, and runs
//! one turn at a time (request → stream → reply entry → tool round → next request…). The UI
//! reaches it through context.

mod tools;

pub use tools::{tool_call, tool_result, Decision, ToolRun, ToolState};

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chat_core::error::{ChatError, ErrorKind};
use chat_core::image::{Detail, ImageError, ImageOptions};
use chat_core::request::{HttpRequest, ModelInfo};
use chat_core::sse::Decoder;
use chat_core::stream::{Outcome, Reply, StreamAccumulator, Update as StreamUpdate};
use chat_core::tools::{ToolDefinition, ToolOptions, ToolRegistry};
use chat_core::transcript::{cancel_unanswered_tool_calls, Entry};
use chat_core::types::{
    Content, FinishReason, ImageDetail, ImageUrl, Message, Part, ToolDefinition as WireDefinition,
};
use futures_util::future::{select, Either};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::client::{self, Abort, AbortReason};
use crate::images::{self, ImageRefusal, ProcessedImage};
use crate::settings::Settings;

/// The reply being streamed: its own signals, so finished messages never re-render.
#[derive(Clone)]
pub struct LiveReply {
    pub id: String,
    /// Content text, appended once per animation frame.
    pub content: ArcRwSignal<String>,
    pub reasoning: ArcRwSignal<String>,
    /// True once the first byte of the reply has arrived.
    pub started: ArcRwSignal<bool>,
    /// Tool calls as they stream: name, and the arguments received so far.
    pub tool_calls: ArcRwSignal<Vec<(String, String)>>,
}

/// What the session is doing.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Idle,
    /// Request sent, waiting for the first byte.
    Sending,
    Streaming,
    /// Counting down to an automatic retry (Stop cancels it).
    Waiting,
    /// Running the tool calls of a reply.
    Tools,
}

/// The countdown before an automatic retry.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryWait {
    pub seconds_left: u32,
    /// Why the last attempt failed, in the server's words.
    pub reason: String,
}

/// Automatic retries of one turn before the error is shown with a Retry button.
const MAX_AUTO_RETRIES: u32 = 3;
/// Waits longer than this are not retried automatically: the error is shown instead.
const RETRY_CAP_MS: u64 = 60_000;

/// Exponential backoff when the server did not say how long to wait: 1 s, 2 s, 4 s.
fn backoff_ms(attempt: u32) -> u64 {
    1_000 << attempt.min(6)
}

/// Provided to the UI through context; cheap to clone.
#[derive(Clone)]
pub struct ChatController {
    inner: SendWrapper<Rc<Inner>>,
    pub settings: ArcRwSignal<Settings>,
    pub entries: ArcRwSignal<Vec<Entry>>,
    pub live: ArcRwSignal<Option<LiveReply>>,
    pub status: ArcRwSignal<Status>,
    /// The last finished reply, for the ARIA live region.
    pub announcement: ArcRwSignal<String>,
    /// What `/info` (or `/models`) said about the model, or why it could not be read.
    pub model_info: ArcRwSignal<Option<Result<ModelInfo, ChatError>>>,
    /// The countdown before an automatic retry, while one runs.
    pub retry_wait: ArcRwSignal<Option<RetryWait>>,
    /// Tool calls by id: where each stands and how long it took.
    pub tool_runs: ArcRwSignal<HashMap<String, ToolRun>>,
    /// A notice about the last turn (e.g. the tool round limit), until the next one.
    pub notice: ArcRwSignal<Option<String>>,
}

struct Inner {
    host: HtmlElement,
    inflight: RefCell<Option<Rc<Abort>>>,
    next_id: Cell<u64>,
    /// Set by Stop: ends a retry countdown or a tool round, and the turn.
    stop_requested: Cell<bool>,
    /// Text received but not yet shown (flushed once per animation frame).
    pending: RefCell<Pending>,
    /// The `send()` promises waiting for the turn to end.
    waiters: RefCell<Vec<Waiter>>,
    /// The host page's `tokenProvider`, called before each request.
    token_provider: RefCell<Option<js_sys::Function>>,
    /// Bumped when the transcript is replaced or cleared.
    epoch: Cell<u64>,
    /// Tools registered by the host page (`registerTool`), run by the tool loop.
    host_tools: RefCell<ToolRegistry<js_sys::Function>>,
    /// The resolve functions of the approval cards on screen, by call id.
    approvals: RefCell<HashMap<String, js_sys::Function>>,
    /// Tools the user chose "Always allow" for.
    always_allowed: RefCell<HashSet<String>>,
    /// The signals of the host-page handlers running now (Stop fires them).
    tool_aborts: RefCell<Vec<web_sys::AbortController>>,
}

/// The settle functions of one `send()` promise.
struct Waiter {
    resolve: js_sys::Function,
    reject: js_sys::Function,
}

impl Waiter {
    /// Rejects the promise with `error`.
    fn fail(self, error: &ChatError) {
        let _ = self.reject.call1(&JsValue::NULL, &error_to_js(error));
    }
}

/// How long the `tokenProvider` may take before the request fails as `auth`.
const TOKEN_TIMEOUT_MS: u32 = 20_000;

#[derive(Default)]
struct Pending {
    content: String,
    reasoning: String,
    /// The reply's tool calls so far (name, arguments), and whether they changed.
    calls: Vec<(String, String)>,
    calls_changed: bool,
    scheduled: bool,
}

impl ChatController {
    pub fn new(host: HtmlElement) -> Self {
        Self {
            inner: SendWrapper::new(Rc::new(Inner {
                host,
                inflight: RefCell::new(None),
                next_id: Cell::new(1),
                stop_requested: Cell::new(false),
                pending: RefCell::new(Pending::default()),
                waiters: RefCell::new(Vec::new()),
                token_provider: RefCell::new(None),
                host_tools: RefCell::new(ToolRegistry::new()),
                approvals: RefCell::new(HashMap::new()),
                always_allowed: RefCell::new(HashSet::new()),
                tool_aborts: RefCell::new(Vec::new()),
                epoch: Cell::new(0),
            })),
            settings: ArcRwSignal::new(Settings::default()),
            entries: ArcRwSignal::new(Vec::new()),
            live: ArcRwSignal::new(None),
            status: ArcRwSignal::new(Status::Idle),
            announcement: ArcRwSignal::new(String::new()),
            model_info: ArcRwSignal::new(None),
            retry_wait: ArcRwSignal::new(None),
            tool_runs: ArcRwSignal::new(HashMap::new()),
            notice: ArcRwSignal::new(None),
        }
    }

    fn new_id(&self) -> String {
        let n = self.inner.next_id.get();
        self.inner.next_id.set(n + 1);
        format!("m{}-{n}", js_sys::Date::now() as u64)
    }

    pub fn busy(&self) -> bool {
        self.status.get_untracked() != Status::Idle
    }

    /// Applies an attribute of the element to the settings.
    pub fn set_attribute(&self, name: &str, value: Option<String>) {
        self.settings
            .update(|s| s.apply_attribute(name, value.as_deref()));
    }

    /// Checks settings by building the request they would produce for a probe message.
    pub fn validate_settings(&self, settings: &Settings) -> Result<(), String> {
        let probe = Entry::new("probe", Message::user("probe"));
        settings
            .chat_request(&self.base_url(), &[probe])
            .map(|_| ())
            .map_err(|e| e.message)
    }

    /// Replaces the limits for attached images (the element's `imageOptions`); invalid
    /// options are refused with the fields out of range named.
    pub fn set_image_options(&self, options: ImageOptions) -> Result<(), ImageError> {
        options.validate()?;
        self.settings.update(|s| s.image_options = options);
        Ok(())
    }

    /// Replaces the settings (already validated by the panel); remembered under `persist`.
    pub fn apply_settings(&self, settings: Settings) {
        crate::persist::save_settings(&settings);
        self.settings.set(settings);
    }

    /// Asks the endpoint which model it serves (`/info`, or `/models` in the openai style).
    pub fn load_model_info(&self) {
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = this.fetch_model_info().await;
            this.model_info.set(Some(result));
        });
    }

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

    /// The URL relative endpoints resolve against: the host page's base URL.
    fn base_url(&self) -> String {
        self.inner
            .host
            .base_uri()
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Sends a user message and streams the reply. Refused while busy or when empty.
    pub fn send_text(&self, text: String) -> Result<(), ChatError> {
        self.send_message(text, Vec::new())
    }

    /// Sends text with images (already processed) as one user message: a text part, then one
    /// `image_url` part per image with the `detail` of the image options. Without images the
    /// content is the plain text. Refused while busy or when there is nothing to send.
    pub fn send_message(&self, text: String, images: Vec<ProcessedImage>) -> Result<(), ChatError> {
        self.ensure_idle()?;
        if text.trim().is_empty() && images.is_empty() {
            return Err(ChatError::invalid_input("text", "The message is empty."));
        }
        let detail = self
            .settings
            .with_untracked(|s| s.image_options.detail)
            .map(|d| match d {
                Detail::Auto => ImageDetail::Auto,
                Detail::Low => ImageDetail::Low,
                Detail::High => ImageDetail::High,
            });
        let parts = images
            .into_iter()
            .map(|image| Part::ImageUrl {
                image_url: ImageUrl {
                    url: image.data_url,
                    detail,
                },
            })
            .collect();
        self.submit(self.entries.get_untracked(), user_message(text, parts))
    }

    /// Appends a new user entry to `next` and starts the turn — unless the settings
    /// cannot produce a request for it: then nothing is added or sent.
    fn submit(&self, mut next: Vec<Entry>, message: Message) -> Result<(), ChatError> {
        let entry = Entry::new(self.new_id(), message);
        next.push(entry.clone());
        self.settings
            .get_untracked()
            .chat_request(&self.base_url(), &next)?;
        self.entries.set(next);
        self.emit("chat-message", &entry);
        self.start_turn();
        Ok(())
    }

    /// Where the entry `id` is in `entries`.
    fn position_of(entries: &[Entry], id: &str) -> Result<usize, ChatError> {
        entries.iter().position(|e| e.id == id).ok_or_else(|| {
            ChatError::invalid_input("id", "That message is no longer in the conversation.")
        })
    }

    /// Asks again for the reply `id` (Regenerate, or Retry after an error): it and
    /// everything after it are replaced by the new reply. The user's message stays as is.
    pub fn regenerate(&self, id: &str) -> Result<(), ChatError> {
        self.ensure_idle()?;
        let entries = self.entries.get_untracked();
        let pos = Self::position_of(&entries, id)?;
        self.entries.set(entries[..pos].to_vec());
        self.start_turn();
        Ok(())
    }

    /// Replaces the text of the user message `id`, drops every turn after it and sends again.
    pub fn edit_and_resend(&self, id: &str, text: String) -> Result<(), ChatError> {
        self.ensure_idle()?;
        if text.trim().is_empty() {
            return Err(ChatError::invalid_input("text", "The message is empty."));
        }
        let entries = self.entries.get_untracked();
        let pos = Self::position_of(&entries, id)?;
        // The images of the edited message are kept (already encoded: not processed again).
        let images: Vec<Part> = match entries[pos].message.content() {
            Content::Parts(parts) => parts
                .iter()
                .filter(|p| matches!(p, Part::ImageUrl { .. }))
                .cloned()
                .collect(),
            Content::Text(_) => Vec::new(),
        };
        self.submit(entries[..pos].to_vec(), user_message(text, images))
    }

    fn ensure_idle(&self) -> Result<(), ChatError> {
        if self.busy() {
            return Err(ChatError::invalid_input(
                "text",
                "A reply is still in progress: stop it or wait for it to finish.",
            ));
        }
        Ok(())
    }

    /// Stops the reply in progress; its partial text is kept and marked as stopped. In a
    /// tool round, pending approvals end and running handlers' signals fire.
    pub fn stop(&self) {
        self.inner.stop_requested.set(true);
        if let Some(abort) = self.inner.inflight.borrow().as_ref() {
            abort.abort(AbortReason::User);
        }
        self.cancel_tools();
    }

    /// Empties the conversation (stopping any reply in progress).
    pub fn clear(&self) {
        self.set_entries(Vec::new());
    }

    fn start_turn(&self) {
        // Busy from here on, so a second send in the same tick is refused.
        self.set_status(Status::Sending);
        self.notice.set(None);
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            this.run_turn().await;
        });
    }

    /// One turn: ask, and while the reply calls tools, run them and ask again — at most
    /// `maxToolRounds` rounds. Ends with the last reply (`send()` settles with it).
    async fn run_turn(&self) {
        let epoch = self.inner.epoch.get();
        self.inner.stop_requested.set(false);
        let (registry, max_rounds) = {
            let settings = self.settings.get_untracked();
            let host = self.inner.host_tools.borrow();
            (
                tools::round_registry(&settings.tools, &host),
                settings.max_tool_rounds,
            )
        };
        let definitions = tools::wire_definitions(&registry);
        // Entries before this index have had their `chat-message`.
        let mut announced = self.entries.with_untracked(Vec::len);
        let mut rounds = 0;
        let entry = loop {
            let entry = self.reply_with_retries(&definitions).await;
            // A transcript replaced (or cleared) meanwhile gets nothing of this turn.
            if self.inner.epoch.get() != epoch {
                break entry;
            }
            self.entries.update(|e| e.push(entry.clone()));
            self.live.set(None);
            let calls = match &entry.message {
                Message::Assistant {
                    tool_calls: Some(calls),
                    ..
                } if !calls.is_empty() => calls.clone(),
                _ => break entry,
            };
            let complete = entry.error.is_none()
                && !entry.stopped
                && entry.finish_reason != Some(FinishReason::Length);
            if !complete || self.inner.stop_requested.get() {
                self.cancel_unanswered();
                break entry;
            }
            if rounds >= max_rounds {
                self.cancel_unanswered();
                self.notice.set(Some(round_limit_notice(max_rounds)));
                break entry;
            }
            rounds += 1;
            self.announce_entries(&mut announced);
            self.set_status(Status::Tools);
            let results = self.run_tool_round(&registry, &calls).await;
            if self.inner.epoch.get() != epoch {
                break entry;
            }
            self.entries.update(|e| e.extend(results));
            self.announce_entries(&mut announced);
            if self.inner.stop_requested.get() {
                break entry;
            }
        };
        self.live.set(None);
        self.set_status(Status::Idle);
        if self.inner.epoch.get() == epoch {
            self.announce_entries(&mut announced);
        }
        self.announcement.set(announce(&entry));
        if let Some(error) = &entry.error {
            self.emit("chat-error", error);
        }
        self.settle(&entry);
    }

    /// Sends `chat-message` for the entries from `from` on, in order.
    fn announce_entries(&self, from: &mut usize) {
        let fresh: Vec<Entry> = self
            .entries
            .with_untracked(|e| e.get(*from..).map(<[Entry]>::to_vec).unwrap_or_default());
        *from += fresh.len();
        for entry in &fresh {
            self.emit("chat-message", entry);
        }
    }

    /// Answers every call of the last reply that has no result with `{"error":"cancelled"}`,
    /// so the transcript stays valid.
    fn cancel_unanswered(&self) {
        let mut entries = self.entries.get_untracked();
        let before = entries.len();
        cancel_unanswered_tool_calls(&mut entries, || self.new_id());
        for entry in &entries[before..] {
            if let Message::Tool { tool_call_id, .. } = &entry.message {
                self.tool_runs.update(|runs| {
                    runs.insert(
                        tool_call_id.clone(),
                        ToolRun {
                            state: ToolState::Failed("Cancelled: the tool did not run.".into()),
                            duration_ms: None,
                        },
                    );
                });
            }
        }
        if entries.len() > before {
            self.entries.set(entries);
        }
    }

    /// One reply, retried automatically (with a countdown) while the error allows it.
    async fn reply_with_retries(&self, tools: &[WireDefinition]) -> Entry {
        let id = self.new_id();
        let mut attempt = 0;
        loop {
            let (entry, retry) = self.attempt(&id, tools).await;
            let Some(error) = retry else { return entry };
            let wait = error.retry_after_ms.unwrap_or_else(|| backoff_ms(attempt));
            if attempt >= MAX_AUTO_RETRIES || wait > RETRY_CAP_MS {
                return entry;
            }
            attempt += 1;
            self.emit("chat-error", &error);
            if !self.wait_before_retry(wait, &error).await {
                return entry;
            }
        }
    }

    /// One request for the reply `id`. Returns the reply entry, and the error when it is
    /// worth retrying automatically (retryable, and nothing of the reply arrived yet).
    async fn attempt(&self, id: &str, tools: &[WireDefinition]) -> (Entry, Option<ChatError>) {
        let settings = self.settings.get_untracked();
        let failed = |e: ChatError| {
            let mut entry = Entry::from_reply(id, &Reply::default());
            entry.error = Some(e);
            (entry, None)
        };
        let request = match settings.chat_request_with_tools(
            &self.base_url(),
            &self.entries.get_untracked(),
            tools.to_vec(),
        ) {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let abort = match Abort::new() {
            Ok(a) => Rc::new(a),
            Err(e) => return failed(e),
        };
        *self.inner.inflight.borrow_mut() = Some(abort.clone());
        let live = LiveReply {
            id: id.to_owned(),
            content: ArcRwSignal::new(String::new()),
            reasoning: ArcRwSignal::new(String::new()),
            started: ArcRwSignal::new(false),
            tool_calls: ArcRwSignal::new(Vec::new()),
        };
        *self.inner.pending.borrow_mut() = Pending::default();
        self.live.set(Some(live.clone()));
        self.set_status(Status::Sending);

        let mut acc = StreamAccumulator::new();
        let (outcome, whole) = self
            .exchange(&settings, &request, &abort, &live, &mut acc)
            .await;
        self.drain_pending(&live).await;
        *self.inner.inflight.borrow_mut() = None;

        let stopped = abort.reason() == Some(AbortReason::User);
        let reply = whole.unwrap_or_else(|| acc.into_reply());
        let nothing_arrived =
            reply.content.is_empty() && reply.reasoning.is_empty() && reply.tool_calls.is_empty();
        let mut entry = Entry::from_reply(id, &reply);
        let mut retry = None;
        match outcome {
            Outcome::Complete => {}
            Outcome::Interrupted => {
                entry.error = Some(ChatError::network(
                    "the connection closed before the reply was complete",
                ))
            }
            Outcome::Failed(e) if e.kind == ErrorKind::Aborted || stopped => {
                entry.stopped = true;
            }
            Outcome::Failed(e) => {
                if e.retryable && nothing_arrived {
                    retry = Some(e.clone());
                }
                entry.error = Some(e);
            }
        }
        (entry, retry)
    }

    /// Shows a countdown before an automatic retry. Returns false when the user cancelled.
    async fn wait_before_retry(&self, wait_ms: u64, error: &ChatError) -> bool {
        self.set_status(Status::Waiting);
        let deadline = js_sys::Date::now() + wait_ms as f64;
        loop {
            if self.inner.stop_requested.get() {
                self.retry_wait.set(None);
                return false;
            }
            let left = deadline - js_sys::Date::now();
            if left <= 0.0 {
                self.retry_wait.set(None);
                return true;
            }
            self.retry_wait.set(Some(RetryWait {
                seconds_left: (left / 1000.0).ceil() as u32,
                reason: error.message.clone(),
            }));
            gloo_timers::future::TimeoutFuture::new(left.min(250.0) as u32).await;
        }
    }

    /// Sends the request and folds a streamed response into `acc`; a non-streamed reply
    /// comes back whole.
    async fn exchange(
        &self,
        settings: &Settings,
        request: &chat_core::request::HttpRequest,
        abort: &Rc<Abort>,
        live: &LiveReply,
        acc: &mut StreamAccumulator,
    ) -> (Outcome, Option<Reply>) {
        if !settings.stream {
            return self.exchange_whole(request, abort, live).await;
        }
        (
            self.exchange_stream(settings, request, abort, live, acc)
                .await,
            None,
        )
    }

    async fn exchange_whole(
        &self,
        request: &chat_core::request::HttpRequest,
        abort: &Rc<Abort>,
        live: &LiveReply,
    ) -> (Outcome, Option<Reply>) {
        let head = match self.open(request, abort).await {
            Ok(head) => head,
            Err(e) => return (Outcome::Failed(e), None),
        };
        live.started.set(true);
        match head.text().await {
            Ok(body) => match chat_core::stream::parse_completion(&body) {
                Ok(reply) => {
                    self.queue(live, &reply.content, &reply.reasoning);
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
        request: &chat_core::request::HttpRequest,
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
        request: &chat_core::request::HttpRequest,
        abort: &Rc<Abort>,
        live: &LiveReply,
        acc: &mut StreamAccumulator,
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
        acc: &StreamAccumulator,
        updates: &mut Vec<StreamUpdate>,
    ) -> Option<Outcome> {
        for update in updates.drain(..) {
            match update {
                StreamUpdate::Content(range) => {
                    self.queue(live, &acc.reply().content[range], "");
                }
                StreamUpdate::Reasoning(range) => {
                    self.queue(live, "", &acc.reply().reasoning[range]);
                }
                StreamUpdate::ToolCall { position, name, .. } => {
                    self.queue_call(live, position, |call| call.0 = name);
                }
                StreamUpdate::ToolArguments { position, fragment } => {
                    self.queue_call(live, position, |call| call.1.push_str(&fragment));
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

    /// Queues streamed text; it reaches the DOM on the next animation frame.
    fn queue(&self, live: &LiveReply, content: &str, reasoning: &str) {
        let schedule = {
            let mut pending = self.inner.pending.borrow_mut();
            pending.content.push_str(content);
            pending.reasoning.push_str(reasoning);
            !std::mem::replace(&mut pending.scheduled, true)
        };
        if schedule {
            self.schedule_flush(live);
        }
    }

    fn schedule_flush(&self, live: &LiveReply) {
        let this = self.clone();
        let live = live.clone();
        request_animation_frame(move || {
            // A frame that comes after its reply ended (a hidden page has none) shows nothing.
            if this
                .live
                .with_untracked(|l| l.as_ref().is_some_and(|l| l.id == live.id))
            {
                this.flush_pending(&live, Some(FRAME_BUDGET_BYTES));
            }
        });
    }

    /// Waits until the queued text has been shown at the per-frame pace, then shows the rest
    /// (all of it at once when the page is hidden: it has no animation frames).
    async fn drain_pending(&self, live: &LiveReply) {
        while self.inner.pending.borrow().scheduled && page_visible() {
            gloo_timers::future::TimeoutFuture::new(16).await;
        }
        self.flush_pending(live, None);
    }

    /// Queues a change to the streamed tool call at `position`.
    fn queue_call(
        &self,
        live: &LiveReply,
        position: usize,
        change: impl FnOnce(&mut (String, String)),
    ) {
        {
            let mut pending = self.inner.pending.borrow_mut();
            if pending.calls.len() <= position {
                pending.calls.resize(position + 1, Default::default());
            }
            change(&mut pending.calls[position]);
            pending.calls_changed = true;
        }
        self.queue(live, "", "");
    }

    /// Shows the queued text, at most `budget` bytes of content (the rest on the next frame).
    fn flush_pending(&self, live: &LiveReply, budget: Option<usize>) {
        let (content, reasoning, calls, more) = {
            let mut pending = self.inner.pending.borrow_mut();
            let calls = std::mem::take(&mut pending.calls_changed).then(|| pending.calls.clone());
            let cut = match budget {
                Some(max) if pending.content.len() > max => {
                    pending.content.floor_char_boundary(max)
                }
                _ => pending.content.len(),
            };
            let content: String = pending.content.drain(..cut).collect();
            let more = !pending.content.is_empty();
            pending.scheduled = more;
            (content, std::mem::take(&mut pending.reasoning), calls, more)
        };
        if more {
            self.schedule_flush(live);
        }
        if let Some(calls) = calls {
            live.tool_calls.set(calls);
        }
        if !content.is_empty() {
            live.content.update(|c| c.push_str(&content));
        }
        if !reasoning.is_empty() {
            live.reasoning.update(|r| r.push_str(&reasoning));
        }
    }

    fn set_status(&self, status: Status) {
        let was_busy = self.busy();
        self.status.set(status);
        let busy = self.busy();
        if was_busy != busy {
            self.emit("chat-busy", &serde_json::json!({ "busy": busy }));
        }
    }

    /// Dispatches a bubbling, composed `CustomEvent` on the host element.
    fn emit(&self, name: &str, detail: &impl serde::Serialize) {
        let detail = to_js(detail);
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&detail);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.inner.host.dispatch_event(&event);
        }
    }

    pub fn messages_js(&self) -> JsValue {
        to_js(&self.entries.get_untracked())
    }

    /// Replaces the transcript (a saved one being restored); a reply in progress is stopped.
    pub fn set_messages_js(&self, value: JsValue) -> Result<(), JsValue> {
        let entries = parse_entries(&value).map_err(|e| error_to_js(&e))?;
        self.set_entries(entries);
        Ok(())
    }

    /// Replaces the transcript, stopping any reply in progress.
    pub fn set_entries(&self, entries: Vec<Entry>) {
        self.stop();
        self.inner.epoch.set(self.inner.epoch.get() + 1);
        self.entries.set(entries);
    }

    /// `send(text, {images})`: resolves with the final assistant entry once the turn is
    /// over (the partial one, `stopped: true`, after a stop); rejects with the error. The
    /// images go through the composer's pipeline first; a refused one rejects the promise
    /// (`invalid_input`, naming the image) and nothing is sent, as does (`aborted`) a
    /// `clear()` or a new `messages` while they are being prepared.
    pub fn send_js(&self, text: String, options: JsValue) -> js_sys::Promise {
        let mut settle = None;
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            settle = Some(Waiter { resolve, reject });
        });
        let Some(waiter) = settle else {
            return promise;
        };
        let image_options = self.settings.with_untracked(|s| s.image_options.clone());
        let images = if options.is_object() {
            js_sys::Reflect::get(&options, &JsValue::from_str("images")).unwrap_or_default()
        } else {
            JsValue::UNDEFINED
        };
        let sources = match images::from_js(&images, &image_options) {
            Ok(sources) => sources,
            Err(refusal) => {
                waiter.fail(&image_error(&refusal));
                return promise;
            }
        };
        if sources.is_empty() {
            self.send_and_wait(text, Vec::new(), waiter);
            return promise;
        }
        if let Err(e) = self.ensure_idle() {
            waiter.fail(&e);
            return promise;
        }
        let this = self.clone();
        let epoch = self.inner.epoch.get();
        wasm_bindgen_futures::spawn_local(async move {
            let mut ready = Vec::with_capacity(sources.len());
            for (blob, name) in sources {
                match images::process(&blob, &name, &image_options).await {
                    Ok(image) => ready.push(image),
                    Err(refusal) => return waiter.fail(&image_error(&refusal)),
                }
            }
            // The conversation was cleared or replaced meanwhile: the message belonged to
            // the old one.
            if this.inner.epoch.get() != epoch {
                return waiter.fail(&ChatError::aborted());
            }
            this.send_and_wait(text, ready, waiter);
        });
        promise
    }

    /// Sends the message; `waiter` is settled when the turn is over, or now if refused.
    fn send_and_wait(&self, text: String, images: Vec<ProcessedImage>, waiter: Waiter) {
        match self.send_message(text, images) {
            Ok(()) => self.inner.waiters.borrow_mut().push(waiter),
            Err(e) => waiter.fail(&e),
        }
    }

    /// Settles the waiting `send()` promises with the turn's last entry. Called once the
    /// whole turn (every tool round) is over.
    fn settle(&self, entry: &Entry) {
        let waiters = std::mem::take(&mut *self.inner.waiters.borrow_mut());
        for waiter in waiters {
            let _ = match &entry.error {
                Some(error) => waiter.reject.call1(&JsValue::NULL, &error_to_js(error)),
                None => waiter.resolve.call1(&JsValue::NULL, &to_js(entry)),
            };
        }
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

    /// Registers a host-page tool (replacing one of the same name); the tool loop runs it.
    pub fn register_tool(
        &self,
        definition: ToolDefinition,
        handler: js_sys::Function,
        options: ToolOptions,
    ) -> Result<(), ChatError> {
        self.inner
            .host_tools
            .borrow_mut()
            .register_external(definition, handler, options)
            .map(|_| ())
            .map_err(|e| ChatError::invalid_input("definition", e.to_string()))
    }

    /// Removes a host-page tool; false when there was none of that name.
    pub fn unregister_tool(&self, name: &str) -> bool {
        self.inner
            .host_tools
            .borrow_mut()
            .unregister(name)
            .is_some()
    }
}

/// Parses a transcript given to `messages`: an array of entries with unique ids.
pub fn parse_entries(value: &JsValue) -> Result<Vec<Entry>, ChatError> {
    let invalid = |message: String| ChatError::invalid_input("messages", message);
    if !js_sys::Array::is_array(value) {
        return Err(invalid(
            "messages must be an array of transcript entries.".into(),
        ));
    }
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| invalid("messages cannot be read as JSON.".into()))?;
    let entries: Vec<Entry> = serde_json::from_str(&json)
        .map_err(|e| invalid(format!("messages is not a valid transcript: {e}.")))?;
    let mut seen = std::collections::HashSet::new();
    for entry in &entries {
        if entry.id.is_empty() {
            return Err(invalid("every entry needs a non-empty `id`.".into()));
        }
        if !seen.insert(entry.id.as_str()) {
            return Err(invalid(format!("the id `{}` is used twice.", entry.id)));
        }
    }
    Ok(entries)
}

/// A refused `send()` image as the error `send()` rejects with.
fn image_error(refusal: &ImageRefusal) -> ChatError {
    ChatError::invalid_input("images", refusal.to_string())
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
async fn abort_future(signal: &web_sys::AbortSignal) {
    if signal.aborted() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = signal.add_event_listener_with_callback("abort", &resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A user message: plain text, or a text part (when there is text) followed by image parts.
fn user_message(text: String, images: Vec<Part>) -> Message {
    if images.is_empty() {
        return Message::user(text);
    }
    let text_part = (!text.trim().is_empty()).then_some(Part::Text { text });
    Message::User {
        content: Content::Parts(text_part.into_iter().chain(images).collect()),
        name: None,
    }
}

/// Longest stretch of stream reading before the browser gets a chance to paint.
const YIELD_EVERY_MS: f64 = 12.0;

/// Bytes of a network chunk decoded between chances to yield (~1 ms of decoding).
const DECODE_PIECE_BYTES: usize = 32 * 1024;

/// Most streamed content shown per animation frame. A burst (an unpaced server, a proxy that
/// buffers) is spread over several frames so that no frame builds a large piece of DOM at once
/// (a long task); 4 KB a frame is ~60,000 tokens a second, far above any model's pace.
const FRAME_BUDGET_BYTES: usize = 4096;

fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| !d.hidden())
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

fn silence_error(ms: u32) -> ChatError {
    ChatError::network(format!(
        "the stream stayed silent for {} seconds",
        ms / 1000
    ))
}

/// What the user reads when the model kept calling tools past the limit.
fn round_limit_notice(max_rounds: u32) -> String {
    format!(
        "Stopped after {max_rounds} tool round{}: the model kept calling tools. The calls it \
         asked for last were not run. Send a message to go on, or raise the limit \
         (maxToolRounds).",
        if max_rounds == 1 { "" } else { "s" }
    )
}

fn announce(entry: &Entry) -> String {
    match &entry.error {
        Some(e) => format!("Reply failed: {}", e.message),
        None => entry.message.content().text(),
    }
}

/// Serializes to a plain JS object (through JSON: no extra dependency).
pub fn to_js(value: &impl serde::Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

/// An `Error` carrying the error object's fields, for rejected promises.
pub fn error_to_js(error: &ChatError) -> JsValue {
    let js = js_sys::Error::new(&error.message);
    if let Some(fields) = to_js(error).dyn_ref::<js_sys::Object>() {
        let _ = js_sys::Object::assign(js.unchecked_ref(), fields);
    }
    js.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn controller() -> ChatController {
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .expect("a document");
        let host: HtmlElement = doc.create_element("div").expect("a div").unchecked_into();
        ChatController::new(host)
    }

    fn entry(id: &str, message: Message) -> Entry {
        Entry::new(id, message)
    }

    #[wasm_bindgen_test]
    fn sending_without_an_endpoint_is_refused_and_adds_nothing() {
        let c = controller();
        let e = c.send_text("hello".to_owned()).expect_err("no endpoint");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(c.entries.get_untracked().is_empty());
        assert!(!c.busy());
    }

    #[wasm_bindgen_test]
    fn an_empty_message_is_refused() {
        let c = controller();
        c.set_attribute("endpoint", Some("/models".to_owned()));
        let e = c.send_text("   ".to_owned()).expect_err("empty");
        assert_eq!(e.param.as_deref(), Some("text"));
        assert!(c.entries.get_untracked().is_empty());
    }

    #[wasm_bindgen_test]
    fn a_second_send_while_busy_is_refused_without_touching_the_transcript() {
        let c = controller();
        c.set_attribute("endpoint", Some("http://127.0.0.1:9/models".to_owned()));
        c.status.set(Status::Streaming);
        let e = c.send_text("again".to_owned()).expect_err("busy");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(c.entries.get_untracked().is_empty());
    }

    #[wasm_bindgen_test]
    fn edit_and_resend_replaces_the_message_and_drops_the_turns_after_it() {
        let c = controller();
        c.set_attribute("endpoint", Some("http://127.0.0.1:9/models".to_owned()));
        c.entries.set(vec![
            entry("u1", Message::user("first")),
            entry("a1", Message::assistant("one")),
            entry("u2", Message::user("second")),
            entry("a2", Message::assistant("two")),
        ]);
        c.edit_and_resend("u2", "second, edited".to_owned())
            .expect("edit accepted");
        let entries = c.entries.get_untracked();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].id, "u1");
        assert_eq!(entries[1].id, "a1");
        assert_eq!(entries[2].message.content().text(), "second, edited");
        c.stop();
    }

    #[wasm_bindgen_test]
    fn regenerate_keeps_the_users_message_once() {
        let c = controller();
        c.set_attribute("endpoint", Some("http://127.0.0.1:9/models".to_owned()));
        c.entries.set(vec![
            entry("u1", Message::user("hi")),
            entry("a1", Message::assistant("hello")),
        ]);
        c.regenerate("a1").expect("regenerate accepted");
        let entries = c.entries.get_untracked();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].id, "u1");
        assert!(c.regenerate("nope").is_err() || c.busy());
        c.stop();
    }

    #[wasm_bindgen_test]
    fn automatic_retry_backs_off_exponentially() {
        assert_eq!(backoff_ms(0), 1_000);
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
    }

    #[wasm_bindgen_test]
    fn messages_round_trip_through_the_js_property() {
        let c = controller();
        let value = js_sys::JSON::parse(
            r#"[{"id":"u1","role":"user","content":"hi"},{"id":"a1","role":"assistant","content":"yo","finish_reason":"stop","stopped":true}]"#,
        )
        .expect("json");
        c.set_messages_js(value).expect("valid messages");
        let back = js_sys::JSON::stringify(&c.messages_js())
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        assert_eq!(
            back,
            r#"[{"id":"u1","role":"user","content":"hi"},{"id":"a1","role":"assistant","content":"yo","finish_reason":"stop","stopped":true}]"#
        );
        let bad = js_sys::JSON::parse(r#"[{"role":"wizard"}]"#).expect("json");
        assert!(c.set_messages_js(bad).is_err());
    }
}
