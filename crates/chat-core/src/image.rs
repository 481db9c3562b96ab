//! Image bytes: type sniffing, dimensions, metadata removal (without re-encoding), data URLs,
//! and the size policy (`ImageOptions` → `Plan`) the app applies before sending an image.

use crate::number::one_decimal;
use crate::types::ImageDetail;
use std::fmt;

use base64::alphabet;
use base64::engine::{self, DecodePaddingMode, Engine as _};
use serde::{Deserialize, Serialize};

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

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The accepted image type of `bytes`, judged by magic bytes only.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    if bytes.starts_with(PNG_SIGNATURE) {
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

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], 0]))
}

/// Width and height in pixels, read from the headers of a PNG, JPEG, WebP or GIF file.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let ty = classify(bytes)?;
    let dims = match ty {
        ImageType::Png => png_dimensions(bytes),
        ImageType::Jpeg => jpeg_dimensions(bytes),
        ImageType::WebP => webp_dimensions(bytes),
        ImageType::Gif => le16(bytes, 6)
            .zip(le16(bytes, 8))
            .map(|(w, h)| (u32::from(w), u32::from(h)))
            .ok_or("the header is cut off"),
    }
    .map_err(|problem| corrupt(ty, problem))?;
    if dims.0 == 0 || dims.1 == 0 {
        return Err(corrupt(ty, "its width or height is zero"));
    }
    Ok(dims)
}

fn png_dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
    if b.get(12..16) != Some(b"IHDR") {
        return Err("the IHDR header is missing");
    }
    be32(b, 16)
        .zip(be32(b, 20))
        .ok_or("the IHDR header is cut off")
}

fn webp_dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
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

/// A JPEG frame header marker (SOF0..SOF15 without DHT, JPG and DAC).
fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn jpeg_dimensions(b: &[u8]) -> Result<(u32, u32), &'static str> {
    let mut i = 2;
    loop {
        let (marker, body) = jpeg_marker(b, i)?;
        match marker {
            0xD0..=0xD7 | 0x01 => i = body,
            0xD8..=0xDA => return Err("no frame header before the image data"),
            _ => {
                let end = jpeg_segment_end(b, body)?;
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
fn jpeg_marker(b: &[u8], mut i: usize) -> Result<(u8, usize), &'static str> {
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
fn jpeg_segment_end(b: &[u8], body: usize) -> Result<usize, &'static str> {
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

/// Removes metadata (EXIF with GPS, XMP, IPTC, comments, text chunks) without re-encoding:
/// every byte needed to decode the image is copied untouched; colour profiles are kept.
/// Data after the end of the image is dropped. A file without metadata comes back unchanged.
pub fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let ty = classify(bytes)?;
    match ty {
        ImageType::Jpeg => strip_jpeg(bytes),
        ImageType::Png => strip_png(bytes),
        ImageType::WebP => strip_webp(bytes),
        ImageType::Gif => strip_gif(bytes),
    }
    .map_err(|problem| corrupt(ty, problem))
}

/// Whether a JPEG segment is kept: all but APPn (except JFIF, ICC profiles, Adobe) and COM.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

fn strip_jpeg(b: &[u8]) -> Result<Vec<u8>, &'static str> {
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
        let (marker, body) = match jpeg_marker(b, i) {
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
                let end = jpeg_segment_end(b, body)?;
                if keep_jpeg_segment(marker, &b[body + 2..end]) {
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

/// Ancillary PNG chunks kept: transparency, colour, physical size and animation.
const PNG_KEPT_ANCILLARY: [&[u8; 4]; 17] = [
    b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"mDCv", b"cLLI",
    b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL",
];

fn keep_png_chunk(kind: &[u8; 4]) -> bool {
    let critical = kind[0].is_ascii_uppercase();
    critical || kind == b"fdAT" || PNG_KEPT_ANCILLARY.contains(&kind)
}

fn strip_png(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut i = PNG_SIGNATURE.len();
    loop {
        let len = be32(b, i).ok_or("the file ends before its IEND chunk")?;
        if len > 0x7FFF_FFFF {
            return Err("a chunk length is invalid");
        }
        let kind: [u8; 4] = b
            .get(i + 4..i + 8)
            .and_then(|k| k.try_into().ok())
            .ok_or("the file ends before its IEND chunk")?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err("a chunk type is invalid");
        }
        if i == PNG_SIGNATURE.len() && &kind != b"IHDR" {
            return Err("the IHDR header is missing");
        }
        let end = (len as usize)
            .checked_add(i + 12)
            .filter(|&end| end <= b.len())
            .ok_or("a chunk runs past the end of the file")?;
        if keep_png_chunk(&kind) {
            out.extend_from_slice(&b[i..end]);
        }
        if &kind == b"IEND" {
            return Ok(out);
        }
        i = end;
    }
}

const VP8X_FLAG_EXIF: u8 = 0x08;
const VP8X_FLAG_XMP: u8 = 0x04;

fn strip_webp(b: &[u8]) -> Result<Vec<u8>, &'static str> {
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

/// Application extensions kept in GIFs: looping and colour profiles.
const GIF_KEPT_APPLICATIONS: [&[u8; 11]; 3] = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

/// The offset after a chain of GIF data sub-blocks starting at `i`.
fn gif_sub_blocks_end(b: &[u8], mut i: usize) -> Result<usize, &'static str> {
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

fn gif_color_table_len(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 0x07) + 1)
    } else {
        0
    }
}

fn strip_gif(b: &[u8]) -> Result<Vec<u8>, &'static str> {
    let flags = *b.get(10).ok_or("the header is cut off")?;
    let mut i = 13 + gif_color_table_len(flags);
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
                let end = gif_sub_blocks_end(b, i + 2)?;
                let keep = match label {
                    0xFE => false,
                    0xFF => {
                        let id = b.get(i + 3..i + 14).filter(|_| b[i + 2] == 11);
                        id.is_some_and(|id| GIF_KEPT_APPLICATIONS.iter().any(|k| k[..] == *id))
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
                let data = i + 10 + gif_color_table_len(flags) + 1;
                let end = gif_sub_blocks_end(b, data)?;
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            Some(_) => return Err("an unknown block type"),
            None => return Err("the file ends before its trailer"),
        }
    }
}

const BASE64: engine::GeneralPurpose = engine::GeneralPurpose::new(
    &alphabet::STANDARD,
    engine::GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `data:<mime>;base64,<bytes>`, built with a single allocation.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    let prefix_len = "data:".len() + mime.len() + ";base64,".len();
    let encoded_len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    let mut url = String::with_capacity(prefix_len + encoded_len);
    url.push_str("data:");
    url.push_str(mime);
    url.push_str(";base64,");
    BASE64.encode_string(bytes, &mut url);
    url
}

/// An image decoded from a base64 data URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUrl {
    /// The media type as written (lower-cased, without parameters), e.g. `image/png`.
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Parses `data:<mime>[;params];base64,<data>` (as persisted or given to `send`).
pub fn parse_data_url(url: &str) -> Result<DataUrl, ImageError> {
    let rest = url
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
        .map(|_| &url[5..])
        .ok_or(ImageError::InvalidDataUrl("it does not start with data:"))?;
    let (header, data) = rest.split_once(',').ok_or(ImageError::InvalidDataUrl(
        "the comma before the data is missing",
    ))?;
    let mut params = header.split(';');
    let mime = params
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !params.any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        return Err(ImageError::InvalidDataUrl("it is not base64-encoded"));
    }
    let bytes = BASE64
        .decode(data.trim())
        .map_err(|_| ImageError::InvalidDataUrl("the base64 data is invalid"))?;
    Ok(DataUrl { mime, bytes })
}

/// Limits for attached images (the element's `imageOptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ImageOptions {
    /// Longest edge in pixels; larger images are downscaled.
    pub max_edge: u32,
    /// Bytes per image as sent; larger images are downscaled.
    pub max_bytes: usize,
    /// Input files larger than this are refused without being read.
    pub hard_limit_bytes: usize,
    /// Images per message.
    pub max_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<ImageDetail>,
}

impl Default for ImageOptions {
    fn default() -> Self {
        Self {
            max_edge: 2048,
            max_bytes: 4 * MIB,
            hard_limit_bytes: 20 * MIB,
            max_count: 8,
            detail: None,
        }
    }
}

const MIB: usize = 1024 * 1024;
/// Allowed range of `maxEdge` (browsers cannot draw canvases beyond 16384 px).
pub const MAX_EDGE_RANGE: std::ops::RangeInclusive<u32> = 64..=16384;
/// Allowed range of `maxCount`.
pub const MAX_COUNT_RANGE: std::ops::RangeInclusive<usize> = 1..=64;
/// The largest pixel count decoded (the canvas area limit of Chromium).
pub const MAX_PIXELS: u64 = 16384 * 16384;
const MIN_BYTES: usize = 16 * 1024;

impl ImageOptions {
    /// Checks every limit; the error names each field out of range.
    pub fn validate(&self) -> Result<(), ImageError> {
        let mut problems = Vec::new();
        if !MAX_EDGE_RANGE.contains(&self.max_edge) {
            problems.push(format!(
                "maxEdge must be between {} and {} pixels (got {})",
                MAX_EDGE_RANGE.start(),
                MAX_EDGE_RANGE.end(),
                self.max_edge
            ));
        }
        if self.max_bytes < MIN_BYTES {
            problems.push(format!(
                "maxBytes must be at least {} (got {})",
                Size(MIN_BYTES),
                Size(self.max_bytes)
            ));
        }
        if self.hard_limit_bytes < self.max_bytes {
            problems.push(format!(
                "hardLimitBytes ({}) must not be smaller than maxBytes ({})",
                Size(self.hard_limit_bytes),
                Size(self.max_bytes)
            ));
        }
        if !MAX_COUNT_RANGE.contains(&self.max_count) {
            problems.push(format!(
                "maxCount must be between {} and {} (got {})",
                MAX_COUNT_RANGE.start(),
                MAX_COUNT_RANGE.end(),
                self.max_count
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ImageError::InvalidOptions(problems.join("; ")))
        }
    }

    /// Refuses a file larger than the hard limit (check before reading it).
    pub fn check_input_size(
        &self,
        bytes_len: usize,
        image_type: Option<ImageType>,
    ) -> Result<(), Refusal> {
        if bytes_len > self.hard_limit_bytes {
            return Err(Refusal::TooLarge {
                image_type,
                bytes: bytes_len,
                limit: self.hard_limit_bytes,
            });
        }
        Ok(())
    }

    /// Refuses attaching more than `max_count` images to one message.
    pub fn check_count(&self, total: usize) -> Result<(), Refusal> {
        if total > self.max_count {
            return Err(Refusal::TooMany {
                max: self.max_count,
            });
        }
        Ok(())
    }
}

/// Why an image is not sent. `Display` is a plain sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This {} is {}; the limit is {}.", type_name(*.image_type), Size(*.bytes), Size(*.limit))]
    TooLarge {
        image_type: Option<ImageType>,
        bytes: usize,
        limit: usize,
    },
    #[error("This image is {width} × {height} pixels, too large for the browser to decode.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("This image has no pixels (its width or height is 0).")]
    NoPixels,
    #[error("At most {max} images can be attached to one message.")]
    TooMany { max: usize },
    #[error("This image cannot be made smaller than the limit of {}.", Size(*.limit))]
    OverBudget { limit: usize },
}

fn type_name(image_type: Option<ImageType>) -> String {
    image_type.map_or_else(|| "file".to_owned(), |ty| format!("{ty} image"))
}

/// A byte count for people: `512 bytes`, `12.3 KB`, `4.0 MB` (binary units).
struct Size(usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0 as f64;
        if self.0 < 1024 {
            write!(f, "{} bytes", self.0)
        } else if self.0 < MIB {
            write!(f, "{} KB", one_decimal(n / 1024.0))
        } else {
            write!(f, "{} MB", one_decimal(n / MIB as f64))
        }
    }
}

/// What to do with an image before sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Send the bytes after `strip_metadata`, not re-encoded.
    SendAsIs,
    /// Decode, draw at this size (aspect ratio kept) and re-encode; then plan again.
    Downscale {
        target_w: u32,
        target_h: u32,
    },
    Refuse(Refusal),
}

/// Decides how an image is sent. `bytes_len` is the size it would be sent at (after
/// `strip_metadata`); a downscaled result should be planned again, which converges.
pub fn plan(
    bytes_len: usize,
    image_type: ImageType,
    (width, height): (u32, u32),
    options: &ImageOptions,
) -> Plan {
    if let Err(refusal) = options.check_input_size(bytes_len, Some(image_type)) {
        return Plan::Refuse(refusal);
    }
    if width == 0 || height == 0 {
        return Plan::Refuse(Refusal::NoPixels);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Plan::Refuse(Refusal::TooManyPixels { width, height });
    }
    let longest = width.max(height);
    let mut edge = longest.min(options.max_edge.max(1));
    if bytes_len > options.max_bytes {
        // Encoded size grows roughly with the pixel count; aim 10% under the budget.
        let scale = (options.max_bytes as f64 / bytes_len as f64).sqrt() * 0.9;
        if longest == 1 {
            return Plan::Refuse(Refusal::OverBudget {
                limit: options.max_bytes,
            });
        }
        let by_budget = (f64::from(longest) * scale).floor() as u32;
        edge = edge.min(by_budget.clamp(1, longest - 1));
    }
    if edge == longest {
        return Plan::SendAsIs;
    }
    let (target_w, target_h) = fit(width, height, edge);
    Plan::Downscale { target_w, target_h }
}

/// Scales `(w, h)` so the longest edge is `edge`, rounding the other edge (at least 1).
fn fit(w: u32, h: u32, edge: u32) -> (u32, u32) {
    let scaled = |short: u32, long: u32| {
        let v = (u64::from(short) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(v).unwrap_or(edge).max(1)
    };
    if w >= h {
        (edge, scaled(h, w))
    } else {
        (scaled(w, h), edge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META_JPG: &[u8] = include_bytes!("../tests/fixtures/meta.jpg");
    const PROGRESSIVE_JPG: &[u8] = include_bytes!("../tests/fixtures/progressive_meta.jpg");
    const PLAIN_JPG: &[u8] = include_bytes!("../tests/fixtures/plain.jpg");
    const META_PNG: &[u8] = include_bytes!("../tests/fixtures/meta.png");
    const PLAIN_PNG: &[u8] = include_bytes!("../tests/fixtures/plain.png");
    const META_WEBP: &[u8] = include_bytes!("../tests/fixtures/meta.webp");
    const PLAIN_WEBP: &[u8] = include_bytes!("../tests/fixtures/plain.webp");
    const LOSSLESS_WEBP: &[u8] = include_bytes!("../tests/fixtures/lossless.webp");
    const META_GIF: &[u8] = include_bytes!("../tests/fixtures/meta.gif");
    const ANIM_GIF: &[u8] = include_bytes!("../tests/fixtures/anim_meta.gif");
    const PLAIN_GIF: &[u8] = include_bytes!("../tests/fixtures/plain.gif");

    const ALL: [&[u8]; 11] = [
        META_JPG,
        PROGRESSIVE_JPG,
        PLAIN_JPG,
        META_PNG,
        PLAIN_PNG,
        META_WEBP,
        PLAIN_WEBP,
        LOSSLESS_WEBP,
        META_GIF,
        ANIM_GIF,
        PLAIN_GIF,
    ];

    /// Words written into the fixtures' EXIF, XMP, text chunks and comments.
    const SECRETS: [&[u8]; 4] = [
        b"Secret Person",
        b"FoundryCam",
        b"secret comment",
        b"secret",
    ];

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        find(haystack, needle).is_some()
    }

    fn assert_no_secrets(bytes: &[u8]) {
        for secret in SECRETS {
            assert!(
                !contains(bytes, secret),
                "{:?} survived",
                String::from_utf8_lossy(secret)
            );
        }
    }

    /// JPEG segments up to the first scan: (marker, payload).
    fn jpeg_segments(b: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut segments = Vec::new();
        let mut i = 2;
        while let Ok((marker, body)) = jpeg_marker(b, i) {
            let Ok(end) = jpeg_segment_end(b, body) else {
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

    fn png_chunks(b: &[u8]) -> Vec<[u8; 4]> {
        let mut kinds = Vec::new();
        let mut i = 8;
        while let (Some(len), Some(kind)) = (be32(b, i), b.get(i + 4..i + 8)) {
            kinds.push(kind.try_into().unwrap());
            i += 12 + len as usize;
        }
        kinds
    }

    fn riff_chunks(b: &[u8]) -> Vec<[u8; 4]> {
        let mut kinds = Vec::new();
        let mut i = 12;
        while let (Some(kind), Some(size)) = (b.get(i..i + 4), le32(b, i + 4)) {
            kinds.push(kind.try_into().unwrap());
            i += 8 + size as usize + (size as usize & 1);
        }
        kinds
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        chunk.extend_from_slice(&[0, 0, 0, 0]);
        chunk
    }

    fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut segment = vec![0xFF, marker];
        segment.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
        segment.extend_from_slice(payload);
        segment
    }

    /// `base` with `insert` spliced in at `at`.
    fn spliced(base: &[u8], at: usize, insert: &[u8]) -> Vec<u8> {
        let mut out = base[..at].to_vec();
        out.extend_from_slice(insert);
        out.extend_from_slice(&base[at..]);
        out
    }

    /// The offset of the first scan header (SOS marker) in a JPEG.
    fn sos_offset(b: &[u8]) -> usize {
        find(b, &[0xFF, 0xDA]).unwrap()
    }

    /// Deterministic xorshift bytes for fuzz-style tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

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
        let mut png = PNG_SIGNATURE.to_vec();
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
                1 => PNG_SIGNATURE,
                2 => b"RIFF\x10\0\0\0WEBP",
                3 => b"GIF89a",
                _ => b"",
            };
            bytes.splice(0..0, prefix.iter().copied());
            let _ = dimensions(&bytes);
            let _ = strip_metadata(&bytes);
            let _ = sniff_unsupported(&bytes);
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
    fn a_jpeg_without_end_of_image_keeps_its_scan_data() {
        let cut = &PLAIN_JPG[..PLAIN_JPG.len() - 2];
        assert_eq!(strip_metadata(cut).unwrap(), cut);
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
        let header_len = 13 + gif_color_table_len(PLAIN_GIF[10]);
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
        let header_len = 13 + gif_color_table_len(PLAIN_GIF[10]);
        let bad = spliced(PLAIN_GIF, header_len, b"\x99");
        assert!(strip_metadata(&bad).is_err());
        assert!(strip_metadata(&PLAIN_GIF[..PLAIN_GIF.len() - 1]).is_err());
    }

    #[test]
    fn strip_refuses_non_images_with_the_reason() {
        assert_eq!(
            strip_metadata(b"%PDF-1.7"),
            Err(ImageError::Unsupported(UnsupportedFormat::Pdf))
        );
    }

    #[test]
    fn data_urls_round_trip() {
        let url = data_url("image/png", PLAIN_PNG);
        assert!(url.starts_with("data:image/png;base64,iVBORw0KGgo"));
        assert_eq!(url.len(), url.capacity());
        let parsed = parse_data_url(&url).unwrap();
        assert_eq!(parsed.mime, "image/png");
        assert_eq!(parsed.bytes, PLAIN_PNG);
        assert_eq!(data_url("image/gif", b""), "data:image/gif;base64,");
    }

    #[test]
    fn data_url_parsing_tolerates_case_parameters_and_missing_padding() {
        let parsed = parse_data_url("DATA:Image/JPEG;name=a.jpg;BASE64,/9j/4A").unwrap();
        assert_eq!(parsed.mime, "image/jpeg");
        assert_eq!(parsed.bytes, [0xFF, 0xD8, 0xFF, 0xE0]);
        assert_eq!(ImageType::from_mime(&parsed.mime), Some(ImageType::Jpeg));
    }

    #[test]
    fn malformed_data_urls_are_refused() {
        for (url, problem) in [
            ("http://x/y.png", "it does not start with data:"),
            (
                "data:image/png;base64",
                "the comma before the data is missing",
            ),
            ("data:image/png,abc", "it is not base64-encoded"),
            ("data:image/png;base64,ab$c", "the base64 data is invalid"),
            ("dat", "it does not start with data:"),
            ("daté:", "it does not start with data:"),
        ] {
            assert_eq!(
                parse_data_url(url),
                Err(ImageError::InvalidDataUrl(problem))
            );
        }
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
    fn image_options_use_camel_case_names_and_defaults() {
        let options: ImageOptions =
            serde_json::from_str(r#"{"maxEdge":1024,"maxCount":2,"detail":"low"}"#).unwrap();
        assert_eq!(
            options,
            ImageOptions {
                max_edge: 1024,
                max_count: 2,
                detail: Some(ImageDetail::Low),
                ..ImageOptions::default()
            }
        );
        let json = serde_json::to_value(ImageOptions::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "maxEdge": 2048, "maxBytes": 4194304, "hardLimitBytes": 20971520, "maxCount": 8
            })
        );
        assert!(serde_json::from_str::<ImageOptions>(r#"{"max_edge":10}"#).is_err());
        assert!(serde_json::from_str::<ImageOptions>(r#"{"detail":"ultra"}"#).is_err());
        assert_eq!(ImageOptions::default().validate(), Ok(()));
    }

    #[test]
    fn image_option_validation_lists_every_problem() {
        let options = ImageOptions {
            max_edge: 10,
            max_bytes: 100,
            hard_limit_bytes: 50,
            max_count: 0,
            detail: None,
        };
        let Err(ImageError::InvalidOptions(message)) = options.validate() else {
            panic!("invalid options accepted");
        };
        assert_eq!(
            message,
            "maxEdge must be between 64 and 16384 pixels (got 10); \
             maxBytes must be at least 16.0 KB (got 100 bytes); \
             hardLimitBytes (50 bytes) must not be smaller than maxBytes (100 bytes); \
             maxCount must be between 1 and 64 (got 0)"
        );
    }

    #[test]
    fn small_images_are_sent_as_they_are() {
        let options = ImageOptions::default();
        assert_eq!(
            plan(100_000, ImageType::Png, (2048, 1000), &options),
            Plan::SendAsIs
        );
        assert_eq!(
            plan(4 * MIB, ImageType::Jpeg, (1, 1), &options),
            Plan::SendAsIs
        );
    }

    #[test]
    fn large_images_are_downscaled_to_the_max_edge_keeping_aspect_ratio() {
        let options = ImageOptions::default();
        assert_eq!(
            plan(3 * MIB, ImageType::Jpeg, (4032, 3024), &options),
            Plan::Downscale {
                target_w: 2048,
                target_h: 1536
            }
        );
        assert_eq!(
            plan(3 * MIB, ImageType::Jpeg, (3024, 4032), &options),
            Plan::Downscale {
                target_w: 1536,
                target_h: 2048
            }
        );
        assert_eq!(
            plan(1000, ImageType::Png, (10_000, 3), &options),
            Plan::Downscale {
                target_w: 2048,
                target_h: 1
            }
        );
        assert_eq!(
            plan(1000, ImageType::Png, (3000, 1000), &options),
            Plan::Downscale {
                target_w: 2048,
                target_h: 683
            }
        );
    }

    #[test]
    fn images_over_the_byte_budget_are_downscaled_until_they_fit() {
        let options = ImageOptions::default();
        let (mut w, mut h) = (2000u32, 1500u32);
        let bytes_per_pixel = 5.0; // a noisy PNG
        let mut rounds = 0;
        loop {
            let len = (f64::from(w) * f64::from(h) * bytes_per_pixel) as usize;
            match plan(len, ImageType::Png, (w, h), &options) {
                Plan::SendAsIs => break,
                Plan::Downscale { target_w, target_h } => {
                    assert!(target_w < w && target_h <= h);
                    assert!((f64::from(target_w) / f64::from(target_h) - 4.0 / 3.0).abs() < 0.01);
                    (w, h) = (target_w, target_h);
                }
                Plan::Refuse(refusal) => panic!("{refusal}"),
            }
            rounds += 1;
            assert!(rounds < 5);
        }
        assert!(f64::from(w) * f64::from(h) * bytes_per_pixel <= (4 * MIB) as f64);
    }

    #[test]
    fn images_are_refused_with_plain_reasons() {
        let options = ImageOptions::default();
        let refusal = |len, dims| match plan(len, ImageType::Jpeg, dims, &options) {
            Plan::Refuse(refusal) => refusal.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refusal(25 * MIB, (100, 100)),
            "This JPEG image is 25.0 MB; the limit is 20.0 MB."
        );
        assert_eq!(
            refusal(1000, (0, 10)),
            "This image has no pixels (its width or height is 0)."
        );
        assert_eq!(
            refusal(1000, (30_000, 20_000)),
            "This image is 30000 × 20000 pixels, too large for the browser to decode."
        );
        assert_eq!(
            refusal(5 * MIB, (1, 1)),
            "This image cannot be made smaller than the limit of 4.0 MB."
        );
    }

    #[test]
    fn input_size_and_count_limits_are_checked_before_reading() {
        let options = ImageOptions::default();
        assert_eq!(options.check_input_size(20 * MIB, None), Ok(()));
        assert_eq!(
            options
                .check_input_size(20 * MIB + 1, None)
                .unwrap_err()
                .to_string(),
            "This file is 20.0 MB; the limit is 20.0 MB."
        );
        assert_eq!(options.check_count(8), Ok(()));
        assert_eq!(
            options.check_count(9).unwrap_err().to_string(),
            "At most 8 images can be attached to one message."
        );
    }
}
