//! JPEG: the segment walk, dimensions from the frame header, metadata removal (APPn and COM
//! segments, except JFIF, ICC profiles and Adobe), and the EXIF orientation a photo is
//! stored with.

use super::{be16, be32, le16, le32};

/// A JPEG frame header marker (SOF0..SOF15 without DHT, JPG and DAC).
fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

pub(super) fn dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
    let mut i = 2;
    loop {
        let (marker, body) = read_marker(b, i)?;
        match marker {
            0xD0..=0xD7 | 0x01 => i = body,
            0xD8..=0xDA => return Err("no frame header before the image data"),
            _ => {
                let end = segment_end(b, body)?;
                if is_sof(marker) {
                    let h = be16(b, body + 3).filter(|_| end >= body + 7);
                    let w = be16(b, body + 5).filter(|_| end >= body + 7);
                    return match (w, h) {
                        (Some(w), Some(h)) => Ok((u32::from(w), u32::from(h))),
                        _ => Err("the frame header is too short"),
                    };
                }
                i = end;
            }
        }
    }
}

/// Reads the marker at `i` (skipping fill bytes): its code and the offset just after it.
fn read_marker(b: &[u8], mut i: usize) -> Result<(u8, usize), &'static str> {
    if b.get(i) != Some(&0xFF) {
        return Err(if i >= b.len() {
            "the file ends too early"
        } else {
            "a segment marker is missing"
        });
    }
    while b.get(i) == Some(&0xFF) {
        i += 1;
    }
    let marker = *b.get(i).ok_or("the file ends too early")?;
    if marker == 0x00 {
        return Err("a segment marker is missing");
    }
    Ok((marker, i + 1))
}

/// The end offset of a segment whose length field starts at `body`.
fn segment_end(b: &[u8], body: usize) -> Result<usize, &'static str> {
    let len = be16(b, body).ok_or("the file ends too early")?;
    if len < 2 {
        return Err("a segment length is invalid");
    }
    let end = body + usize::from(len);
    if end > b.len() {
        return Err("a segment runs past the end of the file");
    }
    Ok(end)
}

/// Whether a JPEG segment is kept: all but APPn (except JFIF, ICC profiles, Adobe) and COM.
fn keep_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

pub(super) fn strip(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut i = 2;
    let mut in_scan = false;
    loop {
        if in_scan && i >= b.len() {
            // No end-of-image marker: the scan data is complete as far as it goes.
            return Ok(out);
        }
        let start = i;
        let (marker, body) = match read_marker(b, i) {
            Ok(found) => found,
            Err(_) if in_scan && b[i..].iter().all(|&x| x == 0xFF) => return Ok(out),
            Err(problem) => return Err(problem),
        };
        match marker {
            0xD9 => {
                out.extend_from_slice(&b[start..body]);
                return Ok(out);
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&b[start..body]);
                i = body;
            }
            0xD8 => return Err("a second start-of-image marker"),
            _ => {
                let end = segment_end(b, body)?;
                if keep_segment(marker, &b[body + 2..end]) {
                    out.extend_from_slice(&b[start..end]);
                }
                i = end;
                if marker == 0xDA {
                    in_scan = true;
                    let data_end = entropy_data_end(b, i);
                    out.extend_from_slice(&b[i..data_end]);
                    i = data_end;
                }
            }
        }
    }
}

/// The offset of the first marker after entropy-coded data starting at `i` (stuffed zero
/// bytes and restart markers belong to the data), or the end of the input.
fn entropy_data_end(b: &[u8], mut i: usize) -> usize {
    while let Some(offset) = b[i..].iter().position(|&x| x == 0xFF) {
        i += offset;
        let fill = b[i..].iter().take_while(|&&x| x == 0xFF).count();
        match b.get(i + fill) {
            Some(0x00 | 0xD0..=0xD7) => i += fill + 1,
            Some(_) => return i,
            None => return b.len(),
        }
    }
    b.len()
}

/// The EXIF orientation (1–8) of a JPEG: how its stored picture must be turned to be
/// upright. 1 (as stored) when there is none, or when the EXIF data is damaged.
pub fn orientation(b: &[u8]) -> u16 {
    exif_tiff(b)
        .and_then(exif_orientation)
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1)
}

/// The TIFF data (header onwards) of the first APP1 "Exif" segment before the scan.
fn exif_tiff(b: &[u8]) -> Option<&[u8]> {
    let mut i = 2;
    loop {
        let (marker, body) = read_marker(b, i).ok()?;
        match marker {
            0xD0..=0xD7 | 0x01 => i = body,
            0xD8..=0xDA => return None,
            _ => {
                let end = segment_end(b, body).ok()?;
                let payload = b.get(body.checked_add(2)?..end)?;
                if let (0xE1, Some(tiff)) = (marker, payload.strip_prefix(b"Exif\0\0")) {
                    return Some(tiff);
                }
                i = end;
            }
        }
    }
}

const ORIENTATION_TAG: u16 = 0x0112;

/// The value of the orientation tag in the first IFD of `tiff`; offsets are relative to
/// the TIFF header and checked, so any offset (past the end, `u32::MAX`) gives `None`.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at| {
        if little {
            le16(tiff, at)
        } else {
            be16(tiff, at)
        }
    };
    let u32_at = |at| {
        if little {
            le32(tiff, at)
        } else {
            be32(tiff, at)
        }
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = u16_at(ifd)?;
    let entries = ifd.checked_add(2)?;
    for i in 0..usize::from(count) {
        let entry = entries.checked_add(i.checked_mul(12)?)?;
        // An entry is the tag, its type and count, then the value (a SHORT: its first 2 bytes).
        if u16_at(entry)? == ORIENTATION_TAG {
            return u16_at(entry.checked_add(8)?);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{dimensions, find, strip_metadata, ImageError, ImageType};
    use super::*;

    /// JPEG segments up to the first scan: (marker, payload).
    fn jpeg_segments(b: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut segments = Vec::new();
        let mut i = 2;
        while let Ok((marker, body)) = read_marker(b, i) {
            let Ok(end) = segment_end(b, body) else {
                break;
            };
            segments.push((marker, b[body + 2..end].to_vec()));
            if marker == 0xDA {
                break;
            }
            i = end;
        }
        segments
    }

    /// The offset of the first scan header (SOS marker) in a JPEG.
    fn sos_offset(b: &[u8]) -> usize {
        find(b, &[0xFF, 0xDA]).unwrap()
    }

    #[test]
    fn jpeg_dimensions_skip_segments_and_fill_bytes_before_the_frame_header() {
        let sof = PLAIN_JPG
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .unwrap();
        let padded = spliced(PLAIN_JPG, sof, &[0xFF, 0xFF, 0xFF]);
        assert_eq!(dimensions(&padded), Ok((12, 8)));
        let with_app = spliced(PLAIN_JPG, 2, &jpeg_segment(0xE1, &[7; 300]));
        assert_eq!(dimensions(&with_app), Ok((12, 8)));
    }

    #[test]
    fn a_jpeg_scan_without_a_frame_header_is_corrupt() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(jpeg_segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        jpeg.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
        assert!(matches!(
            dimensions(&jpeg),
            Err(ImageError::Corrupt {
                format: ImageType::Jpeg,
                ..
            })
        ));
    }

    #[test]
    fn jpeg_loses_exif_xmp_and_comments_but_keeps_jfif_icc_and_image_data() {
        let before = jpeg_segments(META_JPG);
        assert!(before
            .iter()
            .any(|(m, p)| *m == 0xE1 && p.starts_with(b"Exif\0")));
        assert!(before
            .iter()
            .any(|(m, p)| *m == 0xE1 && p.starts_with(b"http://ns.adobe.com/xap/")));
        assert!(before.iter().any(|(m, _)| *m == 0xFE));

        let stripped = strip_metadata(META_JPG).unwrap();
        assert_no_secrets(&stripped);
        let after = jpeg_segments(&stripped);
        let expected: Vec<_> = before
            .iter()
            .filter(|(m, _)| *m != 0xE1 && *m != 0xFE)
            .cloned()
            .collect();
        assert_eq!(after, expected);
        assert!(after
            .iter()
            .any(|(m, p)| *m == 0xE0 && p.starts_with(b"JFIF\0")));
        assert!(after
            .iter()
            .any(|(m, p)| *m == 0xE2 && p.starts_with(b"ICC_PROFILE\0")));
        // Scan header and entropy-coded data to EOI are untouched.
        assert_eq!(
            &stripped[sos_offset(&stripped)..],
            &META_JPG[sos_offset(META_JPG)..]
        );
        assert_eq!(dimensions(&stripped), Ok((12, 8)));
    }

    #[test]
    fn progressive_jpeg_keeps_every_scan() {
        let stripped = strip_metadata(PROGRESSIVE_JPG).unwrap();
        assert_no_secrets(&stripped);
        let scans = |b: &[u8]| {
            let start = sos_offset(b);
            b[start..].to_vec()
        };
        assert_eq!(scans(&stripped), scans(PROGRESSIVE_JPG));
        let sos_count = |b: &[u8]| b.windows(2).filter(|w| w == &[0xFF, 0xDA]).count();
        assert!(sos_count(PROGRESSIVE_JPG) > 1);
        assert_eq!(sos_count(&stripped), sos_count(PROGRESSIVE_JPG));
    }

    #[test]
    fn jpeg_metadata_between_scans_is_removed_too() {
        let second_scan = PROGRESSIVE_JPG
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w == &[0xFF, 0xDA])
            .nth(1)
            .map(|(i, _)| i)
            .unwrap();
        let comment = jpeg_segment(0xFE, b"secret comment");
        let with_comment = spliced(PROGRESSIVE_JPG, second_scan, &comment);
        let stripped = strip_metadata(&with_comment).unwrap();
        assert_no_secrets(&stripped);
        assert_eq!(stripped, strip_metadata(PROGRESSIVE_JPG).unwrap());
    }

    #[test]
    fn jpeg_app_segments_other_than_jfif_icc_and_adobe_are_dropped() {
        let adobe = jpeg_segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01");
        let iptc = jpeg_segment(0xED, b"Photoshop 3.0\08BIMsecret");
        let jfxx = jpeg_segment(0xE0, b"JFXX\0\x10secret");
        let mpf = jpeg_segment(0xE2, b"MPF\0secret");
        let app15 = jpeg_segment(0xEF, b"secret");
        let mut extra = adobe.clone();
        for segment in [&iptc, &jfxx, &mpf, &app15] {
            extra.extend_from_slice(segment);
        }
        let sof = PLAIN_JPG
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .unwrap();
        let input = spliced(PLAIN_JPG, sof, &extra);
        let stripped = strip_metadata(&input).unwrap();
        assert_no_secrets(&stripped);
        assert_eq!(stripped, spliced(PLAIN_JPG, sof, &adobe));
    }

    #[test]
    fn jpeg_restart_markers_and_stuffed_bytes_stay_in_the_scan() {
        let sos = sos_offset(PLAIN_JPG);
        let header_len = usize::from(be16(PLAIN_JPG, sos + 2).unwrap());
        let data_start = sos + 2 + header_len;
        let tricky = [
            0x11, 0xFF, 0x00, 0x22, 0xFF, 0xD3, 0x33, 0xFF, 0xFF, 0xD5, 0x44,
        ];
        let input = spliced(PLAIN_JPG, data_start, &tricky);
        assert_eq!(strip_metadata(&input).unwrap(), input);
    }

    #[test]
    fn a_jpeg_without_end_of_image_keeps_its_scan_data() {
        let cut = &PLAIN_JPG[..PLAIN_JPG.len() - 2];
        assert_eq!(strip_metadata(cut).unwrap(), cut);
    }

    /// TIFF data in either byte order: the header pointing at the first IFD at `ifd_offset`,
    /// then (at offset 8) an IFD of SHORT `entries` (tag, value).
    fn tiff(little: bool, ifd_offset: u32, entries: &[(u16, u16)]) -> Vec<u8> {
        let short = |v: u16| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let long = |v: u32| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut t = if little {
            b"II".to_vec()
        } else {
            b"MM".to_vec()
        };
        t.extend(short(42));
        t.extend(long(ifd_offset));
        t.extend(short(entries.len() as u16));
        for &(tag, value) in entries {
            t.extend(short(tag));
            t.extend(short(3));
            t.extend(long(1));
            t.extend(short(value));
            t.extend([0, 0]);
        }
        t.extend(long(0));
        t
    }

    fn exif_segment(tiff: &[u8]) -> Vec<u8> {
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(tiff);
        jpeg_segment(0xE1, &payload)
    }

    /// `PLAIN_JPG` with an APP1 "Exif" segment holding `tiff` right after its SOI marker.
    fn with_exif(tiff: &[u8]) -> Vec<u8> {
        spliced(PLAIN_JPG, 2, &exif_segment(tiff))
    }

    #[test]
    fn the_exif_orientation_is_read_from_either_byte_order() {
        let soi = [0xFF, 0xD8, 0xFF, 0xDA, 0, 2];
        let mut big_exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
        big_exif.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8]);
        big_exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        big_exif.extend_from_slice(b"GPS 48.8584 N 2.2945 E");
        let big = spliced(&soi, 2, &jpeg_segment(0xE1, &big_exif));
        assert_eq!(orientation(&big), 8);
        let little = spliced(
            &soi,
            2,
            &jpeg_segment(
                0xE1,
                b"Exif\0\0II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x03\0\0\0",
            ),
        );
        assert_eq!(orientation(&little), 3);
        assert_eq!(orientation(&soi), 1);
        assert_eq!(orientation(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF]), 1);
    }

    #[test]
    fn every_orientation_is_read_and_values_out_of_range_are_upright() {
        for little in [false, true] {
            for value in 1..=8 {
                let jpeg = with_exif(&tiff(little, 8, &[(0x0100, 12), (ORIENTATION_TAG, value)]));
                assert_eq!(orientation(&jpeg), value);
                assert_eq!(dimensions(&jpeg), Ok((12, 8)));
            }
            for value in [0, 9, u16::MAX] {
                assert_eq!(
                    orientation(&with_exif(&tiff(little, 8, &[(ORIENTATION_TAG, value)]))),
                    1
                );
            }
            assert_eq!(orientation(&with_exif(&tiff(little, 8, &[]))), 1);
            assert_eq!(orientation(&with_exif(&tiff(little, 8, &[(0x0100, 6)]))), 1);
        }
        assert_eq!(orientation(PLAIN_JPG), 1);
    }

    #[test]
    fn the_orientation_comes_from_the_first_exif_app1_segment_before_the_scan() {
        let xmp = jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>");
        let first = exif_segment(&tiff(true, 8, &[(ORIENTATION_TAG, 6)]));
        let second = exif_segment(&tiff(true, 8, &[(ORIENTATION_TAG, 3)]));
        let both = [xmp, first, second].concat();
        assert_eq!(orientation(&spliced(PLAIN_JPG, 2, &both)), 6);
        // "Exif" in another APPn segment is not EXIF.
        let mut app13 = b"Exif\0\0".to_vec();
        app13.extend(tiff(false, 8, &[(ORIENTATION_TAG, 6)]));
        assert_eq!(
            orientation(&spliced(PLAIN_JPG, 2, &jpeg_segment(0xED, &app13))),
            1
        );
        // After the scan header nothing is read.
        let sos = sos_offset(PLAIN_JPG);
        let data_start = sos + 2 + usize::from(be16(PLAIN_JPG, sos + 2).unwrap());
        let exif = exif_segment(&tiff(false, 8, &[(ORIENTATION_TAG, 6)]));
        let late = spliced(PLAIN_JPG, data_start, &exif);
        assert_eq!(orientation(&late), 1);
    }

    #[test]
    fn a_jpeg_cut_at_every_byte_is_upright_until_its_exif_segment_is_whole() {
        for little in [false, true] {
            let jpeg = with_exif(&tiff(little, 8, &[(0x0100, 12), (ORIENTATION_TAG, 6)]));
            let segment_end = 2 + 2 + usize::from(be16(&jpeg, 4).unwrap());
            for len in 0..=jpeg.len() {
                let expected = if len >= segment_end { 6 } else { 1 };
                assert_eq!(orientation(&jpeg[..len]), expected, "cut at {len}");
            }
        }
    }

    #[test]
    fn tiff_data_cut_at_every_byte_never_reads_past_its_end() {
        for little in [false, true] {
            let whole = tiff(little, 8, &[(0x0100, 12), (ORIENTATION_TAG, 6)]);
            // The second entry's value ends 2 + 12 + 10 bytes after the IFD start.
            let value_end = 8 + 2 + 12 + 10;
            for len in 0..=whole.len() {
                let expected = (len >= value_end).then_some(6);
                assert_eq!(exif_orientation(&whole[..len]), expected, "cut at {len}");
            }
        }
    }

    #[test]
    fn ifd_offsets_past_the_end_or_near_the_integer_limits_are_refused() {
        // On wasm32 usize::MAX is u32::MAX: these offsets are the overflow cases there.
        let len = tiff(false, 8, &[(ORIENTATION_TAG, 6)]).len() as u32;
        for offset in [
            len - 1,
            len,
            len + 1,
            0x7FFF_FFFF,
            0x8000_0000,
            u32::MAX - 12,
            u32::MAX - 2,
            u32::MAX - 1,
            u32::MAX,
        ] {
            for little in [false, true] {
                let t = tiff(little, offset, &[(ORIENTATION_TAG, 6)]);
                assert_eq!(exif_orientation(&t), None, "offset {offset}");
                assert_eq!(orientation(&with_exif(&t)), 1, "offset {offset}");
            }
        }
        // An entry count far beyond the data: the walk stops at the end.
        let mut many = tiff(false, 8, &[(0x0100, 12)]);
        many[8..10].copy_from_slice(&u16::MAX.to_be_bytes());
        assert_eq!(exif_orientation(&many), None);
        // An IFD starting in the last two bytes: its count is there, its entries are not.
        let mut tail = tiff(false, 0, &[]);
        let at = tail.len() as u32;
        tail.extend_from_slice(&[0, 1]);
        tail[4..8].copy_from_slice(&at.to_be_bytes());
        assert_eq!(exif_orientation(&tail), None);
        // Not a TIFF byte order mark.
        assert_eq!(exif_orientation(b"XX\0\x2a\0\0\0\x08"), None);
    }

    #[test]
    fn exif_segments_with_a_bad_length_are_not_read() {
        let segment = exif_segment(&tiff(false, 8, &[(ORIENTATION_TAG, 6)]));
        let mut overlong = spliced(PLAIN_JPG, 2, &segment);
        overlong[4..6].copy_from_slice(&u16::MAX.to_be_bytes());
        assert_eq!(orientation(&overlong), 1);
        let mut short = spliced(PLAIN_JPG, 2, &segment);
        short[4..6].copy_from_slice(&1u16.to_be_bytes());
        assert_eq!(orientation(&short), 1);
        let mut stub = spliced(PLAIN_JPG, 2, &segment);
        stub[4..6].copy_from_slice(&2u16.to_be_bytes());
        assert_eq!(orientation(&stub), 1);
    }
}
