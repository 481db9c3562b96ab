//! The `persist` attribute: the transcript and the settings-panel choices kept in
//! localStorage under the element's key. Nothing is stored without the attribute, and the
//! key or token only when the user ticked "remember" in the settings panel.

use chat_core::request::{ApiStyle, Params};
use chat_core::tools::BuiltinTool;
use chat_core::transcript::Entry;
use chat_core::types::ToolChoice;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::settings::{AuthMode, Settings};

/// What the settings panel stores: connection and generation choices.
#[derive(Serialize, Deserialize)]
struct StoredSettings {
    endpoint: String,
    api_style: ApiStyle,
    model: Option<String>,
    api_version: Option<String>,
    auth_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    remember_key: bool,
    system_prompt: String,
    system_as_user: bool,
    stream: bool,
    params: Params,
    extra_params: Map<String, Value>,
    /// Names of the enabled built-in tools.
    #[serde(default)]
    tools: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_choice: Option<ToolChoice>,
    #[serde(default = "default_rounds")]
    max_tool_rounds: u32,
}

fn default_rounds() -> u32 {
    crate::settings::DEFAULT_MAX_TOOL_ROUNDS
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be missing or refused (sandboxed frames, privacy settings).
    web_sys::window()?.local_storage().ok().flatten()
}

fn settings_key(key: &str) -> String {
    format!("{key}:settings")
}

/// The transcript stored under `key`, when there is a valid one.
pub fn load_transcript(key: &str) -> Option<Vec<Entry>> {
    let text = storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Stores the transcript under `key` (an empty one removes the item).
pub fn save_transcript(key: &str, entries: &[Entry]) {
    let Some(storage) = storage() else { return };
    if entries.is_empty() {
        let _ = storage.remove_item(key);
        return;
    }
    if let Ok(text) = serde_json::to_string(entries) {
        // A full storage quota leaves the previous copy: the conversation itself is intact.
        let _ = storage.set_item(key, &text);
    }
}

/// Stores the panel's settings under the element's `persist` key, if it has one.
pub fn save_settings(settings: &Settings) {
    let (Some(key), Some(storage)) = (settings.persist.as_deref(), storage()) else {
        return;
    };
    let stored = StoredSettings {
        endpoint: settings.endpoint.clone(),
        api_style: settings.api_style,
        model: settings.model.clone(),
        api_version: settings.api_version.clone(),
        auth_mode: settings.auth_mode.as_str().to_owned(),
        api_key: settings.api_key.clone().filter(|_| settings.remember_key),
        remember_key: settings.remember_key,
        system_prompt: settings.system_prompt.clone(),
        system_as_user: settings.system_as_user,
        stream: settings.stream,
        params: settings.params.clone(),
        extra_params: settings.extra_params.clone(),
        tools: settings.tools.iter().map(|t| t.name().to_owned()).collect(),
        tool_choice: settings.tool_choice.clone(),
        max_tool_rounds: settings.max_tool_rounds,
    };
    if let Ok(text) = serde_json::to_string(&stored) {
        let _ = storage.set_item(&settings_key(key), &text);
    }
}

/// Applies the panel's stored settings (if any) over `settings`.
pub fn load_settings(settings: &mut Settings) {
    let Some(key) = settings.persist.clone() else {
        return;
    };
    let Some(text) = storage().and_then(|s| s.get_item(&settings_key(&key)).ok().flatten()) else {
        return;
    };
    let Ok(stored) = serde_json::from_str::<StoredSettings>(&text) else {
        return;
    };
    settings.endpoint = stored.endpoint;
    settings.api_style = stored.api_style;
    settings.model = stored.model;
    settings.api_version = stored.api_version;
    settings.auth_mode = AuthMode::parse(&stored.auth_mode);
    if stored.remember_key {
        settings.api_key = stored.api_key;
    }
    settings.remember_key = stored.remember_key;
    settings.system_prompt = stored.system_prompt;
    settings.system_as_user = stored.system_as_user;
    settings.stream = stored.stream;
    settings.params = stored.params;
    settings.extra_params = stored.extra_params;
    settings.tools = stored
        .tools
        .iter()
        .filter_map(|name| BuiltinTool::from_name(name))
        .collect();
    settings.tool_choice = stored.tool_choice;
    settings.max_tool_rounds = stored.max_tool_rounds;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::types::Message;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn persisted(key: &str) -> Settings {
        Settings {
            persist: Some(key.to_owned()),
            endpoint: "https://x/models".into(),
            api_key: Some("secret-key".into()),
            ..Settings::default()
        }
    }

    #[wasm_bindgen_test]
    fn the_key_is_not_stored_unless_the_user_opted_in() {
        let key = "fc-test-no-key";
        save_settings(&persisted(key));
        let stored = storage()
            .and_then(|s| s.get_item(&settings_key(key)).ok().flatten())
            .expect("settings stored");
        assert!(stored.contains("https://x/models"));
        assert!(!stored.contains("secret-key"));

        let mut remembered = persisted(key);
        remembered.remember_key = true;
        save_settings(&remembered);
        let mut loaded = Settings {
            persist: Some(key.to_owned()),
            ..Settings::default()
        };
        load_settings(&mut loaded);
        assert_eq!(loaded.api_key.as_deref(), Some("secret-key"));
        assert_eq!(loaded.endpoint, "https://x/models");
    }

    #[wasm_bindgen_test]
    fn a_transcript_round_trips_and_an_empty_one_is_removed() {
        let key = "fc-test-transcript";
        let entries = vec![Entry::new("u1", Message::user("hello"))];
        save_transcript(key, &entries);
        assert_eq!(load_transcript(key), Some(entries));
        save_transcript(key, &[]);
        assert_eq!(load_transcript(key), None);
    }

    #[wasm_bindgen_test]
    fn nothing_is_stored_without_a_persist_key() {
        let settings = Settings {
            endpoint: "https://nowhere-stored/models".into(),
            ..Settings::default()
        };
        save_settings(&settings);
        let storage = storage().expect("local storage");
        let len = storage.length().unwrap_or(0);
        let values: Vec<String> = (0..len)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter_map(|k| storage.get_item(&k).ok().flatten())
            .collect();
        assert!(values.iter().all(|v| !v.contains("nowhere-stored")));
    }
}
