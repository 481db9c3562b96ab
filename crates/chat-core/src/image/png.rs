//! PNG: dimensions from the IHDR chunk, metadata removal (text, EXIF, time and private
//! chunks; colour, transparency and animation chunks are kept), and whether the image can
//! have transparent pixels.

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

/// Whether a PNG can have transparent pixels: colour type 4 or 6 (grey or RGB with alpha)
/// in its IHDR, or a `tRNS` chunk before the image data. Damaged files are read as far as
/// their chunk headers go.
pub fn has_alpha(b: &[u8]) -> bool {
    if matches!(b.get(25), Some(4 | 6)) {
        return true;
    }
    let mut at = SIGNATURE.len();
    while let Some((len, kind)) = chunk_header(b, at) {
        match &kind {
            b"tRNS" => return true,
            b"IDAT" | b"IEND" => return false,
            _ => {}
        }
        let Some(next) = chunk_end(at, len) else {
            return false;
        };
        at = next;
    }
    false
}

/// The length and type of the chunk at `at`, when its 8-byte header is all there.
fn chunk_header(b: &[u8], at: usize) -> Option<(u32, [u8; 4])> {
    Some((be32(b, at)?, bytes_at(b, at.checked_add(4)?)?))
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

    /// A 1×1 PNG of colour type `colour` with `extra` chunks between IHDR and IDAT.
    fn png(colour: u8, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut ihdr = 1u32.to_be_bytes().to_vec();
        ihdr.extend(1u32.to_be_bytes());
        ihdr.extend([8, colour, 0, 0, 0]);
        let mut b = SIGNATURE.to_vec();
        b.extend(png_chunk(b"IHDR", &ihdr));
        for chunk in extra {
            b.extend_from_slice(chunk);
        }
        b.extend(png_chunk(b"IDAT", &[0x78, 0x01]));
        b.extend(png_chunk(b"IEND", &[]));
        b
    }

    #[test]
    fn alpha_comes_from_the_colour_type_or_a_trns_chunk_before_the_image_data() {
        assert!(has_alpha(&png(6, &[])));
        assert!(has_alpha(&png(4, &[])));
        for colour in [0, 2, 3] {
            assert!(!has_alpha(&png(colour, &[])), "colour type {colour}");
        }
        let palette = png_chunk(b"PLTE", &[0, 0, 0]);
        let trns = png_chunk(b"tRNS", &[0]);
        assert!(has_alpha(&png(3, &[palette.clone(), trns.clone()])));
        assert!(has_alpha(&png(
            2,
            &[png_chunk(b"tEXt", b"a\0b"), trns.clone()]
        )));
        let mut late = png(2, &[]);
        let iend = late.len() - 12;
        late.splice(iend..iend, trns);
        assert!(!has_alpha(&late), "a tRNS after IDAT is not read");
        assert!(!has_alpha(PLAIN_PNG));
        assert!(!has_alpha(b""));
    }

    #[test]
    fn a_png_cut_at_every_byte_has_alpha_once_the_trns_header_is_there() {
        let text = png_chunk(b"tEXt", b"Comment\0secret");
        let trns = png_chunk(b"tRNS", &[0, 0, 0, 0, 0, 0]);
        let full = png(2, &[text.clone(), trns]);
        let trns_at = 8 + 12 + 13 + text.len();
        assert_eq!(&full[trns_at + 4..trns_at + 8], b"tRNS");
        for len in 0..=full.len() {
            assert_eq!(has_alpha(&full[..len]), len >= trns_at + 8, "cut at {len}");
        }
        let rgba = png(6, &[]);
        for len in 0..=rgba.len() {
            assert_eq!(has_alpha(&rgba[..len]), len >= 26, "cut at {len}");
        }
    }

    #[test]
    fn chunk_lengths_that_overflow_end_the_walk_without_a_panic() {
        for len in [
            0x7FFF_FFFF,
            0x8000_0000,
            u32::MAX - 11,
            u32::MAX - 1,
            u32::MAX,
        ] {
            let mut huge = png_chunk(b"tEXt", b"x");
            huge[..4].copy_from_slice(&u32::to_be_bytes(len));
            let b = png(2, &[huge, png_chunk(b"tRNS", &[0])]);
            assert!(!has_alpha(&b), "length {len}");
            assert!(strip_metadata(&b).is_err(), "length {len}");
        }
        // Offsets near the end of the address space.
        assert_eq!(chunk_end(usize::MAX - 12, 0), Some(usize::MAX));
        assert_eq!(chunk_end(usize::MAX - 11, 0), None);
        assert_eq!(chunk_end(usize::MAX - 12, 1), None);
        assert_eq!(
            chunk_end(8, u32::MAX),
            usize::try_from(u64::from(u32::MAX) + 20).ok()
        );
        let b = png(2, &[]);
        for at in [
            b.len() - 7,
            b.len(),
            usize::MAX - 7,
            usize::MAX - 3,
            usize::MAX,
        ] {
            assert_eq!(chunk_header(&b, at), None, "at {at}");
        }
        assert_eq!(chunk_header(&b, 8), Some((13, *b"IHDR")));
    }
}
