//! JPEG: the segment walk, dimensions from the frame header and metadata removal (APPn and
//! COM segments, except JFIF, ICC profiles and Adobe).

use super::be16;

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
}
