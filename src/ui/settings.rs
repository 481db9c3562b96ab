//! The settings panel: edits a draft of the settings and applies it only when the whole
//! draft is valid (the reason is shown otherwise; nothing is sent with invalid settings).

use chat_core::image::ImageOptions;
use chat_core::named::Named;
use chat_core::request::{ApiStyle, Params, ResponseFormat, Stop};
use chat_core::tools::BuiltinTool;
use chat_core::turn::DEFAULT_TOOL_ROUNDS;
use chat_core::types::ToolChoice;
use leptos::prelude::*;

use crate::session::ChatController;
use crate::settings::{check_rounds, check_timeout_s, AuthMode, Settings};

/// The draft: every field as the user typed it.
#[derive(Clone, Default)]
struct Draft {
    endpoint: RwSignal<String>,
    api_style: RwSignal<String>,
    auth: RwSignal<String>,
    secret: RwSignal<String>,
    remember_key: RwSignal<bool>,
    model: RwSignal<String>,
    api_version: RwSignal<String>,
    system_prompt: RwSignal<String>,
    system_as_user: RwSignal<bool>,
    stream: RwSignal<bool>,
    previous_response_id: RwSignal<bool>,
    temperature: RwSignal<String>,
    top_p: RwSignal<String>,
    max_tokens: RwSignal<String>,
    stop: RwSignal<String>,
    presence_penalty: RwSignal<String>,
    frequency_penalty: RwSignal<String>,
    seed: RwSignal<String>,
    json_mode: RwSignal<bool>,
    extra_params: RwSignal<String>,
    image_max_edge: RwSignal<String>,
    image_max_kib: RwSignal<String>,
    timeout_s: RwSignal<String>,
    /// The enabled built-in tools, in `BuiltinTool::ALL` order.
    tools: [RwSignal<bool>; 3],
    /// "" (not sent), "auto", "none", "required" or "function".
    tool_choice: RwSignal<String>,
    tool_function: RwSignal<String>,
    max_tool_rounds: RwSignal<String>,
}

fn num_text<T: Field>(value: Option<T>) -> String {
    value.map(|v| v.to_text()).unwrap_or_default()
}

/// A number a settings field holds: read from and shown as text.
trait Field: Sized {
    fn from_text(text: &str) -> Option<Self>;
    fn to_text(&self) -> String;
}

impl Field for f64 {
    fn from_text(text: &str) -> Option<Self> {
        chat_core::number::parse(text)
    }

    fn to_text(&self) -> String {
        chat_core::number::to_text(*self)
    }
}

macro_rules! integer_fields {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn from_text(text: &str) -> Option<Self> {
                text.parse().ok()
            }

            fn to_text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

integer_fields!(u32, i64, usize);

impl Draft {
    fn load(&self, s: &Settings) {
        self.endpoint.set(s.endpoint.clone());
        self.api_style.set(s.api_style.as_str().to_owned());
        self.auth.set(s.auth_mode.as_str().to_owned());
        self.secret.set(s.api_key.clone().unwrap_or_default());
        self.remember_key.set(s.remember_key);
        self.model.set(s.model.clone().unwrap_or_default());
        self.api_version
            .set(s.api_version.clone().unwrap_or_default());
        self.system_prompt.set(s.system_prompt.clone());
        self.system_as_user.set(s.system_as_user);
        self.stream.set(s.stream);
        self.previous_response_id.set(s.previous_response_id);
        self.timeout_s.set((s.stream_timeout_ms / 1000).to_string());
        let p = &s.params;
        self.temperature.set(num_text(p.temperature));
        self.top_p.set(num_text(p.top_p));
        self.max_tokens.set(num_text(p.max_tokens));
        self.stop.set(match &p.stop {
            Some(Stop::One(one)) => one.clone(),
            Some(Stop::Many(many)) => many.join("\n"),
            None => String::new(),
        });
        self.presence_penalty.set(num_text(p.presence_penalty));
        self.frequency_penalty.set(num_text(p.frequency_penalty));
        self.seed.set(num_text(p.seed));
        self.json_mode.set(matches!(
            p.response_format,
            Some(ResponseFormat::JsonObject)
        ));
        self.image_max_edge
            .set(s.image_options.max_edge.to_string());
        self.image_max_kib
            .set((s.image_options.max_bytes / 1024).to_string());
        for (tool, enabled) in BuiltinTool::ALL.iter().zip(&self.tools) {
            enabled.set(s.tools.contains(tool));
        }
        let (choice, function) = match &s.tool_choice {
            None => ("", String::new()),
            Some(ToolChoice::Auto) => ("auto", String::new()),
            Some(ToolChoice::None) => ("none", String::new()),
            Some(ToolChoice::Required) => ("required", String::new()),
            Some(ToolChoice::Function(name)) => ("function", name.clone()),
        };
        self.tool_choice.set(choice.to_owned());
        self.tool_function.set(function);
        self.max_tool_rounds.set(s.max_tool_rounds.to_string());
        self.extra_params.set(if s.extra_params.is_empty() {
            String::new()
        } else {
            serde_json::to_string_pretty(&s.extra_params).unwrap_or_default()
        });
    }

    /// The image limits this draft describes, checked.
    fn image_options(&self, current: &ImageOptions) -> Result<ImageOptions, String> {
        let mut options = current.clone();
        if let Some(edge) = number("Image maximum edge", &self.image_max_edge.get_untracked())? {
            options.max_edge = edge;
        }
        if let Some(kib) = number::<usize>("Image size limit", &self.image_max_kib.get_untracked())?
        {
            options.max_bytes = kib.saturating_mul(1024);
        }
        options.validate().map_err(|e| e.to_string())?;
        Ok(options)
    }

    /// The settings this draft describes, or the first problem in plain words.
    fn parse(&self, current: &Settings) -> Result<Settings, String> {
        let mut s = current.clone();
        s.endpoint = self.endpoint.get_untracked().trim().to_owned();
        s.api_style = ApiStyle::parse(&self.api_style.get_untracked()).unwrap_or_default();
        s.auth_mode = AuthMode::parse(&self.auth.get_untracked()).unwrap_or_default();
        let secret = self.secret.get_untracked().trim().to_owned();
        s.api_key = (!secret.is_empty()).then_some(secret);
        s.remember_key = self.remember_key.get_untracked();
        let model = self.model.get_untracked().trim().to_owned();
        s.model = (!model.is_empty()).then_some(model);
        let version = self.api_version.get_untracked().trim().to_owned();
        s.api_version = (!version.is_empty()).then_some(version);
        s.system_prompt = self.system_prompt.get_untracked();
        s.system_as_user = self.system_as_user.get_untracked();
        s.stream = self.stream.get_untracked();
        s.previous_response_id = self.previous_response_id.get_untracked();
        let timeout_s = check_timeout_s(
            number("Silence timeout", &self.timeout_s.get_untracked())?.unwrap_or(60),
        )?;
        s.stream_timeout_ms = timeout_s * 1000;
        let stop_text = self.stop.get_untracked();
        let stops: Vec<String> = stop_text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        s.params = Params {
            temperature: number("Temperature", &self.temperature.get_untracked())?,
            top_p: number("Top P", &self.top_p.get_untracked())?,
            max_tokens: number("Max tokens", &self.max_tokens.get_untracked())?,
            stop: match stops.len() {
                0 => None,
                1 => stops.into_iter().next().map(Stop::One),
                _ => Some(Stop::Many(stops)),
            },
            presence_penalty: number("Presence penalty", &self.presence_penalty.get_untracked())?,
            frequency_penalty: number(
                "Frequency penalty",
                &self.frequency_penalty.get_untracked(),
            )?,
            seed: number("Seed", &self.seed.get_untracked())?,
            response_format: self
                .json_mode
                .get_untracked()
                .then_some(ResponseFormat::JsonObject),
            reasoning: current.params.reasoning,
        };
        s.image_options = self.image_options(&current.image_options)?;
        s.tools = BuiltinTool::ALL
            .into_iter()
            .zip(&self.tools)
            .filter(|(_, enabled)| enabled.get_untracked())
            .map(|(tool, _)| tool)
            .collect();
        s.tool_choice = match self.tool_choice.get_untracked().as_str() {
            "auto" => Some(ToolChoice::Auto),
            "none" => Some(ToolChoice::None),
            "required" => Some(ToolChoice::Required),
            "function" => {
                let name = self.tool_function.get_untracked().trim().to_owned();
                if name.is_empty() {
                    return Err("Tool choice: name the function the model must call.".to_owned());
                }
                Some(ToolChoice::Function(name))
            }
            _ => None,
        };
        s.max_tool_rounds = check_rounds(
            number("Tool rounds", &self.max_tool_rounds.get_untracked())?
                .unwrap_or(DEFAULT_TOOL_ROUNDS),
        )?;
        let extra = self.extra_params.get_untracked();
        s.extra_params = if extra.trim().is_empty() {
            Default::default()
        } else {
            serde_json::from_str(&extra)
                .map_err(|e| format!("Extra parameters must be a JSON object ({e})."))?
        };
        Ok(s)
    }
}

/// Parses an optional number field; empty means unset.
fn number<T: Field>(label: &str, text: &str) -> Result<Option<T>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    T::from_text(text)
        .map(Some)
        .ok_or_else(|| format!("{label} must be a number (got \"{text}\")."))
}

#[component]
pub fn SettingsPanel(on_close: Callback<()>) -> impl IntoView {
    let controller = expect_context::<ChatController>();
    let draft = Draft::default();
    draft.load(&controller.settings.get_untracked());
    let problem = RwSignal::new(None::<String>);
    let apply = {
        let draft = draft.clone();
        let controller = controller.clone();
        move |ev: web_sys::SubmitEvent| {
            ev.prevent_default();
            let current = controller.settings.get_untracked();
            match draft
                .parse(&current)
                .and_then(|s| controller.validate_settings(&s).map(|()| s))
            {
                Ok(settings) => {
                    let image_options = settings.image_options.clone();
                    controller.apply_settings(settings);
                    if let Err(e) = controller.set_image_options(image_options) {
                        problem.set(Some(e.to_string()));
                        return;
                    }
                    problem.set(None);
                    on_close.run(());
                }
                Err(reason) => problem.set(Some(reason)),
            }
        }
    };
    let d = draft;
    view! {
        <form class="fc-settings" part="settings-panel" novalidate on:submit=apply aria-label="Settings">
            {input("Endpoint", d.endpoint, Input {
                kind: Some("text"),
                mode: Some("url"),
                placeholder: Some("https://<resource>.services.ai.azure.com/models"),
                no_spellcheck: true,
                ..Input::default()
            })}
            <div class="fc-row">
                {select("API style", d.api_style, &API_STYLES)}
                {input("Model / deployment", d.model, Input::default())}
                {input("API version", d.api_version, Input {
                    placeholder: Some("2024-05-01-preview"),
                    ..Input::default()
                })}
            </div>
            <div class="fc-row">
                {select("Authentication", d.auth, &AUTH_MODES)}
                {input("Key or token", d.secret, Input {
                    kind: Some("password"),
                    autocomplete_off: true,
                    ..Input::default()
                })}
            </div>
            {check("Remember the key on this device", d.remember_key, false)}
            {area("System prompt", d.system_prompt, "2", Input::default())}
            {check(
                "Send the system prompt as a user message (for models without a system role)",
                d.system_as_user,
                false,
            )}
            <div class="fc-row">
                {input("Temperature (0–2)", d.temperature, DECIMAL)}
                {input("Top P (0–1)", d.top_p, DECIMAL)}
                {input("Max tokens", d.max_tokens, NUMERIC)}
                {input("Seed", d.seed, NUMERIC)}
                {input("Presence penalty (−2–2)", d.presence_penalty, DECIMAL)}
                {input("Frequency penalty (−2–2)", d.frequency_penalty, DECIMAL)}
            </div>
            {input(
                "Silence timeout (seconds without data before a stream counts as dropped)",
                d.timeout_s,
                NUMERIC,
            )}
            {area("Stop sequences (one per line)", d.stop, "2", Input::default())}
            <div class="fc-row">
                {check("JSON mode", d.json_mode, false)}
                {check("Stream replies", d.stream, false)}
            </div>
            <Show when=move || d.api_style.get() == ApiStyle::Responses.as_str()>
                {check(
                    "Send only new messages after the last reply (previous_response_id; the server stores replies)",
                    d.previous_response_id,
                    false,
                )}
            </Show>
            <div class="fc-row">
                {input("Image maximum edge (px)", d.image_max_edge, NUMERIC)}
                {input("Image size limit (KB)", d.image_max_kib, NUMERIC)}
            </div>
            <fieldset class="fc-row fc-tools-settings">
                <legend>"Built-in tools (demo)"</legend>
                {BuiltinTool::ALL
                    .into_iter()
                    .zip(d.tools)
                    .map(|(tool, enabled)| check(tool.name(), enabled, true))
                    .collect_view()}
            </fieldset>
            <div class="fc-row">
                {select("Tool choice", d.tool_choice, &[
                    ("", "Not sent (the model decides)"),
                    ("auto", "auto"),
                    ("none", "none (no tool calls)"),
                    ("required", "required (must call a tool)"),
                    ("function", "A named function…"),
                ])}
                <Show when=move || d.tool_choice.get() == "function">
                    {input("Function name", d.tool_function, Input {
                        no_spellcheck: true,
                        ..Input::default()
                    })}
                </Show>
                {input(ROUNDS_LABEL, d.max_tool_rounds, NUMERIC)}
            </div>
            {area(
                "Extra parameters (JSON object, sent with extra-parameters: pass-through)",
                d.extra_params,
                "3",
                Input {
                    placeholder: Some("{\"logprobs\": true}"),
                    no_spellcheck: true,
                    ..Input::default()
                },
            )}
            {move || problem.get().map(|p| view! { <p class="fc-error" role="alert">{p}</p> })}
            <div class="fc-actions">
                <button type="submit" class="fc-send">"Apply"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </form>
    }
}

/// The API-style select's (value, text) pairs: `ApiStyle`'s own table.
const API_STYLES: [(&str, &str); ApiStyle::ALL.len()] = {
    let mut out = [("", ""); ApiStyle::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = ApiStyle::ALL[i].text();
        i += 1;
    }
    out
};

/// The authentication select's (value, text) pairs: `AuthMode`'s own table.
const AUTH_MODES: [(&str, &str); AuthMode::ALL.len()] = {
    let mut out = [("", ""); AuthMode::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = AuthMode::ALL[i].text();
        i += 1;
    }
    out
};

/// The tool-round field's label; a test checks its range is [`TOOL_ROUNDS`].
const ROUNDS_LABEL: &str = "Tool rounds per message (1–100)";

/// How a text field's `<input>` differs from a plain one.
#[derive(Clone, Copy, Default)]
struct Input {
    kind: Option<&'static str>,
    mode: Option<&'static str>,
    placeholder: Option<&'static str>,
    no_spellcheck: bool,
    autocomplete_off: bool,
}

const DECIMAL: Input = Input {
    kind: None,
    mode: Some("decimal"),
    placeholder: None,
    no_spellcheck: false,
    autocomplete_off: false,
};

const NUMERIC: Input = Input {
    mode: Some("numeric"),
    ..DECIMAL
};

// The fields are built by these few functions, each compiled once, rather than written out in
// the view, where every field was a view type of its own (8.2 KB less wasm, 0.4 KB gzip).

/// A labelled text input bound to a draft field.
fn input(label: &'static str, value: RwSignal<String>, how: Input) -> AnyView {
    view! {
        <label>{label}
            <input type=how.kind inputmode=how.mode placeholder=how.placeholder
                spellcheck=how.no_spellcheck.then_some("false")
                autocomplete=how.autocomplete_off.then_some("off")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        </label>
    }
    .into_any()
}

/// A labelled textarea bound to a draft field (of `how`, its placeholder and spell checking).
fn area(label: &'static str, value: RwSignal<String>, rows: &'static str, how: Input) -> AnyView {
    view! {
        <label>{label}
            <textarea rows=rows placeholder=how.placeholder
                spellcheck=how.no_spellcheck.then_some("false")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        </label>
    }
    .into_any()
}

/// A labelled select bound to a draft field; `options` are (value, text) pairs.
fn select(
    label: &'static str,
    value: RwSignal<String>,
    options: &'static [(&'static str, &'static str)],
) -> AnyView {
    view! {
        <label>{label}
            <select prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))>
                {options
                    .iter()
                    .map(|&(value, text)| view! { <option value=value>{text}</option> })
                    .collect_view()}
            </select>
        </label>
    }
    .into_any()
}

/// A checkbox with its label (`code`: the label is a name, shown as code).
fn check(label: &'static str, value: RwSignal<bool>, code: bool) -> AnyView {
    view! {
        <label class="fc-check">
            <input type="checkbox" prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))/>
            {(!code).then_some(label)}
            {code.then(|| view! { <code>{label}</code> })}
        </label>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::turn::TOOL_ROUNDS;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_selects_and_the_rounds_label_come_from_the_one_tables() {
        assert_eq!(
            ROUNDS_LABEL,
            format!(
                "Tool rounds per message ({}–{})",
                TOOL_ROUNDS.start(),
                TOOL_ROUNDS.end()
            )
        );
        assert_eq!(API_STYLES[1], ("openai", "OpenAI-compatible (/v1)"));
        for (value, _) in API_STYLES {
            assert_eq!(ApiStyle::parse(value).map(Named::as_str), Some(value));
        }
        for (value, _) in AUTH_MODES {
            assert_eq!(AuthMode::parse(value).map(Named::as_str), Some(value));
        }
        assert_eq!(AUTH_MODES[2], ("none", "None (dev proxy or open endpoint)"));
    }
}
