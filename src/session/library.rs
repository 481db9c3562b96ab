//! The conversations kept under the `persist` key, in IndexedDB (`store.js`): which one is
//! open, saving it after each finished entry, the list the UI and `conversations()` read,
//! open / rename / delete / export / import, the migration of the transcript that older
//! versions kept in localStorage, and the other tabs' changes (a BroadcastChannel).
//!
//! A write that fails keeps the conversation in memory and says so once; a write that finds
//! another tab's newer copy of the same conversation keeps both: ours becomes a new one.

use std::cell::{Cell, RefCell};
use std::hash::{Hash, Hasher};

use chat_core::conversation::{self, Conversation, Meta, Summary};
use chat_core::error::{ChatError, ErrorKind};
use chat_core::named::Named;
use chat_core::transcript::Entry;
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::ChatController;

#[wasm_bindgen(module = "/src/store.js")]
extern "C" {
    #[wasm_bindgen(js_name = storeList)]
    fn store_list(ns: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storeGet)]
    fn store_get(ns: &str, id: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storeSave)]
    fn store_save(ns: &str, meta: JsValue, entries: &str, base_rev: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storePutAll)]
    fn store_put_all(ns: &str, records: js_sys::Array) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storePatch)]
    fn store_patch(ns: &str, id: &str, patch: JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storeDelete)]
    fn store_delete(ns: &str, id: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storeChannel)]
    fn store_channel(ns: &str, on_message: &Listener) -> JsValue;
}

/// The handler of the other tabs' messages.
type Listener = Closure<dyn FnMut(JsValue)>;

/// The longest title a rename keeps, in chars.
const NAME_CHARS: usize = 200;

/// The conversation on screen.
#[derive(Clone, Default)]
struct Open {
    id: String,
    created_at: f64,
    /// The store's revision this copy was read or last written at (0: never stored).
    rev: u64,
    /// The user's title, once renamed.
    name: Option<String>,
}

/// One pending write: the conversation as it was when its entries changed.
struct Snapshot {
    open: Open,
    meta: Meta,
    json: String,
    hash: u64,
}

/// The library's state, inside the controller.
pub(super) struct Library {
    /// The `persist` key the library is attached to.
    ns: RefCell<Option<String>>,
    open: RefCell<Open>,
    /// The hash of the entries last stored or read for the open conversation.
    stored_hash: Cell<u64>,
    writing: Cell<bool>,
    queued: RefCell<Option<Snapshot>>,
    /// A failed write was already reported.
    failed: Cell<bool>,
    channel: RefCell<Option<JsValue>>,
    on_message: RefCell<Option<Listener>>,
}

impl Library {
    pub(super) fn new() -> Self {
        Library {
            ns: RefCell::new(None),
            open: RefCell::new(Open::fresh()),
            stored_hash: Cell::new(0),
            writing: Cell::new(false),
            queued: RefCell::new(None),
            failed: Cell::new(false),
            channel: RefCell::new(None),
            on_message: RefCell::new(None),
        }
    }

    /// The id of the conversation on screen.
    pub(super) fn open_id(&self) -> String {
        self.open.borrow().id.clone()
    }
}

/// `exportConversations`' options.
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportOptions {
    ids: Option<Vec<String>>,
    format: Option<String>,
    images: Option<bool>,
}

/// A message on the channel to the other tabs.
#[derive(Serialize)]
struct Change<'a> {
    reason: &'a str,
    id: &'a str,
}

fn hash_of(text: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

fn new_conversation_id() -> String {
    let random = (js_sys::Math::random() * 2f64.powi(40)) as u64;
    format!("c{}-{random:x}", js_sys::Date::now() as u64)
}

async fn wait(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// The store's refusal in the user's words.
fn storage_error(error: &JsValue) -> ChatError {
    let name = js_sys::Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let why = match name.as_str() {
        "QuotaExceededError" => "the browser's storage for this site is full",
        "InvalidStateError" | "SecurityError" | "UnknownError" => {
            "the browser does not allow this page to store data (private mode or settings)"
        }
        _ => "the browser's storage refused it",
    };
    ChatError::new(
        ErrorKind::QuotaExceeded,
        format!(
            "This conversation could not be saved: {why}. It stays here until the page is closed."
        ),
    )
}

fn not_found(id: &str) -> ChatError {
    ChatError::new(
        ErrorKind::NotFound,
        format!("There is no conversation `{id}`."),
    )
}

fn parse_metas(value: &JsValue) -> Vec<Meta> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn meta_to_js(meta: &Meta) -> JsValue {
    super::to_js(meta)
}

impl Open {
    fn fresh() -> Self {
        Open {
            id: new_conversation_id(),
            created_at: js_sys::Date::now(),
            ..Open::default()
        }
    }
}

impl ChatController {
    fn library(&self) -> &Library {
        &self.inner.library
    }

    /// Makes `open` the conversation on screen (its entries are set by the caller).
    fn set_open(&self, open: Open) {
        self.conversation_id.set(open.id.clone());
        *self.library().open.borrow_mut() = open;
    }

    /// The `persist` key, or the error every conversation method gives without one.
    fn namespace(&self) -> Result<String, ChatError> {
        self.library().ns.borrow().clone().ok_or_else(|| {
            ChatError::invalid_input(
                "persist",
                "Conversations are kept only with the `persist` attribute set.",
            )
        })
    }

    /// The id of the conversation on screen.
    pub fn open_id(&self) -> String {
        self.library().open_id()
    }

    /// Attaches the library to the `persist` key `ns` (None: nothing is stored): moves an
    /// older localStorage transcript in, reads the list and, unless the user already
    /// started something meanwhile, opens the newest conversation.
    pub fn attach_library(&self, ns: Option<String>) {
        let library = self.library();
        if *library.ns.borrow() == ns {
            return;
        }
        *library.ns.borrow_mut() = ns.clone();
        self.set_open(Open::fresh());
        if let Some(channel) = library.channel.borrow_mut().take() {
            if let Ok(close) = js_sys::Reflect::get(&channel, &"close".into()) {
                let _ = close.unchecked_ref::<js_sys::Function>().call0(&channel);
            }
        }
        self.conversations.set(Vec::new());
        let Some(ns) = ns else { return };
        let this = self.clone();
        let epoch = self.inner.epoch.get();
        wasm_bindgen_futures::spawn_local(async move {
            // After the chat has mounted and painted its composer: nothing here is needed
            // before the first paint.
            gloo_timers::future::TimeoutFuture::new(0).await;
            let library = this.library();
            if library.ns.borrow().as_deref() != Some(ns.as_str()) {
                return;
            }
            let listener = this.clone();
            let on_message = Listener::new(move |data: JsValue| listener.remote_change(&data));
            *library.channel.borrow_mut() = Some(store_channel(&ns, &on_message));
            *library.on_message.borrow_mut() = Some(on_message);
            this.migrate(&ns).await;
            this.refresh_list().await;
            let untouched =
                this.inner.epoch.get() == epoch && this.entries.with_untracked(|e| e.is_empty());
            let newest = this
                .conversations
                .with_untracked(|l| l.first().map(|m| m.id.clone()));
            if let (true, Some(id)) = (untouched, newest) {
                let _ = this.load_conversation(&ns, &id).await;
            }
        });
    }

    /// Moves the transcript older versions kept in localStorage under `ns` into the store
    /// (the old copy is removed only once the new one is written).
    async fn migrate(&self, ns: &str) {
        let Some(entries) = crate::persist::load_transcript(ns) else {
            return;
        };
        let now = js_sys::Date::now();
        let meta = Meta::of(&new_conversation_id(), now, now, &entries, None);
        let Ok(json) = serde_json::to_string(&entries) else {
            return;
        };
        let record = js_sys::Array::of2(&meta_to_js(&meta), &json.into());
        match wait(store_put_all(ns, js_sys::Array::of1(&record))).await {
            Ok(_) => crate::persist::remove_transcript(ns),
            Err(error) => self.report_storage(&error),
        }
    }

    /// Re-reads the list from the store.
    async fn refresh_list(&self) {
        let Ok(ns) = self.namespace() else { return };
        match wait(store_list(&ns)).await {
            Ok(value) => {
                let mut metas = parse_metas(&value);
                conversation::newest_first(&mut metas);
                self.conversations.set(metas);
            }
            Err(error) => self.report_storage(&error),
        }
    }

    /// Says once that the store refused a write or a read.
    fn report_storage(&self, error: &JsValue) {
        if !self.library().failed.replace(true) {
            self.storage_notice.set(Some(storage_error(error).message));
        }
    }

    /// Tells the page and the other tabs that the list changed.
    fn changed(&self, reason: &str, id: &str) {
        let change = Change { reason, id };
        if let Some(channel) = self.library().channel.borrow().as_ref() {
            if let Ok(post) = js_sys::Reflect::get(channel, &"postMessage".into()) {
                let post: &js_sys::Function = post.unchecked_ref();
                let _ = post.call1(channel, &super::to_js(&change));
            }
        }
        self.emit("chat-conversations", &change);
    }

    /// Another tab (or element) changed the list: read it again, and the open
    /// conversation too when that is the one it wrote and nothing here is unsaved.
    fn remote_change(&self, data: &JsValue) {
        let field = |name: &str| {
            js_sys::Reflect::get(data, &name.into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let (reason, id) = (field("reason"), field("id"));
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            this.refresh_list().await;
            let quiet = !this.busy() && !this.library().writing.get();
            if quiet && reason == "saved" && id == this.open_id() {
                if let Ok(ns) = this.namespace() {
                    let _ = this.load_conversation(&ns, &id).await;
                }
            }
            this.emit(
                "chat-conversations",
                &Change {
                    reason: &reason,
                    id: &id,
                },
            );
        });
    }

    /// Reads conversation `id` and puts it on screen.
    async fn load_conversation(&self, ns: &str, id: &str) -> Result<(), ChatError> {
        let found = wait(store_get(ns, id))
            .await
            .map_err(|e| storage_error(&e))?;
        if found.is_null() || found.is_undefined() {
            return Err(not_found(id));
        }
        let pair: js_sys::Array = found.unchecked_into();
        let meta = parse_metas(&js_sys::Array::of1(&pair.get(0)))
            .pop()
            .ok_or_else(|| not_found(id))?;
        let json = pair.get(1).as_string().unwrap_or_default();
        let entries: Vec<Entry> = serde_json::from_str(&json).map_err(|e| {
            ChatError::invalid_input("id", format!("The stored conversation is damaged: {e}."))
        })?;
        let library = self.library();
        library.stored_hash.set(hash_of(
            &serde_json::to_string(&entries).unwrap_or_default(),
        ));
        self.set_open(Open {
            id: meta.id.clone(),
            created_at: meta.created_at,
            rev: meta.rev,
            name: meta.renamed.then(|| meta.title.clone()),
        });
        self.set_entries(entries);
        Ok(())
    }

    /// Called whenever the entries change: stores the open conversation when they differ
    /// from what the store has (one write at a time; the newest change waits its turn).
    pub fn entries_changed(&self) {
        let Ok(ns) = self.namespace() else { return };
        let library = self.library();
        let snapshot = self.entries.with_untracked(|entries| {
            if entries.is_empty() {
                return None;
            }
            let json = serde_json::to_string(entries).ok()?;
            let hash = hash_of(&json);
            if hash == library.stored_hash.get() {
                return None;
            }
            let open = library.open.borrow().clone();
            let settings = self.settings.read_untracked();
            let meta = Meta {
                api_style: Some(settings.api_style.as_str().to_owned()),
                model: settings.model.clone(),
                rev: open.rev,
                ..Meta::of(
                    &open.id,
                    open.created_at,
                    js_sys::Date::now(),
                    entries,
                    open.name.as_deref(),
                )
            };
            Some(Snapshot {
                open,
                meta,
                json,
                hash,
            })
        });
        let Some(snapshot) = snapshot else { return };
        if library.writing.get() {
            *library.queued.borrow_mut() = Some(snapshot);
            return;
        }
        library.writing.set(true);
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let mut next = Some(snapshot);
            while let Some(snapshot) = next {
                this.write(&ns, snapshot).await;
                next = this.library().queued.borrow_mut().take();
            }
            this.library().writing.set(false);
        });
    }

    /// Writes one snapshot; another tab's newer copy makes ours a new conversation, and a
    /// conversation deleted meanwhile is written again only while it is on screen.
    async fn write(&self, ns: &str, mut snapshot: Snapshot) {
        let library = self.library();
        for _ in 0..2 {
            let meta = meta_to_js(&snapshot.meta);
            let result = wait(store_save(
                ns,
                meta,
                &snapshot.json,
                snapshot.open.rev as f64,
            ))
            .await;
            let still_open = library.open.borrow().id == snapshot.open.id;
            match result.map(|rev| rev.as_f64().unwrap_or(-1.0)) {
                Ok(-2.0) if !still_open => return,
                Ok(-2.0) => {
                    library.open.borrow_mut().rev = 0;
                    snapshot.open.rev = 0;
                    snapshot.meta.rev = 0;
                }
                Ok(rev) if rev >= 0.0 => {
                    if still_open {
                        library.open.borrow_mut().rev = rev as u64;
                        library.stored_hash.set(snapshot.hash);
                    }
                    self.changed("saved", &snapshot.open.id);
                    self.refresh_list().await;
                    return;
                }
                Ok(_) => {
                    // Another tab wrote this conversation since we read it: keep theirs,
                    // store ours beside it.
                    let id = new_conversation_id();
                    if still_open {
                        let open = library.open.borrow().clone();
                        self.set_open(Open {
                            id: id.clone(),
                            rev: 0,
                            ..open
                        });
                    }
                    snapshot.open.id = id.clone();
                    snapshot.open.rev = 0;
                    snapshot.meta.id = id;
                    snapshot.meta.rev = 0;
                    self.storage_notice.set(Some(
                        "This conversation was changed in another tab: both versions are kept, this one as a new conversation."
                            .to_owned(),
                    ));
                }
                Err(error) => {
                    self.report_storage(&error);
                    return;
                }
            }
        }
    }

    /// Starts a new, empty conversation; the one on screen stays in the list (with the
    /// partial text of a reply in progress, which is stopped first).
    pub fn new_conversation(&self) {
        if !self.busy() {
            return self.start_fresh();
        }
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            this.settle_reply().await;
            this.start_fresh();
        });
    }

    fn start_fresh(&self) {
        self.set_open(Open::fresh());
        self.library().stored_hash.set(0);
        self.set_entries(Vec::new());
    }

    /// Stops a reply in progress and waits until its partial entry is in the transcript and
    /// handed to the store, so that switching conversations loses nothing of it.
    async fn settle_reply(&self) {
        if !self.busy() {
            return;
        }
        self.stop();
        // A stop ends the turn within a few ms; never wait more than 2 s.
        for _ in 0..200 {
            if !self.busy() {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(10).await;
        }
        // The entries' effect (which snapshots them for the store) runs before the switch.
        gloo_timers::future::TimeoutFuture::new(0).await;
    }

    /// The element's conversation methods, by name: `list` (`conversations()`), `open`,
    /// `delete`, `rename` (id, title), `export` ({ids, format, images}), `import` (text).
    pub async fn conversation_call(
        &self,
        op: &str,
        a: JsValue,
        b: JsValue,
    ) -> Result<JsValue, ChatError> {
        let id = a.as_string().unwrap_or_default();
        let done = |_| JsValue::UNDEFINED;
        match op {
            "list" => self.list_conversations().await.map(|l| super::to_js(&l)),
            "open" => self.open_conversation(&id).await.map(done),
            "delete" => self
                .delete_conversation(&id)
                .await
                .map(|_| JsValue::UNDEFINED),
            "rename" => {
                let title = b.as_string().unwrap_or_default();
                self.rename_conversation(&id, &title).await.map(done)
            }
            "export" => {
                let options = if crate::element::is_unset(&a) {
                    ExportOptions::default()
                } else {
                    crate::element::from_js::<ExportOptions>("options", &a)?
                };
                let markdown = match options.format.as_deref() {
                    None | Some("json") => false,
                    Some("markdown") => true,
                    Some(other) => {
                        return Err(ChatError::invalid_input(
                            "format",
                            format!("format must be \"json\" or \"markdown\", not {other:?}."),
                        ))
                    }
                };
                let ids = options.ids.unwrap_or_default();
                self.export_conversations(&ids, markdown, options.images.unwrap_or(true))
                    .await
                    .map(JsValue::from)
            }
            _ => {
                let text = a.as_string().ok_or_else(|| {
                    ChatError::invalid_input("text", "importConversations takes the file's text.")
                })?;
                self.import_conversations(&text)
                    .await
                    .map(|ids| super::to_js(&ids))
            }
        }
    }

    /// `conversations()`: the list, newest first.
    pub async fn list_conversations(&self) -> Result<Vec<Summary>, ChatError> {
        self.namespace()?;
        self.refresh_list().await;
        Ok(self
            .conversations
            .with_untracked(|l| l.iter().map(Meta::summary).collect()))
    }

    /// `openConversation(id)`: stops a reply in progress (its partial text stays in its
    /// conversation) and shows conversation `id`.
    pub async fn open_conversation(&self, id: &str) -> Result<(), ChatError> {
        let ns = self.namespace()?;
        self.settle_reply().await;
        self.load_conversation(&ns, id).await
    }

    /// `renameConversation(id, title)`.
    pub async fn rename_conversation(&self, id: &str, title: &str) -> Result<(), ChatError> {
        let ns = self.namespace()?;
        let title: String = title.trim().chars().take(NAME_CHARS).collect();
        if title.is_empty() {
            return Err(ChatError::invalid_input("title", "The title is empty."));
        }
        let patch = super::to_js(&serde_json::json!({ "title": title, "renamed": true }));
        let found = wait(store_patch(&ns, id, patch))
            .await
            .map_err(|e| storage_error(&e))?;
        if id == self.open_id() {
            let mut open = self.library().open.borrow_mut();
            open.name = Some(title);
            open.rev += u64::from(found.is_truthy());
        }
        if !found.is_truthy() && id != self.open_id() {
            return Err(not_found(id));
        }
        self.changed("renamed", id);
        self.refresh_list().await;
        Ok(())
    }

    /// `deleteConversation(id)`: resolves with what was deleted, for an undo. Deleting the
    /// open conversation starts a new one.
    pub async fn delete_conversation(&self, id: &str) -> Result<Conversation, ChatError> {
        let ns = self.namespace()?;
        if id == self.open_id() {
            self.settle_reply().await;
        }
        let removed = self.read_conversations(&ns, &[id.to_owned()]).await?;
        wait(store_delete(&ns, id))
            .await
            .map_err(|e| storage_error(&e))?;
        if id == self.open_id() {
            self.new_conversation();
        }
        self.changed("deleted", id);
        self.refresh_list().await;
        removed.into_iter().next().ok_or_else(|| not_found(id))
    }

    /// Reads whole conversations (all of them for an empty `ids`), in list order.
    async fn read_conversations(
        &self,
        ns: &str,
        ids: &[String],
    ) -> Result<Vec<Conversation>, ChatError> {
        self.refresh_list().await;
        let metas = self.conversations.get_untracked();
        if let Some(missing) = ids.iter().find(|id| !metas.iter().any(|m| &m.id == *id)) {
            return Err(not_found(missing));
        }
        let mut out = Vec::new();
        for meta in metas
            .iter()
            .filter(|m| ids.is_empty() || ids.contains(&m.id))
        {
            let found = wait(store_get(ns, &meta.id))
                .await
                .map_err(|e| storage_error(&e))?;
            let json = js_sys::Array::from(&found)
                .get(1)
                .as_string()
                .unwrap_or_default();
            let entries = serde_json::from_str(&json).unwrap_or_default();
            out.push(meta.with_entries(entries));
        }
        Ok(out)
    }

    /// `exportConversations({ids, format, images})`.
    pub async fn export_conversations(
        &self,
        ids: &[String],
        markdown: bool,
        images: bool,
    ) -> Result<String, ChatError> {
        let ns = self.namespace()?;
        let all = self.read_conversations(&ns, ids).await?;
        if markdown {
            return Ok(conversation::export_markdown(&all, images));
        }
        conversation::export_json(&all).map_err(|e| ChatError::invalid_input("format", e))
    }

    /// `importConversations(text)`: all or nothing; an id already taken gets a new one.
    /// Resolves with the ids stored.
    pub async fn import_conversations(&self, text: &str) -> Result<Vec<String>, ChatError> {
        let ns = self.namespace()?;
        let incoming =
            conversation::import_json(text).map_err(|e| ChatError::invalid_input("text", e))?;
        self.refresh_list().await;
        let taken: std::collections::HashSet<String> = self
            .conversations
            .with_untracked(|l| l.iter().map(|m| m.id.clone()).collect());
        let records = js_sys::Array::new();
        let mut ids = Vec::new();
        for mut c in incoming {
            if taken.contains(&c.id) || ids.contains(&c.id) {
                c.id = new_conversation_id();
            }
            let json = serde_json::to_string(&c.entries)
                .map_err(|e| ChatError::invalid_input("text", e.to_string()))?;
            records.push(&js_sys::Array::of2(&meta_to_js(&c.meta()), &json.into()));
            ids.push(c.id);
        }
        self.put_all(&ns, records).await?;
        self.changed("imported", ids.first().map_or("", String::as_str));
        self.refresh_list().await;
        Ok(ids)
    }

    /// Puts back a conversation deleted a moment ago (the list's Undo).
    pub async fn restore_conversation(&self, c: Conversation) -> Result<(), ChatError> {
        let ns = self.namespace()?;
        let json = serde_json::to_string(&c.entries).unwrap_or_default();
        let record = js_sys::Array::of2(&meta_to_js(&c.meta()), &json.into());
        self.put_all(&ns, js_sys::Array::of1(&record)).await?;
        self.changed("restored", &c.id);
        self.refresh_list().await;
        Ok(())
    }

    async fn put_all(&self, ns: &str, records: js_sys::Array) -> Result<(), ChatError> {
        wait(store_put_all(ns, records))
            .await
            .map(|_| ())
            .map_err(|e| storage_error(&e))
    }
}
