//! The turn policy, decided without a browser: how a reply's outcome becomes its assistant
//! entry, whether a failed attempt is retried automatically and after how long, and what
//! follows a reply (the turn ends, its tool calls run, or the round limit stops them).

use crate::error::{ChatError, ErrorKind};
use crate::stream::{Outcome, Reply};
use crate::transcript::Entry;
use crate::types::{FinishReason, Message, ToolCall};
use std::ops::RangeInclusive;

/// Automatic retries of one reply before the error is shown with a Retry button.
pub const MAX_AUTO_RETRIES: u32 = 3;
/// Waits longer than this are not retried automatically: the error is shown instead.
pub const RETRY_CAP_MS: u64 = 60_000;

/// The tool rounds a turn may run (`maxToolRounds`, the settings panel).
pub const TOOL_ROUNDS: RangeInclusive<u32> = 1..=100;
/// `maxToolRounds` unless set.
pub const DEFAULT_TOOL_ROUNDS: u32 = 8;

/// Exponential backoff when the server did not say how long to wait: 1 s, 2 s, 4 s…
pub fn backoff_ms(retries_done: u32) -> u64 {
    1_000 << retries_done.min(6)
}

/// The error of a stream that sent nothing for `ms` (the silence timeout).
pub fn silence_error(ms: u32) -> ChatError {
    ChatError::network(format!(
        "the stream stayed silent for {} seconds",
        ms / 1000
    ))
}

/// The error of a stream whose body ended before the reply was complete.
pub fn interrupted_error() -> ChatError {
    ChatError::network("the connection closed before the reply was complete")
}

/// What the user reads when the model kept calling tools past the limit.
pub fn round_limit_notice(max_rounds: u32) -> String {
    format!(
        "Stopped after {max_rounds} tool round{}: the model kept calling tools. The calls it \
         asked for last were not run. Send a message to go on, or raise the limit \
         (maxToolRounds).",
        if max_rounds == 1 { "" } else { "s" }
    )
}

/// One attempt at a reply: the entry the transcript keeps, and whether to try again.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The assistant entry: the reply so far, with its finish reason, usage and model, and
    /// its error or `stopped` mark.
    pub entry: Entry,
    /// The error, when it is worth retrying automatically: retryable, and nothing of the
    /// reply arrived (a retry would otherwise throw text away).
    pub retry: Option<ChatError>,
}

impl Attempt {
    /// An attempt that failed before anything was sent (the request could not be built):
    /// an empty reply with the error, never retried.
    pub fn failed(id: impl Into<String>, error: ChatError) -> Self {
        let mut entry = Entry::from_reply(id, &Reply::default());
        entry.error = Some(error);
        Attempt { entry, retry: None }
    }

    /// The attempt whose reply (whole, or what arrived of it) ended with `outcome`;
    /// `stopped_by_user` when the user pressed Stop during it. A stop keeps the partial
    /// reply, marked `stopped`, without an error; an interrupted body is a `network` error.
    pub fn from_outcome(
        id: impl Into<String>,
        reply: &Reply,
        outcome: Outcome,
        stopped_by_user: bool,
    ) -> Self {
        let nothing_arrived =
            reply.content.is_empty() && reply.reasoning.is_empty() && reply.tool_calls.is_empty();
        let mut entry = Entry::from_reply(id, reply);
        let mut retry = None;
        match outcome {
            Outcome::Complete => {}
            Outcome::Interrupted => entry.error = Some(interrupted_error()),
            Outcome::Failed(e) if e.kind == ErrorKind::Aborted || stopped_by_user => {
                entry.stopped = true;
            }
            Outcome::Failed(e) => {
                if e.retryable && nothing_arrived {
                    retry = Some(e.clone());
                }
                entry.error = Some(e);
            }
        }
        Attempt { entry, retry }
    }
}

/// The automatic retries of one reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retries {
    done: u32,
}

impl Retries {
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to wait before retrying after `error` (the server's `retry_after_ms`, else
    /// [`backoff_ms`]), counting the retry; `None` to give up and show the error: after
    /// [`MAX_AUTO_RETRIES`] retries, or when the wait would exceed [`RETRY_CAP_MS`].
    pub fn next_wait_ms(&mut self, error: &ChatError) -> Option<u64> {
        let wait = error
            .retry_after_ms
            .unwrap_or_else(|| backoff_ms(self.done));
        if self.done >= MAX_AUTO_RETRIES || wait > RETRY_CAP_MS {
            return None;
        }
        self.done += 1;
        Some(wait)
    }

    /// Retries scheduled so far.
    pub fn done(&self) -> u32 {
        self.done
    }
}

/// What the turn does after a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// The reply calls no tool: the turn is over.
    Finish,
    /// The reply's calls will not run (it failed, was stopped or cut off, or Stop was
    /// pressed): answer them as cancelled, and the turn is over.
    CancelCalls,
    /// The round limit is reached: answer the calls as cancelled, show `notice`, and the
    /// turn is over.
    RoundLimit { notice: String },
    /// Run these calls (one more round, counted), then ask again.
    RunTools(Vec<ToolCall>),
}

/// The tool rounds of one turn, at most `maxToolRounds`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rounds {
    done: u32,
    max: u32,
}

impl Rounds {
    /// At most `max` rounds (the settings keep it within [`TOOL_ROUNDS`]).
    pub fn new(max: u32) -> Self {
        Rounds { done: 0, max }
    }

    /// What follows the reply `entry`; `stop_requested` when Stop was pressed in the turn.
    pub fn after_reply(&mut self, entry: &Entry, stop_requested: bool) -> Next {
        let calls = match &entry.message {
            Message::Assistant {
                tool_calls: Some(calls),
                ..
            } if !calls.is_empty() => calls,
            _ => return Next::Finish,
        };
        let complete = entry.error.is_none()
            && !entry.stopped
            && entry.finish_reason != Some(FinishReason::Length);
        if !complete || stop_requested {
            return Next::CancelCalls;
        }
        if self.done >= self.max {
            return Next::RoundLimit {
                notice: round_limit_notice(self.max),
            };
        }
        self.done += 1;
        Next::RunTools(calls.clone())
    }

    /// Tool rounds run so far.
    pub fn done(&self) -> u32 {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::classify_http;
    use crate::transcript::{cancel_unanswered_tool_calls, CANCELLED_TOOL_RESULT};
    use crate::types::Content;
    use serde_json::json;

    fn http_error(status: u16, headers: &[(&str, &str)], body: &str) -> ChatError {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        classify_http(status, &headers, body, Some(0))
    }

    fn text(content: &str) -> Reply {
        Reply {
            content: content.to_owned(),
            ..Reply::default()
        }
    }

    fn calling(id: &str) -> Reply {
        Reply {
            tool_calls: vec![ToolCall::function(
                id,
                "get_flight_info",
                r#"{"origin_city":"Miami","destination_city":"Seattle"}"#,
            )],
            finish_reason: Some(FinishReason::ToolCalls),
            ..Reply::default()
        }
    }

    /// Runs the retry loop of one reply over scripted attempts: the waits scheduled, and
    /// the entry the turn ends with.
    fn retry_loop(attempts: impl IntoIterator<Item = Attempt>) -> (Vec<u64>, Entry) {
        let mut retries = Retries::new();
        let mut waits = Vec::new();
        for attempt in attempts {
            let Some(error) = attempt.retry else {
                return (waits, attempt.entry);
            };
            match retries.next_wait_ms(&error) {
                Some(wait) => waits.push(wait),
                None => return (waits, attempt.entry),
            }
        }
        panic!("the scripted attempts ran out");
    }

    #[test]
    fn automatic_retry_backs_off_exponentially() {
        assert_eq!(backoff_ms(0), 1_000);
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(6), 64_000);
        assert_eq!(backoff_ms(40), 64_000, "the shift is capped");
    }

    #[test]
    fn a_429_waits_what_the_server_says_then_the_retry_completes_the_reply() {
        let limited = http_error(
            429,
            &[("retry-after", "2"), ("retry-after-ms", "2000")],
            r#"{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}}"#,
        );
        assert_eq!(limited.kind, ErrorKind::RateLimit);
        let first = Attempt::from_outcome("a1", &Reply::default(), Outcome::Failed(limited), false);
        assert_eq!(
            first.retry.as_ref().map(|e| e.kind),
            Some(ErrorKind::RateLimit)
        );
        let mut reply = text("Hello!");
        reply.finish_reason = Some(FinishReason::Stop);
        let second = Attempt::from_outcome("a1", &reply, Outcome::Complete, false);
        let (waits, entry) = retry_loop([first, second]);
        assert_eq!(waits, [2_000], "one retry, after the server's 2 s");
        assert_eq!(entry.id, "a1", "the retry fills the same reply");
        assert_eq!(entry.error, None);
        assert_eq!(entry.message.content().text(), "Hello!");
    }

    #[test]
    fn retry_after_in_seconds_alone_is_honoured() {
        let limited = http_error(429, &[("retry-after", "1")], "");
        assert_eq!(Retries::new().next_wait_ms(&limited), Some(1_000));
    }

    #[test]
    fn a_server_error_is_retried_three_times_with_backoff_then_shown() {
        let failing = || {
            let e = http_error(
                500,
                &[],
                r#"{"error":{"code":"InternalServerError","message":"oops"}}"#,
            );
            Attempt::from_outcome("a1", &Reply::default(), Outcome::Failed(e), false)
        };
        let (waits, entry) = retry_loop(std::iter::repeat_with(failing).take(10));
        assert_eq!(waits, [1_000, 2_000, 4_000]);
        let error = entry.error.expect("the error is shown");
        assert_eq!(error.kind, ErrorKind::ServerError);
        assert_eq!(error.status, Some(500));
        assert!(!entry.stopped);
    }

    #[test]
    fn a_wait_above_the_cap_is_not_retried_but_one_at_the_cap_is() {
        let long = http_error(429, &[("retry-after-ms", "60001")], "");
        assert_eq!(Retries::new().next_wait_ms(&long), None);
        let at_cap = http_error(429, &[("retry-after-ms", "60000")], "");
        assert_eq!(Retries::new().next_wait_ms(&at_cap), Some(RETRY_CAP_MS));
        let first = Attempt::from_outcome("a1", &Reply::default(), Outcome::Failed(long), false);
        let (waits, entry) = retry_loop([first]);
        assert!(waits.is_empty());
        assert_eq!(entry.error.map(|e| e.kind), Some(ErrorKind::RateLimit));
    }

    #[test]
    fn retries_count_across_errors_and_give_up_after_the_maximum() {
        let mut retries = Retries::new();
        let limited = http_error(429, &[("retry-after-ms", "10")], "");
        let network = ChatError::network("reset");
        assert_eq!(retries.next_wait_ms(&limited), Some(10));
        assert_eq!(retries.next_wait_ms(&network), Some(2_000));
        assert_eq!(retries.next_wait_ms(&limited), Some(10));
        assert_eq!(retries.done(), MAX_AUTO_RETRIES);
        assert_eq!(retries.next_wait_ms(&limited), None);
        assert_eq!(retries.next_wait_ms(&network), None);
        assert_eq!(retries.done(), MAX_AUTO_RETRIES);
    }

    #[test]
    fn errors_that_are_not_retryable_are_shown_at_once() {
        let errors = [
            http_error(401, &[], r#"{"error":{"code":"401","message":"bad key"}}"#),
            http_error(
                404,
                &[],
                r#"{"error":{"code":"DeploymentNotFound","message":"no"}}"#,
            ),
            http_error(
                400,
                &[],
                r#"{"error":{"code":"content_filter","message":"filtered","innererror":{"code":"ResponsibleAIPolicyViolation"}}}"#,
            ),
            ChatError::invalid_input("temperature", "out of range"),
        ];
        for error in errors {
            let kind = error.kind;
            assert!(!error.retryable, "{kind:?}");
            let attempt =
                Attempt::from_outcome("a1", &Reply::default(), Outcome::Failed(error), false);
            assert_eq!(attempt.retry, None, "{kind:?}");
            assert_eq!(attempt.entry.error.map(|e| e.kind), Some(kind));
        }
    }

    #[test]
    fn a_retryable_error_after_part_of_the_reply_arrived_keeps_it_and_is_not_retried() {
        let partials = [
            text("Once upon"),
            Reply {
                reasoning: "Let me think".into(),
                ..Reply::default()
            },
            calling("c1"),
        ];
        for reply in partials {
            let attempt = Attempt::from_outcome(
                "a1",
                &reply,
                Outcome::Failed(ChatError::stream_error("overloaded")),
                false,
            );
            assert_eq!(attempt.retry, None, "{reply:?}");
            assert_eq!(
                attempt.entry.error.map(|e| e.kind),
                Some(ErrorKind::StreamError)
            );
            assert_eq!(attempt.entry.message.content().text(), reply.content);
        }
    }

    #[test]
    fn a_dropped_connection_keeps_the_partial_text_as_a_network_error_without_retry() {
        let attempt = Attempt::from_outcome("a1", &text("Half a rep"), Outcome::Interrupted, false);
        assert_eq!(attempt.retry, None);
        assert_eq!(attempt.entry.message.content().text(), "Half a rep");
        let error = attempt.entry.error.expect("an error");
        assert_eq!(error.kind, ErrorKind::Network);
        assert!(
            error.message.contains("connection closed"),
            "{}",
            error.message
        );
        // Nothing arrived before the drop: still not retried (the server did answer).
        let empty = Attempt::from_outcome("a1", &Reply::default(), Outcome::Interrupted, false);
        assert_eq!(empty.retry, None);
    }

    #[test]
    fn a_silent_stream_keeps_its_text_and_says_how_long_it_waited() {
        let silence = silence_error(2_000);
        assert_eq!(silence.kind, ErrorKind::Network);
        assert!(
            silence.message.contains("silent for 2 seconds"),
            "{}",
            silence.message
        );
        let partial = Attempt::from_outcome(
            "a1",
            &text("Thinking out"),
            Outcome::Failed(silence.clone()),
            false,
        );
        assert_eq!(partial.retry, None);
        assert!(!partial.entry.stopped);
        assert_eq!(partial.entry.message.content().text(), "Thinking out");
        assert_eq!(partial.entry.error.as_ref(), Some(&silence));
        // Silent from the start: retried like any network failure.
        let empty = Attempt::from_outcome("a1", &Reply::default(), Outcome::Failed(silence), false);
        assert!(empty.retry.is_some());
    }

    #[test]
    fn stop_keeps_the_partial_reply_marked_stopped_without_an_error_or_retry() {
        let aborted = Attempt::from_outcome(
            "a1",
            &text("The partial"),
            Outcome::Failed(ChatError::aborted()),
            true,
        );
        assert!(aborted.entry.stopped);
        assert_eq!(aborted.entry.error, None);
        assert_eq!(aborted.retry, None);
        assert_eq!(aborted.entry.message.content().text(), "The partial");
        let json = serde_json::to_value(&aborted.entry).unwrap();
        assert_eq!(json["stopped"], true);
        assert!(json.get("error").is_none());
        // The read failing because of the stop (a network error) is a stop too.
        let torn = Attempt::from_outcome(
            "a1",
            &Reply::default(),
            Outcome::Failed(ChatError::network("aborted read")),
            true,
        );
        assert!(torn.entry.stopped);
        assert_eq!((torn.entry.error, torn.retry), (None, None));
    }

    #[test]
    fn a_stop_pressed_after_the_reply_completed_leaves_it_complete() {
        let mut reply = text("All of it");
        reply.finish_reason = Some(FinishReason::Stop);
        let attempt = Attempt::from_outcome("a1", &reply, Outcome::Complete, true);
        assert!(!attempt.entry.stopped);
        assert_eq!(attempt.entry.error, None);
    }

    #[test]
    fn the_entry_carries_the_finish_reason_usage_model_and_reasoning() {
        let reply = Reply {
            content: "Cut".into(),
            reasoning: "Hmm".into(),
            finish_reason: Some(FinishReason::Length),
            usage: Some(json!({"completion_tokens": 5, "total_tokens": 12})),
            model: Some("demo".into()),
            ..Reply::default()
        };
        let entry = Attempt::from_outcome("a7", &reply, Outcome::Complete, false).entry;
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["id"], "a7");
        assert_eq!(json["role"], "assistant");
        assert_eq!(json["finish_reason"], "length");
        assert_eq!(json["usage"]["completion_tokens"], 5);
        assert_eq!(json["model"], "demo");
        assert_eq!(json["reasoning"], "Hmm");
    }

    #[test]
    fn a_request_that_could_not_be_built_is_an_empty_reply_with_the_error() {
        let attempt = Attempt::failed("a1", ChatError::invalid_input("endpoint", "no endpoint"));
        assert_eq!(attempt.retry, None);
        assert_eq!(
            attempt.entry.message.content(),
            &Content::Text(String::new())
        );
        assert_eq!(
            attempt.entry.error.and_then(|e| e.param).as_deref(),
            Some("endpoint")
        );
    }

    fn reply_entry(id: &str, reply: &Reply) -> Entry {
        Attempt::from_outcome(id, reply, Outcome::Complete, false).entry
    }

    #[test]
    fn a_reply_without_tool_calls_ends_the_turn_without_counting_a_round() {
        let mut rounds = Rounds::new(2);
        assert_eq!(
            rounds.after_reply(&reply_entry("a1", &text("Hi")), false),
            Next::Finish
        );
        let mut no_calls = Entry::new("a2", Message::assistant("Hi"));
        if let Message::Assistant { tool_calls, .. } = &mut no_calls.message {
            *tool_calls = Some(Vec::new());
        }
        assert_eq!(rounds.after_reply(&no_calls, false), Next::Finish);
        assert_eq!(rounds.after_reply(&no_calls, true), Next::Finish);
        assert_eq!(rounds.done(), 0);
    }

    #[test]
    fn the_round_limit_stops_a_runaway_loop_with_a_notice_and_a_valid_transcript() {
        let mut rounds = Rounds::new(2);
        let mut transcript = vec![Entry::new("u1", Message::user("loop tools"))];
        let mut requests = 0;
        let last = loop {
            requests += 1;
            let entry = reply_entry(&format!("a{requests}"), &calling(&format!("c{requests}")));
            transcript.push(entry.clone());
            match rounds.after_reply(&entry, false) {
                Next::RunTools(calls) => {
                    assert_eq!(calls.len(), 1);
                    transcript.push(Entry::new(
                        format!("t{requests}"),
                        Message::tool(&calls[0].id, "flight"),
                    ));
                }
                Next::RoundLimit { notice } => {
                    assert!(
                        notice.starts_with("Stopped after 2 tool rounds:"),
                        "{notice}"
                    );
                    assert!(notice.contains("maxToolRounds"));
                    let mut n = 0;
                    let cancelled = cancel_unanswered_tool_calls(&mut transcript, || {
                        n += 1;
                        format!("x{n}")
                    });
                    assert_eq!(cancelled, 1);
                    break entry;
                }
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(
            requests, 3,
            "two rounds ran, the third reply's calls did not"
        );
        assert_eq!(rounds.done(), 2);
        assert_eq!(last.id, "a3", "the turn ends with the last reply");
        let roles: Vec<&str> = transcript
            .iter()
            .map(|e| match e.message {
                Message::User { .. } => "user",
                Message::Assistant { .. } => "assistant",
                Message::Tool { .. } => "tool",
                Message::System { .. } => "system",
            })
            .collect();
        assert_eq!(
            roles,
            [
                "user",
                "assistant",
                "tool",
                "assistant",
                "tool",
                "assistant",
                "tool"
            ]
        );
        assert_eq!(
            transcript[6].message,
            Message::tool("c3", CANCELLED_TOOL_RESULT)
        );
    }

    #[test]
    fn a_limit_of_one_round_says_round_in_the_singular() {
        let mut rounds = Rounds::new(1);
        let entry = reply_entry("a1", &calling("c1"));
        assert!(matches!(
            rounds.after_reply(&entry, false),
            Next::RunTools(_)
        ));
        let Next::RoundLimit { notice } = rounds.after_reply(&entry, false) else {
            panic!("the limit is reached");
        };
        assert!(
            notice.starts_with("Stopped after 1 tool round:"),
            "{notice}"
        );
    }

    #[test]
    fn calls_of_a_stopped_failed_or_cut_off_reply_or_after_stop_are_cancelled_not_run() {
        let stopped = Attempt::from_outcome(
            "a1",
            &calling("c1"),
            Outcome::Failed(ChatError::aborted()),
            true,
        )
        .entry;
        let failed = Attempt::from_outcome(
            "a1",
            &calling("c1"),
            Outcome::Failed(ChatError::stream_error("bad")),
            false,
        )
        .entry;
        let interrupted =
            Attempt::from_outcome("a1", &calling("c1"), Outcome::Interrupted, false).entry;
        let mut cut_off = calling("c1");
        cut_off.finish_reason = Some(FinishReason::Length);
        let cut_off = reply_entry("a1", &cut_off);
        for entry in [stopped, failed, interrupted, cut_off] {
            let mut rounds = Rounds::new(8);
            assert_eq!(
                rounds.after_reply(&entry, false),
                Next::CancelCalls,
                "{entry:?}"
            );
            assert_eq!(rounds.done(), 0);
        }
        let complete = reply_entry("a1", &calling("c1"));
        let mut rounds = Rounds::new(8);
        assert_eq!(rounds.after_reply(&complete, true), Next::CancelCalls);
        assert_eq!(rounds.done(), 0);
        assert_eq!(
            rounds.after_reply(&complete, false),
            Next::RunTools(vec![ToolCall::function(
                "c1",
                "get_flight_info",
                r#"{"origin_city":"Miami","destination_city":"Seattle"}"#,
            )])
        );
    }

    #[test]
    fn stop_wins_over_the_round_limit() {
        let mut rounds = Rounds::new(0);
        let entry = reply_entry("a1", &calling("c1"));
        assert_eq!(rounds.after_reply(&entry, true), Next::CancelCalls);
        assert!(matches!(
            rounds.after_reply(&entry, false),
            Next::RoundLimit { .. }
        ));
    }

    #[test]
    fn the_tool_round_range_holds_the_default() {
        assert_eq!((*TOOL_ROUNDS.start(), *TOOL_ROUNDS.end()), (1, 100));
        assert!(TOOL_ROUNDS.contains(&DEFAULT_TOOL_ROUNDS));
    }
}
