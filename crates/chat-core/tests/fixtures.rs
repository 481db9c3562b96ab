//! Recorded (llama.cpp) and hand-made (Azure shapes) streams through decoder + accumulator.

use chat_core::error::{classify_http, ErrorKind};
use chat_core::sse::Decoder;
use chat_core::stream::{parse_completion, Outcome, Reply, StreamAccumulator, Update};
use chat_core::transcript::Entry;
use chat_core::types::{FinishReason, ToolCall};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feeds `bytes` in chunks of the given sizes (cycled); returns reply, outcome, updates.
fn run_chunked(bytes: &[u8], sizes: &[usize]) -> (Reply, Outcome, Vec<Update>) {
    let mut decoder = Decoder::new();
    let mut acc = StreamAccumulator::new();
    let mut updates = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() && !acc.is_finished() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        i += 1;
        for event in decoder.feed(&rest[..n]) {
            updates.extend(acc.push(&event));
        }
        rest = &rest[n..];
    }
    for event in decoder.finish() {
        updates.extend(acc.push(&event));
    }
    updates.extend(acc.flush());
    let outcome = acc.finish();
    (acc.into_reply(), outcome, updates)
}

/// Runs whole and in several chunkings; all must agree. Also checks that the updates
/// rebuild the content exactly.
fn run(name: &str) -> (Reply, Outcome) {
    let bytes = fixture(name);
    let (reply, outcome, updates) = run_chunked(&bytes, &[usize::MAX]);
    for sizes in [&[1][..], &[2, 3, 5], &[7, 1, 64], &[4096]] {
        let (r, o, _) = run_chunked(&bytes, sizes);
        assert_eq!((&r, &o), (&reply, &outcome), "{name} split {sizes:?}");
    }
    // The content updates are consecutive ranges that cover the content exactly.
    let mut end = 0;
    for update in &updates {
        if let Update::Content(range) = update {
            assert_eq!(
                range.start, end,
                "{name}: content updates follow each other"
            );
            assert!(
                range.end > range.start,
                "{name}: a content update is not empty"
            );
            end = range.end;
        }
    }
    assert_eq!(
        end,
        reply.content.len(),
        "{name}: content updates rebuild the content"
    );
    (reply, outcome)
}

fn usage_total(reply: &Reply) -> Option<u64> {
    reply.usage.as_ref()?.get("total_tokens")?.as_u64()
}

#[test]
fn llamacpp_stream_cut_by_max_tokens_finishes_with_length() {
    let (reply, outcome) = run("llamacpp-stream-length.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(reply.finish_reason, Some(FinishReason::Length));
    assert!(!reply.content.is_empty());
    assert!(reply.model.as_deref().is_some_and(|m| m.ends_with(".gguf")));
    assert_eq!(reply.usage, None);
}

#[test]
fn llamacpp_usage_only_chunk_with_empty_choices_gives_usage() {
    let (reply, outcome) = run("llamacpp-stream-usage.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(usage_total(&reply), Some(37));
    assert_eq!(reply.finish_reason, Some(FinishReason::Length));
    let (stop, _) = run("llamacpp-stream-stop.sse");
    assert_eq!(stop.finish_reason, Some(FinishReason::Stop));
    assert!(usage_total(&stop).is_some());
}

#[test]
fn llamacpp_stream_cut_off_mid_reply_is_interrupted_and_kept() {
    let (reply, outcome) = run("llamacpp-stream-cut.sse");
    assert_eq!(outcome, Outcome::Interrupted);
    assert!(reply.content.len() > 10);
    assert_eq!(reply.finish_reason, None);
}

#[test]
fn llamacpp_long_stream_content_matches_its_chunks() {
    let (reply, outcome) = run("llamacpp-stream-long.sse");
    assert_eq!(outcome, Outcome::Complete);
    let text = String::from_utf8(fixture("llamacpp-stream-long.sse")).unwrap();
    let expected: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| {
            v.pointer("/choices/0/delta/content")
                .and_then(|c| c.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(reply.content, expected);
}

#[test]
fn llamacpp_non_streaming_completion_parses() {
    let body = String::from_utf8(fixture("llamacpp-nonstream.json")).unwrap();
    let reply = parse_completion(&body).unwrap();
    assert_eq!(reply.content, "Hi-way user\nHi-way user\nHi-way user\nHi");
    assert_eq!(reply.finish_reason, Some(FinishReason::Length));
    assert_eq!(usage_total(&reply), Some(26));
}

fn http_fixture(name: &str) -> (u16, Vec<(String, String)>, String) {
    let text = String::from_utf8(fixture(name)).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

#[test]
fn llamacpp_context_overflow_error_is_context_length_exceeded() {
    let (status, headers, body) = http_fixture("llamacpp-error-context.http");
    let e = classify_http(status, &headers, &body, None);
    assert_eq!(e.kind, ErrorKind::ContextLengthExceeded);
    assert!(e.message.contains("6009 tokens"));
    assert_eq!(e.code.as_deref(), Some("400"));
}

#[test]
fn llamacpp_wrongly_typed_parameter_is_bad_request_with_the_server_message() {
    let (status, headers, body) = http_fixture("llamacpp-error-400.http");
    let e = classify_http(status, &headers, &body, None);
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.starts_with("Field 'temperature'"));
    assert!(!e.retryable);
}

#[test]
fn azure_openai_unrecognized_argument_is_unsupported_parameter_naming_it() {
    let (status, headers, body) = http_fixture("azure-openai-error-unrecognized-argument.http");
    let e = classify_http(status, &headers, &body, None);
    assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
    assert_eq!(e.param.as_deref(), Some("max_completion_tokens"));
    assert_eq!(e.code, None);
    assert!(!e.retryable);
    let hint = e.hint.unwrap();
    assert!(hint.contains("\"max_completion_tokens\" key"), "{hint}");
    assert!(hint.contains("extraParams"), "{hint}");
}

#[test]
fn azure_openai_stream_with_prompt_filter_results_and_crlf_accumulates() {
    let (reply, outcome) = run("azure-openai-stream-usage.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(reply.content, "Bonjour à tous!");
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!(usage_total(&reply), Some(17));
    assert_eq!(reply.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(reply.refusal, None);
}

#[test]
fn azure_content_filter_finish_keeps_the_text_before_it() {
    let (reply, outcome) = run("azure-openai-stream-content-filter.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(reply.content, "Here is how");
    assert_eq!(reply.finish_reason, Some(FinishReason::ContentFilter));
}

#[test]
fn azure_inference_stream_without_done_ends_cleanly_after_finish_reason() {
    let (reply, outcome) = run("azure-inference-stream-no-done.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(reply.content, "As of now, about 7,000 languages.");
    assert_eq!(usage_total(&reply), Some(91));
}

#[test]
fn in_stream_error_object_fails_as_stream_error_keeping_content() {
    let (reply, outcome) = run("azure-stream-error.sse");
    assert_eq!(reply.content, "The answer is");
    let Outcome::Failed(e) = outcome else {
        panic!("expected failure, got {outcome:?}")
    };
    assert_eq!(e.kind, ErrorKind::StreamError);
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert!(e.message.starts_with("The server had an error"));
}

#[test]
fn error_event_fails_as_stream_error_keeping_content() {
    let (reply, outcome) = run("event-error.sse");
    assert_eq!(reply.content, "Partial");
    let Outcome::Failed(e) = outcome else {
        panic!("expected failure, got {outcome:?}")
    };
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::StreamError, "Rate limit reached mid-stream")
    );
}

#[test]
fn interleaved_parallel_tool_calls_are_assembled_by_index() {
    let (reply, outcome) = run("openai-stream-parallel-tools.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(
        reply.tool_calls,
        vec![
            ToolCall::function("call_A", "get_weather", r#"{"city":"Paris"}"#),
            ToolCall::function("call_B", "get_time", r#"{"tz":"Europe/Paris"}"#),
        ]
    );
    assert_eq!(reply.content, "");
    assert_eq!(reply.finish_reason, Some(FinishReason::ToolCalls));
}

/// Cut in two at every byte, the stream gives the same transcript entry as read whole.
fn same_entry_at_every_split(name: &str) -> Entry {
    let bytes = fixture(name);
    let entry = |bytes: &[&[u8]]| {
        let mut decoder = Decoder::new();
        let mut acc = StreamAccumulator::new();
        for chunk in bytes {
            for event in decoder.feed(chunk) {
                acc.push(&event);
            }
        }
        for event in decoder.finish() {
            acc.push(&event);
        }
        let outcome = acc.finish();
        (Entry::from_reply("a1", &acc.into_reply()), outcome)
    };
    let whole = entry(&[&bytes]);
    for i in 0..=bytes.len() {
        assert_eq!(
            entry(&[&bytes[..i], &bytes[i..]]),
            whole,
            "{name} cut at byte {i}"
        );
    }
    assert_eq!(whole.1, Outcome::Complete, "{name}");
    whole.0
}

#[test]
fn deepseek_think_block_becomes_reasoning_and_the_content_keeps_its_blank_lines() {
    let (reply, _) = run("deepseek-stream-think.sse");
    assert_eq!(reply.reasoning, "\nTwo plus two is four.\n");
    assert_eq!(reply.content, "\n\n**4**");
}

#[test]
fn azure_inference_deepseek_r1_content_is_the_text_after_think_exactly_as_sent() {
    let (reply, outcome) = run("azure-inference-deepseek-r1-think.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(reply.reasoning, "\nOkay, 17 × 3 = 51.\n");
    assert_eq!(reply.content, "\n\n17 × 3 = **51**.");
    assert_eq!(reply.model.as_deref(), Some("DeepSeek-R1"));
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!(usage_total(&reply), Some(32));
    let entry = same_entry_at_every_split("azure-inference-deepseek-r1-think.sse");
    assert_eq!(entry.message.content().text(), "\n\n17 × 3 = **51**.");
    assert_eq!(entry.reasoning.as_deref(), Some(reply.reasoning.as_str()));
}

#[test]
fn think_tags_split_across_deltas_still_leave_the_content_verbatim() {
    let (reply, outcome) = run("azure-inference-deepseek-r1-think-split.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(reply.reasoning, "\nTom & Jerry: a cat and a mouse.\n");
    assert_eq!(
        reply.content, "\n\n\n*Tom & Jerry* is a cartoon.\n",
        "the blank lines after </think>, in its delta and the next, are kept"
    );
    let entry = same_entry_at_every_split("azure-inference-deepseek-r1-think-split.sse");
    assert_eq!(entry.message.content().text(), reply.content);
}

#[test]
fn magistral_thinking_parts_are_reasoning_text_parts_content_and_other_parts_ignored() {
    let (reply, outcome) = run("mistral-magistral-stream-thinking.sse");
    assert_eq!(outcome, Outcome::Complete);
    assert_eq!(
        reply.reasoning,
        "Okay, the user wants the capital of France.\n\nIt is Paris — café included.\n"
    );
    assert_eq!(
        reply.content,
        "The capital of France is **Paris**.\n\nBon voyage !"
    );
    assert!(!reply.content.contains("object"));
    assert_eq!(reply.model.as_deref(), Some("magistral-medium-2509"));
    assert_eq!(usage_total(&reply), Some(44));
    let entry = same_entry_at_every_split("mistral-magistral-stream-thinking.sse");
    assert_eq!(entry.message.content().text(), reply.content);
    assert_eq!(entry.reasoning.as_deref(), Some(reply.reasoning.as_str()));
}

#[test]
fn magistral_non_streamed_message_content_parts_are_read_alike() {
    let body = String::from_utf8(fixture("mistral-magistral-nonstream.json")).unwrap();
    let reply = parse_completion(&body).unwrap();
    assert_eq!(reply.reasoning, "The user says hello. Answer briefly.");
    assert_eq!(reply.content, "Hello! How can I help?");
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!(usage_total(&reply), Some(38));
}
