//! Tool calls on screen: the calls of a reply as they stream (name first, arguments
//! growing), the approval card (Allow once / Always allow / Deny), and one compact,
//! expandable card per call with its arguments, result or error, and duration.

use chat_core::transcript::Entry;
use chat_core::types::ToolCall;
use leptos::prelude::*;

use crate::session::{
    tool_call, tool_result, ChatController, Decision, StreamingCall, ToolRun, ToolState,
};

/// A `tool` entry: the card of the call it answers.
#[component]
pub fn ToolMessage(entry: Entry) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let call_id = match &entry.message {
        chat_core::types::Message::Tool { tool_call_id, .. } => tool_call_id.clone(),
        _ => String::new(),
    };
    let call = controller
        .entries
        .with_untracked(|entries| tool_call(entries, &call_id))
        .unwrap_or_else(|| ToolCall::function(call_id.clone(), "(unknown tool)", ""));
    let result = entry.message.content().text();
    view! {
        <article class="fc-message fc-tool-message" part="message message-tool" data-role="tool"
            data-id=entry.id.clone()>
            <ToolCard call result=Some(result)/>
        </article>
    }
}

/// The calls of a finished reply that have no result yet: running, or waiting for approval.
/// Once answered, each call's card is shown by its `tool` entry instead.
#[component]
pub fn PendingCalls(calls: Vec<ToolCall>) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let entries = controller.entries.clone();
    calls
        .into_iter()
        .map(|call| {
            let entries = entries.clone();
            let id = call.id.clone();
            move || {
                let answered = entries.with(|e| tool_result(e, &id).is_some());
                (!answered).then(|| view! { <ToolCard call=call.clone() result=None/> })
            }
        })
        .collect_view()
}

/// The tool calls of the reply being streamed.
#[component]
pub fn StreamingCalls(calls: ArcRwSignal<Vec<StreamingCall>>) -> impl IntoView {
    move || {
        calls
            .get()
            .into_iter()
            .map(|StreamingCall { name, arguments }| {
                view! {
                    <div class="fc-tool" part="tool-call" data-state="streaming">
                        <div class="fc-tool-head">
                            <code class="fc-tool-name">{name}</code>
                            <span class="fc-tool-status">"Preparing the call…"</span>
                        </div>
                        <pre class="fc-tool-args">{arguments}</pre>
                    </div>
                }
            })
            .collect_view()
    }
}

/// One call: name, status and duration; expands to arguments and result (as sent: indenting
/// through serde would reorder their keys). While the call waits for approval, the card asks.
#[component]
fn ToolCard(call: ToolCall, result: Option<String>) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let runs = controller.tool_runs.clone();
    let id = call.id.clone();
    let name = call.function.name.clone();
    let arguments = call.function.arguments.clone();
    let stored = result.clone();
    let run = Memo::new(move |_| {
        runs.with(|r| r.get(&id).cloned())
            .or_else(|| stored.as_deref().map(run_from_result))
    });
    let state = move || match run.get().map(|r| r.state) {
        Some(ToolState::Asking) => "asking",
        Some(ToolState::Running) => "running",
        Some(ToolState::Done) => "done",
        Some(ToolState::Failed(_)) => "error",
        Some(ToolState::Pending) | None => "pending",
    };
    let status = move || match run.get() {
        Some(ToolRun {
            state: ToolState::Failed(why),
            ..
        }) => why,
        Some(ToolRun {
            state: ToolState::Done,
            ..
        }) => "Done".to_owned(),
        Some(ToolRun {
            state: ToolState::Running,
            ..
        }) => "Running…".to_owned(),
        Some(ToolRun {
            state: ToolState::Asking,
            ..
        }) => "Waiting for your approval".to_owned(),
        _ => "Waiting…".to_owned(),
    };
    let duration = move || {
        run.get()
            .and_then(|r| r.duration_ms)
            .map(|ms| format!("{} ms", ms.round() as u64))
    };
    let asking = move || run.get().map(|r| r.state) == Some(ToolState::Asking);
    let result_view = result.map(|text| {
        let failed = matches!(run_from_result(&text).state, ToolState::Failed(_));
        view! {
            <p class="fc-tool-label">{if failed { "Error sent to the model" } else { "Result" }}</p>
            <pre class="fc-tool-result">{text}</pre>
        }
    });
    let approval = {
        let call_id = call.id.clone();
        let name = name.clone();
        let arguments = arguments.clone();
        move || {
            asking().then(|| {
                view! {
                    <Approval call_id=call_id.clone() name=name.clone() arguments=arguments.clone()/>
                }
            })
        }
    };
    view! {
        <div class="fc-tool" part="tool-call" data-state=state data-tool=name.clone()>
            <details>
                <summary class="fc-tool-head">
                    <code class="fc-tool-name">{name.clone()}</code>
                    <span class="fc-tool-status">{status}</span>
                    <span class="fc-tool-time">{duration}</span>
                </summary>
                <p class="fc-tool-label">"Arguments"</p>
                <pre class="fc-tool-args">{arguments}</pre>
                {result_view}
            </details>
            {approval}
        </div>
    }
}

/// Allow once / Always allow / Deny for a call of a tool registered with approval "ask".
#[component]
fn Approval(call_id: String, name: String, arguments: String) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let decide = move |decision: Decision| {
        let controller = controller.clone();
        let call_id = call_id.clone();
        move |_| controller.decide_tool(&call_id, decision)
    };
    view! {
        <div class="fc-tool-ask" role="group" aria-label=format!("Run the tool {name}?")>
            <p>"The assistant wants to run " <code>{name.clone()}</code> " with:"</p>
            <pre class="fc-tool-args">{arguments}</pre>
            <div class="fc-actions">
                <button type="button" class="fc-allow" on:click=decide(Decision::AllowOnce)>"Allow once"</button>
                <button type="button" on:click=decide(Decision::AlwaysAllow)>"Always allow"</button>
                <button type="button" on:click=decide(Decision::Deny)>"Deny"</button>
            </div>
        </div>
    }
}

/// The state a stored result implies (a restored transcript has no run states): an object
/// with an `error` key is a failure.
fn run_from_result(content: &str) -> ToolRun {
    let error = serde_json::from_str::<serde_json::Value>(content)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    ToolRun {
        state: match error {
            Some(why) if why == "cancelled" => ToolState::Failed("Cancelled".to_owned()),
            Some(why) => ToolState::Failed(why),
            None => ToolState::Done,
        },
        duration_ms: None,
    }
}
