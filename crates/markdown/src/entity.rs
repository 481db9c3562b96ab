//! Entity and numeric character references (`&amp;`, `&#35;`, `&#x22;`).

use crate::entity_table::PACKED;

/// Looks up a named character reference (without `&` and `;`).
fn named(name: &str) -> Option<&'static str> {
    let table = PACKED.as_bytes();
    let (mut lo, mut hi) = (0usize, table.len());
    // Invariant: `lo` is a record start; records in [lo, hi) are the candidates.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = table[lo..mid]
            .iter()
            .rposition(|&b| b == 0)
            .map_or(lo, |p| lo + p + 1);
        let end = start + table[start..].iter().position(|&b| b == 0)?;
        let record = &PACKED[start..end];
        let (key, value) = record.split_once(';')?;
        match key.as_bytes().cmp(name.as_bytes()) {
            std::cmp::Ordering::Equal => return Some(value),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    None
}

/// Parses a character reference at the start of `s` (which begins with `&`). Returns the
/// decoded text and the number of bytes consumed.
pub(crate) fn parse(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, digits_start) = match b.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let max = if hex { 6 } else { 7 };
        let digits = b[digits_start..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 || digits > max || b.get(digits_start + digits) != Some(&b';') {
            return None;
        }
        let text = &s[digits_start..digits_start + digits];
        let code = u32::from_str_radix(text, if hex { 16 } else { 10 }).ok()?;
        let c = match code {
            0 => '\u{FFFD}',
            _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
        };
        return Some((c.to_string(), digits_start + digits + 1));
    }
    let len = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if len == 0 || b.get(1 + len) != Some(&b';') {
        return None;
    }
    named(&s[1..1 + len]).map(|v| (v.to_string(), len + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_packed_record_is_found_by_the_binary_search() {
        for record in PACKED.split('\0').filter(|r| !r.is_empty()) {
            let (name, value) = record.split_once(';').unwrap_or_default();
            assert_eq!(named(name), Some(value), "{name}");
        }
    }

    #[test]
    fn unknown_names_and_prefixes_are_not_entities() {
        assert_eq!(named("AEli"), None);
        assert_eq!(named("zzzz"), None);
        assert_eq!(named(""), None);
        assert_eq!(parse("&MadeUpEntity;"), None);
    }

    #[test]
    fn common_names_decode_with_or_without_the_full_table() {
        for (name, value) in [
            ("amp", "&"),
            ("nbsp", "\u{a0}"),
            ("mdash", "—"),
            ("euro", "€"),
        ] {
            assert_eq!(named(name), Some(value));
        }
    }

    #[test]
    fn numeric_references_decode_and_invalid_ones_become_replacement_char() {
        assert_eq!(parse("&#35;x"), Some(("#".into(), 5)));
        assert_eq!(parse("&#X22;"), Some(("\"".into(), 6)));
        assert_eq!(parse("&#0;"), Some(("\u{FFFD}".into(), 4)));
        assert_eq!(parse("&#xD800;"), Some(("\u{FFFD}".into(), 8)));
        assert_eq!(parse("&#87654321;"), None);
    }
}
