//! Property: the decoder's output does not depend on how the bytes are split into chunks.

use chat_core::sse::{Decoder, Event};
use proptest::prelude::*;

/// Pieces that exercise every rule: line ends, BOMs, fields, comments, multi-byte and
/// invalid UTF-8, NUL in ids, retry values.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"data".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b"id: ".to_vec()),
        Just(b"retry: ".to_vec()),
        Just(b": comment".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("h\u{e9}\u{1F600}\u{2028}".as_bytes().to_vec()),
        Just(b"\xF0\x9F\x98".to_vec()),
        Just(b"\xFF\xC0\x80\xED\xA0\x80".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"[DONE]".to_vec()),
        Just(b"1234".to_vec()),
        Just(b" ".to_vec()),
        Just(b"{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..6),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(piece(), 0..40).prop_map(|ps| ps.concat())
}

fn decode_chunks(chunks: &[&[u8]]) -> (Vec<Event>, Option<u64>) {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(d.feed(c));
    }
    out.extend(d.finish());
    (out, d.retry())
}

fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for c in cuts {
        chunks.push(&bytes[start..c]);
        start = c;
    }
    chunks.push(&bytes[start..]);
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn every_single_split_point_gives_the_same_events(bytes in stream()) {
        let whole = decode_chunks(&[&bytes]);
        for i in 0..=bytes.len() {
            prop_assert_eq!(&decode_chunks(&[&bytes[..i], &bytes[i..]]), &whole, "split at {}", i);
        }
    }

    #[test]
    fn random_multi_splits_give_the_same_events(
        bytes in stream(),
        points in proptest::collection::vec(any::<usize>(), 0..30),
    ) {
        let whole = decode_chunks(&[&bytes]);
        let chunks = split_at_points(&bytes, &points);
        prop_assert_eq!(decode_chunks(&chunks), whole);
    }

    #[test]
    fn byte_by_byte_gives_the_same_events(bytes in stream()) {
        let whole = decode_chunks(&[&bytes]);
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(decode_chunks(&chunks), whole);
    }

    #[test]
    fn decoded_data_matches_lossy_decoding_of_the_data_bytes(payload in proptest::collection::vec(any::<u8>().prop_filter("no line end", |b| *b != b'\n' && *b != b'\r'), 0..64)) {
        let mut bytes = b"data:".to_vec();
        bytes.extend_from_slice(&payload);
        bytes.extend_from_slice(b"\n\n");
        let (events, _) = decode_chunks(&[&bytes]);
        let value = payload.strip_prefix(b" ").unwrap_or(&payload);
        prop_assert_eq!(events.len(), 1);
        prop_assert_eq!(&events[0].data, &String::from_utf8_lossy(value).into_owned());
    }
}
