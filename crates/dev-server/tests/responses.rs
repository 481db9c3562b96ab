//! End-to-end tests of the demo endpoint's Responses API: the server runs in-process on an
//! ephemeral port and is driven with a real HTTP client (events, the response object, tools,
//! reasoning, JSON mode, images, errors, incomplete and failed replies, previous_response_id,
//! both base paths and the proxy).

mod common;
use common::start;

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dev_server::{DemoConfig, ProxyConfig, ServerConfig};
use image::{ImageBuffer, ImageFormat, Rgb};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const KEY: &str = "demo-key";
const RESPONSES: &str = "/v1/responses";

fn config(proxy: Option<ProxyConfig>) -> ServerConfig {
    ServerConfig {
        host: "127.0.0.1".to_owned(),
        port: 0,
        dist: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests"),
        demo: DemoConfig {
            key: KEY.to_owned(),
            delay: Duration::ZERO,
        },
        proxy,
    }
}

async fn demo() -> String {
    start(config(None)).await
}

async fn post(url: &str, body: &Value) -> reqwest::Response {
    match Client::new()
        .post(url)
        .header("authorization", format!("Bearer {KEY}"))
        .json(body)
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

/// A non-streamed answer: status and JSON body.
async fn whole(base: &str, body: Value) -> (StatusCode, Value) {
    let response = post(&format!("{base}{RESPONSES}"), &body).await;
    let status = response.status();
    match response.json().await {
        Ok(v) => (status, v),
        Err(e) => panic!("not JSON: {e}"),
    }
}

/// A streamed answer as `(event name, data)` pairs; checks the SSE framing of each event.
async fn streamed(base: &str, mut body: Value) -> Vec<(String, Value)> {
    body["stream"] = json!(true);
    let response = post(&format!("{base}{RESPONSES}"), &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap_or_default();
    events(&text)
}

fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|block| !block.is_empty() && !block.starts_with(':'))
        .map(|block| {
            let mut name = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    name = Some(e.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str::<Value>(d).ok();
                }
            }
            let (Some(name), Some(data)) = (name, data) else {
                panic!("not an event block: {block:?}")
            };
            assert_eq!(data["type"], name.as_str(), "event name and type differ");
            (name, data)
        })
        .collect()
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

fn joined(events: &[(String, Value)], kind: &str) -> String {
    events
        .iter()
        .filter(|(n, _)| n == kind)
        .filter_map(|(_, d)| d["delta"].as_str())
        .collect()
}

fn last(events: &[(String, Value)]) -> &Value {
    match events.last() {
        Some((_, data)) => data,
        None => panic!("no events"),
    }
}

/// Concatenated `output_text` of a response object.
fn output_text(response: &Value) -> String {
    response["output"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "message")
        .flat_map(|item| item["content"].as_array().into_iter().flatten())
        .filter_map(|part| part["text"].as_str())
        .collect()
}

fn flight_tool() -> Value {
    json!({"type": "function", "name": "get_flight_info",
        "description": "Returns information about the next flight between two cities.",
        "parameters": {"type": "object", "properties": {
            "origin_city": {"type": "string"},
            "destination_city": {"type": "string"}},
            "required": ["origin_city", "destination_city"]}})
}

#[tokio::test]
async fn a_text_stream_follows_the_real_event_order_and_completes_with_usage() {
    let base = demo().await;
    let events = streamed(&base, json!({"model": "gpt-4.1", "input": "markdown"})).await;
    let order = names(&events);
    assert_eq!(
        order[..4],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        order[order.len() - 4..],
        [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    let deltas = &order[4..order.len() - 4];
    assert!(deltas.len() > 50 && deltas.iter().all(|n| *n == "response.output_text.delta"));
    let numbers: Vec<u64> = events
        .iter()
        .filter_map(|(_, d)| d["sequence_number"].as_u64())
        .collect();
    assert_eq!(numbers, (0..events.len() as u64).collect::<Vec<_>>());

    let text = joined(&events, "response.output_text.delta");
    assert!(text.starts_with("# Markdown showcase"));
    assert_eq!(events[events.len() - 4].1["text"], text.as_str());
    let created = &events[0].1["response"];
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["model"], "gpt-4.1");
    let completed = &last(&events)["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["id"], created["id"]);
    assert_eq!(output_text(completed), text);
    let usage = &completed["usage"];
    assert_eq!(usage["input_tokens"], 1);
    assert_eq!(usage["output_tokens"], deltas.len());
    assert_eq!(usage["total_tokens"], deltas.len() + 1);
    assert_eq!(usage["input_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
}

#[tokio::test]
async fn without_stream_the_answer_is_a_response_object() {
    let base = demo().await;
    let (status, object) = whole(
        &base,
        json!({"model": "m", "input": "hello", "instructions": "Be brief.",
               "metadata": {"k": "v"}, "temperature": 0.5, "user": "u1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(object["object"], "response");
    assert!(object["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("resp_")));
    assert_eq!(object["status"], "completed");
    assert_eq!(object["incomplete_details"], Value::Null);
    assert_eq!(object["error"], Value::Null);
    assert_eq!(object["instructions"], "Be brief.");
    assert_eq!(object["metadata"], json!({"k": "v"}));
    assert_eq!(object["temperature"], 0.5);
    assert_eq!(object["user"], "u1");
    assert_eq!(object["output"][0]["type"], "message");
    assert_eq!(object["output"][0]["role"], "assistant");
    assert!(output_text(&object).contains("scripted"));
    // Words of the instructions and the input.
    assert_eq!(object["usage"]["input_tokens"], 3);
}

#[tokio::test]
async fn a_tool_round_is_a_function_call_then_an_answer_from_its_output() {
    let base = demo().await;
    let events = streamed(
        &base,
        json!({"input": "Any flights from Paris to Rome?", "tools": [flight_tool()]}),
    )
    .await;
    let added = &events[2].1["item"];
    assert_eq!(added["type"], "function_call");
    assert_eq!(added["name"], "get_flight_info");
    assert_eq!(added["arguments"], "");
    let call_id = added["call_id"].as_str().unwrap_or_default().to_owned();
    assert!(call_id.starts_with("call_"));
    let arguments = joined(&events, "response.function_call_arguments.delta");
    assert_eq!(
        arguments,
        r#"{"origin_city": "Paris", "destination_city": "Rome"}"#
    );
    let done = events
        .iter()
        .find(|(n, _)| n == "response.function_call_arguments.done")
        .map(|(_, d)| d.clone())
        .unwrap_or_default();
    assert_eq!(done["arguments"], arguments.as_str());
    let completed = &last(&events)["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"].as_array().map(Vec::len), Some(1));
    assert_eq!(completed["output"][0]["arguments"], arguments.as_str());

    let (status, answer) = whole(
        &base,
        json!({"tools": [flight_tool()], "store": false, "input": [
            {"role": "user", "content": "Any flights from Paris to Rome?"},
            {"type": "function_call", "call_id": call_id, "name": "get_flight_info", "arguments": arguments},
            {"type": "function_call_output", "call_id": call_id, "output": "{\"flights\": []}"}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        output_text(&answer).starts_with("The tool get_flight_info returned: {\"flights\": []}")
    );
}

#[tokio::test]
async fn parallel_calls_are_two_items_unless_parallel_tool_calls_is_false() {
    let base = demo().await;
    let (_, both) = whole(
        &base,
        json!({"input": "parallel", "tools": [flight_tool()]}),
    )
    .await;
    let calls = both["output"].as_array().cloned().unwrap_or_default();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c["type"] == "function_call"));
    assert_ne!(calls[0]["call_id"], calls[1]["call_id"]);
    // The second call goes the other way.
    assert_eq!(
        calls[1]["arguments"],
        r#"{"origin_city": "Seattle", "destination_city": "Miami"}"#
    );
    let (_, one) = whole(
        &base,
        json!({"input": "parallel", "tools": [flight_tool()], "parallel_tool_calls": false}),
    )
    .await;
    assert_eq!(one["output"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["parallel_tool_calls"], false);
}

#[tokio::test]
async fn a_reasoning_summary_streams_before_the_answer() {
    let base = demo().await;
    let events = streamed(
        &base,
        json!({"input": "hi", "reasoning": {"effort": "low", "summary": "auto"}}),
    )
    .await;
    let order = names(&events);
    assert_eq!(
        order[2..4],
        [
            "response.output_item.added",
            "response.reasoning_summary_part.added"
        ]
    );
    assert_eq!(events[2].1["item"]["type"], "reasoning");
    let summary = joined(&events, "response.reasoning_summary_text.delta");
    assert!(summary.starts_with("The user asked me to think first."));
    let text_done = events
        .iter()
        .position(|(n, _)| n == "response.reasoning_summary_text.done");
    let part_done = events
        .iter()
        .position(|(n, _)| n == "response.reasoning_summary_part.done");
    let first_text = events
        .iter()
        .position(|(n, _)| n == "response.output_text.delta");
    assert!(text_done < part_done && part_done < first_text && text_done.is_some());
    let completed = &last(&events)["response"];
    assert_eq!(
        completed["output"][0]["summary"][0]["text"],
        summary.as_str()
    );
    assert_eq!(completed["output"][1]["type"], "message");
    assert_eq!(
        completed["reasoning"],
        json!({"effort": "low", "summary": "auto"})
    );
    let reasoning_tokens = completed["usage"]["output_tokens_details"]["reasoning_tokens"]
        .as_u64()
        .unwrap_or_default();
    assert!(reasoning_tokens > 10);

    let (_, by_trigger) = whole(&base, json!({"input": "reasoning please"})).await;
    assert_eq!(by_trigger["output"][0]["type"], "reasoning");
}

#[tokio::test]
async fn json_mode_answers_valid_json_for_json_object_and_json_schema() {
    let base = demo().await;
    for format in [
        json!({"type": "json_object"}),
        json!({"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true}),
    ] {
        let (status, object) = whole(
            &base,
            json!({"input": "Answer in JSON", "text": {"format": format.clone()}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let parsed: Value = serde_json::from_str(&output_text(&object)).unwrap_or_default();
        assert_eq!(parsed["demo"], true, "{format}");
        assert_eq!(object["text"]["format"], format);
    }
}

#[tokio::test]
async fn an_input_image_is_decoded_and_described() {
    let base = demo().await;
    let img = ImageBuffer::from_fn(4, 3, |x, y| Rgb([x as u8, y as u8, 0]));
    let mut png = Vec::new();
    assert!(img
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .is_ok());
    let url = format!("data:image/png;base64,{}", STANDARD.encode(&png));
    let (status, object) = whole(
        &base,
        json!({"input": [{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": url, "detail": "auto"}
        ]}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        output_text(&object),
        format!("Image 1: 4×3 pixels, {} bytes (image/png).", png.len())
    );
}

#[tokio::test]
async fn the_nested_chat_completions_tool_shape_is_a_400_missing_name() {
    let base = demo().await;
    let (status, body) = whole(
        &base,
        json!({"input": "hi", "tools": [{"type": "function", "function": {
            "name": "get_flight_info", "parameters": {"type": "object"}}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": {
            "message": "Missing required parameter: 'tools[0].name'.",
            "type": "invalid_request_error",
            "param": "tools[0].name",
            "code": "missing_required_parameter",
        }})
    );
}

#[tokio::test]
async fn chat_completions_parameters_are_unknown_parameters() {
    let base = demo().await;
    let (status, body) = whole(&base, json!({"input": "hi", "stop": ["\n"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": {
            "message": "Unknown parameter: 'stop'.",
            "type": "invalid_request_error",
            "param": "stop",
            "code": "unknown_parameter",
        }})
    );
    for key in ["seed", "presence_penalty", "frequency_penalty", "messages"] {
        let mut request = json!({"input": "hi"});
        request[key] = json!(1);
        let (status, body) = whole(&base, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["param"], key);
        assert_eq!(body["error"]["code"], "unknown_parameter");
    }
}

#[tokio::test]
async fn max_output_tokens_ends_incomplete_after_exactly_that_many_tokens() {
    let base = demo().await;
    let events = streamed(&base, json!({"input": "long", "max_output_tokens": 16})).await;
    let deltas = names(&events)
        .iter()
        .filter(|n| **n == "response.output_text.delta")
        .count();
    assert_eq!(deltas, 16);
    let end = last(&events);
    assert_eq!(end["type"], "response.incomplete");
    assert_eq!(end["response"]["status"], "incomplete");
    assert_eq!(
        end["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(end["response"]["output"][0]["status"], "incomplete");
    assert_eq!(end["response"]["usage"]["output_tokens"], 16);

    let (_, object) = whole(&base, json!({"input": "long", "max_output_tokens": 16})).await;
    assert_eq!(object["status"], "incomplete");
    assert_eq!(object["incomplete_details"]["reason"], "max_output_tokens");
}

#[tokio::test]
async fn content_filters_are_a_400_before_streaming_or_an_incomplete_stream() {
    let base = demo().await;
    let response = post(
        &format!("{base}{RESPONSES}"),
        &json!({"input": "content filter", "stream": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "content_filter");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "prompt");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("content management policy")));

    let events = streamed(&base, json!({"input": "stream filter"})).await;
    let deltas = names(&events)
        .iter()
        .filter(|n| **n == "response.output_text.delta")
        .count();
    assert_eq!(deltas, 6);
    let end = last(&events);
    assert_eq!(end["type"], "response.incomplete");
    assert_eq!(
        end["response"]["incomplete_details"],
        json!({"reason": "content_filter"})
    );
}

#[tokio::test]
async fn a_stream_error_is_a_response_failed_event_with_the_error() {
    let base = demo().await;
    let events = streamed(&base, json!({"input": "stream error"})).await;
    assert!(!names(&events).contains(&"response.output_text.done"));
    assert!(!joined(&events, "response.output_text.delta").is_empty());
    let end = last(&events);
    assert_eq!(end["type"], "response.failed");
    assert_eq!(end["response"]["status"], "failed");
    assert_eq!(end["response"]["error"]["code"], "server_error");
    assert!(end["response"]["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("scripted demo error")));

    let (status, body) = whole(&base, json!({"input": "stream error"})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["type"], "server_error");
}

#[tokio::test]
async fn scripted_errors_keep_their_status_and_retry_after_in_the_openai_shape() {
    let base = demo().await;
    let request = json!({"input": "rate limit"});
    let limited = post(&format!("{base}{RESPONSES}"), &request).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "2");
    assert_eq!(limited.headers()["retry-after-ms"], "2000");
    let body: Value = limited.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    let (status, _) = whole(&base, request).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = whole(&base, json!({"input": "not found"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "DeploymentNotFound");
    let (status, body) = whole(&base, json!({"input": "server error"})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], "server_error");
    let (status, body) = whole(&base, json!({"input": "unsupported param"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "logprobs");
}

#[tokio::test]
async fn a_drop_cuts_the_stream_without_a_final_event() {
    let base = demo().await;
    let response = post(
        &format!("{base}{RESPONSES}"),
        &json!({"input": "drop", "stream": true}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let Err(error) = response.text().await else {
        panic!("the body should end with an error")
    };
    assert!(error.is_body() || error.is_decode(), "{error}");
}

#[tokio::test]
async fn previous_response_id_continues_the_stored_conversation() {
    let base = demo().await;
    let (_, first) = whole(
        &base,
        json!({"input": "Any flights from Paris to Rome?", "tools": [flight_tool()]}),
    )
    .await;
    let id = first["id"].as_str().unwrap_or_default().to_owned();
    let call_id = first["output"][0]["call_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Only the new item: the function name comes from the stored conversation.
    let events = streamed(
        &base,
        json!({"previous_response_id": id, "tools": [flight_tool()], "input": [
            {"type": "function_call_output", "call_id": call_id, "output": "{\"flights\": 0}"}
        ]}),
    )
    .await;
    let completed = &last(&events)["response"];
    assert_eq!(completed["previous_response_id"], id.as_str());
    assert!(
        output_text(completed).starts_with("The tool get_flight_info returned: {\"flights\": 0}")
    );
    // The stored question counts towards the input.
    assert!(completed["usage"]["input_tokens"].as_u64() > Some(6));
}

#[tokio::test]
async fn an_unknown_or_unstored_previous_response_is_a_400() {
    let base = demo().await;
    let (status, body) = whole(
        &base,
        json!({"input": "hi", "previous_response_id": "resp_x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": {
            "message": "Previous response with id 'resp_x' not found.",
            "type": "invalid_request_error",
            "param": "previous_response_id",
            "code": "previous_response_not_found",
        }})
    );
    let (_, unstored) = whole(&base, json!({"input": "hi", "store": false})).await;
    assert_eq!(unstored["store"], false);
    let (status, _) = whole(
        &base,
        json!({"input": "hi", "previous_response_id": unstored["id"]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn forget_responses_clears_the_store_so_the_full_history_fallback_runs() {
    let base = demo().await;
    let (_, first) = whole(&base, json!({"input": "hello"})).await;
    let id = first["id"].clone();
    let (status, _) = whole(&base, json!({"input": "again", "previous_response_id": id})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = whole(
        &base,
        json!({"input": "please forget responses", "previous_response_id": id}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "previous_response_not_found");
    // The client's fallback: the full history, no previous_response_id.
    let (status, object) = whole(
        &base,
        json!({"input": [
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hi."}]},
            {"role": "user", "content": "please forget responses"}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(object["status"], "completed");
}

#[tokio::test]
async fn both_base_paths_answer_and_both_need_the_key() {
    let base = demo().await;
    for path in ["/v1/responses", "/openai/v1/responses"] {
        let response = post(&format!("{base}{path}"), &json!({"input": "hi"})).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.unwrap_or_default();
        assert_eq!(body["object"], "response", "{path}");
        let anonymous = Client::new()
            .post(format!("{base}{path}"))
            .json(&json!({"input": "hi"}))
            .send()
            .await
            .map(|r| r.status());
        assert_eq!(anonymous.ok(), Some(StatusCode::UNAUTHORIZED), "{path}");
    }
}

#[tokio::test]
async fn the_proxy_forwards_responses_requests_and_streams_back() {
    let upstream = demo().await;
    let proxy = ProxyConfig::new(&format!("{upstream}/openai/v1"), KEY).ok();
    assert!(proxy.is_some());
    let base = start(config(proxy)).await;
    let response = Client::new()
        .post(format!("{base}/proxy/responses"))
        .header("origin", &base)
        .json(&json!({"input": "hello", "stream": true}))
        .send()
        .await;
    let Ok(response) = response else {
        panic!("proxy request failed")
    };
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = events(&response.text().await.unwrap_or_default());
    assert_eq!(names(&events).first(), Some(&"response.created"));
    assert_eq!(last(&events)["type"], "response.completed");
}

#[tokio::test]
async fn browsers_may_call_the_responses_routes_from_any_origin() {
    let base = demo().await;
    let preflight = Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{base}/openai/v1/responses"),
        )
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "api-key, content-type")
        .send()
        .await;
    let Ok(preflight) = preflight else {
        panic!("preflight failed")
    };
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let answer = post(&format!("{base}{RESPONSES}"), &json!({"input": "hi"})).await;
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
}
