//! Bench-only entry point: chat-core's SSE decoder and stream accumulator run over a whole
//! streamed response body, fed in network-sized chunks, as the component does on each read.

use chat_core::sse::Decoder;
use chat_core::stream::StreamAccumulator;
use wasm_bindgen::prelude::*;

/// Bytes per `feed` call: a typical network read.
pub const CHUNK_BYTES: usize = 16 * 1024;

/// Decodes `bytes` as one streamed chat completion (SSE of `chat.completion.chunk`s) in
/// [`CHUNK_BYTES`] pieces and returns the length of the accumulated content in bytes.
#[wasm_bindgen]
pub fn decode(bytes: &[u8]) -> usize {
    decode_chunked(bytes, CHUNK_BYTES)
}

/// SSE framing only (no JSON, no accumulation): the number of events in `bytes`, fed in
/// [`CHUNK_BYTES`] pieces. Splits the cost of [`decode`] between framing and the rest.
#[wasm_bindgen]
pub fn frame_only(bytes: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut events = 0;
    for piece in bytes.chunks(CHUNK_BYTES) {
        events += decoder.feed(piece).len();
    }
    events + decoder.finish().len()
}

/// [`decode`] with a chosen piece size (0 is taken as 1).
pub fn decode_chunked(bytes: &[u8], chunk_bytes: usize) -> usize {
    let mut decoder = Decoder::new();
    let mut accumulator = StreamAccumulator::new();
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

    #[test]
    fn content_length_is_the_sum_of_the_deltas() {
        let bytes = stream(&["Hello", ", ", "wörld", "!"]);
        assert_eq!(decode(&bytes), "Hello, wörld!".len());
    }

    #[test]
    fn piece_size_does_not_change_the_result() {
        let bytes = stream(&[
            "# Title\n\n",
            "- a\n",
            "- b\n",
            "```rust\nfn main() {}\n```\n",
        ]);
        let whole = decode_chunked(&bytes, bytes.len());
        for size in [0, 1, 2, 3, 7, 64] {
            assert_eq!(decode_chunked(&bytes, size), whole, "piece size {size}");
        }
    }

    #[test]
    fn framing_counts_every_event_including_done() {
        assert_eq!(frame_only(&stream(&["a", "b", "c"])), 4);
    }

    #[test]
    fn garbage_input_gives_no_content_and_no_panic() {
        assert_eq!(decode(b"\xff\xfe:\r\r\ndata: {nope\n\n"), 0);
    }
}
