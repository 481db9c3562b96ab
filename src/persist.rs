//! The `persist` attribute: the settings-panel choices kept in localStorage under the
//! element's key (and the transcript older versions kept there, read once to be moved into
//! the conversation store). Nothing is stored without the attribute, and the
//! key or token only when the user ticked "remember" in the settings panel. The settings are
//! stored as [`Settings`]' own JSON (its serde schema), so every field the panel edits is kept.

use chat_core::transcript::Entry;

use crate::settings::Settings;

fn storage() -> Option<web_sys::Storage> {
    // Storage can be missing or refused (sandboxed frames, privacy settings).
    web_sys::window()?.local_storage().ok().flatten()
}

fn settings_key(key: &str) -> String {
    format!("{key}:settings")
}

/// The transcript older versions stored under `key` in localStorage, when there is a
/// valid one (the conversation store moves it into IndexedDB).
pub fn load_transcript(key: &str) -> Option<Vec<Entry>> {
    let text = storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Removes that older copy, once moved.
pub fn remove_transcript(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

/// Stores the panel's settings under the element's `persist` key, if it has one (the key
/// or token only when the user opted in).
pub fn save_settings(settings: &Settings) {
    let (Some(key), Some(storage)) = (settings.persist.as_deref(), storage()) else {
        return;
    };
    let stored = Settings {
        api_key: settings.api_key.clone().filter(|_| settings.remember_key),
        ..settings.clone()
    };
    if let Ok(text) = serde_json::to_string(&stored) {
        let _ = storage.set_item(&settings_key(key), &text);
    }
}

/// Applies the panel's stored settings (if any) over `settings`.
pub fn load_settings(settings: &mut Settings) {
    let Some(key) = settings.persist.as_deref() else {
        return;
    };
    let Some(text) = storage().and_then(|s| s.get_item(&settings_key(key)).ok().flatten()) else {
        return;
    };
    if let Ok(stored) = serde_json::from_str::<Settings>(&text) {
        *settings = stored.stored_over(settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::image::ImageOptions;
    use chat_core::types::{Message, ToolChoice};
    use serde_json::Value;
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
    fn an_older_transcript_is_read_and_removed() {
        let key = "fc-test-transcript";
        let entries = vec![Entry::new("u1", Message::user("hello"))];
        let json = serde_json::to_string(&entries).expect("json");
        storage()
            .expect("local storage")
            .set_item(key, &json)
            .expect("stored");
        assert_eq!(load_transcript(key), Some(entries));
        remove_transcript(key);
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

    /// Settings as the element stored them before they were stored as `Settings` itself
    /// (no silence timeout, no image limits), and as even older copies did (no tools).
    #[wasm_bindgen_test]
    fn settings_stored_in_the_old_format_still_load() {
        let key = "fc-test-old-format";
        let storage = storage().expect("local storage");
        storage
            .set_item(
                &settings_key(key),
                r#"{"endpoint":"https://old/openai/v1","api_style":"openai","model":"gpt-4o","api_version":null,"auth_mode":"bearer","api_key":"old-secret","remember_key":true,"system_prompt":"Be brief.","system_as_user":true,"stream":false,"params":{"temperature":0.5,"stop":["END"]},"extra_params":{"logprobs":true},"tools":["calculate","gone_tool"],"tool_choice":"required","max_tool_rounds":5}"#,
            )
            .expect("stored");
        let page = Settings {
            persist: Some(key.to_owned()),
            stream_timeout_ms: 9_000,
            ..Settings::default()
        };
        let mut loaded = page.clone();
        load_settings(&mut loaded);
        assert_eq!(loaded.endpoint, "https://old/openai/v1");
        assert_eq!(loaded.api_style, chat_core::request::ApiStyle::OpenAi);
        assert_eq!(loaded.model.as_deref(), Some("gpt-4o"));
        assert_eq!(loaded.auth_mode, crate::settings::AuthMode::Bearer);
        assert_eq!(loaded.api_key.as_deref(), Some("old-secret"));
        assert_eq!(loaded.system_prompt, "Be brief.");
        assert!(loaded.system_as_user && !loaded.stream);
        assert_eq!(loaded.params.temperature, Some(0.5));
        assert_eq!(
            loaded.extra_params.get("logprobs"),
            Some(&Value::Bool(true))
        );
        assert_eq!(loaded.tools, vec![chat_core::tools::BuiltinTool::Calculate]);
        assert_eq!(loaded.tool_choice, Some(ToolChoice::Required));
        assert_eq!(loaded.max_tool_rounds, 5);
        assert_eq!(loaded.persist.as_deref(), Some(key));
        // What the old format did not store keeps its default.
        assert_eq!(
            loaded.stream_timeout_ms,
            Settings::default().stream_timeout_ms
        );
        assert_eq!(loaded.image_options, ImageOptions::default());

        storage
            .set_item(
                &settings_key(key),
                r#"{"endpoint":"https://older/models","api_style":"azure-inference","model":null,"api_version":"2024-05-01-preview","auth_mode":"key","remember_key":false,"system_prompt":"","system_as_user":false,"stream":true,"params":{},"extra_params":{}}"#,
            )
            .expect("stored");
        let mut older = Settings {
            api_key: Some("from-the-page".into()),
            ..page
        };
        load_settings(&mut older);
        assert_eq!(older.endpoint, "https://older/models");
        assert_eq!(older.api_key.as_deref(), Some("from-the-page"));
        assert!(older.tools.is_empty());
        assert_eq!(older.max_tool_rounds, 8);
    }

    #[wasm_bindgen_test]
    fn the_silence_timeout_and_image_limits_are_stored_and_bad_stored_values_are_not_used() {
        let key = "fc-test-timeout-images";
        let mut settings = persisted(key);
        settings.stream_timeout_ms = 5_000;
        settings.image_options.max_edge = 512;
        settings.image_options.max_bytes = 300 * 1024;
        save_settings(&settings);
        let mut loaded = Settings {
            persist: Some(key.to_owned()),
            ..Settings::default()
        };
        load_settings(&mut loaded);
        assert_eq!(loaded.stream_timeout_ms, 5_000);
        assert_eq!(loaded.image_options, settings.image_options);

        storage()
            .expect("local storage")
            .set_item(
                &settings_key(key),
                r#"{"endpoint":"https://x","api_style":"openai","auth_mode":"key","remember_key":false,"system_prompt":"","system_as_user":false,"stream":true,"params":{},"extra_params":{},"stream_timeout_ms":0,"max_tool_rounds":1000,"image_options":{"maxEdge":0}}"#,
            )
            .expect("stored");
        let mut guarded = Settings {
            persist: Some(key.to_owned()),
            ..Settings::default()
        };
        load_settings(&mut guarded);
        assert_eq!(guarded.endpoint, "https://x");
        assert_eq!(guarded.stream_timeout_ms, 60_000);
        assert_eq!(guarded.max_tool_rounds, 8);
        assert_eq!(guarded.image_options, ImageOptions::default());
    }
}
