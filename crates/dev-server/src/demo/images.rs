//! Describing received images: decode each `data:` URL's base64 and the image itself, and
//! report the real width, height, byte size and format — or say why it could not.

use std::io::Cursor;

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use image::{ImageReader, Limits};

/// Largest width or height decoded.
const MAX_EDGE: u32 = 16_384;
/// Largest decoder allocation.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// One line for the image at 1-based position `n`.
pub fn describe(n: usize, url: &str) -> String {
    match inspect(url) {
        Ok(info) => format!(
            "Image {n}: {}×{} pixels, {} bytes ({}).",
            info.width, info.height, info.bytes, info.mime
        ),
        Err(problem) => format!("Image {n}: {problem}."),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct ImageInfo {
    width: u32,
    height: u32,
    bytes: usize,
    mime: &'static str,
}

fn inspect(url: &str) -> Result<ImageInfo, String> {
    let Some(rest) = url.strip_prefix("data:") else {
        let shown: String = url.chars().take(60).collect();
        return Err(format!("not a data: URL ({shown}), not fetched"));
    };
    let Some((meta, payload)) = rest.split_once(',') else {
        return Err("corrupt data: URL (no comma)".to_owned());
    };
    if !meta.split(';').any(|p| p.eq_ignore_ascii_case("base64")) {
        return Err("data: URL is not base64-encoded".to_owned());
    }
    let cleaned: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
    let unpadded = cleaned.trim_end_matches('=');
    let bytes = STANDARD
        .decode(&cleaned)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(unpadded))
        .or_else(|_| URL_SAFE.decode(&cleaned))
        .map_err(|e| format!("corrupt base64 ({e})"))?;
    let size = bytes.len();
    let mut reader = ImageReader::new(Cursor::new(bytes.as_slice()))
        .with_guessed_format()
        .map_err(|e| format!("unreadable image data, {size} bytes ({e})"))?;
    let Some(format) = reader.format() else {
        return Err(format!(
            "not a recognised image (PNG, JPEG, GIF or WebP), {size} bytes"
        ));
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| {
        format!(
            "corrupt {} image, {size} bytes ({e})",
            format.to_mime_type()
        )
    })?;
    Ok(ImageInfo {
        width: image.width(),
        height: image.height(),
        bytes: size,
        mime: format.to_mime_type(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, ImageFormat, Rgb};

    fn png_data_url(width: u32, height: u32) -> (String, usize) {
        let img = ImageBuffer::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 7]));
        let mut bytes = Vec::new();
        let encoded = img.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png);
        assert!(encoded.is_ok());
        (
            format!("data:image/png;base64,{}", STANDARD.encode(&bytes)),
            bytes.len(),
        )
    }

    #[test]
    fn a_png_is_decoded_to_its_real_size() {
        let (url, size) = png_data_url(64, 48);
        assert_eq!(
            describe(1, &url),
            format!("Image 1: 64×48 pixels, {size} bytes (image/png).")
        );
    }

    #[test]
    fn a_truncated_png_is_reported_as_corrupt() {
        let (url, _) = png_data_url(64, 48);
        let cut = &url[..url.len() / 2];
        let line = describe(2, cut);
        assert!(line.starts_with("Image 2: corrupt"), "{line}");
    }

    #[test]
    fn invalid_base64_and_remote_urls_are_explained() {
        assert!(describe(1, "data:image/jpg;base64,0xABCDFGHIJ...").contains("corrupt base64"));
        assert!(describe(1, "https://example.com/a.png").contains("not fetched"));
        assert!(describe(1, "data:image/png;base64,aGVsbG8=").contains("not a recognised image"));
    }
}
