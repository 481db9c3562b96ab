//! One message of the conversation: a finished entry (rendered once) or the reply being
//! streamed (its DOM grows block by block).

use std::cell::RefCell;
use std::rc::Rc;

use chat_core::error::ChatError;
use chat_core::transcript::Entry;
use chat_core::types::Role;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::markdown::{render_blocks, StreamingRenderer};
use super::Follow;
use crate::session::LiveReply;

#[component]
pub fn Message(entry: Entry) -> impl IntoView {
    let role = entry.message.role();
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
        body.on_load(move |el| {
            if let Some(doc) = el.owner_document() {
                render_blocks(&doc, &el, &chat_markdown::parse(&markdown));
            }
        });
    }
    let plain = (role != Role::Assistant).then(|| text.clone());
    let reasoning = entry.reasoning.clone().filter(|r| !r.is_empty());
    let stopped = entry.stopped;
    let error = entry.error.clone();
    view! {
        <article class="fc-message" part=part data-role=role_name data-state=state data-id=entry.id.clone()>
            {reasoning.map(|r| view! { <Reasoning text=r/> })}
            <div class="fc-body" node_ref=body>{plain}</div>
            {stopped.then(|| view! { <p class="fc-mark">"Stopped — the reply above is partial."</p> })}
            {error.map(|e| view! { <ErrorNotice error=e/> })}
        </article>
    }
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

/// The reply being streamed.
#[component]
pub fn LiveMessage(reply: LiveReply) -> impl IntoView {
    let body = NodeRef::<html::Div>::new();
    let follow = use_context::<Follow>();
    let renderer: Rc<RefCell<Option<(StreamingRenderer, usize)>>> = Rc::new(RefCell::new(None));
    let content = reply.content.clone();
    Effect::new(move |_| {
        let Some(el) = body.get() else { return };
        let mut slot = renderer.borrow_mut();
        if slot.is_none() {
            let Some(doc) = el.owner_document() else {
                return;
            };
            *slot = Some((StreamingRenderer::new(doc, el.unchecked_into()), 0));
        }
        let Some((renderer, shown)) = slot.as_mut() else {
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
    view! {
        <article class="fc-message" part="message message-assistant" data-role="assistant"
            data-state="streaming" aria-busy="true">
            {move || {
                let r = reasoning.get();
                (!r.is_empty()).then(|| view! { <Reasoning text=r/> })
            }}
            <Show when=move || !started.get()>
                <p class="fc-mark">"Waiting for the reply…"</p>
            </Show>
            <div class="fc-body" node_ref=body></div>
        </article>
    }
}
