//! Inline content: code spans, emphasis and strikethrough (delimiter runs), links, images,
//! autolinks, entities, backslash escapes and line breaks, plus the link destination, title
//! and reference-definition scanners shared with the block parser.

use crate::block::RefMap;
use crate::{entity, is_safe_link_url, Inline};

/// The destination and title of a link reference definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkDef {
    pub(crate) url: String,
    pub(crate) title: Option<String>,
}

/// Parses inline content (a paragraph's or heading's trimmed text).
pub(crate) fn parse(text: &str, refs: &RefMap) -> Vec<Inline> {
    let mut parser = InlineParser {
        s: text,
        pos: 0,
        refs,
        slots: Vec::new(),
        depths: Vec::new(),
        last_is_text: false,
        delims: Vec::new(),
        last_delim: None,
        brackets: Vec::new(),
        unmatched_backticks: Vec::new(),
        html_unclosed: [false; 6],
    };
    parser.run();
    parser.process_emphasis(0);
    let mut out = Vec::new();
    take_slots(&mut parser.slots, 0, &mut out);
    out
}

/// Emphasis and links nested deeper than this stay literal text, so no input can build a
/// tree deep enough to overflow the stack of a recursive walk (render, clone, drop).
const MAX_DEPTH: u8 = 32;

/// A position in the flat output list; emphasis and links gather ranges of slots.
enum Slot {
    Empty,
    One(Inline),
    /// A refused link: its children, spliced in place.
    Many(Vec<Inline>),
}

struct Delim {
    slot: usize,
    ch: u8,
    count: usize,
    original: usize,
    can_open: bool,
    can_close: bool,
    /// Neighbours in the delimiter stack (a linked list over `delims`, so removal is O(1)).
    prev: Option<usize>,
    next: Option<usize>,
}

struct Bracket {
    slot: usize,
    image: bool,
    active: bool,
    delims_below: usize,
    text_start: usize,
}

struct InlineParser<'a> {
    s: &'a str,
    pos: usize,
    refs: &'a RefMap,
    slots: Vec<Slot>,
    /// Nesting depth of the inline in each slot (parallel to `slots`).
    depths: Vec<u8>,
    last_is_text: bool,
    /// Every delimiter run pushed; the live stack is the list ending at `last_delim`.
    delims: Vec<Delim>,
    last_delim: Option<usize>,
    brackets: Vec<Bracket>,
    /// Backtick run lengths known to have no closing run further on.
    unmatched_backticks: Vec<usize>,
    /// Raw HTML terminators (`-->`, `]]>`, `>`, `?>`, `"`, `'`) known to be absent further on.
    html_unclosed: [bool; 6],
}

fn push_merged(out: &mut Vec<Inline>, node: Inline) {
    if let Inline::Text(t) = &node {
        if t.is_empty() {
            return;
        }
        if let Some(Inline::Text(prev)) = out.last_mut() {
            prev.push_str(t);
            return;
        }
    }
    out.push(node);
}

fn take_slots(slots: &mut [Slot], from: usize, out: &mut Vec<Inline>) {
    for slot in slots.iter_mut().skip(from) {
        match std::mem::replace(slot, Slot::Empty) {
            Slot::Empty => {}
            Slot::One(node) => push_merged(out, node),
            Slot::Many(nodes) => nodes.into_iter().for_each(|n| push_merged(out, n)),
        }
    }
}

/// Unicode punctuation or symbol (categories P and S) for emphasis flanking: exact for
/// ASCII, by block ranges elsewhere (Latin-1 signs, general punctuation, currency, arrows,
/// math, box drawing, dingbats, CJK and fullwidth punctuation, emoji) to avoid pulling the
/// std Unicode tables into the wasm bundle.
fn is_punctuation(c: char) -> bool {
    let u = c as u32;
    match u {
        0..=0x7F => c.is_ascii_punctuation(),
        0xA1..=0xBF => !matches!(u, 0xAA | 0xB2 | 0xB3 | 0xB5 | 0xB9 | 0xBA | 0xBC..=0xBE),
        0xD7 | 0xF7 => true,
        0x2010..=0x2027 | 0x2030..=0x205E | 0x20A0..=0x20CF => true,
        0x2190..=0x2BFF | 0x2E00..=0x2E7F | 0x3001..=0x303F => true,
        0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 => true,
        0x1F000..=0x1FAFF => true,
        _ => false,
    }
}

fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'\n' | b'\\' | b'`' | b'*' | b'_' | b'~' | b'[' | b']' | b'!' | b'<' | b'&'
    )
}

impl InlineParser<'_> {
    fn bytes(&self) -> &[u8] {
        self.s.as_bytes()
    }

    fn peek(&self, at: usize) -> Option<u8> {
        self.bytes().get(at).copied()
    }

    fn push_text(&mut self, text: &str) {
        if self.last_is_text {
            if let Some(Slot::One(Inline::Text(t))) = self.slots.last_mut() {
                t.push_str(text);
                return;
            }
        }
        self.slots.push(Slot::One(Inline::Text(text.to_string())));
        self.depths.push(0);
        self.last_is_text = true;
    }

    fn push_node(&mut self, node: Inline) -> usize {
        self.slots.push(Slot::One(node));
        self.depths.push(0);
        self.last_is_text = false;
        self.slots.len() - 1
    }

    /// The depth a node wrapping slots `from..to` would have.
    fn wrapped_depth(&self, from: usize, to: usize) -> u8 {
        let inner = self.depths.get(from..to).unwrap_or(&[]).iter().max();
        inner.copied().unwrap_or(0).saturating_add(1)
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(self.pos) {
            match c {
                b'\n' => self.line_break(),
                b'\\' => self.backslash(),
                b'`' => self.code_span(),
                b'*' | b'_' | b'~' => self.delimiter_run(c),
                b'[' => self.open_bracket(false),
                b'!' if self.peek(self.pos + 1) == Some(b'[') => self.open_bracket(true),
                b']' => self.close_bracket(),
                b'<' => self.autolink(),
                b'&' => match entity::parse(&self.s[self.pos..]) {
                    Some((text, used)) => {
                        self.push_text(&text);
                        self.pos += used;
                    }
                    None => {
                        self.push_text("&");
                        self.pos += 1;
                    }
                },
                _ => {
                    let start = self.pos;
                    let len = self.bytes()[start + 1..]
                        .iter()
                        .position(|&b| is_special(b))
                        .map_or(self.s.len() - start, |p| p + 1);
                    self.pos += len;
                    let text = &self.s[start..self.pos];
                    self.push_text(text);
                }
            }
        }
    }

    fn skip_line_start_spaces(&mut self) {
        while matches!(self.peek(self.pos), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn line_break(&mut self) {
        let mut hard = false;
        if self.last_is_text {
            if let Some(Slot::One(Inline::Text(t))) = self.slots.last_mut() {
                let trimmed = t.trim_end_matches(' ').len();
                hard = t.len() - trimmed >= 2;
                t.truncate(trimmed);
            }
        }
        self.push_node(if hard {
            Inline::HardBreak
        } else {
            Inline::SoftBreak
        });
        self.pos += 1;
        self.skip_line_start_spaces();
    }

    fn backslash(&mut self) {
        match self.peek(self.pos + 1) {
            Some(b'\n') => {
                self.push_node(Inline::HardBreak);
                self.pos += 2;
                self.skip_line_start_spaces();
            }
            Some(c) if c.is_ascii_punctuation() => {
                let text = &self.s[self.pos + 1..self.pos + 2];
                self.push_text(text);
                self.pos += 2;
            }
            _ => {
                self.push_text("\\");
                self.pos += 1;
            }
        }
    }

    fn run_length(&self, at: usize, ch: u8) -> usize {
        self.bytes()[at..].iter().take_while(|&&b| b == ch).count()
    }

    fn code_span(&mut self) {
        let open = self.run_length(self.pos, b'`');
        let start = self.pos + open;
        let mut close = None;
        if !self.unmatched_backticks.contains(&open) {
            let mut at = start;
            while let Some(p) = self.bytes()[at..].iter().position(|&b| b == b'`') {
                let run_start = at + p;
                let run = self.run_length(run_start, b'`');
                if run == open {
                    close = Some(run_start);
                    break;
                }
                at = run_start + run;
            }
        }
        let Some(end) = close else {
            self.unmatched_backticks.push(open);
            let text = &self.s[self.pos..start];
            self.push_text(text);
            self.pos = start;
            return;
        };
        let mut code = self.s[start..end].replace('\n', " ");
        if code.len() >= 2
            && code.starts_with(' ')
            && code.ends_with(' ')
            && !code.bytes().all(|b| b == b' ')
        {
            code = code[1..code.len() - 1].to_string();
        }
        self.push_node(Inline::Code(code));
        self.pos = end + open;
    }

    fn delimiter_run(&mut self, ch: u8) {
        let count = self.run_length(self.pos, ch);
        let before = self.s[..self.pos].chars().next_back().unwrap_or('\n');
        let after = self.s[self.pos + count..].chars().next().unwrap_or('\n');
        let text = &self.s[self.pos..self.pos + count];
        self.pos += count;
        if ch == b'~' && count > 2 {
            self.push_text(text);
            return;
        }
        let left = !after.is_whitespace()
            && (!is_punctuation(after) || before.is_whitespace() || is_punctuation(before));
        let right = !before.is_whitespace()
            && (!is_punctuation(before) || after.is_whitespace() || is_punctuation(after));
        let (can_open, can_close) = if ch == b'_' {
            (
                left && (!right || is_punctuation(before)),
                right && (!left || is_punctuation(after)),
            )
        } else {
            (left, right)
        };
        let slot = self.push_node(Inline::Text(text.to_string()));
        if can_open || can_close {
            let id = self.delims.len();
            if let Some(last) = self.last_delim {
                self.delims[last].next = Some(id);
            }
            self.delims.push(Delim {
                slot,
                ch,
                count,
                original: count,
                can_open,
                can_close,
                prev: self.last_delim,
                next: None,
            });
            self.last_delim = Some(id);
        }
    }

    fn set_delim_text(&mut self, index: usize) {
        let d = &self.delims[index];
        let text = (d.ch as char).to_string().repeat(d.count);
        self.slots[d.slot] = if d.count == 0 {
            Slot::Empty
        } else {
            Slot::One(Inline::Text(text))
        };
    }

    fn unlink(&mut self, id: usize) {
        let (prev, next) = (self.delims[id].prev, self.delims[id].next);
        if let Some(p) = prev {
            self.delims[p].next = next;
        }
        match next {
            Some(n) => self.delims[n].prev = prev,
            None => self.last_delim = prev,
        }
    }

    /// The CommonMark "process emphasis" procedure over the delimiters pushed at or after
    /// index `bottom`; they are all off the stack afterwards.
    fn process_emphasis(&mut self, bottom: usize) {
        // Lowest opener slot worth searching, per (char, closer can open, length % 3).
        let mut openers_bottom = [[[0usize; 3]; 2]; 3];
        let mut current = self.last_delim.filter(|&d| d >= bottom);
        while let Some(prev) = current
            .and_then(|c| self.delims[c].prev)
            .filter(|&p| p >= bottom)
        {
            current = Some(prev);
        }
        while let Some(cur) = current {
            let closer = &self.delims[cur];
            if !closer.can_close {
                current = closer.next;
                continue;
            }
            let key_ch = match closer.ch {
                b'*' => 0,
                b'_' => 1,
                _ => 2,
            };
            let key = (key_ch, closer.can_open as usize, closer.original % 3);
            let floor = openers_bottom[key.0][key.1][key.2];
            let mut found = None;
            let mut candidate = closer.prev.filter(|&p| p >= bottom);
            while let Some(i) = candidate {
                let opener = &self.delims[i];
                if opener.slot < floor {
                    break;
                }
                candidate = opener.prev.filter(|&p| p >= bottom);
                if opener.ch != closer.ch || !opener.can_open || opener.slot + 1 >= closer.slot {
                    continue;
                }
                let odd_match = (opener.can_close || closer.can_open)
                    && (opener.original + closer.original).is_multiple_of(3)
                    && !(opener.original.is_multiple_of(3) && closer.original.is_multiple_of(3));
                let tilde_mismatch = closer.ch == b'~' && opener.count != closer.count;
                if !odd_match && !tilde_mismatch {
                    found = Some(i);
                    break;
                }
            }
            let too_deep = found.is_some_and(|i| {
                self.wrapped_depth(self.delims[i].slot + 1, closer.slot) > MAX_DEPTH
            });
            let Some(open_index) = found.filter(|_| !too_deep) else {
                openers_bottom[key.0][key.1][key.2] = closer.slot;
                current = closer.next;
                if !closer.can_open {
                    self.unlink(cur);
                }
                continue;
            };
            let opener = &self.delims[open_index];
            let used = if closer.ch == b'~' {
                closer.count
            } else if opener.count >= 2 && closer.count >= 2 {
                2
            } else {
                1
            };
            let (open_slot, close_slot, ch) = (opener.slot, closer.slot, closer.ch);
            self.delims[open_index].count -= used;
            self.delims[cur].count -= used;
            let depth = self.wrapped_depth(open_slot + 1, close_slot);
            let mut children = Vec::new();
            take_slots(&mut self.slots[..close_slot], open_slot + 1, &mut children);
            let node = match (ch, used) {
                (b'~', _) => Inline::Strike(children),
                (_, 1) => Inline::Emph(children),
                _ => Inline::Strong(children),
            };
            self.slots[open_slot + 1] = Slot::One(node);
            self.depths[open_slot + 1..close_slot].fill(0);
            self.depths[open_slot + 1] = depth;
            let mut between = self.delims[open_index].next;
            while let Some(id) = between.filter(|&id| id != cur) {
                between = self.delims[id].next;
                self.unlink(id);
            }
            self.set_delim_text(open_index);
            self.set_delim_text(cur);
            if self.delims[open_index].count == 0 {
                self.unlink(open_index);
            }
            if self.delims[cur].count == 0 {
                current = self.delims[cur].next;
                self.unlink(cur);
            }
        }
        while let Some(last) = self.last_delim.filter(|&l| l >= bottom) {
            self.unlink(last);
        }
    }

    fn open_bracket(&mut self, image: bool) {
        let len = if image { 2 } else { 1 };
        let slot = self.push_node(Inline::Text(self.s[self.pos..self.pos + len].to_string()));
        self.pos += len;
        self.brackets.push(Bracket {
            slot,
            image,
            active: true,
            delims_below: self.delims.len(),
            text_start: self.pos,
        });
    }

    fn close_bracket(&mut self) {
        let Some(bracket) = self.brackets.last() else {
            self.push_text("]");
            self.pos += 1;
            return;
        };
        if !bracket.active {
            self.brackets.pop();
            self.push_text("]");
            self.pos += 1;
            return;
        }
        let (slot, image, delims_below) = (bracket.slot, bracket.image, bracket.delims_below);
        let label_text = &self.s[bracket.text_start..self.pos];
        let Some((def, end)) = self.link_target(label_text, self.pos + 1) else {
            self.brackets.pop();
            self.push_text("]");
            self.pos += 1;
            return;
        };
        self.brackets.pop();
        self.process_emphasis(delims_below);
        // Images hold no inline children (their description becomes `alt` text), and links
        // cannot contain links, so a link is at most one level above capped emphasis.
        let depth = if image {
            0
        } else {
            self.wrapped_depth(slot + 1, self.slots.len())
        };
        let mut children = Vec::new();
        take_slots(&mut self.slots, slot + 1, &mut children);
        self.slots.truncate(slot + 1);
        self.depths.truncate(slot + 1);
        self.depths[slot] = depth;
        self.slots[slot] = if image {
            let mut alt = String::new();
            plain_text(&children, &mut alt);
            Slot::One(Inline::Image {
                url: def.url,
                alt,
                title: def.title,
            })
        } else {
            self.brackets
                .iter_mut()
                .filter(|b| !b.image)
                .for_each(|b| b.active = false);
            if is_safe_link_url(&def.url) {
                Slot::One(Inline::Link {
                    url: def.url,
                    title: def.title,
                    children,
                })
            } else {
                Slot::Many(children)
            }
        };
        self.last_is_text = false;
        self.pos = end;
    }

    /// After `]`: an inline destination, a full/collapsed reference or a shortcut reference.
    fn link_target(&self, label_text: &str, after: usize) -> Option<(LinkDef, usize)> {
        let s = self.s;
        if self.peek(after) == Some(b'(') {
            if let Some(found) = inline_destination(s, after + 1) {
                return Some(found);
            }
        }
        if self.peek(after) == Some(b'[') {
            if let Some((label, end)) = scan_label(s, after) {
                let label = if label.is_empty() { label_text } else { label };
                return self.lookup(label).map(|def| (def, end));
            }
        }
        self.lookup(label_text).map(|def| (def, after))
    }

    fn lookup(&self, label: &str) -> Option<LinkDef> {
        if label.len() > 999 || !is_valid_label(label) {
            return None;
        }
        self.refs.get(&normalize_label(label)).cloned()
    }

    fn autolink(&mut self) {
        let rest = &self.s[self.pos + 1..];
        let end = rest
            .find(['<', '>', ' ', '\n'])
            .filter(|&e| rest.as_bytes()[e] == b'>');
        let found = end.and_then(|e| {
            let inner = &rest[..e];
            if is_uri_autolink(inner) {
                Some((inner.to_string(), inner, e))
            } else if is_email_autolink(inner) {
                Some((format!("mailto:{inner}"), inner, e))
            } else {
                None
            }
        });
        match found {
            Some((url, text, e)) => {
                let text = text.to_string();
                if is_safe_link_url(&url) {
                    self.push_node(Inline::Link {
                        url,
                        title: None,
                        children: vec![Inline::Text(text)],
                    });
                } else {
                    self.push_text(&text);
                }
                self.pos += e + 2;
            }
            None => match self.raw_html_len() {
                // Raw HTML binds tighter than emphasis and links; it is kept as text.
                Some(len) => {
                    let raw = &self.s[self.pos..self.pos + len];
                    self.push_text(raw);
                    self.pos += len;
                }
                None => {
                    self.push_text("<");
                    self.pos += 1;
                }
            },
        }
    }

    /// Length of a raw HTML tag, comment, processing instruction, declaration or CDATA
    /// section at `pos` (CommonMark's raw HTML grammar).
    fn raw_html_len(&mut self) -> Option<usize> {
        let rest = &self.s[self.pos..];
        let b = rest.as_bytes();
        let closed_by = |parser: &mut Self, start: usize, end: &str, flag: usize| {
            if parser.html_unclosed[flag] {
                return None;
            }
            let found = rest[start..].find(end).map(|p| start + p + end.len());
            parser.html_unclosed[flag] = found.is_none();
            found
        };
        match *b.get(1)? {
            b'!' if rest.starts_with("<!-->") => Some(5),
            b'!' if rest.starts_with("<!--->") => Some(6),
            b'!' if rest.starts_with("<!--") => closed_by(self, 4, "-->", 0),
            b'!' if rest.starts_with("<![CDATA[") => closed_by(self, 9, "]]>", 1),
            b'!' if b.get(2).is_some_and(u8::is_ascii_alphabetic) => closed_by(self, 2, ">", 2),
            b'?' => closed_by(self, 2, "?>", 3),
            _ => scan_tag(b, &mut self.html_unclosed[4..]),
        }
    }
}

/// Length of an HTML open tag (`<a b="c">`, `<br/>`) or closing tag (`</a>`) at the start of
/// `b`. `unclosed_quotes` remembers that no `"` / `'` follows, keeping repeated scans linear.
pub(crate) fn scan_tag(b: &[u8], unclosed_quotes: &mut [bool]) -> Option<usize> {
    if b.get(1) == Some(&b'/') {
        let name = tag_name_len(&b[2..])?;
        let at = skip_html_space(b, 2 + name);
        return (b.get(at) == Some(&b'>')).then_some(at + 1);
    }
    let mut at = 1 + tag_name_len(&b[1..])?;
    loop {
        let spaced = skip_html_space(b, at);
        match b.get(spaced)? {
            b'>' => return Some(spaced + 1),
            b'/' => return (b.get(spaced + 1) == Some(&b'>')).then_some(spaced + 2),
            _ if spaced == at => return None,
            _ => at = html_attribute(b, spaced, unclosed_quotes)?,
        }
    }
}

/// An attribute (name and optional value) at `at`; returns the position after it.
fn html_attribute(b: &[u8], at: usize, unclosed_quotes: &mut [bool]) -> Option<usize> {
    let first = *b.get(at)?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b':') {
        return None;
    }
    let name_end = at
        + b[at..]
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || b"_.:-".contains(&c))
            .count();
    let eq = skip_html_space(b, name_end);
    if b.get(eq) != Some(&b'=') {
        return Some(name_end);
    }
    let value = skip_html_space(b, eq + 1);
    match *b.get(value)? {
        quote @ (b'"' | b'\'') => {
            let flag = usize::from(quote == b'\'');
            if unclosed_quotes.get(flag).copied().unwrap_or(false) {
                return None;
            }
            let close = b[value + 1..].iter().position(|&c| c == quote);
            if let Some(seen) = unclosed_quotes.get_mut(flag) {
                *seen = close.is_none();
            }
            Some(value + 1 + close? + 1)
        }
        _ => {
            let len = b[value..]
                .iter()
                .take_while(|&&c| !c.is_ascii_whitespace() && !b"\"'=<>`".contains(&c))
                .count();
            (len > 0).then_some(value + len)
        }
    }
}

fn tag_name_len(b: &[u8]) -> Option<usize> {
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    Some(
        b.iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
            .count(),
    )
}

/// Skips spaces, tabs and at most one line ending.
fn skip_html_space(b: &[u8], mut at: usize) -> usize {
    let mut newline = false;
    while let Some(&c) = b.get(at) {
        match c {
            b' ' | b'\t' => at += 1,
            b'\n' if !newline => {
                newline = true;
                at += 1;
            }
            _ => break,
        }
    }
    at
}

fn plain_text(nodes: &[Inline], out: &mut String) {
    for node in nodes {
        match node {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => plain_text(c, out),
            Inline::Link { children, .. } => plain_text(children, out),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::SoftBreak | Inline::HardBreak => out.push(' '),
        }
    }
}

fn is_uri_autolink(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = &s[..colon];
    (2..=32).contains(&scheme.len())
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
        && !s.chars().any(|c| c.is_ascii_control())
}

fn is_email_autolink(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b))
        && domain.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

/// Resolves backslash escapes and character references in `s`.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let b = s.as_bytes();
    while i < s.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => {
                out.push_str(&s[i + 1..i + 2]);
                i += 2;
            }
            b'&' => match entity::parse(&s[i..]) {
                Some((text, used)) => {
                    out.push_str(&text);
                    i += used;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            _ => {
                let next = b[i + 1..]
                    .iter()
                    .position(|&c| c == b'\\' || c == b'&')
                    .map_or(s.len(), |p| i + 1 + p);
                out.push_str(&s[i..next]);
                i = next;
            }
        }
    }
    out
}

/// Skips spaces and tabs and at most one line ending.
fn skip_whitespace(s: &str, mut at: usize) -> usize {
    let b = s.as_bytes();
    let mut newline = false;
    while let Some(&c) = b.get(at) {
        match c {
            b' ' | b'\t' => at += 1,
            b'\n' if !newline => {
                newline = true;
                at += 1;
            }
            _ => break,
        }
    }
    at
}

/// `(dest "title")` starting just after `(`.
fn inline_destination(s: &str, at: usize) -> Option<(LinkDef, usize)> {
    let b = s.as_bytes();
    let at = skip_whitespace(s, at);
    if b.get(at) == Some(&b')') {
        let def = LinkDef {
            url: String::new(),
            title: None,
        };
        return Some((def, at + 1));
    }
    let (url, dest_end) = scan_destination(s, at)?;
    let after_dest = skip_whitespace(s, dest_end);
    let (title, end) = match scan_title(s, after_dest).filter(|_| after_dest > dest_end) {
        Some((title, title_end)) => (Some(title), skip_whitespace(s, title_end)),
        None => (None, after_dest),
    };
    (b.get(end) == Some(&b')')).then_some((LinkDef { url, title }, end + 1))
}

fn scan_destination(s: &str, at: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(at) == Some(&b'<') {
        let mut i = at + 1;
        loop {
            match *b.get(i)? {
                b'>' => return Some((unescape(&s[at + 1..i]), i + 1)),
                b'<' | b'\n' => return None,
                b'\\' if b.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => i += 2,
                _ => i += 1,
            }
        }
    }
    let mut depth = 0usize;
    let mut i = at;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' if b.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => i += 2,
            b'(' => {
                depth += 1;
                if depth > 32 {
                    return None;
                }
                i += 1;
            }
            b')' if depth == 0 => break,
            b')' => {
                depth -= 1;
                i += 1;
            }
            c if c <= b' ' || c == 0x7f => break,
            _ => i += 1,
        }
    }
    (i > at && depth == 0).then(|| (unescape(&s[at..i]), i))
}

fn scan_title(s: &str, at: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let close = match *b.get(at)? {
        b'"' => b'"',
        b'\'' => b'\'',
        b'(' => b')',
        _ => return None,
    };
    let mut i = at + 1;
    loop {
        match *b.get(i)? {
            c if c == close => return Some((unescape(&s[at + 1..i]), i + 1)),
            b'(' if close == b')' => return None,
            b'\\' if b.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => i += 2,
            b'\n' => {
                let next = skip_spaces(s, i + 1);
                if b.get(next) == Some(&b'\n') {
                    return None;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

fn skip_spaces(s: &str, mut at: usize) -> usize {
    while matches!(s.as_bytes().get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// `[label]` at `at`: the raw label text and the position after `]`.
fn scan_label(s: &str, at: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if b.get(at) != Some(&b'[') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match *b.get(i)? {
            b']' => break,
            b'[' => return None,
            b'\\' if b.get(i + 1).is_some_and(|c| c.is_ascii_punctuation()) => i += 2,
            _ => i += 1,
        }
        if i - at > 1000 {
            return None;
        }
    }
    Some((&s[at + 1..i], i + 1))
}

fn is_valid_label(label: &str) -> bool {
    let b = label.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' | b']' => return false,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    !label.trim().is_empty()
}

/// Link label matching: case-folded, inner whitespace collapsed, trimmed.
pub(crate) fn normalize_label(label: &str) -> String {
    let mut folded = String::with_capacity(label.len());
    for word in label.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        word.chars().for_each(|c| fold_case(c, &mut folded));
    }
    folded
}

/// Case folding for link labels: exact for ASCII, Latin-1, Latin Extended-A and Additional,
/// Greek and Cyrillic; identity elsewhere (std's full tables cost ~15 KB of gzipped wasm).
/// Both sides of a label match are folded alike, so an unfolded script only loses case
/// insensitivity.
fn fold_case(c: char, out: &mut String) {
    let u = c as u32;
    let even = u.is_multiple_of(2);
    let folded = match u {
        0xDF | 0x1E9E => {
            out.push_str("ss");
            return;
        }
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE => u + 0x20,
        0x391..=0x3A1 | 0x3A3..=0x3AB | 0x410..=0x42F => u + 0x20,
        0x100..=0x137 | 0x14A..=0x177 | 0x460..=0x481 | 0x48A..=0x4BF if even => u + 1,
        0x1E00..=0x1E95 | 0x1EA0..=0x1EFF if even => u + 1,
        0x139..=0x148 | 0x179..=0x17E if !even => u + 1,
        0x178 => 0xFF,
        0xB5 => 0x3BC,
        0x3C2 => 0x3C3,
        0x386 => 0x3AC,
        0x388..=0x38A => u + 37,
        0x38C => 0x3CC,
        0x38E..=0x38F => u + 63,
        0x400..=0x40F => u + 0x50,
        _ => u,
    };
    out.push(char::from_u32(folded).unwrap_or(c));
}

/// A link reference definition at the start of `s`: normalized label, definition and the
/// number of bytes it used (through its line ending).
pub(crate) fn parse_ref_def(s: &str) -> Option<(String, LinkDef, usize)> {
    let b = s.as_bytes();
    let (label, after_label) = scan_label(s, 0)?;
    if b.get(after_label) != Some(&b':') || !is_valid_label(label) || label.len() > 999 {
        return None;
    }
    let dest_start = skip_whitespace(s, after_label + 1);
    let (url, dest_end) = scan_destination(s, dest_start)?;
    let line_end = |at: usize| {
        let at = skip_spaces(s, at);
        match b.get(at) {
            None => Some(at),
            Some(b'\n') => Some(at + 1),
            _ => None,
        }
    };
    let title_start = skip_whitespace(s, dest_end);
    let with_title = scan_title(s, title_start)
        .filter(|_| title_start > dest_end)
        .and_then(|(title, end)| Some((Some(title), line_end(end)?)));
    let (title, used) = match with_title {
        Some(found) => found,
        None => (None, line_end(dest_end)?),
    };
    Some((normalize_label(label), LinkDef { url, title }, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_across_case_in_latin_greek_and_cyrillic() {
        assert_eq!(
            normalize_label("  Foo \n  BAR "),
            normalize_label("foo bar")
        );
        assert_eq!(normalize_label("ẞ"), normalize_label("SS"));
        assert_eq!(normalize_label("ΑΓΩ"), normalize_label("αγω"));
        assert_eq!(normalize_label("ПРИВЕТ Ёж"), normalize_label("привет ёж"));
        assert_eq!(normalize_label("ÉLAN Łódź"), normalize_label("élan łÓDŹ"));
    }

    #[test]
    fn symbols_and_emoji_are_punctuation_but_letters_are_not() {
        for c in ['£', '€', '—', '“', '→', '🚀', '。'] {
            assert!(is_punctuation(c), "{c}");
        }
        for c in ['a', 'é', 'ж', '中', '1'] {
            assert!(!is_punctuation(c), "{c}");
        }
    }
}
