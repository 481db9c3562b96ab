//! The Responses API request: transcript entries become `input` items, the options become
//! its body keys (flat function tools, `max_output_tokens`, `text.format`, `reasoning`), and
//! a [`Chain`] decides how much of the history is sent and whether the server keeps it.

use serde_json::{json, Map, Value};

use crate::error::{ChatError, ErrorKind};
use crate::request::{
    is_standard_key, ChatOptions, Endpoint, HttpRequest, Method, Params, ResponseFormat,
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
        Content::Text(text) => vec![json!({"type": "input_text", "text": text})],
        Content::Parts(parts) => parts
            .iter()
            .map(|part| match part {
                Part::Text { text } => json!({"type": "input_text", "text": text}),
                Part::ImageUrl { image_url } => json!({
                    "type": "input_image",
                    "image_url": image_url.url,
                    "detail": detail_name(image_url.detail),
                }),
            })
            .collect(),
    };
    Value::Array(parts)
}

/// The `input` items of one message: a `message` item, and for an assistant's tool calls a
/// `function_call` item each; a tool result is a `function_call_output` item.
fn push_items(message: &Message, items: &mut Vec<Value>) {
    match message {
        Message::System { content, .. } => items.push(json!({
            "type": "message", "role": "system", "content": input_parts(content),
        })),
        Message::User { content, .. } => items.push(json!({
            "type": "message", "role": "user", "content": input_parts(content),
        })),
        Message::Assistant {
            content,
            tool_calls,
            ..
        } => {
            let text = content.text();
            if !text.is_empty() {
                items.push(json!({
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text}],
                }));
            }
            for call in tool_calls.iter().flatten() {
                items.push(json!({
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.function.name,
                    "arguments": call.function.arguments,
                }));
            }
        }
        Message::Tool {
            content,
            tool_call_id,
        } => items.push(json!({
            "type": "function_call_output",
            "call_id": tool_call_id,
            "output": content.text(),
        })),
    }
}

/// `text.format` for a response format.
fn text_format(format: &ResponseFormat) -> Value {
    match format {
        ResponseFormat::Text => json!({"type": "text"}),
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema { json_schema } => {
            let mut flat = Map::new();
            flat.insert("type".into(), Value::from("json_schema"));
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
        ToolChoice::Function(name) => json!({"type": "function", "name": name}),
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
    options.params.validate()?;
    let (sent, previous) = chained(entries, chain);
    if sent.is_empty() {
        return Err(ChatError::invalid_input(
            "messages",
            "There is no message to send.",
        ));
    }
    if let Some(error) = options.tools.iter().find_map(|t| t.validate_name().err()) {
        return Err(ChatError::invalid_input("tools", error.to_string()));
    }
    if let Some(key) = options
        .extra_params
        .keys()
        .find(|k| is_standard_key(k) || OWN_KEYS.contains(&k.as_str()))
    {
        return Err(ChatError::invalid_input(
            "extra_params",
            format!("Extra parameter {key:?} is a standard parameter; set it in the parameters instead."),
        ));
    }

    let mut items = Vec::with_capacity(sent.len());
    for entry in sent {
        push_items(&entry.message, &mut items);
    }
    let mut body = Map::new();
    if let Some(model) = &endpoint.model {
        body.insert("model".into(), Value::String(model.trim().to_owned()));
    }
    body.insert("input".into(), Value::Array(items));
    if let Some(prompt) = options
        .system_prompt
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        body.insert("instructions".into(), Value::from(prompt));
    }
    body.insert("store".into(), Value::Bool(chain != Chain::Full));
    if let Some(id) = previous {
        body.insert("previous_response_id".into(), Value::from(id));
    }
    if options.stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    if !options.tools.is_empty() {
        // Flat function tools; `strict: false` keeps chat completions' meaning (the
        // Responses API is strict unless told otherwise, which rejects many schemas).
        let tools = options
            .tools
            .iter()
            .map(|t| {
                let mut tool = Map::new();
                tool.insert("type".into(), Value::from("function"));
                tool.insert("name".into(), Value::from(t.name.as_str()));
                if let Some(description) = &t.description {
                    tool.insert("description".into(), Value::from(description.as_str()));
                }
                tool.insert("parameters".into(), t.parameters.clone());
                tool.insert("strict".into(), Value::Bool(false));
                Value::Object(tool)
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        if let Some(choice) = &options.tool_choice {
            body.insert("tool_choice".into(), tool_choice(choice));
        }
    }
    let params = &options.params;
    if let Some(max) = params.max_tokens {
        body.insert("max_output_tokens".into(), Value::from(max));
    }
    if let Some(t) = params.temperature {
        body.insert("temperature".into(), Value::from(t));
    }
    if let Some(p) = params.top_p {
        body.insert("top_p".into(), Value::from(p));
    }
    if let Some(format) = &params.response_format {
        body.insert("text".into(), json!({ "format": text_format(format) }));
    }
    if let Some(reasoning) = &params.reasoning {
        let value = serde_json::to_value(reasoning)
            .map_err(|e| ChatError::new(ErrorKind::InvalidInput, e.to_string()))?;
        body.insert("reasoning".into(), value);
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
