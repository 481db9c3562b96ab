//! The built app from `--dist`: files with MIME types from their extension (`.wasm` is
//! `application/wasm`), `/` → `index.html`; the precompressed `.br` / `.gz` twin of a file
//! (written by `scripts/build.sh`) when the request accepts that encoding, with its
//! `Content-Encoding`; `Cache-Control: no-cache` on HTML and a year, immutable, on files whose
//! name carries a content hash (a split build's chunks).

use std::path::Path;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

/// Serves `dist`; unknown paths are 404.
pub fn router(dist: &Path) -> Router {
    let files = ServeDir::new(dist).precompressed_br().precompressed_gzip();
    Router::new().fallback(move |request: Request| {
        let files = files.clone();
        async move {
            let hashed = has_content_hash(request.uri().path());
            match files.oneshot(request).await {
                Ok(response) => with_caching(response.map(Body::new), hashed),
                Err(never) => match never {},
            }
        }
    })
}

/// Whether the file name in `path` (not its folders) has a part of 16 or more hex digits
/// between `-`, `_` and `.`, as the hashed names of trunk and of a wasm split have.
fn has_content_hash(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.split(['-', '_', '.'])
        .any(|part| part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn with_caching(mut response: Response, hashed: bool) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let cache = if is_html {
        Some("no-cache")
    } else if hashed && response.status().is_success() {
        Some("public, max-age=31536000, immutable")
    } else {
        None
    };
    if let Some(value) = cache {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::has_content_hash;

    #[test]
    fn only_file_names_with_a_long_hex_part_count_as_hashed() {
        assert!(has_content_hash(
            "/foundry_chat_app-0123456789abcdef_bg.wasm"
        ));
        assert!(has_content_hash(
            "/chunks/module_1.0123456789abcdef0123.wasm"
        ));
        assert!(!has_content_hash("/foundry_chat_app_bg.wasm"));
        // a hashed folder (wasm-bindgen's snippets) does not make its files immutable
        assert!(!has_content_hash(
            "/snippets/foundry-chat-15e84d2ced7f5580/src/element.js"
        ));
        assert!(!has_content_hash("/deadbeef.js"));
        assert!(!has_content_hash("/"));
    }
}
