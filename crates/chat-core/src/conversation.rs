//! Conversation records: the stored shape, the title rule, list summaries, search and
//! the JSON export/import (validated whole: a bad file imports nothing).

use serde::{Deserialize, Serialize};

use crate::transcript::Entry;
use crate::types::{Content, Part, Role};

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

impl Conversation {
    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            title: self.title.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            message_count: self.entries.len(),
        }
    }

    /// Case-insensitive match of `query` in the title or any message's text.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim().to_lowercase();
        query.is_empty()
            || self.title.to_lowercase().contains(&query)
            || self
                .entries
                .iter()
                .any(|e| text_of(e.message.content()).to_lowercase().contains(&query))
    }
}

/// Summaries, newest (`updated_at`) first.
pub fn list(conversations: &[Conversation]) -> Vec<Summary> {
    let mut out: Vec<Summary> = conversations.iter().map(Conversation::summary).collect();
    out.sort_by(|a, b| b.updated_at.total_cmp(&a.updated_at));
    out
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
    fn list_is_newest_first_with_counts() {
        let l = list(&[convo("old", 1.0, "x"), convo("new", 5.0, "y")]);
        assert_eq!(l[0].id, "new");
        assert_eq!(l[1].id, "old");
        assert_eq!(l[0].message_count, 2);
    }

    #[test]
    fn search_covers_titles_and_message_text() {
        let c = convo("1", 1.0, "About Otters");
        assert!(c.matches("otters"));
        assert!(c.matches("FERRETS"));
        assert!(!c.matches("badgers"));
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
