//! A scripted reply as a Responses API answer: the output items (reasoning with its summary,
//! the assistant message, function calls), the `response` object, and the SSE event
//! sequence (`event:` + `data:` with `type` and increasing `sequence_number`).

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::request::Item;
use crate::demo::request::Role;
use crate::demo::response::Frame;
use crate::demo::script::{Ending, Finish, Reply};

/// Message of the scripted `response.failed` ("stream error").
const FAILED_MESSAGE: &str =
    "The server had an error while streaming the response. (scripted demo error)";
/// With a "slow" reply, a `: keep-alive` comment every this many deltas.
const KEEP_ALIVE_EVERY: usize = 10;

/// How the response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Completed,
    /// `incomplete_details.reason`.
    Incomplete(&'static str),
    Failed,
}

impl Status {
    /// The response's status for `reply`.
    pub fn of(reply: &Reply) -> Self {
        match (reply.ending, reply.finish) {
            (Ending::StreamError, _) => Self::Failed,
            (_, Finish::Length) => Self::Incomplete("max_output_tokens"),
            (_, Finish::ContentFilter) => Self::Incomplete("content_filter"),
            (_, Finish::Stop | Finish::ToolCalls) => Self::Completed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Incomplete(_) => "incomplete",
            Self::Failed => "failed",
        }
    }

    fn item_status(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Incomplete(_) | Self::Failed => "incomplete",
        }
    }
}

/// What every `response` object of one reply shares.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// `resp_<suffix>`.
    pub id: String,
    /// Unique part of the id, reused for the item ids.
    pub suffix: String,
    pub created_at: u64,
    /// The request's settings, repeated in the object.
    pub echo: Map<String, Value>,
}

/// Whether the reply has a message item: text, or nothing else to show.
fn has_message(reply: &Reply) -> bool {
    !reply.content.is_empty() || (reply.reasoning.is_empty() && reply.tool_calls.is_empty())
}

fn usage(reply: &Reply) -> Value {
    let output = reply.completion_tokens();
    json!({
        "input_tokens": reply.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reply.reasoning.len()},
        "total_tokens": reply.prompt_tokens + output,
    })
}

fn summary_part(text: &str) -> Value {
    json!({"type": "summary_text", "text": text})
}

fn text_part(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

impl Envelope {
    fn reasoning_id(&self) -> String {
        format!("rs_{}", self.suffix)
    }

    fn message_id(&self) -> String {
        format!("msg_{}", self.suffix)
    }

    fn call_item_id(&self, index: usize) -> String {
        format!("fc_{}_{index}", self.suffix)
    }

    fn reasoning_item(&self, summary: &[Value]) -> Value {
        json!({"id": self.reasoning_id(), "type": "reasoning", "summary": summary})
    }

    fn message_item(&self, status: &str, content: &[Value]) -> Value {
        json!({
            "id": self.message_id(),
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        })
    }

    fn call_item(&self, index: usize, reply: &Reply, status: &str, arguments: &str) -> Value {
        let call = &reply.tool_calls[index];
        json!({
            "id": self.call_item_id(index),
            "type": "function_call",
            "status": status,
            "call_id": call.id,
            "name": call.name,
            "arguments": arguments,
        })
    }

    /// The output items in their final state.
    fn output(&self, reply: &Reply, status: Status) -> Vec<Value> {
        let mut output = Vec::new();
        if !reply.reasoning.is_empty() {
            output.push(self.reasoning_item(&[summary_part(&reply.reasoning.concat())]));
        }
        if has_message(reply) {
            output.push(
                self.message_item(status.item_status(), &[text_part(&reply.content.concat())]),
            );
        }
        for (index, call) in reply.tool_calls.iter().enumerate() {
            output.push(self.call_item(index, reply, "completed", &call.arguments()));
        }
        output
    }

    /// A `response` object; `reply` is `None` while it is still in progress.
    fn object(&self, reply: Option<(&Reply, Status)>) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("object".into(), json!("response"));
        object.insert("created_at".into(), json!(self.created_at));
        let (status, output, usage, incomplete, error) = match reply {
            None => (
                "in_progress",
                Vec::new(),
                Value::Null,
                Value::Null,
                Value::Null,
            ),
            Some((reply, status)) => (
                status.as_str(),
                self.output(reply, status),
                usage(reply),
                match status {
                    Status::Incomplete(reason) => json!({"reason": reason}),
                    Status::Completed | Status::Failed => Value::Null,
                },
                match status {
                    Status::Failed => json!({"code": "server_error", "message": FAILED_MESSAGE}),
                    Status::Completed | Status::Incomplete(_) => Value::Null,
                },
            ),
        };
        object.insert("status".into(), json!(status));
        object.insert("error".into(), error);
        object.insert("incomplete_details".into(), incomplete);
        object.insert("output".into(), Value::Array(output));
        object.insert("usage".into(), usage);
        for (key, value) in &self.echo {
            object.insert(key.clone(), value.clone());
        }
        Value::Object(object)
    }

    /// The finished `response` object (the non-streaming answer).
    pub fn finished(&self, reply: &Reply) -> Value {
        self.object(Some((reply, Status::of(reply))))
    }

    /// The SSE events of `reply`, in the real API's order.
    pub(in crate::demo) fn events(&self, reply: &Reply) -> Vec<Frame> {
        let status = Status::of(reply);
        let finishes = reply.ending == Ending::Complete;
        let mut events = Events::new(reply.slow);
        events.push(
            "response.created",
            json!({"response": self.object(None)}),
            false,
        );
        events.push(
            "response.in_progress",
            json!({"response": self.object(None)}),
            false,
        );
        events.keep_alive();
        let mut index = 0;
        if !reply.reasoning.is_empty() {
            let item_id = self.reasoning_id();
            let at = json!({"item_id": item_id, "output_index": index, "summary_index": 0});
            let text = reply.reasoning.concat();
            events.push(
                "response.output_item.added",
                json!({"output_index": index, "item": self.reasoning_item(&[])}),
                false,
            );
            events.push(
                "response.reasoning_summary_part.added",
                with(&at, "part", summary_part("")),
                false,
            );
            for token in &reply.reasoning {
                events.push(
                    "response.reasoning_summary_text.delta",
                    with(&at, "delta", json!(token)),
                    true,
                );
            }
            events.push(
                "response.reasoning_summary_text.done",
                with(&at, "text", json!(text)),
                false,
            );
            events.push(
                "response.reasoning_summary_part.done",
                with(&at, "part", summary_part(&text)),
                false,
            );
            events.push(
                "response.output_item.done",
                json!({"output_index": index, "item": self.reasoning_item(&[summary_part(&text)])}),
                false,
            );
            index += 1;
        }
        if has_message(reply) {
            let at =
                json!({"item_id": self.message_id(), "output_index": index, "content_index": 0});
            events.push(
                "response.output_item.added",
                json!({"output_index": index, "item": self.message_item("in_progress", &[])}),
                false,
            );
            events.push(
                "response.content_part.added",
                with(&at, "part", text_part("")),
                false,
            );
            for token in &reply.content {
                let mut delta = with(&at, "delta", json!(token));
                delta["logprobs"] = json!([]);
                events.push("response.output_text.delta", delta, true);
            }
            if finishes {
                let text = reply.content.concat();
                let mut done = with(&at, "text", json!(text));
                done["logprobs"] = json!([]);
                events.push("response.output_text.done", done, false);
                events.push(
                    "response.content_part.done",
                    with(&at, "part", text_part(&text)),
                    false,
                );
                events.push(
                    "response.output_item.done",
                    json!({"output_index": index, "item": self.message_item(
                        status.item_status(), &[text_part(&text)])}),
                    false,
                );
            }
            index += 1;
        }
        for (call_index, call) in reply.tool_calls.iter().enumerate() {
            let at = json!({"item_id": self.call_item_id(call_index), "output_index": index});
            events.push(
                "response.output_item.added",
                json!({"output_index": index,
                       "item": self.call_item(call_index, reply, "in_progress", "")}),
                false,
            );
            for fragment in &call.argument_fragments {
                events.push(
                    "response.function_call_arguments.delta",
                    with(&at, "delta", json!(fragment)),
                    true,
                );
            }
            let arguments = call.arguments();
            let mut done = with(&at, "arguments", json!(arguments));
            done["name"] = json!(call.name);
            events.push("response.function_call_arguments.done", done, false);
            events.push(
                "response.output_item.done",
                json!({"output_index": index,
                       "item": self.call_item(call_index, reply, "completed", &arguments)}),
                false,
            );
            index += 1;
        }
        let last = match (reply.ending, status) {
            (Ending::Drop | Ending::Stall, _) => None,
            (_, Status::Failed) => Some("response.failed"),
            (_, Status::Incomplete(_)) => Some("response.incomplete"),
            (_, Status::Completed) => Some("response.completed"),
        };
        if let Some(kind) = last {
            events.push(
                kind,
                json!({"response": self.object(Some((reply, status)))}),
                false,
            );
        }
        events.frames
    }
}

/// The conversation items of `reply`'s output, for `previous_response_id`.
pub fn output_items(reply: &Reply) -> Vec<Item> {
    let mut items = Vec::new();
    if !reply.content.is_empty() {
        items.push(Item::Message {
            role: Role::Assistant,
            text: reply.content.concat(),
            images: Vec::new(),
        });
    }
    items.extend(reply.tool_calls.iter().map(|call| Item::FunctionCall {
        call_id: call.id.clone(),
        name: call.name.clone(),
        arguments: call.arguments(),
    }));
    items
}

/// `base` (an object) with one more field.
fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut object = base.clone();
    object[key] = value;
    object
}

/// Numbered SSE events, with keep-alive comments for slow replies.
struct Events {
    frames: Vec<Frame>,
    sequence: u64,
    slow: bool,
    deltas: usize,
}

impl Events {
    fn new(slow: bool) -> Self {
        Self {
            frames: Vec::new(),
            sequence: 0,
            slow,
            deltas: 0,
        }
    }

    fn push(&mut self, kind: &str, mut body: Value, paced: bool) {
        if paced {
            self.deltas += 1;
            if self.deltas.is_multiple_of(KEEP_ALIVE_EVERY) {
                self.keep_alive();
            }
        }
        body["type"] = json!(kind);
        body["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        self.frames.push(Frame {
            bytes: Bytes::from(format!("event: {kind}\ndata: {body}\n\n")),
            paced,
        });
    }

    /// A `: keep-alive` comment, as slow real streams send; only for "slow" replies.
    fn keep_alive(&mut self) {
        if self.slow {
            self.frames.push(Frame {
                bytes: Bytes::from_static(b": keep-alive\n\n"),
                paced: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::script::ToolCall;

    fn envelope() -> Envelope {
        Envelope {
            id: "resp_t".into(),
            suffix: "t".into(),
            created_at: 1,
            echo: Map::new(),
        }
    }

    fn reply(content: &[&str]) -> Reply {
        Reply {
            reasoning: Vec::new(),
            content: content.iter().map(|s| (*s).to_owned()).collect(),
            tool_calls: Vec::new(),
            finish: Finish::Stop,
            ending: Ending::Complete,
            slow: false,
            prompt_tokens: 3,
        }
    }

    fn events_of(reply: &Reply) -> Vec<Value> {
        envelope()
            .events(reply)
            .iter()
            .filter_map(|f| {
                let text = std::str::from_utf8(&f.bytes).ok()?;
                let data = text.lines().find_map(|l| l.strip_prefix("data: "))?;
                serde_json::from_str(data).ok()
            })
            .collect()
    }

    fn types(events: &[Value]) -> Vec<&str> {
        events.iter().filter_map(|e| e["type"].as_str()).collect()
    }

    #[test]
    fn a_text_reply_streams_the_real_event_sequence() {
        let events = events_of(&reply(&["Hello ", "world"]));
        assert_eq!(
            types(&events),
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let numbers: Vec<u64> = events
            .iter()
            .filter_map(|e| e["sequence_number"].as_u64())
            .collect();
        assert_eq!(numbers, (0..10).collect::<Vec<_>>());
        assert_eq!(events[6]["text"], "Hello world");
        let done = &events[9]["response"];
        assert_eq!(done["status"], "completed");
        assert_eq!(done["output"][0]["content"][0]["text"], "Hello world");
        assert_eq!(done["usage"]["total_tokens"], 5);
    }

    #[test]
    fn function_calls_carry_call_id_and_name_and_finish_with_their_arguments() {
        let mut r = reply(&[]);
        r.tool_calls = vec![ToolCall {
            id: "call_7".into(),
            name: "f".into(),
            argument_fragments: vec!["{\"a\": ".into(), "1}".into()],
        }];
        r.finish = Finish::ToolCalls;
        let events = events_of(&r);
        assert_eq!(events[2]["item"]["call_id"], "call_7");
        assert_eq!(events[2]["item"]["arguments"], "");
        assert_eq!(events[5]["type"], "response.function_call_arguments.done");
        assert_eq!(events[5]["arguments"], "{\"a\": 1}");
        assert_eq!(events[5]["name"], "f");
        assert_eq!(events[6]["item"]["status"], "completed");
        assert_eq!(output_items(&r).len(), 1);
    }

    #[test]
    fn a_length_finish_is_incomplete_and_a_stream_error_failed() {
        let mut r = reply(&["a "]);
        r.finish = Finish::Length;
        let object = envelope().finished(&r);
        assert_eq!(object["status"], "incomplete");
        assert_eq!(object["incomplete_details"]["reason"], "max_output_tokens");
        r.finish = Finish::Stop;
        r.ending = Ending::StreamError;
        let events = events_of(&r);
        let last = &events[events.len() - 1];
        assert_eq!(last["type"], "response.failed");
        assert_eq!(last["response"]["error"]["code"], "server_error");
        assert!(!types(&events).contains(&"response.output_text.done"));
    }

    #[test]
    fn slow_replies_send_keep_alive_comments() {
        let mut r = reply(&["a "; 12]);
        r.slow = true;
        let comments = envelope()
            .events(&r)
            .iter()
            .filter(|f| f.bytes.starts_with(b": keep-alive"))
            .count();
        assert_eq!(comments, 2);
    }
}
