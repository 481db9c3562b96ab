//! The browser side of attaching an image: reads a `File`/`Blob`, checks its real bytes with
//! `chat_core::image`, removes metadata without re-encoding when the image fits the limits,
//! and otherwise decodes it off the main thread (`createImageBitmap` with resize options),
//! draws it on an `OffscreenCanvas` and re-encodes it until it fits. Refusals are plain
//! sentences naming the file.
//!
//! Re-encoding keeps what matters about the source: PNGs with an alpha channel (or a `tRNS`
//! chunk) and GIFs (often transparent graphics) become PNG, WebP stays WebP (the browser may
//! answer with PNG instead: the real bytes decide the type sent), everything else becomes
//! JPEG at quality 0.9. The aspect ratio is kept (`chat_core::image::plan` picks the size).

use chat_core::image::{self, ImageOptions, ImageType, Plan, Refusal};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, ImageBitmapOptions, ImageEncodeOptions, OffscreenCanvas};

/// An image ready to be sent: a data URL of its (metadata-free) bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessedImage {
    pub mime: String,
    pub data_url: String,
    pub width: u32,
    pub height: u32,
    /// Size of the image bytes (before base64).
    pub bytes: usize,
}

/// Why a file is not attached; `Display` names the file and says why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRefusal {
    pub name: String,
    pub reason: String,
}

impl std::fmt::Display for ImageRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.reason)
    }
}

/// Re-encoding rounds before giving up (each one aims under the byte budget; two suffice in
/// practice).
const MAX_ROUNDS: usize = 6;
const JPEG_QUALITY: f64 = 0.9;

/// A refusal for attaching more than `options.max_count` images.
pub fn too_many(name: &str, options: &ImageOptions) -> ImageRefusal {
    ImageRefusal {
        name: name.to_owned(),
        reason: Refusal::TooMany {
            max: options.max_count,
        }
        .to_string(),
    }
}

/// Prepares one file or blob for sending (see the module docs).
pub async fn process(
    blob: &Blob,
    name: &str,
    options: &ImageOptions,
) -> Result<ProcessedImage, ImageRefusal> {
    let refuse = |reason: String| ImageRefusal {
        name: name.to_owned(),
        reason,
    };
    let size = blob.size() as usize;
    options
        .check_input_size(size, None)
        .map_err(|r| refuse(r.to_string()))?;
    let bytes = read_bytes(blob)
        .await
        .map_err(|_| refuse("The file could not be read.".to_owned()))?;
    let ty = image::classify(&bytes).map_err(|e| refuse(e.to_string()))?;
    let header_dims = image::dimensions(&bytes).map_err(|e| refuse(e.to_string()))?;
    let stripped = image::strip_metadata(&bytes).map_err(|e| refuse(e.to_string()))?;
    let orientation = if ty == ImageType::Jpeg {
        jpeg_orientation(&bytes)
    } else {
        1
    };
    drop(bytes);
    yield_now().await;
    let dims = if orientation >= 5 {
        (header_dims.1, header_dims.0)
    } else {
        header_dims
    };
    let source = Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&Uint8Array::from(
        stripped.as_slice(),
    )))
    .map_err(|_| refuse("The file could not be read.".to_owned()))?;
    let mut current = Encoded {
        ty,
        bytes: stripped,
        dims,
    };
    // The stripped bytes lost the EXIF orientation: a rotated photo is redrawn upright.
    let mut forced = orientation != 1;
    let output = output_type(ty, &current.bytes);
    for _ in 0..MAX_ROUNDS {
        let plan = image::plan(current.bytes.len(), current.ty, current.dims, options);
        let (w, h) = match plan {
            Plan::Refuse(r) => return Err(refuse(r.to_string())),
            Plan::SendAsIs if !forced => return verified(&source, current, name).await,
            Plan::SendAsIs => current.dims,
            Plan::Downscale { target_w, target_h } => (target_w, target_h),
        };
        forced = false;
        current = redraw(&source, (w, h), output).await.map_err(refuse)?;
        yield_now().await;
    }
    Err(refuse(
        Refusal::OverBudget {
            limit: options.max_bytes,
        }
        .to_string(),
    ))
}

/// Image bytes with their type and size.
struct Encoded {
    ty: ImageType,
    bytes: Vec<u8>,
    dims: (u32, u32),
}

/// Sends the bytes unchanged once the browser has shown it can decode them.
async fn verified(
    source: &Blob,
    image: Encoded,
    name: &str,
) -> Result<ProcessedImage, ImageRefusal> {
    let bitmap = decode(source, None).await.map_err(|reason| ImageRefusal {
        name: name.to_owned(),
        reason,
    })?;
    bitmap.close();
    yield_now().await;
    Ok(finish(image))
}

fn finish(image: Encoded) -> ProcessedImage {
    let mime = image.ty.mime().to_owned();
    ProcessedImage {
        data_url: image::data_url(&mime, &image.bytes),
        mime,
        width: image.dims.0,
        height: image.dims.1,
        bytes: image.bytes.len(),
    }
}

/// Decodes `source` at `(w, h)` and encodes it as `output`.
async fn redraw(source: &Blob, (w, h): (u32, u32), output: ImageType) -> Result<Encoded, String> {
    let bitmap = decode(source, Some((w, h))).await?;
    let encoded = encode(&bitmap, (w, h), output).await;
    bitmap.close();
    let blob = encoded.map_err(|_| "The browser could not re-encode this image.".to_owned())?;
    let bytes = read_bytes(&blob)
        .await
        .map_err(|_| "The browser could not re-encode this image.".to_owned())?;
    let ty = image::classify(&bytes).map_err(|e| e.to_string())?;
    Ok(Encoded {
        ty,
        bytes,
        dims: (w, h),
    })
}

/// `createImageBitmap`, resized (high quality) when `size` is given; a failure means the
/// browser cannot decode the file.
async fn decode(source: &Blob, size: Option<(u32, u32)>) -> Result<ImageBitmap, String> {
    let cannot = || "This image is damaged or in a form this browser cannot decode.".to_owned();
    let window = web_sys::window().ok_or_else(cannot)?;
    let options = ImageBitmapOptions::new();
    if let Some((w, h)) = size {
        options.set_resize_width(w);
        options.set_resize_height(h);
        options.set_resize_quality(web_sys::ResizeQuality::High);
    }
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(source, &options)
        .map_err(|_| cannot())?;
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|b| b.dyn_into::<ImageBitmap>().ok())
        .ok_or_else(cannot)
}

async fn encode(
    bitmap: &ImageBitmap,
    (w, h): (u32, u32),
    output: ImageType,
) -> Result<Blob, JsValue> {
    let canvas = OffscreenCanvas::new(w, h)?;
    let context = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into::<web_sys::OffscreenCanvasRenderingContext2d>()?;
    context.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)?;
    let options = ImageEncodeOptions::new();
    options.set_type(output.mime());
    if output != ImageType::Png {
        options.set_quality(JPEG_QUALITY);
    }
    let blob = JsFuture::from(canvas.convert_to_blob_with_options(&options)?).await?;
    blob.dyn_into::<Blob>()
}

/// The type a re-encoded image is written as (see the module docs).
fn output_type(source: ImageType, bytes: &[u8]) -> ImageType {
    match source {
        ImageType::Png if png_has_alpha(bytes) => ImageType::Png,
        ImageType::Gif => ImageType::Png,
        ImageType::WebP => ImageType::WebP,
        ImageType::Png | ImageType::Jpeg => ImageType::Jpeg,
    }
}

/// Colour type 4 or 6 (grey or RGB with alpha), or a `tRNS` chunk before the image data.
fn png_has_alpha(bytes: &[u8]) -> bool {
    if matches!(bytes.get(25), Some(4 | 6)) {
        return true;
    }
    let mut at = 8usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        match &head[4..8] {
            b"tRNS" => return true,
            b"IDAT" | b"IEND" => return false,
            _ => {}
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    false
}

/// The EXIF orientation (1–8) of a JPEG from its first bytes; 1 when there is none.
fn jpeg_orientation(head: &[u8]) -> u16 {
    exif_orientation(head)
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1)
}

fn exif_orientation(b: &[u8]) -> Option<u16> {
    let be16 = |at: usize| b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]));
    let mut at = 2;
    // Walk the segments before the scan to the APP1 "Exif" one.
    let tiff = loop {
        if *b.get(at)? != 0xFF {
            return None;
        }
        let marker = *b.get(at + 1)?;
        let len = usize::from(be16(at + 2)?);
        if marker == 0xDA {
            return None;
        }
        if marker == 0xE1 && b.get(at + 4..at + 10) == Some(b"Exif\0\0") {
            break at + 10;
        }
        at += 2 + len;
    };
    let little = match b.get(tiff..tiff + 2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        b.get(at..at + 2).map(|s| {
            if little {
                u16::from_le_bytes([s[0], s[1]])
            } else {
                u16::from_be_bytes([s[0], s[1]])
            }
        })
    };
    let u32_at = |at: usize| {
        b.get(at..at + 4).map(|s| {
            let a = [s[0], s[1], s[2], s[3]];
            if little {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            }
        })
    };
    let ifd = tiff.checked_add(usize::try_from(u32_at(tiff + 4)?).ok()?)?;
    let count = usize::from(u16_at(ifd)?);
    (0..count).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        (u16_at(entry)? == 0x0112).then(|| u16_at(entry + 8))?
    })
}

/// All bytes of a blob (`Blob.arrayBuffer()`).
pub async fn read_bytes(blob: &Blob) -> Result<Vec<u8>, JsValue> {
    let buffer = JsFuture::from(blob.array_buffer()).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Lets the page handle input and paint between steps.
async fn yield_now() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}
