//! JSON string literals: a chunk that repeats a remembered one but for one string literal.

use std::borrow::Cow;

/// The text of the string literal in `data` at the place of the literal `literal` (quotes
/// included) of `template`, if `data` has the same bytes as `template` before and after it.
pub fn reread<'a>(template: &str, literal: (usize, usize), data: &'a str) -> Option<Cow<'a, str>> {
    let (start, end) = literal;
    let (prefix, suffix) = (template.get(..start)?, template.get(end..)?);
    let cut = data.len().checked_sub(suffix.len())?;
    let same = cut > start
        && data.as_bytes().get(start) == Some(&b'"')
        && same(&data.as_bytes()[..start], prefix.as_bytes())
        && same(&data.as_bytes()[cut..], suffix.as_bytes());
    if !same {
        return None;
    }
    let (text, after) = string(data, start + 1)?;
    (after == cut).then_some(text)
}

/// `a == b`, eight bytes at a time (a byte loop in wasm otherwise).
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tails = wa.remainder() == wb.remainder();
    tails
        && wa.zip(wb).all(|(x, y)| {
            u64::from_le_bytes(x.try_into().unwrap_or_default())
                == u64::from_le_bytes(y.try_into().unwrap_or_default())
        })
}

/// The string literal whose opening quote is just before `pos`, unescaped (borrowed when it
/// has no escapes), and the position after its closing quote. `None` for what serde
/// rejects: a control character, a bad escape, a lone surrogate, no closing quote.
fn string(src: &str, mut pos: usize) -> Option<(Cow<'_, str>, usize)> {
    let bytes = src.as_bytes();
    let mut from = pos;
    let mut owned: Option<String> = None;
    loop {
        pos = special(bytes, pos)?;
        let run = src.get(from..pos)?;
        let end = *bytes.get(pos)?;
        if end != b'\\' {
            // A quote ends the string; a control character is an error.
            (end == b'"').then_some(())?;
            let text = match owned {
                None => Cow::Borrowed(run),
                Some(mut text) => {
                    text.push_str(run);
                    Cow::Owned(text)
                }
            };
            return Some((text, pos + 1));
        }
        let text = owned.get_or_insert_with(String::new);
        text.push_str(run);
        let (c, next) = escape(bytes, pos + 1)?;
        text.push(c);
        pos = next;
        from = pos;
    }
}

/// The character of the escape whose backslash is just before `pos`, and the position
/// after it; a surrogate pair is one character.
fn escape(bytes: &[u8], pos: usize) -> Option<(char, usize)> {
    let c = match *bytes.get(pos)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let high = hex4(bytes, pos + 1)?;
            if !(0xD800..0xDC00).contains(&high) {
                return Some((char::from_u32(high)?, pos + 5));
            }
            if bytes.get(pos + 5..pos + 7)? != b"\\u" {
                return None;
            }
            let low = hex4(bytes, pos + 7)?
                .checked_sub(0xDC00)
                .filter(|l| *l < 0x400)?;
            let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + low)?;
            return Some((c, pos + 11));
        }
        _ => return None,
    };
    Some((c, pos + 1))
}

/// Four hex digits at `pos`.
fn hex4(bytes: &[u8], pos: usize) -> Option<u32> {
    bytes
        .get(pos..pos + 4)?
        .iter()
        .try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

/// Index of the first `"`, `\` or control character at or after `from`.
fn special(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_compares_every_byte_of_any_length() {
        for len in 0..30 {
            let a: Vec<u8> = (0..len as u8).collect();
            assert!(same(&a, &a.clone()), "len {len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x80;
                assert!(!same(&a, &b), "len {len}, byte {at}");
            }
            assert!(!same(&a, &a[..len.saturating_sub(1)]) || len == 0);
        }
    }

    #[test]
    fn special_byte_search_finds_the_first_quote_backslash_or_control() {
        for len in 0..20 {
            for at in 0..len {
                for b in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    if at + 1 < len {
                        v[at + 1] = b'"';
                    }
                    assert_eq!(special(&v, 0), Some(at), "len {len} at {at}");
                    assert_eq!(special(&v, at), Some(at));
                }
            }
            let plain: Vec<u8> = (0..len).map(|i| [0x20, 0x7F, 0x80, 0xFF][i % 4]).collect();
            assert_eq!(special(&plain, 0), None);
        }
    }
}
