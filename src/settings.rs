//! The element's settings: what its attributes (and later the settings panel) say, and the
//! request they produce for a transcript.

use chat_core::error::ChatError;
use chat_core::image::ImageOptions;
use chat_core::request::{self, ApiStyle, Auth, ChatOptions, Endpoint, HttpRequest, Params};
use chat_core::tools::BuiltinTool;
use chat_core::transcript::Entry;
use chat_core::types::{ToolChoice, ToolDefinition};
use serde_json::{Map, Value};

/// Colour theme of the component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    #[default]
    Auto,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

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
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Key => "key",
            AuthMode::Bearer => "bearer",
            AuthMode::None => "none",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "bearer" => AuthMode::Bearer,
            "none" => AuthMode::None,
            _ => AuthMode::Key,
        }
    }
}

/// Everything the element was configured with.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Base URL; `/chat/completions` is appended. Relative URLs resolve against the page.
    pub endpoint: String,
    pub api_style: ApiStyle,
    pub model: Option<String>,
    pub api_version: Option<String>,
    pub auth_mode: AuthMode,
    /// The key or token for `auth_mode`.
    pub api_key: Option<String>,
    /// The user opted in to storing the key on this device.
    pub remember_key: bool,
    pub system_prompt: String,
    pub system_as_user: bool,
    pub stream: bool,
    /// How long a stream may stay silent before it counts as dropped.
    pub stream_timeout_ms: u32,
    pub theme: Theme,
    /// `settings="hidden"`: no settings panel and no key fields (public pages).
    pub settings_hidden: bool,
    pub params: Params,
    pub extra_params: Map<String, Value>,
    /// `persist`: the localStorage key of this conversation; `None`: nothing is stored.
    pub persist: Option<String>,
    /// `tools`: the built-in tools to offer.
    pub tools: Vec<BuiltinTool>,
    /// The `toolChoice` property.
    pub tool_choice: Option<ToolChoice>,
    /// The `maxToolRounds` property.
    pub max_tool_rounds: u32,
    /// Limits for attached images (the element's `imageOptions`).
    pub image_options: ImageOptions,
}

/// `maxToolRounds` unless set.
pub const DEFAULT_MAX_TOOL_ROUNDS: u32 = 8;

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
            stream_timeout_ms: 60_000,
            theme: Theme::Auto,
            settings_hidden: false,
            params: Params::default(),
            extra_params: Map::new(),
            persist: None,
            tools: Vec::new(),
            tool_choice: None,
            max_tool_rounds: DEFAULT_MAX_TOOL_ROUNDS,
            image_options: ImageOptions::default(),
        }
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Settings {
    /// Applies one attribute of `<foundry-chat>`; `None` means the attribute was removed.
    pub fn apply_attribute(&mut self, name: &str, value: Option<&str>) {
        match name {
            "endpoint" => self.endpoint = value.unwrap_or_default().trim().to_owned(),
            "api-style" => {
                self.api_style = match value.map(str::trim) {
                    Some("openai") => ApiStyle::OpenAi,
                    _ => ApiStyle::AzureInference,
                }
            }
            "model" => self.model = non_empty(value),
            "api-version" => self.api_version = non_empty(value),
            "api-key" => {
                self.api_key = non_empty(value);
                self.auth_mode = AuthMode::Key;
            }
            "system-prompt" => self.system_prompt = value.unwrap_or_default().to_owned(),
            "stream" => self.stream = value.map(str::trim) != Some("false"),
            "theme" => {
                self.theme = match value.map(str::trim) {
                    Some("light") => Theme::Light,
                    Some("dark") => Theme::Dark,
                    _ => Theme::Auto,
                }
            }
            "settings" => self.settings_hidden = value.map(str::trim) == Some("hidden"),
            "persist" => self.persist = non_empty(value),
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
        self.chat_request_with_tools(base, entries, Vec::new())
    }

    /// The chat request offering `tools` (with `tool_choice`, when there are tools).
    pub fn chat_request_with_tools(
        &self,
        base: &str,
        entries: &[Entry],
        tools: Vec<ToolDefinition>,
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
        let messages: Vec<_> = entries.iter().map(Entry::to_wire).collect();
        request::chat_request(&self.endpoint(base)?, &options, &messages)
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
