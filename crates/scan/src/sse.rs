//! Server-sent events decoder (WHATWG "event stream interpretation").
//!
//! Bytes are scanned once: each byte is looked at when it arrives, and only the bytes of
//! an unfinished line are kept between chunks. Lines are split at CR, LF and CRLF before
//! any UTF-8 decoding; since those are ASCII bytes, decoding each line (lossily, with
//! maximal subparts) gives exactly what decoding the whole stream would, and a character
//! split between two chunks stays whole because its bytes wait in the line buffer.

/// One dispatched server-sent event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The event type; `"message"` when the stream did not name one.
    pub event: String,
    /// The `data` lines of the event joined with LF.
    pub data: String,
    /// The last event ID at dispatch time (persists across events; `""` until set).
    pub id: String,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Incremental decoder: feed it network chunks, get complete events.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Number of BOM bytes matched so far at the start of the stream, or `None` once the
    /// start of the stream has been decided.
    bom_matched: Option<usize>,
    /// The previous chunk ended with CR: an LF at the start of the next one is its pair.
    after_cr: bool,
    /// Bytes of the current, unfinished line (only when it spans chunks).
    line: Vec<u8>,
    /// Data buffer: the `data` values so far, joined with LF (empty after each dispatch,
    /// so the first value of an event is copied into an allocation of exactly its size).
    data: Vec<u8>,
    /// Event type buffer.
    event_type: Vec<u8>,
    /// Last event ID buffer.
    last_id: Vec<u8>,
    /// Whether the current block had at least one `data` field.
    has_data: bool,
    retry: Option<u64>,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Decoder {
            bom_matched: Some(0),
            ..Decoder::default()
        }
    }

    /// Decodes one network chunk; returns the events it completes.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        let rest = self.strip_bom(chunk, &mut out);
        self.scan(rest, &mut out);
        out
    }

    /// Ends the input. An event without its closing blank line is discarded, as the
    /// standard says, so this never dispatches; it resets the decoder for a new stream
    /// (the last event ID and retry value are kept).
    pub fn finish(&mut self) -> Vec<Event> {
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
        self.has_data = false;
        self.after_cr = false;
        self.bom_matched = Some(0);
        Vec::new()
    }

    /// The last valid `retry:` value, in milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Consumes the leading BOM (possibly split between chunks); returns what follows it.
    fn strip_bom<'a>(&mut self, chunk: &'a [u8], out: &mut Vec<Event>) -> &'a [u8] {
        let Some(matched) = self.bom_matched else {
            return chunk;
        };
        let mut taken = 0;
        let mut m = matched;
        while m < BOM.len() && taken < chunk.len() {
            if chunk[taken] != BOM[m] {
                // Not a BOM: the bytes held back so far are ordinary stream bytes.
                self.bom_matched = None;
                self.scan(&BOM[..matched], out);
                return chunk;
            }
            m += 1;
            taken += 1;
        }
        if m == BOM.len() {
            self.bom_matched = None;
        } else {
            self.bom_matched = Some(m);
        }
        &chunk[taken..]
    }

    fn scan(&mut self, mut bytes: &[u8], out: &mut Vec<Event>) {
        if bytes.is_empty() {
            return;
        }
        if self.after_cr {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        while let Some(pos) = find_line_end(bytes) {
            let terminator = bytes[pos];
            if self.line.is_empty() {
                self.process_line(&bytes[..pos], out);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&bytes[..pos]);
                self.process_line(&line, out);
                line.clear();
                self.line = line;
            }
            let mut next = pos + 1;
            if terminator == b'\r' {
                match bytes.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            bytes = &bytes[next..];
        }
        self.line.extend_from_slice(bytes);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<Event>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return,
            Some(colon) => {
                let value = &line[colon + 1..];
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (&line[..colon], value)
            }
            None => (line, &line[line.len()..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            b"id" if !value.contains(&0) => {
                self.last_id.clear();
                self.last_id.extend_from_slice(value);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Digits only, so this is ASCII; a value too large for u64 is ignored.
                if let Some(ms) = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()) {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Event>) {
        if !self.has_data {
            self.event_type.clear();
            return;
        }
        self.has_data = false;
        let event = if self.event_type.is_empty() {
            String::from("message")
        } else {
            decode(&self.event_type)
        };
        let data = std::mem::take(&mut self.data);
        let data = String::from_utf8(data)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        out.push(Event {
            event,
            data,
            id: decode(&self.last_id),
        });
        self.event_type.clear();
    }
}

/// Index of the first CR or LF, eight bytes at a time.
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = ONES * b'\n' as u64;
    const CR: u64 = ONES * b'\r' as u64;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (i, word) in words.enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let (x, y) = (w ^ LF, w ^ CR);
        // Flags a zero byte of x or y; the lowest flag is always exact.
        let found = (x.wrapping_sub(ONES) & !x & HIGH) | (y.wrapping_sub(ONES) & !y & HIGH);
        if found != 0 {
            return Some(i * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let base = bytes.len() - tail.len();
    tail.iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map(|p| base + p)
}

/// UTF-8 with U+FFFD for each maximal invalid subpart.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str, id: &str) -> Event {
        Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        }
    }

    fn whole(bytes: &[u8]) -> Vec<Event> {
        let mut d = Decoder::new();
        let mut out = d.feed(bytes);
        out.extend(d.finish());
        out
    }

    fn bytewise(bytes: &[u8]) -> Vec<Event> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for b in bytes {
            out.extend(d.feed(std::slice::from_ref(b)));
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn lf_crlf_and_cr_all_end_lines() {
        let expected = vec![ev("message", "a", ""), ev("message", "b", "")];
        assert_eq!(whole(b"data: a\n\ndata: b\n\n"), expected);
        assert_eq!(whole(b"data: a\r\n\r\ndata: b\r\n\r\n"), expected);
        assert_eq!(whole(b"data: a\r\rdata: b\r\r"), expected);
        assert_eq!(whole(b"data: a\r\n\rdata: b\n\r\n"), expected);
    }

    #[test]
    fn crlf_split_between_chunks_is_one_line_end() {
        let mut d = Decoder::new();
        assert_eq!(d.feed(b"data: a\r"), vec![]);
        assert_eq!(d.feed(b"\ndata: b\r"), vec![]);
        assert_eq!(d.feed(b"\n\r"), vec![ev("message", "a\nb", "")]);
    }

    #[test]
    fn lone_cr_at_chunk_end_ends_the_line_before_more_text() {
        let mut d = Decoder::new();
        assert_eq!(d.feed(b"data: a\r"), vec![]);
        assert_eq!(d.feed(b"\r"), vec![ev("message", "a", "")]);
        assert_eq!(d.feed(b"data: b\r"), vec![]);
        assert_eq!(d.feed(b"data: c\n\n"), vec![ev("message", "b\nc", "")]);
    }

    #[test]
    fn one_leading_bom_is_stripped_even_when_split_or_after_empty_chunks() {
        let mut d = Decoder::new();
        assert!(d.feed(b"").is_empty());
        assert!(d.feed(&[0xEF]).is_empty());
        assert!(d.feed(b"").is_empty());
        assert!(d.feed(&[0xBB]).is_empty());
        assert_eq!(d.feed(b"\xBFdata: x\n\n"), vec![ev("message", "x", "")]);
    }

    #[test]
    fn a_second_bom_is_part_of_the_field_name() {
        // The second BOM makes the first field name "\u{feff}data", which is ignored.
        assert_eq!(
            whole(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n"),
            vec![ev("message", "y", "")]
        );
    }

    #[test]
    fn a_partial_bom_followed_by_other_bytes_is_decoded_as_invalid_utf8() {
        assert_eq!(
            bytewise(b"\xEF\xBBdata: x\n\ndata: \xEF\xBB\n\n"),
            vec![ev("message", "\u{FFFD}", "")]
        );
    }

    #[test]
    fn invalid_bytes_become_replacement_characters_by_maximal_subpart() {
        let raw = b"data: a\xF0\x9F\x98b\xFF\xC0\x80c\xED\xA0\x80\n\n";
        let expected = String::from_utf8_lossy(&raw[6..raw.len() - 2]).into_owned();
        assert_eq!(whole(raw), vec![ev("message", &expected, "")]);
        assert_eq!(bytewise(raw), vec![ev("message", &expected, "")]);
    }

    #[test]
    fn multibyte_character_split_between_chunks_is_kept_whole() {
        let mut d = Decoder::new();
        let bytes = "data: h\u{e9}\u{1F600}\n\n".as_bytes();
        assert!(d.feed(&bytes[..8]).is_empty());
        assert!(d.feed(&bytes[8..11]).is_empty());
        assert_eq!(
            d.feed(&bytes[11..]),
            vec![ev("message", "h\u{e9}\u{1F600}", "")]
        );
    }

    #[test]
    fn comments_are_ignored() {
        assert_eq!(
            whole(b": keep-alive\n\n:x\ndata: a\n\n"),
            vec![ev("message", "a", "")]
        );
    }

    #[test]
    fn only_one_space_after_the_colon_is_removed() {
        assert_eq!(
            whole(b"data:a\n\ndata:  b\n\ndata:\n\n"),
            vec![
                ev("message", "a", ""),
                ev("message", " b", ""),
                ev("message", "", "")
            ]
        );
    }

    #[test]
    fn data_lines_are_joined_with_lf() {
        assert_eq!(
            whole(b"data: a\ndata\ndata: c\n\n"),
            vec![ev("message", "a\n\nc", "")]
        );
    }

    #[test]
    fn event_type_defaults_to_message_and_resets_after_dispatch() {
        assert_eq!(
            whole(b"event: error\ndata: x\n\ndata: y\n\n"),
            vec![ev("error", "x", ""), ev("message", "y", "")]
        );
    }

    #[test]
    fn last_event_id_persists_and_an_id_with_nul_is_ignored() {
        assert_eq!(
            whole(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n"),
            vec![
                ev("message", "a", "1"),
                ev("message", "b", "1"),
                ev("message", "c", "1"),
                ev("message", "d", ""),
            ]
        );
    }

    #[test]
    fn an_id_in_a_block_without_data_still_sets_the_last_event_id() {
        assert_eq!(
            whole(b"id: 7\n\ndata: a\n\n"),
            vec![ev("message", "a", "7")]
        );
    }

    #[test]
    fn retry_accepts_digits_only() {
        let mut d = Decoder::new();
        d.feed(b"retry: 1500\n\n");
        assert_eq!(d.retry(), Some(1500));
        d.feed(b"retry: 2x\nretry: -1\nretry: \nretry: 1.5\nretry: 99999999999999999999999\n\n");
        assert_eq!(d.retry(), Some(1500));
        d.feed(b"retry:30\n");
        assert_eq!(d.retry(), Some(30));
    }

    #[test]
    fn a_block_without_data_dispatches_nothing() {
        assert_eq!(whole(b"event: ping\n\nid: 1\n\n: c\n\n"), vec![]);
        assert_eq!(
            whole(b"event: ping\n\ndata: x\n\n"),
            vec![ev("message", "x", "")]
        );
    }

    #[test]
    fn nothing_is_dispatched_at_end_of_input_without_a_blank_line() {
        assert_eq!(whole(b"data: a\n\ndata: b\n"), vec![ev("message", "a", "")]);
        assert_eq!(whole(b"data: a\n\ndata: b"), vec![ev("message", "a", "")]);
    }

    #[test]
    fn only_cr_and_lf_end_lines() {
        let raw = "data: a\u{2028}b\u{85}c\u{c}d\n\n";
        assert_eq!(
            whole(raw.as_bytes()),
            vec![ev("message", "a\u{2028}b\u{85}c\u{c}d", "")]
        );
    }

    #[test]
    fn field_names_are_case_sensitive_and_unknown_ones_ignored() {
        assert_eq!(
            whole(b"Data: a\nfoo: b\ndata: c\n\n"),
            vec![ev("message", "c", "")]
        );
    }

    #[test]
    fn line_end_search_finds_the_first_cr_or_lf_at_every_offset() {
        for len in 0..20 {
            for at in 0..len {
                for end in [b'\n', b'\r'] {
                    let mut v = vec![0x8Au8; len];
                    v[at] = end;
                    if at + 1 < len {
                        v[at + 1] = b'\n';
                    }
                    assert_eq!(find_line_end(&v), Some(at), "len {len} at {at}");
                }
            }
            assert_eq!(find_line_end(&vec![0x0Bu8; len]), None);
        }
    }

    #[test]
    fn finish_discards_a_partial_event_and_starts_a_new_stream() {
        let mut d = Decoder::new();
        assert!(d.feed(b"id: 3\ndata: partial").is_empty());
        assert!(d.finish().is_empty());
        assert_eq!(
            d.feed(b"\xEF\xBB\xBFdata: x\n\n"),
            vec![ev("message", "x", "3")]
        );
    }
}
