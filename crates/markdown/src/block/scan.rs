//! Block-start scanners: each looks at the rest of a line after its indentation and says
//! whether (and how) a block starts or ends there — headings, fences, thematic breaks, setext
//! underlines, list markers and the seven HTML block conditions.

use crate::inline;

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
pub(super) fn html_block_start(rest: &str, allow_any_tag: bool) -> Option<u8> {
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
pub(super) fn html_block_ends(line: &str, end: u8) -> bool {
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

/// An ATX heading (`#` to `######`): its level and its text without the closing `#`s.
pub(super) fn atx_heading(rest: &str) -> Option<(u8, &str)> {
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

/// A code fence opening: its character, its length and the info string (unescaped).
pub(super) fn fence_open(rest: &str) -> Option<(u8, usize, Option<String>)> {
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

/// True if `rest` closes a fence of `ch` opened with `min_len` characters.
pub(super) fn is_closing_fence(rest: &str, ch: u8, min_len: usize) -> bool {
    let len = rest.bytes().take_while(|&b| b == ch).count();
    len >= min_len && only_spaces(&rest[len..])
}

/// A setext underline (`===` or `---`): the heading level it gives the paragraph above.
pub(super) fn setext_underline(rest: &str) -> Option<u8> {
    let ch = *rest.as_bytes().first()?;
    let level = match ch {
        b'=' => 1,
        b'-' => 2,
        _ => return None,
    };
    let len = rest.bytes().take_while(|&b| b == ch).count();
    only_spaces(&rest[len..]).then_some(level)
}

/// True for three or more `*`, `-` or `_` (the same one), spaces and tabs between.
pub(super) fn is_thematic_break(rest: &str) -> bool {
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

/// A list item's marker: `-`, `+`, `*`, or digits then `.` or `)`.
pub(super) struct ListMarker {
    pub(super) ordered: bool,
    pub(super) ch: u8,
    pub(super) start: u32,
    /// Its length in bytes.
    pub(super) width: usize,
}

/// A list item's marker at the start of `rest`; one that would interrupt a paragraph must
/// have content and, if ordered, start at 1.
pub(super) fn list_marker(rest: &str, interrupts_paragraph: bool) -> Option<ListMarker> {
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
