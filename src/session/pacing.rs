//! Frame pacing of the reply being streamed: its signals ([`LiveReply`]) and the
//! [`FramePacer`], which queues what arrives and shows it once per animation frame, at most
//! [`FRAME_BUDGET_BYTES`] of content a frame.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;

/// The reply being streamed: its own signals, so finished messages never re-render.
#[derive(Clone)]
pub struct LiveReply {
    pub id: String,
    /// Content text, appended once per animation frame.
    pub content: ArcRwSignal<String>,
    pub reasoning: ArcRwSignal<String>,
    /// True once the first byte of the reply has arrived.
    pub started: ArcRwSignal<bool>,
    /// Tool calls as they stream.
    pub tool_calls: ArcRwSignal<Vec<StreamingCall>>,
}

impl LiveReply {
    /// The signals of a reply `id` that has not started yet.
    pub(super) fn new(id: &str) -> Self {
        LiveReply {
            id: id.to_owned(),
            content: ArcRwSignal::new(String::new()),
            reasoning: ArcRwSignal::new(String::new()),
            started: ArcRwSignal::new(false),
            tool_calls: ArcRwSignal::new(Vec::new()),
        }
    }
}

/// A tool call as it streams in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamingCall {
    pub name: String,
    /// The arguments text received so far.
    pub arguments: String,
}

/// Most streamed content shown per animation frame. A burst (an unpaced server, a proxy that
/// buffers) is spread over several frames so that no frame builds a large piece of DOM at once
/// (a long task); 4 KB a frame is ~60,000 tokens a second, far above any model's pace.
const FRAME_BUDGET_BYTES: usize = 4096;

/// Streamed text on its way to the screen: queued as it arrives, shown on the next animation
/// frame. Cheap to clone (the queue is shared).
#[derive(Clone)]
pub(super) struct FramePacer {
    pending: Rc<RefCell<Pending>>,
    /// The reply on screen: a frame that comes after its reply ended shows nothing.
    on_screen: ArcRwSignal<Option<LiveReply>>,
}

/// Received but not yet shown.
#[derive(Default)]
struct Pending {
    content: String,
    reasoning: String,
    /// The reply's tool calls so far, and whether they changed.
    calls: Vec<StreamingCall>,
    calls_changed: bool,
    scheduled: bool,
}

impl FramePacer {
    pub(super) fn new(on_screen: ArcRwSignal<Option<LiveReply>>) -> Self {
        FramePacer {
            pending: Rc::default(),
            on_screen,
        }
    }

    /// Forgets what is queued: a new reply starts.
    pub(super) fn reset(&self) {
        *self.pending.borrow_mut() = Pending::default();
    }

    /// Queues streamed text; it reaches the DOM on the next animation frame.
    pub(super) fn queue(&self, live: &LiveReply, content: &str, reasoning: &str) {
        let schedule = {
            let mut pending = self.pending.borrow_mut();
            pending.content.push_str(content);
            pending.reasoning.push_str(reasoning);
            !std::mem::replace(&mut pending.scheduled, true)
        };
        if schedule {
            self.schedule_flush(live);
        }
    }

    /// Queues a change to the streamed tool call at `position`.
    pub(super) fn queue_call(
        &self,
        live: &LiveReply,
        position: usize,
        change: impl FnOnce(&mut StreamingCall),
    ) {
        {
            let mut pending = self.pending.borrow_mut();
            if pending.calls.len() <= position {
                pending.calls.resize(position + 1, StreamingCall::default());
            }
            change(&mut pending.calls[position]);
            pending.calls_changed = true;
        }
        self.queue(live, "", "");
    }

    /// Waits until the queued text has been shown at the per-frame pace, then shows the rest
    /// (all of it at once when the page is hidden: it has no animation frames).
    pub(super) async fn drain(&self, live: &LiveReply) {
        while self.pending.borrow().scheduled && page_visible() {
            gloo_timers::future::TimeoutFuture::new(16).await;
        }
        self.flush(live, None);
    }

    fn schedule_flush(&self, live: &LiveReply) {
        let this = self.clone();
        let live = live.clone();
        request_animation_frame(move || {
            // A frame that comes after its reply ended (a hidden page has none) shows nothing.
            if this
                .on_screen
                .with_untracked(|l| l.as_ref().is_some_and(|l| l.id == live.id))
            {
                this.flush(&live, Some(FRAME_BUDGET_BYTES));
            }
        });
    }

    /// Shows the queued text, at most `budget` bytes of content (the rest on the next frame).
    fn flush(&self, live: &LiveReply, budget: Option<usize>) {
        let (content, reasoning, calls, more) = {
            let mut pending = self.pending.borrow_mut();
            let calls = std::mem::take(&mut pending.calls_changed).then(|| pending.calls.clone());
            let cut = match budget {
                Some(max) if pending.content.len() > max => {
                    pending.content.floor_char_boundary(max)
                }
                _ => pending.content.len(),
            };
            let content: String = pending.content.drain(..cut).collect();
            let more = !pending.content.is_empty();
            pending.scheduled = more;
            (content, std::mem::take(&mut pending.reasoning), calls, more)
        };
        if more {
            self.schedule_flush(live);
        }
        if let Some(calls) = calls {
            live.tool_calls.set(calls);
        }
        if !content.is_empty() {
            live.content.update(|c| c.push_str(&content));
        }
        if !reasoning.is_empty() {
            live.reasoning.update(|r| r.push_str(&reasoning));
        }
    }
}

fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| !d.hidden())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_burst_is_shown_a_frame_budget_at_a_time_cut_on_a_character_boundary() {
        let live = LiveReply::new("a1");
        // Not on screen: the frames this schedules show nothing.
        let pacer = FramePacer::new(ArcRwSignal::new(None));
        // 4096 falls inside an `é` (one byte, then two-byte characters).
        let text = format!("a{}", "é".repeat(FRAME_BUDGET_BYTES));
        pacer.queue(&live, &text, "why");
        pacer.queue_call(&live, 1, |call| call.arguments.push_str("{\"x\""));
        pacer.queue_call(&live, 0, |call| call.name = "lookup".into());
        pacer.flush(&live, Some(FRAME_BUDGET_BYTES));
        assert_eq!(live.content.get_untracked().len(), FRAME_BUDGET_BYTES - 1);
        assert_eq!(live.reasoning.get_untracked(), "why");
        assert_eq!(
            live.tool_calls.get_untracked(),
            [
                StreamingCall {
                    name: "lookup".into(),
                    arguments: String::new(),
                },
                StreamingCall {
                    name: String::new(),
                    arguments: "{\"x\"".into(),
                },
            ]
        );
        assert!(
            pacer.pending.borrow().scheduled,
            "the rest waits for a frame"
        );
        pacer.flush(&live, None);
        assert_eq!(live.content.get_untracked(), text);
        assert_eq!(live.reasoning.get_untracked(), "why");
        assert!(!pacer.pending.borrow().scheduled);
    }

    #[wasm_bindgen_test]
    async fn draining_shows_everything_queued_through_the_animation_frames() {
        let live = LiveReply::new("a1");
        let pacer = FramePacer::new(ArcRwSignal::new(Some(live.clone())));
        let text = "x".repeat(3 * FRAME_BUDGET_BYTES + 10);
        pacer.queue(&live, &text, "");
        pacer.drain(&live).await;
        assert_eq!(live.content.get_untracked(), text);
        pacer.reset();
        pacer.flush(&live, None);
        assert_eq!(
            live.content.get_untracked(),
            text,
            "nothing left after a reset"
        );
    }
}
