//! Image bytes: type sniffing and the refusal of formats that are not accepted, and the two
//! operations every format implements in its own module — dimensions and metadata removal
//! (without re-encoding). `jpeg` also reads the EXIF orientation and `png` whether there is
//! an alpha channel. `data_url` builds and parses data URLs; `plan` is the size policy
//! (`ImageOptions` → `Plan`) the app applies before sending an image.

mod data_url;
mod gif;
mod jpeg;
mod plan;
mod png;
mod webp;

#[cfg(test)]
mod fixtures;

use std::fmt;

pub use data_url::{data_url, parse_data_url, DataUrl};
pub use jpeg::orientation as jpeg_orientation;
pub use plan::{
    output_type, plan, ImageOptions, Plan, Refusal, MAX_COUNT_RANGE, MAX_EDGE_RANGE, MAX_PIXELS,
};
pub use png::has_alpha as png_has_alpha;

/// The image formats the chat endpoints accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    Png,
    Jpeg,
    WebP,
    Gif,
}

impl ImageType {
    /// The MIME type used in data URLs.
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::WebP => "image/webp",
            ImageType::Gif => "image/gif",
        }
    }

    /// The type for a MIME type (case-insensitive; `image/jpg` is accepted too).
    pub fn from_mime(mime: &str) -> Option<Self> {
        let mime = mime.trim();
        [
            ("image/png", ImageType::Png),
            ("image/jpeg", ImageType::Jpeg),
            ("image/jpg", ImageType::Jpeg),
            ("image/webp", ImageType::WebP),
            ("image/gif", ImageType::Gif),
        ]
        .into_iter()
        .find(|(name, _)| mime.eq_ignore_ascii_case(name))
        .map(|(_, ty)| ty)
    }
}

impl fmt::Display for ImageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageType::Png => "PNG",
            ImageType::Jpeg => "JPEG",
            ImageType::WebP => "WebP",
            ImageType::Gif => "GIF",
        })
    }
}

/// A recognisable file format that is not an accepted image; its `Display` is the refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum UnsupportedFormat {
    #[error("This file is a PDF, not an image.")]
    Pdf,
    #[error(
        "HEIC/HEIF images are not supported by this browser; save the image as JPEG or PNG and attach it again."
    )]
    Heif,
    #[error(
        "AVIF images are not supported; save the image as JPEG, PNG or WebP and attach it again."
    )]
    Avif,
    #[error(
        "JPEG XL images are not supported; save the image as JPEG or PNG and attach it again."
    )]
    JpegXl,
    #[error("This file is an SVG drawing; only PNG, JPEG, WebP and GIF images can be sent.")]
    Svg,
    #[error("BMP images are not supported; save the image as PNG and attach it again.")]
    Bmp,
    #[error("TIFF (and camera raw) images are not supported; save the image as JPEG or PNG and attach it again.")]
    Tiff,
    #[error("This file is a video, not an image.")]
    Video,
}

/// Why image bytes were rejected. `Display` is a plain sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("{0}")]
    Unsupported(UnsupportedFormat),
    #[error("This file is not a PNG, JPEG, WebP or GIF image.")]
    NotAnImage,
    #[error("This {format} image is damaged or incomplete ({problem}).")]
    Corrupt {
        format: ImageType,
        problem: &'static str,
    },
    #[error("This is not a valid image data URL ({0}).")]
    InvalidDataUrl(&'static str),
    #[error("Invalid image options: {0}")]
    InvalidOptions(String),
}

fn corrupt(format: ImageType, problem: &'static str) -> ImageError {
    ImageError::Corrupt { format, problem }
}

/// The accepted image type of `bytes`, judged by magic bytes only.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    if bytes.starts_with(png::SIGNATURE) {
        Some(ImageType::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageType::Jpeg)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageType::WebP)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageType::Gif)
    } else {
        None
    }
}

/// Names a format that is recognisable but not accepted, for a clear refusal.
pub fn sniff_unsupported(bytes: &[u8]) -> Option<UnsupportedFormat> {
    let head = &bytes[..bytes.len().min(4096)];
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(iso_bmff_format(head));
    }
    if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Some(UnsupportedFormat::JpegXl);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some(UnsupportedFormat::Tiff);
    }
    if head.len() >= 18
        && head.starts_with(b"BM")
        && matches!(le32(head, 14), Some(12 | 40 | 52 | 56 | 64 | 108 | 124))
    {
        return Some(UnsupportedFormat::Bmp);
    }
    if find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Some(UnsupportedFormat::Pdf);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = text.trim_ascii_start();
    if text.starts_with(b"<") && find(text, b"<svg").is_some() {
        return Some(UnsupportedFormat::Svg);
    }
    None
}

/// Classifies an ISO base media file (`ftyp` box) by its brands.
fn iso_bmff_format(head: &[u8]) -> UnsupportedFormat {
    let box_end = be32(head, 0)
        .map_or(16, |n| n as usize)
        .clamp(16, head.len());
    let brands: Vec<&[u8]> = std::iter::once(&head[8..12])
        .chain(head[16.min(box_end)..box_end].chunks_exact(4))
        .collect();
    let has = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));
    if has(&[b"avif", b"avis"]) {
        UnsupportedFormat::Avif
    } else if has(&[
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
    ]) {
        UnsupportedFormat::Heif
    } else {
        UnsupportedFormat::Video
    }
}

/// The accepted image type of `bytes`, or the refusal that says why not.
pub fn classify(bytes: &[u8]) -> Result<ImageType, ImageError> {
    sniff(bytes).ok_or_else(|| {
        sniff_unsupported(bytes).map_or(ImageError::NotAnImage, ImageError::Unsupported)
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `N` bytes at `at`, or `None` when they are not all there (never panics or overflows).
fn bytes_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_be_bytes)
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_le_bytes)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_be_bytes)
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_le_bytes)
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    bytes_at::<3>(b, at).map(|[x, y, z]| u32::from_le_bytes([x, y, z, 0]))
}

/// Width and height in pixels, read from the headers of a PNG, JPEG, WebP or GIF file.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let ty = classify(bytes)?;
    let dims = match ty {
        ImageType::Png => png::dimensions(bytes),
        ImageType::Jpeg => jpeg::dimensions(bytes),
        ImageType::WebP => webp::dimensions(bytes),
        ImageType::Gif => gif::dimensions(bytes),
    }
    .map_err(|problem| corrupt(ty, problem))?;
    if dims.0 == 0 || dims.1 == 0 {
        return Err(corrupt(ty, "its width or height is zero"));
    }
    Ok(dims)
}

/// Removes metadata (EXIF with GPS, XMP, IPTC, comments, text chunks) without re-encoding:
/// every byte needed to decode the image is copied untouched; colour profiles are kept.
/// Data after the end of the image is dropped. A file without metadata comes back unchanged.
pub fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let ty = classify(bytes)?;
    match ty {
        ImageType::Jpeg => jpeg::strip(bytes),
        ImageType::Png => png::strip(bytes),
        ImageType::WebP => webp::strip(bytes),
        ImageType::Gif => gif::strip(bytes),
    }
    .map_err(|problem| corrupt(ty, problem))
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn sniff_recognises_the_four_accepted_types_by_magic_bytes() {
        assert_eq!(sniff(PLAIN_PNG), Some(ImageType::Png));
        assert_eq!(sniff(PLAIN_JPG), Some(ImageType::Jpeg));
        assert_eq!(sniff(PLAIN_WEBP), Some(ImageType::WebP));
        assert_eq!(sniff(b"GIF87a\x01\x00\x01\x00"), Some(ImageType::Gif));
        assert_eq!(sniff(PLAIN_GIF), Some(ImageType::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\x89PNG"), None);
    }

    #[test]
    fn unsupported_formats_are_named_with_a_clear_refusal() {
        let cases: [(&[u8], UnsupportedFormat); 9] = [
            (b"%PDF-1.7\n%\xE2\xE3", UnsupportedFormat::Pdf),
            (
                b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
                UnsupportedFormat::Heif,
            ),
            (
                b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic",
                UnsupportedFormat::Heif,
            ),
            (
                b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf",
                UnsupportedFormat::Avif,
            ),
            (
                b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif",
                UnsupportedFormat::Avif,
            ),
            (
                b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2",
                UnsupportedFormat::Video,
            ),
            (
                b"\xEF\xBB\xBF <?xml version=\"1.0\"?>\n<svg xmlns=\"x\"/>",
                UnsupportedFormat::Svg,
            ),
            (b"II*\0\x08\0\0\0", UnsupportedFormat::Tiff),
            (b"\xFF\x0A\xFA\x7F", UnsupportedFormat::JpegXl),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff(bytes), None);
            assert_eq!(sniff_unsupported(bytes), Some(expected));
            assert_eq!(classify(bytes), Err(ImageError::Unsupported(expected)));
        }
        let mut bmp = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0".to_vec();
        bmp.resize(70, 0);
        assert_eq!(sniff_unsupported(&bmp), Some(UnsupportedFormat::Bmp));
        assert_eq!(
            classify(b"%PDF-1.4").unwrap_err().to_string(),
            "This file is a PDF, not an image."
        );
        assert!(classify(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic")
            .unwrap_err()
            .to_string()
            .starts_with("HEIC/HEIF images are not supported by this browser"));
    }

    #[test]
    fn unrecognised_bytes_are_not_an_image() {
        assert_eq!(sniff_unsupported(b"hello world"), None);
        assert_eq!(sniff_unsupported(b"<html><body>hi</body></html>"), None);
        assert_eq!(classify(b"hello world"), Err(ImageError::NotAnImage));
        assert_eq!(
            ImageError::NotAnImage.to_string(),
            "This file is not a PNG, JPEG, WebP or GIF image."
        );
    }

    #[test]
    fn mime_types_map_to_image_types() {
        for ty in [
            ImageType::Png,
            ImageType::Jpeg,
            ImageType::WebP,
            ImageType::Gif,
        ] {
            assert_eq!(ImageType::from_mime(ty.mime()), Some(ty));
        }
        assert_eq!(ImageType::from_mime("image/jpg"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::from_mime("image/heic"), None);
    }

    #[test]
    fn byte_readers_refuse_offsets_past_the_end_without_overflowing() {
        let b = [1, 2, 3, 4];
        assert_eq!(be16(&b, 2), Some(0x0304));
        assert_eq!(le32(&b, 0), Some(0x0403_0201));
        assert_eq!(le24(&b, 1), Some(0x0004_0302));
        for at in [3, 4, 5, usize::MAX - 3, usize::MAX - 1, usize::MAX] {
            assert_eq!(be32(&b, at), None, "{at}");
            assert_eq!(le32(&b, at), None, "{at}");
        }
        for at in [4, usize::MAX - 1, usize::MAX] {
            assert_eq!(be16(&b, at), None, "{at}");
            assert_eq!(le16(&b, at), None, "{at}");
            assert_eq!(le24(&b, at), None, "{at}");
        }
    }

    #[test]
    fn dimensions_are_read_from_every_format_and_webp_variant() {
        for bytes in ALL {
            assert_eq!(dimensions(bytes), Ok((12, 8)), "{:?}", sniff(bytes));
        }
        assert_eq!(&PLAIN_WEBP[12..16], b"VP8 ");
        assert_eq!(&LOSSLESS_WEBP[12..16], b"VP8L");
        assert_eq!(&META_WEBP[12..16], b"VP8X");
    }

    #[test]
    fn dimensions_of_large_images_use_the_full_field_width() {
        let mut png = png::SIGNATURE.to_vec();
        let mut ihdr = 70_000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&3u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend(png_chunk(b"IHDR", &ihdr));
        assert_eq!(dimensions(&png), Ok((70_000, 3)));

        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0xFF, 0xFF, 0x00, 0x0F, 0x27, 0x00]);
        assert_eq!(dimensions(&vp8x), Ok((65_536, 10_000)));

        let gif = b"GIF89a\x00\x04\x00\x03\x00\x00\x00";
        assert_eq!(dimensions(gif), Ok((1024, 768)));
    }

    #[test]
    fn zero_sized_images_are_corrupt() {
        let gif = b"GIF89a\x00\x00\x08\x00\x00\x00\x00";
        assert_eq!(
            dimensions(gif).unwrap_err().to_string(),
            "This GIF image is damaged or incomplete (its width or height is zero)."
        );
    }

    #[test]
    fn every_truncation_of_every_fixture_is_handled_without_panicking() {
        for bytes in ALL {
            for len in 0..bytes.len() {
                let cut = &bytes[..len];
                let _ = dimensions(cut);
                let _ = sniff_unsupported(cut);
                let _ = jpeg_orientation(cut);
                let _ = png_has_alpha(cut);
                if let Ok(stripped) = strip_metadata(cut) {
                    assert!(stripped.len() <= cut.len());
                }
            }
        }
    }

    #[test]
    fn truncated_headers_are_errors() {
        for bytes in ALL {
            assert!(dimensions(&bytes[..9]).is_err());
            assert!(strip_metadata(&bytes[..bytes.len() / 3]).is_err());
        }
    }

    #[test]
    fn random_corruption_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..4000 {
            let base = ALL[round % ALL.len()];
            let mut bytes = base.to_vec();
            for _ in 0..1 + rng.next() % 8 {
                let at = (rng.next() % bytes.len() as u64) as usize;
                bytes[at] = rng.next() as u8;
            }
            let _ = dimensions(&bytes);
            let _ = jpeg_orientation(&bytes);
            let _ = png_has_alpha(&bytes);
            if let Ok(stripped) = strip_metadata(&bytes) {
                let _ = dimensions(&stripped);
                let _ = strip_metadata(&stripped);
            }
        }
        for _ in 0..2000 {
            let len = (rng.next() % 64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let prefix: &[u8] = match rng.next() % 5 {
                0 => b"\xFF\xD8\xFF",
                1 => png::SIGNATURE,
                2 => b"RIFF\x10\0\0\0WEBP",
                3 => b"GIF89a",
                _ => b"",
            };
            bytes.splice(0..0, prefix.iter().copied());
            let _ = dimensions(&bytes);
            let _ = strip_metadata(&bytes);
            let _ = sniff_unsupported(&bytes);
            let _ = jpeg_orientation(&bytes);
            let _ = png_has_alpha(&bytes);
        }
    }

    #[test]
    fn files_without_metadata_come_back_byte_identical() {
        for bytes in [PLAIN_JPG, PLAIN_PNG, PLAIN_WEBP, LOSSLESS_WEBP, PLAIN_GIF] {
            assert_eq!(strip_metadata(bytes).unwrap(), bytes);
        }
    }

    #[test]
    fn stripping_is_idempotent() {
        for bytes in ALL {
            let once = strip_metadata(bytes).unwrap();
            assert_eq!(strip_metadata(&once).unwrap(), once);
        }
    }

    #[test]
    fn data_after_the_end_of_image_is_dropped() {
        let mut jpeg = PLAIN_JPG.to_vec();
        jpeg.extend_from_slice(b"\xFF\xD8\xFF\xE1secret trailer");
        assert_eq!(strip_metadata(&jpeg).unwrap(), PLAIN_JPG);
        let mut png = PLAIN_PNG.to_vec();
        png.extend_from_slice(b"secret trailer");
        assert_eq!(strip_metadata(&png).unwrap(), PLAIN_PNG);
        let mut gif = PLAIN_GIF.to_vec();
        gif.extend_from_slice(b"secret trailer");
        assert_eq!(strip_metadata(&gif).unwrap(), PLAIN_GIF);
        let mut webp = PLAIN_WEBP.to_vec();
        webp.extend_from_slice(b"secret trailer");
        assert_eq!(strip_metadata(&webp).unwrap(), PLAIN_WEBP);
    }

    #[test]
    fn strip_refuses_non_images_with_the_reason() {
        assert_eq!(
            strip_metadata(b"%PDF-1.7"),
            Err(ImageError::Unsupported(UnsupportedFormat::Pdf))
        );
    }
}
