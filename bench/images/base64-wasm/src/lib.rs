//! Bench-only entry points: `chat_core::image::data_url`, the encoder the component uses for
//! every image it sends, called the way the app calls it (bytes copied into wasm memory,
//! the URL built there), with and without handing the result to JS as a string.

use wasm_bindgen::prelude::*;

/// The data URL of `bytes`, returned to JS as a string (what the app's thumbnail and
/// request body get): copy in, encode, copy out.
#[wasm_bindgen]
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    chat_core::image::data_url(mime, bytes)
}

/// The length of the data URL of `bytes`: copy in and encode, no JS string.
#[wasm_bindgen]
pub fn data_url_len(mime: &str, bytes: &[u8]) -> usize {
    chat_core::image::data_url(mime, bytes).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_the_standard_base64_of_the_bytes() {
        assert_eq!(
            data_url("image/png", b"\x89PNG"),
            "data:image/png;base64,iVBORw=="
        );
        assert_eq!(data_url_len("image/png", b"\x89PNG"), 30);
    }
}
