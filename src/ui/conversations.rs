//! The list of stored conversations (`conversations="list"`): a sidebar, a drawer in a
//! narrow chat. Newest first, search over titles and text, open, rename, delete with undo,
//! export (JSON or Markdown) and import; arrow keys move through the list.

use chat_core::conversation::{Conversation, Meta};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::session::ChatController;

/// How long the Undo of a deletion stays offered, in ms.
const UNDO_MS: u32 = 10_000;

/// The list's rows: `(id, title, updated)` of the conversations matching `query`.
fn rows(list: &[Meta], query: &str) -> Vec<(String, String, u64)> {
    list.iter()
        .filter(|m| m.matches(query))
        .map(|m| (m.id.clone(), m.title.clone(), m.updated_at as u64))
        .collect()
}

fn date_of(ms: u64) -> String {
    let date = js_sys::Date::new(&(ms as f64).into());
    let language = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".into());
    date.to_locale_date_string(&language, &JsValue::UNDEFINED)
        .into()
}

/// Offers `text` as a file download named `name`.
fn download(name: &str, text: &str, mime: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(link) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
    {
        let _ = link.set_attribute("href", &url);
        let _ = link.set_attribute("download", name);
        link.unchecked_ref::<web_sys::HtmlElement>().click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Focuses the element matching `selector` in the chat around `nav` (the composer after a
/// conversation is opened, the drawer's button after the drawer is closed).
fn focus_near(nav: NodeRef<leptos::html::Nav>, selector: &str) {
    let target = nav
        .get_untracked()
        .and_then(|nav| nav.closest(".fc-app").ok().flatten())
        .and_then(|app| app.query_selector(selector).ok().flatten());
    if let Some(el) = target {
        let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus();
    }
}

/// The `data-act` of the element an event reached and the `data-id` of its row.
fn action_of(ev: &web_sys::Event) -> Option<(String, String)> {
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    let act = target
        .closest("[data-act]")
        .ok()??
        .get_attribute("data-act")?;
    let id = target
        .closest("[data-id]")
        .ok()??
        .get_attribute("data-id")?;
    Some((act, id))
}

/// Moves the focus to the previous / next conversation on Up / Down (Home / End: the ends).
fn arrow_keys(ev: &web_sys::KeyboardEvent) {
    let key = ev.key();
    if !matches!(key.as_str(), "ArrowUp" | "ArrowDown" | "Home" | "End") {
        return;
    }
    let Some(list) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Ok(buttons) = list.query_selector_all(".fc-conv-open") else {
        return;
    };
    let count = buttons.length();
    if count == 0 {
        return;
    }
    let active = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
    let at = (0..count).find(|&i| buttons.item(i).as_ref() == active.as_ref());
    let next = match (key.as_str(), at) {
        ("Home", _) => 0,
        ("End", _) => count - 1,
        ("ArrowUp", Some(i)) => i.saturating_sub(1),
        ("ArrowDown", Some(i)) => (i + 1).min(count - 1),
        _ => return,
    };
    ev.prevent_default();
    if let Some(button) = buttons.item(next) {
        let _ = button.unchecked_ref::<web_sys::HtmlElement>().focus();
    }
}

#[component]
pub fn ConversationList(open: RwSignal<bool>) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let list = controller.conversations.clone();
    let current = controller.conversation_id.clone();
    let query = RwSignal::new(String::new());
    let renaming = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    // The deleted conversation, and whether it was the open one.
    let undo = RwSignal::new(None::<(Conversation, bool)>);
    let nav = NodeRef::<leptos::html::Nav>::new();
    let format = RwSignal::new("json".to_owned());
    let scope_all = RwSignal::new(true);
    let picker = NodeRef::<leptos::html::Input>::new();
    let search = NodeRef::<leptos::html::Input>::new();
    // The drawer opening takes the focus to its search field.
    Effect::new(move |_| {
        if open.get() {
            if let Some(el) = search.get_untracked() {
                let _ = el.focus();
            }
        }
    });

    let empty = {
        let list = list.clone();
        move || list.with(|l| l.is_empty())
    };
    let shown = move || list.with(|l| rows(l, &query.get()));
    let c = controller.clone();
    let open_one = move |id: String| {
        let c = c.clone();
        spawn_local(async move {
            match c.open_conversation(&id).await {
                Ok(()) => {
                    open.set(false);
                    focus_near(nav, "[part~=input]");
                }
                Err(e) => status.set(Some(e.message)),
            }
        });
    };
    let c = controller.clone();
    let rename = move |id: String, title: String| {
        renaming.set(None);
        let c = c.clone();
        spawn_local(async move {
            if let Err(e) = c.rename_conversation(&id, &title).await {
                status.set(Some(e.message));
            }
        });
    };
    let c = controller.clone();
    let delete = move |id: String| {
        let c = c.clone();
        spawn_local(async move {
            let was_open = c.open_id() == id;
            match c.delete_conversation(&id).await {
                Ok(gone) => {
                    status.set(Some(format!("Deleted “{}”.", gone.title)));
                    undo.set(Some((gone, was_open)));
                    gloo_timers::future::TimeoutFuture::new(UNDO_MS).await;
                    undo.update(|u| {
                        if u.as_ref().is_some_and(|(u, _)| u.id == id) {
                            *u = None;
                        }
                    });
                }
                Err(e) => status.set(Some(e.message)),
            }
        });
    };
    let c = controller.clone();
    let undo_delete = move |_| {
        let Some((gone, was_open)) = undo.get_untracked() else {
            return;
        };
        undo.set(None);
        let c = c.clone();
        spawn_local(async move {
            let (id, title) = (gone.id.clone(), gone.title.clone());
            let restored = c.restore_conversation(gone).await;
            // It was on screen and nothing was started since: it comes back there too.
            if restored.is_ok() && was_open && c.entries.with_untracked(Vec::is_empty) {
                let _ = c.open_conversation(&id).await;
            }
            status.set(Some(match restored {
                Ok(()) => format!("Restored “{title}”."),
                Err(e) => e.message,
            }));
        });
    };
    let c = controller.clone();
    let export = move |_| {
        let c = c.clone();
        let ids = if scope_all.get_untracked() {
            Vec::new()
        } else {
            vec![c.open_id()]
        };
        let format = format.get_untracked();
        spawn_local(async move {
            let markdown = format != "json";
            match c
                .export_conversations(&ids, markdown, format == "markdown")
                .await
            {
                Ok(text) if markdown => download("conversations.md", &text, "text/markdown"),
                Ok(text) => download("conversations.json", &text, "application/json"),
                Err(e) => status.set(Some(e.message)),
            }
        });
    };
    let c = controller.clone();
    let import = move |_| {
        let Some(file) = picker
            .get_untracked()
            .and_then(|el| el.files())
            .and_then(|files| files.item(0))
        else {
            return;
        };
        if let Some(el) = picker.get_untracked() {
            el.set_value("");
        }
        let c = c.clone();
        spawn_local(async move {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            let Some(text) = text else {
                return status.set(Some(format!("“{}” could not be read.", file.name())));
            };
            status.set(Some(match c.import_conversations(&text).await {
                Ok(ids) => format!("Imported {} conversation(s).", ids.len()),
                Err(e) => format!("Nothing was imported: {}", e.message),
            }));
        });
    };
    let new_chat = {
        let c = controller.clone();
        move |_| {
            c.clear();
            open.set(false);
        }
    };

    // One pair of handlers for every row: the target's `data-act` and its row's `data-id`.
    let on_click = {
        let open_one = open_one.clone();
        let delete = delete.clone();
        move |ev: web_sys::MouseEvent| match action_of(&ev) {
            Some((act, id)) if act == "open" => open_one(id),
            Some((act, id)) if act == "rename" => renaming.set(Some(id)),
            Some((act, id)) if act == "delete" => delete(id),
            _ => {}
        }
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| match (ev.key().as_str(), action_of(&ev)) {
        ("F2", Some((act, id))) if act == "open" => renaming.set(Some(id)),
        ("Enter", Some((act, id))) if act == "name" => rename(id, event_target_value(&ev)),
        ("Escape", Some((act, _))) if act == "name" => {
            ev.stop_propagation();
            renaming.set(None);
        }
        _ => arrow_keys(&ev),
    };

    view! {
        <nav class="fc-list" part="conversations" aria-label="Conversations" node_ref=nav
            data-open=move || open.get().then_some("true")
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                if ev.key() == "Escape" && open.get_untracked() {
                    open.set(false);
                    focus_near(nav, ".fc-list-toggle");
                }
            }>
            <div class="fc-list-head">
                <button type="button" on:click=new_chat>"New chat"</button>
                <input type="search" aria-label="Search conversations" placeholder="Search" node_ref=search
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
            <ul class="fc-list-items" on:click=on_click on:keydown=on_keydown>
                <For each=shown key=|row| row.clone() let:row>
                    {
                        let (id, title, updated) = row;
                        let is_current = {
                            let id = id.clone();
                            let current = current.clone();
                            move || current.with(|c| *c == id)
                        };
                        let is_renaming = {
                            let id = id.clone();
                            move || renaming.with(|r| r.as_deref() == Some(id.as_str()))
                        };
                        let (rename_label, delete_label) =
                            (format!("Rename “{title}”"), format!("Delete “{title}”"));
                        let label = title.clone();
                        view! {
                            <li class="fc-conv" data-id=id aria-current=move || is_current().then_some("true")>
                                <Show when=is_renaming fallback=move || view! {
                                    <button type="button" class="fc-conv-open" data-act="open">
                                        <span>{title.clone()}</span>
                                        <small>{date_of(updated)}</small>
                                    </button>
                                }>
                                    <input class="fc-conv-name" data-act="name" aria-label="New title"
                                        prop:value=label.clone() autofocus/>
                                </Show>
                                <button type="button" class="fc-conv-act" data-act="rename"
                                    aria-label=rename_label title="Rename (F2)">"✎"</button>
                                <button type="button" class="fc-conv-act" data-act="delete"
                                    aria-label=delete_label title="Delete">"✕"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=empty>
                <p class="fc-list-empty">"Your conversations appear here."</p>
            </Show>
            <div class="fc-list-foot">
                <p role="status" class="fc-list-status">
                    {move || status.get()}
                    <Show when=move || undo.with(Option::is_some)>
                        " " <button type="button" on:click=undo_delete.clone()>"Undo"</button>
                    </Show>
                </p>
                <div class="fc-list-tools">
                    <select aria-label="Export format" on:change=move |ev| format.set(event_target_value(&ev))>
                        <option value="json">"JSON"</option>
                        <option value="markdown">"Markdown"</option>
                        <option value="markdown-text">"Markdown, no images"</option>
                    </select>
                    <select aria-label="Export which" on:change=move |ev| scope_all.set(event_target_value(&ev) == "all")>
                        <option value="all">"All"</option>
                        <option value="open">"This one"</option>
                    </select>
                    <button type="button" on:click=export>"Export"</button>
                    <button type="button" on:click=move |_| { if let Some(el) = picker.get_untracked() { el.click() } }>
                        "Import…"
                    </button>
                    <input type="file" accept=".json,application/json" hidden tabindex="-1" node_ref=picker
                        on:change=import/>
                </div>
            </div>
        </nav>
    }
}
