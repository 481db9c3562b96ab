//! The Responses API request: transcript entries become `input` items, the options become
//! its body keys (flat function tools, `max_output_tokens`, `text.format`, `reasoning`), and
//! a [`Chain`] decides how much of the history is sent and whether the server keeps it.

use serde_json::{Map, Value};

use crate::error::{ChatError, ErrorKind};
use crate::request::{
    check_options, ChatOptions, Endpoint, HttpRequest, Method, Params, ResponseFormat,
};
use crate::transcript::Entry;
use crate::types::{Content, ImageDetail, Message, Part, ToolChoice};

/// How much of the conversation a request sends, and whether the server stores the reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Chain {
    /// The whole history with `store: false`: nothing is kept on the server.
    #[default]
    Full,
    /// `store: true`, and only the entries after the last assistant entry with a
    /// `response_id`, chained to it by `previous_response_id` (the whole history when no
    /// entry has one).
    AfterLastStored,
    /// The whole history with `store: true`: a new chain, after the server answered that
    /// the previous response is unknown
    /// ([`is_unknown_previous_response`](super::is_unknown_previous_response)).
    Restart,
}

/// Body keys the Responses request sets itself besides the standard ones (an extra
/// parameter may not use them either).
const OWN_KEYS: &[&str] = &[
    "input",
    "instructions",
    "store",
    "previous_response_id",
    "max_output_tokens",
    "text",
];

/// The first standard parameter that is set and that the Responses API does not have.
fn chat_only_param(params: &Params) -> Option<&'static str> {
    [
        ("stop", params.stop.is_some()),
        ("presence_penalty", params.presence_penalty.is_some()),
        ("frequency_penalty", params.frequency_penalty.is_some()),
        ("seed", params.seed.is_some()),
    ]
    .into_iter()
    .find_map(|(name, set)| set.then_some(name))
}

/// The entries to send and the response they continue, for `chain`.
fn chained(entries: &[Entry], chain: Chain) -> (&[Entry], Option<&str>) {
    if chain != Chain::AfterLastStored {
        return (entries, None);
    }
    let last_stored = entries.iter().enumerate().rev().find_map(|(i, e)| {
        match (&e.message, e.response_id.as_deref()) {
            (Message::Assistant { .. }, Some(id)) if !id.is_empty() => Some((i, id)),
            _ => None,
        }
    });
    match last_stored {
        Some((i, id)) => (&entries[i + 1..], Some(id)),
        None => (entries, None),
    }
}

/// Sets `key` of a JSON object: one call per key, where `json!` and `Map::insert` expand the
/// key's allocation and the insertion at every use (less code in the wasm).
#[inline(never)]
fn put(object: &mut Map<String, Value>, key: &str, value: Value) {
    object.insert(key.to_owned(), value);
}

/// An object of type `kind`, with `put` to add the rest.
fn typed(kind: &str) -> Map<String, Value> {
    let mut object = Map::new();
    put(&mut object, "type", Value::from(kind));
    object
}

fn detail_name(detail: Option<ImageDetail>) -> &'static str {
    match detail {
        None | Some(ImageDetail::Auto) => "auto",
        Some(ImageDetail::Low) => "low",
        Some(ImageDetail::High) => "high",
    }
}

/// A user or system message's content as `input_text` / `input_image` parts (images as the
/// data URLs or https URLs the entry holds).
fn input_parts(content: &Content) -> Value {
    let parts: Vec<Value> = match content {
        Content::Text(text) => vec![input_text(text)],
        Content::Parts(parts) => parts
            .iter()
            .map(|part| match part {
                Part::Text { text } => input_text(text),
                Part::ImageUrl { image_url } => {
                    let mut part = typed("input_image");
                    put(&mut part, "image_url", Value::from(image_url.url.as_str()));
                    put(
                        &mut part,
                        "detail",
                        Value::from(detail_name(image_url.detail)),
                    );
                    Value::Object(part)
                }
            })
            .collect(),
    };
    Value::Array(parts)
}

fn input_text(text: &str) -> Value {
    let mut part = typed("input_text");
    put(&mut part, "text", Value::from(text));
    Value::Object(part)
}

fn message_item(role: &str, content: Value) -> Value {
    let mut item = typed("message");
    put(&mut item, "role", Value::from(role));
    put(&mut item, "content", content);
    Value::Object(item)
}

/// The `input` items of one message: a `message` item, and for an assistant's tool calls a
/// `function_call` item each; a tool result is a `function_call_output` item.
fn push_items(message: &Message, items: &mut Vec<Value>) {
    match message {
        Message::System { content, .. } => items.push(message_item("system", input_parts(content))),
        Message::User { content, .. } => items.push(message_item("user", input_parts(content))),
        Message::Assistant {
            content,
            tool_calls,
            ..
        } => {
            let text = content.text();
            if !text.is_empty() {
                let mut part = typed("output_text");
                put(&mut part, "text", Value::from(text));
                items.push(message_item(
                    "assistant",
                    Value::Array(vec![Value::Object(part)]),
                ));
            }
            for call in tool_calls.iter().flatten() {
                let mut item = typed("function_call");
                put(&mut item, "call_id", Value::from(call.id.as_str()));
                put(&mut item, "name", Value::from(call.function.name.as_str()));
                put(
                    &mut item,
                    "arguments",
                    Value::from(call.function.arguments.as_str()),
                );
                items.push(Value::Object(item));
            }
        }
        Message::Tool {
            content,
            tool_call_id,
        } => {
            let mut item = typed("function_call_output");
            put(&mut item, "call_id", Value::from(tool_call_id.as_str()));
            put(&mut item, "output", Value::from(content.text()));
            items.push(Value::Object(item));
        }
    }
}

/// `text.format` for a response format.
fn text_format(format: &ResponseFormat) -> Value {
    match format {
        ResponseFormat::Text => Value::Object(typed("text")),
        ResponseFormat::JsonObject => Value::Object(typed("json_object")),
        ResponseFormat::JsonSchema { json_schema } => {
            let mut flat = typed("json_schema");
            if let Value::Object(fields) = json_schema {
                flat.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Value::Object(flat)
        }
    }
}

fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => Value::from("auto"),
        ToolChoice::None => Value::from("none"),
        ToolChoice::Required => Value::from("required"),
        ToolChoice::Function(name) => {
            let mut choice = typed("function");
            put(&mut choice, "name", Value::from(name.as_str()));
            Value::Object(choice)
        }
    }
}

/// Builds the Responses API request for a reply to `entries`. Parameters the API lacks
/// (`stop`, penalties, `seed`) are refused, naming the parameter. The system prompt is the
/// `instructions` (sent with every request: a chained response does not inherit them);
/// `system_as_user` and `include_usage` do not apply (usage always comes with the response).
pub fn responses_request(
    endpoint: &Endpoint,
    options: &ChatOptions,
    entries: &[Entry],
    chain: Chain,
) -> Result<HttpRequest, ChatError> {
    endpoint.validate()?;
    if let Some(name) = chat_only_param(&options.params) {
        return Err(ChatError::invalid_input(
            name,
            format!(
                "The Responses API has no {name} parameter. Clear it, or choose a chat-completions API style."
            ),
        ));
    }
    let (sent, previous) = chained(entries, chain);
    check_options(options, sent.is_empty(), OWN_KEYS)?;

    let mut items = Vec::with_capacity(sent.len());
    for entry in sent {
        push_items(&entry.message, &mut items);
    }
    let mut body = Map::new();
    if let Some(model) = &endpoint.model {
        put(&mut body, "model", Value::String(model.trim().to_owned()));
    }
    put(&mut body, "input", Value::Array(items));
    if let Some(prompt) = options
        .system_prompt
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        put(&mut body, "instructions", Value::from(prompt));
    }
    put(&mut body, "store", Value::Bool(chain != Chain::Full));
    if let Some(id) = previous {
        put(&mut body, "previous_response_id", Value::from(id));
    }
    if options.stream {
        put(&mut body, "stream", Value::Bool(true));
    }
    if !options.tools.is_empty() {
        // Flat function tools; `strict: false` keeps chat completions' meaning (the
        // Responses API is strict unless told otherwise, which rejects many schemas).
        let tools = options
            .tools
            .iter()
            .map(|t| {
                let mut tool = typed("function");
                put(&mut tool, "name", Value::from(t.name.as_str()));
                if let Some(description) = &t.description {
                    put(&mut tool, "description", Value::from(description.as_str()));
                }
                put(&mut tool, "parameters", t.parameters.clone());
                put(&mut tool, "strict", Value::Bool(false));
                Value::Object(tool)
            })
            .collect();
        put(&mut body, "tools", Value::Array(tools));
        if let Some(choice) = &options.tool_choice {
            put(&mut body, "tool_choice", tool_choice(choice));
        }
    }
    let params = &options.params;
    if let Some(max) = params.max_tokens {
        put(&mut body, "max_output_tokens", Value::from(max));
    }
    if let Some(t) = params.temperature {
        put(&mut body, "temperature", Value::from(t));
    }
    if let Some(p) = params.top_p {
        put(&mut body, "top_p", Value::from(p));
    }
    if let Some(format) = &params.response_format {
        let mut text = Map::new();
        put(&mut text, "format", text_format(format));
        put(&mut body, "text", Value::Object(text));
    }
    if let Some(reasoning) = &params.reasoning {
        let value = serde_json::to_value(reasoning)
            .map_err(|e| ChatError::new(ErrorKind::InvalidInput, e.to_string()))?;
        put(&mut body, "reasoning", value);
    }
    body.extend(
        options
            .extra_params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );

    Ok(HttpRequest {
        method: Method::Post,
        url: endpoint.url("/responses", false),
        headers: endpoint.post_headers(options.stream),
        body: Some(Value::Object(body).to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ApiStyle, Auth, Reasoning, ReasoningEffort, ReasoningSummary, Stop};
    use crate::stream::Reply;
    use crate::tools::ToolDefinition;
    use crate::types::{ImageUrl, ToolCall};
    use serde_json::json;

    fn endpoint() -> Endpoint {
        let mut e = Endpoint::new(
            "https://res.openai.azure.com/openai/v1/",
            ApiStyle::Responses,
        );
        e.auth = Auth::ApiKey("k3y".into());
        e.model = Some("gpt-4.1-nano".into());
        e
    }

    fn body(req: &HttpRequest) -> Value {
        serde_json::from_str(req.body.as_deref().unwrap()).unwrap()
    }

    fn send(options: &ChatOptions, entries: &[Entry], chain: Chain) -> Value {
        body(&responses_request(&endpoint(), options, entries, chain).unwrap())
    }

    fn user(id: &str, text: &str) -> Entry {
        Entry::new(id, Message::user(text))
    }

    fn reply(id: &str, text: &str, response_id: Option<&str>) -> Entry {
        let mut e = Entry::new(id, Message::assistant(text));
        e.response_id = response_id.map(str::to_owned);
        e
    }

    #[test]
    fn a_text_turn_posts_to_responses_with_api_key_store_false_and_instructions() {
        let opts = ChatOptions {
            system_prompt: Some("  Be brief. ".into()),
            ..ChatOptions::default()
        };
        let req = responses_request(&endpoint(), &opts, &[user("u1", "Hi")], Chain::Full).unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "https://res.openai.azure.com/openai/v1/responses");
        assert_eq!(req.header("api-key"), Some("k3y"));
        assert_eq!(req.header("authorization"), None);
        assert_eq!(req.header("accept"), Some("text/event-stream"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(
            body(&req),
            json!({
                "model": "gpt-4.1-nano",
                "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
                "instructions": "Be brief.",
                "store": false,
                "stream": true,
            })
        );
        let mut bearer = endpoint();
        bearer.auth = Auth::Bearer("tok".into());
        let req = responses_request(&bearer, &opts, &[user("u1", "Hi")], Chain::Full).unwrap();
        assert_eq!(req.header("authorization"), Some("Bearer tok"));
        assert_eq!(req.header("api-key"), None);
        assert!(!req.url.contains("api-version"));
    }

    #[test]
    fn a_non_streamed_request_asks_for_json_and_omits_stream() {
        let opts = ChatOptions {
            stream: false,
            ..ChatOptions::default()
        };
        let req = responses_request(&endpoint(), &opts, &[user("u1", "Hi")], Chain::Full).unwrap();
        assert_eq!(req.header("accept"), Some("application/json"));
        let b = body(&req);
        assert!(b.get("stream").is_none() && b.get("stream_options").is_none());
    }

    #[test]
    fn parameters_map_to_their_responses_names() {
        let opts = ChatOptions {
            params: Params {
                temperature: Some(0.2),
                top_p: Some(0.9),
                max_tokens: Some(300),
                response_format: Some(ResponseFormat::JsonObject),
                reasoning: Some(Reasoning {
                    effort: Some(ReasoningEffort::Low),
                    summary: Some(ReasoningSummary::Auto),
                }),
                ..Params::default()
            },
            ..ChatOptions::default()
        };
        let b = send(&opts, &[user("u1", "x")], Chain::Full);
        assert_eq!(b["max_output_tokens"], 300);
        assert!(b.get("max_tokens").is_none());
        assert_eq!(b["temperature"], 0.2);
        assert_eq!(b["top_p"], 0.9);
        assert_eq!(b["text"], json!({"format": {"type": "json_object"}}));
        assert!(b.get("response_format").is_none());
        assert_eq!(b["reasoning"], json!({"effort": "low", "summary": "auto"}));
        assert!(!b.to_string().contains("null"));
    }

    #[test]
    fn a_json_schema_format_is_flattened_into_text_format() {
        let opts = ChatOptions {
            params: Params {
                response_format: Some(ResponseFormat::JsonSchema {
                    json_schema: json!({"name": "answer", "schema": {"type": "object"}, "strict": true}),
                }),
                ..Params::default()
            },
            ..ChatOptions::default()
        };
        let b = send(&opts, &[user("u1", "x")], Chain::Full);
        assert_eq!(
            b["text"]["format"],
            json!({"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true})
        );
    }

    #[test]
    fn parameters_the_responses_api_lacks_are_refused_naming_them() {
        let cases = [
            (
                Params {
                    stop: Some(Stop::One("END".into())),
                    ..Params::default()
                },
                "stop",
            ),
            (
                Params {
                    presence_penalty: Some(0.5),
                    ..Params::default()
                },
                "presence_penalty",
            ),
            (
                Params {
                    frequency_penalty: Some(0.5),
                    ..Params::default()
                },
                "frequency_penalty",
            ),
            (
                Params {
                    seed: Some(7),
                    ..Params::default()
                },
                "seed",
            ),
        ];
        for (params, name) in cases {
            let opts = ChatOptions {
                params,
                ..ChatOptions::default()
            };
            let e =
                responses_request(&endpoint(), &opts, &[user("u1", "x")], Chain::Full).unwrap_err();
            assert_eq!(
                (e.kind, e.param.as_deref()),
                (ErrorKind::InvalidInput, Some(name))
            );
            assert!(e.message.contains(name), "{}", e.message);
        }
    }

    #[test]
    fn tools_are_flat_and_a_named_tool_choice_is_flat_too() {
        let mut opts = ChatOptions {
            tool_choice: Some(ToolChoice::Function("get_time".into())),
            ..ChatOptions::default()
        };
        let without = send(&opts, &[user("u1", "x")], Chain::Full);
        assert!(without.get("tools").is_none() && without.get("tool_choice").is_none());
        opts.tools.push(ToolDefinition::new(
            "get_time",
            "Current time",
            json!({"type": "object", "properties": {}}),
        ));
        let b = send(&opts, &[user("u1", "x")], Chain::Full);
        assert_eq!(
            b["tools"],
            json!([{"type": "function", "name": "get_time", "description": "Current time", "parameters": {"type": "object", "properties": {}}, "strict": false}])
        );
        assert_eq!(
            b["tool_choice"],
            json!({"type": "function", "name": "get_time"})
        );
        opts.tool_choice = Some(ToolChoice::Required);
        assert_eq!(
            send(&opts, &[user("u1", "x")], Chain::Full)["tool_choice"],
            "required"
        );
        opts.tools.push(ToolDefinition::new(
            "bad name",
            "",
            json!({"type": "object"}),
        ));
        let e = responses_request(&endpoint(), &opts, &[user("u1", "x")], Chain::Full).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("tools"));
    }

    #[test]
    fn a_tool_round_becomes_function_call_and_function_call_output_items() {
        let mut calling = Entry::new(
            "a1",
            Message::Assistant {
                content: Content::Text("Let me check.".into()),
                tool_calls: Some(vec![
                    ToolCall::function("call_1", "get_time", "{}"),
                    ToolCall::function("call_2", "get_weather", r#"{"city":"Paris"}"#),
                ]),
                name: None,
            },
        );
        calling.reasoning = Some("thinking".into());
        let entries = [
            user("u1", "time and weather?"),
            calling,
            Entry::new("t1", Message::tool("call_1", "12:00")),
            Entry::new("t2", Message::tool("call_2", r#"{"sky":"clear"}"#)),
        ];
        let b = send(&ChatOptions::default(), &entries, Chain::Full);
        assert_eq!(
            b["input"],
            json!([
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "time and weather?"}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
                {"type": "function_call", "call_id": "call_1", "name": "get_time", "arguments": "{}"},
                {"type": "function_call", "call_id": "call_2", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "12:00"},
                {"type": "function_call_output", "call_id": "call_2", "output": "{\"sky\":\"clear\"}"},
            ])
        );
        assert!(!b.to_string().contains("thinking"));
    }

    #[test]
    fn images_are_input_image_parts_with_their_data_url_and_detail() {
        let image = |detail| Part::ImageUrl {
            image_url: ImageUrl {
                url: "data:image/png;base64,iVBORw0KGgo=".into(),
                detail,
            },
        };
        let entry = Entry::new(
            "u1",
            Message::User {
                content: Content::Parts(vec![
                    Part::Text {
                        text: "What is this?".into(),
                    },
                    image(Some(ImageDetail::Low)),
                    image(None),
                ]),
                name: None,
            },
        );
        let b = send(&ChatOptions::default(), &[entry], Chain::Full);
        assert_eq!(
            b["input"][0]["content"],
            json!([
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"},
            ])
        );
    }

    #[test]
    fn chaining_sends_the_items_after_the_last_stored_reply_with_its_id() {
        let entries = [
            user("u1", "one"),
            reply("a1", "1", Some("resp_1")),
            user("u2", "two"),
            reply("a2", "2", Some("resp_2")),
            user("u3", "three"),
        ];
        let b = send(&ChatOptions::default(), &entries, Chain::AfterLastStored);
        assert_eq!(b["store"], true);
        assert_eq!(b["previous_response_id"], "resp_2");
        assert_eq!(
            b["input"],
            json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "three"}]}])
        );
        let full = send(&ChatOptions::default(), &entries, Chain::Full);
        assert_eq!(full["store"], false);
        assert!(full.get("previous_response_id").is_none());
        assert_eq!(full["input"].as_array().unwrap().len(), 5);
        let restart = send(&ChatOptions::default(), &entries, Chain::Restart);
        assert_eq!(restart["store"], true);
        assert!(restart.get("previous_response_id").is_none());
        assert_eq!(restart["input"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn chaining_without_a_stored_reply_sends_everything_and_stores_it() {
        let entries = [user("u1", "one"), reply("a1", "1", None), user("u2", "two")];
        let b = send(&ChatOptions::default(), &entries, Chain::AfterLastStored);
        assert_eq!(b["store"], true);
        assert!(b.get("previous_response_id").is_none());
        assert_eq!(b["input"].as_array().unwrap().len(), 3);
        let e = responses_request(
            &endpoint(),
            &ChatOptions::default(),
            &[user("u1", "one"), reply("a1", "1", Some("resp_1"))],
            Chain::AfterLastStored,
        )
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages"));
    }

    #[test]
    fn tool_results_after_a_stored_call_are_sent_alone_with_its_id() {
        let mut calling = Entry::from_reply(
            "a1",
            &Reply {
                tool_calls: vec![ToolCall::function("call_1", "get_time", "{}")],
                response_id: Some("resp_1".into()),
                ..Reply::default()
            },
        );
        calling.model = Some("gpt".into());
        let entries = [
            user("u1", "time?"),
            calling,
            Entry::new("t1", Message::tool("call_1", "12:00")),
        ];
        let b = send(&ChatOptions::default(), &entries, Chain::AfterLastStored);
        assert_eq!(b["previous_response_id"], "resp_1");
        assert_eq!(
            b["input"],
            json!([{"type": "function_call_output", "call_id": "call_1", "output": "12:00"}])
        );
    }

    #[test]
    fn a_conversation_started_in_chat_style_continues_in_the_responses_style() {
        // Entries as a chat-completions turn left them: no response ids, a system entry from
        // the host page, an assistant that only called a tool.
        let entries = [
            Entry::new("s1", Message::system("You are terse.")),
            user("u1", "time?"),
            Entry::new(
                "a1",
                Message::Assistant {
                    content: Content::default(),
                    tool_calls: Some(vec![ToolCall::function("call_9", "get_time", "{}")]),
                    name: None,
                },
            ),
            Entry::new("t1", Message::tool("call_9", "12:00")),
            reply("a2", "It is noon.", None),
            user("u2", "thanks"),
        ];
        let chat = crate::request::chat_request(
            &Endpoint::new("https://x/openai/v1", ApiStyle::OpenAi),
            &ChatOptions::default(),
            &crate::transcript::to_wire(&entries),
        )
        .unwrap();
        assert_eq!(body(&chat)["messages"].as_array().unwrap().len(), 6);
        let b = send(&ChatOptions::default(), &entries, Chain::AfterLastStored);
        assert_eq!(
            b["input"],
            json!([
                {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "You are terse."}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "time?"}]},
                {"type": "function_call", "call_id": "call_9", "name": "get_time", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "call_9", "output": "12:00"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "It is noon."}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "thanks"}]},
            ])
        );
    }

    #[test]
    fn extra_params_merge_unless_they_collide_with_a_key_the_request_sets() {
        let mut opts = ChatOptions::default();
        opts.extra_params.insert("truncation".into(), json!("auto"));
        let b = send(&opts, &[user("u1", "x")], Chain::Full);
        assert_eq!(b["truncation"], "auto");
        for key in [
            "store",
            "max_output_tokens",
            "temperature",
            "input",
            "reasoning",
        ] {
            let mut opts = ChatOptions::default();
            opts.extra_params.insert(key.into(), json!(1));
            let e =
                responses_request(&endpoint(), &opts, &[user("u1", "x")], Chain::Full).unwrap_err();
            assert_eq!(e.param.as_deref(), Some("extra_params"), "{key}");
            assert!(e.message.contains(key), "{}", e.message);
        }
    }

    #[test]
    fn settings_are_validated_before_sending() {
        let mut e = endpoint();
        e.base_url = "ftp://x".into();
        let err = responses_request(&e, &ChatOptions::default(), &[user("u1", "x")], Chain::Full)
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("endpoint"));
        let opts = ChatOptions {
            params: Params {
                temperature: Some(3.0),
                ..Params::default()
            },
            ..ChatOptions::default()
        };
        let err =
            responses_request(&endpoint(), &opts, &[user("u1", "x")], Chain::Full).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("temperature"));
        let err =
            responses_request(&endpoint(), &ChatOptions::default(), &[], Chain::Full).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages"));
    }
}
