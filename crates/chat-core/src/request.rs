//! Endpoint URLs, headers and bodies for each API style, the validation of settings
//! before sending, and the model-information responses (`/info`, `/models`).
//!
//! Authentication per style:
//! - `azure-inference` (Azure AI Model Inference, `…/models`): an API key goes in the
//!   `api-key` header, an Entra ID token in `Authorization: Bearer`.
//! - `openai` (Azure `…/openai/v1`, OpenAI, llama.cpp, vLLM, …): `Authorization: Bearer`
//!   for keys and tokens alike. Azure's `/openai/v1` also accepts `api-key`, but the
//!   reference's client (`OpenAI(api_key=…, base_url=…/openai/v1/)`) sends Bearer, and
//!   Bearer is what every OpenAI-compatible server understands.
//! - `responses` (the Responses API, Azure `…/openai/v1/responses`): as `openai` on Azure —
//!   an API key in `api-key`, a token in `Authorization: Bearer`, no `api-version`; model
//!   information from `/models`. Its request body is built in [`crate::responses`].
//!
//! [`turn_request`] builds the request of a reply in the endpoint's style.

use crate::number::to_text;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{ChatError, ErrorKind};
use crate::named::Named;
use crate::responses::{responses_request, Chain};
use crate::tools::ToolDefinition;
use crate::transcript::{to_wire, Entry};
use crate::types::{Content, Message, OneOrMany, Part, StringOrSeq, ToolChoice};
use std::marker::PhantomData;

/// `api-version` used by the `azure-inference` style unless set.
pub const DEFAULT_API_VERSION: &str = "2024-05-01-preview";

/// Which protocol dialect the endpoint speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ApiStyle {
    /// Azure AI Model Inference: `?api-version=…`, `api-key` header, `/info`.
    #[default]
    AzureInference,
    /// OpenAI-style `/v1` (including Azure `/openai/v1`): Bearer, `/models`.
    OpenAi,
    /// The Responses API (`POST {base}/responses`, Azure `/openai/v1`): `api-key` or
    /// Bearer, `/models`.
    Responses,
}

impl ApiStyle {
    /// The style's name (the `api-style` attribute, storage) and its label in the settings.
    pub const fn text(self) -> (&'static str, &'static str) {
        match self {
            ApiStyle::AzureInference => ("azure-inference", "Azure AI Model Inference"),
            ApiStyle::OpenAi => ("openai", "OpenAI-compatible (/v1)"),
            ApiStyle::Responses => ("responses", "Responses API (/openai/v1)"),
        }
    }
}

impl Named for ApiStyle {
    const ALL: &'static [ApiStyle] = &[
        ApiStyle::AzureInference,
        ApiStyle::OpenAi,
        ApiStyle::Responses,
    ];

    fn as_str(self) -> &'static str {
        self.text().0
    }
}

crate::serde_by_name!(ApiStyle);

/// Credentials sent with each request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// No credentials (a proxy adds them, or the server needs none).
    #[default]
    None,
    /// A static API key.
    ApiKey(String),
    /// A bearer token (e.g. Microsoft Entra ID).
    Bearer(String),
}

/// Where and how to reach the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Absolute `http(s)://…` or root-relative `/…` base URL; a trailing `/` is ignored.
    pub base_url: String,
    pub style: ApiStyle,
    /// `api-version` query value (`azure-inference` only).
    pub api_version: String,
    /// Model or deployment name, sent in the body when set.
    pub model: Option<String>,
    pub auth: Auth,
}

impl Endpoint {
    /// An endpoint with the default API version, no model and no credentials.
    pub fn new(base_url: impl Into<String>, style: ApiStyle) -> Self {
        Endpoint {
            base_url: base_url.into(),
            style,
            api_version: DEFAULT_API_VERSION.to_owned(),
            model: None,
            auth: Auth::None,
        }
    }

    /// Checks the base URL, API version and credentials.
    pub fn validate(&self) -> Result<(), ChatError> {
        let base = self.base_url.trim();
        if base.is_empty() {
            return Err(ChatError::invalid_input(
                "endpoint",
                "The endpoint URL is empty.",
            ));
        }
        let lower = base.to_ascii_lowercase();
        let absolute = ["http://", "https://"]
            .iter()
            .any(|p| lower.starts_with(p) && lower.len() > p.len());
        let root_relative = base.starts_with('/') && !base.starts_with("//");
        if !(absolute || root_relative) || base.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ChatError::invalid_input(
                "endpoint",
                format!("The endpoint URL must start with https://, http:// or / (got {base:?})."),
            ));
        }
        if self.style == ApiStyle::AzureInference && self.api_version.trim().is_empty() {
            return Err(ChatError::invalid_input(
                "api-version",
                "The API version is empty.",
            ));
        }
        if self.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(ChatError::invalid_input(
                "model",
                "The model name is empty.",
            ));
        }
        let secret = match &self.auth {
            Auth::None => None,
            Auth::ApiKey(k) => Some(("api-key", k)),
            Auth::Bearer(t) => Some(("token", t)),
        };
        if let Some((field, value)) = secret {
            if value.trim().is_empty() || value.chars().any(|c| c.is_control() || !c.is_ascii()) {
                return Err(ChatError::invalid_input(
                    field,
                    format!("The {field} is empty or contains characters not allowed in a header."),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn url(&self, path: &str, with_version: bool) -> String {
        let mut url = self.base_url.trim().trim_end_matches('/').to_owned();
        url.push_str(path);
        if with_version {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("api-version=");
            percent_encode_into(self.api_version.trim(), &mut url);
        }
        url
    }

    fn auth_headers(&self, headers: &mut Vec<(String, String)>) {
        match (&self.auth, self.style) {
            (Auth::None, _) => {}
            (Auth::ApiKey(key), ApiStyle::AzureInference | ApiStyle::Responses) => {
                headers.push(("api-key".into(), key.trim().into()))
            }
            (Auth::ApiKey(secret), ApiStyle::OpenAi) | (Auth::Bearer(secret), _) => {
                headers.push(("authorization".into(), format!("Bearer {}", secret.trim())));
            }
        }
    }

    /// The headers of a JSON `POST` in any style: content type, what is accepted back (an
    /// event stream or JSON), and the credentials.
    pub(crate) fn post_headers(&self, stream: bool) -> Vec<(String, String)> {
        let accept = if stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), accept.to_owned()),
        ];
        self.auth_headers(&mut headers);
        headers
    }
}

fn percent_encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// `stop`: one sequence or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// By the JSON type, without `untagged`'s buffering and retrying.
impl<'de> Deserialize<'de> for Stop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOrSeq::<Stop>(PhantomData))
    }
}

impl OneOrMany for Stop {
    type Item = String;
    const EXPECTING: &'static str = "a string or an array of strings";

    fn one(text: String) -> Self {
        Stop::One(text)
    }

    fn many(texts: Vec<String>) -> Self {
        Stop::Many(texts)
    }
}

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "FormatKeys")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    /// `json_schema` is `{name, schema, strict?, description?}` as the caller gives it.
    JsonSchema {
        json_schema: Value,
    },
}

/// `response_format`'s keys as read, made into a [`ResponseFormat`] by its `type` (not through
/// serde's internally-tagged reader, which buffers the object first).
#[derive(Deserialize)]
#[serde(expecting = r#"a response format: {"type": "text" | "json_object" | "json_schema", …}"#)]
struct FormatKeys {
    #[serde(rename = "type")]
    kind: FormatKind,
    /// Missing: `None`; any JSON value, `null` included: `Some`.
    #[serde(default, deserialize_with = "crate::types::present")]
    json_schema: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FormatKind {
    Text,
    JsonObject,
    JsonSchema,
}

impl TryFrom<FormatKeys> for ResponseFormat {
    type Error = &'static str;

    fn try_from(keys: FormatKeys) -> Result<Self, &'static str> {
        Ok(match keys.kind {
            FormatKind::Text => ResponseFormat::Text,
            FormatKind::JsonObject => ResponseFormat::JsonObject,
            FormatKind::JsonSchema => ResponseFormat::JsonSchema {
                json_schema: keys.json_schema.ok_or("missing field `json_schema`")?,
            },
        })
    }
}

/// How much a reasoning model thinks before answering (`reasoning.effort`, Responses API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    XHigh,
}

impl Named for ReasoningEffort {
    const ALL: &'static [ReasoningEffort] = &[
        ReasoningEffort::None,
        ReasoningEffort::Minimal,
        ReasoningEffort::Low,
        ReasoningEffort::Medium,
        ReasoningEffort::High,
        ReasoningEffort::XHigh,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::None => "none",
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::XHigh => "xhigh",
        }
    }
}

crate::serde_by_name!(ReasoningEffort);

/// Whether and how the model summarizes its reasoning (`reasoning.summary`, Responses API):
/// the summary is what becomes an entry's `reasoning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasoningSummary {
    Auto,
    Concise,
    Detailed,
}

impl Named for ReasoningSummary {
    const ALL: &'static [ReasoningSummary] = &[
        ReasoningSummary::Auto,
        ReasoningSummary::Concise,
        ReasoningSummary::Detailed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ReasoningSummary::Auto => "auto",
            ReasoningSummary::Concise => "concise",
            ReasoningSummary::Detailed => "detailed",
        }
    }
}

crate::serde_by_name!(ReasoningSummary);

/// `reasoning` of the Responses API; unset fields are not sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasoning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

/// Sampling and output parameters; unset ones are not sent. Any other key is refused
/// ([`Params::KEYS`] names the ones it takes). Not every API style has every parameter:
/// chat completions has no `reasoning`, the Responses API no `stop`, penalties or `seed`;
/// a parameter the style lacks is refused before sending.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Responses API only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
}

fn check_range(field: &str, value: Option<f64>, min: f64, max: f64) -> Result<(), ChatError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(ChatError::invalid_input(
            field,
            format!(
                "{field} must be between {} and {} (got {}).",
                to_text(min),
                to_text(max),
                to_text(v)
            ),
        )),
        _ => Ok(()),
    }
}

impl Params {
    /// The body keys of the fields above, in their order (a test checks them against serde).
    pub const KEYS: &'static [&'static str] = &[
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "response_format",
        "reasoning",
    ];

    /// Checks the documented ranges; the error names the field.
    pub fn validate(&self) -> Result<(), ChatError> {
        check_range("temperature", self.temperature, 0.0, 2.0)?;
        check_range("top_p", self.top_p, 0.0, 1.0)?;
        check_range("presence_penalty", self.presence_penalty, -2.0, 2.0)?;
        check_range("frequency_penalty", self.frequency_penalty, -2.0, 2.0)?;
        if self.max_tokens == Some(0) {
            return Err(ChatError::invalid_input(
                "max_tokens",
                "max_tokens must be at least 1.",
            ));
        }
        let stops: &[String] = match &self.stop {
            Some(Stop::One(s)) => std::slice::from_ref(s),
            Some(Stop::Many(v)) => v,
            None => &[],
        };
        if stops.iter().any(String::is_empty) {
            return Err(ChatError::invalid_input(
                "stop",
                "A stop sequence is empty.",
            ));
        }
        if let Some(ResponseFormat::JsonSchema { json_schema }) = &self.response_format {
            if json_schema
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(ChatError::invalid_input(
                    "response_format",
                    "A json_schema response format needs a name.",
                ));
            }
        }
        Ok(())
    }
}

/// Everything about a chat request besides the endpoint and the messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOptions {
    pub params: Params,
    /// Tools offered to the model; none: `tools` and `tool_choice` are not sent.
    pub tools: Vec<ToolDefinition>,
    pub tool_choice: Option<ToolChoice>,
    /// Merged at the top level of the body (`extra-parameters: pass-through` in the
    /// `azure-inference` style). A key that is a standard one is an `invalid_input` error.
    pub extra_params: Map<String, Value>,
    /// Prepended when sending; never part of the transcript.
    pub system_prompt: Option<String>,
    /// For models that reject the system role: the system prompt is put in front of the
    /// first user message instead (a separate user message would break the strict
    /// user/assistant alternation such models also require).
    pub system_as_user: bool,
    pub stream: bool,
    /// `stream_options.include_usage` when streaming (default on; some compatible
    /// servers reject `stream_options`, so it can be turned off).
    pub include_usage: bool,
}

impl Default for ChatOptions {
    fn default() -> Self {
        ChatOptions {
            params: Params::default(),
            tools: Vec::new(),
            tool_choice: None,
            extra_params: Map::new(),
            system_prompt: None,
            system_as_user: false,
            stream: true,
            include_usage: true,
        }
    }
}

/// Body keys this module sets itself besides [`Params::KEYS`].
const OWN_KEYS: &[&str] = &[
    "messages",
    "model",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
];

/// Whether `key` is a body key this module sets itself (from [`Params`] or the options);
/// an extra parameter may not use it.
#[inline(never)]
pub fn is_standard_key(key: &str) -> bool {
    OWN_KEYS.contains(&key) || Params::KEYS.contains(&key)
}

/// HTTP method of a built request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request ready for `fetch`: header names are lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The messages as sent: the system prompt prepended (or folded into the first user
/// message).
fn with_system_prompt(messages: &[Message], options: &ChatOptions) -> Vec<Message> {
    let prompt = options
        .system_prompt
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let Some(prompt) = prompt else {
        return messages.to_vec();
    };
    if !options.system_as_user {
        let mut out = Vec::with_capacity(messages.len() + 1);
        out.push(Message::system(prompt));
        out.extend_from_slice(messages);
        return out;
    }
    let mut out = messages.to_vec();
    let first_user = out.iter_mut().find_map(|m| match m {
        Message::User { content, .. } => Some(content),
        _ => None,
    });
    match first_user {
        Some(Content::Text(text)) => *text = format!("{prompt}\n\n{text}"),
        Some(Content::Parts(parts)) => parts.insert(
            0,
            Part::Text {
                text: format!("{prompt}\n\n"),
            },
        ),
        None => out.insert(0, Message::user(prompt)),
    }
    out
}

/// The checks every style makes of the options before building a body: the parameters'
/// ranges, a message to send, the tool names, and no extra parameter that is a standard one
/// or one of `own_keys` (the keys the style's body sets itself).
pub(crate) fn check_options(
    options: &ChatOptions,
    nothing_to_send: bool,
    own_keys: &[&str],
) -> Result<(), ChatError> {
    options.params.validate()?;
    if nothing_to_send {
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
        .find(|k| is_standard_key(k) || own_keys.contains(&k.as_str()))
    {
        return Err(ChatError::invalid_input(
            "extra_params",
            format!("Extra parameter {key:?} is a standard parameter; set it in the parameters instead."),
        ));
    }
    Ok(())
}

/// Builds the chat-completions request.
pub fn chat_request(
    endpoint: &Endpoint,
    options: &ChatOptions,
    messages: &[Message],
) -> Result<HttpRequest, ChatError> {
    endpoint.validate()?;
    if options.params.reasoning.is_some() {
        return Err(ChatError::invalid_input(
            "reasoning",
            "reasoning is a parameter of the Responses API; chat completions has none. Clear it, or choose the responses API style.",
        ));
    }
    check_options(options, messages.is_empty(), &[])?;

    let to_value = |v: Result<Value, serde_json::Error>| {
        v.map_err(|e| ChatError::new(ErrorKind::InvalidInput, e.to_string()))
    };
    let mut body = Map::new();
    body.insert(
        "messages".into(),
        to_value(serde_json::to_value(with_system_prompt(messages, options)))?,
    );
    if let Some(model) = &endpoint.model {
        body.insert("model".into(), Value::String(model.trim().to_owned()));
    }
    if let Value::Object(params) = to_value(serde_json::to_value(&options.params))? {
        body.extend(params);
    }
    if !options.tools.is_empty() {
        body.insert(
            "tools".into(),
            to_value(serde_json::to_value(&options.tools))?,
        );
        if let Some(choice) = &options.tool_choice {
            body.insert(
                "tool_choice".into(),
                to_value(serde_json::to_value(choice))?,
            );
        }
    }
    if options.stream {
        body.insert("stream".into(), Value::Bool(true));
        if options.include_usage {
            body.insert(
                "stream_options".into(),
                serde_json::json!({"include_usage": true}),
            );
        }
    }
    body.extend(
        options
            .extra_params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );

    let azure = endpoint.style == ApiStyle::AzureInference;
    let mut headers = endpoint.post_headers(options.stream);
    if azure && !options.extra_params.is_empty() {
        headers.push(("extra-parameters".into(), "pass-through".into()));
    }
    Ok(HttpRequest {
        method: Method::Post,
        url: endpoint.url("/chat/completions", azure),
        headers,
        body: Some(Value::Object(body).to_string()),
    })
}

/// The request of a reply to `entries` in the endpoint's style: [`chat_request`] over the
/// entries' wire messages for the two chat-completions styles (`chain` does not apply), and
/// [`responses_request`] for the Responses API.
pub fn turn_request(
    endpoint: &Endpoint,
    options: &ChatOptions,
    entries: &[Entry],
    chain: Chain,
) -> Result<HttpRequest, ChatError> {
    match endpoint.style {
        ApiStyle::AzureInference | ApiStyle::OpenAi => {
            chat_request(endpoint, options, &to_wire(entries))
        }
        ApiStyle::Responses => responses_request(endpoint, options, entries, chain),
    }
}

/// `GET {base}/info?api-version=…` (`azure-inference`) or `GET {base}/models` (`openai`,
/// `responses`).
pub fn model_info_request(endpoint: &Endpoint) -> Result<HttpRequest, ChatError> {
    endpoint.validate()?;
    let url = match endpoint.style {
        ApiStyle::AzureInference => endpoint.url("/info", true),
        ApiStyle::OpenAi | ApiStyle::Responses => endpoint.url("/models", false),
    };
    let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
    endpoint.auth_headers(&mut headers);
    Ok(HttpRequest {
        method: Method::Get,
        url,
        headers,
        body: None,
    })
}

/// What the endpoint says about its model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub model_name: String,
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub model_provider_name: Option<String>,
}

/// Reads the response of [`model_info_request`] for the endpoint's style and model.
pub fn parse_model_info(endpoint: &Endpoint, body: &str) -> Result<ModelInfo, ChatError> {
    match endpoint.style {
        ApiStyle::AzureInference => parse_info(body),
        ApiStyle::OpenAi | ApiStyle::Responses => parse_models(body, endpoint.model.as_deref()),
    }
}

/// Reads an Azure `/info` body.
pub fn parse_info(body: &str) -> Result<ModelInfo, ChatError> {
    serde_json::from_str(body.trim())
        .map_err(|e| ChatError::invalid_response(format!("/info: {e}")))
}

#[derive(Deserialize)]
struct ModelList {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
    #[serde(default)]
    owned_by: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

/// Reads an OpenAI `/models` list and picks the entry for `model` (with no model: the
/// only entry, if there is exactly one).
pub fn parse_models(body: &str, model: Option<&str>) -> Result<ModelInfo, ChatError> {
    let list: ModelList = serde_json::from_str(body.trim())
        .map_err(|e| ChatError::invalid_response(format!("/models: {e}")))?;
    let entry = match model.map(str::trim) {
        Some(name) => list
            .data
            .into_iter()
            .find(|e| e.id == name || e.aliases.iter().any(|a| a == name)),
        None if list.data.len() == 1 => list.data.into_iter().next(),
        None => None,
    };
    let Some(entry) = entry else {
        let mut e = ChatError::new(
            ErrorKind::NotFound,
            match model {
                Some(name) => format!("The endpoint does not list a model named {name:?}."),
                None => "Several models are available; choose one in the settings.".to_owned(),
            },
        );
        e.param = Some("model".into());
        return Err(e);
    };
    Ok(ModelInfo {
        model_name: entry.id,
        model_type: Some("chat-completions".into()),
        model_provider_name: entry.owned_by.filter(|o| !o.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ImageUrl, ToolCall};
    use serde_json::json;

    fn azure() -> Endpoint {
        let mut e = Endpoint::new(
            "https://res.services.ai.azure.com/models/",
            ApiStyle::AzureInference,
        );
        e.auth = Auth::ApiKey("k3y".into());
        e
    }

    fn body(req: &HttpRequest) -> Value {
        serde_json::from_str(req.body.as_deref().unwrap()).unwrap()
    }

    /// `stop` and `response_format` as serde's `untagged` and internally-tagged derives read
    /// them: what the hand-made readers must match.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum UntaggedStop {
        One(String),
        Many(Vec<String>),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum TaggedFormat {
        Text,
        JsonObject,
        JsonSchema { json_schema: Value },
    }

    #[test]
    fn stop_and_response_format_read_as_the_derives_do() {
        for case in [
            json!("END"),
            json!(["a", "b"]),
            json!([]),
            json!(3),
            json!(["a", 1]),
            json!({"a": 1}),
            json!(null),
        ] {
            let expected = serde_json::from_value::<UntaggedStop>(case.clone()).map(|s| match s {
                UntaggedStop::One(one) => Stop::One(one),
                UntaggedStop::Many(many) => Stop::Many(many),
            });
            let got = serde_json::from_value::<Stop>(case.clone());
            assert_eq!(got.is_ok(), expected.is_ok(), "{case}");
            if let (Ok(got), Ok(expected)) = (got, expected) {
                assert_eq!(got, expected);
            }
        }
        let cases = [
            json!({"type": "text"}),
            json!({"type": "json_object", "json_schema": 1, "extra": true}),
            json!({"type": "json_schema", "json_schema": {"name": "n", "schema": {}}}),
            json!({"type": "json_schema", "json_schema": null}),
            json!({"type": "json_schema"}),
            json!({"type": "xml"}),
            json!({"json_schema": {}}),
            json!("json_object"),
        ];
        for case in cases {
            let expected = serde_json::from_value::<TaggedFormat>(case.clone()).map(|f| match f {
                TaggedFormat::Text => ResponseFormat::Text,
                TaggedFormat::JsonObject => ResponseFormat::JsonObject,
                TaggedFormat::JsonSchema { json_schema } => {
                    ResponseFormat::JsonSchema { json_schema }
                }
            });
            match (
                expected,
                serde_json::from_value::<ResponseFormat>(case.clone()),
            ) {
                (Ok(expected), Ok(got)) => assert_eq!(got, expected, "{case}"),
                (Err(expected), Err(got)) => {
                    // The same error, but for the name of what was expected.
                    let (got, expected) = (got.to_string(), expected.to_string());
                    let what = |e: &str| e.split(", expected").next().map(str::to_owned);
                    assert_eq!(what(&got), what(&expected), "{case}");
                }
                (expected, got) => panic!("{case}: derive {expected:?}, read {got:?}"),
            }
        }
    }

    #[test]
    fn api_style_serializes_to_its_attribute_values() {
        assert_eq!(
            serde_json::to_value(ApiStyle::AzureInference).unwrap(),
            json!("azure-inference")
        );
        assert_eq!(
            serde_json::from_value::<ApiStyle>(json!("openai")).unwrap(),
            ApiStyle::OpenAi
        );
    }

    #[test]
    fn azure_inference_request_uses_api_version_and_api_key_header() {
        let req = chat_request(&azure(), &ChatOptions::default(), &[Message::user("Hi")]).unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.url,
            "https://res.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview"
        );
        assert_eq!(req.header("api-key"), Some("k3y"));
        assert_eq!(req.header("authorization"), None);
        assert_eq!(req.header("accept"), Some("text/event-stream"));
        assert_eq!(req.header("extra-parameters"), None);
        assert_eq!(
            body(&req),
            json!({"messages": [{"role": "user", "content": "Hi"}], "stream": true, "stream_options": {"include_usage": true}})
        );
    }

    #[test]
    fn a_bearer_token_goes_in_the_authorization_header_in_both_styles() {
        let mut e = azure();
        e.auth = Auth::Bearer("tok".into());
        let req = chat_request(&e, &ChatOptions::default(), &[Message::user("Hi")]).unwrap();
        assert_eq!(req.header("authorization"), Some("Bearer tok"));
        assert_eq!(req.header("api-key"), None);
    }

    #[test]
    fn openai_style_has_no_api_version_and_sends_the_key_as_bearer() {
        let mut e = Endpoint::new("https://res.openai.azure.com/openai/v1", ApiStyle::OpenAi);
        e.auth = Auth::ApiKey("sk".into());
        e.model = Some("gpt-4o".into());
        let opts = ChatOptions {
            stream: false,
            ..ChatOptions::default()
        };
        let req = chat_request(&e, &opts, &[Message::user("Hi")]).unwrap();
        assert_eq!(
            req.url,
            "https://res.openai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(req.header("authorization"), Some("Bearer sk"));
        assert_eq!(req.header("accept"), Some("application/json"));
        let b = body(&req);
        assert_eq!(b["model"], "gpt-4o");
        assert!(b.get("stream").is_none() && b.get("stream_options").is_none());
    }

    #[test]
    fn root_relative_base_urls_are_kept_for_the_browser_to_resolve() {
        let e = Endpoint::new("/proxy//", ApiStyle::OpenAi);
        let req = chat_request(&e, &ChatOptions::default(), &[Message::user("x")]).unwrap();
        assert_eq!(req.url, "/proxy/chat/completions");
        assert_eq!(
            req.headers
                .iter()
                .filter(|(k, _)| k == "authorization")
                .count(),
            0
        );
    }

    #[test]
    fn include_usage_can_be_turned_off_for_servers_that_reject_stream_options() {
        let opts = ChatOptions {
            include_usage: false,
            ..ChatOptions::default()
        };
        let b = body(&chat_request(&azure(), &opts, &[Message::user("x")]).unwrap());
        assert_eq!(b["stream"], true);
        assert!(b.get("stream_options").is_none());
    }

    #[test]
    fn all_parameters_are_sent_and_unset_ones_omitted() {
        let opts = ChatOptions {
            params: Params {
                temperature: Some(0.5),
                top_p: Some(1.0),
                max_tokens: Some(100),
                stop: Some(Stop::Many(vec!["END".into()])),
                presence_penalty: Some(-2.0),
                frequency_penalty: None,
                seed: Some(42),
                response_format: Some(ResponseFormat::JsonObject),
                reasoning: None,
            },
            ..ChatOptions::default()
        };
        let b = body(&chat_request(&azure(), &opts, &[Message::user("x")]).unwrap());
        assert_eq!(b["temperature"], 0.5);
        assert_eq!(b["max_tokens"], 100);
        assert_eq!(b["stop"], json!(["END"]));
        assert_eq!(b["seed"], 42);
        assert_eq!(b["response_format"], json!({"type": "json_object"}));
        assert!(b.get("frequency_penalty").is_none());
        assert!(!b.to_string().contains("null"));
    }

    #[test]
    fn out_of_range_parameters_are_invalid_input_naming_the_field() {
        let cases = [
            (
                Params {
                    temperature: Some(2.5),
                    ..Params::default()
                },
                "temperature",
            ),
            (
                Params {
                    temperature: Some(f64::NAN),
                    ..Params::default()
                },
                "temperature",
            ),
            (
                Params {
                    top_p: Some(-0.1),
                    ..Params::default()
                },
                "top_p",
            ),
            (
                Params {
                    presence_penalty: Some(3.0),
                    ..Params::default()
                },
                "presence_penalty",
            ),
            (
                Params {
                    frequency_penalty: Some(-2.1),
                    ..Params::default()
                },
                "frequency_penalty",
            ),
            (
                Params {
                    max_tokens: Some(0),
                    ..Params::default()
                },
                "max_tokens",
            ),
            (
                Params {
                    stop: Some(Stop::One(String::new())),
                    ..Params::default()
                },
                "stop",
            ),
        ];
        for (params, field) in cases {
            let opts = ChatOptions {
                params,
                ..ChatOptions::default()
            };
            let e = chat_request(&azure(), &opts, &[Message::user("x")]).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert_eq!(e.param.as_deref(), Some(field));
            assert!(e.message.contains(field), "{}", e.message);
        }
    }

    #[test]
    fn bad_base_urls_are_invalid_input() {
        for url in [
            "",
            "  ",
            "ftp://x",
            "example.com/models",
            "//host/x",
            "https://",
        ] {
            let e = Endpoint::new(url, ApiStyle::OpenAi).validate().unwrap_err();
            assert_eq!(
                (e.kind, e.param.as_deref()),
                (ErrorKind::InvalidInput, Some("endpoint")),
                "{url:?}"
            );
        }
        let mut key = azure();
        key.auth = Auth::ApiKey("a\nb".into());
        assert_eq!(
            key.validate().unwrap_err().param.as_deref(),
            Some("api-key")
        );
    }

    #[test]
    fn extra_params_merge_at_top_level_with_pass_through_header_in_azure_style() {
        let mut opts = ChatOptions::default();
        opts.extra_params.insert("logprobs".into(), json!(true));
        let req = chat_request(&azure(), &opts, &[Message::user("x")]).unwrap();
        assert_eq!(body(&req)["logprobs"], true);
        assert_eq!(req.header("extra-parameters"), Some("pass-through"));
        let openai = chat_request(
            &Endpoint::new("http://localhost:8080/v1", ApiStyle::OpenAi),
            &opts,
            &[Message::user("x")],
        )
        .unwrap();
        assert_eq!(body(&openai)["logprobs"], true);
        assert_eq!(openai.header("extra-parameters"), None);
    }

    #[test]
    fn an_extra_param_colliding_with_a_standard_key_is_invalid_input() {
        let mut opts = ChatOptions::default();
        opts.extra_params.insert("temperature".into(), json!(1));
        let e = chat_request(&azure(), &opts, &[Message::user("x")]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("temperature"));
    }

    #[test]
    fn system_prompt_is_prepended_as_a_system_message() {
        let opts = ChatOptions {
            system_prompt: Some("Be brief.".into()),
            ..ChatOptions::default()
        };
        let b = body(&chat_request(&azure(), &opts, &[Message::user("Hi")]).unwrap());
        assert_eq!(
            b["messages"][0],
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(b["messages"][1]["role"], "user");
    }

    #[test]
    fn system_prompt_as_user_is_folded_into_the_first_user_message() {
        let opts = ChatOptions {
            system_prompt: Some("Be brief.".into()),
            system_as_user: true,
            ..ChatOptions::default()
        };
        let b = body(
            &chat_request(
                &azure(),
                &opts,
                &[
                    Message::user("Hi"),
                    Message::assistant("Yo"),
                    Message::user("Again"),
                ],
            )
            .unwrap(),
        );
        assert_eq!(
            b["messages"][0],
            json!({"role": "user", "content": "Be brief.\n\nHi"})
        );
        assert_eq!(b["messages"][2]["content"], "Again");
        let parts = Message::User {
            content: Content::Parts(vec![Part::ImageUrl {
                image_url: ImageUrl {
                    url: "data:image/png;base64,AA==".into(),
                    detail: None,
                },
            }]),
            name: None,
        };
        let b = body(&chat_request(&azure(), &opts, &[parts]).unwrap());
        assert_eq!(
            b["messages"][0]["content"][0],
            json!({"type": "text", "text": "Be brief.\n\n"})
        );
        assert_eq!(b["messages"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn tools_and_tool_choice_are_sent_only_with_tools() {
        let mut opts = ChatOptions {
            tool_choice: Some(ToolChoice::Function("get_time".into())),
            ..ChatOptions::default()
        };
        let without = body(&chat_request(&azure(), &opts, &[Message::user("x")]).unwrap());
        assert!(without.get("tools").is_none() && without.get("tool_choice").is_none());
        opts.tools.push(ToolDefinition::new(
            "get_time",
            "Current time",
            json!({"type": "object", "properties": {}}),
        ));
        let history = [
            Message::user("time?"),
            Message::Assistant {
                content: Content::default(),
                tool_calls: Some(vec![ToolCall::function("c1", "get_time", "{}")]),
                name: None,
            },
            Message::tool("c1", "12:00"),
        ];
        let b = body(&chat_request(&azure(), &opts, &history).unwrap());
        assert_eq!(
            b["tools"][0],
            json!({"type": "function", "function": {"name": "get_time", "description": "Current time", "parameters": {"type": "object", "properties": {}}}})
        );
        assert_eq!(
            b["tool_choice"],
            json!({"type": "function", "function": {"name": "get_time"}})
        );
        assert_eq!(
            b["messages"][2],
            json!({"role": "tool", "content": "12:00", "tool_call_id": "c1"})
        );
        opts.tools.push(ToolDefinition::new(
            "bad name",
            "",
            json!({"type": "object"}),
        ));
        assert_eq!(
            chat_request(&azure(), &opts, &history)
                .unwrap_err()
                .param
                .as_deref(),
            Some("tools")
        );
    }

    #[test]
    fn a_bad_tool_name_is_refused_with_the_registrys_message() {
        let definition = ToolDefinition::new("bad name", "", json!({"type": "object"}));
        let opts = ChatOptions {
            tools: vec![definition.clone()],
            ..ChatOptions::default()
        };
        let error = chat_request(&azure(), &opts, &[Message::user("x")]).unwrap_err();
        let rule = definition.validate().unwrap_err();
        assert_eq!(error.message, rule.to_string());
        assert!(error.message.contains("\"bad name\""), "{}", error.message);
    }

    #[test]
    fn model_info_urls_follow_the_style() {
        let req = model_info_request(&azure()).unwrap();
        assert_eq!(
            req.url,
            "https://res.services.ai.azure.com/models/info?api-version=2024-05-01-preview"
        );
        assert_eq!(
            (req.method, req.header("api-key")),
            (Method::Get, Some("k3y"))
        );
        assert_eq!(req.body, None);
        let openai =
            model_info_request(&Endpoint::new("https://x/openai/v1/", ApiStyle::OpenAi)).unwrap();
        assert_eq!(openai.url, "https://x/openai/v1/models");
    }

    #[test]
    fn api_version_is_percent_encoded() {
        let mut e = azure();
        e.api_version = "2024 05&x".into();
        assert!(model_info_request(&e)
            .unwrap()
            .url
            .ends_with("/info?api-version=2024%2005%26x"));
    }

    #[test]
    fn info_and_models_bodies_give_model_info() {
        let info = parse_info(r#"{"model_name":"Mistral-Large","model_type":"chat-completions","model_provider_name":"MistralAI"}"#).unwrap();
        assert_eq!(info.model_provider_name.as_deref(), Some("MistralAI"));
        let models = r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","owned_by":"system"},{"id":"phi-4","owned_by":""}]}"#;
        let m = parse_models(models, Some("gpt-4o")).unwrap();
        assert_eq!(
            (m.model_name.as_str(), m.model_provider_name.as_deref()),
            ("gpt-4o", Some("system"))
        );
        assert_eq!(
            parse_models(models, Some("nope")).unwrap_err().kind,
            ErrorKind::NotFound
        );
        assert_eq!(
            parse_models(models, None).unwrap_err().kind,
            ErrorKind::NotFound
        );
        assert_eq!(
            parse_info("<html>").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
    }

    #[test]
    fn llamacpp_models_list_matches_by_id_or_alias() {
        let body = include_str!("../tests/fixtures/llamacpp-models.json");
        let only = parse_models(body, None).unwrap();
        assert!(only.model_name.ends_with("gemma-3-270m-q4_k_m.gguf"));
        let by_id = parse_models(body, Some(&only.model_name)).unwrap();
        assert_eq!(by_id, only);
    }

    #[test]
    fn params_keys_are_the_serialized_fields_and_other_keys_are_refused() {
        let all = Params {
            temperature: Some(1.0),
            top_p: Some(1.0),
            max_tokens: Some(1),
            stop: Some(Stop::One("x".into())),
            presence_penalty: Some(0.0),
            frequency_penalty: Some(0.0),
            seed: Some(1),
            response_format: Some(ResponseFormat::JsonObject),
            reasoning: Some(Reasoning {
                effort: Some(ReasoningEffort::Low),
                summary: None,
            }),
        };
        let value = serde_json::to_value(&all).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = Params::KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        let typo = serde_json::from_str::<Params>(r#"{"temprature":1}"#).unwrap_err();
        assert!(
            typo.to_string().contains("unknown field `temprature`"),
            "{typo}"
        );
        for key in Params::KEYS
            .iter()
            .chain(&["messages", "model", "stream_options", "tools"])
        {
            assert!(is_standard_key(key), "{key}");
        }
        assert!(!is_standard_key("logprobs"));
    }

    #[test]
    fn api_styles_have_one_name_each_read_back_by_parse_and_serde() {
        for &style in <ApiStyle as Named>::ALL {
            assert_eq!(ApiStyle::parse(style.as_str()), Some(style));
            assert_eq!(
                serde_json::to_value(style).unwrap(),
                Value::from(style.as_str())
            );
        }
        assert_eq!(ApiStyle::parse("openai"), Some(ApiStyle::OpenAi));
        assert_eq!(
            ApiStyle::parse("azure-inference"),
            Some(ApiStyle::AzureInference)
        );
        assert_eq!(ApiStyle::parse("OpenAI"), None);
        assert_eq!(ApiStyle::OpenAi.text().1, "OpenAI-compatible (/v1)");
        assert!(serde_json::from_value::<ApiStyle>(json!("soap")).is_err());
    }

    #[test]
    fn chat_completions_refuse_reasoning_naming_it() {
        let opts = ChatOptions {
            params: Params {
                reasoning: Some(Reasoning {
                    effort: Some(ReasoningEffort::High),
                    summary: Some(ReasoningSummary::Auto),
                }),
                ..Params::default()
            },
            ..ChatOptions::default()
        };
        let e = chat_request(&azure(), &opts, &[Message::user("x")]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.param.as_deref(), Some("reasoning"));
        assert!(e.message.contains("reasoning"), "{}", e.message);
    }

    #[test]
    fn reasoning_names_read_back_and_unknown_ones_are_refused() {
        let r: Reasoning =
            serde_json::from_value(json!({"effort": "xhigh", "summary": "detailed"})).unwrap();
        assert_eq!(r.effort, Some(ReasoningEffort::XHigh));
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            json!({"effort": "xhigh", "summary": "detailed"})
        );
        for &e in ReasoningEffort::ALL {
            assert_eq!(ReasoningEffort::parse(e.as_str()), Some(e));
        }
        assert!(serde_json::from_value::<Reasoning>(json!({"effort": "max"})).is_err());
        assert!(serde_json::from_value::<Reasoning>(json!({"budget": 1})).is_err());
    }

    #[test]
    fn the_responses_style_authenticates_as_azure_openai_v1_and_lists_models() {
        let mut e = Endpoint::new(
            "https://res.openai.azure.com/openai/v1/",
            ApiStyle::Responses,
        );
        e.auth = Auth::ApiKey("k".into());
        let info = model_info_request(&e).unwrap();
        assert_eq!(info.url, "https://res.openai.azure.com/openai/v1/models");
        assert_eq!(info.header("api-key"), Some("k"));
        assert_eq!(info.header("authorization"), None);
        e.auth = Auth::Bearer("tok".into());
        let info = model_info_request(&e).unwrap();
        assert_eq!(info.header("authorization"), Some("Bearer tok"));
        assert_eq!(info.header("api-key"), None);
        e.model = Some("gpt-4o".into());
        let models = r#"{"data":[{"id":"gpt-4o","owned_by":"system"},{"id":"o4-mini"}]}"#;
        assert_eq!(parse_model_info(&e, models).unwrap().model_name, "gpt-4o");
        assert_eq!(ApiStyle::parse("responses"), Some(ApiStyle::Responses));
        assert_eq!(ApiStyle::Responses.text().1, "Responses API (/openai/v1)");
    }

    #[test]
    fn turn_request_builds_the_request_of_the_endpoints_style() {
        let entries = [Entry::new("u1", Message::user("Hi"))];
        let chat = turn_request(
            &azure(),
            &ChatOptions::default(),
            &entries,
            Chain::AfterLastStored,
        )
        .unwrap();
        assert!(chat.url.contains("/chat/completions?api-version="));
        assert_eq!(
            body(&chat)["messages"],
            json!([{"role": "user", "content": "Hi"}])
        );
        let e = Endpoint::new("https://x/openai/v1", ApiStyle::Responses);
        let responses = turn_request(&e, &ChatOptions::default(), &entries, Chain::Full).unwrap();
        assert_eq!(responses.url, "https://x/openai/v1/responses");
        assert_eq!(body(&responses)["store"], false);
    }
}
