//! The composer: the message field with Send / Stop (Enter sends, Shift+Enter adds a line).

use leptos::html;
use leptos::prelude::*;

use crate::session::{ChatController, Status};

#[component]
pub fn Composer() -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let text = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let status = controller.status.clone();
    let retry_wait = controller.retry_wait.clone();
    let busy = {
        let status = status.clone();
        move || status.get() != Status::Idle
    };
    let input = NodeRef::<html::Textarea>::new();

    let send = {
        let controller = controller.clone();
        move || {
            let value = text.get_untracked();
            match controller.send_text(value) {
                Ok(()) => {
                    text.set(String::new());
                    notice.set(None);
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
    view! {
        <form class="fc-composer" part="composer" on:submit=move |ev| { ev.prevent_default(); send() }>
            <textarea part="input" node_ref=input rows="1" aria-label="Message"
                placeholder="Type a message…"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=on_keydown></textarea>
            <Show when=move || !busy()>
                <button class="fc-send" part="send" type="submit">"Send"</button>
            </Show>
            <Show when=busy2.clone()>
                <button class="fc-stop" part="stop" type="button" on:click=stop.clone()>"Stop"</button>
            </Show>
        </form>
        {move || notice.get().map(|n| view! { <p class="fc-notice" role="alert">{n}</p> })}
        {move || retry_wait.get().map(|w| view! {
            <p class="fc-notice" role="status" data-retry=w.seconds_left>
                {format!("{} Retrying in {} s — press Stop to cancel.", w.reason, w.seconds_left)}
            </p>
        })}
    }
}
