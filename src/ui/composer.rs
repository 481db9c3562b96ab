//! The composer: the message field with Attach / Send / Stop (Enter sends, Shift+Enter adds
//! a line), the attached images' thumbnails and the refusals of files that were not attached.
//! Pasting images into the field attaches them; Send waits until every image is ready.

use leptos::html;
use leptos::prelude::*;

use super::attach::{files_of, Attachments, Refusals, Thumbnails};
use crate::session::{ChatController, Status};

#[component]
pub fn Composer() -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let attachments = expect_context::<Attachments>();
    let text = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let status = controller.status.clone();
    let retry_wait = controller.retry_wait.clone();
    let busy = {
        let status = status.clone();
        move || status.get() != Status::Idle
    };
    let input = NodeRef::<html::Textarea>::new();
    let picker = NodeRef::<html::Input>::new();

    let send = {
        let controller = controller.clone();
        move || {
            if attachments.processing() {
                notice.set(Some(
                    "The images are still being prepared; Send works once they are ready."
                        .to_owned(),
                ));
                return;
            }
            let value = text.get_untracked();
            match controller.send_message(value, attachments.ready()) {
                Ok(()) => {
                    text.set(String::new());
                    notice.set(None);
                    attachments.clear();
                }
                Err(e) => notice.set(Some(e.message)),
            }
        }
    };
    let on_keydown = {
        let send = send.clone();
        move |ev: web_sys::KeyboardEvent| {
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                ev.prevent_default();
                send();
            }
        }
    };
    let on_paste = {
        let controller = controller.clone();
        move |ev: web_sys::ClipboardEvent| {
            if attachments.add_transfer(&controller, ev.clipboard_data()) {
                ev.prevent_default();
            }
        }
    };
    let on_pick = {
        let controller = controller.clone();
        move |_| {
            let Some(el) = picker.get_untracked() else {
                return;
            };
            if let Some(list) = el.files() {
                attachments.add(&controller, files_of(list));
            }
            // The same file can be picked again after being removed.
            el.set_value("");
        }
    };
    let stop = {
        let controller = controller.clone();
        move |_| {
            controller.stop();
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
            }
        }
    };
    let busy2 = busy.clone();
    let preparing = move || attachments.processing();
    view! {
        <form class="fc-composer" part="composer" on:submit=move |ev| { ev.prevent_default(); send() }
            data-drop=move || attachments.dragging.get().then_some("true")>
            <Thumbnails/>
            <input type="file" multiple accept="image/*" hidden tabindex="-1" node_ref=picker
                on:change=on_pick/>
            <button class="fc-attach" part="attach" type="button" aria-label="Attach images"
                title="Attach images (or paste or drop them)"
                on:click=move |_| { if let Some(el) = picker.get_untracked() { el.click() } }>
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="none"
                    stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"
                    d="M21 12.5l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l9-9a3.7 3.7 0 0 1 5.2 5.2l-9 9a1.8 1.8 0 0 1-2.6-2.6l8.3-8.3"/></svg>
            </button>
            <textarea part="input" node_ref=input rows="1" aria-label="Message"
                placeholder="Type a message…"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=on_keydown
                on:paste=on_paste></textarea>
            <Show when=move || !busy()>
                <button class="fc-send" part="send" type="submit"
                    aria-disabled=move || preparing().then_some("true")>
                    {move || if preparing() { "Preparing…" } else { "Send" }}
                </button>
            </Show>
            <Show when=busy2.clone()>
                <button class="fc-stop" part="stop" type="button" on:click=stop.clone()>"Stop"</button>
            </Show>
        </form>
        <Refusals/>
        {move || notice.get().map(|n| view! { <p class="fc-notice" role="alert">{n}</p> })}
        {move || retry_wait.get().map(|w| view! {
            <p class="fc-notice" role="status" data-retry=w.seconds_left>
                {format!("{} Retrying in {} s — press Stop to cancel.", w.reason, w.seconds_left)}
            </p>
        })}
    }
}
