//! The turn loop: one turn at a time (request → reply → tool round → next request…), with
//! automatic retries and their countdown, as the policy in `chat_core::turn` decides.

use std::rc::Rc;

use chat_core::error::ChatError;
use chat_core::responses::Chain;
use chat_core::stream::{Accumulate, Accumulator};
use chat_core::tools::ToolDefinition;
use chat_core::transcript::{cancel_unanswered_tool_calls, Entry};
use chat_core::turn::{Attempt, Next, Retries, Rounds};
use chat_core::types::Message;
use leptos::prelude::*;

use super::{tools, ChatController, LiveReply, RetryWait, Status, ToolRun, ToolState};
use crate::client::{Abort, AbortReason};
use crate::settings::Settings;

impl ChatController {
    pub(super) fn start_turn(&self) {
        // Busy from here on, so a second send in the same tick is refused.
        self.set_status(Status::Sending);
        self.notice.set(None);
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            this.run_turn().await;
        });
    }

    /// One turn: ask, and while the reply calls tools, run them and ask again — at most
    /// `maxToolRounds` rounds. Ends with the last reply (`send()` settles with it).
    async fn run_turn(&self) {
        let epoch = self.inner.epoch.get();
        self.inner.stop_requested.set(false);
        let (registry, max_rounds) = {
            let settings = self.settings.get_untracked();
            let host = self.inner.host_tools.borrow();
            (
                tools::round_registry(&settings.tools, &host),
                settings.max_tool_rounds,
            )
        };
        let definitions = tools::wire_definitions(&registry);
        // Entries before this index have had their `chat-message`.
        let mut announced = self.entries.with_untracked(Vec::len);
        let mut rounds = Rounds::new(max_rounds);
        let entry = loop {
            let entry = self.reply_with_retries(&definitions).await;
            // A transcript replaced (or cleared) meanwhile gets nothing of this turn.
            if self.inner.epoch.get() != epoch {
                break entry;
            }
            self.entries.update(|e| e.push(entry.clone()));
            self.live.set(None);
            let calls = match rounds.after_reply(&entry, self.inner.stop_requested.get()) {
                Next::Finish => break entry,
                Next::CancelCalls => {
                    self.cancel_unanswered();
                    break entry;
                }
                Next::RoundLimit { notice } => {
                    self.cancel_unanswered();
                    self.notice.set(Some(notice));
                    break entry;
                }
                Next::RunTools(calls) => calls,
            };
            self.announce_entries(&mut announced);
            self.set_status(Status::Tools);
            let results = self.run_tool_round(&registry, &calls).await;
            if self.inner.epoch.get() != epoch {
                break entry;
            }
            self.entries.update(|e| e.extend(results));
            self.announce_entries(&mut announced);
            if self.inner.stop_requested.get() {
                break entry;
            }
        };
        self.live.set(None);
        self.set_status(Status::Idle);
        if self.inner.epoch.get() == epoch {
            self.announce_entries(&mut announced);
        }
        self.announcement.set(announce(&entry));
        if let Some(error) = &entry.error {
            self.emit("chat-error", error);
        }
        self.settle(&entry);
    }

    /// Sends `chat-message` for the entries from `from` on, in order.
    fn announce_entries(&self, from: &mut usize) {
        let fresh: Vec<Entry> = self
            .entries
            .with_untracked(|e| e.get(*from..).map(<[Entry]>::to_vec).unwrap_or_default());
        *from += fresh.len();
        for entry in &fresh {
            self.emit("chat-message", entry);
        }
    }

    /// Answers every call of the last reply that has no result with `{"error":"cancelled"}`,
    /// so the transcript stays valid.
    fn cancel_unanswered(&self) {
        let mut entries = self.entries.get_untracked();
        let before = entries.len();
        cancel_unanswered_tool_calls(&mut entries, || self.new_id());
        for entry in &entries[before..] {
            if let Message::Tool { tool_call_id, .. } = &entry.message {
                self.tool_runs.update(|runs| {
                    runs.insert(
                        tool_call_id.clone(),
                        ToolRun {
                            state: ToolState::Failed("Cancelled: the tool did not run.".into()),
                            duration_ms: None,
                        },
                    );
                });
            }
        }
        if entries.len() > before {
            self.entries.set(entries);
        }
    }

    /// One reply, retried automatically (with a countdown) while the error allows it.
    async fn reply_with_retries(&self, tools: &[ToolDefinition]) -> Entry {
        let id = self.new_id();
        let mut retries = Retries::new();
        let mut chain = self.settings.with_untracked(Settings::chain);
        loop {
            let Attempt { entry, retry } = self.attempt(&id, tools, chain).await;
            // The server no longer knows the reply this request chained on (expired, or
            // never stored): send the whole history once, at once.
            if let Some(next) = entry.error.as_ref().and_then(|e| chain.after_failure(e)) {
                chain = next;
                continue;
            }
            let Some(error) = retry else { return entry };
            let Some(wait) = retries.next_wait_ms(&error) else {
                return entry;
            };
            self.emit("chat-error", &error);
            if !self.wait_before_retry(wait, &error).await {
                return entry;
            }
        }
    }

    /// One request for the reply `id`: its entry, and the error when it is worth retrying.
    async fn attempt(&self, id: &str, tools: &[ToolDefinition], chain: Chain) -> Attempt {
        let settings = self.settings.get_untracked();
        let failed = |e: ChatError| Attempt::failed(id, e);
        let request = match settings.chat_request_with_tools(
            &self.base_url(),
            &self.entries.get_untracked(),
            tools.to_vec(),
            chain,
        ) {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let abort = match Abort::new() {
            Ok(a) => Rc::new(a),
            Err(e) => return failed(e),
        };
        *self.inner.inflight.borrow_mut() = Some(abort.clone());
        let live = LiveReply::new(id);
        self.inner.pacer.reset();
        self.live.set(Some(live.clone()));
        self.set_status(Status::Sending);

        let mut acc = Accumulator::for_style(settings.api_style);
        let (outcome, whole) = self
            .exchange(&settings, &request, &abort, &live, &mut acc)
            .await;
        self.inner.pacer.drain(&live).await;
        *self.inner.inflight.borrow_mut() = None;

        let stopped = abort.reason() == Some(AbortReason::User);
        let reply = whole.unwrap_or_else(|| acc.into_reply());
        Attempt::from_outcome(id, &reply, outcome, stopped)
    }

    /// Shows a countdown before an automatic retry. Returns false when the user cancelled.
    async fn wait_before_retry(&self, wait_ms: u64, error: &ChatError) -> bool {
        self.set_status(Status::Waiting);
        let deadline = js_sys::Date::now() + wait_ms as f64;
        loop {
            if self.inner.stop_requested.get() {
                self.retry_wait.set(None);
                return false;
            }
            let left = deadline - js_sys::Date::now();
            if left <= 0.0 {
                self.retry_wait.set(None);
                return true;
            }
            self.retry_wait.set(Some(RetryWait {
                seconds_left: (left / 1000.0).ceil() as u32,
                reason: error.message.clone(),
            }));
            gloo_timers::future::TimeoutFuture::new(left.min(250.0) as u32).await;
        }
    }
}

fn announce(entry: &Entry) -> String {
    match &entry.error {
        Some(e) => format!("Reply failed: {}", e.message),
        None => entry.message.content().text(),
    }
}
