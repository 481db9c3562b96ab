//! Bench-only entry point: chat-core's SSE decoder and stream accumulators (chat completions'
//! `StreamAccumulator`, the Responses API's `ResponsesAccumulator`) run over a whole streamed
//! response body, fed in network-sized chunks, as the component does on each read.

use chat_core::responses::ResponsesAccumulator;
use chat_core::sse::Decoder;
use chat_core::stream::{Accumulate, StreamAccumulator};
use wasm_bindgen::prelude::*;

/// Bytes per `feed` call: a typical network read.
pub const CHUNK_BYTES: usize = 16 * 1024;

/// Which API's stream the bytes are, and so which accumulator folds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Chat completions: `data:` events of `chat.completion.chunk`s, then `[DONE]`.
    Chat,
    /// The Responses API: `event:` + `data:` events (`response.output_text.delta`, …).
    Responses,
}

/// Decodes `bytes` as one streamed chat completion (SSE of `chat.completion.chunk`s) in
/// [`CHUNK_BYTES`] pieces and returns the length of the accumulated content in bytes.
#[wasm_bindgen]
pub fn decode(bytes: &[u8]) -> usize {
    decode_chunked(bytes, CHUNK_BYTES, Style::Chat)
}

/// [`decode`] for a streamed Responses API answer (`response.output_text.delta` events and
/// the rest), folded by `ResponsesAccumulator`.
#[wasm_bindgen]
pub fn decode_responses(bytes: &[u8]) -> usize {
    decode_chunked(bytes, CHUNK_BYTES, Style::Responses)
}

/// SSE framing only (no JSON, no accumulation): the number of events in `bytes`, fed in
/// [`CHUNK_BYTES`] pieces. Splits the cost of [`decode`] between framing and the rest; the
/// same for either style.
#[wasm_bindgen]
pub fn frame_only(bytes: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut events = 0;
    for piece in bytes.chunks(CHUNK_BYTES) {
        events += decoder.feed(piece).len();
    }
    events + decoder.finish().len()
}

/// [`decode`] or [`decode_responses`] with a chosen piece size (0 is taken as 1).
pub fn decode_chunked(bytes: &[u8], chunk_bytes: usize, style: Style) -> usize {
    match style {
        Style::Chat => accumulate(bytes, chunk_bytes, StreamAccumulator::new()),
        Style::Responses => accumulate(bytes, chunk_bytes, ResponsesAccumulator::new()),
    }
}

/// Feeds `bytes` in `chunk_bytes` pieces through the decoder into `accumulator`; the
/// length of the content in bytes.
fn accumulate(bytes: &[u8], chunk_bytes: usize, mut accumulator: impl Accumulate) -> usize {
    let mut decoder = Decoder::new();
    // As the component reads: one vector of updates for the whole stream.
    let mut updates = Vec::new();
    for piece in bytes.chunks(chunk_bytes.max(1)) {
        for event in decoder.feed(piece) {
            accumulator.push_into(&event, &mut updates);
            updates.clear();
        }
    }
    for event in decoder.finish() {
        accumulator.push_into(&event, &mut updates);
        updates.clear();
    }
    accumulator.flush();
    accumulator.reply().content.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(parts: &[&str]) -> Vec<u8> {
        let mut body = String::new();
        for part in parts {
            body.push_str(&format!(
                "data: {{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{part:?}}}}}]}}\n\n"
            ));
        }
        body.push_str("data: [DONE]\n\n");
        body.into_bytes()
    }

    /// A Responses stream of `parts` as deltas, ending as the API does: the whole text
    /// again in `response.output_text.done` and `response.completed`.
    fn responses_stream(parts: &[&str]) -> Vec<u8> {
        let mut events = vec![(
            "response.created",
            r#"{"response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}"#.to_owned(),
        )];
        let at = r#""content_index":0,"item_id":"msg_1","output_index":0"#;
        for part in parts {
            events.push((
                "response.output_text.delta",
                format!(r#"{{{at},"delta":{part:?},"logprobs":[]}}"#),
            ));
        }
        let text = parts.concat();
        events.push((
            "response.output_text.done",
            format!(r#"{{{at},"text":{text:?}}}"#),
        ));
        events.push((
            "response.completed",
            format!(
                r#"{{"response":{{"id":"resp_1","object":"response","status":"completed","output":[{{"id":"msg_1","type":"message","role":"assistant","content":[{{"type":"output_text","text":{text:?}}}]}}]}}}}"#
            ),
        ));
        let mut body = String::new();
        for (sequence, (kind, data)) in events.into_iter().enumerate() {
            let data = data.replacen(
                '{',
                &format!(r#"{{"type":"{kind}","sequence_number":{sequence},"#),
                1,
            );
            body.push_str(&format!("event: {kind}\ndata: {data}\n\n"));
        }
        body.into_bytes()
    }

    #[test]
    fn content_length_is_the_sum_of_the_deltas() {
        let bytes = stream(&["Hello", ", ", "wörld", "!"]);
        assert_eq!(decode(&bytes), "Hello, wörld!".len());
    }

    #[test]
    fn responses_content_is_the_deltas_not_also_the_repeated_text() {
        let bytes = responses_stream(&["Hello", ", ", "wörld", "!"]);
        assert_eq!(decode_responses(&bytes), "Hello, wörld!".len());
    }

    #[test]
    fn piece_size_does_not_change_the_result() {
        let parts = [
            "# Title\n\n",
            "- a\n",
            "- b\n",
            "```rust\nfn main() {}\n```\n",
        ];
        for (bytes, style) in [
            (stream(&parts), Style::Chat),
            (responses_stream(&parts), Style::Responses),
        ] {
            let whole = decode_chunked(&bytes, bytes.len(), style);
            assert_eq!(whole, parts.concat().len(), "{style:?}");
            for size in [0, 1, 2, 3, 7, 64] {
                assert_eq!(
                    decode_chunked(&bytes, size, style),
                    whole,
                    "{style:?}, piece size {size}"
                );
            }
        }
    }

    #[test]
    fn framing_counts_every_event_including_done() {
        assert_eq!(frame_only(&stream(&["a", "b", "c"])), 4);
        assert_eq!(frame_only(&responses_stream(&["a", "b", "c"])), 6);
    }

    #[test]
    fn garbage_input_gives_no_content_and_no_panic() {
        for style in [Style::Chat, Style::Responses] {
            assert_eq!(
                decode_chunked(b"\xff\xfe:\r\r\ndata: {nope\n\n", CHUNK_BYTES, style),
                0
            );
        }
    }
}
