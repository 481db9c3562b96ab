//! HTML rendering of the block tree, escaped as the CommonMark spec tests expect. For tests
//! and debugging; the app builds DOM nodes from the tree instead.

use crate::{Alignment, Block, Inline};

/// Renders blocks to HTML (every text escaped; only tags this crate generates appear).
pub fn to_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    render_blocks(blocks, false, &mut out);
    out
}

fn cr(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn render_blocks(blocks: &[Block], tight: bool, out: &mut String) {
    for block in blocks {
        match block {
            Block::Paragraph(inlines) if tight => render_inlines(inlines, out),
            Block::Paragraph(inlines) => {
                cr(out);
                out.push_str("<p>");
                render_inlines(inlines, out);
                out.push_str("</p>\n");
            }
            Block::Heading { level, inlines } => {
                cr(out);
                out.push_str(&format!("<h{level}>"));
                render_inlines(inlines, out);
                out.push_str(&format!("</h{level}>\n"));
            }
            Block::CodeBlock { text, .. } => {
                cr(out);
                out.push_str("<pre><code");
                if let Some(lang) = block.code_language() {
                    out.push_str(" class=\"language-");
                    escape(lang, out);
                    out.push('"');
                }
                out.push('>');
                escape(text, out);
                out.push_str("</code></pre>\n");
            }
            Block::BlockQuote(children) => {
                cr(out);
                out.push_str("<blockquote>\n");
                render_blocks(children, false, out);
                cr(out);
                out.push_str("</blockquote>\n");
            }
            Block::List {
                ordered,
                start,
                tight,
                items,
            } => {
                cr(out);
                match (ordered, start) {
                    (false, _) => out.push_str("<ul>\n"),
                    (true, 1) => out.push_str("<ol>\n"),
                    (true, n) => out.push_str(&format!("<ol start=\"{n}\">\n")),
                }
                for item in items {
                    cr(out);
                    out.push_str("<li>");
                    render_blocks(item, *tight, out);
                    out.push_str("</li>\n");
                }
                cr(out);
                out.push_str(if *ordered { "</ol>\n" } else { "</ul>\n" });
            }
            Block::HtmlText(text) => {
                cr(out);
                escape(text, out);
                cr(out);
            }
            Block::ThematicBreak => {
                cr(out);
                out.push_str("<hr />\n");
            }
            Block::Table {
                align,
                header,
                rows,
            } => {
                cr(out);
                out.push_str("<table>\n<thead>\n");
                render_row(header, align, "th", out);
                out.push_str("</thead>\n");
                if !rows.is_empty() {
                    out.push_str("<tbody>\n");
                    for row in rows {
                        render_row(row, align, "td", out);
                    }
                    out.push_str("</tbody>\n");
                }
                out.push_str("</table>\n");
            }
        }
    }
}

fn render_row(cells: &[Vec<Inline>], align: &[Alignment], tag: &str, out: &mut String) {
    out.push_str("<tr>\n");
    for (cell, align) in cells.iter().zip(align) {
        out.push('<');
        out.push_str(tag);
        match align {
            Alignment::None => {}
            Alignment::Left => out.push_str(" align=\"left\""),
            Alignment::Center => out.push_str(" align=\"center\""),
            Alignment::Right => out.push_str(" align=\"right\""),
        }
        out.push('>');
        render_inlines(cell, out);
        out.push_str(&format!("</{tag}>\n"));
    }
    out.push_str("</tr>\n");
}

fn render_inlines(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => escape(t, out),
            Inline::Code(t) => {
                out.push_str("<code>");
                escape(t, out);
                out.push_str("</code>");
            }
            Inline::Emph(c) => wrap("em", c, out),
            Inline::Strong(c) => wrap("strong", c, out),
            Inline::Strike(c) => wrap("del", c, out),
            Inline::Link {
                url,
                title,
                children,
            } => {
                out.push_str("<a href=\"");
                escape_href(url, out);
                out.push('"');
                render_title(title, out);
                out.push('>');
                render_inlines(children, out);
                out.push_str("</a>");
            }
            Inline::Image { url, alt, title } => {
                out.push_str("<img src=\"");
                escape_href(url, out);
                out.push_str("\" alt=\"");
                escape(alt, out);
                out.push('"');
                render_title(title, out);
                out.push_str(" />");
            }
            Inline::SoftBreak => out.push('\n'),
            Inline::HardBreak => out.push_str("<br />\n"),
        }
    }
}

fn render_title(title: &Option<String>, out: &mut String) {
    if let Some(title) = title {
        out.push_str(" title=\"");
        escape(title, out);
        out.push('"');
    }
}

fn wrap(tag: &str, children: &[Inline], out: &mut String) {
    out.push_str(&format!("<{tag}>"));
    render_inlines(children, out);
    out.push_str(&format!("</{tag}>"));
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// Percent-encodes what is not URL-safe and HTML-escapes `&` and `'`.
fn escape_href(url: &str, out: &mut String) {
    for &b in url.as_bytes() {
        match b {
            b'&' => out.push_str("&amp;"),
            b'\'' => out.push_str("&#x27;"),
            b if b.is_ascii_alphanumeric() || b"-_.!~*();/?:@=+$,%#".contains(&b) => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}
