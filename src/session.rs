//! The chat session: the [`ChatController`] the UI reaches through context. It owns the
//! settings, the transcript and the state of the turn in progress, and takes the user's
//! commands (send, stop, regenerate, edit, clear); the turn itself runs in [`turn`].

mod exchange;
pub(crate) mod js;
mod library;
mod pacing;
mod tools;
mod turn;

pub use js::{error_to_js, to_js};
pub use pacing::{LiveReply, StreamingCall};
pub use tools::{tool_call, tool_result, Decision, ToolRun, ToolState};

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chat_core::conversation::Meta;
use chat_core::error::ChatError;
use chat_core::image::{ImageError, ImageOptions};
use chat_core::request::ModelInfo;
use chat_core::tools::ToolRegistry;
use chat_core::transcript::Entry;
use chat_core::types::{Content, ImageUrl, Message, Part};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use web_sys::HtmlElement;

use crate::client::{Abort, AbortReason};
use crate::images::ProcessedImage;
use crate::settings::Settings;

use js::Waiter;
use pacing::FramePacer;
use tools::Approval;

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
    /// The stored conversations (with `persist`), newest first.
    pub conversations: ArcRwSignal<Vec<Meta>>,
    /// The id of the conversation on screen.
    pub conversation_id: ArcRwSignal<String>,
    /// Why conversations are not being saved, or another storage event, until dismissed.
    pub storage_notice: ArcRwSignal<Option<String>>,
}

struct Inner {
    host: HtmlElement,
    inflight: RefCell<Option<Rc<Abort>>>,
    next_id: Cell<u64>,
    /// Set by Stop: ends a retry countdown or a tool round, and the turn.
    stop_requested: Cell<bool>,
    /// Text received but not yet shown (flushed once per animation frame).
    pacer: FramePacer,
    /// The `send()` promises waiting for the turn to end.
    waiters: RefCell<Vec<Waiter>>,
    /// The host page's `tokenProvider`, called before each request.
    token_provider: RefCell<Option<js_sys::Function>>,
    /// Bumped when the transcript is replaced or cleared.
    epoch: Cell<u64>,
    /// Tools registered by the host page (`registerTool`), run by the tool loop.
    host_tools: RefCell<ToolRegistry<js_sys::Function>>,
    /// The approval cards on screen, by call id.
    approvals: RefCell<HashMap<String, Approval>>,
    /// Tools the user chose "Always allow" for.
    always_allowed: RefCell<HashSet<String>>,
    /// The signals of the host-page handlers running now (Stop fires them).
    tool_aborts: RefCell<Vec<web_sys::AbortController>>,
    /// The stored conversations and the one on screen.
    library: library::Library,
}

impl ChatController {
    pub fn new(host: HtmlElement) -> Self {
        let live = ArcRwSignal::new(None);
        let library = library::Library::new();
        let first_id = library.open_id();
        Self {
            inner: SendWrapper::new(Rc::new(Inner {
                host,
                inflight: RefCell::new(None),
                next_id: Cell::new(1),
                stop_requested: Cell::new(false),
                pacer: FramePacer::new(live.clone()),
                waiters: RefCell::new(Vec::new()),
                token_provider: RefCell::new(None),
                host_tools: RefCell::new(ToolRegistry::new()),
                approvals: RefCell::new(HashMap::new()),
                always_allowed: RefCell::new(HashSet::new()),
                tool_aborts: RefCell::new(Vec::new()),
                epoch: Cell::new(0),
                library,
            })),
            settings: ArcRwSignal::new(Settings::default()),
            entries: ArcRwSignal::new(Vec::new()),
            live,
            status: ArcRwSignal::new(Status::Idle),
            announcement: ArcRwSignal::new(String::new()),
            model_info: ArcRwSignal::new(None),
            retry_wait: ArcRwSignal::new(None),
            tool_runs: ArcRwSignal::new(HashMap::new()),
            notice: ArcRwSignal::new(None),
            conversations: ArcRwSignal::new(Vec::new()),
            conversation_id: ArcRwSignal::new(first_id),
            storage_notice: ArcRwSignal::new(None),
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
        let detail = self.settings.with_untracked(|s| s.image_options.detail);
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

    /// Starts a new conversation (stopping any reply in progress); with `persist`, the
    /// previous one stays in the list.
    pub fn clear(&self) {
        self.new_conversation();
    }

    fn set_status(&self, status: Status) {
        let was_busy = self.busy();
        self.status.set(status);
        let busy = self.busy();
        if was_busy != busy {
            self.emit("chat-busy", &serde_json::json!({ "busy": busy }));
        }
    }

    /// Replaces the transcript, stopping any reply in progress.
    pub fn set_entries(&self, entries: Vec<Entry>) {
        self.stop();
        self.inner.epoch.set(self.inner.epoch.get() + 1);
        self.entries.set(entries);
    }
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
#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::error::ErrorKind;
    use chat_core::turn::backoff_ms;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    pub(super) fn controller() -> ChatController {
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
}
