//! Recorded Responses API streams (from public SDK test suites, named in each fixture's first
//! line) through the SSE decoder and the Responses accumulator: whole, in many chunkings, and
//! cut in two at every byte, each gives the same transcript entry.

use chat_core::error::ErrorKind;
use chat_core::request::ApiStyle;
use chat_core::sse::Decoder;
use chat_core::stream::{Accumulate, Accumulator, Outcome, ResponsesAccumulator, Update};
use chat_core::transcript::Entry;
use chat_core::types::{FinishReason, ToolCall};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feeds `chunks` to a decoder and an accumulator: the entry, the outcome, the updates.
fn entry_of(chunks: &[&[u8]]) -> (Entry, Outcome, Vec<Update>) {
    let mut decoder = Decoder::new();
    let mut acc = ResponsesAccumulator::new();
    let mut updates = Vec::new();
    for chunk in chunks {
        for event in decoder.feed(chunk) {
            acc.push_into(&event, &mut updates);
        }
    }
    for event in decoder.finish() {
        acc.push_into(&event, &mut updates);
    }
    updates.extend(acc.flush());
    let outcome = acc.finish();
    (Entry::from_reply("a1", &acc.into_reply()), outcome, updates)
}

/// The entry and outcome of the fixture, checked to be the same whatever the chunking —
/// every cut in two (every `stride`-th byte), and chunks of several sizes — and its content
/// and reasoning updates to rebuild the entry's text.
fn run(name: &str, stride: usize) -> (Entry, Outcome) {
    let bytes = fixture(name);
    let (entry, outcome, updates) = entry_of(&[&bytes]);
    for i in (0..=bytes.len()).step_by(stride) {
        let (e, o, _) = entry_of(&[&bytes[..i], &bytes[i..]]);
        assert_eq!((&e, &o), (&entry, &outcome), "{name} cut at byte {i}");
    }
    for size in [1, 3, 64, 1000] {
        let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
        let (e, o, _) = entry_of(&chunks);
        assert_eq!((&e, &o), (&entry, &outcome), "{name} in chunks of {size}");
    }
    let (mut content, mut reasoning) = (String::new(), String::new());
    let mut replayed = ResponsesAccumulator::new();
    let mut decoder = Decoder::new();
    for event in decoder.feed(&bytes).into_iter().chain(decoder.finish()) {
        for update in replayed.push(&event) {
            match update {
                Update::Content(r) => content.push_str(&replayed.reply().content[r]),
                Update::Reasoning(r) => reasoning.push_str(&replayed.reply().reasoning[r]),
                _ => {}
            }
        }
    }
    assert_eq!(
        content,
        entry.message.content().text(),
        "{name}: content updates"
    );
    assert_eq!(
        reasoning,
        entry.reasoning.clone().unwrap_or_default(),
        "{name}: reasoning updates"
    );
    assert!(!updates.is_empty(), "{name}");
    (entry, outcome)
}

fn tool_calls(entry: &Entry) -> Vec<ToolCall> {
    match &entry.message {
        chat_core::types::Message::Assistant {
            tool_calls: Some(calls),
            ..
        } => calls.clone(),
        _ => Vec::new(),
    }
}

fn usage_total(entry: &Entry) -> Option<u64> {
    entry.usage.as_ref()?.get("total_tokens")?.as_u64()
}

#[test]
fn a_text_reply_with_a_keep_alive_comment_is_one_entry_with_usage_and_response_id() {
    let (entry, outcome) = run("openai-text-ok.sse", 1);
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(entry.message.content().text(), "OK");
    assert_eq!(entry.finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        entry.response_id.as_deref(),
        Some("resp_sanitized_streaming")
    );
    assert_eq!(entry.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    let usage = entry.usage.as_ref().unwrap();
    assert_eq!(
        (
            usage["input_tokens"].as_u64(),
            usage["output_tokens"].as_u64()
        ),
        (Some(12), Some(2))
    );
    assert_eq!(usage["input_tokens_details"]["cache_write_tokens"], 0);
    assert_eq!(entry.reasoning, None);
    assert_eq!(entry.error, None);
}

#[test]
fn text_deltas_without_a_space_after_data_are_the_content_and_the_last_response_id_wins() {
    let (entry, outcome) = run("vercel-text-deltas.sse", 1);
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(entry.message.content().text(), "Hello, World!");
    assert_eq!(entry.finish_reason, Some(FinishReason::Stop));
    assert_eq!(usage_total(&entry), Some(512));
    // The completed response's id, the one a chained request must name.
    assert_eq!(
        entry.response_id.as_deref(),
        Some("resp_67c9a878139c8190aa2e3105411b408b")
    );
}

#[test]
fn an_incomplete_response_cut_by_max_output_tokens_finishes_with_length() {
    let (entry, outcome) = run("vercel-incomplete-max-output-tokens.sse", 1);
    assert_eq!(outcome, Outcome::Complete);
    // The deltas, not the `output_text.done` text ("Hello,!").
    assert_eq!(entry.message.content().text(), "Hello,");
    assert_eq!(entry.finish_reason, Some(FinishReason::Length));
    assert_eq!(usage_total(&entry), Some(0));
}

#[test]
fn two_function_calls_are_two_tool_calls_in_output_order_with_their_first_call_ids() {
    let (entry, outcome) = run("vercel-two-function-calls.sse", 1);
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(
        tool_calls(&entry),
        vec![
            ToolCall::function("call_6KxSghkb4MVnunFH2TxPErLP", "currentLocation", "{}"),
            ToolCall::function(
                "call_Dg6WUmFHNeR5JxX1s53s1G4b",
                "weather",
                r#"{"location":"Rome"}"#
            ),
        ]
    );
    assert_eq!(entry.message.content().text(), "");
    assert_eq!(entry.finish_reason, Some(FinishReason::ToolCalls));
}

#[test]
fn a_reasoning_summary_is_the_reasoning_and_the_function_call_follows_it() {
    let (entry, outcome) = run("openai-reasoning-summary-function-call.sse", 5);
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(
        entry.reasoning.as_deref(),
        Some(
            "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then \
             multiply the result by 3, and finally multiply that by 10, reporting the final \
             product."
        )
    );
    assert_eq!(
        tool_calls(&entry),
        vec![ToolCall::function(
            "call_AB6AaRZ1FYZB2RwS6A5vbdqn",
            "calculator",
            r#"{"a":12,"b":7,"op":"add"}"#
        )]
    );
    assert_eq!(entry.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(usage_total(&entry), Some(162));
    assert_eq!(entry.model.as_deref(), Some("gpt-5.1-codex-max"));
    assert!(!entry.message.content().text().contains("gAAAA"));
}

#[test]
fn an_error_event_fails_the_reply_with_the_servers_message_and_code() {
    let (entry, outcome) = run("openai-error-event-then-failed.sse", 1);
    let Outcome::Failed(e) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(e.kind, ErrorKind::StreamError);
    assert_eq!(e.code.as_deref(), Some("insufficient_quota"));
    assert!(e.message.starts_with("You exceeded your current quota"));
    assert_eq!(entry.finish_reason, None);
    assert_eq!(entry.model.as_deref(), Some("gpt-5-nano-2025-08-07"));
}

#[test]
fn a_failed_response_fails_the_reply_with_its_error() {
    let (entry, outcome) = run("openai-response-failed-only.sse", 1);
    let Outcome::Failed(e) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
    assert!(e.message.starts_with("Request too large for gpt-4o-mini"));
    assert_eq!(entry.response_id.as_deref(), Some("resp_test_failed_001"));
}

#[test]
fn the_accumulator_for_the_responses_style_reads_the_recordings_alike() {
    let bytes = fixture("vercel-two-function-calls.sse");
    let mut decoder = Decoder::new();
    let mut acc = Accumulator::for_style(ApiStyle::Responses);
    for event in decoder.feed(&bytes).into_iter().chain(decoder.finish()) {
        acc.push(&event);
    }
    assert!(acc.is_finished());
    assert_eq!(acc.finish(), Outcome::Complete);
    let (entry, _, _) = entry_of(&[&bytes]);
    assert_eq!(Entry::from_reply("a1", &acc.into_reply()), entry);
}
