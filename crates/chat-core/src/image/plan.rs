//! The size policy for attached images: the limits (`ImageOptions`, the element's
//! `imageOptions`), the plain-sentence refusals, what to do with an image before sending it
//! (`plan`) and the type a redrawn image is encoded as (`output_type`).

use super::{png, ImageError, ImageType};
use crate::number::one_decimal;
use crate::types::ImageDetail;
use serde::{Deserialize, Serialize};
use std::fmt;

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

/// The type a redrawn image is encoded as, from its source's type and bytes: PNG for PNGs
/// with an alpha channel (or a `tRNS` chunk) and for GIFs (often transparent graphics),
/// WebP for WebP, JPEG for everything else.
pub fn output_type(source: ImageType, bytes: &[u8]) -> ImageType {
    match source {
        ImageType::Png if png::has_alpha(bytes) => ImageType::Png,
        ImageType::Gif => ImageType::Png,
        ImageType::WebP => ImageType::WebP,
        ImageType::Png | ImageType::Jpeg => ImageType::Jpeg,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{png_chunk, PLAIN_GIF, PLAIN_JPG, PLAIN_PNG, PLAIN_WEBP};
    use super::*;

    #[test]
    fn redrawn_images_keep_transparency_and_webp_and_otherwise_become_jpeg() {
        let mut rgba = PLAIN_PNG.to_vec();
        rgba[25] = 6;
        let mut keyed = PLAIN_PNG.to_vec();
        keyed.splice(33..33, png_chunk(b"tRNS", &[0, 0, 0, 0, 0, 0]));
        assert_eq!(output_type(ImageType::Png, &rgba), ImageType::Png);
        assert_eq!(output_type(ImageType::Png, &keyed), ImageType::Png);
        assert_eq!(output_type(ImageType::Png, PLAIN_PNG), ImageType::Jpeg);
        assert_eq!(output_type(ImageType::Gif, PLAIN_GIF), ImageType::Png);
        assert_eq!(output_type(ImageType::WebP, PLAIN_WEBP), ImageType::WebP);
        assert_eq!(output_type(ImageType::Jpeg, PLAIN_JPG), ImageType::Jpeg);
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
