//! A tolerant, typed view of a chat-completions request body (kept as `serde_json::Value`
//! on the wire so unknown shapes never stop the demo), plus the checks the real service makes.

use serde_json::Value;

use super::errors::VendorError;
use super::tokens::count_words;

/// Top-level keys the Azure AI Model Inference API accepts without `extra-parameters`.
const AZURE_KNOWN_KEYS: &[&str] = &[
    "messages",
    "model",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "response_format",
    "tools",
    "tool_choice",
];

/// Which API the request came in through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiStyle {
    /// `/models/chat/completions?api-version=…`
    AzureInference,
    /// `/v1/chat/completions`, `/openai/v1/chat/completions`
    OpenAi,
}

/// The chat request, reduced to what the script looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: Option<String>,
    pub stream: bool,
    pub include_usage: bool,
    pub max_tokens: Option<u64>,
    pub json_mode: bool,
    pub tools: Vec<ToolDef>,
    pub tool_choice: ToolChoice,
    /// Reasoning asked for by a parameter (the Responses API's `reasoning.summary`).
    pub reasoning: bool,
    pub messages: Vec<Message>,
    /// Top-level keys outside the Azure AI Model Inference parameter list.
    pub extra_keys: Vec<String>,
}

/// One offered function tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub parameters: Value,
}

/// The `tool_choice` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    Named(String),
}

/// A message's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
    Other,
}

/// One message, reduced to its text, images and tool links.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    /// The string content, or the text parts joined with newlines.
    pub text: String,
    /// URLs of `image_url` parts, in order.
    pub images: Vec<String>,
    /// For tool messages: the call answered.
    pub tool_call_id: Option<String>,
    /// For assistant messages: `(id, function name)` of each tool call.
    pub tool_calls: Vec<(String, String)>,
}

impl ChatRequest {
    /// Reads a request body; a body the real service would reject is a 422/400.
    pub fn parse(body: &Value) -> Result<Self, VendorError> {
        let Some(object) = body.as_object() else {
            return Err(VendorError::bad_request(
                "The request body must be a JSON object.",
            ));
        };
        let messages = match object.get("messages") {
            None => {
                return Err(VendorError::invalid_input(
                    &["body", "messages"],
                    "field required",
                    "value_error.missing",
                ))
            }
            Some(Value::Array(list)) if !list.is_empty() => list
                .iter()
                .enumerate()
                .map(|(i, m)| Message::parse(i, m))
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(VendorError::invalid_input(
                    &["body", "messages"],
                    "ensure this value is a non-empty list",
                    "value_error.list.min_items",
                ))
            }
        };
        let stream = match object.get("stream") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(VendorError::invalid_input(
                    &["body", "stream"],
                    "value could not be parsed to a boolean",
                    "type_error.bool",
                ))
            }
        };
        let max_tokens = match object
            .get("max_tokens")
            .or_else(|| object.get("max_completion_tokens"))
        {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                VendorError::invalid_input(
                    &["body", "max_tokens"],
                    "ensure this value is a positive integer",
                    "value_error.number.not_gt",
                )
            })?),
        };
        let include_usage = object
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let json_mode = object
            .get("response_format")
            .and_then(|f| f.get("type"))
            .and_then(Value::as_str)
            == Some("json_object");
        let tools = object
            .get("tools")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(ToolDef::parse).collect())
            .unwrap_or_default();
        let tool_choice = match object.get("tool_choice") {
            Some(Value::String(s)) if s == "none" => ToolChoice::None,
            Some(Value::String(s)) if s == "required" => ToolChoice::Required,
            Some(v @ Value::Object(_)) => v
                .pointer("/function/name")
                .and_then(Value::as_str)
                .map_or(ToolChoice::Auto, |n| ToolChoice::Named(n.to_owned())),
            _ => ToolChoice::Auto,
        };
        let extra_keys = object
            .keys()
            .filter(|k| !AZURE_KNOWN_KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        Ok(Self {
            model: object
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_owned),
            stream,
            include_usage,
            max_tokens,
            json_mode,
            tools,
            tool_choice,
            reasoning: false,
            messages,
            extra_keys,
        })
    }

    /// The text of the last user message (triggers are looked for here).
    pub fn last_user_text(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map_or("", |m| m.text.as_str())
    }

    /// Rough prompt size: words in all messages.
    pub fn prompt_tokens(&self) -> u64 {
        self.messages.iter().map(|m| count_words(&m.text)).sum()
    }

    /// The name of the function called by `call_id`, from earlier assistant messages.
    pub fn tool_name_for(&self, call_id: &str) -> Option<&str> {
        self.messages
            .iter()
            .flat_map(|m| m.tool_calls.iter())
            .find(|(id, _)| id == call_id)
            .map(|(_, name)| name.as_str())
    }
}

impl ToolDef {
    fn parse(value: &Value) -> Option<Self> {
        let function = value.get("function")?;
        Some(Self {
            name: function.get("name")?.as_str()?.to_owned(),
            parameters: function.get("parameters").cloned().unwrap_or(Value::Null),
        })
    }
}

impl Message {
    fn parse(index: usize, value: &Value) -> Result<Self, VendorError> {
        let loc_index = index.to_string();
        let role = match value.get("role").and_then(Value::as_str) {
            Some("system" | "developer") => Role::System,
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            Some("tool") => Role::Tool,
            Some(_) => Role::Other,
            None => {
                return Err(VendorError::invalid_input(
                    &["body", "messages", &loc_index, "role"],
                    "field required",
                    "value_error.missing",
                ))
            }
        };
        let mut text = String::new();
        let mut images = Vec::new();
        match value.get("content") {
            Some(Value::String(s)) => text.push_str(s),
            Some(Value::Array(parts)) => {
                for part in parts {
                    if let Some(t) = part.get("text").and_then(Value::as_str) {
                        if !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(t);
                    } else if let Some(url) = part.pointer("/image_url/url").and_then(Value::as_str)
                    {
                        images.push(url.to_owned());
                    }
                }
            }
            _ => {}
        }
        let tool_calls = value
            .get("tool_calls")
            .and_then(Value::as_array)
            .map(|calls| {
                calls
                    .iter()
                    .filter_map(|c| {
                        let id = c.get("id")?.as_str()?;
                        let name = c.pointer("/function/name")?.as_str()?;
                        Some((id.to_owned(), name.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            role,
            text,
            images,
            tool_call_id: value
                .get("tool_call_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            tool_calls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_parts_images_and_options_are_read() {
        let body = json!({
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}
                ]}
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": 5,
            "response_format": {"type": "json_object"},
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "logprobs": true
        });
        let Ok(req) = ChatRequest::parse(&body) else {
            panic!("valid body rejected");
        };
        assert!(req.stream && req.include_usage && req.json_mode);
        assert_eq!(req.max_tokens, Some(5));
        assert_eq!(req.last_user_text(), "What is this?");
        assert_eq!(req.messages[1].images, ["data:image/png;base64,AA=="]);
        assert_eq!(req.tool_choice, ToolChoice::Named("f".into()));
        assert_eq!(req.extra_keys, ["logprobs"]);
        assert_eq!(req.prompt_tokens(), 5);
    }

    #[test]
    fn missing_or_empty_messages_are_invalid_input() {
        for body in [
            json!({}),
            json!({"messages": []}),
            json!({"messages": "hi"}),
        ] {
            let err = ChatRequest::parse(&body).err();
            assert_eq!(err.map(|e| e.status.as_u16()), Some(422), "{body}");
        }
    }

    #[test]
    fn a_non_object_body_is_a_bad_request() {
        let err = ChatRequest::parse(&json!([1, 2])).err();
        assert_eq!(err.map(|e| e.status.as_u16()), Some(400));
    }

    #[test]
    fn tool_names_are_found_from_earlier_assistant_calls() {
        let body = json!({"messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_flight_info", "arguments": "{}"}}
            ]},
            {"role": "tool", "content": "{}", "tool_call_id": "call_1"}
        ]});
        let Ok(req) = ChatRequest::parse(&body) else {
            panic!("valid body rejected");
        };
        assert_eq!(req.tool_name_for("call_1"), Some("get_flight_info"));
        assert_eq!(req.tool_name_for("call_2"), None);
    }
}
