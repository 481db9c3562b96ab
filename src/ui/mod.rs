//! The chat UI (Leptos components) rendered inside the element's shadow root.

mod attach;
mod composer;
mod conversations;
mod markdown;
mod message;
mod settings;
mod tools;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::session::ChatController;
use chat_core::named::Named;
use chat_core::types::Role;
use composer::Composer;
use message::{Message, Reply};

/// The shadow root's stylesheet (`style/component.css` without comments and spaces: build.rs).
pub const STYLES: &str = include_str!(concat!(env!("OUT_DIR"), "/component.css"));

/// Distance from the bottom (px) within which the list follows new text.
const STICK_THRESHOLD: i32 = 48;

#[component]
pub fn App(controller: ChatController) -> impl IntoView {
    provide_context(controller.clone());
    let settings = controller.settings.clone();
    let theme = move || settings.with(|s| Named::as_str(s.theme));
    let announcement = controller.announcement.clone();
    let attachments = attach::Attachments::provide();
    let drop_target = controller.clone();
    let listed = {
        let settings = controller.settings.clone();
        move || settings.with(crate::settings::Settings::lists_conversations)
    };
    // The list as a drawer (in a narrow chat): open or not.
    let drawer = RwSignal::new(false);
    provide_context(Drawer(drawer));
    // The list is built a frame after the chat (its place kept empty): the composer is
    // usable first.
    let built = RwSignal::new(false);
    request_animation_frame(move || built.set(true));
    let storage_notice = controller.storage_notice.clone();
    view! {
        <div class="fc-app" data-theme=theme
            on:dragover=move |ev| attachments.drag_over(&ev)
            on:dragleave=move |ev| attachments.drag_leave(&ev)
            on:drop=move |ev| attachments.drop(&drop_target, &ev)>
            <Show when=listed.clone()>
                <Show when=move || built.get() fallback=|| view! { <div class="fc-list"></div> }>
                    <conversations::ConversationList open=drawer/>
                </Show>
            </Show>
            <div class="fc-main">
                <Header/>
                <MessageList/>
                {move || storage_notice.get().map(|n| view! {
                    <p class="fc-notice fc-storage-notice" part="notice" role="alert">{n} " "
                        <button type="button" on:click={
                            let storage_notice = storage_notice.clone();
                            move |_| storage_notice.set(None)
                        }>"Dismiss"</button>
                    </p>
                })}
                <Composer/>
            </div>
            <div class="fc-sr" role="status" aria-live="polite">{move || announcement.get()}</div>
        </div>
    }
}

/// Whether the conversation list's drawer is open (narrow chats only).
#[derive(Clone, Copy)]
struct Drawer(RwSignal<bool>);

#[component]
fn Header() -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let settings = controller.settings.clone();
    // Ask the endpoint for its model whenever where or how we reach it changes.
    let target = Memo::new({
        let settings = settings.clone();
        move |_| {
            settings.with(|s| {
                (
                    s.endpoint.clone(),
                    s.api_style,
                    s.model.clone(),
                    s.auth_mode,
                    s.api_key.clone(),
                )
            })
        }
    });
    Effect::new({
        let controller = controller.clone();
        move |_| {
            if !target.with(|t| t.0.is_empty()) {
                controller.load_model_info();
            }
        }
    });
    let info = controller.model_info.clone();
    let title = {
        let settings = settings.clone();
        move || match info.get() {
            Some(Ok(info)) => info.model_name,
            _ => settings.with(|s| s.model.clone().unwrap_or_else(|| "Chat".to_owned())),
        }
    };
    let info = controller.model_info.clone();
    let detail = move || match info.get() {
        Some(Ok(info)) => [info.model_provider_name, info.model_type]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        _ => String::new(),
    };
    let open = RwSignal::new(false);
    let hidden = Signal::derive(move || settings.with(|s| s.settings_hidden));
    let clear = {
        let controller = controller.clone();
        move |_| controller.clear()
    };
    let listed = {
        let settings = controller.settings.clone();
        move || settings.with(crate::settings::Settings::lists_conversations)
    };
    let drawer = expect_context::<Drawer>().0;
    view! {
        <header class="fc-header">
            <Show when=listed>
                <button type="button" class="fc-list-toggle" aria-label="Conversations"
                    aria-expanded=move || drawer.get().to_string()
                    on:click=move |_| drawer.update(|o| *o = !*o)>"☰"</button>
            </Show>
            <span class="fc-title">{title} <small>{detail}</small></span>
            <button type="button" on:click=clear title="Start a new conversation">"New chat"</button>
            <Show when=move || !hidden.get()>
                <button type="button" part="settings" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>"Settings"</button>
            </Show>
        </header>
        <Show when=move || open.get() && !hidden.get()>
            <settings::SettingsPanel on_close=Callback::new(move |()| open.set(false))/>
        </Show>
    }
}

#[component]
fn MessageList() -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let entries = controller.entries.clone();
    let live = controller.live.clone();
    let notice = controller.notice.clone();
    let list = NodeRef::<html::Div>::new();
    let stick = RwSignal::new(true);

    // Following stops only when the user scrolls up (content growing under a programmatic
    // scroll must not count), and resumes when they come back to the bottom.
    let last_top = StoredValue::new(0);
    let on_scroll = move |_| {
        if let Some(el) = list.get_untracked() {
            let top = el.scroll_top();
            let gap = el.scroll_height() - top - el.client_height();
            if gap <= STICK_THRESHOLD {
                stick.set(true);
            } else if top < last_top.get_value() {
                stick.set(false);
            }
            last_top.set_value(top);
        }
    };
    // (`try_`: a follow-up scheduled for the next frame may run after the list was unmounted.)
    let follow = move || {
        if stick.try_get_untracked() == Some(true) {
            if let Some(el) = list.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        }
    };
    let jump = move |_| {
        stick.set(true);
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
    };
    let on_click = move |ev: web_sys::MouseEvent| copy_code(&ev);
    let empty = {
        let entries = entries.clone();
        let live = live.clone();
        move || entries.with(|e| e.is_empty()) && live.with(|l| l.is_none())
    };
    provide_context(Follow(std::sync::Arc::new(follow)));
    // The rows by id: the entries, then the reply being streamed, which keeps its row (and
    // its DOM) when it becomes the entry of the same id.
    let rows = {
        let entries = entries.clone();
        let live = live.clone();
        move || {
            let mut ids: Vec<String> = entries.with(|e| e.iter().map(|e| e.id.clone()).collect());
            if let Some(id) = live.with(|l| l.as_ref().map(|l| l.id.clone())) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids
        }
    };

    view! {
        <div class="fc-messages" part="messages" node_ref=list on:scroll=on_scroll on:click=on_click
            role="log" aria-label="Conversation">
            <Show when=empty>
                <p class="fc-empty">"Ask anything. Enter sends, Shift+Enter adds a line."</p>
            </Show>
            <For each=rows key=|id| id.clone() let:id>
                {row(&controller, id)}
            </For>
            {move || notice.get().map(|n| view! { <p class="fc-notice" part="notice" role="status">{n}</p> })}
            <Show when=move || !stick.get()>
                <button class="fc-jump" type="button" on:click=jump>"Jump to latest ↓"</button>
            </Show>
        </div>
    }
}

/// The row of `id`: a user or tool message, or an assistant reply (finished or streaming).
fn row(controller: &ChatController, id: String) -> AnyView {
    let entry = controller
        .entries
        .with_untracked(|e| e.iter().find(|e| e.id == id).cloned());
    match entry {
        Some(entry) if entry.message.role() != Role::Assistant => {
            view! { <Message entry/> }.into_any()
        }
        _ => view! { <Reply id/> }.into_any(),
    }
}

/// Scrolls the list to the newest text unless the user scrolled up.
#[derive(Clone)]
pub struct Follow(pub std::sync::Arc<dyn Fn() + Send + Sync>);

/// The one delegated listener behind every code block's Copy button.
fn copy_code(ev: &web_sys::MouseEvent) {
    let Some(target) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Ok(Some(button)) = target.closest(&format!("[{}]", markdown::COPY_ATTR)) else {
        return;
    };
    let code = button
        .parent_element()
        .and_then(|head| head.next_element_sibling())
        .and_then(|pre| pre.text_content())
        .unwrap_or_default();
    write_clipboard(&code);
    button.set_text_content(Some("Copied"));
}

/// Copies text to the clipboard (best effort: a refused permission leaves it unchanged).
pub fn write_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

#[cfg(test)]
mod tests {
    use super::STYLES;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Each rule of a stylesheet as the browser reads it back.
    fn rules(css: &str) -> Vec<String> {
        let sheet = web_sys::CssStyleSheet::new().expect("a stylesheet");
        sheet.replace_sync(css).expect("the stylesheet parses");
        let list = sheet.css_rules().expect("its rules");
        (0..list.length())
            .map(|i| list.item(i).expect("a rule").css_text())
            .collect()
    }

    #[wasm_bindgen_test]
    fn the_minified_stylesheet_has_the_source_rules() {
        let source = include_str!("../../style/component.css");
        assert!(
            STYLES.len() < source.len() * 9 / 10,
            "{} bytes",
            STYLES.len()
        );
        assert!(!STYLES.contains("/*"));
        let (expected, got) = (rules(source), rules(STYLES));
        assert!(expected.len() > 100, "{} rules", expected.len());
        assert_eq!(got.len(), expected.len());
        for (got, expected) in got.iter().zip(&expected) {
            assert_eq!(got, expected);
        }
    }
}
