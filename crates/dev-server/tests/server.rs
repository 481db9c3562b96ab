//! End-to-end tests: the server runs in-process on an ephemeral port and is driven with a
//! real HTTP client (static files, both demo API styles, scripted behaviours, the proxy).

mod common;
use common::start;

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dev_server::{DemoConfig, ProxyConfig, ServerConfig};
use futures_util::stream;
use image::{ImageBuffer, ImageFormat, Rgb};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Notify};

const KEY: &str = "demo-key";

fn dist_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dev-server-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let files: [(&str, &[u8]); 11] = [
        ("index.html", b"<!doctype html><title>app</title>"),
        ("embed.html", b"<!doctype html><title>embed</title>"),
        ("app_bg.wasm", b"\0asm\x01\0\0\0"),
        // the precompressed twins scripts/build.sh writes (contents only told apart here)
        ("app_bg.wasm.br", b"brotli bytes"),
        ("app_bg.wasm.gz", b"gzip bytes"),
        ("chunk-0123456789abcdef.wasm", b"\0asm\x01\0\0\0"),
        ("foundry-chat.js", b"export {};"),
        ("style.css", b"body{}"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("icon.png", b"\x89PNG"),
        ("manifest.json", b"{}"),
    ];
    assert!(std::fs::create_dir_all(&dir).is_ok());
    for (name, bytes) in files {
        assert!(std::fs::write(dir.join(name), bytes).is_ok());
    }
    dir
}

fn config(delay_ms: u64, proxy: Option<ProxyConfig>) -> ServerConfig {
    ServerConfig {
        host: "127.0.0.1".to_owned(),
        port: 0,
        dist: dist_dir(),
        demo: DemoConfig {
            key: KEY.to_owned(),
            delay: Duration::from_millis(delay_ms),
        },
        proxy,
    }
}

async fn demo() -> String {
    start(config(0, None)).await
}

async fn post_json(url: &str, body: Value) -> reqwest::Response {
    match Client::new()
        .post(url)
        .header("api-key", KEY)
        .json(&body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

async fn json_of(response: reqwest::Response) -> Value {
    match response.json().await {
        Ok(v) => v,
        Err(e) => panic!("not JSON: {e}"),
    }
}

/// The `data:` payloads of an SSE body, in order.
fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|block| block.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

fn chunks(data: &[String]) -> Vec<Value> {
    data.iter()
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap_or(Value::Null))
        .collect()
}

fn content_of(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| {
            c.pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
        })
        .collect()
}

async fn stream_text(base: &str, path: &str, body: Value) -> (String, HeaderMap) {
    let response = post_json(&format!("{base}{path}"), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    (response.text().await.unwrap_or_default(), headers)
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

const AZURE_CHAT: &str = "/models/chat/completions?api-version=2024-05-01-preview";

fn flight_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "get_flight_info",
        "description": "Returns information about the next flight between two cities.",
        "parameters": {"type": "object", "properties": {
            "origin_city": {"type": "string", "description": "The name of the city where the flight originates"},
            "destination_city": {"type": "string", "description": "The flight destination city"}},
            "required": ["origin_city", "destination_city"]}}})
}

#[tokio::test]
async fn static_files_are_served_with_correct_mime_types() {
    let base = demo().await;
    let client = Client::new();
    for (path, mime) in [
        ("/", "text/html"),
        ("/embed.html", "text/html"),
        ("/app_bg.wasm", "application/wasm"),
        ("/foundry-chat.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/logo.svg", "image/svg+xml"),
        ("/icon.png", "image/png"),
        ("/manifest.json", "application/json"),
    ] {
        let response = client.get(format!("{base}{path}")).send().await;
        let Ok(response) = response else {
            panic!("{path}: request failed")
        };
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap_or_default();
        assert!(content_type.starts_with(mime), "{path}: {content_type}");
        let cache = response
            .headers()
            .get("cache-control")
            .map(|v| v.as_bytes().to_vec());
        assert_eq!(cache.is_some(), mime == "text/html", "{path}");
    }
    let missing = client.get(format!("{base}/nope.js")).send().await;
    assert_eq!(
        missing.map(|r| r.status()).ok(),
        Some(StatusCode::NOT_FOUND)
    );
}

#[tokio::test]
async fn precompressed_twins_are_served_by_accept_encoding_and_hashed_names_cached_for_good() {
    let base = demo().await;
    let client = Client::new();
    for (accept, encoding, body) in [
        ("br, gzip", Some("br"), &b"brotli bytes"[..]),
        ("gzip", Some("gzip"), &b"gzip bytes"[..]),
        ("identity", None, &b"\0asm\x01\0\0\0"[..]),
    ] {
        let response = client
            .get(format!("{base}/app_bg.wasm"))
            .header("accept-encoding", accept)
            .send()
            .await;
        let Ok(response) = response else {
            panic!("{accept}: request failed")
        };
        let headers = response.headers().clone();
        assert_eq!(
            headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            encoding,
            "{accept}"
        );
        assert_eq!(headers["content-type"], "application/wasm", "{accept}");
        assert!(
            headers.get("cache-control").is_none(),
            "not hashed: {accept}"
        );
        let bytes = response.bytes().await.unwrap_or_default();
        assert_eq!(&bytes[..], body, "{accept}");
    }
    let hashed = client
        .get(format!("{base}/chunk-0123456789abcdef.wasm"))
        .send()
        .await;
    let cache = hashed
        .ok()
        .and_then(|r| r.headers().get("cache-control").cloned());
    assert_eq!(
        cache.as_ref().and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn missing_or_wrong_keys_get_401_with_the_vendor_body() {
    let base = demo().await;
    let client = Client::new();
    let body = json!({"messages": user("hi")});
    let attempts = [
        client.post(format!("{base}{AZURE_CHAT}")).json(&body),
        client
            .post(format!("{base}/v1/chat/completions"))
            .header("api-key", "wrong")
            .json(&body),
        client
            .post(format!("{base}/v1/chat/completions"))
            .bearer_auth("wrong")
            .json(&body),
        client.get(format!("{base}/v1/models")),
    ];
    for attempt in attempts {
        let Ok(response) = attempt.send().await else {
            panic!("request failed")
        };
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body = json_of(response).await;
        assert_eq!(body["error"]["code"], "401");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("invalid")));
    }
    let bearer = client
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await;
    assert_eq!(bearer.map(|r| r.status()).ok(), Some(StatusCode::OK));
}

#[tokio::test]
async fn azure_stream_has_role_chunk_tokens_finish_and_done_without_usage_chunk() {
    let base = demo().await;
    let (text, headers) = stream_text(
        &base,
        AZURE_CHAT,
        json!({"messages": user("hello"), "stream": true}),
    )
    .await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks = chunks(&data);
    assert!(chunks.len() > 10);
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "demo");
        assert_eq!(chunk["choices"].as_array().map(Vec::len), Some(1));
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    let last = &chunks[chunks.len() - 1];
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    let tokens = chunks.len() as u64 - 2;
    assert_eq!(last["usage"]["completion_tokens"], tokens);
    assert!(content_of(&chunks).contains("scripted"));
    assert!(chunks
        .iter()
        .all(|c| !c["choices"].as_array().is_some_and(Vec::is_empty)));
}

#[tokio::test]
async fn openai_stream_sends_a_usage_only_chunk_when_asked() {
    let base = demo().await;
    for path in ["/v1/chat/completions", "/openai/v1/chat/completions"] {
        let body = json!({"messages": user("markdown"), "stream": true,
                          "stream_options": {"include_usage": true}});
        let (text, _) = stream_text(&base, path, body).await;
        let data = sse_data(&text);
        assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
        let chunks = chunks(&data);
        let usage = &chunks[chunks.len() - 1];
        assert_eq!(usage["choices"], json!([]));
        let content_chunks = chunks.len() as u64 - 3;
        assert_eq!(usage["usage"]["completion_tokens"], content_chunks);
        assert_eq!(usage["usage"]["prompt_tokens"], 1);
        let finish = &chunks[chunks.len() - 2];
        assert_eq!(finish["choices"][0]["finish_reason"], "stop");
        assert_eq!(finish["choices"][0]["delta"], json!({}));
        let content = content_of(&chunks);
        for construct in ["# ", "| Model |", "```rust", "> ", "[link", "1. "] {
            assert!(content.contains(construct), "{construct}");
        }
    }
}

#[tokio::test]
async fn non_streaming_reply_is_a_completion_with_usage() {
    let base = demo().await;
    let body = json!({"messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "How many languages?"}]});
    let reply = json_of(post_json(&format!("{base}{AZURE_CHAT}"), body).await).await;
    assert_eq!(reply["object"], "chat.completion");
    assert_eq!(reply["choices"][0]["message"]["role"], "assistant");
    assert_eq!(reply["choices"][0]["finish_reason"], "stop");
    assert_eq!(reply["usage"]["prompt_tokens"], 5);
    let completion = reply["usage"]["completion_tokens"].as_u64().unwrap_or(0);
    assert!(completion > 10);
    assert_eq!(reply["usage"]["total_tokens"], completion + 5);
}

#[tokio::test]
async fn info_and_models_describe_the_scripted_demo() {
    let base = demo().await;
    let client = Client::new();
    let get = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("api-key", KEY)
            .send()
    };
    let info = get("/models/info?api-version=2024-05-01-preview").await;
    let Ok(info) = info else {
        panic!("info failed")
    };
    assert_eq!(
        json_of(info).await,
        json!({"model_name": "demo (scripted, no model)", "model_type": "chat-completions",
               "model_provider_name": "foundry-chat demo"})
    );
    let Ok(models) = get("/openai/v1/models").await else {
        panic!("models failed")
    };
    let models = json_of(models).await;
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "demo");
    assert_eq!(models["data"][0]["owned_by"], "foundry-chat demo");
    let Ok(no_version) = get("/models/info").await else {
        panic!("info failed")
    };
    assert_eq!(no_version.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_of(no_version).await["error"]["code"],
        "MissingApiVersionParameter"
    );
}

#[tokio::test]
async fn flight_tool_round_trip_matches_the_reference() {
    let base = demo().await;
    let mut messages = json!([
        {"role": "system", "content": "You are a helpful assistant that help users to find information about traveling."},
        {"role": "user", "content": "When is the next flight from Miami to Seattle?"}
    ]);
    let body = json!({"messages": messages, "tool_choice": "auto", "tools": [flight_tool()]});
    let reply = json_of(post_json(&format!("{base}{AZURE_CHAT}"), body).await).await;
    assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls");
    let message = &reply["choices"][0]["message"];
    assert_eq!(message["content"], "");
    let call = &message["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_flight_info");
    assert_eq!(
        call["function"]["arguments"],
        "{\"origin_city\": \"Miami\", \"destination_city\": \"Seattle\"}"
    );
    let id = call["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("call_"));

    let result = "{ \"info\": \"There are no flights available from Miami to Seattle. You should take a train, specially if it helps to reduce CO2 emissions.\" }";
    if let Some(list) = messages.as_array_mut() {
        list.push(message.clone());
        list.push(json!({"role": "tool", "content": result, "tool_call_id": id}));
    }
    let body = json!({"messages": messages, "tool_choice": "auto", "tools": [flight_tool()], "stream": true});
    let (text, _) = stream_text(&base, AZURE_CHAT, body).await;
    let chunks = chunks(&sse_data(&text));
    assert!(content_of(&chunks).contains(&format!("The tool get_flight_info returned: {result}")));
    assert_eq!(
        chunks[chunks.len() - 1]["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn streamed_parallel_tool_calls_open_with_id_and_name_then_argument_fragments() {
    let base = demo().await;
    let body = json!({"messages": user("parallel: flights from Oslo to Rome"),
                      "tools": [flight_tool()], "stream": true});
    let (text, _) = stream_text(&base, "/v1/chat/completions", body).await;
    let chunks = chunks(&sse_data(&text));
    let mut ids = Vec::new();
    let mut arguments = [String::new(), String::new()];
    for chunk in &chunks {
        let Some(calls) = chunk
            .pointer("/choices/0/delta/tool_calls")
            .and_then(Value::as_array)
        else {
            continue;
        };
        for call in calls {
            let index = call["index"].as_u64().unwrap_or(9) as usize;
            if let Some(id) = call["id"].as_str() {
                assert_eq!(call["function"]["name"], "get_flight_info");
                assert_eq!(call["function"]["arguments"], "");
                assert_eq!(call["type"], "function");
                ids.push(id.to_owned());
            } else if let (Some(fragment), Some(slot)) = (
                call["function"]["arguments"].as_str(),
                arguments.get_mut(index),
            ) {
                slot.push_str(fragment);
            }
        }
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        arguments[0],
        "{\"origin_city\": \"Oslo\", \"destination_city\": \"Rome\"}"
    );
    assert_eq!(
        arguments[1],
        "{\"origin_city\": \"Rome\", \"destination_city\": \"Oslo\"}"
    );
    assert_eq!(
        chunks[chunks.len() - 1]["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

fn image_url(format: ImageFormat, mime: &str, width: u32, height: u32) -> (String, usize) {
    let img = ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x % 251) as u8, (y % 251) as u8, 90])
    });
    let mut bytes = Vec::new();
    assert!(img.write_to(&mut Cursor::new(&mut bytes), format).is_ok());
    (
        format!("data:{mime};base64,{}", STANDARD.encode(&bytes)),
        bytes.len(),
    )
}

#[tokio::test]
async fn images_are_described_with_their_decoded_size() {
    let base = demo().await;
    let (png, png_bytes) = image_url(ImageFormat::Png, "image/png", 640, 480);
    let (jpeg, jpeg_bytes) = image_url(ImageFormat::Jpeg, "image/jpeg", 33, 21);
    let body = json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": png}},
        {"type": "image_url", "image_url": {"url": jpeg, "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAA="}}
    ]}]});
    let reply = json_of(post_json(&format!("{base}/v1/chat/completions"), body).await).await;
    let content = reply["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    let lines: Vec<&str> = content.lines().collect();
    assert_eq!(
        lines[0],
        format!("Image 1: 640×480 pixels, {png_bytes} bytes (image/png).")
    );
    assert_eq!(
        lines[1],
        format!("Image 2: 33×21 pixels, {jpeg_bytes} bytes (image/jpeg).")
    );
    assert!(lines[2].starts_with("Image 3: corrupt"), "{}", lines[2]);
}

#[tokio::test]
async fn json_object_response_format_gives_valid_json() {
    let base = demo().await;
    let body = json!({"messages": user("markdown please"), "response_format": {"type": "json_object"},
                      "stream": true});
    let (text, _) = stream_text(&base, AZURE_CHAT, body).await;
    let content = content_of(&chunks(&sse_data(&text)));
    let parsed: Value = serde_json::from_str(&content).unwrap_or(Value::Null);
    assert_eq!(parsed["demo"], true);
    assert!(parsed["answer"]
        .as_str()
        .is_some_and(|a| a.contains("| Model |")));
}

#[tokio::test]
async fn small_max_tokens_emits_exactly_that_many_and_finishes_with_length() {
    let base = demo().await;
    let body = json!({"messages": user("long"), "max_tokens": 12, "stream": true,
                      "stream_options": {"include_usage": true}});
    let (text, _) = stream_text(&base, "/v1/chat/completions", body).await;
    let chunks = chunks(&sse_data(&text));
    let content_chunks = chunks
        .iter()
        .filter(|c| {
            c.pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        })
        .count();
    assert_eq!(content_chunks, 12);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "length"
    );
    assert_eq!(chunks[chunks.len() - 1]["usage"]["completion_tokens"], 12);
}

#[tokio::test]
async fn content_filter_trigger_is_a_400_in_the_vendor_shape() {
    let base = demo().await;
    let response = post_json(
        &format!("{base}{AZURE_CHAT}"),
        json!({"messages": user("Content filter me")}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], "content_filter");
    assert_eq!(body["error"]["param"], "prompt");
    assert_eq!(body["error"]["status"], 400);
    assert_eq!(
        body["error"]["innererror"]["code"],
        "ResponsibleAIPolicyViolation"
    );
    assert_eq!(
        body["error"]["innererror"]["content_filter_result"]["violence"]["filtered"],
        true
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_headers_then_the_retry_succeeds() {
    let base = demo().await;
    let body = json!({"messages": user("rate limit test"), "stream": true});
    let first = post_json(&format!("{base}{AZURE_CHAT}"), body.clone()).await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.headers()["retry-after"], "2");
    assert_eq!(first.headers()["retry-after-ms"], "2000");
    let exposed = first.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(exposed.contains("retry-after-ms"));
    assert_eq!(json_of(first).await["error"]["code"], "429");
    let retry = post_json(&format!("{base}{AZURE_CHAT}"), body).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let text = retry.text().await.unwrap_or_default();
    assert!(text.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn unknown_deployments_and_scripted_errors_have_their_statuses() {
    let base = demo().await;
    let url = format!("{base}/v1/chat/completions");
    let missing = post_json(
        &url,
        json!({"messages": user("hi"), "model": "missing-deployment"}),
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_of(missing).await["error"]["code"],
        "DeploymentNotFound"
    );
    let not_found = post_json(&url, json!({"messages": user("not found")})).await;
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    let server_error = post_json(&url, json!({"messages": user("server error")})).await;
    assert_eq!(server_error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let unsupported = post_json(&url, json!({"messages": user("unsupported param")})).await;
    assert_eq!(unsupported.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json_of(unsupported).await["error"]["details"][0]["loc"],
        json!(["body", "logprobs"])
    );
}

#[tokio::test]
async fn extra_parameters_need_pass_through_in_the_azure_style() {
    let base = demo().await;
    let body = json!({"messages": user("hi"), "logprobs": true});
    let refused = post_json(&format!("{base}{AZURE_CHAT}"), body.clone()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = Client::new()
        .post(format!("{base}{AZURE_CHAT}"))
        .header("api-key", KEY)
        .header("extra-parameters", "pass-through")
        .json(&body)
        .send()
        .await;
    let Ok(accepted) = accepted else {
        panic!("request failed")
    };
    let reply = json_of(accepted).await;
    let content = reply["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(content.contains("`logprobs`"), "{content}");
}

#[tokio::test]
async fn drop_cuts_the_stream_so_the_client_sees_a_body_error() {
    let base = demo().await;
    let response = post_json(
        &format!("{base}/v1/chat/completions"),
        json!({"messages": user("drop"), "stream": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut response = response;
    let mut received = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => received.extend_from_slice(&bytes),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    assert!(error.is_some(), "the body ended cleanly");
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("\"content\""));
    assert!(!text.contains("[DONE]") && !text.contains("finish_reason\":\"stop"));
}

#[tokio::test]
async fn stream_error_and_stream_filter_end_the_stream_their_way() {
    let base = demo().await;
    let (text, _) = stream_text(
        &base,
        AZURE_CHAT,
        json!({"messages": user("stream error"), "stream": true}),
    )
    .await;
    let data = sse_data(&text);
    let last: Value =
        serde_json::from_str(data.last().map_or("", String::as_str)).unwrap_or(Value::Null);
    assert_eq!(last["error"]["code"], "server_error");
    let (text, _) = stream_text(
        &base,
        AZURE_CHAT,
        json!({"messages": user("stream filter"), "stream": true}),
    )
    .await;
    let chunks = chunks(&sse_data(&text));
    assert_eq!(
        chunks[chunks.len() - 1]["choices"][0]["finish_reason"],
        "content_filter"
    );
}

#[tokio::test]
async fn cors_preflight_allows_any_origin_and_the_needed_headers() {
    let base = demo().await;
    let response = Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{base}/models/chat/completions?api-version=1"),
        )
        .header("origin", "https://host.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "api-key, content-type")
        .send()
        .await;
    let Ok(response) = response else {
        panic!("preflight failed")
    };
    assert!(response.status().is_success());
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("access-control-allow-origin"), "*");
    for allowed in [
        "api-key",
        "authorization",
        "content-type",
        "extra-parameters",
    ] {
        assert!(
            header("access-control-allow-headers").contains(allowed),
            "{allowed}"
        );
    }
    assert!(header("access-control-allow-methods").contains("POST"));
}

#[tokio::test]
async fn streaming_is_incremental_not_buffered() {
    let base = start(config(20, None)).await;
    let body = json!({"messages": user("hello"), "stream": true, "max_tokens": 30});
    let mut response = post_json(&format!("{base}/v1/chat/completions"), body).await;
    let mut arrivals = Vec::new();
    while let Ok(Some(_)) = response.chunk().await {
        arrivals.push(Instant::now());
    }
    assert!(arrivals.len() > 20, "{} network chunks", arrivals.len());
    let spread = arrivals[arrivals.len() - 1] - arrivals[0];
    assert!(spread > Duration::from_millis(400), "{spread:?}");
}

/// A fake upstream: records what it received and streams three chunks, the last only after
/// `release` is notified.
async fn fake_upstream(seen: Arc<Mutex<Vec<(String, HeaderMap)>>>, release: Arc<Notify>) -> String {
    let app = Router::new().route(
        "/models/chat/completions",
        post(move |uri: axum::http::Uri, headers: HeaderMap| {
            let seen = seen.clone();
            let release = release.clone();
            async move {
                seen.lock().await.push((uri.to_string(), headers));
                let parts = stream::unfold(0, move |i| {
                    let release = release.clone();
                    async move {
                        match i {
                            0 => Some((Ok::<_, std::io::Error>("data: {\"first\":true}\n\n"), 1)),
                            1 => {
                                release.notified().await;
                                Some((Ok("data: [DONE]\n\n"), 2))
                            }
                            _ => None,
                        }
                    }
                });
                let mut response = Response::new(Body::from_stream(parts));
                *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
                let headers = response.headers_mut();
                headers.insert(
                    "content-type",
                    axum::http::HeaderValue::from_static("text/event-stream"),
                );
                headers.insert("retry-after", axum::http::HeaderValue::from_static("7"));
                headers.insert(
                    "access-control-allow-origin",
                    axum::http::HeaderValue::from_static("*"),
                );
                response
            }
        }),
    );
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/models")
}

#[tokio::test]
async fn proxy_injects_the_key_and_streams_the_answer_through() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(Notify::new());
    let upstream = fake_upstream(seen.clone(), release.clone()).await;
    let proxy = ProxyConfig::new(&upstream, "secret-key").ok();
    assert!(proxy.is_some());
    let base = start(config(0, proxy)).await;
    let response = Client::new()
        .post(format!(
            "{base}/proxy/chat/completions?api-version=2024-05-01-preview"
        ))
        .header("origin", &base)
        .header("api-key", "client-sent")
        .header("authorization", "Bearer client-token")
        .header("extra-parameters", "pass-through")
        .json(&json!({"messages": user("hi"), "stream": true}))
        .send()
        .await;
    let Ok(mut response) = response else {
        panic!("proxy request failed")
    };
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // The first chunk arrives while the upstream is still holding back the rest.
    let first = tokio::time::timeout(Duration::from_secs(5), response.chunk()).await;
    let first = first
        .ok()
        .and_then(Result::ok)
        .flatten()
        .unwrap_or_default();
    assert_eq!(&first[..], b"data: {\"first\":true}\n\n");
    release.notify_one();
    let rest = response.text().await.unwrap_or_default();
    assert_eq!(rest, "data: [DONE]\n\n");

    let seen = seen.lock().await;
    let (uri, headers) = &seen[0];
    assert_eq!(
        uri,
        "/models/chat/completions?api-version=2024-05-01-preview"
    );
    assert_eq!(headers["api-key"], "secret-key");
    assert_eq!(headers.get_all("api-key").iter().count(), 1);
    assert!(headers.get("authorization").is_none());
    assert!(headers.get("origin").is_none());
    assert_eq!(headers["extra-parameters"], "pass-through");
}

#[tokio::test]
async fn proxy_refuses_foreign_origins_without_cors_headers() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let upstream = fake_upstream(seen.clone(), Arc::new(Notify::new())).await;
    let base = start(config(0, ProxyConfig::new(&upstream, "secret-key").ok())).await;
    let response = Client::new()
        .post(format!("{base}/proxy/chat/completions?api-version=1"))
        .header("origin", "https://evil.example")
        .json(&json!({"messages": user("hi")}))
        .send()
        .await;
    let Ok(response) = response else {
        panic!("request failed")
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let body = response.text().await.unwrap_or_default();
    assert!(!body.contains("secret-key"));
    assert!(seen.lock().await.is_empty());
}

#[tokio::test]
async fn unconfigured_proxy_answers_503_saying_how_to_configure_it() {
    let base = demo().await;
    let response = Client::new()
        .post(format!("{base}/proxy/chat/completions"))
        .header("origin", &base)
        .json(&json!({"messages": user("hi")}))
        .send()
        .await;
    let Ok(response) = response else {
        panic!("request failed")
    };
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_of(response).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("AZURE_INFERENCE_ENDPOINT")
            && message.contains("AZURE_INFERENCE_CREDENTIAL")
    );
}

#[tokio::test]
async fn stall_sends_a_few_tokens_then_keeps_the_connection_silent() {
    let base = demo().await;
    let body = json!({"messages": user("stall"), "stream": true});
    let mut response = post_json(&format!("{base}/v1/chat/completions"), body).await;
    let mut received = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(600), response.chunk()).await {
            Ok(Ok(Some(bytes))) => received.extend_from_slice(&bytes),
            Ok(other) => panic!("the stream ended instead of stalling: {other:?}"),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("\"content\""));
    assert!(!text.contains("[DONE]") && !text.contains("finish_reason\":\"stop"));
}
