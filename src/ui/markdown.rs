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
/// touched again; only the tail's nodes are replaced.
pub struct StreamingRenderer {
    doc: Document,
    container: Element,
    markdown: StreamingDocument,
    tail_nodes: Vec<Node>,
}

impl StreamingRenderer {
    pub fn new(doc: Document, container: Element) -> Self {
        Self {
            doc,
            container,
            markdown: StreamingDocument::new(),
            tail_nodes: Vec::new(),
        }
    }

    /// Appends newly streamed text and updates the DOM.
    pub fn push(&mut self, delta: &str) {
        for node in self.tail_nodes.drain(..) {
            let _ = self.container.remove_child(&node);
        }
        let update = self.markdown.push(delta);
        render_blocks(&self.doc, &self.container, update.newly_finished);
        for block in update.tail {
            if let Some(node) = render_block(&self.doc, block) {
                append(&self.container, &node);
                self.tail_nodes.push(node);
            }
        }
    }
}
