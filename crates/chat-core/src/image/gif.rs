//! GIF: dimensions from the logical screen descriptor and metadata removal (comments and
//! application extensions other than looping and colour profiles).

use super::le16;

pub(super) fn dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
    le16(b, 6)
        .zip(le16(b, 8))
        .map(|(w, h)| (u32::from(w), u32::from(h)))
        .ok_or("the header is cut off")
}

/// Application extensions kept in GIFs: looping and colour profiles.
const KEPT_APPLICATIONS: [&[u8; 11]; 3] = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

/// The offset after a chain of GIF data sub-blocks starting at `i`.
fn sub_blocks_end(b: &[u8], mut i: usize) -> Result<usize, &'static str> {
    loop {
        let n = *b.get(i).ok_or("the file ends inside a block")?;
        i += 1 + usize::from(n);
        if n == 0 {
            return Ok(i);
        }
        if i > b.len() {
            return Err("the file ends inside a block");
        }
    }
}

fn color_table_len(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 0x07) + 1)
    } else {
        0
    }
}

pub(super) fn strip(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let flags = *b.get(10).ok_or("the header is cut off")?;
    let mut i = 13 + color_table_len(flags);
    if i > b.len() {
        return Err("the colour table is cut off");
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..i]);
    loop {
        match b.get(i) {
            Some(0x3B) => {
                out.push(0x3B);
                return Ok(out);
            }
            Some(0x21) => {
                let label = *b.get(i + 1).ok_or("the file ends inside a block")?;
                let end = sub_blocks_end(b, i + 2)?;
                let keep = match label {
                    0xFE => false,
                    0xFF => {
                        let id = b.get(i + 3..i + 14).filter(|_| b[i + 2] == 11);
                        id.is_some_and(|id| KEPT_APPLICATIONS.iter().any(|k| k[..] == *id))
                    }
                    _ => true,
                };
                if keep {
                    out.extend_from_slice(&b[i..end]);
                }
                i = end;
            }
            Some(0x2C) => {
                let flags = *b.get(i + 9).ok_or("an image descriptor is cut off")?;
                // Descriptor, local colour table, LZW minimum code size, then the data.
                let data = i + 10 + color_table_len(flags) + 1;
                let end = sub_blocks_end(b, data)?;
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            Some(_) => return Err("an unknown block type"),
            None => return Err("the file ends before its trailer"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{dimensions, strip_metadata};
    use super::*;

    #[test]
    fn gif_loses_comments_but_keeps_looping() {
        assert!(contains(META_GIF, b"secret comment"));
        let stripped = strip_metadata(META_GIF).unwrap();
        assert_no_secrets(&stripped);
        assert_eq!(
            stripped.len(),
            META_GIF.len() - (3 + b"secret comment".len() + 1)
        );

        assert!(contains(ANIM_GIF, b"NETSCAPE2.0"));
        let anim = strip_metadata(ANIM_GIF).unwrap();
        assert_no_secrets(&anim);
        assert!(contains(&anim, b"NETSCAPE2.0"));
        assert_eq!(dimensions(&anim), Ok((12, 8)));
    }

    #[test]
    fn gif_application_extensions_other_than_looping_and_icc_are_dropped() {
        let header_len = 13 + color_table_len(PLAIN_GIF[10]);
        let mut xmp = b"\x21\xFF\x0BXMP DataXMP".to_vec();
        xmp.extend_from_slice(b"\x06secret\x00");
        let mut icc = b"\x21\xFF\x0BICCRGBG1012".to_vec();
        icc.extend_from_slice(b"\x03abc\x00");
        let mut extra = xmp;
        extra.extend_from_slice(&icc);
        let input = spliced(PLAIN_GIF, header_len, &extra);
        let stripped = strip_metadata(&input).unwrap();
        assert_eq!(stripped, spliced(PLAIN_GIF, header_len, &icc));
    }

    #[test]
    fn gif_unknown_blocks_and_missing_trailers_are_corrupt() {
        let header_len = 13 + color_table_len(PLAIN_GIF[10]);
        let bad = spliced(PLAIN_GIF, header_len, b"\x99");
        assert!(strip_metadata(&bad).is_err());
        assert!(strip_metadata(&PLAIN_GIF[..PLAIN_GIF.len() - 1]).is_err());
    }
}
