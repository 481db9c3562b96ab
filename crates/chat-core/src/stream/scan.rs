//! Fast reading of the dominant `chat.completion.chunk` shape, without serde.
//!
//! Nearly every chunk of a stream is a text delta of one choice:
//! `{"choices":[{"delta":{"content":"…"},"finish_reason":null,"index":0}],"id":"…",…}`.
//! [`chunk`] reads such a chunk in one pass over the bytes, borrowing strings that have no
//! escapes, skipping (and validating) every field the accumulator does not read. It answers
//! `None` for anything it does not read with certainty — invalid JSON, duplicate fields,
//! escaped keys, tool calls, `usage`, `error`, `message`, content parts, several choices,
//! lone surrogates, a value of an unexpected type, deep nesting — and the caller then reads
//! the chunk with serde, which decides, so both readings always agree. When it answers
//! `Some`, the result is what serde would have deserialized (tests compare the two).
//! [`Shape`] then recognises the next chunks that differ from it only in their text.

use std::borrow::Cow;

use super::{ChoiceChunk, Delta};

/// The fields of a chunk the accumulator reads, when the chunk has at most one choice
/// and no `usage` or `error`.
#[derive(Default)]
#[cfg_attr(test, derive(Debug))]
pub(super) struct Chunk<'a> {
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) model: Option<Cow<'a, str>>,
    pub(super) choice: Option<ChoiceChunk<'a>>,
    /// Where the `content` string literal is in the text, quotes included.
    content_at: Option<(usize, usize)>,
}

/// Nesting allowed inside skipped values (serde allows any).
const DEPTH: u32 = 32;

/// Reads `data` (one JSON text) into `chunk` (empty) if it has the common shape; `None`
/// leaves it to serde (`chunk` is then partly filled: drop it).
pub(super) fn chunk<'a>(data: &'a str, chunk: &mut Chunk<'a>) -> Option<()> {
    let mut s = Scan {
        src: data,
        pos: 0,
        depth: DEPTH,
    };
    s.object(Object::Chunk, chunk)?;
    s.peek().is_none().then_some(())
}

/// The last chunk [`chunk`] read when it was a plain content delta of one choice. Servers
/// repeat every other field unchanged from chunk to chunk, so a chunk with the same bytes
/// before and after its content string literal is that chunk with another text: only the
/// literal needs reading (the rest would read the same, and its `id` and `model` are
/// already applied).
#[derive(Debug, Default)]
pub(super) struct Shape {
    text: String,
    /// The content literal in `text`; `None` when there is no shape.
    literal: Option<(usize, usize)>,
    index: Option<u32>,
}

impl Shape {
    /// The choice index and content of `data` if it is the remembered chunk with another
    /// content string.
    pub(super) fn content<'a>(&self, data: &'a str) -> Option<(Option<u32>, Cow<'a, str>)> {
        let (start, end) = self.literal?;
        let suffix = self.text.get(end..)?;
        let cut = data.len().checked_sub(suffix.len())?;
        let bytes = data.as_bytes();
        if cut <= start
            || bytes[start] != b'"'
            || bytes[..start] != self.text.as_bytes()[..start]
            || bytes[cut..] != *suffix.as_bytes()
        {
            return None;
        }
        let mut s = Scan {
            src: data,
            pos: start + 1,
            depth: 0,
        };
        let text = s.string()?;
        (s.pos == cut).then_some((self.index, text))
    }

    /// Remembers `data` if `chunk`, its reading, is a plain content delta.
    pub(super) fn remember(&mut self, data: &str, chunk: &Chunk<'_>) {
        self.literal = None;
        let Some(choice) = &chunk.choice else {
            return;
        };
        let plain = choice.finish_reason.is_none()
            && choice.delta.as_ref().is_some_and(|d| {
                d.reasoning_content.is_none() && d.reasoning.is_none() && d.refusal.is_none()
            });
        if plain && chunk.content_at.is_some() {
            self.text.clear();
            self.text.push_str(data);
            self.literal = chunk.content_at;
            self.index = choice.index;
        }
    }

    /// A chunk of another shape was read: the next one is not compared with the last.
    pub(super) fn forget(&mut self) {
        self.literal = None;
    }
}

/// The objects of a chunk the reader knows.
#[derive(Clone, Copy)]
enum Object {
    Chunk,
    Choice,
    Delta,
    /// Inside a skipped value.
    Other,
}

/// What a key of a known object holds. The `…Null` ones are read only when null.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Skip,
    Id,
    Model,
    Choices,
    UsageNull,
    ErrorNull,
    Index,
    Delta,
    FinishReason,
    MessageNull,
    Content,
    ReasoningContent,
    Reasoning,
    Refusal,
    ToolCallsNull,
}

fn field(object: Object, key: &str) -> Field {
    match (object, key) {
        (Object::Chunk, "id") => Field::Id,
        (Object::Chunk, "model") => Field::Model,
        (Object::Chunk, "choices") => Field::Choices,
        (Object::Chunk | Object::Choice, "usage") => Field::UsageNull,
        (Object::Chunk, "error") => Field::ErrorNull,
        (Object::Choice, "index") => Field::Index,
        (Object::Choice, "delta") => Field::Delta,
        (Object::Choice, "finish_reason") => Field::FinishReason,
        (Object::Choice, "message") => Field::MessageNull,
        (Object::Delta, "content") => Field::Content,
        (Object::Delta, "reasoning_content") => Field::ReasoningContent,
        (Object::Delta, "reasoning") => Field::Reasoning,
        (Object::Delta, "refusal") => Field::Refusal,
        (Object::Delta, "tool_calls") => Field::ToolCallsNull,
        _ => Field::Skip,
    }
}

struct Scan<'a> {
    src: &'a str,
    pos: usize,
    /// Nesting still allowed.
    depth: u32,
}

impl<'a> Scan<'a> {
    /// The next byte after JSON whitespace (which is skipped).
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.src.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `b` (after whitespace).
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Consumes the literal `word` (after whitespace).
    fn word(&mut self, word: &[u8]) -> Option<()> {
        self.peek()?;
        let rest = self.src.as_bytes().get(self.pos..)?;
        rest.starts_with(word).then(|| self.pos += word.len())
    }

    /// An object; known fields of known objects go into `chunk`, the rest is skipped.
    fn object(&mut self, object: Object, chunk: &mut Chunk<'a>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut seen = 0u16;
        loop {
            self.eat(b'"')?;
            let start = self.pos;
            self.pos = special(self.src.as_bytes(), start)?;
            // A key with an escape (or a control character) is left to serde.
            (self.src.as_bytes()[self.pos] == b'"').then_some(())?;
            let key = self.src.get(start..self.pos)?;
            self.pos += 1;
            let f = field(object, key);
            if f != Field::Skip {
                // serde rejects a repeated field.
                let bit = 1 << f as u16;
                (seen & bit == 0).then_some(())?;
                seen |= bit;
            }
            self.eat(b':')?;
            self.value(f, chunk)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The value of field `f`. Every known field may be null (`None`, as serde reads it).
    fn value(&mut self, f: Field, chunk: &mut Chunk<'a>) -> Option<()> {
        if f == Field::Skip {
            return self.skip(chunk);
        }
        if self.peek()? == b'n' {
            return self.word(b"null");
        }
        let choice = chunk.choice.as_mut();
        let slot = match f {
            Field::Choices => return self.choices(chunk),
            Field::Index => {
                choice?.index = Some(self.index()?);
                return Some(());
            }
            Field::Delta => {
                choice?.delta = Some(Delta::default());
                return self.object(Object::Delta, chunk);
            }
            Field::Id => &mut chunk.id,
            Field::Model => &mut chunk.model,
            Field::FinishReason => &mut choice?.finish_reason,
            Field::Content => &mut choice?.delta.as_mut()?.content,
            Field::ReasoningContent => &mut choice?.delta.as_mut()?.reasoning_content,
            Field::Reasoning => &mut choice?.delta.as_mut()?.reasoning,
            Field::Refusal => &mut choice?.delta.as_mut()?.refusal,
            _ => return None,
        };
        self.eat(b'"')?;
        let start = self.pos - 1;
        *slot = Some(self.string()?);
        if f == Field::Content {
            chunk.content_at = Some((start, self.pos));
        }
        Some(())
    }

    /// `[]` or an array of one choice.
    fn choices(&mut self, chunk: &mut Chunk<'a>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_none() {
            chunk.choice = Some(ChoiceChunk::default());
            self.object(Object::Choice, chunk)?;
            self.eat(b']')?;
        }
        Some(())
    }

    /// Skips any JSON value, checking it as serde would.
    fn skip(&mut self, chunk: &mut Chunk<'a>) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.skip_string()
            }
            open @ (b'{' | b'[') => {
                self.depth = self.depth.checked_sub(1)?;
                if open == b'{' {
                    self.object(Object::Other, chunk)?;
                } else {
                    self.pos += 1;
                    if self.eat(b']').is_none() {
                        loop {
                            self.skip(chunk)?;
                            match self.peek()? {
                                b',' => self.pos += 1,
                                b']' => break,
                                _ => return None,
                            }
                        }
                        self.pos += 1;
                    }
                }
                self.depth += 1;
                Some(())
            }
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => self.number(),
        }
    }

    /// The rest of a string whose opening quote was consumed, unescaped; borrowed when it
    /// has no escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.src.as_bytes();
        let mut from = self.pos;
        let mut owned: Option<String> = None;
        loop {
            self.pos = special(bytes, self.pos)?;
            let run = self.src.get(from..self.pos)?;
            if bytes[self.pos] != b'\\' {
                // A quote ends the string; a control character is an error.
                (bytes[self.pos] == b'"').then_some(())?;
                self.pos += 1;
                return Some(match owned {
                    None => Cow::Borrowed(run),
                    Some(mut text) => {
                        text.push_str(run);
                        Cow::Owned(text)
                    }
                });
            }
            let text = owned.get_or_insert_with(String::new);
            text.push_str(run);
            self.pos += 1;
            text.push(self.escape()?);
            from = self.pos;
        }
    }

    /// The character of the escape after a backslash; a surrogate pair is one character,
    /// a lone surrogate is left to serde (which rejects it).
    fn escape(&mut self) -> Option<char> {
        let b = *self.src.as_bytes().get(self.pos)?;
        self.pos += 1;
        Some(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) {
                    if !self.src.as_bytes().get(self.pos..)?.starts_with(b"\\u") {
                        return None;
                    }
                    self.pos += 2;
                    let low = self.hex4()?.checked_sub(0xDC00).filter(|l| *l < 0x400)?;
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + low)?
                } else {
                    char::from_u32(high)?
                }
            }
            _ => return None,
        })
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.as_bytes().get(self.pos..self.pos + 4)?;
        self.pos += 4;
        digits
            .iter()
            .try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
    }

    /// The rest of a string whose opening quote was consumed; escapes are checked (any
    /// `\u` code unit, as serde does for a value it ignores).
    fn skip_string(&mut self) -> Option<()> {
        let bytes = self.src.as_bytes();
        loop {
            self.pos = special(bytes, self.pos)?;
            let b = bytes[self.pos];
            self.pos += 1;
            match b {
                b'"' => return Some(()),
                b'\\' => {
                    let e = *bytes.get(self.pos)?;
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            self.hex4()?;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let bytes = self.src.as_bytes();
        let mut p = self.pos;
        if bytes.get(p) == Some(&b'-') {
            p += 1;
        }
        match bytes.get(p)? {
            b'0' => p += 1,
            b'1'..=b'9' => p = digits(bytes, p),
            _ => return None,
        }
        if bytes.get(p) == Some(&b'.') {
            p = some_digits(bytes, p + 1)?;
        }
        if let Some(b'e' | b'E') = bytes.get(p) {
            p += 1;
            if let Some(b'+' | b'-') = bytes.get(p) {
                p += 1;
            }
            p = some_digits(bytes, p)?;
        }
        self.pos = p;
        Some(())
    }

    /// A `u32` written as digits (serde rejects a fraction, an exponent, a sign).
    fn index(&mut self) -> Option<u32> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let end = some_digits(bytes, start)?;
        let text = bytes.get(start..end)?;
        if (text.len() > 1 && text[0] == b'0') || matches!(bytes.get(end), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        self.pos = end;
        text.iter().try_fold(0u32, |n, &d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    }
}

/// The end of a run of ASCII digits starting at `p`.
fn digits(bytes: &[u8], mut p: usize) -> usize {
    while bytes.get(p).is_some_and(u8::is_ascii_digit) {
        p += 1;
    }
    p
}

/// [`digits`], requiring at least one.
fn some_digits(bytes: &[u8], p: usize) -> Option<usize> {
    let end = digits(bytes, p);
    (end > p).then_some(end)
}

/// Index of the first `"`, `\` or control character at or after `from`.
fn special(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::super::{Chunk as FullChunk, StreamAccumulator};
    use super::*;
    use crate::sse::{Decoder, Event};
    use proptest::prelude::*;
    use std::fmt::Write;

    /// Whether the fast path read `data`; when it did, serde must read the same fields.
    fn fast_agrees_with_serde(data: &str) -> bool {
        let mut fast = Chunk::default();
        if chunk(data, &mut fast).is_none() {
            return false;
        }
        let full: FullChunk = serde_json::from_str(data)
            .unwrap_or_else(|e| panic!("serde rejects what the fast path read: {e} in {data}"));
        assert_eq!(full.usage, None, "{data}");
        assert_eq!(full.error, None, "{data}");
        assert_eq!((&fast.id, &fast.model), (&full.id, &full.model), "{data}");
        let choices: Vec<_> = fast.choice.into_iter().collect();
        assert_eq!(choices, full.choices.unwrap_or_default(), "{data}");
        true
    }

    fn message(data: &str) -> Event {
        Event {
            event: "message".into(),
            data: data.into(),
            id: String::new(),
        }
    }

    /// Pushes the events through the fast path (with serde behind it) and through serde
    /// alone: the updates of every event, the replies and the outcomes must be equal.
    /// Returns how many events the fast reader reads on its own.
    fn same_updates(events: &[Event]) -> usize {
        let (mut a, mut b) = (StreamAccumulator::new(), StreamAccumulator::new());
        let mut fast = 0;
        for e in events {
            if e.event == "message" && !a.is_finished() && fast_agrees_with_serde(e.data.trim()) {
                fast += 1;
            }
            assert_eq!(a.push(e), b.push_event::<false>(e), "{:?}", e.data);
        }
        assert_eq!(a.flush(), b.flush());
        assert_eq!(a.finish(), b.finish());
        assert_eq!(a.choice_indices(), b.choice_indices());
        for i in a.choice_indices() {
            assert_eq!(a.choice(i), b.choice(i));
        }
        fast
    }

    /// Agreement on one payload, alone and after a first chunk (state: think, model, id).
    fn agree(data: &str) -> bool {
        let first = r#"{"id":"r","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;
        same_updates(&[message(first), message(data)]);
        let fast = fast_agrees_with_serde(data);
        assert_eq!(same_updates(&[message(data)]), usize::from(fast));
        fast
    }

    /// JSON string literal with every non-ASCII character as `\uXXXX` (surrogate pairs
    /// above U+FFFF) and `/` escaped, as Python's `json.dumps` and PHP write them.
    fn ascii_literal(s: &str, upper: bool) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' => out.push_str("\\/"),
                ' '..='~' => out.push(c),
                _ => {
                    for unit in c.encode_utf16(&mut [0; 2]) {
                        if upper {
                            write!(out, "\\u{unit:04X}").unwrap();
                        } else {
                            write!(out, "\\u{unit:04x}").unwrap();
                        }
                    }
                }
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn the_common_shapes_take_the_fast_path_and_read_as_serde_does() {
        for data in [
            // The dev server, llama.cpp, Azure OpenAI (content filter results), minimal.
            r#"{"choices":[{"delta":{"content":"Hi ","role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1796150977,"id":"chatcmpl-demo-1","model":"demo","object":"chat.completion.chunk"}"#,
            r#"{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" the"}}],"created":1795323678,"id":"chatcmpl-ljx","model":"/root/gemma.gguf","system_fingerprint":"b0-unknown","object":"chat.completion.chunk"}"#,
            r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":"x"},"finish_reason":null,"index":0,"logprobs":null}],"created":1718726371,"id":"cmpl-1","model":"gpt-4o-mini","object":"chat.completion.chunk","system_fingerprint":"fp_1"}"#,
            r#"{"choices":[{"delta":{"content":"x"}}]}"#,
            // Finish reason, null content (llama.cpp's first delta), empty and null delta.
            r#"{"choices":[{"delta":{},"finish_reason":"stop","index":0}]}"#,
            r#"{"choices":[{"delta":{"role":"assistant","content":null},"index":0}]}"#,
            r#"{"choices":[{"delta":null,"finish_reason":"length"}]}"#,
            r#"{"choices":[{"index":0}]}"#,
            // Reasoning, refusal, another choice, prompt filter results with no choices.
            r#"{"choices":[{"delta":{"reasoning_content":"hmm","reasoning":null}}]}"#,
            r#"{"choices":[{"delta":{"reasoning":"so"}}]}"#,
            r#"{"choices":[{"delta":{"refusal":"I can't"}}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"B"}}]}"#,
            r#"{"choices":[{"index":4294967295,"delta":{"content":"B"}}]}"#,
            r#"{"choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}"#,
            r#"{"choices":null,"id":null,"model":null}"#,
            r#"{}"#,
            // Null usage / error / tool calls / message, as some servers send on every chunk.
            r#"{"choices":[{"delta":{"content":"a","tool_calls":null},"usage":null,"message":null}],"usage":null,"error":null}"#,
            // Escapes, \u escapes (BMP, surrogate pair, upper and lower case), empty text.
            r#"{"choices":[{"delta":{"content":"a\"b\\c\/d\be\ff\ng\rh\ti"}}]}"#,
            r#"{"choices":[{"delta":{"content":"\u00e9\u4E2D\ud83d\ude00\uD83D\uDE00 \u0000\u001f"}}]}"#,
            r#"{"choices":[{"delta":{"content":""}}],"id":"","model":""}"#,
            // Unusual key order, whitespace everywhere, unknown fields of every kind.
            "{ \"model\" : \"m\" ,\n\t\"choices\" :\r\n [ { \"delta\" : { \"content\" : \"x\" } , \"index\" : 0 } ] , \"id\" : \"i\" }",
            r#"{"x":[1,-2,3.5e10,-0.0,1E-3,0,true,false,null,"s\u12ab\"",{},[],{"a":[{"b":{}}]}],"choices":[{"delta":{"content":"x","extra":{"k":[null]}},"logprobs":{"content":[{"token":"x","logprob":-0.1}]}}]}"#,
            // Unknown keys that look like known ones, unicode in keys and values.
            r#"{"Choices":[1],"choices ":2,"chöices":3,"choices":[{"delta":{"content":"ü 🐉"}}],"émoji🐉":"ü"}"#,
        ] {
            assert!(agree(data), "fast path not taken: {data}");
        }
    }

    #[test]
    fn every_other_shape_and_every_error_falls_back_to_serde_with_the_same_result() {
        for data in [
            // Shapes the fast path leaves to serde.
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[]}}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#,
            r#"{"choices":[{"delta":{},"usage":{"total_tokens":1}}]}"#,
            r#"{"error":{"code":503,"message":"Model overloaded"}}"#,
            r#"{"choices":[{"message":{"content":"whole"}}]}"#,
            r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}"#,
            r#"["id","model",[]]"#,
            // Serde errors: each must fail the same way (same message) on both paths.
            r#"{"choices":[{"delta":{"content":"\ud83d"}}]}"#,
            r#"{"choices":[{"delta":{"content":"\ud83d\u0041"}}]}"#,
            r#"{"choices":[{"delta":{"content":"\ude00"}}]}"#,
            r#"{"choices":[{"delta":{"content":"\x"}}]}"#,
            r#"{"choices":[{"delta":{"content":"\u12"}}]}"#,
            "{\"choices\":[{\"delta\":{\"content\":\"a\u{1}b\"}}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"a\nb\"}}]}",
            r#"{"id":"a","id":"b","choices":[]}"#,
            r#"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
            r#"{"choices":[{"index":0,"index":0}]}"#,
            r#"{"choices":[{"delta":null,"delta":null}]}"#,
            r#"{"usage":null,"usage":null}"#,
            r#"{"choices":[],"choices":[]}"#,
            // Keys with escapes or control characters.
            r#"{"choices":[{"delta":{"cont\u0065nt":"x"}}]}"#,
            r#"{"ch\u00f6ices":3,"choices":[{"delta":{"content":"x"}}]}"#,
            "{\"a\t\":1,\"choices\":[]}",
            "{\"choices\":[{\"delta\":{\"content\u{7}\":\"x\"}}]}",
            r#"{"choices":[{"delta":{"content":"x"},}]}"#,
            r#"{"choices":[{"delta":{"content":"x"}}],}"#,
            r#"{"choices":[{"delta":{"content":"x"}}]} {"#,
            r#"{"choices":[{"delta":{"content":"x"}}]"#,
            r#"{"choices":[{"delta":{"content":"x}}]}"#,
            r#"{"choices":[{"index":01}]}"#,
            r#"{"choices":[{"index":1.0}]}"#,
            r#"{"choices":[{"index":1e0}]}"#,
            r#"{"choices":[{"index":-1}]}"#,
            r#"{"choices":[{"index":-0}]}"#,
            r#"{"choices":[{"index":4294967296}]}"#,
            r#"{"choices":[{"index":"0"}]}"#,
            r#"{"choices":[{"delta":{"content":5}}]}"#,
            r#"{"choices":[{"delta":{"content":true}}]}"#,
            r#"{"choices":[{"finish_reason":1}]}"#,
            r#"{"choices":[null]}"#,
            r#"{"choices":{}}"#,
            r#"{"id":5}"#,
            r#"{"model":["m"]}"#,
            r#"{"x":01}"#,
            r#"{"x":1.}"#,
            r#"{"x":.5}"#,
            r#"{"x":1e}"#,
            r#"{"x":-}"#,
            r#"{"x":+1}"#,
            r#"{"x":NaN}"#,
            r#"{"x":nul}"#,
            r#"{"x":tru}"#,
            r#"{"x":[1,]}"#,
            r#"{"x":[1 2]}"#,
            r#"{"x" "y"}"#,
            r#"{x:1}"#,
            r#"{"x":"\u00zz"}"#,
            r#"{"x":"\q"}"#,
            "\u{feff}{}",
            "{\"x\":1}\u{0}",
            "not json",
            "{",
        ] {
            assert!(!agree(data), "the fast path read {data}");
        }
    }

    #[test]
    fn deep_nesting_in_an_unknown_field_is_left_to_serde() {
        let nested = |depth: usize| {
            format!(
                r#"{{"x":{}{},"choices":[{{"delta":{{"content":"x"}}}}]}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        assert!(!agree(&nested(100)));
        assert!(agree(&nested(20)));
    }

    #[test]
    fn every_fixture_gives_the_same_updates_on_both_paths() {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut fast_total = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("sse") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let mut decoder = Decoder::new();
            let mut events = decoder.feed(&bytes);
            events.extend(decoder.finish());
            fast_total += same_updates(&events);
        }
        // The recorded llama.cpp streams alone have hundreds of plain content chunks.
        assert!(fast_total > 200, "fast path read only {fast_total} events");
    }

    #[test]
    fn a_think_block_split_across_fast_chunks_streams_as_on_the_full_path() {
        let events: Vec<Event> = ["\n<th", "ink>plan", "ning</thi", "nk>\n\n", "Answer"]
            .iter()
            .map(|t| {
                message(&format!(
                    r#"{{"choices":[{{"delta":{{"content":{t:?}}}}}]}}"#
                ))
            })
            .collect();
        assert_eq!(same_updates(&events), events.len());
    }

    const SHAPED: &str = r#"{"choices":[{"delta":{"content":"Hi"},"finish_reason":null,"index":0,"logprobs":null}],"created":1,"id":"c-1","model":"demo","object":"chat.completion.chunk"}"#;

    /// `SHAPED` with its content literal replaced by `literal`.
    fn shaped(literal: &str) -> String {
        SHAPED.replacen(r#""Hi""#, literal, 1)
    }

    #[test]
    fn a_chunk_like_the_last_but_for_its_content_is_read_from_the_literal_alone() {
        let mut shape = Shape::default();
        let mut first = Chunk::default();
        chunk(SHAPED, &mut first).unwrap();
        shape.remember(SHAPED, &first);
        for (literal, text) in [
            (r#""""#, ""),
            (r#"" there""#, " there"),
            (r#""a\"b\\c\n""#, "a\"b\\c\n"),
            (r#""\ud83d\ude00 \u00e9""#, "\u{1F600} \u{e9}"),
            (r#""\",\"index\":1,\"x\":\"""#, r#"","index":1,"x":""#),
        ] {
            let data = shaped(literal);
            let (index, read) = shape.content(&data).expect(literal);
            assert_eq!((index, read.as_ref()), (Some(0), text));
        }
        // Not one string literal where the content was: read in full (or by serde).
        for literal in [
            r#""a","index":1,"x":"b""#,
            "null",
            r#""a" "#,
            r#" "a""#,
            r#""\ud83d""#,
            "\"a\u{1}\"",
            r#""a"#,
        ] {
            assert!(shape.content(&shaped(literal)).is_none(), "{literal}");
        }
        // Other bytes around it, or nothing remembered.
        assert!(shape
            .content(&SHAPED.replace(r#""index":0"#, r#""index":1"#))
            .is_none());
        assert!(shape
            .content(&SHAPED.replace("null}]", r#""stop"}]"#))
            .is_none());
        assert!(shape.content(&SHAPED.replace("demo", "demo2")).is_none());
        assert!(shape.content(&SHAPED[1..]).is_none());
        assert!(shape.content("").is_none());
        shape.forget();
        assert!(shape.content(SHAPED).is_none());
    }

    #[test]
    fn only_a_plain_content_delta_is_remembered() {
        for data in [
            r#"{"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"delta":{"content":"a","reasoning_content":"b"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a","reasoning":"b"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a","refusal":"b"}}]}"#,
            r#"{"choices":[{"delta":{"content":null}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_content":"b"}}]}"#,
            r#"{"choices":[]}"#,
        ] {
            let mut shape = Shape::default();
            let mut read = Chunk::default();
            chunk(data, &mut read).unwrap();
            shape.remember(data, &read);
            assert!(shape.content(data).is_none(), "{data}");
        }
    }

    #[test]
    fn streams_of_shaped_chunks_give_the_same_updates_on_both_paths() {
        let tool = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"{}"}}]}}],"model":"other"}"#;
        let stream: Vec<Event> = [
            shaped(r#""<think>pl""#),
            shaped(r#""an</think>\n""#),
            shaped(r#""Answer \"quoted\"""#),
            shaped(r#""\",\"index\":1,\"x\":\"""#),
            shaped(r#""a","index":1,"x":"b""#),
            // The model changes on the full path in between: the next chunk changes it back.
            tool.to_owned(),
            shaped(r#""back""#),
            SHAPED.replace(r#""demo""#, r#""m2""#),
            shaped(r#""again""#),
            shaped(r#""\ud83d""#),
            SHAPED.replace("null}]", r#""stop"}]"#),
        ]
        .iter()
        .map(|d| message(d))
        .collect();
        same_updates(&stream);
    }

    #[test]
    fn special_byte_search_finds_the_first_quote_backslash_or_control() {
        for len in 0..20 {
            for at in 0..len {
                for b in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    if at + 1 < len {
                        v[at + 1] = b'"';
                    }
                    assert_eq!(special(&v, 0), Some(at), "len {len} at {at}");
                    assert_eq!(special(&v, at), Some(at));
                }
            }
            let plain: Vec<u8> = (0..len).map(|i| [0x20, 0x7F, 0x80, 0xFF][i % 4]).collect();
            assert_eq!(special(&plain, 0), None);
        }
    }

    /// Text with the characters that need care: quotes, backslashes, slashes, controls,
    /// multi-byte and astral characters.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('/'),
                Just('\n'),
                Just('\u{0}'),
                Just('\u{1f}'),
                Just('é'),
                Just('\u{2028}'),
                Just('🐉'),
                Just('\u{10FFFF}'),
                any::<char>(),
                proptest::char::range('a', 'z'),
            ],
            0..12,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    fn literal() -> impl Strategy<Value = String> {
        (text(), 0..3u8).prop_map(|(t, how)| match how {
            0 => serde_json::to_string(&t).unwrap(),
            1 => ascii_literal(&t, false),
            _ => ascii_literal(&t, true),
        })
    }

    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("-12.5e-3".to_owned()),
            Just("0".to_owned()),
            Just("4294967296".to_owned()),
            literal(),
        ];
        leaf.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|vs| format!("[{}]", vs.join(","))),
                proptest::collection::vec((literal(), inner), 0..4).prop_map(|kvs| {
                    let fields: Vec<String> =
                        kvs.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    /// A field of an object: a known key with a string, null or any value, or an unknown
    /// key (plain or escaped).
    fn field(known: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (proptest::sample::select(known), literal())
                .prop_map(|(k, v)| format!("{k:?}:{v}")),
            2 => proptest::sample::select(known).prop_map(|k| format!("{k:?}:null")),
            1 => (proptest::sample::select(known), value()).prop_map(|(k, v)| format!("{k:?}:{v}")),
            2 => ("[a-z_é]{0,8}", value()).prop_map(|(k, v)| format!("{k:?}:{v}")),
            1 => (literal(), value()).prop_map(|(k, v)| format!("{k}:{v}")),
        ]
    }

    fn object(fields: impl Strategy<Value = Vec<String>>) -> impl Strategy<Value = String> {
        (
            fields,
            proptest::sample::select(vec!["", " ", "\n", "\r\n\t "]),
        )
            .prop_map(|(fs, ws)| format!("{{{ws}{}{ws}}}", fs.join(&format!("{ws},{ws}"))))
    }

    fn chunk_json() -> impl Strategy<Value = String> {
        let delta = object(proptest::collection::vec(
            field(&[
                "content",
                "reasoning_content",
                "reasoning",
                "refusal",
                "tool_calls",
                "role",
            ]),
            0..4,
        ));
        let choice = (
            delta,
            proptest::collection::vec(
                field(&["finish_reason", "message", "usage", "logprobs"]),
                0..3,
            ),
            prop_oneof![
                Just("0".to_owned()),
                Just("1".to_owned()),
                Just("null".to_owned())
            ],
        )
            .prop_map(|(d, mut fs, index)| {
                fs.push(format!("\"delta\":{d}"));
                fs.push(format!("\"index\":{index}"));
                let half = fs.len() / 2;
                fs.rotate_left(half);
                format!("{{{}}}", fs.join(","))
            });
        (
            proptest::collection::vec(choice, 0..=2),
            proptest::collection::vec(field(&["id", "model", "usage", "error", "object"]), 0..4),
        )
            .prop_map(|(choices, mut fs)| {
                fs.insert(fs.len() / 2, format!("\"choices\":[{}]", choices.join(",")));
                format!("{{{}}}", fs.join(","))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn generated_chunks_read_the_same_on_both_paths(data in chunk_json()) {
            agree(&data);
        }

        #[test]
        fn mutated_chunks_read_the_same_on_both_paths(
            data in chunk_json(),
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), 0..3u8, proptest::sample::select(
                    "{}[]\":,\\u0123456789abcdefnulltrue-+.eE /\u{e9}\n\u{0}".chars().collect::<Vec<_>>(),
                )),
                1..4,
            ),
        ) {
            let mut chars: Vec<char> = data.chars().collect();
            for (at, op, c) in edits {
                let i = at.index(chars.len() + 1);
                match op {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => chars.push(c),
                }
            }
            agree(&chars.into_iter().collect::<String>());
        }

        #[test]
        fn generated_chunk_streams_read_the_same_on_both_paths(
            texts in proptest::collection::vec(literal(), 1..8),
            around in chunk_json(),
        ) {
            // Chunks that differ only in their content literal, then another shape.
            let mut events: Vec<Event> = texts.iter().map(|t| message(&shaped(t))).collect();
            events.push(message(&around));
            events.extend(texts.iter().map(|t| message(&shaped(t))));
            same_updates(&events);
        }
    }
}
