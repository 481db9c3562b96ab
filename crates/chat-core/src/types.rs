//! Wire types of the chat-completions protocol: messages, content parts, tool calls, tool
//! choice and the server-sent `finish_reason`. The tool definition, a wire type as well, is
//! defined with the tools (beside its validity rule) and re-exported here.

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::marker::PhantomData;

pub use crate::tools::ToolDefinition;

/// One chat message as sent to the endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    System {
        content: Content,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    User {
        content: Content,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Assistant {
        /// `""` when the message only calls tools.
        #[serde(default, deserialize_with = "null_as_empty")]
        content: Content,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool_calls: Option<Vec<ToolCall>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Tool {
        content: Content,
        tool_call_id: String,
    },
}

impl Message {
    /// A system message with text content.
    pub fn system(text: impl Into<String>) -> Self {
        Message::System {
            content: Content::Text(text.into()),
            name: None,
        }
    }

    /// A user message with text content.
    pub fn user(text: impl Into<String>) -> Self {
        Message::User {
            content: Content::Text(text.into()),
            name: None,
        }
    }

    /// An assistant message with text content and no tool calls.
    pub fn assistant(text: impl Into<String>) -> Self {
        Message::Assistant {
            content: Content::Text(text.into()),
            tool_calls: None,
            name: None,
        }
    }

    /// A tool result answering the call `tool_call_id`.
    pub fn tool(tool_call_id: impl Into<String>, text: impl Into<String>) -> Self {
        Message::Tool {
            content: Content::Text(text.into()),
            tool_call_id: tool_call_id.into(),
        }
    }

    /// The message's role.
    pub fn role(&self) -> Role {
        match self {
            Message::System { .. } => Role::System,
            Message::User { .. } => Role::User,
            Message::Assistant { .. } => Role::Assistant,
            Message::Tool { .. } => Role::Tool,
        }
    }

    /// The message's content.
    pub fn content(&self) -> &Content {
        match self {
            Message::System { content, .. }
            | Message::User { content, .. }
            | Message::Assistant { content, .. }
            | Message::Tool { content, .. } => content,
        }
    }
}

/// The role of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Content, D::Error> {
    Ok(Option::<Content>::deserialize(d)?.unwrap_or_default())
}

/// Message content: a string, or an array of parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

/// What [`Content`] is, for its readers' errors.
pub(crate) const CONTENT_EXPECTED: &str = "a string or an array of content parts";

/// By the JSON type, without `untagged`'s buffering and retrying (a few KB less wasm).
impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOrSeq::<Content>(PhantomData))
    }
}

impl OneOrMany for Content {
    type Item = Part;
    const EXPECTING: &'static str = CONTENT_EXPECTED;

    fn one(text: String) -> Self {
        Content::Text(text)
    }

    fn many(parts: Vec<Part>) -> Self {
        Content::Parts(parts)
    }
}

/// A type read from a string or an array of `Item`s.
pub(crate) trait OneOrMany: Sized {
    type Item;
    /// What the value is, for errors.
    const EXPECTING: &'static str;
    fn one(text: String) -> Self;
    fn many(items: Vec<Self::Item>) -> Self;
}

/// Reads a [`OneOrMany`] by the JSON type: what `#[serde(untagged)]` over the two forms
/// decides by buffering the value and trying each.
pub(crate) struct StringOrSeq<T>(pub PhantomData<T>);

impl<'de, T> Visitor<'de> for StringOrSeq<T>
where
    T: OneOrMany,
    T::Item: Deserialize<'de>,
{
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::one(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<T, E> {
        Ok(T::one(text))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<T, A::Error> {
        Vec::deserialize(de::value::SeqAccessDeserializer::new(items)).map(T::many)
    }
}

/// `deserialize_with` for an optional field that must tell "missing" (`None`, with
/// `#[serde(default)]`) from any value that is present, `null` included (`Some`).
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl Default for Content {
    fn default() -> Self {
        Content::Text(String::new())
    }
}

impl Content {
    /// The text of the content (text parts joined with nothing between them).
    pub fn text(&self) -> String {
        match self {
            Content::Text(t) => t.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text { text } => Some(text.as_str()),
                    Part::ImageUrl { .. } => None,
                })
                .collect(),
        }
    }
}

/// One content part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "PartKeys")]
pub enum Part {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

/// A part's keys as read, made into a [`Part`] by its `type`: not through serde's
/// internally-tagged reader, which buffers each part and compiles every field's reader a
/// second time for the buffer.
#[derive(Deserialize)]
struct PartKeys {
    #[serde(rename = "type")]
    kind: PartKind,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    image_url: Option<ImageUrl>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PartKind {
    Text,
    ImageUrl,
}

impl TryFrom<PartKeys> for Part {
    type Error = &'static str;

    fn try_from(keys: PartKeys) -> Result<Self, &'static str> {
        match keys.kind {
            PartKind::Text => keys
                .text
                .map(|text| Part::Text { text })
                .ok_or("missing field `text`"),
            PartKind::ImageUrl => keys
                .image_url
                .map(|image_url| Part::ImageUrl { image_url })
                .ok_or("missing field `image_url`"),
        }
    }
}

/// An image reference (a `data:` URL or an https URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<ImageDetail>,
}

/// How closely the model looks at an image: the `detail` of an `image_url` content part, also
/// what `imageOptions.detail` sets for every attached image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageDetail {
    Auto,
    Low,
    High,
}

/// A tool call made by the assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    /// Always `"function"`; servers may omit it.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".to_owned()
}

impl ToolCall {
    /// A function call with raw JSON `arguments` text.
    pub fn function(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            kind: function_type(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }
}

/// The function a tool call invokes; `arguments` is the model's raw JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    /// This function, by name.
    Function(String),
}

impl Serialize for ToolChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Auto => s.serialize_str("auto"),
            ToolChoice::None => s.serialize_str("none"),
            ToolChoice::Required => s.serialize_str("required"),
            ToolChoice::Function(name) => {
                serde_json::json!({"type": "function", "function": {"name": name}}).serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::String(s) if s == "auto" => Ok(ToolChoice::Auto),
            Value::String(s) if s == "none" => Ok(ToolChoice::None),
            Value::String(s) if s == "required" => Ok(ToolChoice::Required),
            _ => v
                .pointer("/function/name")
                .and_then(Value::as_str)
                .map(|n| ToolChoice::Function(n.to_owned()))
                .ok_or_else(|| {
                    serde::de::Error::custom(
                        "tool_choice must be auto, none, required or {function:{name}}",
                    )
                }),
        }
    }
}

/// Why the model stopped. Unknown reasons are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    FunctionCall,
    Other(String),
}

impl From<String> for FinishReason {
    fn from(s: String) -> Self {
        match s.as_str() {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            "function_call" => FinishReason::FunctionCall,
            _ => FinishReason::Other(s),
        }
    }
}

impl From<FinishReason> for String {
    fn from(r: FinishReason) -> Self {
        r.as_str().to_owned()
    }
}

impl FinishReason {
    /// The reason as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::FunctionCall => "function_call",
            FinishReason::Other(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `Part` as serde's internally-tagged derive reads it: what `PartKeys` must match.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum TaggedPart {
        Text { text: String },
        ImageUrl { image_url: ImageUrl },
    }

    #[test]
    fn a_part_reads_as_the_internally_tagged_derive_does() {
        let cases = [
            json!({"type": "text", "text": "hi"}),
            json!({"type": "text", "text": "hi", "image_url": {"url": "https://x/a.png"}}),
            json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,AA", "detail": "high"}}),
            json!({"type": "image_url", "image_url": {"url": "https://x/a.png"}, "extra": 1}),
            json!({"type": "text"}),
            json!({"type": "image_url", "text": "no image"}),
            json!({"type": "audio", "text": "x"}),
            json!({"text": "x"}),
            json!({"type": "text", "text": 5}),
            json!({"type": "image_url", "image_url": {"detail": "low"}}),
        ];
        for case in cases {
            let tagged = serde_json::from_value::<TaggedPart>(case.clone());
            match (tagged, serde_json::from_value::<Part>(case.clone())) {
                (Ok(TaggedPart::Text { text }), Ok(part)) => assert_eq!(part, Part::Text { text }),
                (Ok(TaggedPart::ImageUrl { image_url }), Ok(part)) => {
                    assert_eq!(part, Part::ImageUrl { image_url });
                }
                (Err(t), Err(p)) => assert_eq!(p.to_string(), t.to_string(), "{case}"),
                (t, p) => panic!("{case}: tagged {t:?}, part {p:?}"),
            }
        }
    }

    #[test]
    fn messages_serialize_with_a_role_tag_and_no_nulls() {
        assert_eq!(
            serde_json::to_value(Message::user("hi")).unwrap(),
            json!({"role": "user", "content": "hi"})
        );
        let call = Message::Assistant {
            content: Content::default(),
            tool_calls: Some(vec![ToolCall::function("c1", "f", "{}")]),
            name: None,
        };
        assert_eq!(
            serde_json::to_value(call).unwrap(),
            json!({"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]})
        );
        assert_eq!(
            serde_json::to_value(Message::tool("c1", "42")).unwrap(),
            json!({"role": "tool", "content": "42", "tool_call_id": "c1"})
        );
    }

    #[test]
    fn content_parts_are_tagged_by_type() {
        let m: Message = serde_json::from_value(json!({"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA==", "detail": "low"}}
        ]}))
        .unwrap();
        let Message::User {
            content: Content::Parts(parts),
            ..
        } = &m
        else {
            panic!("expected parts, got {m:?}");
        };
        assert_eq!(
            parts[1],
            Part::ImageUrl {
                image_url: ImageUrl {
                    url: "data:image/png;base64,AA==".into(),
                    detail: Some(ImageDetail::Low)
                }
            }
        );
        assert_eq!(m.content().text(), "what is this");
        let back = serde_json::to_value(&m).unwrap();
        assert_eq!(back["content"][1]["image_url"]["detail"], "low");
        assert!(back["content"][0].get("image_url").is_none());
    }

    #[test]
    fn content_is_a_string_or_an_array_of_parts_and_nothing_else() {
        assert_eq!(
            serde_json::from_str::<Content>(r#""a \"quoted\" \u00e9""#).unwrap(),
            Content::Text("a \"quoted\" é".into())
        );
        assert_eq!(
            serde_json::from_str::<Content>(r#"[{"type":"text","text":"hi"}]"#).unwrap(),
            Content::Parts(vec![Part::Text { text: "hi".into() }])
        );
        assert_eq!(
            serde_json::from_str::<Content>("[]").unwrap(),
            Content::Parts(vec![])
        );
        for bad in ["42", "null", "{}", r#"[{"type":"video"}]"#, r#"["text"]"#] {
            assert!(serde_json::from_str::<Content>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<Content>("true").unwrap_err();
        assert!(
            err.to_string()
                .contains("a string or an array of content parts"),
            "{err}"
        );
        // Inside a message (an internally tagged enum buffers its fields first).
        let m: Message = serde_json::from_str(r#"{"content":"hi","role":"user"}"#).unwrap();
        assert_eq!(m, Message::user("hi"));
        assert!(serde_json::from_str::<Message>(r#"{"role":"user","content":7}"#).is_err());
    }

    #[test]
    fn assistant_content_null_reads_as_empty_text() {
        let m: Message =
            serde_json::from_value(json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "a", "function": {"name": "f", "arguments": "{}"}}
            ]}))
            .unwrap();
        assert_eq!(m.content(), &Content::Text(String::new()));
        let Message::Assistant {
            tool_calls: Some(calls),
            ..
        } = m
        else {
            panic!("expected tool calls");
        };
        assert_eq!(calls[0].kind, "function");
    }

    #[test]
    fn tool_choice_serializes_as_mode_string_or_named_function() {
        assert_eq!(
            serde_json::to_value(ToolChoice::Required).unwrap(),
            json!("required")
        );
        let named = json!({"type": "function", "function": {"name": "get_time"}});
        assert_eq!(
            serde_json::to_value(ToolChoice::Function("get_time".into())).unwrap(),
            named
        );
        assert_eq!(
            serde_json::from_value::<ToolChoice>(named).unwrap(),
            ToolChoice::Function("get_time".into())
        );
        assert!(serde_json::from_value::<ToolChoice>(json!("sometimes")).is_err());
    }

    #[test]
    fn unknown_finish_reasons_are_kept_as_sent() {
        let r: FinishReason = serde_json::from_value(json!("eos_token")).unwrap();
        assert_eq!(r, FinishReason::Other("eos_token".into()));
        assert_eq!(serde_json::to_value(&r).unwrap(), json!("eos_token"));
        assert_eq!(
            serde_json::from_value::<FinishReason>(json!("tool_calls")).unwrap(),
            FinishReason::ToolCalls
        );
    }
}
