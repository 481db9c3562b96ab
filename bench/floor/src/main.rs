//! The floor of the stack: a Leptos CSR view with a textarea, a Send button and a list of
//! messages (and, with `json`, each message read from a JSON chunk through a serde derive).
use leptos::prelude::*;

#[cfg(feature = "json")]
#[derive(serde::Deserialize)]
struct Chunk {
    content: String,
    #[allow(dead_code)]
    index: u32,
}

fn text_of(input: String) -> String {
    #[cfg(feature = "json")]
    {
        serde_json::from_str::<Chunk>(&input)
            .map(|c| c.content)
            .unwrap_or_else(|e| e.to_string())
    }
    #[cfg(not(feature = "json"))]
    input
}

fn main() {
    mount_to_body(|| {
        let draft = RwSignal::new(String::new());
        let messages = RwSignal::new(Vec::<(usize, String)>::new());
        let send = move || {
            let text = text_of(draft.get_untracked());
            messages.update(|m| {
                let id = m.len();
                m.push((id, text));
            });
            draft.set(String::new());
        };
        view! {
            <div class="messages">
                <For each=move || messages.get() key=|m| m.0 let:m>
                    <p>{m.1}</p>
                </For>
            </div>
            <textarea prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
            <button disabled=move || draft.with(|d| d.is_empty()) on:click=move |_| send()>"Send"</button>
        }
    });
}
