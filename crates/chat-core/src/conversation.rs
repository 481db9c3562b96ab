//! Conversation records: the stored shape, the title rule, list summaries, search and
//! the JSON export/import (validated whole: a bad file imports nothing).

use serde::{Deserialize, Serialize};

use crate::transcript::Entry;
use crate::types::{Content, Part, Role};

/// `text` in lower case: the browser's own `toLowerCase` in wasm (std's would link its
/// ~12 KB of Unicode case tables), std's natively.
#[cfg(target_arch = "wasm32")]
pub fn lower(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

/// `text` in lower case (std's; the browser's in wasm).
#[cfg(not(target_arch = "wasm32"))]
pub fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// Longest automatic title, in chars.
pub const TITLE_CHARS: usize = 60;

/// One stored conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub title: String,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    pub updated_at: f64,
    pub entries: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// What the list shows of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub created_at: f64,
    pub updated_at: f64,
    pub message_count: usize,
}

fn text_of(content: &Content) -> String {
    match content {
        Content::Text(text) => text.clone(),
        Content::Parts(parts) => parts
            .iter()
            .filter_map(|part| match part {
                Part::Text { text } => Some(text.as_str()),
                Part::ImageUrl { .. } => None,
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The first user message, trimmed, cut to [`TITLE_CHARS`] chars (on a char boundary).
pub fn title_of(entries: &[Entry]) -> Option<String> {
    let first = entries.iter().find(|e| e.message.role() == Role::User)?;
    let text = text_of(first.message.content());
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut title: String = text.chars().take(TITLE_CHARS).collect();
    if text.chars().count() > TITLE_CHARS {
        title = title.trim_end().to_owned();
        title.push('…');
    }
    Some(title)
}

/// What the store keeps beside a conversation's entries: the list's fields and the text
/// search reads, so that listing and searching never load a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub id: String,
    pub title: String,
    /// True once the user named it: the title no longer follows the first message.
    #[serde(default)]
    pub renamed: bool,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    pub updated_at: f64,
    pub message_count: usize,
    /// Every message's text, lower-cased.
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The store's revision of the record (each write adds one).
    #[serde(default)]
    pub rev: u64,
}

/// The title a conversation without a name of its own shows.
pub const UNTITLED: &str = "New conversation";

impl Meta {
    /// The record of `entries`; `name` is the user's title, if they gave one.
    pub fn of(
        id: &str,
        created_at: f64,
        updated_at: f64,
        entries: &[Entry],
        name: Option<&str>,
    ) -> Self {
        Meta {
            id: id.to_owned(),
            title: name
                .map(str::to_owned)
                .or_else(|| title_of(entries))
                .unwrap_or_else(|| UNTITLED.to_owned()),
            renamed: name.is_some(),
            created_at,
            updated_at,
            message_count: entries.len(),
            text: entries
                .iter()
                .map(|e| lower(&text_of(e.message.content())))
                .collect::<Vec<_>>()
                .join("\n"),
            api_style: None,
            model: None,
            rev: 0,
        }
    }

    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            title: self.title.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            message_count: self.message_count,
        }
    }

    /// Case-insensitive match of `query` in the title or any message's text.
    pub fn matches(&self, query: &str) -> bool {
        let query = lower(query.trim());
        query.is_empty() || lower(&self.title).contains(&query) || self.text.contains(&query)
    }

    /// The whole conversation, for an export.
    pub fn with_entries(&self, entries: Vec<Entry>) -> Conversation {
        Conversation {
            id: self.id.clone(),
            title: self.title.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            entries,
            api_style: self.api_style.clone(),
            model: self.model.clone(),
        }
    }
}

impl Conversation {
    /// Its store record: a title that is not the automatic one counts as the user's.
    pub fn meta(&self) -> Meta {
        let name = (title_of(&self.entries).as_deref() != Some(self.title.as_str())
            && self.title != UNTITLED)
            .then_some(self.title.as_str());
        Meta {
            api_style: self.api_style.clone(),
            model: self.model.clone(),
            ..Meta::of(
                &self.id,
                self.created_at,
                self.updated_at,
                &self.entries,
                name,
            )
        }
    }
}

/// Newest (`updated_at`) first.
pub fn newest_first(metas: &mut [Meta]) {
    metas.sort_by(|a, b| b.updated_at.total_cmp(&a.updated_at));
}

/// The export file's shape.
#[derive(Serialize, Deserialize)]
struct ExportFile {
    format: String,
    conversations: Vec<Conversation>,
}

/// The export file's `format` marker.
pub const EXPORT_FORMAT: &str = "foundry-chat.conversations.v1";

/// Conversations as one JSON export file.
pub fn export_json(conversations: &[Conversation]) -> Result<String, String> {
    serde_json::to_string(&ExportFile {
        format: EXPORT_FORMAT.to_owned(),
        conversations: conversations.to_vec(),
    })
    .map_err(|e| e.to_string())
}

/// Reads an export file whole; the error names what is wrong (and nothing is imported).
pub fn import_json(text: &str) -> Result<Vec<Conversation>, String> {
    let file: ExportFile =
        serde_json::from_str(text).map_err(|e| format!("not a conversations export: {e}"))?;
    if file.format != EXPORT_FORMAT {
        return Err(format!(
            "unknown format {:?} (expected {EXPORT_FORMAT:?})",
            file.format
        ));
    }
    for (i, c) in file.conversations.iter().enumerate() {
        if c.id.trim().is_empty() {
            return Err(format!("conversation {i} has an empty id"));
        }
        let mut seen = std::collections::HashSet::new();
        for entry in &c.entries {
            if entry.id.is_empty() || !seen.insert(entry.id.as_str()) {
                return Err(format!(
                    "conversation {i} ({:?}): the entry id {:?} is empty or used twice",
                    c.title, entry.id
                ));
            }
        }
    }
    Ok(file.conversations)
}

/// Conversations as readable Markdown; images as data-URL images when `images` is true,
/// else omitted.
pub fn export_markdown(conversations: &[Conversation], images: bool) -> String {
    let mut out = String::new();
    for c in conversations {
        out.push_str(&format!("# {}\n\n", c.title));
        for e in &c.entries {
            let role = match e.message.role() {
                Role::User => "User",
                Role::Assistant => "Assistant",
                Role::Tool => "Tool",
                Role::System => "System",
            };
            out.push_str(&format!("**{role}:**\n\n"));
            match e.message.content() {
                Content::Text(text) => out.push_str(text),
                Content::Parts(parts) => {
                    for part in parts {
                        match part {
                            Part::Text { text } => out.push_str(text),
                            Part::ImageUrl { image_url } if images => {
                                out.push_str(&format!("![image]({})", image_url.url))
                            }
                            Part::ImageUrl { .. } => continue,
                        }
                        out.push_str("\n\n");
                    }
                }
            }
            out.push_str("\n\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convo(id: &str, updated: f64, user_text: &str) -> Conversation {
        let entries: Vec<Entry> = serde_json::from_value(serde_json::json!([
            {"id": "a", "role": "user", "content": [
                {"type": "text", "text": user_text},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
            ]},
            {"id": "b", "role": "assistant", "content": "Reply about ferrets", "model": "m"}
        ]))
        .expect("entries");
        Conversation {
            id: id.into(),
            title: title_of(&entries).unwrap_or_default(),
            created_at: 1.0,
            updated_at: updated,
            entries,
            api_style: Some("openai".into()),
            model: None,
        }
    }

    #[test]
    fn title_is_trimmed_and_cut_on_a_char_boundary() {
        let c = convo("1", 1.0, "  héllo  ");
        assert_eq!(c.title, "héllo");
        let long = "é".repeat(100);
        let c = convo("2", 1.0, &long);
        assert_eq!(c.title.chars().count(), TITLE_CHARS + 1);
        assert!(c.title.ends_with('…'));
    }

    #[test]
    fn newest_first_with_counts() {
        let mut metas = vec![convo("old", 1.0, "x").meta(), convo("new", 5.0, "y").meta()];
        newest_first(&mut metas);
        assert_eq!(metas[0].id, "new");
        assert_eq!(metas[1].id, "old");
        assert_eq!(metas[0].summary().message_count, 2);
    }

    #[test]
    fn search_covers_titles_and_message_text() {
        let meta = convo("1", 1.0, "About Otters").meta();
        assert!(meta.matches("otters"));
        assert!(meta.matches("FERRETS"));
        assert!(meta.matches("  "));
        assert!(!meta.matches("badgers"));
        assert!(!meta.text.contains("base64"), "images are not searched");
    }

    #[test]
    fn a_title_of_its_own_is_kept_and_the_automatic_one_follows_the_first_message() {
        let c = convo("1", 1.0, "Hello there");
        assert!(!c.meta().renamed);
        let named = Conversation {
            title: "Trip plans".into(),
            ..c.clone()
        };
        let meta = named.meta();
        assert!(meta.renamed);
        assert_eq!(meta.title, "Trip plans");
        assert_eq!(meta.with_entries(c.entries.clone()), named);
        assert_eq!(Meta::of("2", 1.0, 1.0, &[], None).title, UNTITLED);
    }

    #[test]
    fn export_then_import_is_lossless() {
        let all = vec![convo("1", 1.0, "a"), convo("2", 2.0, "b")];
        let text = export_json(&all).expect("export");
        assert!(text.contains("data:image/png;base64,iVBORw0KGgo="));
        assert_eq!(import_json(&text).expect("import"), all);
    }

    #[test]
    fn import_names_what_is_wrong() {
        let err = import_json(r#"{"format":"other","conversations":[]}"#).unwrap_err();
        assert!(err.contains("unknown format"), "{err}");
        let err = import_json("not json").unwrap_err();
        assert!(err.starts_with("not a conversations export"), "{err}");
        let bad = export_json(&[convo(" ", 1.0, "a")]).expect("export");
        assert_eq!(
            import_json(&bad).unwrap_err(),
            "conversation 0 has an empty id"
        );
        let mut twice = convo("3", 1.0, "a");
        twice.entries[1].id = "a".into();
        let err = import_json(&export_json(&[twice]).expect("export")).unwrap_err();
        assert!(err.contains("used twice"), "{err}");
    }

    #[test]
    fn markdown_keeps_or_omits_images() {
        let all = [convo("1", 1.0, "Hi there")];
        let with = export_markdown(&all, true);
        assert!(with.starts_with("# Hi there\n"), "{with}");
        assert!(with.contains("![image](data:image/png;base64,iVBORw0KGgo=)"));
        assert!(with.contains("**Assistant:**\n\nReply about ferrets"));
        assert!(!export_markdown(&all, false).contains("data:image"));
    }
}
