//! One message of the conversation: a finished entry (rendered once) or the reply being
//! streamed (its DOM grows block by block).

use std::cell::RefCell;
use std::rc::Rc;

use chat_core::error::ChatError;
use chat_core::transcript::Entry;
use chat_core::types::{Content, FinishReason, Part, Role};
use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

use super::markdown::{render_blocks, StreamingRenderer};
use super::tools::{PendingCalls, StreamingCalls, ToolMessage};
use super::Follow;
use crate::session::{ChatController, LiveReply};

#[component]
pub fn Message(entry: Entry) -> impl IntoView {
    let role = entry.message.role();
    if role == Role::Tool {
        return view! { <ToolMessage entry/> }.into_any();
    }
    let (role_name, part) = match role {
        Role::User => ("user", "message message-user"),
        Role::Assistant => ("assistant", "message message-assistant"),
        Role::Tool => ("tool", "message message-tool"),
        Role::System => ("system", "message"),
    };
    let text = entry.message.content().text();
    let state = if entry.error.is_some() {
        "error"
    } else if entry.stopped {
        "stopped"
    } else {
        "complete"
    };
    let body = NodeRef::<html::Div>::new();
    if role == Role::Assistant {
        let markdown = text.clone();
        let handoff = use_context::<Handoff>();
        let id = entry.id.clone();
        body.on_load(move |el| {
            // The reply that just streamed already has its DOM: move it, don't rebuild it.
            if let Some(live) = handoff.and_then(|h| h.take(&id, &markdown)) {
                // The rendered blocks, not the live view's own placeholder comment.
                let blocks = live.child_nodes();
                let moved: Vec<web_sys::Node> = (0..blocks.length())
                    .filter_map(|i| blocks.get(i))
                    .filter(|n| n.node_type() != web_sys::Node::COMMENT_NODE)
                    .collect();
                for block in moved {
                    let _ = el.append_child(&block);
                }
            } else if let Some(doc) = el.owner_document() {
                render_blocks(&doc, &el, &chat_markdown::parse(&markdown));
            }
        });
    }
    let images = sent_images(entry.message.content());
    let reasoning = entry.reasoning.clone().filter(|r| !r.is_empty());
    let stopped = entry.stopped;
    let error = entry.error.clone();
    let cut_off = entry.finish_reason == Some(FinishReason::Length);
    let filtered = entry.finish_reason == Some(FinishReason::ContentFilter);
    let editing = RwSignal::new(false);
    let id = entry.id.clone();
    let user_body = (role != Role::Assistant).then(|| {
        let text = text.clone();
        view! {
            <Show when=move || !editing.get() fallback={
                let id = id.clone();
                let text = text.clone();
                move || view! { <EditBox id=id.clone() text=text.clone() editing/> }
            }>
                <div class="fc-body">{text.clone()}</div>
            </Show>
        }
    });
    let assistant_body =
        (role == Role::Assistant).then(|| view! { <div class="fc-body" node_ref=body></div> });
    let calls = match &entry.message {
        chat_core::types::Message::Assistant {
            tool_calls: Some(calls),
            ..
        } if !calls.is_empty() => Some(calls.clone()),
        _ => None,
    };
    let calls_only = calls.is_some() && text.trim().is_empty() && entry.error.is_none();
    let actions = match role {
        // A reply that only calls tools has nothing to copy or regenerate on its own.
        Role::Assistant if calls_only => None,
        Role::Assistant => {
            Some(view! { <AssistantActions entry=entry.clone() text=text.clone()/> }.into_any())
        }
        Role::User => Some(
            view! {
                <div class="fc-actions">
                    <button type="button" on:click=move |_| editing.set(true)
                        aria-label="Edit this message and send it again">"Edit"</button>
                </div>
            }
            .into_any(),
        ),
        _ => None,
    };
    view! {
        <article class=if calls_only { "fc-message fc-calls-only" } else { "fc-message" }
            part=part data-role=role_name data-state=state data-id=entry.id.clone()>
            {reasoning.map(|r| view! { <Reasoning text=r/> })}
            {assistant_body}
            {calls.map(|calls| view! { <PendingCalls calls/> })}
            {user_body}
            {images}
            {stopped.then(|| view! { <p class="fc-mark">"Stopped — the reply above is partial."</p> })}
            {cut_off.then(|| view! { <ContinueNotice/> })}
            {filtered.then(|| view! {
                <div class="fc-error" part="error" role="alert" data-kind="content_filter">
                    <p><strong>"Blocked by the content filter"</strong></p>
                    <p>"The reply was cut off because the content filter flagged it. The text above is partial."</p>
                </div>
            })}
            {error.map(|e| view! { <ErrorNotice error=e/> })}
            {actions}
        </article>
    }
    .into_any()
}

/// The inline editor of a user message: Save & resend replaces the turns after it.
#[component]
fn EditBox(id: String, text: String, editing: RwSignal<bool>) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let draft = RwSignal::new(text);
    let problem = RwSignal::new(None::<String>);
    let save = move |_| match controller.edit_and_resend(&id, draft.get_untracked()) {
        Ok(()) => editing.set(false),
        Err(e) => problem.set(Some(e.message)),
    };
    view! {
        <div class="fc-edit">
            <textarea aria-label="Edit message" prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
            {move || problem.get().map(|p| view! { <p class="fc-notice" role="alert">{p}</p> })}
            <div class="fc-actions">
                <button type="button" on:click=save>"Save & resend"</button>
                <button type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </div>
    }
}

/// "Cut off at the token limit", with Continue.
#[component]
fn ContinueNotice() -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let go = move |_| {
        let _ = controller.send_text("Continue exactly where you stopped.".to_owned());
    };
    view! {
        <div class="fc-notice" role="note">
            "Cut off at the token limit. "
            <button type="button" on:click=go>"Continue"</button>
        </div>
    }
}

/// Copy, Regenerate (or Retry after an error) and Details of a reply.
#[component]
fn AssistantActions(entry: Entry, text: String) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let copied = RwSignal::new(false);
    let id = entry.id.clone();
    let again_label = if entry.error.is_some() {
        "Retry"
    } else {
        "Regenerate"
    };
    let again = move |_| {
        let _ = controller.regenerate(&id);
    };
    let copy = move |_| {
        super::write_clipboard(&text);
        copied.set(true);
    };
    let usage = entry.usage.as_ref().map(|u| {
        let n = |k: &str| {
            u.get(k)
                .and_then(|v| v.as_u64())
                .map_or("?".to_owned(), |v| v.to_string())
        };
        format!(
            "{} prompt + {} completion = {} tokens",
            n("prompt_tokens"),
            n("completion_tokens"),
            n("total_tokens")
        )
    });
    let details = [
        entry.model.clone().map(|m| format!("Model: {m}")),
        usage.map(|u| format!("Usage: {u}")),
        entry
            .finish_reason
            .as_ref()
            .map(|f| format!("Finish reason: {}", f.as_str())),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    let has_details = !details.is_empty();
    view! {
        <div class="fc-actions">
            <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            <button type="button" on:click=again>{again_label}</button>
        </div>
        {has_details.then(|| view! {
            <details class="fc-meta">
                <summary>"Details"</summary>
                <ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
            </details>
        })}
    }
}

/// The images of a message, shown only when they are `data:` URLs (nothing is fetched from
/// other hosts).
fn sent_images(content: &Content) -> Option<impl IntoView> {
    let Content::Parts(parts) = content else {
        return None;
    };
    let urls: Vec<String> = parts
        .iter()
        .filter_map(|p| match p {
            Part::ImageUrl { image_url } if image_url.url.starts_with("data:image/") => {
                Some(image_url.url.clone())
            }
            _ => None,
        })
        .collect();
    let count = urls.len();
    (count > 0).then(|| {
        let images = urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| {
                view! { <img src=url alt=format!("Attached image {} of {count}", i + 1)/> }
            })
            .collect_view();
        view! { <div class="fc-images">{images}</div> }
    })
}

#[component]
fn Reasoning(text: String) -> impl IntoView {
    view! {
        <details class="fc-reasoning">
            <summary>"Reasoning"</summary>
            <div>{text}</div>
        </details>
    }
}

/// An error in plain words: what happened (the server's words) and what to do.
#[component]
pub fn ErrorNotice(error: ChatError) -> impl IntoView {
    let title = error_title(&error);
    let categories = error
        .categories
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|cats| {
            let named: Vec<String> = cats
                .iter()
                .map(|c| match &c.severity {
                    Some(severity) => format!("{} ({severity})", c.category),
                    None => c.category.clone(),
                })
                .collect();
            format!("Categories: {}.", named.join(", "))
        });
    view! {
        <div class="fc-error" part="error" role="alert" data-kind=error.kind.as_str()>
            <p><strong>{title}</strong></p>
            <p>{error.message.clone()}</p>
            {categories.map(|c| view! { <p>{c}</p> })}
            {error.hint.clone().map(|h| view! { <p>{h}</p> })}
        </div>
    }
}

fn error_title(error: &ChatError) -> String {
    use chat_core::error::ErrorKind as K;
    let base = match error.kind {
        K::ContentFilter => "Blocked by the content filter",
        K::Auth => "Not authorized",
        K::NotFound => "Not found",
        K::RateLimit => "Too many requests",
        K::QuotaExceeded => "Quota exceeded",
        K::UnsupportedParameter => "Unsupported parameter",
        K::ContextLengthExceeded => "The conversation is too long for this model",
        K::BadRequest => "The request was refused",
        K::ServerError => "The server had a problem",
        K::Network => "Connection problem",
        K::StreamError => "The reply broke off with an error",
        K::InvalidResponse => "Unexpected response",
        K::InvalidInput => "Cannot send",
        K::Aborted => "Stopped",
    };
    match error.status {
        Some(status) => format!("{base} ({status})"),
        None => base.to_owned(),
    }
}

/// Where the streamed reply's renderer stands.
enum LiveDom {
    NotStarted,
    Rendering(StreamingRenderer, usize),
    /// Its DOM went to the finished message.
    HandedOff,
}

/// The renderer of the reply being streamed, by reply id, so that the finished message of
/// that reply takes over its DOM instead of parsing and building the whole reply again
/// (one long task at the end of a long reply).
#[derive(Clone)]
pub struct Handoff(SendWrapper<Rc<RefCell<Option<LiveSlot>>>>);

/// A streamed reply's id and renderer.
type LiveSlot = (String, Rc<RefCell<LiveDom>>);

impl Default for Handoff {
    fn default() -> Self {
        Handoff(SendWrapper::new(Rc::new(RefCell::new(None))))
    }
}

impl Handoff {
    fn register(&self, id: &str, dom: Rc<RefCell<LiveDom>>) {
        *self.0.borrow_mut() = Some((id.to_owned(), dom));
    }

    /// The DOM of reply `id` if it was streamed and shows exactly `text`.
    fn take(&self, id: &str, text: &str) -> Option<web_sys::Element> {
        let dom = {
            let mut slot = self.0.borrow_mut();
            match slot.take() {
                Some((live_id, dom)) if live_id == id => dom,
                other => {
                    // Another reply's renderer stays for its own message.
                    *slot = other;
                    return None;
                }
            }
        };
        let state = std::mem::replace(&mut *dom.borrow_mut(), LiveDom::HandedOff);
        match state {
            LiveDom::Rendering(renderer, _) => renderer.finish(text),
            LiveDom::NotStarted | LiveDom::HandedOff => None,
        }
    }
}

/// The reply being streamed.
#[component]
pub fn LiveMessage(reply: LiveReply) -> impl IntoView {
    let body = NodeRef::<html::Div>::new();
    let follow = use_context::<Follow>();
    let dom = Rc::new(RefCell::new(LiveDom::NotStarted));
    if let Some(handoff) = use_context::<Handoff>() {
        handoff.register(&reply.id, dom.clone());
    }
    let content = reply.content.clone();
    Effect::new(move |_| {
        let Some(el) = body.get() else { return };
        let mut slot = dom.borrow_mut();
        if matches!(*slot, LiveDom::NotStarted) {
            let Some(doc) = el.owner_document() else {
                return;
            };
            *slot = LiveDom::Rendering(StreamingRenderer::new(doc, el.unchecked_into()), 0);
        }
        let LiveDom::Rendering(renderer, shown) = &mut *slot else {
            return;
        };
        content.with(|text| {
            if text.len() > *shown {
                renderer.push(&text[*shown..]);
                *shown = text.len();
            }
        });
        if let Some(Follow(follow)) = &follow {
            follow();
        }
    });
    let reasoning = reply.reasoning.clone();
    let started = reply.started.clone();
    let calls = reply.tool_calls.clone();
    view! {
        <article class="fc-message" part="message message-assistant" data-role="assistant"
            data-state="streaming" aria-busy="true" data-id=reply.id.clone()>
            {move || {
                let r = reasoning.get();
                (!r.is_empty()).then(|| view! { <Reasoning text=r/> })
            }}
            <Show when=move || !started.get()>
                <p class="fc-mark">"Waiting for the reply…"</p>
            </Show>
            <div class="fc-body" node_ref=body></div>
            <StreamingCalls calls/>
        </article>
    }
}
