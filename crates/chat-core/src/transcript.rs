//! Transcript entries: wire messages plus client metadata.
//!
//! An [`Entry`] serializes to the DESIGN.md shape: the wire message's keys (`role`,
//! `content`, `tool_calls`, `tool_call_id`, `name`) plus `id` and, on assistant entries,
//! the metadata keys that are never sent (omitted when unset) — among them `response_id`,
//! the Responses API's id of the reply, by which a later request can chain to it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ChatError;
use crate::stream::Reply;
use crate::types::{Content, FinishReason, Message, Role, ToolCall, CONTENT_EXPECTED};

/// Content of the tool entry that answers a call which never ran.
pub const CANCELLED_TOOL_RESULT: &str = r#"{"error":"cancelled"}"#;

/// One transcript entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EntryKeys")]
pub struct Entry {
    /// Client-assigned, unique within the transcript.
    pub id: String,
    #[serde(flatten)]
    pub message: Message,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// The server's usage object as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ChatError>,
    /// True when the user pressed stop during this reply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// The Responses API's id of this reply (`previous_response_id` of a chained request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
}

/// An entry's keys as read, all roles' in one struct, made into an [`Entry`] by its role.
///
/// Reading `#[serde(flatten)]` over the role-tagged [`Message`] would buffer each entry
/// twice and compile every field's reader a second time for the buffer (~25 KB of wasm).
#[derive(Deserialize)]
struct EntryKeys {
    id: String,
    role: Role,
    /// Missing: `None`; `null`: `Some(None)`.
    #[serde(default, deserialize_with = "crate::types::present")]
    content: Option<Option<Content>>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    tool_call_id: Option<String>,
    #[serde(default)]
    finish_reason: Option<FinishReason>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    error: Option<ChatError>,
    #[serde(default)]
    stopped: bool,
    #[serde(default)]
    response_id: Option<String>,
}

impl TryFrom<EntryKeys> for Entry {
    type Error = String;

    fn try_from(keys: EntryKeys) -> Result<Self, String> {
        // As the role-tagged `Message` reads them: only an assistant's content may be
        // missing or null (a message that only calls tools).
        let content = match (keys.role, keys.content) {
            (_, Some(Some(content))) => content,
            (Role::Assistant, _) => Content::default(),
            (_, None) => return Err("missing field `content`".to_owned()),
            (_, Some(None)) => {
                return Err(format!("invalid type: null, expected {CONTENT_EXPECTED}"))
            }
        };
        let name = keys.name;
        let message = match keys.role {
            Role::System => Message::System { content, name },
            Role::User => Message::User { content, name },
            Role::Assistant => Message::Assistant {
                content,
                tool_calls: keys.tool_calls,
                name,
            },
            Role::Tool => Message::Tool {
                content,
                tool_call_id: keys.tool_call_id.ok_or("missing field `tool_call_id`")?,
            },
        };
        Ok(Entry {
            id: keys.id,
            message,
            finish_reason: keys.finish_reason,
            usage: keys.usage,
            model: keys.model,
            reasoning: keys.reasoning,
            refusal: keys.refusal,
            error: keys.error,
            stopped: keys.stopped,
            response_id: keys.response_id,
        })
    }
}

impl Entry {
    /// An entry without metadata.
    pub fn new(id: impl Into<String>, message: Message) -> Self {
        Entry {
            id: id.into(),
            message,
            finish_reason: None,
            usage: None,
            model: None,
            reasoning: None,
            refusal: None,
            error: None,
            stopped: false,
            response_id: None,
        }
    }

    /// The assistant entry for a (possibly partial) reply.
    pub fn from_reply(id: impl Into<String>, reply: &Reply) -> Self {
        let message = Message::Assistant {
            content: Content::Text(reply.content.clone()),
            tool_calls: (!reply.tool_calls.is_empty()).then(|| reply.tool_calls.clone()),
            name: None,
        };
        Entry {
            finish_reason: reply.finish_reason.clone(),
            usage: reply.usage.clone(),
            model: reply.model.clone(),
            reasoning: Some(reply.reasoning.clone()).filter(|r| !r.is_empty()),
            refusal: reply.refusal.clone(),
            response_id: reply.response_id.clone(),
            ..Entry::new(id, message)
        }
    }

    /// The message as sent to the endpoint (metadata stripped).
    pub fn to_wire(&self) -> Message {
        self.message.clone()
    }
}

/// The messages of a transcript as sent to the endpoint.
pub fn to_wire(entries: &[Entry]) -> Vec<Message> {
    entries.iter().map(Entry::to_wire).collect()
}

/// Keeps the transcript valid after a stop or the round limit in a tool round: every
/// call of the last assistant entry that has no tool result gets one whose content is
/// `{"error":"cancelled"}`. `new_id` gives ids for the appended entries. Returns how many
/// were appended.
pub fn cancel_unanswered_tool_calls(
    entries: &mut Vec<Entry>,
    mut new_id: impl FnMut() -> String,
) -> usize {
    let Some(pos) = entries
        .iter()
        .rposition(|e| matches!(e.message, Message::Assistant { .. }))
    else {
        return 0;
    };
    let Message::Assistant {
        tool_calls: Some(calls),
        ..
    } = &entries[pos].message
    else {
        return 0;
    };
    let answered: Vec<&str> = entries[pos + 1..]
        .iter()
        .filter_map(|e| match &e.message {
            Message::Tool { tool_call_id, .. } => Some(tool_call_id.as_str()),
            _ => None,
        })
        .collect();
    let missing: Vec<String> = calls
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| !answered.contains(&id.as_str()))
        .collect();
    let count = missing.len();
    for call_id in missing {
        entries.push(Entry::new(
            new_id(),
            Message::tool(call_id, CANCELLED_TOOL_RESULT),
        ));
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::types::ToolCall;
    use serde_json::json;

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("t{n}")
        }
    }

    #[test]
    fn a_user_entry_serializes_to_the_wire_keys_plus_id() {
        let e = Entry::new("u1", Message::user("Hi"));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"id": "u1", "role": "user", "content": "Hi"})
        );
    }

    #[test]
    fn an_assistant_entry_carries_metadata_and_round_trips() {
        let mut e = Entry::new("a1", Message::assistant("Hello"));
        e.finish_reason = Some(FinishReason::Length);
        e.usage = Some(json!({"total_tokens": 5, "prompt_tokens_details": {"cached_tokens": 0}}));
        e.model = Some("gpt-4o".into());
        e.reasoning = Some("think".into());
        e.stopped = true;
        e.error = Some(ChatError::aborted());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["finish_reason"], "length");
        assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
        assert_eq!(v["stopped"], true);
        assert_eq!(v["error"]["kind"], "aborted");
        assert!(v.get("refusal").is_none());
        let back: Entry = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn response_id_is_metadata_kept_in_the_transcript_and_never_sent() {
        let reply = Reply {
            content: "Hi".into(),
            response_id: Some("resp_1".into()),
            ..Reply::default()
        };
        let e = Entry::from_reply("a1", &reply);
        assert_eq!(e.response_id.as_deref(), Some("resp_1"));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["response_id"], "resp_1");
        assert_eq!(serde_json::from_value::<Entry>(v).unwrap(), e);
        let wire = serde_json::to_value(to_wire(&[e])).unwrap();
        assert_eq!(wire, json!([{"role": "assistant", "content": "Hi"}]));
        let plain = serde_json::to_value(Entry::new("u1", Message::user("x"))).unwrap();
        assert!(plain.get("response_id").is_none());
    }

    #[test]
    fn to_wire_strips_all_metadata() {
        let mut e = Entry::new("a1", Message::assistant("Hello"));
        e.model = Some("m".into());
        e.error = Some(ChatError::new(ErrorKind::ServerError, "x"));
        let wire = serde_json::to_value(to_wire(&[e])).unwrap();
        assert_eq!(wire, json!([{"role": "assistant", "content": "Hello"}]));
    }

    #[test]
    fn an_assistant_entry_that_only_calls_tools_has_empty_content() {
        let reply = Reply {
            tool_calls: vec![ToolCall::function("c1", "f", "{}")],
            finish_reason: Some(FinishReason::ToolCalls),
            ..Reply::default()
        };
        let v = serde_json::to_value(Entry::from_reply("a1", &reply)).unwrap();
        assert_eq!(v["content"], "");
        assert_eq!(v["tool_calls"][0]["id"], "c1");
        assert!(v.get("reasoning").is_none());
    }

    #[test]
    fn entries_from_the_host_page_deserialize_with_unknown_keys_ignored() {
        let e: Entry = serde_json::from_value(json!({
            "id": "x", "role": "tool", "content": "42", "tool_call_id": "c1", "extra": 1
        }))
        .unwrap();
        assert_eq!(e.message, Message::tool("c1", "42"));
    }

    #[test]
    fn an_assistant_entry_with_null_content_reads_as_empty_text() {
        let e: Entry = serde_json::from_value(json!({
            "id": "a", "role": "assistant", "content": null,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            "finish_reason": "tool_calls"
        }))
        .unwrap();
        assert_eq!(e.message.content(), &Content::Text(String::new()));
        assert_eq!(e.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(serde_json::to_value(&e).unwrap()["content"], "");
    }

    #[test]
    fn an_entry_reads_its_message_as_the_role_tagged_message_does() {
        let call =
            json!([{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]);
        let parts = json!([{"type": "text", "text": "see"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA", "detail": "low"}}]);
        let cases = [
            json!({"role": "system", "content": "be brief", "name": "ops"}),
            json!({"role": "user", "content": parts}),
            json!({"role": "user", "content": "hi", "tool_calls": call}),
            json!({"role": "user"}),
            json!({"role": "user", "content": null}),
            json!({"role": "user", "content": 7}),
            json!({"role": "assistant"}),
            json!({"role": "assistant", "content": null, "tool_calls": call}),
            json!({"role": "assistant", "content": "ok", "tool_calls": null, "name": "bot"}),
            json!({"role": "tool", "content": "42", "tool_call_id": "c1", "name": "f"}),
            json!({"role": "tool", "content": "42"}),
            json!({"role": "wizard", "content": "x"}),
            json!({"content": "x"}),
        ];
        for case in cases {
            let message = serde_json::from_value::<Message>(case.clone());
            let mut keyed = case.clone();
            keyed["id"] = json!("e1");
            let entry = serde_json::from_value::<Entry>(keyed);
            match (message, entry) {
                (Ok(message), Ok(entry)) => {
                    assert_eq!(entry, Entry::new("e1", message), "{case}");
                }
                (Err(m), Err(e)) => {
                    let (m, e) = (m.to_string(), e.to_string());
                    assert_eq!(e.split(" at ").next(), m.split(" at ").next(), "{case}");
                }
                (m, e) => panic!("{case}: message {m:?}, entry {e:?}"),
            }
        }
        let without_id = serde_json::from_value::<Entry>(json!({"role": "user", "content": "x"}));
        assert!(without_id.unwrap_err().to_string().contains("`id`"));
    }

    #[test]
    fn unanswered_tool_calls_get_cancelled_results() {
        let assistant = Message::Assistant {
            content: Content::default(),
            tool_calls: Some(vec![
                ToolCall::function("c1", "f", "{}"),
                ToolCall::function("c2", "g", "{}"),
                ToolCall::function("c3", "h", "{}"),
            ]),
            name: None,
        };
        let mut t = vec![
            Entry::new("u", Message::user("go")),
            Entry::new("a", assistant),
            Entry::new("r2", Message::tool("c2", "done")),
        ];
        assert_eq!(cancel_unanswered_tool_calls(&mut t, ids()), 2);
        assert_eq!(t.len(), 5);
        assert_eq!(
            t[3],
            Entry::new("t1", Message::tool("c1", r#"{"error":"cancelled"}"#))
        );
        assert_eq!(t[4].message, Message::tool("c3", CANCELLED_TOOL_RESULT));
        assert_eq!(cancel_unanswered_tool_calls(&mut t, ids()), 0);
    }

    #[test]
    fn a_transcript_without_pending_calls_is_left_alone() {
        let mut t = vec![
            Entry::new("u", Message::user("hi")),
            Entry::new("a", Message::assistant("yo")),
        ];
        assert_eq!(cancel_unanswered_tool_calls(&mut t, ids()), 0);
        assert_eq!(t.len(), 2);
        assert_eq!(cancel_unanswered_tool_calls(&mut Vec::new(), ids()), 0);
    }
}
