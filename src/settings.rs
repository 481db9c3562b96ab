//! The element's settings: the one schema its attributes, properties, settings panel and
//! storage map through, the range checks beside it, and the request they produce for a
//! transcript.

use chat_core::error::ChatError;
use chat_core::image::ImageOptions;
use chat_core::named::Named;
use chat_core::request::{self, ApiStyle, Auth, ChatOptions, Endpoint, HttpRequest, Params};
use chat_core::responses::Chain;
use chat_core::tools::BuiltinTool;
use chat_core::transcript::Entry;
use chat_core::turn::{DEFAULT_TOOL_ROUNDS, TOOL_ROUNDS};
use chat_core::types::{ToolChoice, ToolDefinition};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

/// Colour theme of the component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    #[default]
    Auto,
}

impl Named for Theme {
    const ALL: &'static [Theme] = &[Theme::Light, Theme::Dark, Theme::Auto];

    fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

chat_core::serde_by_name!(Theme);

/// How requests are authenticated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// `api-key` header (azure-inference) or `Authorization: Bearer` (openai).
    #[default]
    Key,
    /// `Authorization: Bearer <token>` (Microsoft Entra ID).
    Bearer,
    /// No credentials: the dev server's proxy adds them, or the endpoint needs none.
    None,
}

impl AuthMode {
    /// The mode's name (storage, the panel's select) and its label in the settings.
    pub const fn text(self) -> (&'static str, &'static str) {
        match self {
            AuthMode::Key => ("key", "API key"),
            AuthMode::Bearer => ("bearer", "Bearer token (Entra ID)"),
            AuthMode::None => ("none", "None (dev proxy or open endpoint)"),
        }
    }
}

impl Named for AuthMode {
    const ALL: &'static [AuthMode] = &[AuthMode::Key, AuthMode::Bearer, AuthMode::None];

    fn as_str(self) -> &'static str {
        self.text().0
    }
}

chat_core::serde_by_name!(AuthMode);

/// The silence timeout the settings accept, in seconds.
pub const STREAM_TIMEOUT_S: RangeInclusive<u32> = 1..=3600;

/// `seconds` if it is a silence timeout the settings accept, else why not.
pub fn check_timeout_s(seconds: u32) -> Result<u32, String> {
    if STREAM_TIMEOUT_S.contains(&seconds) {
        return Ok(seconds);
    }
    Err(format!(
        "Silence timeout must be between {} and {} seconds.",
        STREAM_TIMEOUT_S.start(),
        STREAM_TIMEOUT_S.end()
    ))
}

/// `rounds` if it is a tool-round limit the settings accept, else why not.
pub fn check_rounds(rounds: u32) -> Result<u32, String> {
    if TOOL_ROUNDS.contains(&rounds) {
        return Ok(rounds);
    }
    Err(format!(
        "Tool rounds must be between {} and {}.",
        TOOL_ROUNDS.start(),
        TOOL_ROUNDS.end()
    ))
}

/// Everything the element was configured with — the one settings schema: attributes and
/// properties set it, the settings panel edits it, and `persist` stores it as this type's
/// JSON (the `skip`ped fields come from the page, not from storage; the fields an older
/// stored copy lacks are the `default` ones).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Base URL; `/chat/completions` is appended. Relative URLs resolve against the page.
    pub endpoint: String,
    pub api_style: ApiStyle,
    pub model: Option<String>,
    pub api_version: Option<String>,
    pub auth_mode: AuthMode,
    /// The key or token for `auth_mode` (stored only with `remember_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The user opted in to storing the key on this device.
    pub remember_key: bool,
    pub system_prompt: String,
    pub system_as_user: bool,
    pub stream: bool,
    /// How long a stream may stay silent before it counts as dropped.
    #[serde(default = "default_timeout_ms")]
    pub stream_timeout_ms: u32,
    #[serde(skip)]
    pub theme: Theme,
    /// `settings="hidden"`: no settings panel and no key fields (public pages).
    #[serde(skip)]
    pub settings_hidden: bool,
    pub params: Params,
    pub extra_params: Map<String, Value>,
    /// `persist`: the key the conversations and settings are stored under; `None`: nothing
    /// is stored.
    #[serde(skip)]
    pub persist: Option<String>,
    /// `conversations="list"`: show the list of stored conversations.
    #[serde(skip)]
    pub conversation_list: bool,
    /// `tools`: the built-in tools to offer (stored by name; unknown names are dropped).
    #[serde(default, with = "tool_names")]
    pub tools: Vec<BuiltinTool>,
    /// The `toolChoice` property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// The `maxToolRounds` property, within [`TOOL_ROUNDS`].
    #[serde(default = "default_rounds")]
    pub max_tool_rounds: u32,
    /// Limits for attached images (the element's `imageOptions`).
    #[serde(default)]
    pub image_options: ImageOptions,
    /// `previous-response-id="on"` (Responses style only): send only the new items and the
    /// last reply's `previous_response_id`, with `store: true`, instead of the whole history.
    #[serde(default)]
    pub previous_response_id: bool,
}

/// The silence timeout unless set.
fn default_timeout_ms() -> u32 {
    60_000
}

fn default_rounds() -> u32 {
    DEFAULT_TOOL_ROUNDS
}

/// The built-in tools as their names.
mod tool_names {
    use chat_core::tools::BuiltinTool;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tools: &[BuiltinTool], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(tools.iter().map(|t| t.name()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<BuiltinTool>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        Ok(names
            .iter()
            .filter_map(|name| BuiltinTool::from_name(name))
            .collect())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            api_style: ApiStyle::AzureInference,
            model: None,
            api_version: None,
            auth_mode: AuthMode::Key,
            api_key: None,
            remember_key: false,
            system_prompt: String::new(),
            system_as_user: false,
            stream: true,
            stream_timeout_ms: default_timeout_ms(),
            theme: Theme::Auto,
            settings_hidden: false,
            params: Params::default(),
            extra_params: Map::new(),
            persist: None,
            conversation_list: false,
            tools: Vec::new(),
            tool_choice: None,
            max_tool_rounds: default_rounds(),
            image_options: ImageOptions::default(),
            previous_response_id: false,
        }
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The value an attribute names; the default when it is missing or names none.
fn parse_or_default<T: Named + Default>(value: Option<&str>) -> T {
    value.and_then(|v| T::parse(v.trim())).unwrap_or_default()
}

impl Settings {
    /// Whether the list of stored conversations shows (`conversations="list"` with `persist`).
    pub fn lists_conversations(&self) -> bool {
        self.conversation_list && self.persist.is_some()
    }

    /// `self` as loaded from storage, over `page` (the settings the page configured): what
    /// is not stored comes from the page, the key only when the user opted in to storing
    /// it, and a value out of range keeps the page's.
    pub fn stored_over(mut self, page: &Settings) -> Settings {
        self.theme = page.theme;
        self.settings_hidden = page.settings_hidden;
        self.persist = page.persist.clone();
        self.conversation_list = page.conversation_list;
        if !self.remember_key {
            self.api_key = page.api_key.clone();
        }
        if check_timeout_s(self.stream_timeout_ms / 1000).is_err() {
            self.stream_timeout_ms = page.stream_timeout_ms;
        }
        if check_rounds(self.max_tool_rounds).is_err() {
            self.max_tool_rounds = page.max_tool_rounds;
        }
        if self.image_options.validate().is_err() {
            self.image_options = page.image_options.clone();
        }
        if self.params.validate().is_err() {
            self.params = page.params.clone();
        }
        self
    }

    /// Applies one attribute of `<foundry-chat>`; `None` means the attribute was removed.
    pub fn apply_attribute(&mut self, name: &str, value: Option<&str>) {
        match name {
            "endpoint" => self.endpoint = value.unwrap_or_default().trim().to_owned(),
            "api-style" => {
                self.api_style = parse_or_default(value);
            }
            "model" => self.model = non_empty(value),
            "api-version" => self.api_version = non_empty(value),
            "api-key" => {
                self.api_key = non_empty(value);
                self.auth_mode = AuthMode::Key;
            }
            "system-prompt" => self.system_prompt = value.unwrap_or_default().to_owned(),
            "stream" => self.stream = value.map(str::trim) != Some("false"),
            "theme" => self.theme = parse_or_default(value),
            "settings" => self.settings_hidden = value.map(str::trim) == Some("hidden"),
            "persist" => self.persist = non_empty(value),
            "conversations" => self.conversation_list = value.map(str::trim) == Some("list"),
            "previous-response-id" => {
                self.previous_response_id = value.map(str::trim) == Some("on");
            }
            "tools" => {
                let (known, unknown) = BuiltinTool::parse_list(value.unwrap_or_default());
                if !unknown.is_empty() {
                    web_sys::console::warn_1(
                        &format!(
                            "foundry-chat: unknown tools ignored: {}",
                            unknown.join(", ")
                        )
                        .into(),
                    );
                }
                self.tools = known;
            }
            _ => {}
        }
    }

    /// The endpoint, with a relative base URL resolved against `base` (the page's URL).
    pub fn endpoint(&self, base: &str) -> Result<Endpoint, ChatError> {
        if self.endpoint.is_empty() {
            return Err(ChatError::invalid_input(
                "endpoint",
                "No endpoint is set: give the element an `endpoint` attribute or enter one in the settings.",
            ));
        }
        let url = web_sys::Url::new_with_base(&self.endpoint, base).map_err(|_| {
            ChatError::invalid_input(
                "endpoint",
                format!("The endpoint `{}` is not a valid URL.", self.endpoint),
            )
        })?;
        let mut endpoint = Endpoint::new(url.href(), self.api_style);
        if let Some(version) = &self.api_version {
            endpoint.api_version = version.clone();
        }
        endpoint.model = self.model.clone();
        endpoint.auth = match (self.auth_mode, &self.api_key) {
            (AuthMode::None, _) | (_, None) => Auth::None,
            (AuthMode::Key, Some(key)) => Auth::ApiKey(key.clone()),
            (AuthMode::Bearer, Some(token)) => Auth::Bearer(token.clone()),
        };
        Ok(endpoint)
    }

    /// The chat request for this transcript, or why it cannot be sent.
    pub fn chat_request(&self, base: &str, entries: &[Entry]) -> Result<HttpRequest, ChatError> {
        self.chat_request_with_tools(base, entries, Vec::new(), self.chain())
    }

    /// How a Responses request carries the history: chained on the last stored reply when
    /// `previous-response-id` is on, else in full (the other styles always send it all).
    pub fn chain(&self) -> Chain {
        if self.previous_response_id {
            Chain::AfterLastStored
        } else {
            Chain::Full
        }
    }

    /// The chat request offering `tools` (with `tool_choice`, when there are tools).
    pub fn chat_request_with_tools(
        &self,
        base: &str,
        entries: &[Entry],
        tools: Vec<ToolDefinition>,
        chain: Chain,
    ) -> Result<HttpRequest, ChatError> {
        let options = ChatOptions {
            tools,
            params: self.params.clone(),
            system_prompt: Some(self.system_prompt.clone()).filter(|p| !p.trim().is_empty()),
            system_as_user: self.system_as_user,
            extra_params: self.extra_params.clone(),
            tool_choice: self.tool_choice.clone(),
            stream: self.stream,
            ..ChatOptions::default()
        };
        request::turn_request(&self.endpoint(base)?, &options, entries, chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::types::Message;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn configured(attrs: &[(&str, &str)]) -> Settings {
        let mut s = Settings::default();
        for (name, value) in attrs {
            s.apply_attribute(name, Some(value));
        }
        s
    }

    #[wasm_bindgen_test]
    fn a_relative_endpoint_resolves_against_the_page() {
        let s = configured(&[("endpoint", "models/"), ("api-key", "k")]);
        let req = s
            .chat_request(
                "http://127.0.0.1:9/app/",
                &[Entry::new("1", Message::user("hi"))],
            )
            .expect("a request");
        assert_eq!(
            req.url,
            "http://127.0.0.1:9/app/models/chat/completions?api-version=2024-05-01-preview"
        );
        assert_eq!(req.header("api-key"), Some("k"));
    }

    #[wasm_bindgen_test]
    fn the_openai_style_sends_the_key_as_a_bearer_token_without_api_version() {
        let s = configured(&[
            ("endpoint", "https://x.openai.azure.com/openai/v1"),
            ("api-style", "openai"),
            ("api-key", "k"),
            ("model", "gpt"),
        ]);
        let req = s
            .chat_request("http://page/", &[Entry::new("1", Message::user("hi"))])
            .expect("a request");
        assert_eq!(
            req.url,
            "https://x.openai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(req.header("authorization"), Some("Bearer k"));
        assert!(req.body.unwrap_or_default().contains("\"model\":\"gpt\""));
    }

    #[wasm_bindgen_test]
    fn missing_endpoint_and_bad_params_are_refused_with_the_field_named() {
        let e = Settings::default()
            .chat_request("http://page/", &[Entry::new("1", Message::user("hi"))])
            .expect_err("no endpoint");
        assert_eq!(e.param.as_deref(), Some("endpoint"));
        let mut s = configured(&[("endpoint", "/models")]);
        s.params.temperature = Some(7.0);
        let e = s
            .chat_request("http://page/", &[Entry::new("1", Message::user("hi"))])
            .expect_err("bad temperature");
        assert_eq!(e.param.as_deref(), Some("temperature"));
    }

    #[wasm_bindgen_test]
    fn attributes_map_to_settings_and_removal_restores_defaults() {
        let mut s = configured(&[
            ("stream", "false"),
            ("theme", "dark"),
            ("settings", "hidden"),
        ]);
        assert!(!s.stream);
        assert_eq!(s.theme, Theme::Dark);
        assert!(s.settings_hidden);
        s.apply_attribute("stream", None);
        s.apply_attribute("theme", None);
        assert!(s.stream);
        assert_eq!(s.theme, Theme::Auto);
    }
}
