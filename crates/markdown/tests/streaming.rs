//! Streaming equals batch: every chunking of a document streams to `parse(whole)`, and
//! blocks reported finished during the stream are exactly the final blocks.

use chat_markdown::{parse, Block, StreamingDocument};

const DOCS: &[&str] = &[
    "# Title\n\nSome *emphasis* and **strong** text with `code`.\nA soft break.  \nA hard break.\n\n- one\n- two\n  - nested\n- three\n\n1. first\n2. second\n\n   loose paragraph\n3. third\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |\n\n> quoted\n> > nested quote\nlazy line\n\n---\n\nSetext heading\n==============\n\nfinal paragraph with ~~strike~~ and a [link](https://example.com \"t\").",
    "para one\nstill para one\n---\nafter heading\n\n    indented code\n\n      more code\n\nnot code\n***\n* a\n\n* b\n\n\n* c\n",
    "text\n```\nunclosed fence\n  keeps going\n\nwith blank lines",
    "Header | Other\n--- | ---\ncell | cell\nrow without pipes\n\n> quote\ncontinued\n\n- item\n\n  continuation\n- item 2\n\nend",
    "line one\r\nline two\r\n\r\n# heading\r\n- a\r\n- b\r\n",
    "1) x\n2) y\n- z\n+ w\n\n10. ten\n11. eleven\n\n<div>raw *html*</div>\n\n&copy; &amp; &#35; \\*not em\\*",
    "> ```\n> code in quote\n> ```\n> para\n\n- ```\n  code in list\n  ```\n- done\n\n",
    "Term\nmore\n| a | b |\n| - | - |\n| c | d |\n\nx\n",
];

/// Deterministic xorshift for random chunk sizes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Streams `chunks`, checking each update, and returns the final blocks.
fn stream(doc: &str, chunks: &[&str]) -> Vec<Block> {
    stream_checked(doc, chunks, true)
}

/// As [`stream`]; `check_finished` compares finished blocks with the final ones (not valid
/// when a reference definition may arrive after its use — the documented deviation).
fn stream_checked(doc: &str, chunks: &[&str], check_finished: bool) -> Vec<Block> {
    let expected = parse(doc);
    let mut streaming = StreamingDocument::new();
    let mut finished: Vec<Block> = Vec::new();
    for chunk in chunks {
        let update = streaming.push(chunk);
        finished.extend(update.newly_finished.iter().cloned());
        let tail = update.tail.to_vec();
        assert_eq!(tail, streaming.tail());
        assert_eq!(finished.as_slice(), streaming.finished());
        if !check_finished {
            continue;
        }
        assert_eq!(
            finished.as_slice(),
            &expected[..finished.len().min(expected.len())],
            "finished blocks differ from the final ones in {doc:?}"
        );
    }
    assert_eq!(streaming.text(), doc);
    streaming.finish()
}

fn char_chunks(doc: &str) -> Vec<&str> {
    doc.char_indices()
        .map(|(i, c)| &doc[i..i + c.len_utf8()])
        .collect()
}

fn random_chunks(doc: &str, rng: &mut Rng) -> Vec<String> {
    let chars: Vec<char> = doc.chars().collect();
    let mut chunks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let len = 1 + (rng.next() % 12) as usize;
        let end = (i + len).min(chars.len());
        chunks.push(chars[i..end].iter().collect());
        i = end;
    }
    chunks
}

#[test]
fn char_by_char_streaming_ends_equal_to_parsing_the_whole_text() {
    for doc in DOCS {
        assert_eq!(stream(doc, &char_chunks(doc)), parse(doc), "{doc:?}");
    }
}

#[test]
fn random_chunkings_end_equal_to_parsing_the_whole_text() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for doc in DOCS {
        for _ in 0..40 {
            let chunks = random_chunks(doc, &mut rng);
            let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
            assert_eq!(stream(doc, &refs), parse(doc), "{doc:?} in {chunks:?}");
        }
    }
}

#[test]
fn one_push_of_everything_equals_parse() {
    for doc in DOCS {
        assert_eq!(stream(doc, &[doc]), parse(doc));
    }
}

#[test]
fn finished_blocks_stop_growing_the_reparsed_tail() {
    let doc = "para\n\n".repeat(200);
    let mut streaming = StreamingDocument::new();
    for chunk in char_chunks(&doc) {
        streaming.push(chunk);
    }
    assert_eq!(streaming.finished().len(), 199);
    assert_eq!(streaming.tail().len(), 1);
}

#[test]
fn an_unclosed_fence_stays_one_growing_code_block_while_streaming() {
    let doc = "Intro\n\n```python\ndef f():\n\n    return 1\n";
    let open_end = doc.find("python\n").map_or(0, |i| i + "python\n".len());
    let mut streaming = StreamingDocument::new();
    let mut previous = String::new();
    for (i, chunk) in char_chunks(doc).into_iter().enumerate() {
        streaming.push(chunk);
        if i + 1 < open_end {
            continue;
        }
        let Some(Block::CodeBlock { info, text }) = streaming.tail().last() else {
            panic!("tail is not a code block after {:?}", streaming.text());
        };
        assert_eq!(info.as_deref(), Some("python"));
        // Every line, even the partial last one, ends with "\n" in the tree.
        let shown = text.strip_suffix('\n').unwrap_or(text);
        assert!(shown.starts_with(&previous), "{previous:?} -> {shown:?}");
        previous = shown.to_string();
    }
    assert_eq!(previous, "def f():\n\n    return 1");
}

#[test]
fn a_late_reference_definition_links_earlier_blocks_only_after_finish() {
    let doc = "See [docs].\n\nMore text.\n\n[docs]: https://example.com\n";
    let mut streaming = StreamingDocument::new();
    for chunk in char_chunks(doc) {
        streaming.push(chunk);
    }
    // The documented streaming deviation: the first paragraph finished before the
    // definition arrived, so while streaming it shows `[docs]` as text.
    assert_eq!(
        chat_markdown::to_html(&streaming.finished()[..1]),
        "<p>See [docs].</p>\n"
    );
    let blocks = streaming.finish();
    assert_eq!(blocks, parse(doc));
    assert_eq!(
        chat_markdown::to_html(&blocks[..1]),
        "<p>See <a href=\"https://example.com\">docs</a>.</p>\n"
    );
}

#[test]
fn what_was_pushed_is_exact_unless_a_reference_definition_was_seen() {
    for doc in DOCS {
        let mut streaming = StreamingDocument::new();
        for chunk in char_chunks(doc) {
            streaming.push(chunk);
        }
        let tail = streaming.tail().to_vec();
        let shown: Vec<Block> = streaming.finished().iter().cloned().chain(tail).collect();
        assert_eq!(streaming.is_exact(), !doc.contains("]: "), "{doc:?}");
        if streaming.is_exact() {
            assert_eq!(shown, parse(doc), "{doc:?}");
        }
    }
    let mut late = StreamingDocument::new();
    late.push("See [docs].\n\n[docs]: https://example.com\n");
    assert!(!late.is_exact());
    let mut plain = StreamingDocument::new();
    plain.push("a\n\nb");
    assert!(plain.is_exact());
    plain.append("c");
    assert!(!plain.is_exact(), "text appended since the last tail build");
    plain.tail();
    assert!(plain.is_exact());
}

#[test]
fn a_crlf_split_across_pushes_is_one_line_ending() {
    let mut streaming = StreamingDocument::new();
    streaming.push("a\r");
    streaming.push("\nb\r");
    streaming.push("\n\r\n");
    assert_eq!(streaming.finish(), parse("a\r\nb\r\n\r\n"));
}

#[derive(serde::Deserialize)]
struct Example {
    markdown: String,
}

#[test]
fn every_spec_example_streams_char_by_char_to_its_batch_parse() {
    let examples: Vec<Example> =
        serde_json::from_str(include_str!("data/commonmark-spec-0.31.2.json")).unwrap_or_default();
    assert!(examples.len() > 600);
    for example in &examples {
        let doc = example.markdown.as_str();
        let may_define_late = doc.contains("]:");
        assert_eq!(
            stream_checked(doc, &char_chunks(doc), !may_define_late),
            parse(doc),
            "{doc:?}"
        );
    }
}

#[test]
fn appending_with_occasional_tail_builds_matches_pushing() {
    for doc in DOCS {
        let mut lazy = StreamingDocument::new();
        let mut eager = StreamingDocument::new();
        let mut finished = Vec::new();
        for (i, chunk) in char_chunks(doc).into_iter().enumerate() {
            finished.extend(lazy.append(chunk).iter().cloned());
            eager.push(chunk);
            if i % 7 == 0 {
                assert_eq!(lazy.tail(), eager.tail(), "{doc:?} at {i}");
            }
        }
        assert_eq!(finished.as_slice(), eager.finished());
        assert_eq!(lazy.finish(), parse(doc));
    }
}

#[test]
fn a_streaming_document_can_live_in_thread_safe_state() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StreamingDocument>();
    assert_send_sync::<Block>();
}
