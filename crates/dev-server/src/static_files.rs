//! The built app from `--dist`: files with MIME types from their extension (`.wasm` is
//! `application/wasm`), `/` → `index.html`, and `Cache-Control: no-cache` on HTML.

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::middleware::map_response;
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

/// Serves `dist`; unknown paths are 404.
pub fn router(dist: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dist))
        .layer(map_response(no_cache_for_html))
}

async fn no_cache_for_html(mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}
