//! Markdown to DOM: builds escaped DOM nodes from `chat_markdown`'s block tree (never
//! `innerHTML`), and keeps a streamed reply's finished blocks untouched while its tail grows.

use chat_markdown::{Alignment, Block, Inline, StreamingDocument};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

/// Attribute that marks a code block's Copy button (handled by one delegated listener).
pub const COPY_ATTR: &str = "data-copy-code";

/// Renders blocks into DOM nodes appended to `parent`.
pub fn render_blocks(doc: &Document, parent: &Node, blocks: &[Block]) {
    for block in blocks {
        if let Some(node) = render_block(doc, block) {
            let _ = parent.append_child(&node);
        }
    }
}

fn el(doc: &Document, tag: &str) -> Option<Element> {
    doc.create_element(tag).ok()
}

fn append(parent: &Node, child: &Node) {
    let _ = parent.append_child(child);
}

fn text(doc: &Document, parent: &Node, value: &str) {
    append(parent, &doc.create_text_node(value));
}

fn render_block(doc: &Document, block: &Block) -> Option<Node> {
    let node: Element = match block {
        Block::Paragraph(inlines) => {
            let p = el(doc, "p")?;
            render_inlines(doc, &p, inlines);
            p
        }
        Block::Heading { level, inlines } => {
            let h = el(doc, &format!("h{}", (*level).clamp(1, 6)))?;
            render_inlines(doc, &h, inlines);
            h
        }
        Block::CodeBlock { text: code, .. } => {
            let wrap = el(doc, "div")?;
            wrap.set_class_name("fc-code");
            let head = el(doc, "div")?;
            head.set_class_name("fc-code-head");
            let label = el(doc, "span")?;
            label.set_text_content(Some(block.code_language().unwrap_or("text")));
            append(&head, &label);
            let copy = el(doc, "button")?;
            let _ = copy.set_attribute("type", "button");
            let _ = copy.set_attribute(COPY_ATTR, "");
            let _ = copy.set_attribute("aria-label", "Copy code");
            copy.set_text_content(Some("Copy"));
            append(&head, &copy);
            append(&wrap, &head);
            let pre = el(doc, "pre")?;
            let code_el = el(doc, "code")?;
            code_el.set_text_content(Some(code));
            append(&pre, &code_el);
            append(&wrap, &pre);
            wrap
        }
        Block::BlockQuote(children) => {
            let q = el(doc, "blockquote")?;
            render_blocks(doc, &q, children);
            q
        }
        Block::List {
            ordered,
            start,
            tight,
            items,
        } => {
            let list = el(doc, if *ordered { "ol" } else { "ul" })?;
            if *ordered && *start != 1 {
                let _ = list.set_attribute("start", &start.to_string());
            }
            for item in items {
                let li = el(doc, "li")?;
                for child in item {
                    match (tight, child) {
                        (true, Block::Paragraph(inlines)) => render_inlines(doc, &li, inlines),
                        _ => {
                            if let Some(n) = render_block(doc, child) {
                                append(&li, &n);
                            }
                        }
                    }
                }
                append(&list, &li);
            }
            list
        }
        Block::ThematicBreak => el(doc, "hr")?,
        Block::HtmlText(raw) => {
            // Raw HTML in a reply is shown as the text it is.
            let p = el(doc, "p")?;
            p.set_class_name("fc-raw");
            p.set_text_content(Some(raw.trim_end()));
            p
        }
        Block::Table {
            align,
            header,
            rows,
        } => {
            let table = el(doc, "table")?;
            let thead = el(doc, "thead")?;
            append(&thead, &render_row(doc, "th", header, align)?);
            append(&table, &thead);
            if !rows.is_empty() {
                let tbody = el(doc, "tbody")?;
                for row in rows {
                    append(&tbody, &render_row(doc, "td", row, align)?);
                }
                append(&table, &tbody);
            }
            table
        }
    };
    Some(node.unchecked_into())
}

fn render_row(
    doc: &Document,
    cell_tag: &str,
    cells: &[Vec<Inline>],
    align: &[Alignment],
) -> Option<Node> {
    let tr = el(doc, "tr")?;
    for (i, cell) in cells.iter().enumerate() {
        let c = el(doc, cell_tag)?;
        let side = match align.get(i) {
            Some(Alignment::Left) => "left",
            Some(Alignment::Center) => "center",
            Some(Alignment::Right) => "right",
            _ => "",
        };
        if !side.is_empty() {
            let _ = c.set_attribute("data-align", side);
        }
        render_inlines(doc, &c, cell);
        append(&tr, &c);
    }
    Some(tr.unchecked_into())
}

fn render_inlines(doc: &Document, parent: &Node, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => text(doc, parent, t),
            Inline::SoftBreak => text(doc, parent, "\n"),
            Inline::HardBreak => {
                if let Some(br) = el(doc, "br") {
                    append(parent, &br);
                }
            }
            Inline::Code(c) => wrap(doc, parent, "code", |n| text(doc, n, c)),
            Inline::Emph(children) => wrap(doc, parent, "em", |n| render_inlines(doc, n, children)),
            Inline::Strong(children) => {
                wrap(doc, parent, "strong", |n| render_inlines(doc, n, children))
            }
            Inline::Strike(children) => {
                wrap(doc, parent, "del", |n| render_inlines(doc, n, children))
            }
            Inline::Link {
                url,
                title,
                children,
            } => {
                let Some(a) = el(doc, "a") else { continue };
                let _ = a.set_attribute("href", url);
                let _ = a.set_attribute("target", "_blank");
                let _ = a.set_attribute("rel", "noopener noreferrer");
                if let Some(title) = title {
                    let _ = a.set_attribute("title", title);
                }
                render_inlines(doc, &a, children);
                append(parent, &a);
            }
            Inline::Image { url, alt, title } => {
                if chat_markdown::is_loadable_image_url(url) {
                    let Some(img) = el(doc, "img") else { continue };
                    let _ = img.set_attribute("src", url);
                    let _ = img.set_attribute("alt", alt);
                    if let Some(title) = title {
                        let _ = img.set_attribute("title", title);
                    }
                    append(parent, &img);
                } else {
                    // Remote images are not loaded (they could track the reader): show the
                    // description and where it would come from, as plain text.
                    let label = if alt.is_empty() {
                        "image"
                    } else {
                        alt.as_str()
                    };
                    text(doc, parent, &format!("[{label}: {url}]"));
                }
            }
        }
    }
}

fn wrap(doc: &Document, parent: &Node, tag: &str, fill: impl FnOnce(&Node)) {
    if let Some(e) = el(doc, tag) {
        fill(&e);
        append(parent, &e);
    }
}

/// The DOM of a reply that is still streaming: finished blocks are appended once and never
/// touched again; of the unfinished tail, only blocks that changed are rebuilt (a tail
/// block that becomes finished unchanged keeps its node).
pub struct StreamingRenderer {
    doc: Document,
    container: Element,
    markdown: StreamingDocument,
    /// The unfinished blocks on screen, with their nodes.
    tail: Vec<(Block, Node)>,
}

impl StreamingRenderer {
    pub fn new(doc: Document, container: Element) -> Self {
        Self {
            doc,
            container,
            markdown: StreamingDocument::new(),
            tail: Vec::new(),
        }
    }

    /// Appends newly streamed text and updates the DOM.
    pub fn push(&mut self, delta: &str) {
        let update = self.markdown.push(delta);
        let blocks: Vec<&Block> = update
            .newly_finished
            .iter()
            .chain(update.tail.iter())
            .collect();
        let kept = self
            .tail
            .iter()
            .zip(&blocks)
            .take_while(|((old, _), new)| old == **new)
            .count();
        let mut nodes: Vec<Node> = Vec::with_capacity(blocks.len());
        for (i, (_, node)) in self.tail.drain(..).enumerate() {
            if i < kept {
                nodes.push(node);
            } else {
                let _ = self.container.remove_child(&node);
            }
        }
        for block in &blocks[kept..] {
            match render_block(&self.doc, block) {
                Some(node) => {
                    append(&self.container, &node);
                    nodes.push(node);
                }
                None => nodes.push(self.doc.create_text_node("").into()),
            }
        }
        let finished = update.newly_finished.len();
        self.tail = blocks[finished..]
            .iter()
            .zip(nodes.drain(finished..))
            .map(|(block, node)| ((*block).clone(), node))
            .collect();
    }

    /// Ends the stream of a reply whose whole text is `text`: pushes what it has not shown
    /// yet; true when the DOM is then exactly `text` rendered from scratch (false when a link
    /// reference definition asks for a re-parse, or the text differs).
    pub fn finish(mut self, text: &str) -> bool {
        let Some(rest) = text.strip_prefix(self.markdown.text()).map(str::to_owned) else {
            return false;
        };
        if !rest.is_empty() {
            self.push(&rest);
        }
        self.markdown.is_exact()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn render(markdown: &str) -> Element {
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .expect("a document");
        let root = doc.create_element("div").expect("a div");
        render_blocks(&doc, &root, &chat_markdown::parse(markdown));
        root
    }

    #[wasm_bindgen_test]
    fn raw_html_in_a_reply_becomes_text_not_elements() {
        let root = render("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert_eq!(
            root.query_selector_all("script, img")
                .map(|l| l.length())
                .ok(),
            Some(0)
        );
        let text = root.text_content().unwrap_or_default();
        assert!(text.contains("<script>alert(1)</script>"), "{text}");
        assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    }

    #[wasm_bindgen_test]
    fn links_open_safely_and_javascript_links_are_plain_text() {
        let root = render("[ok](https://example.com) and [bad](javascript:alert(1))");
        let links = root.query_selector_all("a").expect("query");
        assert_eq!(links.length(), 1);
        let a: Element = links.get(0).expect("a link").unchecked_into();
        assert_eq!(
            a.get_attribute("href").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            a.get_attribute("rel").as_deref(),
            Some("noopener noreferrer")
        );
        assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
        assert!(root.text_content().unwrap_or_default().contains("bad"));
    }

    #[wasm_bindgen_test]
    fn remote_images_are_not_loaded_but_data_url_images_are() {
        let root = render(
            "![far](https://evil.example/x.png)\n\n![near](data:image/png;base64,iVBORw0KGgo=)",
        );
        let imgs = root.query_selector_all("img").expect("query");
        assert_eq!(imgs.length(), 1);
        let img: Element = imgs.get(0).expect("an image").unchecked_into();
        assert!(img
            .get_attribute("src")
            .unwrap_or_default()
            .starts_with("data:image/png"));
        assert!(root
            .text_content()
            .unwrap_or_default()
            .contains("[far: https://evil.example/x.png]"));
    }

    #[wasm_bindgen_test]
    fn fenced_code_has_a_language_label_and_a_copy_button() {
        let root = render("```rust\nfn main() {}\n```");
        let head = root
            .query_selector(".fc-code-head")
            .ok()
            .flatten()
            .expect("a code head");
        assert!(head.text_content().unwrap_or_default().starts_with("rust"));
        assert!(root
            .query_selector(&format!("[{COPY_ATTR}]"))
            .ok()
            .flatten()
            .is_some());
        let code = root
            .query_selector("pre code")
            .ok()
            .flatten()
            .expect("code");
        assert_eq!(code.text_content().as_deref(), Some("fn main() {}\n"));
    }

    #[wasm_bindgen_test]
    fn streaming_keeps_finished_block_nodes_and_replaces_only_the_tail() {
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .expect("a document");
        let root = doc.create_element("div").expect("a div");
        let mut renderer = StreamingRenderer::new(doc, root.clone());
        renderer.push("# Title\n\nfirst para");
        let heading = root.first_child().expect("heading node");
        renderer.push("graph\n\nsecond ```open");
        renderer.push(" code\n\n```rust\nlet x");
        let same = root.first_child().expect("heading node");
        assert!(
            heading.is_same_node(Some(&same)),
            "a finished block was re-rendered"
        );
        assert_eq!(
            root.query_selector_all("h1").map(|l| l.length()).ok(),
            Some(1)
        );
        let code = root
            .query_selector("pre code")
            .ok()
            .flatten()
            .expect("open fence is code");
        assert_eq!(code.text_content().as_deref(), Some("let x\n"));
        renderer.push(" = 1;\n");
        let code = root
            .query_selector("pre code")
            .ok()
            .flatten()
            .expect("still code");
        assert_eq!(code.text_content().as_deref(), Some("let x = 1;\n"));
    }
}
