//! WebP: dimensions from the first chunk (lossy `VP8 `, lossless `VP8L` or extended `VP8X`)
//! and metadata removal (`EXIF` and `XMP ` chunks, their `VP8X` flags, the RIFF size).

use super::{le16, le24, le32};

pub(super) fn dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
    let cut = "the header is cut off";
    let data = 20;
    match b.get(12..16).ok_or(cut)? {
        b"VP8X" => {
            let w = le24(b, data + 4).ok_or(cut)?;
            let h = le24(b, data + 7).ok_or(cut)?;
            Ok((w + 1, h + 1))
        }
        b"VP8L" => {
            if b.get(data) != Some(&0x2F) {
                return Err("the lossless signature is missing");
            }
            let bits = le32(b, data + 1).ok_or(cut)?;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8 " => {
            if b.get(data + 3..data + 6) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err("the key frame start code is missing");
            }
            let w = le16(b, data + 6).ok_or(cut)?;
            let h = le16(b, data + 8).ok_or(cut)?;
            Ok((u32::from(w & 0x3FFF), u32::from(h & 0x3FFF)))
        }
        _ => Err("the first chunk is not VP8, VP8L or VP8X"),
    }
}

const VP8X_FLAG_EXIF: u8 = 0x08;
const VP8X_FLAG_XMP: u8 = 0x04;

pub(super) fn strip(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let riff_end = le32(b, 4)
        .and_then(|size| (size as usize).checked_add(8))
        .filter(|&end| end <= b.len())
        .ok_or("the file is shorter than its RIFF header says")?;
    let mut out = Vec::with_capacity(riff_end);
    out.extend_from_slice(&b[..12]);
    let mut vp8x_flags_at = None;
    let mut has_image = false;
    let mut i = 12;
    while i < riff_end {
        let fourcc = b.get(i..i + 4).filter(|_| i + 8 <= riff_end);
        let fourcc = fourcc.ok_or("a chunk header is cut off")?;
        let size = le32(b, i + 4).ok_or("a chunk header is cut off")? as usize;
        let data_end = (i + 8)
            .checked_add(size)
            .filter(|&end| end <= riff_end)
            .ok_or("a chunk runs past the end of the file")?;
        let next = (data_end + (size & 1)).min(riff_end);
        if fourcc != b"EXIF" && fourcc != b"XMP " {
            has_image |= matches!(fourcc, b"VP8X" | b"VP8L" | b"VP8 ");
            if fourcc == b"VP8X" && size >= 1 {
                vp8x_flags_at = Some(out.len() + 8);
            }
            out.extend_from_slice(&b[i..next]);
        }
        i = next;
    }
    if !has_image {
        return Err("there is no image data");
    }
    if let Some(at) = vp8x_flags_at {
        out[at] &= !(VP8X_FLAG_EXIF | VP8X_FLAG_XMP);
    }
    let riff_size = u32::try_from(out.len() - 8).map_err(|_| "the file is too large")?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{dimensions, find, strip_metadata};
    use super::*;

    fn riff_chunks(b: &[u8]) -> Vec<[u8; 4]> {
        let mut kinds = Vec::new();
        let mut i = 12;
        while let (Some(kind), Some(size)) = (b.get(i..i + 4), le32(b, i + 4)) {
            kinds.push(kind.try_into().unwrap());
            i += 8 + size as usize + (size as usize & 1);
        }
        kinds
    }

    #[test]
    fn webp_loses_exif_and_xmp_chunks_flags_and_gets_a_correct_riff_size() {
        let before = riff_chunks(META_WEBP);
        assert!(before.contains(b"EXIF") && before.contains(b"XMP "));
        assert_eq!(META_WEBP[20] & (VP8X_FLAG_EXIF | VP8X_FLAG_XMP), 0x0C);

        let stripped = strip_metadata(META_WEBP).unwrap();
        assert_no_secrets(&stripped);
        let after = riff_chunks(&stripped);
        let expected: Vec<_> = before
            .iter()
            .filter(|k| !matches!(*k, b"EXIF" | b"XMP "))
            .copied()
            .collect();
        assert_eq!(after, expected);
        assert!(after.contains(b"ICCP"));
        assert_eq!(stripped[20], META_WEBP[20] & !0x0C);
        assert_eq!(le32(&stripped, 4), Some(stripped.len() as u32 - 8));
        let vp8 = |b: &[u8]| {
            let at = find(b, b"VP8 ").unwrap();
            b[at..at + 8 + le32(b, at + 4).unwrap() as usize].to_vec()
        };
        assert_eq!(vp8(&stripped), vp8(META_WEBP));
        assert_eq!(dimensions(&stripped), Ok((12, 8)));
    }

    #[test]
    fn webp_chunks_running_past_the_riff_end_are_corrupt() {
        let mut webp = PLAIN_WEBP.to_vec();
        webp[16..20].copy_from_slice(&1000u32.to_le_bytes());
        assert!(strip_metadata(&webp).is_err());
        let mut short = PLAIN_WEBP.to_vec();
        short[4..8].copy_from_slice(&4u32.to_le_bytes());
        assert!(strip_metadata(&short).is_err());
    }
}
