//! The key-holding proxy: `/proxy/<path>` from the app's own origin is forwarded to
//! `AZURE_INFERENCE_ENDPOINT/<path>` with `api-key` added server-side, and the answer is
//! streamed back unbuffered. Other origins are refused and no CORS headers are sent.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::json;

use crate::config::{ProxyConfig, CREDENTIAL_VAR, ENDPOINT_VAR};

/// Largest request body forwarded (images arrive inline as base64).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The origins (and `Host` values) that count as the app itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins {
    origins: Vec<String>,
}

impl AllowedOrigins {
    /// The app's own origins for a server listening on `host:port`: the address itself,
    /// and for loopback (or an all-interfaces address) the usual loopback spellings.
    pub fn new(host: &str, port: u16) -> Self {
        let loopback = [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
            format!("http://[::1]:{port}"),
        ];
        let origins = match host {
            "127.0.0.1" | "localhost" | "::1" | "0.0.0.0" | "::" => loopback.to_vec(),
            other if other.contains(':') => vec![format!("http://[{other}]:{port}")],
            other => vec![format!("http://{other}:{port}")],
        };
        Self { origins }
    }

    /// The main origin, as printed at start-up.
    pub fn primary(&self) -> &str {
        self.origins.first().map_or("", String::as_str)
    }

    fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    fn allows_host(&self, host: &str) -> bool {
        self.origins.iter().any(|o| {
            o.strip_prefix("http://")
                .is_some_and(|h| h.eq_ignore_ascii_case(host))
        })
    }

    /// Refuses requests another site (or a DNS-rebound name) could make.
    fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), String> {
        let text = |name: HeaderName| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let host = text(header::HOST).unwrap_or_default();
        if !self.allows_host(&host) {
            return Err(format!(
                "the Host '{host}' is not this server's own address"
            ));
        }
        match text(header::ORIGIN) {
            Some(origin) if !self.allows_origin(&origin) => {
                return Err(format!("requests from the origin '{origin}' are refused"));
            }
            Some(_) => {}
            None if method == Method::GET || method == Method::HEAD => {}
            None => return Err("a request without an Origin header must be a GET".to_owned()),
        }
        match text(HeaderName::from_static("sec-fetch-site")).as_deref() {
            None | Some("same-origin" | "none") => Ok(()),
            Some(site) => Err(format!("Sec-Fetch-Site '{site}' is refused")),
        }
    }
}

struct Upstream {
    config: ProxyConfig,
    client: reqwest::Client,
}

struct ProxyState {
    upstream: Option<Upstream>,
    origins: AllowedOrigins,
}

/// The proxy's routes. Fails only if the HTTP client cannot be built.
pub fn router(
    config: Option<ProxyConfig>,
    origins: AllowedOrigins,
) -> Result<Router, reqwest::Error> {
    let upstream = match config {
        Some(config) => Some(Upstream {
            config,
            client: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(15))
                .build()?,
        }),
        None => None,
    };
    let state = Arc::new(ProxyState { upstream, origins });
    Ok(Router::new()
        .route("/proxy", any(forward))
        .route("/proxy/{*rest}", any(forward))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state))
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Request headers passed on; everything else (cookies, client keys, hop-by-hop) is dropped.
fn forwards_request_header(name: &HeaderName) -> bool {
    let name = name.as_str();
    matches!(
        name,
        "content-type" | "accept" | "extra-parameters" | "azureml-model-deployment"
    ) || name.starts_with("x-ms-")
}

/// Response headers passed back: all but hop-by-hop, length, cookies and CORS.
fn forwards_response_header(name: &HeaderName) -> bool {
    let name = name.as_str();
    !(matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
            | "set-cookie"
    ) || name.starts_with("access-control-"))
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    if let Err(reason) = state.origins.check(request.method(), request.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "ForbiddenOrigin",
            format!(
                "The dev server proxy only answers the app's own origin ({}): {reason}.",
                state.origins.primary()
            ),
        );
    }
    let Some(upstream) = &state.upstream else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ProxyNotConfigured",
            format!(
                "The dev server proxy is not configured. Set {ENDPOINT_VAR} (e.g. \
                 https://<resource>.services.ai.azure.com/models) and {CREDENTIAL_VAR} (the key) \
                 in the dev server's environment and restart it; or use the demo endpoint at \
                 /models or /v1."
            ),
        );
    };
    let rest = request.uri().path().strip_prefix("/proxy").unwrap_or("");
    let lowered = rest.to_ascii_lowercase();
    if rest.split('/').any(|s| s == "." || s == "..") || lowered.contains("%2e") {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The proxy path must not contain dot segments.".to_owned(),
        );
    }
    let mut url = format!(
        "{}{rest}",
        upstream.config.endpoint.as_str().trim_end_matches('/')
    );
    if let Some(query) = request.uri().query() {
        url.push('?');
        url.push_str(query);
    }
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Could not read the request body: {e}"),
            )
        }
    };
    let mut outgoing = upstream.client.request(parts.method.clone(), url);
    for (name, value) in &parts.headers {
        if forwards_request_header(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    outgoing = outgoing.header("api-key", upstream.config.credential());
    if !body.is_empty() || !(parts.method == Method::GET || parts.method == Method::HEAD) {
        outgoing = outgoing.body(body);
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => {
            let host = upstream.config.endpoint.host_str().unwrap_or_default();
            eprintln!("proxy: could not reach {host}: {e}");
            return error(
                StatusCode::BAD_GATEWAY,
                "ProxyUpstreamError",
                format!("The dev server proxy could not reach {host}: {e}"),
            );
        }
    };
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if forwards_response_header(name) {
            headers.append(name, value.clone());
        }
    }
    let mut response = Response::new(Body::from_stream(answer.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn own_origin_passes_and_foreign_origins_do_not() {
        let allowed = AllowedOrigins::new("127.0.0.1", 8080);
        let own = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert!(allowed.check(&Method::POST, &own).is_ok());
        let localhost = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ]);
        assert!(allowed.check(&Method::POST, &localhost).is_ok());
        let foreign = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ]);
        assert!(allowed.check(&Method::POST, &foreign).is_err());
        let other_port = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(allowed.check(&Method::POST, &other_port).is_err());
    }

    #[test]
    fn requests_without_origin_must_be_same_origin_gets_on_our_own_host() {
        let allowed = AllowedOrigins::new("127.0.0.1", 8080);
        let plain = headers(&[("host", "127.0.0.1:8080")]);
        assert!(allowed.check(&Method::GET, &plain).is_ok());
        assert!(allowed.check(&Method::POST, &plain).is_err());
        let rebound = headers(&[("host", "evil.example:8080")]);
        assert!(allowed.check(&Method::GET, &rebound).is_err());
        let cross = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-site")]);
        assert!(allowed.check(&Method::GET, &cross).is_err());
    }

    #[test]
    fn client_credentials_and_cookies_are_not_forwarded() {
        for name in ["api-key", "authorization", "cookie", "origin", "host"] {
            assert!(
                !forwards_request_header(&HeaderName::from_static(name)),
                "{name}"
            );
        }
        for name in ["content-type", "extra-parameters", "x-ms-client-request-id"] {
            assert!(
                forwards_request_header(&HeaderName::from_static(name)),
                "{name}"
            );
        }
    }

    #[test]
    fn retry_headers_pass_back_but_cors_and_cookies_do_not() {
        for name in [
            "retry-after",
            "retry-after-ms",
            "content-type",
            "x-request-id",
        ] {
            assert!(
                forwards_response_header(&HeaderName::from_static(name)),
                "{name}"
            );
        }
        for name in [
            "access-control-allow-origin",
            "set-cookie",
            "transfer-encoding",
        ] {
            assert!(
                !forwards_response_header(&HeaderName::from_static(name)),
                "{name}"
            );
        }
    }
}
