//! The browser side of attaching an image: reads a `File`/`Blob`, checks its real bytes with
//! `chat_core::image` (which does all the byte parsing), removes metadata without re-encoding when the image fits the limits,
//! and otherwise redraws it scaled and re-encodes it until it fits. Refusals are plain
//! sentences naming the file. Also reads the images given to `send(text, {images})`.
//!
//! Redrawing runs in a worker (`src/images.js`): decoding a 12-megapixel photo and
//! drawing it scaled takes hundreds of milliseconds that would otherwise freeze the page
//! (Chromium runs the scaled draw, and `createImageBitmap`'s own resize options, on the
//! calling thread). Where no worker can start (a page CSP without `'self'` workers), the
//! same steps run here (`createImageBitmap` + `OffscreenCanvas`).
//!
//! Re-encoding keeps what matters about the source: `chat_core::image::output_type` keeps
//! transparent images PNG and WebP WebP (the browser may answer with PNG instead: the real
//! bytes decide the type sent), everything else becomes JPEG at quality 0.9. The aspect ratio
//! is kept (`chat_core::image::plan` picks the size), and a photo whose EXIF orientation tag
//! (`chat_core::image::jpeg_orientation`) is removed is redrawn upright.

use chat_core::image::{self, ImageOptions, ImageType, Plan, Refusal};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, ImageEncodeOptions, OffscreenCanvas};

#[wasm_bindgen(module = "/src/images.js")]
extern "C" {
    /// Decodes `blob`, draws it at `width`×`height` and encodes it as `mime` in a worker;
    /// rejects with `"decode"`, `"encode"` or `"unavailable"` (no worker could run).
    #[wasm_bindgen(js_name = redrawInWorker)]
    fn redraw_in_worker(
        blob: &Blob,
        width: u32,
        height: u32,
        mime: &str,
        quality: f64,
    ) -> js_sys::Promise;
}

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
const DAMAGED: &str = "This image is damaged or in a form this browser cannot decode.";
const NOT_ENCODED: &str = "The browser could not re-encode this image.";

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

/// The `images` of `send(text, {images})`: an array of `File`s, `Blob`s or data-URL strings
/// (absent, `null` or `[]`: none), each with the name its refusals use — `images[i]`, plus
/// the file name of a `File`. A wrong value, a bad data URL or too many images is refused.
pub fn from_js(
    images: &JsValue,
    options: &ImageOptions,
) -> Result<Vec<(Blob, String)>, ImageRefusal> {
    if images.is_undefined() || images.is_null() {
        return Ok(Vec::new());
    }
    let refuse = |name: String, reason: String| ImageRefusal { name, reason };
    let Some(list) = images.dyn_ref::<js_sys::Array>() else {
        return Err(refuse(
            "images".to_owned(),
            "images must be an array of Files, Blobs or data-URL strings.".to_owned(),
        ));
    };
    if options.check_count(list.length() as usize).is_err() {
        return Err(too_many("images", options));
    }
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let mut name = format!("images[{i}]");
            if let Some(file) = item.dyn_ref::<web_sys::File>() {
                name = format!("{name} ({})", file.name());
            }
            if let Some(blob) = item.dyn_ref::<Blob>() {
                return Ok((blob.clone(), name));
            }
            let Some(url) = item.as_string() else {
                return Err(refuse(
                    name,
                    "This is not a File, a Blob or a data-URL string.".to_owned(),
                ));
            };
            let bytes = image::parse_data_url(&url)
                .map_err(|e| refuse(name.clone(), e.to_string()))?
                .bytes;
            let parts = js_sys::Array::of1(&Uint8Array::from(bytes.as_slice()));
            match Blob::new_with_u8_array_sequence(&parts) {
                Ok(blob) => Ok((blob, name)),
                Err(_) => Err(refuse(name, "The data could not be read.".to_owned())),
            }
        })
        .collect()
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
    let (w, h) = image::dimensions(&bytes).map_err(|e| refuse(e.to_string()))?;
    let stripped = image::strip_metadata(&bytes).map_err(|e| refuse(e.to_string()))?;
    let orientation = if ty == ImageType::Jpeg {
        image::jpeg_orientation(&bytes)
    } else {
        1
    };
    drop(bytes);
    // Orientations 5–8 turn the picture a quarter: upright, width and height swap.
    let upright = if orientation >= 5 { (h, w) } else { (w, h) };
    let current = Encoded {
        ty,
        bytes: stripped,
        dims: upright,
    };
    let plan = image::plan(current.bytes.len(), ty, upright, options);
    if let Plan::Refuse(r) = plan {
        return Err(refuse(r.to_string()));
    }
    yield_now().await;
    // The stripped bytes lost the EXIF orientation: a rotated photo is redrawn upright.
    if plan == Plan::SendAsIs && orientation == 1 {
        // Sent unchanged; decoding it (off the main thread) proves the browser can.
        decode(blob).await.map_err(refuse)?.close();
        return Ok(finish(current));
    }
    let output = image::output_type(ty, &current.bytes);
    shrink(blob, current, orientation != 1, output, options)
        .await
        .map(finish)
        .map_err(refuse)
}

/// Image bytes with their type and size.
struct Encoded {
    ty: ImageType,
    bytes: Vec<u8>,
    dims: (u32, u32),
}

/// Re-plans and redraws `source` until the plan says the image can be sent.
async fn shrink(
    source: &Blob,
    mut current: Encoded,
    mut redraw_anyway: bool,
    output: ImageType,
    options: &ImageOptions,
) -> Result<Encoded, String> {
    for _ in 0..MAX_ROUNDS {
        let (w, h) = match image::plan(current.bytes.len(), current.ty, current.dims, options) {
            Plan::Refuse(r) => return Err(r.to_string()),
            Plan::SendAsIs if !redraw_anyway => return Ok(current),
            Plan::SendAsIs => current.dims,
            Plan::Downscale { target_w, target_h } => (target_w, target_h),
        };
        redraw_anyway = false;
        current = redraw(source, (w, h), output).await?;
        yield_now().await;
    }
    Err(Refusal::OverBudget {
        limit: options.max_bytes,
    }
    .to_string())
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

/// Decodes `source` upright, draws it at `(w, h)` and encodes it as `output`: in a worker,
/// or here when none can run.
async fn redraw(source: &Blob, (w, h): (u32, u32), output: ImageType) -> Result<Encoded, String> {
    let promise = redraw_in_worker(source, w, h, output.mime(), JPEG_QUALITY);
    let blob = match JsFuture::from(promise).await {
        Ok(blob) => blob
            .dyn_into::<Blob>()
            .map_err(|_| NOT_ENCODED.to_owned())?,
        Err(e) if e.as_string().as_deref() == Some("decode") => return Err(DAMAGED.to_owned()),
        Err(e) if e.as_string().as_deref() == Some("unavailable") => {
            redraw_here(source, (w, h), output).await?
        }
        Err(_) => return Err(NOT_ENCODED.to_owned()),
    };
    let bytes = read_bytes(&blob)
        .await
        .map_err(|_| NOT_ENCODED.to_owned())?;
    let ty = image::classify(&bytes).map_err(|e| e.to_string())?;
    Ok(Encoded {
        ty,
        bytes,
        dims: (w, h),
    })
}

/// [`redraw`] on this thread: what the worker does, for pages where it cannot run.
async fn redraw_here(source: &Blob, size: (u32, u32), output: ImageType) -> Result<Blob, String> {
    let bitmap = decode(source).await?;
    let blob = encode(&bitmap, size, output).await;
    bitmap.close();
    blob.map_err(|_| NOT_ENCODED.to_owned())
}

/// `createImageBitmap` of the whole file; a failure means the browser cannot decode it.
async fn decode(source: &Blob) -> Result<ImageBitmap, String> {
    let window = web_sys::window().ok_or_else(|| DAMAGED.to_owned())?;
    let promise = window
        .create_image_bitmap_with_blob(source)
        .map_err(|_| DAMAGED.to_owned())?;
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|b| b.dyn_into::<ImageBitmap>().ok())
        .ok_or_else(|| DAMAGED.to_owned())
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
    // Not in web-sys for OffscreenCanvas: set the property directly.
    js_sys::Reflect::set(&context, &"imageSmoothingQuality".into(), &"high".into())?;
    context.draw_image_with_image_bitmap_and_dw_and_dh(
        bitmap,
        0.0,
        0.0,
        f64::from(w),
        f64::from(h),
    )?;
    let options = ImageEncodeOptions::new();
    options.set_type(output.mime());
    if output != ImageType::Png {
        options.set_quality(JPEG_QUALITY);
    }
    let blob = JsFuture::from(canvas.convert_to_blob_with_options(&options)?).await?;
    blob.dyn_into::<Blob>()
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A `w`×`h` image drawn on a canvas: coloured bands, noise in `noisy` ones, and a
    /// transparent corner when `alpha`.
    async fn drawn(w: u32, h: u32, mime: &str, noisy: bool, alpha: bool) -> Blob {
        let canvas = OffscreenCanvas::new(w, h).expect("canvas");
        let ctx = canvas
            .get_context("2d")
            .expect("context")
            .expect("2d")
            .dyn_into::<web_sys::OffscreenCanvasRenderingContext2d>()
            .expect("2d context");
        if noisy {
            let mut pixels = vec![255u8; (w * h * 4) as usize];
            let mut seed = 0x2545_F491_u32;
            for px in pixels.chunks_mut(4) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                px[..3].copy_from_slice(&seed.to_le_bytes()[..3]);
            }
            let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
                wasm_bindgen::Clamped(&pixels),
                w,
                h,
            )
            .expect("image data");
            ctx.put_image_data(&data, 0.0, 0.0).expect("put");
        } else {
            for (i, colour) in ["#c33", "#3c3", "#33c", "#cc3"].iter().enumerate() {
                ctx.set_fill_style_str(colour);
                let band = f64::from(w) / 4.0;
                ctx.fill_rect(band * i as f64, 0.0, band, f64::from(h));
            }
        }
        if alpha {
            ctx.clear_rect(0.0, 0.0, f64::from(w) / 4.0, f64::from(h) / 4.0);
        }
        let options = ImageEncodeOptions::new();
        options.set_type(mime);
        let promise = canvas
            .convert_to_blob_with_options(&options)
            .expect("convert");
        JsFuture::from(promise)
            .await
            .expect("blob")
            .dyn_into()
            .expect("a blob")
    }

    fn blob_of(bytes: &[u8]) -> Blob {
        Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&Uint8Array::from(bytes)))
            .expect("blob")
    }

    /// Inserts segments right after a JPEG's SOI marker.
    fn with_segments(jpeg: &[u8], segments: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        for (marker, payload) in segments {
            out.extend_from_slice(&[0xFF, *marker]);
            out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(payload);
        }
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    /// An EXIF block (big-endian) holding the orientation and a GPS-ish secret.
    fn exif(orientation: u16) -> Vec<u8> {
        let mut b = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
        b.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        b.extend_from_slice(&orientation.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(b"GPS 48.8584 N 2.2945 E");
        b
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn sent_bytes(image: &ProcessedImage) -> Vec<u8> {
        image::parse_data_url(&image.data_url)
            .expect("a data URL")
            .bytes
    }

    #[wasm_bindgen_test]
    async fn an_oversized_image_is_downscaled_to_the_max_edge_keeping_its_aspect_ratio() {
        let blob = drawn(3000, 1500, "image/png", false, false).await;
        let image = process(&blob, "wide.png", &ImageOptions::default())
            .await
            .expect("processed");
        assert_eq!((image.width, image.height), (2048, 1024));
        let bytes = sent_bytes(&image);
        assert_eq!(image::dimensions(&bytes), Ok((2048, 1024)));
        assert_eq!(image.bytes, bytes.len());
        assert_eq!(
            image::classify(&bytes).map(ImageType::mime),
            Ok(image.mime.as_str())
        );
    }

    #[wasm_bindgen_test]
    async fn a_small_jpeg_loses_its_metadata_without_being_re_encoded() {
        let plain = read_bytes(&drawn(200, 100, "image/jpeg", false, false).await)
            .await
            .expect("bytes");
        let tagged = with_segments(&plain, &[(0xE1, &exif(1)), (0xFE, b"secret comment")]);
        let image = process(&blob_of(&tagged), "tagged.jpg", &ImageOptions::default())
            .await
            .expect("processed");
        let sent = sent_bytes(&image);
        assert!(!contains(&sent, b"GPS 48.8584"));
        assert!(!contains(&sent, b"secret comment"));
        assert_eq!(sent, plain, "the image data is copied untouched");
        assert_eq!(
            (image.width, image.height, image.mime.as_str()),
            (200, 100, "image/jpeg")
        );
    }

    #[wasm_bindgen_test]
    async fn a_rotated_photo_is_redrawn_upright_since_its_orientation_tag_is_removed() {
        let plain = read_bytes(&drawn(300, 100, "image/jpeg", false, false).await)
            .await
            .expect("bytes");
        let rotated = with_segments(&plain, &[(0xE1, &exif(6))]);
        let image = process(&blob_of(&rotated), "phone.jpg", &ImageOptions::default())
            .await
            .expect("processed");
        let sent = sent_bytes(&image);
        assert_eq!(image::dimensions(&sent), Ok((100, 300)));
        assert!(!contains(&sent, b"GPS 48.8584"));
    }

    #[wasm_bindgen_test]
    async fn a_transparent_png_stays_png_when_downscaled() {
        let blob = drawn(1000, 500, "image/png", false, true).await;
        let options = ImageOptions {
            max_edge: 400,
            ..ImageOptions::default()
        };
        let image = process(&blob, "logo.png", &options)
            .await
            .expect("processed");
        assert_eq!(
            (image.width, image.height, image.mime.as_str()),
            (400, 200, "image/png")
        );
    }

    #[wasm_bindgen_test]
    async fn an_image_over_the_byte_budget_is_shrunk_until_it_fits() {
        let blob = drawn(900, 600, "image/png", true, false).await;
        let options = ImageOptions {
            max_bytes: 64 * 1024,
            ..ImageOptions::default()
        };
        let image = process(&blob, "noise.png", &options)
            .await
            .expect("processed");
        assert!(image.bytes <= options.max_bytes, "{} bytes", image.bytes);
        let ratio = f64::from(image.width) / f64::from(image.height);
        assert!(
            (ratio - 1.5).abs() < 0.02,
            "{}×{}",
            image.width,
            image.height
        );
    }

    #[wasm_bindgen_test]
    async fn a_pdf_renamed_png_is_refused_naming_the_file() {
        let blob = blob_of(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n");
        let refusal = process(&blob, "scan.png", &ImageOptions::default())
            .await
            .expect_err("refused");
        assert_eq!(
            refusal.to_string(),
            "scan.png: This file is a PDF, not an image."
        );
    }

    #[wasm_bindgen_test]
    async fn a_corrupt_png_is_refused_as_damaged() {
        let mut bytes = read_bytes(&drawn(64, 64, "image/png", true, false).await)
            .await
            .expect("bytes");
        bytes.truncate(bytes.len() / 2);
        let refusal = process(&blob_of(&bytes), "broken.png", &ImageOptions::default())
            .await
            .expect_err("refused");
        assert!(refusal.reason.contains("damaged"), "{refusal}");
    }

    #[wasm_bindgen_test]
    async fn the_worker_redraws_at_the_requested_size() {
        let blob = drawn(640, 480, "image/png", false, false).await;
        let promise = redraw_in_worker(&blob, 320, 240, "image/jpeg", JPEG_QUALITY);
        let out: Blob = JsFuture::from(promise)
            .await
            .expect("the worker ran")
            .dyn_into()
            .expect("a blob");
        let bytes = read_bytes(&out).await.expect("bytes");
        assert_eq!(image::classify(&bytes), Ok(ImageType::Jpeg));
        assert_eq!(image::dimensions(&bytes), Ok((320, 240)));
    }

    #[wasm_bindgen_test]
    async fn the_worker_reports_a_file_it_cannot_decode() {
        let promise = redraw_in_worker(&blob_of(b"not an image"), 10, 10, "image/png", 1.0);
        let error = JsFuture::from(promise).await.expect_err("refused");
        assert_eq!(error.as_string().as_deref(), Some("decode"));
    }

    #[wasm_bindgen_test]
    async fn without_a_worker_the_page_redraws_the_same_way() {
        let blob = drawn(600, 300, "image/png", false, true).await;
        let out = redraw_here(&blob, (200, 100), ImageType::Png)
            .await
            .expect("redrawn");
        let bytes = read_bytes(&out).await.expect("bytes");
        assert_eq!(image::classify(&bytes), Ok(ImageType::Png));
        assert_eq!(image::dimensions(&bytes), Ok((200, 100)));
        assert!(image::png_has_alpha(&bytes), "the transparency is kept");
        let damaged = redraw_here(&blob_of(b"GIF89a"), (1, 1), ImageType::Png).await;
        assert_eq!(damaged.expect_err("refused"), DAMAGED);
    }

    #[wasm_bindgen_test]
    async fn send_images_take_files_blobs_and_data_urls_named_by_index() {
        let png = read_bytes(&drawn(8, 8, "image/png", false, false).await)
            .await
            .expect("bytes");
        let file = web_sys::File::new_with_u8_array_sequence(
            &js_sys::Array::of1(&Uint8Array::from(png.as_slice())),
            "dot.png",
        )
        .expect("file");
        let url = image::data_url("image/png", &png);
        let list = js_sys::Array::of3(&blob_of(&png), &file, &JsValue::from_str(&url));
        let options = ImageOptions::default();
        let sources = from_js(&list, &options).expect("accepted");
        let names: Vec<&str> = sources.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["images[0]", "images[1] (dot.png)", "images[2]"]);
        assert_eq!(
            read_bytes(&sources[2].0).await.expect("bytes"),
            png,
            "the data URL's bytes"
        );
        assert_eq!(from_js(&JsValue::UNDEFINED, &options), Ok(Vec::new()));
        let wrapped = format!("{}\r\n{}", &url[..40], &url[40..]);
        let sources = from_js(&js_sys::Array::of1(&JsValue::from_str(&wrapped)), &options)
            .expect("whitespace in the data is skipped, as atob does");
        assert_eq!(read_bytes(&sources[0].0).await.expect("bytes"), png);

        let bad = js_sys::Array::of2(&file, &JsValue::from_str("https://example.com/a.png"));
        let refusal = from_js(&bad, &options).expect_err("not a data URL");
        assert_eq!(refusal.name, "images[1]");
        assert!(refusal.reason.contains("data:"), "{refusal}");
        let number =
            from_js(&js_sys::Array::of1(&JsValue::from_f64(3.0)), &options).expect_err("a number");
        assert_eq!(
            number.to_string(),
            "images[0]: This is not a File, a Blob or a data-URL string."
        );
        assert!(
            from_js(&JsValue::from_str(&url), &options).is_err(),
            "not an array"
        );
        let few = ImageOptions {
            max_count: 1,
            ..ImageOptions::default()
        };
        let many = from_js(&js_sys::Array::of2(&file, &file), &few).expect_err("too many");
        assert_eq!(
            many.to_string(),
            "images: At most 1 images can be attached to one message."
        );
    }

    #[wasm_bindgen_test]
    async fn a_heic_photo_is_refused_with_what_to_do() {
        let blob = blob_of(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0");
        let refusal = process(&blob, "IMG_0001.HEIC", &ImageOptions::default())
            .await
            .expect_err("refused");
        assert!(refusal
            .reason
            .starts_with("HEIC/HEIF images are not supported"));
    }

    #[wasm_bindgen_test]
    async fn a_file_over_the_hard_limit_is_refused_with_its_size_and_the_limit() {
        let blob = drawn(300, 300, "image/png", true, false).await;
        let options = ImageOptions {
            max_bytes: 16 * 1024,
            hard_limit_bytes: 32 * 1024,
            ..ImageOptions::default()
        };
        let refusal = process(&blob, "big.png", &options)
            .await
            .expect_err("refused");
        assert!(refusal.reason.contains("the limit is 32.0 KB"), "{refusal}");
    }

    /// A photo-like `w`×`h` JPEG: smooth gradients with a little noise (a few MB at 12 MP).
    async fn photo(w: u32, h: u32) -> Blob {
        let canvas = OffscreenCanvas::new(w, h).expect("canvas");
        let ctx = canvas
            .get_context("2d")
            .expect("context")
            .expect("2d")
            .dyn_into::<web_sys::OffscreenCanvasRenderingContext2d>()
            .expect("2d context");
        let mut pixels = vec![255u8; (w * h * 4) as usize];
        let mut seed = 0x9E37_79B9_u32;
        for (i, px) in pixels.chunks_mut(4).enumerate() {
            let (x, y) = (i as u32 % w, i as u32 / w);
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed & 15) as u8;
            px[0] = ((x * 200 / w) as u8).wrapping_add(noise);
            px[1] = ((y * 200 / h) as u8).wrapping_add(noise);
            px[2] = (((x + y) * 100 / (w + h)) as u8).wrapping_add(noise);
        }
        let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            wasm_bindgen::Clamped(&pixels),
            w,
            h,
        )
        .expect("image data");
        ctx.put_image_data(&data, 0.0, 0.0).expect("put");
        let options = ImageEncodeOptions::new();
        options.set_type("image/jpeg");
        options.set_quality(0.92);
        JsFuture::from(
            canvas
                .convert_to_blob_with_options(&options)
                .expect("convert"),
        )
        .await
        .expect("blob")
        .dyn_into()
        .expect("a blob")
    }

    fn now() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }

    /// `FileReader.readAsDataURL` of `blob`, in ms.
    async fn file_reader_ms(blob: &Blob) -> f64 {
        let start = now();
        let reader = web_sys::FileReader::new().expect("reader");
        let done = js_sys::Promise::new(&mut |resolve, _| {
            reader.set_onload(Some(&resolve));
        });
        reader.read_as_data_url(blob).expect("read");
        JsFuture::from(done).await.expect("loaded");
        let len = reader
            .result()
            .ok()
            .and_then(|r| r.as_string())
            .map_or(0, |s| s.len());
        assert!(len > 0);
        now() - start
    }

    /// The figures for BENCHMARKS.md (run with `--include-ignored` in a release build).
    #[wasm_bindgen_test]
    #[ignore]
    async fn bench_a_12_megapixel_jpeg_and_base64_throughput() {
        let blob = photo(4000, 3000).await;
        let size = blob.size();
        // The longest time the page could not react: the biggest gap between timer ticks.
        let running = std::rc::Rc::new(std::cell::Cell::new(true));
        let longest = std::rc::Rc::new(std::cell::Cell::new(0.0f64));
        let (r, l) = (running.clone(), longest.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let mut last = now();
            while r.get() {
                gloo_timers::future::TimeoutFuture::new(0).await;
                let t = now();
                l.set(l.get().max(t - last));
                last = t;
            }
        });
        let mut totals = Vec::new();
        for _ in 0..3 {
            let start = now();
            let image = process(&blob, "photo.jpg", &ImageOptions::default())
                .await
                .expect("processed");
            totals.push(now() - start);
            assert_eq!((image.width, image.height), (2048, 1536));
        }
        running.set(false);
        gloo_timers::future::TimeoutFuture::new(5).await;
        totals.sort_by(f64::total_cmp);
        wasm_bindgen_test::console_log!(
            "BENCH 12 MP JPEG ({:.1} MB) → 2048×1536: median {:.0} ms (runs {:?}); longest main-thread gap {:.0} ms",
            size / 1e6,
            totals[1],
            totals,
            longest.get()
        );

        let bytes = read_bytes(&blob).await.expect("bytes");
        let mb = bytes.len() as f64 / 1e6;
        let mut wasm = Vec::new();
        let mut reader = Vec::new();
        for _ in 0..5 {
            let start = now();
            let url = image::data_url("image/jpeg", &bytes);
            let js = JsValue::from_str(&url);
            wasm.push(now() - start);
            assert!(js.as_string().is_some());
            reader.push(file_reader_ms(&blob_of(&bytes)).await);
        }
        wasm.sort_by(f64::total_cmp);
        reader.sort_by(f64::total_cmp);
        wasm_bindgen_test::console_log!(
            "BENCH base64 of {:.1} MB: wasm data_url (+ copy to a JS string) median {:.1} ms = {:.0} MB/s; FileReader.readAsDataURL median {:.1} ms = {:.0} MB/s",
            mb,
            wasm[2],
            mb / wasm[2] * 1e3,
            reader[2],
            mb / reader[2] * 1e3
        );
    }
}
