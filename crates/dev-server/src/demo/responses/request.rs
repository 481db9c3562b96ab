//! A Responses API request body, checked the way OpenAI checks it (unknown parameters, the
//! flat tool shape, typed `input` items) and reduced to the chat demo's internal request so
//! the same script answers it; plus the conversation items kept for `previous_response_id`.

use serde_json::{json, Map, Value};

use super::errors::{
    above_maximum, below_minimum, invalid_type, invalid_value, missing_parameter, not_an_object,
    unknown_parameter,
};
use crate::demo::errors::VendorError;
use crate::demo::request::{ChatRequest, Message, Role, ToolChoice, ToolDef};

/// Top-level keys accepted; any other is `unknown_parameter`.
const KNOWN_KEYS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "max_output_tokens",
    "temperature",
    "top_p",
    "text",
    "reasoning",
    "store",
    "previous_response_id",
    "metadata",
    "parallel_tool_calls",
    "user",
    "include",
    "truncation",
];

/// Part types of user, system and developer messages.
const INPUT_PARTS: &[&str] = &["input_text", "input_image", "input_file"];
/// Part types of assistant messages.
const OUTPUT_PARTS: &[&str] = &["output_text", "refusal"];

/// One conversation item, as far as the script cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A `message`: its role, text parts joined with newlines, image URLs.
    Message {
        role: Role,
        text: String,
        images: Vec<String>,
    },
    /// A `function_call` made by the assistant.
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    /// A `function_call_output` answering `call_id`.
    FunctionCallOutput { call_id: String, output: String },
}

impl Item {
    /// The chat message the script reads for this item.
    fn to_message(&self) -> Message {
        let empty = |role| Message {
            role,
            text: String::new(),
            images: Vec::new(),
            tool_call_id: None,
            tool_calls: Vec::new(),
        };
        match self {
            Self::Message { role, text, images } => Message {
                text: text.clone(),
                images: images.clone(),
                ..empty(*role)
            },
            Self::FunctionCall { call_id, name, .. } => Message {
                tool_calls: vec![(call_id.clone(), name.clone())],
                ..empty(Role::Assistant)
            },
            Self::FunctionCallOutput { call_id, output } => Message {
                text: output.clone(),
                tool_call_id: Some(call_id.clone()),
                ..empty(Role::Tool)
            },
        }
    }
}

/// The checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponsesRequest {
    /// The internal request; `messages` holds `instructions` and the new `input` only.
    pub chat: ChatRequest,
    /// The new `input` items.
    pub input: Vec<Item>,
    /// `instructions` (not carried over to a follow-up response, as in the real API).
    pub instructions: Option<String>,
    pub store: bool,
    pub previous_response_id: Option<String>,
    pub parallel_tool_calls: bool,
    /// The request's settings as the response object repeats them.
    pub echo: Map<String, Value>,
}

impl ResponsesRequest {
    /// Reads and checks a request body; a body OpenAI would refuse is a 400 in its words.
    pub fn parse(body: &Value) -> Result<Self, VendorError> {
        let Some(object) = body.as_object() else {
            return Err(not_an_object(body));
        };
        if let Some(key) = object.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            return Err(unknown_parameter(key));
        }
        let field = |key: &str| object.get(key).filter(|v| !v.is_null());
        let model = optional_string(field("model"), "model")?;
        let instructions = optional_string(field("instructions"), "instructions")?;
        let previous_response_id =
            optional_string(field("previous_response_id"), "previous_response_id")?;
        let user = optional_string(field("user"), "user")?;
        let stream = optional_bool(field("stream"), "stream")?.unwrap_or(false);
        let store = optional_bool(field("store"), "store")?.unwrap_or(true);
        let parallel_tool_calls =
            optional_bool(field("parallel_tool_calls"), "parallel_tool_calls")?.unwrap_or(true);
        let input = match field("input") {
            None if previous_response_id.is_some() => Vec::new(),
            None => return Err(missing_parameter("input")),
            Some(Value::String(text)) => vec![Item::Message {
                role: Role::User,
                text: text.clone(),
                images: Vec::new(),
            }],
            Some(Value::Array(items)) => parse_items(items)?,
            Some(other) => {
                return Err(invalid_type(
                    "input",
                    "one of a string or array of input items",
                    other,
                ))
            }
        };
        let max_output_tokens = match field("max_output_tokens") {
            None => None,
            Some(v) => match v.as_i64() {
                Some(n) if n >= 1 => u64::try_from(n).ok(),
                Some(n) => return Err(below_minimum("max_output_tokens", 1.0, n as f64, true)),
                None => return Err(invalid_type("max_output_tokens", "an integer", v)),
            },
        };
        let temperature = bounded(field("temperature"), "temperature", 2.0)?;
        let top_p = bounded(field("top_p"), "top_p", 1.0)?;
        let (tools, tools_echo) = parse_tools(field("tools"))?;
        let (tool_choice, tool_choice_echo) = parse_tool_choice(field("tool_choice"))?;
        let (json_mode, text_echo) = parse_text(field("text"))?;
        let (reasoning, reasoning_echo) = parse_reasoning(field("reasoning"))?;
        let metadata = match field("metadata") {
            None => json!({}),
            Some(m @ Value::Object(_)) => m.clone(),
            Some(other) => return Err(invalid_type("metadata", "an object", other)),
        };
        for key in ["include", "stream_options"] {
            match (key, field(key)) {
                ("include", Some(v)) if !v.is_array() => {
                    return Err(invalid_type(key, "an array", v))
                }
                ("stream_options", Some(v)) if !v.is_object() => {
                    return Err(invalid_type(key, "an object", v))
                }
                _ => {}
            }
        }
        let truncation = match field("truncation") {
            None => "disabled".to_owned(),
            Some(Value::String(t)) if t == "auto" || t == "disabled" => t.clone(),
            Some(Value::String(t)) => {
                return Err(invalid_value("truncation", t, &["auto", "disabled"]))
            }
            Some(other) => return Err(invalid_type("truncation", "a string", other)),
        };
        let model_name = model
            .clone()
            .unwrap_or_else(|| crate::demo::DEMO_MODEL.to_owned());
        let mut echo = Map::new();
        echo.insert("instructions".into(), json!(instructions));
        echo.insert("max_output_tokens".into(), json!(max_output_tokens));
        echo.insert("metadata".into(), metadata);
        echo.insert("model".into(), json!(model_name));
        echo.insert("parallel_tool_calls".into(), json!(parallel_tool_calls));
        echo.insert("previous_response_id".into(), json!(previous_response_id));
        echo.insert("reasoning".into(), reasoning_echo);
        echo.insert("store".into(), json!(store));
        echo.insert("temperature".into(), json!(temperature.unwrap_or(1.0)));
        echo.insert("text".into(), text_echo);
        echo.insert("tool_choice".into(), tool_choice_echo);
        echo.insert("tools".into(), tools_echo);
        echo.insert("top_p".into(), json!(top_p.unwrap_or(1.0)));
        echo.insert("truncation".into(), json!(truncation));
        echo.insert("user".into(), json!(user));
        let chat = ChatRequest {
            model,
            stream,
            include_usage: true,
            max_tokens: max_output_tokens,
            json_mode,
            tools,
            tool_choice,
            reasoning,
            messages: Vec::new(),
            extra_keys: Vec::new(),
        };
        let mut request = Self {
            chat,
            input,
            instructions,
            store,
            previous_response_id,
            parallel_tool_calls,
            echo,
        };
        request.set_history(&[]);
        Ok(request)
    }

    /// Puts `instructions`, the `earlier` conversation and the new input into the internal
    /// request's messages.
    pub fn set_history(&mut self, earlier: &[Item]) {
        let system = self.instructions.iter().map(|text| Message {
            role: Role::System,
            text: text.clone(),
            images: Vec::new(),
            tool_call_id: None,
            tool_calls: Vec::new(),
        });
        self.chat.messages = system
            .chain(earlier.iter().chain(&self.input).map(Item::to_message))
            .collect();
    }

    /// The text of the last user message of the new input ("forget responses" is looked for
    /// here, before any earlier conversation is looked up).
    pub fn new_user_text(&self) -> &str {
        self.input
            .iter()
            .rev()
            .find_map(|item| match item {
                Item::Message {
                    role: Role::User,
                    text,
                    ..
                } => Some(text.as_str()),
                _ => None,
            })
            .unwrap_or("")
    }
}

fn optional_string(value: Option<&Value>, path: &str) -> Result<Option<String>, VendorError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid_type(path, "a string", other)),
    }
}

fn optional_bool(value: Option<&Value>, path: &str) -> Result<Option<bool>, VendorError> {
    match value {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid_type(path, "a boolean", other)),
    }
}

/// A number in `0..=maximum`.
fn bounded(value: Option<&Value>, path: &str, maximum: f64) -> Result<Option<f64>, VendorError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Some(n) = value.as_f64() else {
        return Err(invalid_type(path, "a decimal", value));
    };
    if n < 0.0 {
        Err(below_minimum(path, 0.0, n, false))
    } else if n > maximum {
        Err(above_maximum(path, maximum, n))
    } else {
        Ok(Some(n))
    }
}

fn required_string<'a>(object: &'a Value, path: &str, key: &str) -> Result<&'a str, VendorError> {
    let full = format!("{path}.{key}");
    match object.get(key) {
        None | Some(Value::Null) => Err(missing_parameter(&full)),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(invalid_type(&full, "a string", other)),
    }
}

fn parse_items(items: &[Value]) -> Result<Vec<Item>, VendorError> {
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("input[{i}]");
        if !item.is_object() {
            return Err(invalid_type(&path, "an object", item));
        }
        let kind = match item.get("type") {
            None | Some(Value::Null) if item.get("role").is_some() => "message",
            None | Some(Value::Null) => return Err(missing_parameter(&format!("{path}.type"))),
            Some(Value::String(t)) => t.as_str(),
            Some(other) => return Err(invalid_type(&format!("{path}.type"), "a string", other)),
        };
        match kind {
            "message" => parsed.push(parse_message(item, &path)?),
            "function_call" => parsed.push(Item::FunctionCall {
                call_id: required_string(item, &path, "call_id")?.to_owned(),
                name: required_string(item, &path, "name")?.to_owned(),
                arguments: required_string(item, &path, "arguments")?.to_owned(),
            }),
            "function_call_output" => {
                let output = match item.get("output") {
                    None | Some(Value::Null) => {
                        return Err(missing_parameter(&format!("{path}.output")))
                    }
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(parts)) => joined_text(parts),
                    Some(other) => {
                        return Err(invalid_type(
                            &format!("{path}.output"),
                            "a string or an array",
                            other,
                        ))
                    }
                };
                parsed.push(Item::FunctionCallOutput {
                    call_id: required_string(item, &path, "call_id")?.to_owned(),
                    output,
                });
            }
            // Reasoning items and references carry nothing the script reads.
            "reasoning" | "item_reference" => {}
            other => {
                return Err(invalid_value(
                    &format!("{path}.type"),
                    other,
                    &[
                        "message",
                        "function_call",
                        "function_call_output",
                        "reasoning",
                        "item_reference",
                    ],
                ))
            }
        }
    }
    Ok(parsed)
}

/// The `text` of every part that has one, joined with newlines.
fn joined_text(parts: &[Value]) -> String {
    parts
        .iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_message(item: &Value, path: &str) -> Result<Item, VendorError> {
    let role = match required_string(item, path, "role")? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "system" | "developer" => Role::System,
        other => {
            return Err(invalid_value(
                &format!("{path}.role"),
                other,
                &["assistant", "system", "developer", "user"],
            ))
        }
    };
    let mut text = String::new();
    let mut images = Vec::new();
    match item.get("content") {
        None | Some(Value::Null) => return Err(missing_parameter(&format!("{path}.content"))),
        Some(Value::String(s)) => text.push_str(s),
        Some(Value::Array(parts)) => {
            let allowed = if role == Role::Assistant {
                OUTPUT_PARTS
            } else {
                INPUT_PARTS
            };
            for (j, part) in parts.iter().enumerate() {
                let part_path = format!("{path}.content[{j}]");
                let kind = required_string(part, &part_path, "type")?;
                if !allowed.contains(&kind) {
                    return Err(invalid_value(&format!("{part_path}.type"), kind, allowed));
                }
                match kind {
                    "input_text" | "output_text" | "refusal" => {
                        let key = if kind == "refusal" { "refusal" } else { "text" };
                        if !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(required_string(part, &part_path, key)?);
                    }
                    "input_image" => match (part.get("image_url"), part.get("file_id")) {
                        (Some(Value::String(url)), _) => images.push(url.clone()),
                        (_, Some(Value::String(file))) => images.push(format!("file_id {file}")),
                        (Some(other), _) => {
                            return Err(invalid_type(
                                &format!("{part_path}.image_url"),
                                "a string",
                                other,
                            ))
                        }
                        (None, _) => {
                            return Err(missing_parameter(&format!("{part_path}.image_url")))
                        }
                    },
                    _ => {}
                }
            }
        }
        Some(other) => {
            return Err(invalid_type(
                &format!("{path}.content"),
                "one of a string or array of content parts",
                other,
            ))
        }
    }
    Ok(Item::Message { role, text, images })
}

/// Flat function tools; the nested chat-completions shape has no `name` and is refused.
fn parse_tools(value: Option<&Value>) -> Result<(Vec<ToolDef>, Value), VendorError> {
    let Some(value) = value else {
        return Ok((Vec::new(), json!([])));
    };
    let Some(list) = value.as_array() else {
        return Err(invalid_type("tools", "an array", value));
    };
    let mut tools = Vec::with_capacity(list.len());
    for (i, tool) in list.iter().enumerate() {
        let path = format!("tools[{i}]");
        if !tool.is_object() {
            return Err(invalid_type(&path, "an object", tool));
        }
        let kind = required_string(tool, &path, "type")?;
        if kind != "function" {
            return Err(invalid_value(&format!("{path}.type"), kind, &["function"]));
        }
        let name = required_string(tool, &path, "name")?;
        tools.push(ToolDef {
            name: name.to_owned(),
            parameters: tool.get("parameters").cloned().unwrap_or(Value::Null),
        });
    }
    Ok((tools, value.clone()))
}

fn parse_tool_choice(value: Option<&Value>) -> Result<(ToolChoice, Value), VendorError> {
    let choice = match value {
        None => return Ok((ToolChoice::Auto, json!("auto"))),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => {
                return Err(invalid_value(
                    "tool_choice",
                    other,
                    &["none", "auto", "required"],
                ))
            }
        },
        Some(object @ Value::Object(_)) => match object.get("type").and_then(Value::as_str) {
            Some("function") => {
                ToolChoice::Named(required_string(object, "tool_choice", "name")?.to_owned())
            }
            Some(_) => ToolChoice::Auto,
            None => return Err(missing_parameter("tool_choice.type")),
        },
        Some(other) => return Err(invalid_type("tool_choice", "a string or an object", other)),
    };
    Ok((choice, value.cloned().unwrap_or_else(|| json!("auto"))))
}

/// `text.format`: JSON mode for `json_object` and `json_schema`.
fn parse_text(value: Option<&Value>) -> Result<(bool, Value), VendorError> {
    let Some(text) = value else {
        return Ok((false, json!({"format": {"type": "text"}})));
    };
    if !text.is_object() {
        return Err(invalid_type("text", "an object", text));
    }
    let Some(format) = text.get("format").filter(|f| !f.is_null()) else {
        let mut echo = text.clone();
        echo["format"] = json!({"type": "text"});
        return Ok((false, echo));
    };
    if !format.is_object() {
        return Err(invalid_type("text.format", "an object", format));
    }
    let json_mode = match required_string(format, "text.format", "type")? {
        "text" => false,
        "json_object" => true,
        "json_schema" => {
            required_string(format, "text.format", "name")?;
            if format.get("schema").is_none_or(Value::is_null) {
                return Err(missing_parameter("text.format.schema"));
            }
            true
        }
        other => {
            return Err(invalid_value(
                "text.format.type",
                other,
                &["text", "json_object", "json_schema"],
            ))
        }
    };
    Ok((json_mode, text.clone()))
}

/// `reasoning`: a `summary` asks for a reasoning summary.
fn parse_reasoning(value: Option<&Value>) -> Result<(bool, Value), VendorError> {
    let Some(reasoning) = value else {
        return Ok((false, json!({"effort": null, "summary": null})));
    };
    if !reasoning.is_object() {
        return Err(invalid_type("reasoning", "an object", reasoning));
    }
    let effort = optional_string(
        reasoning.get("effort").filter(|v| !v.is_null()),
        "reasoning.effort",
    )?;
    let summary = optional_string(
        reasoning.get("summary").filter(|v| !v.is_null()),
        "reasoning.summary",
    )?;
    if let Some(s) = &summary {
        if !["auto", "concise", "detailed"].contains(&s.as_str()) {
            return Err(invalid_value(
                "reasoning.summary",
                s,
                &["auto", "concise", "detailed"],
            ));
        }
    }
    Ok((
        summary.is_some(),
        json!({"effort": effort, "summary": summary}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: Value) -> ResponsesRequest {
        match ResponsesRequest::parse(&body) {
            Ok(r) => r,
            Err(e) => panic!("rejected: {}", e.body),
        }
    }

    fn refused(body: Value) -> Value {
        match ResponsesRequest::parse(&body) {
            Ok(_) => panic!("accepted: {body}"),
            Err(e) => {
                assert_eq!(e.status.as_u16(), 400);
                e.body["error"].clone()
            }
        }
    }

    #[test]
    fn a_string_input_is_one_user_message_after_the_instructions() {
        let req = parsed(json!({"model": "m", "input": "hello", "instructions": "Be brief."}));
        assert_eq!(req.chat.messages.len(), 2);
        assert_eq!(req.chat.messages[0].role, Role::System);
        assert_eq!(req.chat.last_user_text(), "hello");
        assert_eq!(req.echo["model"], "m");
        assert_eq!(req.echo["instructions"], "Be brief.");
        assert!(req.store && req.parallel_tool_calls && !req.chat.stream);
    }

    #[test]
    fn items_become_messages_tool_calls_and_tool_results() {
        let req = parsed(json!({"input": [
            {"role": "user", "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,AA=="}
            ]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_flight_info", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "{\"flights\": []}"}
        ]}));
        let roles: Vec<Role> = req.chat.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::User, Role::Assistant, Role::Assistant, Role::Tool]
        );
        assert_eq!(req.chat.messages[0].images, ["data:image/png;base64,AA=="]);
        assert_eq!(req.chat.tool_name_for("call_1"), Some("get_flight_info"));
        assert_eq!(req.chat.messages[3].text, "{\"flights\": []}");
        assert_eq!(req.new_user_text(), "What is this?");
    }

    #[test]
    fn unknown_parameters_are_refused_by_name() {
        for key in [
            "stop",
            "seed",
            "presence_penalty",
            "frequency_penalty",
            "messages",
        ] {
            let mut body = json!({"input": "hi"});
            body[key] = json!(1);
            let error = refused(body);
            assert_eq!(error["code"], "unknown_parameter");
            assert_eq!(error["param"], key);
            assert_eq!(error["message"], format!("Unknown parameter: '{key}'."));
        }
    }

    #[test]
    fn the_nested_chat_tool_shape_is_missing_its_name() {
        let error = refused(json!({"input": "hi", "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {}}}
        ]}));
        assert_eq!(error["code"], "missing_required_parameter");
        assert_eq!(
            error["message"],
            "Missing required parameter: 'tools[0].name'."
        );
        let ok = parsed(json!({"input": "hi", "tools": [
            {"type": "function", "name": "f", "description": "d", "parameters": {}}
        ]}));
        assert_eq!(ok.chat.tools[0].name, "f");
    }

    #[test]
    fn chat_shaped_parts_and_wrong_types_are_refused_with_their_path() {
        let error = refused(json!({"input": [{"role": "user", "content": [
            {"type": "text", "text": "hi"}
        ]}]}));
        assert_eq!(error["code"], "invalid_value");
        assert_eq!(error["param"], "input[0].content[0].type");
        let error = refused(json!({"input": [{"role": "assistant", "content": [
            {"type": "input_text", "text": "hi"}
        ]}]}));
        assert_eq!(error["param"], "input[0].content[0].type");
        let error = refused(json!({"input": "hi", "stream": "yes"}));
        assert_eq!(error["code"], "invalid_type");
        assert_eq!(
            error["message"],
            "Invalid type for 'stream': expected a boolean, but got a string instead."
        );
        assert_eq!(refused(json!({}))["param"], "input");
        assert_eq!(
            refused(json!({"input": "hi", "temperature": 3}))["code"],
            "decimal_above_max_value"
        );
    }

    #[test]
    fn text_format_and_reasoning_summary_set_json_mode_and_reasoning() {
        let req = parsed(json!({"input": "hi",
            "text": {"format": {"type": "json_schema", "name": "a", "schema": {"type": "object"}}},
            "reasoning": {"effort": "low", "summary": "auto"},
            "max_output_tokens": 20,
            "tool_choice": {"type": "function", "name": "f"}}));
        assert!(req.chat.json_mode && req.chat.reasoning);
        assert_eq!(req.chat.max_tokens, Some(20));
        assert_eq!(req.chat.tool_choice, ToolChoice::Named("f".into()));
        assert_eq!(
            req.echo["reasoning"],
            json!({"effort": "low", "summary": "auto"})
        );
        assert_eq!(
            refused(json!({"input": "hi", "text": {"format": {"type": "json_schema"}}}))["message"],
            "Missing required parameter: 'text.format.name'."
        );
    }

    #[test]
    fn earlier_items_come_between_instructions_and_the_new_input() {
        let mut req = parsed(json!({"input": "again", "instructions": "sys",
            "previous_response_id": "resp_1"}));
        req.set_history(&[Item::Message {
            role: Role::User,
            text: "first".into(),
            images: Vec::new(),
        }]);
        let texts: Vec<&str> = req.chat.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["sys", "first", "again"]);
        assert!(parsed(json!({"previous_response_id": "resp_1"}))
            .input
            .is_empty());
    }
}
