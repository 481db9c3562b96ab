//! Fuzzes the SSE decoder and both stream accumulators — chat completions' and the Responses
//! API's — (and the error, completion and response parsers) with arbitrary bytes split at
//! arbitrary points: nothing may panic, and the events must not depend on the split.
#![no_main]

use chat_core::error::classify_http;
use chat_core::sse::Decoder;
use chat_core::stream::{
    parse_completion, parse_response, Accumulate, ResponsesAccumulator, StreamAccumulator, Update,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size pattern; the rest is the stream.
    let Some((&seed, bytes)) = input.split_first() else {
        return;
    };
    let mut whole = Decoder::new();
    let mut expected = whole.feed(bytes);
    expected.extend(whole.finish());

    let mut decoder = Decoder::new();
    let mut acc = StreamAccumulator::new();
    let mut responses = ResponsesAccumulator::new();
    let mut updates = Vec::new();
    let mut events = Vec::new();
    let mut rest = bytes;
    let mut step = usize::from(seed % 17) + 1;
    while !rest.is_empty() {
        let n = step.min(rest.len());
        for event in decoder.feed(&rest[..n]) {
            acc.push(&event);
            updates.extend(responses.push(&event));
            events.push(event);
        }
        rest = &rest[n..];
        step = (step * 7 + usize::from(seed)) % 23 + 1;
    }
    events.extend(decoder.finish());
    assert_eq!(events, expected, "events depend on the split");
    assert_eq!(decoder.retry(), whole.retry());
    acc.flush();
    let _ = acc.finish();
    let _ = acc.reply();
    responses.flush();
    let _ = responses.finish();
    let reply = responses.into_reply();
    // Every text update is a slice of the reply's text (whole characters).
    for update in &updates {
        match update {
            Update::Content(r) => assert!(reply.content.get(r.clone()).is_some()),
            Update::Reasoning(r) => assert!(reply.reasoning.get(r.clone()).is_some()),
            _ => {}
        }
    }

    let text = String::from_utf8_lossy(bytes);
    let _ = parse_completion(&text);
    let _ = parse_response(&text);
    let status = 400 + u16::from(seed % 200);
    let headers = vec![(
        "retry-after".to_owned(),
        text.chars().take(40).collect::<String>(),
    )];
    let _ = classify_http(status, &headers, &text, Some(1_700_000_000_000));
});
