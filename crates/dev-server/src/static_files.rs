//! The built app from `--dist`: files with MIME types from their extension (`.wasm` is
//! `application/wasm`), `/` → `index.html`, and `Cache-Control: no-cache` on HTML.

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
    let files = ServeDir::new(dist);
    Router::new().fallback(move |request: Request| {
        let files = files.clone();
        async move {
            match files.oneshot(request).await {
                Ok(response) => no_cache_for_html(response.map(Body::new)),
                Err(never) => match never {},
            }
        }
    })
}

fn no_cache_for_html(mut response: Response) -> Response {
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
    response.into_response()
}
