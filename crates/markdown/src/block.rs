//! Block structure: the line-by-line container algorithm of CommonMark (block quotes, list
//! items, code, headings, paragraphs, link reference definitions) plus GFM tables.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::inline::{self, LinkDef};
use crate::{Alignment, Block};

const TAB_STOP: usize = 4;

/// Containers nested deeper than this are not opened (their markers stay text), so no
/// input can build a tree deep enough to overflow the stack of a recursive walk.
const MAX_DEPTH: usize = 48;

/// Link reference definitions by normalized label; the first definition of a label wins.
pub(crate) type RefMap = BTreeMap<String, LinkDef>;

#[derive(Clone)]
enum Kind {
    Document,
    BlockQuote,
    List {
        ordered: bool,
        marker: u8,
        start: u32,
        tight: bool,
    },
    Item {
        indent: usize,
    },
    Paragraph,
    Heading {
        level: u8,
    },
    FencedCode {
        ch: u8,
        len: usize,
        indent: usize,
        info: Option<String>,
    },
    IndentedCode,
    /// An HTML block; `end` is its start condition (1..=7), which decides how it ends.
    Html {
        end: u8,
    },
    ThematicBreak,
    Table {
        align: Vec<Alignment>,
        header: String,
        rows: Vec<String>,
    },
}

#[derive(Clone)]
struct Node {
    kind: Kind,
    children: Vec<usize>,
    parent: usize,
    open: bool,
    removed: bool,
    last_line_blank: bool,
    start_line: usize,
    depth: usize,
    /// Byte offset (in the parsed text) of the line this block starts on.
    start_offset: usize,
    /// Byte offset of the last line added (paragraphs: where a table header would start).
    last_line_offset: usize,
    content: String,
    /// The built block of a closed leaf, so later re-builds do not parse it again.
    built: Option<Arc<Block>>,
}

/// One line being processed: position by byte and by column (tabs expand to 4).
struct Line<'a> {
    text: &'a str,
    offset: usize,
    column: usize,
    partial_tab: bool,
    first_nonspace: usize,
    first_nonspace_column: usize,
    indent: usize,
    blank: bool,
}

impl<'a> Line<'a> {
    fn new(text: &'a str) -> Self {
        Line {
            text,
            offset: 0,
            column: 0,
            partial_tab: false,
            first_nonspace: 0,
            first_nonspace_column: 0,
            indent: 0,
            blank: false,
        }
    }

    fn byte(&self, i: usize) -> u8 {
        self.text.as_bytes().get(i).copied().unwrap_or(b'\n')
    }

    fn find_first_nonspace(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = self.offset;
        let mut col = self.column;
        let mut to_tab = TAB_STOP - col % TAB_STOP;
        while let Some(&c) = bytes.get(i) {
            match c {
                b' ' => {
                    i += 1;
                    col += 1;
                    to_tab -= 1;
                    if to_tab == 0 {
                        to_tab = TAB_STOP;
                    }
                }
                b'\t' => {
                    i += 1;
                    col += to_tab;
                    to_tab = TAB_STOP;
                }
                _ => break,
            }
        }
        self.first_nonspace = i;
        self.first_nonspace_column = col;
        self.indent = col - self.column;
        self.blank = i >= bytes.len();
    }

    /// Advances by `count` characters, or by `count` columns (`columns`), splitting a tab.
    fn advance(&mut self, mut count: usize, columns: bool) {
        let bytes = self.text.as_bytes();
        while count > 0 {
            let Some(&c) = bytes.get(self.offset) else {
                break;
            };
            if c == b'\t' {
                let to_tab = TAB_STOP - self.column % TAB_STOP;
                if columns {
                    self.partial_tab = to_tab > count;
                    let used = to_tab.min(count);
                    self.column += used;
                    if !self.partial_tab {
                        self.offset += 1;
                    }
                    count -= used;
                } else {
                    self.partial_tab = false;
                    self.column += to_tab;
                    self.offset += 1;
                    count -= 1;
                }
            } else {
                self.partial_tab = false;
                self.offset += 1;
                self.column += 1;
                count -= 1;
            }
        }
    }

    fn advance_to_first_nonspace(&mut self) {
        self.offset = self.first_nonspace;
        self.column = self.first_nonspace_column;
        self.partial_tab = false;
    }

    /// The rest of the line from the current position, a partly consumed tab as spaces.
    fn rest_with_tab(&self) -> String {
        let mut out = String::new();
        let mut from = self.offset;
        if self.partial_tab {
            from += 1;
            let spaces = TAB_STOP - self.column % TAB_STOP;
            out.extend(std::iter::repeat_n(' ', spaces));
        }
        out.push_str(self.text.get(from..).unwrap_or(""));
        out
    }

    fn after_indent(&self) -> &'a str {
        self.text.get(self.first_nonspace..).unwrap_or("")
    }
}

/// Incremental block parser: feed lines, then finish into blocks. Cloning is cheap enough
/// to finish a copy for display while the original keeps accepting lines.
#[derive(Clone)]
pub(crate) struct BlockParser {
    nodes: Vec<Node>,
    tip: usize,
    line_number: usize,
    refs: RefMap,
    /// Top-level block index that each definition found in this parse came from.
    ref_origins: Vec<(String, usize)>,
    /// Leaves closed since the last [`BlockParser::cache_closed`].
    newly_closed: Vec<usize>,
}

impl BlockParser {
    /// A parser whose link reference lookups start from `refs` (definitions already known).
    pub(crate) fn new(refs: RefMap) -> Self {
        BlockParser {
            nodes: vec![Node::new(Kind::Document, 0, 0, 0)],
            tip: 0,
            line_number: 0,
            refs,
            ref_origins: Vec::new(),
            newly_closed: Vec::new(),
        }
    }

    /// Builds (inline-parses) every leaf closed since the last call and keeps the result, so
    /// clones of this parser build them by copying.
    pub(crate) fn cache_closed(&mut self) {
        for id in std::mem::take(&mut self.newly_closed) {
            let built = self.build(id).map(Arc::new);
            let node = &mut self.nodes[id];
            node.content = String::new();
            node.built = built;
        }
    }

    /// Builds the top-level blocks before `end` (all closed once a later one has started).
    pub(crate) fn build_top_level(&self, end: usize) -> Vec<Block> {
        self.nodes[0].children[..end.min(self.top_level_count())]
            .iter()
            .filter_map(|&id| self.build(id))
            .collect()
    }

    /// Number of top-level blocks started so far.
    pub(crate) fn top_level_count(&self) -> usize {
        self.nodes[0].children.len()
    }

    /// Byte offset (in the fed text) of the line where top-level block `index` starts.
    pub(crate) fn top_level_start(&self, index: usize) -> Option<usize> {
        let id = *self.nodes[0].children.get(index)?;
        Some(self.nodes[id].start_offset)
    }

    /// Definitions found in this parse that belong to top-level blocks before `end`.
    pub(crate) fn refs_before(&self, end: usize) -> Vec<(String, LinkDef)> {
        self.ref_origins
            .iter()
            .filter(|(_, origin)| *origin < end)
            .filter_map(|(label, _)| Some((label.clone(), self.refs.get(label)?.clone())))
            .collect()
    }

    /// True if this parse found any link reference definition.
    pub(crate) fn found_ref_defs(&self) -> bool {
        !self.ref_origins.is_empty()
    }

    /// Feeds every line of `text`, which starts at byte `base` of the parsed text.
    pub(crate) fn feed_text(&mut self, text: &str, base: usize) {
        let mut start = 0;
        while start < text.len() {
            let rest = &text[start..];
            let (line_len, ending) = match rest.find(['\n', '\r']) {
                Some(i) if rest[i..].starts_with("\r\n") => (i, 2),
                Some(i) => (i, 1),
                None => (rest.len(), 0),
            };
            self.process_line(&rest[..line_len], base + start);
            start += line_len + ending;
        }
    }

    /// Closes every open block and builds the tree: one entry per top-level block, `None`
    /// for a paragraph that held only link reference definitions.
    pub(crate) fn finish(&mut self) -> Vec<Option<Block>> {
        let mut id = self.tip;
        loop {
            let parent = self.finalize(id);
            if id == 0 {
                break;
            }
            id = parent;
        }
        let children = self.nodes[0].children.clone();
        children.iter().map(|&id| self.build(id)).collect()
    }

    fn add_child(&mut self, mut parent: usize, kind: Kind, offset: usize) -> usize {
        while !self.can_contain(parent, &kind) {
            parent = self.finalize(parent);
        }
        let id = self.nodes.len();
        let mut node = Node::new(kind, parent, self.line_number, offset);
        node.depth = self.nodes[parent].depth + 1;
        self.nodes.push(node);
        self.nodes[parent].children.push(id);
        id
    }

    fn can_contain(&self, parent: usize, child: &Kind) -> bool {
        match self.nodes[parent].kind {
            Kind::Document | Kind::BlockQuote | Kind::Item { .. } => {
                !matches!(child, Kind::Item { .. })
            }
            Kind::List { .. } => matches!(child, Kind::Item { .. }),
            _ => false,
        }
    }

    fn last_open_child(&self, id: usize) -> Option<usize> {
        let child = *self.nodes[id].children.last()?;
        self.nodes[child].open.then_some(child)
    }

    fn is_paragraph(&self, id: usize) -> bool {
        matches!(self.nodes[id].kind, Kind::Paragraph)
    }

    fn process_line(&mut self, text: &str, line_offset: usize) {
        self.line_number += 1;
        let mut line = Line::new(text);
        let mut container = 0;

        // 1. Which open blocks does this line continue?
        while let Some(child) = self.last_open_child(container) {
            line.find_first_nonspace();
            let matched = match &self.nodes[child].kind {
                Kind::BlockQuote => {
                    let ok = line.indent <= 3 && line.byte(line.first_nonspace) == b'>';
                    if ok {
                        line.advance(line.indent + 1, true);
                        if matches!(line.byte(line.offset), b' ' | b'\t') {
                            line.advance(1, true);
                        }
                    }
                    ok
                }
                Kind::Item { indent } => {
                    if line.indent >= *indent {
                        line.advance(*indent, true);
                        true
                    } else if line.blank && !self.nodes[child].children.is_empty() {
                        line.advance_to_first_nonspace();
                        true
                    } else {
                        false
                    }
                }
                Kind::FencedCode {
                    ch, len, indent, ..
                } => {
                    if line.indent <= 3 && is_closing_fence(line.after_indent(), *ch, *len) {
                        self.tip = self.finalize(child);
                        return;
                    }
                    let mut skip = *indent;
                    while skip > 0 && line.byte(line.offset) == b' ' {
                        line.advance(1, true);
                        skip -= 1;
                    }
                    true
                }
                Kind::IndentedCode => {
                    if line.indent >= 4 {
                        line.advance(4, true);
                        true
                    } else if line.blank {
                        line.advance_to_first_nonspace();
                        true
                    } else {
                        false
                    }
                }
                Kind::Html { end } => !(line.blank && *end >= 6),
                Kind::Paragraph | Kind::Table { .. } => !line.blank,
                Kind::List { .. } => true,
                Kind::Heading { .. } | Kind::ThematicBreak | Kind::Document => false,
            };
            if !matched {
                break;
            }
            container = child;
        }
        let last_matched = container;
        let mut maybe_lazy = self.is_paragraph(self.tip);

        // 2. New block starts.
        let mut consumed = false;
        while !matches!(
            self.nodes[container].kind,
            Kind::FencedCode { .. } | Kind::IndentedCode | Kind::Html { .. }
        ) {
            line.find_first_nonspace();
            let indented = line.indent >= 4;
            let rest = line.after_indent();
            let c = line.byte(line.first_nonspace);
            let deep = self.nodes[container].depth >= MAX_DEPTH;
            if !indented && !deep && c == b'>' {
                line.advance_to_first_nonspace();
                line.advance(1, false);
                if matches!(line.byte(line.offset), b' ' | b'\t') {
                    line.advance(1, true);
                }
                container = self.add_child(container, Kind::BlockQuote, line_offset);
                maybe_lazy = false;
            } else if let Some((level, content)) = (!indented).then(|| atx_heading(rest)).flatten()
            {
                container = self.add_child(container, Kind::Heading { level }, line_offset);
                self.nodes[container].content = content.to_string();
                consumed = true;
                break;
            } else if let Some((ch, len, info)) = (!indented).then(|| fence_open(rest)).flatten() {
                let indent = line.indent;
                let kind = Kind::FencedCode {
                    ch,
                    len,
                    indent,
                    info,
                };
                container = self.add_child(container, kind, line_offset);
                consumed = true;
                break;
            } else if let Some(end) = (!indented && c == b'<')
                .then(|| html_block_start(rest, !self.is_paragraph(container)))
                .flatten()
            {
                container = self.add_child(container, Kind::Html { end }, line_offset);
                break;
            } else if let Some(level) = (!indented && self.is_paragraph(container))
                .then(|| setext_underline(rest))
                .flatten()
                .filter(|_| self.resolve_paragraph_refs(container))
            {
                self.nodes[container].kind = Kind::Heading { level };
                consumed = true;
                break;
            } else if !indented && is_thematic_break(rest) {
                container = self.add_child(container, Kind::ThematicBreak, line_offset);
                consumed = true;
                break;
            } else if let Some(marker) = (!indented && !deep)
                .then(|| list_marker(rest, self.is_paragraph(container)))
                .flatten()
            {
                let marker_indent = line.indent;
                line.advance_to_first_nonspace();
                line.advance(marker.width, false);
                let (save_offset, save_column, save_partial) =
                    (line.offset, line.column, line.partial_tab);
                let mut spaces = 0;
                while spaces <= 5 && matches!(line.byte(line.offset), b' ' | b'\t') {
                    line.advance(1, true);
                    spaces += 1;
                }
                line.find_first_nonspace();
                let padding = if !(1..5).contains(&spaces) || line.blank {
                    line.offset = save_offset;
                    line.column = save_column;
                    line.partial_tab = save_partial;
                    if spaces > 0 {
                        line.advance(1, true);
                    }
                    marker.width + 1
                } else {
                    marker.width + spaces
                };
                let same_list = matches!(
                    self.nodes[container].kind,
                    Kind::List { ordered, marker: m, .. }
                        if ordered == marker.ordered && m == marker.ch
                );
                if !same_list {
                    let kind = Kind::List {
                        ordered: marker.ordered,
                        marker: marker.ch,
                        start: marker.start,
                        tight: true,
                    };
                    container = self.add_child(container, kind, line_offset);
                }
                let kind = Kind::Item {
                    indent: marker_indent + padding,
                };
                container = self.add_child(container, kind, line_offset);
                maybe_lazy = false;
            } else if indented && !maybe_lazy && !line.blank {
                line.advance(4, true);
                container = self.add_child(container, Kind::IndentedCode, line_offset);
                break;
            } else if let Some(align) = (!indented && self.is_paragraph(container))
                .then(|| self.table_start(container, rest))
                .flatten()
            {
                container = self.start_table(container, align);
                consumed = true;
                break;
            } else {
                break;
            }
        }

        // 3. The rest of the line is text for the innermost block.
        line.find_first_nonspace();
        if line.blank {
            if let Some(&last) = self.nodes[container].children.last() {
                self.nodes[last].last_line_blank = true;
            }
        }
        let node = &self.nodes[container];
        let last_line_blank = line.blank
            && !(matches!(
                node.kind,
                Kind::BlockQuote
                    | Kind::Heading { .. }
                    | Kind::ThematicBreak
                    | Kind::FencedCode { .. }
            ) || (matches!(node.kind, Kind::Item { .. })
                && node.children.is_empty()
                && node.start_line == self.line_number));
        self.nodes[container].last_line_blank = last_line_blank;
        let mut up = container;
        while up != 0 {
            up = self.nodes[up].parent;
            self.nodes[up].last_line_blank = false;
        }

        if self.tip != last_matched
            && container == last_matched
            && !line.blank
            && self.is_paragraph(self.tip)
        {
            let tip = self.tip;
            self.add_paragraph_line(tip, line.after_indent(), line_offset);
            return;
        }
        while self.tip != last_matched && self.tip != 0 {
            self.tip = self.finalize(self.tip);
        }
        if consumed {
            self.tip = container;
            return;
        }
        match &mut self.nodes[container].kind {
            Kind::IndentedCode | Kind::FencedCode { .. } => {
                let text = line.rest_with_tab();
                let content = &mut self.nodes[container].content;
                content.push_str(&text);
                content.push('\n');
            }
            Kind::Html { end } => {
                let end = *end;
                let text = line.rest_with_tab();
                let content = &mut self.nodes[container].content;
                content.push_str(&text);
                content.push('\n');
                if html_block_ends(&text, end) {
                    self.tip = self.finalize(container);
                    return;
                }
            }
            Kind::Table { rows, .. } => rows.push(line.after_indent().to_string()),
            Kind::Paragraph => self.add_paragraph_line(container, line.after_indent(), line_offset),
            _ if line.blank => {}
            _ => {
                container = self.add_child(container, Kind::Paragraph, line_offset);
                self.add_paragraph_line(container, line.after_indent(), line_offset);
            }
        }
        self.tip = container;
    }

    fn add_paragraph_line(&mut self, id: usize, text: &str, line_offset: usize) {
        let node = &mut self.nodes[id];
        node.content.push_str(text);
        node.content.push('\n');
        node.last_line_offset = line_offset;
    }

    /// Strips link reference definitions from the start of a paragraph; false if nothing
    /// else remains (the paragraph then disappears).
    fn resolve_paragraph_refs(&mut self, id: usize) -> bool {
        let content = std::mem::take(&mut self.nodes[id].content);
        let mut rest = content.as_str();
        while let Some((label, def, used)) = inline::parse_ref_def(rest) {
            if !self.refs.contains_key(&label) {
                let top = self.top_level_count().saturating_sub(1);
                self.ref_origins.push((label.clone(), top));
                self.refs.insert(label, def);
            }
            rest = &rest[used..];
        }
        let has_text = !rest.trim().is_empty();
        self.nodes[id].content = rest.to_string();
        has_text
    }

    /// A GFM delimiter row under a paragraph whose last line has as many cells.
    fn table_start(&self, paragraph: usize, rest: &str) -> Option<Vec<Alignment>> {
        let align = delimiter_row(rest)?;
        let content = self.nodes[paragraph].content.trim_end_matches('\n');
        let header = content.rsplit('\n').next().unwrap_or(content);
        (split_row(header).len() == align.len()).then_some(align)
    }

    fn start_table(&mut self, paragraph: usize, align: Vec<Alignment>) -> usize {
        let content = std::mem::take(&mut self.nodes[paragraph].content);
        let body = content.trim_end_matches('\n');
        let (before, header) = match body.rfind('\n') {
            Some(i) => (&body[..=i], &body[i + 1..]),
            None => ("", body),
        };
        let header = header.to_string();
        let header_offset = self.nodes[paragraph].last_line_offset;
        let kind = Kind::Table {
            align,
            header,
            rows: Vec::new(),
        };
        if before.is_empty() {
            let node = &mut self.nodes[paragraph];
            node.kind = kind;
            return paragraph;
        }
        self.nodes[paragraph].content = before.to_string();
        let parent = self.finalize(paragraph);
        self.add_child(parent, kind, header_offset)
    }

    /// Closes block `id`; returns its parent.
    fn finalize(&mut self, id: usize) -> usize {
        if !self.nodes[id].open {
            return self.nodes[id].parent;
        }
        self.nodes[id].open = false;
        match self.nodes[id].kind {
            Kind::Paragraph => {
                let has_text = self.resolve_paragraph_refs(id);
                self.nodes[id].removed = !has_text;
            }
            Kind::IndentedCode => {
                let content = &mut self.nodes[id].content;
                let mut lines: Vec<&str> = content.split_inclusive('\n').collect();
                while lines
                    .last()
                    .is_some_and(|l| l.trim_matches([' ', '\t', '\n']).is_empty())
                {
                    lines.pop();
                }
                *content = lines.concat();
            }
            Kind::List { .. } => {
                let tight = self.list_is_tight(id);
                if let Kind::List { tight: t, .. } = &mut self.nodes[id].kind {
                    *t = tight;
                }
            }
            _ => {}
        }
        if self.nodes[id].children.is_empty() && !matches!(self.nodes[id].kind, Kind::Item { .. }) {
            self.newly_closed.push(id);
        }
        self.nodes[id].parent
    }

    fn ends_with_blank_line(&self, mut id: usize) -> bool {
        loop {
            let node = &self.nodes[id];
            if node.last_line_blank {
                return true;
            }
            match (&node.kind, node.children.last()) {
                (Kind::List { .. } | Kind::Item { .. }, Some(&last)) => id = last,
                _ => return false,
            }
        }
    }

    fn list_is_tight(&self, list: usize) -> bool {
        let items = &self.nodes[list].children;
        for (i, &item) in items.iter().enumerate() {
            let item_is_last = i + 1 == items.len();
            if self.nodes[item].last_line_blank && !item_is_last {
                return false;
            }
            let subs = &self.nodes[item].children;
            for (j, &sub) in subs.iter().enumerate() {
                if self.ends_with_blank_line(sub) && (!item_is_last || j + 1 < subs.len()) {
                    return false;
                }
            }
        }
        true
    }

    fn build_children(&self, ids: &[usize]) -> Vec<Block> {
        ids.iter().filter_map(|&id| self.build(id)).collect()
    }

    fn build(&self, id: usize) -> Option<Block> {
        let node = &self.nodes[id];
        if node.removed {
            return None;
        }
        if let Some(built) = &node.built {
            return Some(Block::clone(built));
        }
        let refs = &self.refs;
        Some(match &node.kind {
            Kind::Document => return None,
            Kind::BlockQuote => Block::BlockQuote(self.build_children(&node.children)),
            Kind::List {
                ordered,
                start,
                tight,
                ..
            } => Block::List {
                ordered: *ordered,
                start: *start,
                tight: *tight,
                items: node
                    .children
                    .iter()
                    .map(|&item| self.build_children(&self.nodes[item].children))
                    .collect(),
            },
            Kind::Item { .. } => return None,
            Kind::Paragraph => Block::Paragraph(inline::parse(node.content.trim(), refs)),
            Kind::Heading { level } => Block::Heading {
                level: *level,
                inlines: inline::parse(node.content.trim(), refs),
            },
            Kind::FencedCode { info, .. } => Block::CodeBlock {
                info: info.clone(),
                text: node.content.clone(),
            },
            Kind::IndentedCode => Block::CodeBlock {
                info: None,
                text: node.content.clone(),
            },
            Kind::Html { .. } => Block::HtmlText(node.content.clone()),
            Kind::ThematicBreak => Block::ThematicBreak,
            Kind::Table {
                align,
                header,
                rows,
            } => {
                let cells = |row: &str| {
                    let mut cells: Vec<_> = split_row(row)
                        .into_iter()
                        .map(|cell| inline::parse(&cell, refs))
                        .collect();
                    cells.resize(align.len(), Vec::new());
                    cells
                };
                Block::Table {
                    align: align.clone(),
                    header: cells(header),
                    rows: rows.iter().map(|row| cells(row)).collect(),
                }
            }
        })
    }
}

impl Node {
    fn new(kind: Kind, parent: usize, start_line: usize, start_offset: usize) -> Self {
        Node {
            kind,
            children: Vec::new(),
            parent,
            open: true,
            removed: false,
            last_line_blank: false,
            start_line,
            depth: 0,
            start_offset,
            last_line_offset: start_offset,
            content: String::new(),
            built: None,
        }
    }
}

/// Parses a whole document with no previously known reference definitions.
pub(crate) fn parse_document(text: &str) -> Vec<Block> {
    let text = text.replace('\0', "\u{FFFD}");
    let mut parser = BlockParser::new(RefMap::new());
    parser.feed_text(&text, 0);
    parser.finish().into_iter().flatten().collect()
}

/// Tag names that start an HTML block of condition 6.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

/// Tags whose HTML block (condition 1) runs to their closing tag, blank lines included.
const RAW_TAGS: &[&str] = &["pre", "script", "style", "textarea"];

/// The HTML block start condition (1..=7) met by a line starting with `<`; condition 7
/// (any lone complete tag) only where it may start, i.e. not interrupting a paragraph.
fn html_block_start(rest: &str, allow_any_tag: bool) -> Option<u8> {
    let lower = rest.to_ascii_lowercase();
    let after_name = |name_end: usize| {
        matches!(
            lower.as_bytes().get(name_end),
            None | Some(b' ' | b'\t' | b'>')
        ) || lower[name_end..].starts_with("/>")
    };
    if RAW_TAGS
        .iter()
        .any(|t| lower[1..].starts_with(t) && after_name(1 + t.len()))
    {
        return Some(1);
    }
    if lower.starts_with("<!--") {
        return Some(2);
    }
    if lower.starts_with("<?") {
        return Some(3);
    }
    if lower.starts_with("<![cdata[") {
        return Some(5);
    }
    if lower.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic) && lower.starts_with("<!") {
        return Some(4);
    }
    let name_start = if lower.starts_with("</") { 2 } else { 1 };
    let name_len = lower[name_start..]
        .bytes()
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    let name = &lower[name_start..name_start + name_len];
    if BLOCK_TAGS.contains(&name) && after_name(name_start + name_len) {
        return Some(6);
    }
    let tag_len = inline::scan_tag(rest.as_bytes(), &mut [false; 2])?;
    (allow_any_tag && !RAW_TAGS.contains(&name) && only_spaces(&rest[tag_len..])).then_some(7)
}

/// True if `line` ends an HTML block of start condition `end` (1..=5; 6 and 7 end at a
/// blank line).
fn html_block_ends(line: &str, end: u8) -> bool {
    match end {
        1 => {
            let lower = line.to_ascii_lowercase();
            RAW_TAGS.iter().any(|t| lower.contains(&format!("</{t}>")))
        }
        2 => line.contains("-->"),
        3 => line.contains("?>"),
        4 => line.contains('>'),
        5 => line.contains("]]>"),
        _ => false,
    }
}

fn is_space_or_tab(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn only_spaces(s: &str) -> bool {
    s.bytes().all(is_space_or_tab)
}

fn atx_heading(rest: &str) -> Option<(u8, &str)> {
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let after = &rest[hashes..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    let content = after.trim_matches([' ', '\t']);
    let without_closing = content.trim_end_matches('#');
    let content = if without_closing.is_empty() {
        without_closing
    } else if without_closing.ends_with([' ', '\t']) {
        without_closing.trim_end_matches([' ', '\t'])
    } else {
        content
    };
    Some((hashes as u8, content))
}

fn fence_open(rest: &str) -> Option<(u8, usize, Option<String>)> {
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim_matches([' ', '\t']);
    if ch == b'`' && info.contains('`') {
        return None;
    }
    let info = (!info.is_empty()).then(|| inline::unescape(info));
    Some((ch, len, info))
}

fn is_closing_fence(rest: &str, ch: u8, min_len: usize) -> bool {
    let len = rest.bytes().take_while(|&b| b == ch).count();
    len >= min_len && only_spaces(&rest[len..])
}

fn setext_underline(rest: &str) -> Option<u8> {
    let ch = *rest.as_bytes().first()?;
    let level = match ch {
        b'=' => 1,
        b'-' => 2,
        _ => return None,
    };
    let len = rest.bytes().take_while(|&b| b == ch).count();
    only_spaces(&rest[len..]).then_some(level)
}

fn is_thematic_break(rest: &str) -> bool {
    let Some(&ch) = rest.as_bytes().first() else {
        return false;
    };
    if !matches!(ch, b'*' | b'-' | b'_') {
        return false;
    }
    let mut count = 0;
    for b in rest.bytes() {
        if b == ch {
            count += 1;
        } else if !is_space_or_tab(b) {
            return false;
        }
    }
    count >= 3
}

struct ListMarker {
    ordered: bool,
    ch: u8,
    start: u32,
    width: usize,
}

fn list_marker(rest: &str, interrupts_paragraph: bool) -> Option<ListMarker> {
    let bytes = rest.as_bytes();
    let marker = match *bytes.first()? {
        ch @ (b'-' | b'+' | b'*') => ListMarker {
            ordered: false,
            ch,
            start: 1,
            width: 1,
        },
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let ch = *bytes.get(digits)?;
            if digits > 9 || (ch != b'.' && ch != b')') {
                return None;
            }
            ListMarker {
                ordered: true,
                ch,
                start: rest[..digits].parse().ok()?,
                width: digits + 1,
            }
        }
        _ => return None,
    };
    let after = &rest[marker.width..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    if interrupts_paragraph && (only_spaces(after) || (marker.ordered && marker.start != 1)) {
        return None;
    }
    Some(marker)
}

/// Splits a table row into trimmed cell texts, with `\|` turned into `|`.
fn split_row(row: &str) -> Vec<String> {
    let row = row.trim_matches([' ', '\t']);
    let row = row.strip_prefix('|').unwrap_or(row);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = row.chars().peekable();
    let mut closed = false;
    while let Some(c) = chars.next() {
        closed = false;
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '\\' => {
                cell.push('\\');
                if let Some(next) = chars.next() {
                    cell.push(next);
                }
            }
            '|' => {
                cells.push(cell.trim_matches([' ', '\t']).to_string());
                cell.clear();
                closed = true;
            }
            _ => cell.push(c),
        }
    }
    if !closed || cells.is_empty() {
        cells.push(cell.trim_matches([' ', '\t']).to_string());
    }
    cells
}

fn delimiter_row(rest: &str) -> Option<Vec<Alignment>> {
    if !rest.contains('|') {
        return None;
    }
    split_row(rest)
        .iter()
        .map(|cell| {
            let left = cell.starts_with(':');
            let right = cell.ends_with(':') && cell.len() > 1;
            let dashes = cell.trim_start_matches(':').trim_end_matches(':');
            if dashes.is_empty() || !dashes.bytes().all(|b| b == b'-') {
                return None;
            }
            Some(match (left, right) {
                (true, true) => Alignment::Center,
                (true, false) => Alignment::Left,
                (false, true) => Alignment::Right,
                (false, false) => Alignment::None,
            })
        })
        .collect()
}
