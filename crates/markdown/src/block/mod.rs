//! Block structure: the line-by-line container algorithm of CommonMark (block quotes, list
//! items, code, headings, paragraphs, link reference definitions) plus GFM tables. Each line
//! goes through comrak's three phases (`match_open_blocks`, `open_new_blocks`,
//! `add_line_text`); the block-start scanners are in `scan`, tables in `table`.

mod line;
mod scan;
mod table;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::inline::{self, LinkDef};
use crate::{Alignment, Block};
use line::Line;
use scan::{
    atx_heading, fence_open, html_block_ends, html_block_start, is_closing_fence,
    is_thematic_break, list_marker, setext_underline, ListMarker,
};

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

    /// One line, in CommonMark's three phases (as comrak names them): which open blocks it
    /// continues, which blocks it starts, and where its text goes.
    fn process_line(&mut self, text: &str, line_offset: usize) {
        self.line_number += 1;
        let mut line = Line::new(text);
        let Some(last_matched) = self.match_open_blocks(&mut line) else {
            return;
        };
        let opened = self.open_new_blocks(&mut line, last_matched, line_offset);
        self.add_line_text(&mut line, last_matched, opened, line_offset);
    }

    /// Phase 1: follows the last open child down from the document while the line
    /// continues it, consuming each one's marker or indentation. The deepest block
    /// continued, or `None` when the line was a closing fence (it ends its code block and
    /// nothing else).
    fn match_open_blocks(&mut self, line: &mut Line) -> Option<usize> {
        let mut container = 0;
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
                        return None;
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
        Some(container)
    }

    /// Phase 2: opens the blocks that start on the line inside `container` (the last
    /// matched block): containers one inside the other, then at most one leaf.
    fn open_new_blocks(
        &mut self,
        line: &mut Line,
        mut container: usize,
        line_offset: usize,
    ) -> Opened {
        let mut maybe_lazy = self.is_paragraph(self.tip);
        while !matches!(
            self.nodes[container].kind,
            Kind::FencedCode { .. } | Kind::IndentedCode | Kind::Html { .. }
        ) {
            line.find_first_nonspace();
            match self.start_block(line, container, maybe_lazy, line_offset) {
                BlockStart::Container(id) => {
                    container = id;
                    maybe_lazy = false;
                }
                BlockStart::Leaf { id, consumes_line } => {
                    return Opened {
                        container: id,
                        line_consumed: consumes_line,
                    }
                }
                BlockStart::None => break,
            }
        }
        Opened {
            container,
            line_consumed: false,
        }
    }

    /// The block starting at the line's first non-space character inside `container`, tried
    /// in CommonMark's order of precedence. `maybe_lazy`: the line may still be a lazy
    /// continuation of the open paragraph (it then cannot start indented code).
    fn start_block(
        &mut self,
        line: &mut Line,
        container: usize,
        maybe_lazy: bool,
        line_offset: usize,
    ) -> BlockStart {
        if line.indent >= 4 {
            if maybe_lazy || line.blank {
                return BlockStart::None;
            }
            line.advance(4, true);
            let id = self.add_child(container, Kind::IndentedCode, line_offset);
            return BlockStart::leaf(id, false);
        }
        let rest = line.after_indent();
        let deep = self.nodes[container].depth >= MAX_DEPTH;
        let in_paragraph = self.is_paragraph(container);
        if !deep && line.byte(line.first_nonspace) == b'>' {
            return BlockStart::Container(self.open_block_quote(line, container, line_offset));
        }
        if let Some((level, content)) = atx_heading(rest) {
            let id = self.add_child(container, Kind::Heading { level }, line_offset);
            self.nodes[id].content = content.to_string();
            return BlockStart::leaf(id, true);
        }
        if let Some((ch, len, info)) = fence_open(rest) {
            let indent = line.indent;
            let kind = Kind::FencedCode {
                ch,
                len,
                indent,
                info,
            };
            return BlockStart::leaf(self.add_child(container, kind, line_offset), true);
        }
        if let Some(end) = (line.byte(line.first_nonspace) == b'<')
            .then(|| html_block_start(rest, !in_paragraph))
            .flatten()
        {
            let id = self.add_child(container, Kind::Html { end }, line_offset);
            return BlockStart::leaf(id, false);
        }
        if let Some(level) = in_paragraph
            .then(|| setext_underline(rest))
            .flatten()
            .filter(|_| self.resolve_paragraph_refs(container))
        {
            self.nodes[container].kind = Kind::Heading { level };
            return BlockStart::leaf(container, true);
        }
        if is_thematic_break(rest) {
            let id = self.add_child(container, Kind::ThematicBreak, line_offset);
            return BlockStart::leaf(id, true);
        }
        if let Some(marker) = (!deep).then(|| list_marker(rest, in_paragraph)).flatten() {
            let item = self.open_list_item(line, container, marker, line_offset);
            return BlockStart::Container(item);
        }
        if let Some(align) = in_paragraph
            .then(|| self.table_start(container, rest))
            .flatten()
        {
            return BlockStart::leaf(self.start_table(container, align), true);
        }
        BlockStart::None
    }

    /// Opens a block quote, consuming its `>` and one space or tab after it.
    fn open_block_quote(&mut self, line: &mut Line, container: usize, line_offset: usize) -> usize {
        line.advance_to_first_nonspace();
        line.advance(1, false);
        if matches!(line.byte(line.offset), b' ' | b'\t') {
            line.advance(1, true);
        }
        self.add_child(container, Kind::BlockQuote, line_offset)
    }

    /// Opens a list item (and its list, unless `container` is a list of the same type),
    /// consuming the marker and the spaces that set the item's content indent.
    fn open_list_item(
        &mut self,
        line: &mut Line,
        container: usize,
        marker: ListMarker,
        line_offset: usize,
    ) -> usize {
        let marker_indent = line.indent;
        line.advance_to_first_nonspace();
        line.advance(marker.width, false);
        let (save_offset, save_column, save_partial) = (line.offset, line.column, line.partial_tab);
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
        let list = if same_list {
            container
        } else {
            let kind = Kind::List {
                ordered: marker.ordered,
                marker: marker.ch,
                start: marker.start,
                tight: true,
            };
            self.add_child(container, kind, line_offset)
        };
        let kind = Kind::Item {
            indent: marker_indent + padding,
        };
        self.add_child(list, kind, line_offset)
    }

    /// Phase 3: the rest of the line is text for the innermost block — a lazy paragraph
    /// continuation, code or HTML content, a table row, or a new paragraph — after the
    /// blocks the line did not continue are closed.
    fn add_line_text(
        &mut self,
        line: &mut Line,
        last_matched: usize,
        opened: Opened,
        line_offset: usize,
    ) {
        let Opened {
            mut container,
            line_consumed,
        } = opened;
        line.find_first_nonspace();
        self.record_blank_line(container, line.blank);
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
        if line_consumed {
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

    /// Whether `container` (and its last child) end with a blank line, for list tightness:
    /// not after blocks that cannot hold one, nor on an item's first, empty line; the blocks
    /// around `container` are not blank-ended by this line.
    fn record_blank_line(&mut self, container: usize, blank: bool) {
        if blank {
            if let Some(&last) = self.nodes[container].children.last() {
                self.nodes[last].last_line_blank = true;
            }
        }
        let node = &self.nodes[container];
        let last_line_blank = blank
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
            } => table::build(align, header, rows, refs),
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

/// What phase 2 leaves for phase 3: the innermost block, and whether a block start took the
/// whole line (headings, fences, thematic breaks, setext underlines, table delimiter rows).
struct Opened {
    container: usize,
    line_consumed: bool,
}

/// What starts on a line, if anything: a container (more may start inside it) or a leaf
/// (the last start on the line).
enum BlockStart {
    Container(usize),
    Leaf { id: usize, consumes_line: bool },
    None,
}

impl BlockStart {
    fn leaf(id: usize, consumes_line: bool) -> Self {
        BlockStart::Leaf { id, consumes_line }
    }
}
