//! Data URLs: `data:<mime>;base64,<bytes>` built from image bytes, and parsed back — the
//! app's one data-URL decoder (the strings given to `send(text, {images})`).

use super::ImageError;
use base64::alphabet;
use base64::engine::{self, DecodePaddingMode, Engine as _};
use std::borrow::Cow;

/// Standard base64, padded when encoding; decoding accepts what a browser's `atob` accepts
/// (WHATWG forgiving-base64: padding optional, bits after the last whole byte ignored).
const BASE64: engine::GeneralPurpose = engine::GeneralPurpose::new(
    &alphabet::STANDARD,
    engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
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

/// Parses `data:<mime>[;params];base64,<data>`: `;base64` is the last parameter, as browsers
/// read data URLs; ASCII whitespace in the data is skipped, as `atob` does.
pub fn parse_data_url(url: &str) -> Result<DataUrl, ImageError> {
    let rest = url
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
        .map(|_| &url[5..])
        .ok_or(ImageError::InvalidDataUrl("it does not start with data:"))?;
    let (header, data) = rest.split_once(',').ok_or(ImageError::InvalidDataUrl(
        "the comma before the data is missing",
    ))?;
    let (header, encoding) = header.rsplit_once(';').unwrap_or((header, ""));
    if !encoding.eq_ignore_ascii_case("base64") {
        return Err(ImageError::InvalidDataUrl("it is not base64-encoded"));
    }
    let mime = header
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let data = data.trim().as_bytes();
    let data: Cow<[u8]> = if data.iter().any(u8::is_ascii_whitespace) {
        data.iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect()
    } else {
        data.into()
    };
    let bytes = BASE64
        .decode(data)
        .map_err(|_| ImageError::InvalidDataUrl("the base64 data is invalid"))?;
    Ok(DataUrl { mime, bytes })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::ImageType;
    use super::*;

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
    fn data_url_parsing_accepts_what_atob_accepts() {
        let decoded = |url: &str| parse_data_url(url).map(|d| d.bytes);
        // Whitespace anywhere in the data, as in a wrapped base64 body.
        assert_eq!(
            decoded("data:image/png;base64, iVBO\r\nRw0K\tGgo= \n"),
            Ok(PLAIN_PNG[..8].to_vec())
        );
        // Bits after the last whole byte are ignored ("AB" has a set bit there, like "AA").
        assert_eq!(decoded("data:image/gif;base64,AB"), Ok(vec![0]));
        assert_eq!(decoded("data:image/gif;base64,AB=="), Ok(vec![0]));
        assert_eq!(decoded("data:image/gif;base64,"), Ok(vec![]));
        assert_eq!(decoded("data:;base64,AAAA"), Ok(vec![0, 0, 0]));
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
            (
                "data:image/png;base64;name=a.png,AAAA",
                "it is not base64-encoded",
            ),
            ("data:image/png;base64,A", "the base64 data is invalid"),
            ("data:image/png;base64,AA=A", "the base64 data is invalid"),
            (
                "data:image/png;base64,\u{e9}AAA",
                "the base64 data is invalid",
            ),
        ] {
            assert_eq!(
                parse_data_url(url),
                Err(ImageError::InvalidDataUrl(problem))
            );
        }
    }
}
