//! One message of the conversation: a user or tool message (rendered once), or an assistant
//! reply, whose row shows it while it streams (its DOM grows block by block) and then, in
//! place, as the finished entry.

use std::cell::RefCell;
use std::rc::Rc;

use chat_core::error::ChatError;
use chat_core::transcript::Entry;
use chat_core::types::{Content, FinishReason, Part, Role};
use leptos::html;
use leptos::prelude::*;
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
        _ => ("system", "message"),
    };
    let text = entry.message.content().text();
    let images = sent_images(entry.message.content());
    let editing = RwSignal::new(false);
    let id = entry.id.clone();
    let actions = (role == Role::User).then(|| {
        view! {
            <div class="fc-actions">
                <button type="button" on:click=move |_| editing.set(true)
                    aria-label="Edit this message and send it again">"Edit"</button>
            </div>
        }
    });
    view! {
        <article class="fc-message" part=part data-role=role_name data-state="complete"
            data-id=entry.id.clone()>
            <Show when=move || !editing.get() fallback={
                let id = id.clone();
                let text = text.clone();
                move || view! { <EditBox id=id.clone() text=text.clone() editing/> }
            }>
                <div class="fc-body">{text.clone()}</div>
            </Show>
            {images}
            {actions}
        </article>
    }
    .into_any()
}

/// Where an assistant message's renderer stands.
enum BodyDom {
    NotStarted,
    Streaming(StreamingRenderer, usize),
    /// The body shows this finished text.
    Done(String),
}

/// An assistant message, by id: the reply while it streams, then its finished entry — one
/// row of the list for both, so the streamed DOM stays where it is when the reply ends (no
/// second parse, no re-insertion of thousands of nodes).
#[component]
pub fn Reply(id: String) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let follow = use_context::<Follow>();
    let finished = {
        let entries = controller.entries.clone();
        let id = id.clone();
        Memo::new(move |_| entries.with(|e| e.iter().find(|e| e.id == id).cloned()))
    };
    let live = {
        let live = controller.live.clone();
        let id = id.clone();
        move || live.get().filter(|l: &LiveReply| l.id == id)
    };
    let body = NodeRef::<html::Div>::new();
    let dom = Rc::new(RefCell::new(BodyDom::NotStarted));
    {
        let dom = dom.clone();
        let live = live.clone();
        let follow = follow.clone();
        Effect::new(move |_| {
            let Some(el) = body.get() else { return };
            if finished.with(Option::is_some) {
                return;
            }
            let Some(reply) = live() else { return };
            let mut state = dom.borrow_mut();
            if matches!(*state, BodyDom::NotStarted) {
                let Some(doc) = el.owner_document() else {
                    return;
                };
                *state = BodyDom::Streaming(StreamingRenderer::new(doc, el.unchecked_into()), 0);
            }
            let BodyDom::Streaming(renderer, shown) = &mut *state else {
                return;
            };
            reply.content.with(|text| {
                if text.len() > *shown {
                    renderer.push(&text[*shown..]);
                    *shown = text.len();
                }
            });
            if let Some(Follow(follow)) = &follow {
                follow();
            }
        });
    }
    Effect::new(move |_| {
        let Some(el) = body.get() else { return };
        let Some((text, state, calls_only)) = finished.with(|f| {
            f.as_ref()
                .map(|e| (e.message.content().text(), entry_state(e), is_calls_only(e)))
        }) else {
            return;
        };
        // The article's state, set once when the reply is finished (one effect, not three
        // reactive attributes).
        if let Some(article) = el.parent_element() {
            let _ = article.set_attribute("data-state", state);
            let _ = article.remove_attribute("aria-busy");
            if calls_only {
                let _ = article.class_list().add_1("fc-calls-only");
            }
        }
        let state = std::mem::replace(&mut *dom.borrow_mut(), BodyDom::Done(text.clone()));
        let kept = match state {
            BodyDom::Streaming(renderer, _) => renderer.finish(&text),
            BodyDom::NotStarted => false,
            // A transcript set again with this id and other text shows the new text.
            BodyDom::Done(shown) => shown == text,
        };
        if !kept {
            el.set_text_content(None);
            if let Some(doc) = el.owner_document() {
                render_blocks(&doc, &el, &chat_markdown::parse(&text));
            }
        }
        // The footer (actions, notices) comes with the finished state: keep it in view.
        if let Some(Follow(follow)) = &follow {
            let follow = follow.clone();
            request_animation_frame(move || follow());
        }
    });
    let reasoning = {
        let live = live.clone();
        move || {
            let text = match finished.get() {
                Some(entry) => entry.reasoning.unwrap_or_default(),
                None => live().map(|l| l.reasoning.get()).unwrap_or_default(),
            };
            (!text.is_empty()).then(|| view! { <Reasoning text/> })
        }
    };
    // While the body is still empty, "Waiting…" after it reads the same as before it.
    let after_body = move || match finished.get() {
        Some(entry) => view! { <ReplyFooter entry/> }.into_any(),
        None => live().map(streaming_parts).into_any(),
    };
    view! {
        <article class="fc-message" part="message message-assistant" data-role="assistant"
            data-state="streaming" aria-busy="true" data-id=id>
            {reasoning}
            <div class="fc-body" node_ref=body></div>
            {after_body}
        </article>
    }
}

/// "Waiting for the reply…" until the first byte, and the tool calls as they stream.
fn streaming_parts(reply: LiveReply) -> impl IntoView {
    let started = reply.started;
    let waiting =
        move || (!started.get()).then(|| view! { <p class="fc-mark">"Waiting for the reply…"</p> });
    view! {
        {waiting}
        <StreamingCalls calls=reply.tool_calls/>
    }
}

/// A finished reply's pending tool calls, marks, notices, error and actions.
#[component]
fn ReplyFooter(entry: Entry) -> impl IntoView {
    let cut_off = entry.finish_reason == Some(FinishReason::Length);
    let filtered = entry.finish_reason == Some(FinishReason::ContentFilter);
    // A reply that only calls tools has nothing to copy or regenerate on its own.
    let actions = (!is_calls_only(&entry)).then(|| {
        let text = entry.message.content().text();
        view! { <AssistantActions entry=entry.clone() text/> }
    });
    view! {
        {tool_calls_of(&entry).map(|calls| view! { <PendingCalls calls/> })}
        {entry.stopped.then(|| view! { <p class="fc-mark">{stopped_notice(&entry)}</p> })}
        {cut_off.then(|| view! { <ContinueNotice/> })}
        {filtered.then(|| view! {
            <div class="fc-error" part="error" role="alert" data-kind="content_filter">
                <p><strong>"Blocked by the content filter"</strong></p>
                <p>"The reply was cut off because the content filter flagged it. The text above is partial."</p>
            </div>
        })}
        {entry.error.clone().map(|e| view! { <ErrorNotice error=e/> })}
        {actions}
    }
}

/// The mark of a stopped reply: partial, or stopped before anything of it arrived.
fn stopped_notice(entry: &Entry) -> &'static str {
    let nothing_arrived = entry.message.content().text().trim().is_empty()
        && tool_calls_of(entry).is_none()
        && entry.reasoning.as_deref().is_none_or(str::is_empty);
    if nothing_arrived {
        "Stopped before the reply began."
    } else {
        "Stopped — the reply above is partial."
    }
}

/// `data-state` of a finished assistant message.
fn entry_state(entry: &Entry) -> &'static str {
    if entry.error.is_some() {
        "error"
    } else if entry.stopped {
        "stopped"
    } else {
        "complete"
    }
}

/// The tool calls of an assistant entry, if it made any.
fn tool_calls_of(entry: &Entry) -> Option<Vec<chat_core::types::ToolCall>> {
    match &entry.message {
        chat_core::types::Message::Assistant {
            tool_calls: Some(calls),
            ..
        } if !calls.is_empty() => Some(calls.clone()),
        _ => None,
    }
}

/// A reply that only calls tools (no text, no error): its cards are all there is to show.
fn is_calls_only(entry: &Entry) -> bool {
    tool_calls_of(entry).is_some()
        && entry.message.content().text().trim().is_empty()
        && entry.error.is_none()
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
    let base = error.kind.title();
    match error.status {
        Some(status) => format!("{base} ({status})"),
        None => base.to_owned(),
    }
}
