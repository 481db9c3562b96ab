//! Markdown for chat replies: a small CommonMark + GFM (tables, strikethrough) parser into a
//! safe block tree, an HTML renderer for tests and debugging, and an incremental parser for
//! streamed replies.
//!
//! Safety is part of the tree, not of a renderer: raw HTML is recognised only to keep it
//! whole as text ([`Block::HtmlText`], or inline `Text`), and a link whose destination is not `http:`, `https:`, `mailto:` or relative is
//! replaced by its text. Images keep their URL; a renderer loads only
//! [`is_loadable_image_url`] ones.
//!
//! Streaming use: [`StreamingDocument::append`] each delta (cheap: complete lines are parsed
//! once) and render once per frame — append the blocks it reported finished (they never
//! change) and replace the DOM of [`StreamingDocument::tail`]; at the end of the reply
//! [`StreamingDocument::finish`] gives the exact tree of the whole text.
//!
//! ```
//! use chat_markdown::{Block, StreamingDocument};
//!
//! let mut doc = StreamingDocument::new();
//! let mut finished = Vec::new();
//! for delta in ["# Ti", "tle\n\nSome ", "text\n\n```rs\nfn m"] {
//!     finished.extend(doc.append(delta).iter().cloned());
//! }
//! assert_eq!(finished.len(), 2); // the heading and the paragraph
//! assert!(matches!(doc.tail(), [Block::CodeBlock { .. }])); // the unclosed fence
//! assert_eq!(doc.finish().len(), 3);
//! ```

mod block;
mod entity;
#[cfg(feature = "html5-entities")]
mod entity_table;
#[cfg(not(feature = "html5-entities"))]
#[path = "entity_table_common.rs"]
mod entity_table;
mod html;
mod inline;
mod stream;
mod url;

pub use html::to_html;
pub use stream::{StreamingDocument, Update};
pub use url::{is_loadable_image_url, is_safe_link_url};

/// A block-level element of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of inline content.
    Paragraph(Vec<Inline>),
    /// An ATX (`# x`) or setext (`x\n===`) heading; `level` is 1..=6.
    Heading { level: u8, inlines: Vec<Inline> },
    /// A fenced or indented code block. `info` is the fence's info string (entities and
    /// escapes resolved); its first word is the language, see [`Block::code_language`].
    CodeBlock { info: Option<String>, text: String },
    /// A block quote.
    BlockQuote(Vec<Block>),
    /// A bullet (`ordered == false`) or ordered list; `start` is the first number of an
    /// ordered list (1 for bullet lists). A tight list's item paragraphs render without `<p>`.
    List {
        ordered: bool,
        start: u32,
        tight: bool,
        items: Vec<Vec<Block>>,
    },
    /// A thematic break (`---`).
    ThematicBreak,
    /// An HTML block of the input (e.g. `<div>` … up to a blank line), kept as its raw text,
    /// never as HTML: show it as text (line breaks preserved, like a code block).
    HtmlText(String),
    /// A GFM table: one alignment per column, a header row and body rows; every row has
    /// exactly `align.len()` cells.
    Table {
        align: Vec<Alignment>,
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

impl Block {
    /// The language of a code block: the first word of its info string, if any.
    pub fn code_language(&self) -> Option<&str> {
        match self {
            Block::CodeBlock {
                info: Some(info), ..
            } => info.split_whitespace().next(),
            _ => None,
        }
    }
}

/// The alignment of a table column, from its delimiter row (`:--`, `:-:`, `--:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    None,
    Left,
    Center,
    Right,
}

/// An inline element. Entities and backslash escapes are already resolved in `Text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Literal text (includes any raw HTML of the input, as text).
    Text(String),
    /// A code span.
    Code(String),
    /// Emphasis (`*x*`).
    Emph(Vec<Inline>),
    /// Strong emphasis (`**x**`).
    Strong(Vec<Inline>),
    /// GFM strikethrough (`~~x~~`).
    Strike(Vec<Inline>),
    /// A link whose URL passed [`is_safe_link_url`].
    Link {
        url: String,
        title: Option<String>,
        children: Vec<Inline>,
    },
    /// An image; `alt` is the plain text of its description. Load it only if
    /// [`is_loadable_image_url`] accepts `url`.
    Image {
        url: String,
        alt: String,
        title: Option<String>,
    },
    /// A line break that renders as a space (or a newline).
    SoftBreak,
    /// A hard line break (`<br>`).
    HardBreak,
}

/// Parses a whole markdown document into its top-level blocks.
pub fn parse(text: &str) -> Vec<Block> {
    block::parse_document(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    #[test]
    fn raw_html_is_kept_as_text() {
        assert_eq!(
            parse("<script>alert(1)</script>"),
            vec![Block::HtmlText("<script>alert(1)</script>\n".to_string())]
        );
        assert_eq!(
            parse("a <img src=x onerror=alert(1)> *b*"),
            vec![Block::Paragraph(vec![
                text("a <img src=x onerror=alert(1)> "),
                Inline::Emph(vec![text("b")]),
            ])]
        );
        assert_eq!(
            to_html(&parse("<img src=x onerror=alert(1)>\n\n<div>\n*x*\n</div>")),
            "&lt;img src=x onerror=alert(1)&gt;\n&lt;div&gt;\n*x*\n&lt;/div&gt;\n"
        );
    }

    #[test]
    fn links_with_refused_schemes_become_their_text() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](java&#x09;script:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](<javascript:alert(1)>)",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x][r]\n\n[r]: vbscript:msgbox",
        ] {
            assert_eq!(parse(md), vec![Block::Paragraph(vec![text("x")])], "{md}");
        }
        assert_eq!(
            parse("<javascript:alert(1)>"),
            vec![Block::Paragraph(vec![text("javascript:alert(1)")])]
        );
    }

    #[test]
    fn refused_link_keeps_its_formatted_text() {
        assert_eq!(
            parse("a [*b*](file:///etc) c"),
            vec![Block::Paragraph(vec![
                text("a "),
                Inline::Emph(vec![text("b")]),
                text(" c"),
            ])]
        );
    }

    #[test]
    fn images_keep_their_url_but_only_data_urls_are_loadable() {
        let blocks = parse("![alt *x*](javascript:alert(1) \"t\")");
        let Some(Block::Paragraph(inlines)) = blocks.first() else {
            panic!("{blocks:?}");
        };
        let Some(Inline::Image { url, alt, title }) = inlines.first() else {
            panic!("{inlines:?}");
        };
        assert_eq!((alt.as_str(), title.as_deref()), ("alt x", Some("t")));
        assert!(!is_loadable_image_url(url));
    }

    #[test]
    fn code_language_is_the_first_word_of_the_info_string() {
        let blocks = parse("```rust  ignore\nfn x() {}\n```\n");
        assert_eq!(blocks[0].code_language(), Some("rust"));
        assert_eq!(parse("    code\n")[0].code_language(), None);
    }

    #[test]
    fn pathological_nesting_is_capped_and_fast() {
        let start = std::time::Instant::now();
        for doc in [
            ">".repeat(50_000),
            "- ".repeat(30_000) + "x",
            "*".repeat(50_000) + "a" + &"*".repeat(50_000),
            "*a ".repeat(20_000) + &"b* ".repeat(20_000),
            "[".repeat(30_000) + "a" + &"](b)".repeat(30_000),
            "![".repeat(20_000) + &"](x)".repeat(20_000),
            "`a``".repeat(20_000),
            "<a".repeat(30_000),
            "[a]: ".repeat(20_000),
            "a  \n".repeat(20_000),
            "<!--".repeat(30_000) + &"<a x=\"".repeat(30_000),
            "| a ".repeat(5_000) + "\n" + &"|-".repeat(5_000) + "\n" + &"| b\n".repeat(500),
        ] {
            let blocks = parse(&doc);
            assert!(!to_html(&blocks).is_empty() || doc.trim().is_empty());
        }
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let alphabet: Vec<char> = "*_~`[]()<>!&#;:\\|-+=>. \t\n\r1aé中🚀\"'/"
            .chars()
            .collect();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..3000 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let blocks = parse(&s);
            to_html(&blocks);
            let mut doc = StreamingDocument::new();
            for (i, c) in s.char_indices() {
                doc.push(&s[i..i + c.len_utf8()]);
            }
            assert_eq!(doc.finish(), blocks, "{s:?}");
        }
    }
}
