//! PNG: dimensions from the IHDR chunk and metadata removal (text, EXIF, time and private
//! chunks; colour, transparency and animation chunks are kept).

use super::{be32, bytes_at};

pub(super) const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

pub(super) fn dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err("the IHDR header is missing");
    }
    be32(b, 16)
        .zip(be32(b, 20))
        .ok_or("the IHDR header is cut off")
}

/// Ancillary PNG chunks kept: transparency, colour, physical size and animation.
const KEPT_ANCILLARY: [&[u8; 4]; 17] = [
    b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"mDCv", b"cLLI",
    b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL",
];

fn keep_chunk(kind: &[u8; 4]) -> bool {
    let critical = kind[0].is_ascii_uppercase();
    critical || kind == b"fdAT" || KEPT_ANCILLARY.contains(&kind)
}

pub(super) fn strip(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(SIGNATURE);
    let mut i = SIGNATURE.len();
    loop {
        let len = be32(b, i).ok_or("the file ends before its IEND chunk")?;
        if len > 0x7FFF_FFFF {
            return Err("a chunk length is invalid");
        }
        let kind: [u8; 4] = i
            .checked_add(4)
            .and_then(|at| bytes_at(b, at))
            .ok_or("the file ends before its IEND chunk")?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err("a chunk type is invalid");
        }
        if i == SIGNATURE.len() && &kind != b"IHDR" {
            return Err("the IHDR header is missing");
        }
        let end = chunk_end(i, len)
            .filter(|&end| end <= b.len())
            .ok_or("a chunk runs past the end of the file")?;
        if keep_chunk(&kind) {
            out.extend_from_slice(&b[i..end]);
        }
        if &kind == b"IEND" {
            return Ok(out);
        }
        i = end;
    }
}

/// The offset after a chunk at `at` with `len` data bytes (header and CRC around them), or
/// `None` when that is past what `usize` holds.
fn chunk_end(at: usize, len: u32) -> Option<usize> {
    at.checked_add(12)?.checked_add(usize::try_from(len).ok()?)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{dimensions, strip_metadata};
    use super::*;

    fn png_chunks(b: &[u8]) -> Vec<[u8; 4]> {
        let mut kinds = Vec::new();
        let mut i = 8;
        while let (Some(len), Some(kind)) = (be32(b, i), b.get(i + 4..i + 8)) {
            kinds.push(kind.try_into().unwrap());
            i += 12 + len as usize;
        }
        kinds
    }

    #[test]
    fn png_loses_text_exif_and_time_chunks_but_keeps_colour_chunks() {
        let time = png_chunk(b"tIME", &[0x07, 0xE9, 1, 2, 3, 4, 5]);
        let private = png_chunk(b"prVt", b"secret");
        let ihdr_end = 8 + 12 + 13;
        let mut extra = time;
        extra.extend(private);
        let input = spliced(META_PNG, ihdr_end, &extra);
        let before = png_chunks(&input);
        for kind in [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"prVt"] {
            assert!(before.contains(kind), "{}", String::from_utf8_lossy(kind));
        }
        let stripped = strip_metadata(&input).unwrap();
        assert_no_secrets(&stripped);
        let after = png_chunks(&stripped);
        let expected: Vec<_> = before
            .iter()
            .filter(|k| {
                !matches!(
                    *k,
                    b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf" | b"tIME" | b"prVt"
                )
            })
            .copied()
            .collect();
        assert_eq!(after, expected);
        for kind in [b"IHDR", b"iCCP", b"pHYs", b"IDAT", b"IEND"] {
            assert!(after.contains(kind));
        }
        assert_eq!(dimensions(&stripped), Ok((12, 8)));
    }

    #[test]
    fn png_chunk_lengths_are_validated() {
        let mut bad_length = PLAIN_PNG.to_vec();
        bad_length[8..12].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        assert!(strip_metadata(&bad_length).is_err());
        let mut overlong = PLAIN_PNG.to_vec();
        overlong[8 + 12 + 13..8 + 12 + 13 + 4].copy_from_slice(&1000u32.to_be_bytes());
        assert!(strip_metadata(&overlong).is_err());
        let mut not_ihdr = PLAIN_PNG.to_vec();
        not_ihdr[12..16].copy_from_slice(b"tEXt");
        assert!(strip_metadata(&not_ihdr).is_err());
        let missing_iend = &PLAIN_PNG[..PLAIN_PNG.len() - 12];
        assert_eq!(
            strip_metadata(missing_iend).unwrap_err().to_string(),
            "This PNG image is damaged or incomplete (the file ends before its IEND chunk)."
        );
    }
}
