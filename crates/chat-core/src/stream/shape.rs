//! Recognising a chunk that repeats the last one but for its text.
//!
//! Servers repeat every field of a `chat.completion.chunk` but the text from one chunk to the
//! next (`{"choices":[{"delta":{"content":"…"},"finish_reason":null,"index":0}],"id":…}`).
//! [`Shape`] keeps the last chunk serde read when it was a plain content delta, with the place
//! of its content string literal (found from the text serde borrowed from it). A chunk with
//! the same bytes before and after that literal is the same chunk with another string there:
//! serde would read it the same but for the content, so only the literal is read — by a
//! string reader that accepts exactly the literals serde accepts and decodes them alike
//! (anything else, e.g. a lone surrogate, is left to serde).

use std::borrow::Cow;

use super::{Chunk, Text};

/// The last plain content chunk and where its content literal is.
#[derive(Debug, Default)]
pub(super) struct Shape {
    text: String,
    /// The content literal in `text`, quotes included; `None` when there is no shape.
    literal: Option<(usize, usize)>,
    index: Option<u32>,
}

impl Shape {
    /// The choice index and content of `data` if it is the remembered chunk with another
    /// content string literal. Its `id` and `model` are the remembered chunk's, already
    /// applied.
    pub(super) fn content<'a>(&self, data: &'a str) -> Option<(Option<u32>, Cow<'a, str>)> {
        let text = chat_scan::literal::reread(&self.text, self.literal?, data)?;
        Some((self.index, text))
    }

    /// Remembers `data` if `chunk`, serde's reading of it, is a plain content delta of one
    /// choice whose text serde borrowed (no escapes); forgets the last shape otherwise.
    pub(super) fn remember(&mut self, data: &str, chunk: &Chunk<'_>) {
        self.literal = None;
        let Some([choice]) = chunk.choices.as_deref() else {
            return;
        };
        let Some(delta) = &choice.delta else {
            return;
        };
        // A string literal only (an array of parts is read by serde every time).
        let Some(Text::Plain(Cow::Borrowed(content))) = &delta.content else {
            return;
        };
        let plain = chunk.usage.is_none()
            && chunk.error.is_none()
            && choice.usage.is_none()
            && choice.message.is_none()
            && choice.finish_reason.is_none()
            && delta.reasoning_content.is_none()
            && delta.reasoning.is_none()
            && delta.refusal.is_none()
            && delta.tool_calls.is_none();
        // The borrowed text lies in `data`, between the quotes of its literal.
        let Some(start) = (content.as_ptr() as usize).checked_sub(data.as_ptr() as usize) else {
            return;
        };
        let end = start + content.len();
        let bytes = data.as_bytes();
        if plain
            && start > 0
            && bytes.get(start - 1) == Some(&b'"')
            && bytes.get(end) == Some(&b'"')
            && data.get(start..end) == Some(*content)
        {
            self.text.clear();
            self.text.push_str(data);
            self.literal = Some((start - 1, end + 1));
            self.index = choice.index;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::StreamAccumulator;
    use super::*;
    use crate::sse::{Decoder, Event};
    use proptest::prelude::*;
    use std::fmt::Write;

    fn message(data: &str) -> Event {
        Event {
            event: "message".into(),
            data: data.into(),
            id: String::new(),
        }
    }

    /// Pushes the events through `push` (memo, serde behind it) and through serde alone:
    /// the updates of every event, the replies and the outcomes must be equal. Returns how
    /// many events the memo read.
    fn same_updates(events: &[Event]) -> usize {
        let (mut a, mut b) = (StreamAccumulator::new(), StreamAccumulator::new());
        let mut hits = 0;
        for e in events {
            if e.event == "message" && !a.is_finished() {
                hits += usize::from(a.shape.content(e.data.trim()).is_some());
            }
            let mut serde_only = Vec::new();
            b.push_event::<false>(e, &mut serde_only);
            assert_eq!(a.push(e), serde_only, "{:?}", e.data);
        }
        assert_eq!(a.flush(), b.flush());
        assert_eq!(a.finish(), b.finish());
        assert_eq!(a.choice_indices(), b.choice_indices());
        for i in a.choice_indices() {
            assert_eq!(a.choice(i), b.choice(i));
        }
        hits
    }

    fn stream(datas: &[String]) -> Vec<Event> {
        datas.iter().map(|d| message(d)).collect()
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

    /// Plain content chunks as servers write them; `@` is the content literal.
    const ENVELOPES: &[&str] = &[
        // The dev server, llama.cpp, Azure OpenAI (content filter results), minimal.
        r#"{"choices":[{"delta":{"content":@},"finish_reason":null,"index":0,"logprobs":null}],"created":1796150977,"id":"chatcmpl-demo-1","model":"demo","object":"chat.completion.chunk"}"#,
        r#"{"choices":[{"finish_reason":null,"index":0,"delta":{"content":@}}],"created":1795323678,"id":"chatcmpl-ljx","model":"/root/gemma.gguf","system_fingerprint":"b0-unknown","object":"chat.completion.chunk"}"#,
        r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":@},"finish_reason":null,"index":0,"logprobs":null}],"created":1718726371,"id":"cmpl-1","model":"gpt-4o-mini","object":"chat.completion.chunk","system_fingerprint":"fp_1"}"#,
        r#"{"choices":[{"delta":{"content":@}}]}"#,
        // Another choice, no index, null usage / error / tool calls / message / role.
        r#"{"choices":[{"index":1,"delta":{"content":@}}]}"#,
        r#"{"choices":[{"index":null,"delta":{"role":null,"content":@,"tool_calls":null},"usage":null,"message":null}],"usage":null,"error":null}"#,
        // Unusual key order, whitespace everywhere, unknown fields, escapes and unicode
        // elsewhere in the chunk.
        "{ \"model\" : \"m\" ,\n\t\"choices\" :\r\n [ { \"delta\" : { \"content\" : @ } , \"index\" : 0 } ] , \"id\" : \"i\" }",
        r#"{"x":[1,-2,3.5e10,"s\u12ab\"",{},[],{"content":"decoy"}],"choices":[{"delta":{"extra":{"content":"decoy"},"content":@},"logprobs":{"content":[{"token":"x"}]}}],"id":"\u00e9\"","model":"ü 🐉"}"#,
    ];

    /// Content literals, with what they read as.
    const LITERALS: &[(&str, &str)] = &[
        (r#""x""#, "x"),
        (r#""""#, ""),
        (r#"" there ü 🐉""#, " there ü 🐉"),
        (
            r#""a\"b\\c\/d\be\ff\ng\rh\ti""#,
            "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti",
        ),
        (
            r#""\u00e9\u4E2D\ud83d\ude00\uD83D\uDE00 \u0000\u001f""#,
            "\u{e9}\u{4e2d}\u{1F600}\u{1F600} \u{0}\u{1f}",
        ),
        (r#""\",\"index\":1,\"x\":\"""#, r#"","index":1,"x":""#),
        (r#""<think>""#, "<think>"),
    ];

    #[test]
    fn repeated_plain_chunks_are_read_from_their_literal_with_the_same_updates() {
        for envelope in ENVELOPES {
            let mut datas = vec![envelope.replace('@', r#""first""#)];
            datas.extend(LITERALS.iter().map(|(l, _)| envelope.replace('@', l)));
            assert_eq!(same_updates(&stream(&datas)), LITERALS.len(), "{envelope}");
        }
    }

    #[test]
    fn the_literal_reads_as_serde_reads_it() {
        let envelope = ENVELOPES[0];
        let mut shape = Shape::default();
        let first = envelope.replace('@', r#""x""#);
        shape.remember(&first, &serde_json::from_str(&first).unwrap());
        for (literal, text) in LITERALS {
            let data = envelope.replace('@', literal);
            let (index, read) = shape.content(&data).expect(literal);
            assert_eq!((index, read.as_ref()), (Some(0), *text));
        }
    }

    #[test]
    fn anything_but_one_valid_literal_in_its_place_is_left_to_serde() {
        for envelope in ENVELOPES {
            for literal in [
                // Valid JSON, but not one string where the content was.
                r#""a","index":1,"x":"b""#,
                r#""a","content":"b""#,
                "null",
                "5",
                r#"["a"]"#,
                r#"[{"type":"thinking","thinking":[{"type":"text","text":"a"}]},{"type":"text","text":"b"}]"#,
                r#"[{"type":"text","text":"a"}]"#,
                r#""a" "#,
                r#" "a""#,
                // Invalid JSON: serde's error, on both paths.
                r#""\ud83d""#,
                r#""\ud83d\u0041""#,
                r#""\ude00""#,
                r#""\x""#,
                r#""\u12""#,
                "\"a\u{1}b\"",
                "\"a\nb\"",
                r#""a"#,
                r#""a"""#,
            ] {
                let datas = [
                    envelope.replace('@', r#""x""#),
                    envelope.replace('@', literal),
                ];
                assert_eq!(same_updates(&stream(&datas)), 0, "{literal} in {envelope}");
            }
        }
    }

    #[test]
    fn only_a_plain_content_delta_whose_text_serde_borrowed_is_remembered() {
        for data in [
            r#"{"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"delta":{"content":"a"},"finish_reason":""}]}"#,
            r#"{"choices":[{"delta":{"content":"a","reasoning_content":"b"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a","reasoning":"b"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a","refusal":"b"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a","tool_calls":[]}}]}"#,
            r#"{"choices":[{"delta":{"content":"a"},"usage":{"total_tokens":1}}]}"#,
            r#"{"choices":[{"delta":{"content":"a"}}],"usage":{"total_tokens":1}}"#,
            r#"{"choices":[{"delta":{"content":"a"},"message":{"content":"a"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a"}},{"index":1,"delta":{"content":"a"}}]}"#,
            r#"{"choices":[{"delta":{"content":null}}]}"#,
            r#"{"choices":[{"delta":{"content":"a\nb"}}]}"#,
            r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"}]}}]}"#,
            r#"{"choices":[{"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"a"}]}]}}]}"#,
            r#"{"choices":[{"delta":{"content":[{"type":"reference","reference_ids":[0]}]}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_content":"b"}}]}"#,
            r#"{"choices":[{"delta":null}]}"#,
            r#"{"choices":[]}"#,
            r#"{"id":"x"}"#,
        ] {
            let datas = [data.to_owned(), data.to_owned()];
            assert_eq!(same_updates(&stream(&datas)), 0, "{data}");
        }
    }

    #[test]
    fn a_model_changed_in_between_is_applied_again_by_the_next_chunk() {
        let envelope = ENVELOPES[0];
        let tool = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"{}"}}]}}],"model":"other"}"#;
        let datas = [
            envelope.replace('@', r#""<think>pl""#),
            envelope.replace('@', r#""an</think>\n""#),
            tool.to_owned(),
            envelope.replace('@', r#""back""#),
            envelope.replace('@', r#""again""#),
            envelope
                .replace("\"demo\"", "\"m2\"")
                .replace('@', r#""x""#),
            envelope.replace('@', r#""y""#),
            r#"{"error":{"message":"gone"}}"#.to_owned(),
            envelope.replace('@', r#""z""#),
        ];
        assert_eq!(same_updates(&stream(&datas)), 2);
    }

    #[test]
    fn every_fixture_gives_the_same_updates_with_and_without_the_memo() {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut hits = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("sse") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let mut decoder = Decoder::new();
            let mut events = decoder.feed(&bytes);
            events.extend(decoder.finish());
            hits += same_updates(&events);
        }
        // The recorded llama.cpp streams alone have hundreds of plain content chunks.
        assert!(hits > 150, "the memo read only {hits} events");
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
        fn generated_literals_read_the_same_on_both_paths(
            envelope in proptest::sample::select(ENVELOPES),
            literals in proptest::collection::vec(literal(), 1..6),
        ) {
            let mut datas = vec![envelope.replace('@', r#""x""#)];
            datas.extend(literals.iter().map(|l| envelope.replace('@', l)));
            prop_assert_eq!(same_updates(&stream(&datas)), literals.len());
        }

        #[test]
        fn generated_chunks_repeated_read_the_same_on_both_paths(data in chunk_json()) {
            same_updates(&stream(&[data.clone(), data.clone(), data]));
        }

        #[test]
        fn edited_chunks_read_the_same_on_both_paths(
            envelope in proptest::sample::select(ENVELOPES),
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), 0..3u8, proptest::sample::select(
                    "{}[]\":,\\u0123456789abcdefnulltrue-+.eE /\u{e9}\n\u{0}".chars().collect::<Vec<_>>(),
                )),
                1..4,
            ),
        ) {
            let first = envelope.replace('@', r#""x""#);
            let mut chars: Vec<char> = envelope.replace('@', r#""y\n""#).chars().collect();
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
            let edited: String = chars.into_iter().collect();
            same_updates(&stream(&[first, edited]));
        }
    }
}
