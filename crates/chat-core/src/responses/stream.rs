//! Folding the Responses API's stream events (`response.output_text.delta`,
//! `response.function_call_arguments.delta`, `response.completed`, …) into the [`Reply`] and
//! [`Update`]s of chat completions, and reading a non-streamed `response` object alike.
//!
//! The deltas are the text: a part's `…done` event, its `output_item.done` and the final
//! response's `output` only fill in a part of which no delta arrived. Unknown event types and
//! fields are ignored.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

use crate::error::ChatError;
use crate::sse::Event;
use crate::stream::{stream_failure, Accumulate, Outcome, Reply, Update};
use crate::types::{FinishReason, ToolCall};

/// Where a piece of text belongs: the item's `output_index` and the part's index in it
/// (`content_index`, or `summary_index` for a reasoning summary); `None` when not sent.
type Place = (Option<u32>, Option<u32>);

/// The parts of one text (content, refusal, reasoning) whose text has arrived.
#[derive(Debug, Default)]
struct Parts {
    seen: Vec<Place>,
}

impl Parts {
    /// Whether text of the part at `place` has arrived; text whose place was not sent
    /// could be any part's.
    fn has(&self, place: Place) -> bool {
        self.seen
            .iter()
            .any(|&(o, c)| (o.is_none() || o == place.0) && (c.is_none() || c == place.1))
    }

    /// Notes that text of `place` arrived; true when it is a part not seen before.
    fn mark(&mut self, place: Place) -> bool {
        let new = !self.seen.contains(&place);
        if new {
            self.seen.push(place);
        }
        new
    }
}

/// What is known of a `function_call` item besides the [`ToolCall`] it becomes.
#[derive(Debug)]
struct CallState {
    output_index: Option<u32>,
    item_id: Option<String>,
    /// Whether argument deltas arrived (then they are the arguments, exactly as sent).
    streamed: bool,
}

/// How a response object ends the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Completed,
    Incomplete,
    Failed,
}

/// Folds a Responses API event stream into the reply; the same surface as
/// [`StreamAccumulator`](crate::stream::StreamAccumulator).
#[derive(Debug, Default)]
pub struct ResponsesAccumulator {
    reply: Reply,
    content: Parts,
    refusal: Parts,
    summary: Parts,
    /// Parallel to `reply.tool_calls`.
    calls: Vec<CallState>,
    done: bool,
    failure: Option<ChatError>,
}

impl ResponsesAccumulator {
    /// An accumulator before the first event.
    pub fn new() -> Self {
        Self::default()
    }

    fn apply(&mut self, kind: &str, e: &EventData<'_>, data: &str, updates: &mut Vec<Update>) {
        let place = |sub: Option<u32>| (e.output_index, sub);
        match kind {
            "response.output_text.delta" => {
                if let Some(text) = e.delta.as_deref() {
                    self.content_delta(place(e.content_index), text, updates);
                }
            }
            "response.output_text.done" => {
                if let Some(text) = e.text.as_deref() {
                    self.fill_content(place(e.content_index), text, updates);
                }
            }
            "response.refusal.delta" => {
                if let Some(text) = e.delta.as_deref() {
                    self.refusal_delta(place(e.content_index), text, updates);
                }
            }
            "response.refusal.done" => {
                if let Some(text) = e.refusal.as_deref() {
                    self.fill_refusal(place(e.content_index), text, updates);
                }
            }
            "response.content_part.done" => {
                if let Some(part) = &e.part {
                    self.fill_part(place(e.content_index), part, updates);
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                if let Some(text) = e.delta.as_deref() {
                    let sub = e.summary_index.or(e.content_index);
                    self.summary_delta(place(sub), text, updates);
                }
            }
            "response.reasoning_summary_text.done" | "response.reasoning_text.done" => {
                if let Some(text) = e.text.as_deref() {
                    let sub = e.summary_index.or(e.content_index);
                    self.fill_summary(place(sub), text, updates);
                }
            }
            "response.reasoning_summary_part.done" => {
                if let Some(text) = e.part.as_ref().and_then(|p| text(p, "text")) {
                    self.fill_summary(place(e.summary_index), text, updates);
                }
            }
            "response.output_item.added" | "response.output_item.done" => {
                if let Some(item) = &e.item {
                    self.fill_item(e.output_index, item, updates);
                }
            }
            "response.function_call_arguments.delta" => {
                if let Some(fragment) = e.delta.as_deref() {
                    let position = self.call_at(e.output_index, e.item_id.as_deref(), updates);
                    self.calls[position].streamed = true;
                    self.append_arguments(position, fragment, updates);
                }
            }
            "response.function_call_arguments.done" => {
                if let Some(arguments) = e.arguments.as_deref() {
                    let position = self.call_at(e.output_index, e.item_id.as_deref(), updates);
                    self.fill_arguments(position, arguments, updates);
                }
            }
            "response.created" | "response.in_progress" => {
                if let Some(response) = &e.response {
                    self.apply_head(response, updates);
                }
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                if let Some(response) = &e.response {
                    let end = match kind {
                        "response.completed" => End::Completed,
                        "response.incomplete" => End::Incomplete,
                        _ => End::Failed,
                    };
                    self.apply_response(response, end, updates);
                }
            }
            "error" => self.fail(ChatError::from_stream_payload(data), updates),
            _ => {}
        }
    }

    fn fail(&mut self, err: ChatError, updates: &mut Vec<Update>) {
        updates.push(Update::Failed(err.clone()));
        self.failure = Some(err);
    }

    fn content_delta(&mut self, place: Place, text: &str, updates: &mut Vec<Update>) {
        self.content.mark(place);
        if !text.is_empty() {
            let start = self.reply.content.len();
            self.reply.content.push_str(text);
            updates.push(Update::Content(start..self.reply.content.len()));
        }
    }

    fn fill_content(&mut self, place: Place, text: &str, updates: &mut Vec<Update>) {
        if !self.content.has(place) {
            self.content_delta(place, text, updates);
        }
    }

    fn refusal_delta(&mut self, place: Place, text: &str, updates: &mut Vec<Update>) {
        self.refusal.mark(place);
        if !text.is_empty() {
            self.reply
                .refusal
                .get_or_insert_with(String::new)
                .push_str(text);
            updates.push(Update::Refusal(text.to_owned()));
        }
    }

    fn fill_refusal(&mut self, place: Place, text: &str, updates: &mut Vec<Update>) {
        if !self.refusal.has(place) {
            self.refusal_delta(place, text, updates);
        }
    }

    fn fill_part(&mut self, place: Place, part: &Value, updates: &mut Vec<Update>) {
        match text(part, "type") {
            Some("output_text") => {
                if let Some(text) = text(part, "text") {
                    self.fill_content(place, text, updates);
                }
            }
            Some("refusal") => {
                if let Some(text) = text(part, "refusal") {
                    self.fill_refusal(place, text, updates);
                }
            }
            _ => {}
        }
    }

    /// Reasoning text; the parts of a summary are separated by a blank line.
    fn summary_delta(&mut self, place: Place, text: &str, updates: &mut Vec<Update>) {
        let new_part = self.summary.mark(place);
        if text.is_empty() {
            return;
        }
        let reasoning = &mut self.reply.reasoning;
        let start = reasoning.len();
        if new_part && !reasoning.is_empty() {
            reasoning.push_str("\n\n");
        }
        reasoning.push_str(text);
        updates.push(Update::Reasoning(start..reasoning.len()));
    }

    fn fill_summary(&mut self, place: Place, text: &str, updates: &mut Vec<Update>) {
        if !self.summary.has(place) {
            self.summary_delta(place, text, updates);
        }
    }

    /// An output item, as announced, finished, or listed in the final response: the text
    /// of its parts that no delta brought, and a function call.
    fn fill_item(&mut self, output_index: Option<u32>, item: &Value, updates: &mut Vec<Update>) {
        match text(item, "type") {
            Some("message") => {
                for (j, part) in list(item, "content").iter().enumerate() {
                    let place = (output_index, u32::try_from(j).ok());
                    self.fill_part(place, part, updates);
                }
            }
            Some("reasoning") => {
                for (k, part) in list(item, "summary").iter().enumerate() {
                    if let Some(text) = text(part, "text") {
                        let place = (output_index, u32::try_from(k).ok());
                        self.fill_summary(place, text, updates);
                    }
                }
            }
            Some("function_call") => {
                let item_id = text(item, "id");
                let (position, mut header_changed) = self.find_call(output_index, item_id);
                let call = &mut self.reply.tool_calls[position];
                if let Some(id) = text(item, "call_id").filter(|s| !s.is_empty()) {
                    if call.id.is_empty() {
                        call.id = id.to_owned();
                        header_changed = true;
                    }
                }
                if let Some(name) = text(item, "name").filter(|s| !s.is_empty()) {
                    if call.function.name.is_empty() {
                        call.function.name = name.to_owned();
                        header_changed = true;
                    }
                }
                if header_changed {
                    updates.push(Update::ToolCall {
                        position,
                        id: call.id.clone(),
                        name: call.function.name.clone(),
                    });
                }
                let state = &mut self.calls[position];
                if state.item_id.is_none() {
                    state.item_id = item_id.map(str::to_owned);
                }
                if let Some(arguments) = text(item, "arguments") {
                    self.fill_arguments(position, arguments, updates);
                }
            }
            _ => {}
        }
    }

    /// The position of the call at `output_index` or with `item_id`, and whether it is a
    /// new call (there was none).
    fn find_call(&mut self, output_index: Option<u32>, item_id: Option<&str>) -> (usize, bool) {
        let found = self.calls.iter().rposition(|c| {
            (item_id.is_some() && c.item_id.as_deref() == item_id)
                || (output_index.is_some() && c.output_index == output_index)
        });
        if let Some(position) = found {
            return (position, false);
        }
        self.reply.tool_calls.push(ToolCall::function("", "", ""));
        self.calls.push(CallState {
            output_index,
            item_id: item_id.map(str::to_owned),
            streamed: false,
        });
        (self.calls.len() - 1, true)
    }

    /// [`find_call`](Self::find_call) for arguments: a call they start is announced
    /// without its id and name (they come with its item).
    fn call_at(
        &mut self,
        output_index: Option<u32>,
        item_id: Option<&str>,
        updates: &mut Vec<Update>,
    ) -> usize {
        let (position, new) = self.find_call(output_index, item_id);
        if new {
            updates.push(Update::ToolCall {
                position,
                id: String::new(),
                name: String::new(),
            });
        }
        position
    }

    fn append_arguments(&mut self, position: usize, fragment: &str, updates: &mut Vec<Update>) {
        if fragment.is_empty() {
            return;
        }
        self.reply.tool_calls[position]
            .function
            .arguments
            .push_str(fragment);
        updates.push(Update::ToolArguments {
            position,
            fragment: fragment.to_owned(),
        });
    }

    /// The complete arguments of a call, when no delta brought them.
    fn fill_arguments(&mut self, position: usize, arguments: &str, updates: &mut Vec<Update>) {
        let streamed = self.calls[position].streamed
            || !self.reply.tool_calls[position]
                .function
                .arguments
                .is_empty();
        if !streamed && !arguments.is_empty() {
            self.calls[position].streamed = true;
            self.append_arguments(position, arguments, updates);
        }
    }

    /// The response's `id` and `model`.
    fn apply_head(&mut self, response: &Value, updates: &mut Vec<Update>) {
        if let Some(id) = text(response, "id").filter(|s| !s.is_empty()) {
            self.reply.id = Some(id.to_owned());
            self.reply.response_id = Some(id.to_owned());
        }
        if let Some(model) = text(response, "model").filter(|m| !m.is_empty()) {
            if self.reply.model.as_deref() != Some(model) {
                self.reply.model = Some(model.to_owned());
                updates.push(Update::Model(model.to_owned()));
            }
        }
    }

    /// The final response object: what its output has that the deltas did not bring, its
    /// usage, and how the reply ends.
    fn apply_response(&mut self, response: &Value, end: End, updates: &mut Vec<Update>) {
        self.apply_head(response, updates);
        for (i, item) in list(response, "output").iter().enumerate() {
            self.fill_item(u32::try_from(i).ok(), item, updates);
        }
        if let Some(usage) = response.get("usage").filter(|u| !u.is_null()) {
            self.reply.usage = Some(usage.clone());
            updates.push(Update::Usage(usage.clone()));
        }
        let reason = match end {
            End::Failed => {
                let err = match response.get("error").filter(|e| !e.is_null()) {
                    Some(err) => stream_failure(err),
                    None => ChatError::stream_error("The response failed."),
                };
                self.fail(err, updates);
                return;
            }
            End::Completed if !self.reply.tool_calls.is_empty() => FinishReason::ToolCalls,
            End::Completed => FinishReason::Stop,
            End::Incomplete => match response
                .get("incomplete_details")
                .and_then(|d| text(d, "reason"))
            {
                Some("max_output_tokens") => FinishReason::Length,
                Some("content_filter") => FinishReason::ContentFilter,
                Some(other) => FinishReason::Other(other.to_owned()),
                None => FinishReason::Length,
            },
        };
        if self.reply.finish_reason.as_ref() != Some(&reason) {
            self.reply.finish_reason = Some(reason.clone());
            updates.push(Update::FinishReason(reason));
        }
        self.done = true;
        updates.push(Update::Done);
    }
}

impl Accumulate for ResponsesAccumulator {
    /// The reply so far.
    fn reply(&self) -> &Reply {
        &self.reply
    }

    /// True after the response ended (`response.completed`, `response.incomplete`,
    /// `[DONE]`) or failed: stop reading the body.
    fn is_finished(&self) -> bool {
        self.done || self.failure.is_some()
    }

    /// [`push`](Accumulate::push), appending to `updates`.
    fn push_into(&mut self, event: &Event, updates: &mut Vec<Update>) {
        if self.is_finished() {
            return;
        }
        // A JSON object needs no trimming (and `trim` is slow on every event).
        let data = if event.data.starts_with('{') && event.data.ends_with('}') {
            event.data.as_str()
        } else {
            event.data.trim()
        };
        if data.is_empty() {
            return;
        }
        if data == "[DONE]" {
            self.done = true;
            updates.push(Update::Done);
            return;
        }
        let parsed = match serde_json::from_str::<EventData>(data) {
            Ok(parsed) => parsed,
            Err(e) => {
                let snippet: String = data.chars().take(80).collect();
                let err = ChatError::invalid_response(format!("{e} in {snippet:?}"));
                self.fail(err, updates);
                return;
            }
        };
        let kind = match parsed.kind.as_deref() {
            Some(kind) => kind,
            None if event.event != "message" => event.event.as_str(),
            None => return,
        };
        self.apply(kind, &parsed, data, updates);
    }

    /// Releases held-back text at the end of input: the Responses API sends none that is
    /// held back, so there is never any.
    fn flush(&mut self) -> Vec<Update> {
        Vec::new()
    }

    /// Ends the stream (end of body): how did it end?
    fn finish(&mut self) -> Outcome {
        if let Some(e) = &self.failure {
            Outcome::Failed(e.clone())
        } else if self.done {
            Outcome::Complete
        } else {
            Outcome::Interrupted
        }
    }

    /// The reply, consuming the accumulator.
    fn into_reply(self) -> Reply {
        self.reply
    }
}

/// Reads a non-streamed Responses API body (a `response` object) into the reply.
pub fn parse_response(body: &str) -> Result<Reply, ChatError> {
    let response: Value = serde_json::from_str(body.trim())
        .map_err(|e| ChatError::invalid_response(e.to_string()))?;
    if let Some(err) = response.get("error").filter(|e| !e.is_null()) {
        return Err(stream_failure(err));
    }
    if !response.get("output").is_some_and(Value::is_array) {
        return Err(ChatError::invalid_response("the response has no output"));
    }
    let end = match text(&response, "status") {
        Some("incomplete") => End::Incomplete,
        Some("failed") => End::Failed,
        _ => End::Completed,
    };
    let mut acc = ResponsesAccumulator::new();
    acc.apply_response(&response, end, &mut Vec::new());
    match acc.finish() {
        Outcome::Failed(e) => Err(e),
        Outcome::Complete | Outcome::Interrupted => Ok(acc.into_reply()),
    }
}

/// The fields of a stream event this module reads (every event type in one struct).
#[derive(Deserialize)]
struct EventData<'a> {
    #[serde(rename = "type", default, borrow, deserialize_with = "lenient_text")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_text")]
    delta: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_text")]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_text")]
    arguments: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_text")]
    refusal: Option<Cow<'a, str>>,
    #[serde(default)]
    output_index: Option<u32>,
    #[serde(default)]
    content_index: Option<u32>,
    #[serde(default)]
    summary_index: Option<u32>,
    #[serde(default)]
    item_id: Option<String>,
    /// An output item: a `message`, a `reasoning` item, a `function_call`, or another
    /// (ignored). It, the part and the response are read as JSON values: they come once per
    /// item, and walking a value is far less code in the wasm than a reader per type.
    #[serde(default)]
    item: Option<Value>,
    /// A part of a message (`output_text`, `refusal`) or of a reasoning summary.
    #[serde(default)]
    part: Option<Value>,
    /// A `response` object: in `response.*` events, and the non-streamed body.
    #[serde(default)]
    response: Option<Value>,
}

/// The text at `key` of a JSON object; missing when absent or not a string.
fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key)?.as_str()
}

/// The array at `key` of a JSON object; empty when absent or not an array.
fn list<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A string, borrowed when it has no escapes; any other value (of a field this module does
/// not expect to be anything else) reads as missing.
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Lenient;
    impl<'de> Visitor<'de> for Lenient {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Lenient)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(Lenient)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::request::ApiStyle;
    use crate::stream::{parse_body, Accumulate, Accumulator};
    use crate::transcript::Entry;
    use serde_json::json;

    /// An event as OpenAI sends it: named by its type, the type again in the data.
    fn event(data: Value) -> Event {
        Event {
            event: data["type"].as_str().unwrap_or("message").to_owned(),
            data: data.to_string(),
            id: String::new(),
        }
    }

    fn run(events: &[Value]) -> (ResponsesAccumulator, Vec<Update>) {
        let mut acc = ResponsesAccumulator::new();
        let mut all = Vec::new();
        for e in events {
            all.extend(acc.push(&event(e.clone())));
        }
        (acc, all)
    }

    fn text_delta(output_index: u32, delta: &str) -> Value {
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": output_index, "content_index": 0, "delta": delta})
    }

    fn completed(output: Value, usage: Value) -> Value {
        json!({"type": "response.completed", "response": {"id": "resp_1", "object": "response", "status": "completed", "model": "gpt-4o", "output": output, "usage": usage}})
    }

    #[test]
    fn text_deltas_are_the_content_and_completed_ends_with_stop_usage_and_id() {
        let usage = json!({"input_tokens": 5, "output_tokens": 2, "total_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0}});
        let (mut acc, ups) = run(&[
            json!({"type": "response.created", "response": {"id": "resp_1", "model": "gpt-4o", "status": "in_progress", "output": []}}),
            text_delta(0, "Hel"),
            text_delta(0, "lo"),
            json!({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "Hello"}),
            completed(
                json!([{"type": "message", "content": [{"type": "output_text", "text": "Hello"}]}]),
                usage.clone(),
            ),
        ]);
        assert_eq!(acc.reply().content, "Hello");
        assert_eq!(acc.reply().response_id.as_deref(), Some("resp_1"));
        assert_eq!(acc.reply().usage.as_ref(), Some(&usage));
        assert_eq!(
            ups,
            vec![
                Update::Model("gpt-4o".into()),
                Update::Content(0..3),
                Update::Content(3..5),
                Update::Usage(usage),
                Update::FinishReason(FinishReason::Stop),
                Update::Done,
            ]
        );
        assert!(acc.is_finished());
        assert_eq!(acc.finish(), Outcome::Complete);
        let entry = Entry::from_reply("a1", &acc.into_reply());
        assert_eq!(entry.response_id.as_deref(), Some("resp_1"));
        assert_eq!(entry.finish_reason, Some(FinishReason::Stop));
    }

    proptest::proptest! {
        #[test]
        fn however_text_and_summary_are_split_into_deltas_the_reply_and_its_updates_agree(
            text in "[a-zé🐉 \n*]{0,40}",
            summary in "[a-z .]{0,20}",
            cuts in proptest::collection::vec(0..64usize, 0..8),
        ) {
            let pieces = |s: &str| {
                let mut bounds: Vec<usize> = cuts
                    .iter()
                    .map(|c| c % (s.len() + 1))
                    .filter(|&c| s.is_char_boundary(c))
                    .collect();
                bounds.extend([0, s.len()]);
                bounds.sort_unstable();
                bounds.dedup();
                let mut pieces: Vec<String> =
                    bounds.windows(2).map(|w| s[w[0]..w[1]].to_owned()).collect();
                if pieces.is_empty() {
                    // An empty delta still says the part is streamed.
                    pieces.push(String::new());
                }
                pieces
            };
            let mut events: Vec<Value> = pieces(&summary)
                .iter()
                .map(|d| json!({"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 0, "delta": d}))
                .collect();
            events.extend(pieces(&text).iter().map(|d| text_delta(1, d)));
            events.push(json!({"type": "response.output_text.done", "output_index": 1, "content_index": 0, "text": "not this"}));
            events.push(completed(json!([]), Value::Null));
            let (acc, ups) = run(&events);
            proptest::prop_assert_eq!(&acc.reply().content, &text);
            proptest::prop_assert_eq!(&acc.reply().reasoning, &summary);
            let (mut shown, mut thought) = (String::new(), String::new());
            for u in &ups {
                match u {
                    Update::Content(r) => shown.push_str(&acc.reply().content[r.clone()]),
                    Update::Reasoning(r) => thought.push_str(&acc.reply().reasoning[r.clone()]),
                    _ => {}
                }
            }
            proptest::prop_assert_eq!(shown, text);
            proptest::prop_assert_eq!(thought, summary);
        }
    }

    #[test]
    fn the_text_of_several_messages_is_concatenated_in_output_order() {
        let (acc, _) = run(&[
            text_delta(0, "One. "),
            json!({"type": "response.output_item.added", "output_index": 1, "item": {"type": "reasoning", "summary": []}}),
            text_delta(2, "Two."),
        ]);
        assert_eq!(acc.reply().content, "One. Two.");
    }

    #[test]
    fn without_deltas_the_done_events_or_the_final_output_are_the_text() {
        let (acc, ups) = run(&[
            json!({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "From done."}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "message", "content": [{"type": "output_text", "text": "From done."}]}}),
        ]);
        assert_eq!(acc.reply().content, "From done.");
        assert_eq!(ups, vec![Update::Content(0..10)]);
        let (only_final, _) = run(&[completed(
            json!([
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Think."}]},
                {"type": "message", "content": [{"type": "output_text", "text": "A"}, {"type": "output_text", "text": "B"}]},
            ]),
            Value::Null,
        )]);
        assert_eq!(only_final.reply().content, "AB");
        assert_eq!(only_final.reply().reasoning, "Think.");
        assert_eq!(only_final.reply().usage, None);
    }

    #[test]
    fn deltas_are_the_text_even_when_the_done_text_differs() {
        let (acc, _) = run(&[
            text_delta(0, "Hello,"),
            json!({"type": "response.output_text.done", "output_index": 0, "content_index": 0, "text": "Hello,!"}),
            completed(
                json!([{"type": "message", "content": [{"type": "output_text", "text": "Other"}]}]),
                Value::Null,
            ),
        ]);
        assert_eq!(acc.reply().content, "Hello,");
        // A server that leaves out the indices: its deltas could be any part's.
        let (bare, _) = run(&[
            json!({"type": "response.output_text.delta", "delta": "1"}),
            json!({"type": "response.output_text.done"}),
            completed(
                json!([{"type": "reasoning"}, {"type": "message", "content": [{"type": "output_text", "text": "1"}]}]),
                Value::Null,
            ),
        ]);
        assert_eq!(bare.reply().content, "1");
    }

    #[test]
    fn reasoning_summary_parts_are_the_reasoning_separated_by_a_blank_line() {
        let summary = |index: u32, delta: &str| json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0, "summary_index": index, "delta": delta});
        let (acc, ups) = run(&[
            summary(0, "**Plan**"),
            summary(0, " first."),
            json!({"type": "response.reasoning_summary_text.done", "output_index": 0, "summary_index": 0, "text": "**Plan** first."}),
            summary(1, "Then."),
            json!({"type": "response.reasoning_summary_part.done", "output_index": 0, "summary_index": 1, "part": {"type": "summary_text", "text": "Then."}}),
            text_delta(1, "Answer"),
        ]);
        assert_eq!(acc.reply().reasoning, "**Plan** first.\n\nThen.");
        assert_eq!(acc.reply().content, "Answer");
        assert_eq!(
            ups,
            vec![
                Update::Reasoning(0..8),
                Update::Reasoning(8..15),
                Update::Reasoning(15..22),
                Update::Content(0..6),
            ]
        );
    }

    #[test]
    fn two_function_calls_become_tool_calls_in_output_order_with_arguments_as_streamed() {
        let args = |index: u32, item: &str, delta: &str| json!({"type": "response.function_call_arguments.delta", "item_id": item, "output_index": index, "delta": delta});
        let (mut acc, ups) = run(&[
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "function_call", "id": "fc_a", "call_id": "call_a", "name": "get_weather", "arguments": ""}}),
            args(0, "fc_a", "{\"city\": "),
            json!({"type": "response.output_item.added", "output_index": 1, "item": {"type": "function_call", "id": "fc_b", "call_id": "call_b", "name": "get_time", "arguments": ""}}),
            args(1, "fc_b", "{ \"tz\" :"),
            args(0, "fc_a", "\"Paris\"}"),
            args(1, "fc_b", " \"UTC\" }"),
            json!({"type": "response.function_call_arguments.done", "item_id": "fc_a", "output_index": 0, "arguments": "{\"city\":\"Paris\"}"}),
            json!({"type": "response.output_item.done", "output_index": 1, "item": {"type": "function_call", "id": "fc_b", "call_id": "call_b", "name": "get_time", "arguments": "{\"tz\":\"UTC\"}"}}),
            completed(json!([]), Value::Null),
        ]);
        assert_eq!(
            acc.reply().tool_calls,
            vec![
                ToolCall::function("call_a", "get_weather", "{\"city\": \"Paris\"}"),
                ToolCall::function("call_b", "get_time", "{ \"tz\" : \"UTC\" }"),
            ]
        );
        assert_eq!(
            ups[0],
            Update::ToolCall {
                position: 0,
                id: "call_a".into(),
                name: "get_weather".into()
            }
        );
        assert!(ups.contains(&Update::ToolArguments {
            position: 1,
            fragment: " \"UTC\" }".into()
        }));
        assert_eq!(acc.reply().finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(acc.finish(), Outcome::Complete);
    }

    #[test]
    fn a_call_known_only_from_its_finished_item_takes_the_items_arguments() {
        let (acc, ups) = run(&[
            json!({"type": "response.output_item.done", "output_index": 1, "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{\"a\":1}"}}),
            completed(
                json!([{"type": "reasoning"}, {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{\"a\":1}"}]),
                Value::Null,
            ),
        ]);
        assert_eq!(
            acc.reply().tool_calls,
            vec![ToolCall::function("call_1", "f", "{\"a\":1}")]
        );
        assert_eq!(
            &ups[..2],
            &[
                Update::ToolCall {
                    position: 0,
                    id: "call_1".into(),
                    name: "f".into()
                },
                Update::ToolArguments {
                    position: 0,
                    fragment: "{\"a\":1}".into()
                }
            ]
        );
    }

    #[test]
    fn incomplete_responses_finish_with_length_or_content_filter() {
        let incomplete = |reason: &str| json!({"type": "response.incomplete", "response": {"id": "resp_2", "status": "incomplete", "incomplete_details": {"reason": reason}, "output": [], "usage": {"total_tokens": 3}}});
        let (mut length, _) = run(&[text_delta(0, "Once upon"), incomplete("max_output_tokens")]);
        assert_eq!(length.reply().finish_reason, Some(FinishReason::Length));
        assert_eq!(length.reply().content, "Once upon");
        assert_eq!(length.finish(), Outcome::Complete);
        let (filtered, _) = run(&[text_delta(0, "Here is how"), incomplete("content_filter")]);
        assert_eq!(
            filtered.reply().finish_reason,
            Some(FinishReason::ContentFilter)
        );
        assert_eq!(filtered.reply().content, "Here is how");
        let (other, _) = run(&[incomplete("something_new")]);
        assert_eq!(
            other.reply().finish_reason,
            Some(FinishReason::Other("something_new".into()))
        );
    }

    #[test]
    fn refusal_deltas_are_the_refusal() {
        let (acc, ups) = run(&[
            json!({"type": "response.refusal.delta", "output_index": 0, "content_index": 0, "delta": "I can't"}),
            json!({"type": "response.refusal.delta", "output_index": 0, "content_index": 0, "delta": " help."}),
            json!({"type": "response.refusal.done", "output_index": 0, "content_index": 0, "refusal": "I can't help."}),
            completed(
                json!([{"type": "message", "content": [{"type": "refusal", "refusal": "I can't help."}]}]),
                Value::Null,
            ),
        ]);
        assert_eq!(acc.reply().refusal.as_deref(), Some("I can't help."));
        assert_eq!(ups[1], Update::Refusal(" help.".into()));
        assert_eq!(acc.reply().content, "");
    }

    #[test]
    fn a_failed_response_keeps_the_text_and_fails_with_the_servers_message_and_code() {
        let (mut acc, ups) = run(&[
            text_delta(0, "partial"),
            json!({"type": "response.failed", "response": {"id": "resp_3", "status": "failed", "error": {"code": "server_error", "message": "The model crashed."}, "output": [], "usage": null}}),
            text_delta(0, " ignored"),
        ]);
        assert_eq!(acc.reply().content, "partial");
        assert_eq!(acc.reply().response_id.as_deref(), Some("resp_3"));
        assert!(matches!(ups.last(), Some(Update::Failed(_))));
        let Outcome::Failed(e) = acc.finish() else {
            panic!("expected a failure");
        };
        assert_eq!(
            (e.kind, e.message.as_str(), e.code.as_deref()),
            (
                ErrorKind::StreamError,
                "The model crashed.",
                Some("server_error")
            )
        );
    }

    #[test]
    fn an_error_event_fails_keeping_the_text() {
        let (mut acc, _) = run(&[
            text_delta(0, "kept"),
            json!({"type": "error", "code": "rate_limit_exceeded", "message": "Slow down.", "param": null, "sequence_number": 3}),
        ]);
        assert_eq!(acc.reply().content, "kept");
        let Outcome::Failed(e) = acc.finish() else {
            panic!("expected a failure");
        };
        assert_eq!(
            (e.message.as_str(), e.code.as_deref()),
            ("Slow down.", Some("rate_limit_exceeded"))
        );
        // Named only by the SSE event, with the error nested.
        let mut named = ResponsesAccumulator::new();
        let ups = named.push(&Event {
            event: "error".into(),
            data: r#"{"error":{"message":"upstream timeout"}}"#.into(),
            id: String::new(),
        });
        assert!(matches!(&ups[..], [Update::Failed(e)] if e.message == "upstream timeout"));
    }

    #[test]
    fn unknown_events_and_fields_are_ignored_and_bad_json_fails() {
        let (mut acc, ups) = run(&[
            json!({"type": "response.queued", "response": {"id": "r"}}),
            json!({"type": "response.output_text.annotation.added", "annotation": {"type": "url_citation"}}),
            json!({"type": "response.web_search_call.searching", "output_index": 0}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": "x", "logprobs": [], "obfuscation": "abc", "brand_new": {"a": 1}}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": {"text": "odd"}}),
            json!({"no_type": true}),
        ]);
        assert_eq!(acc.reply().content, "x");
        assert_eq!(ups, vec![Update::Content(0..1)]);
        assert_eq!(acc.finish(), Outcome::Interrupted);
        let mut bad = ResponsesAccumulator::new();
        bad.push(&event(text_delta(0, "kept")));
        bad.push(&Event {
            event: "message".into(),
            data: "{not json".into(),
            id: String::new(),
        });
        assert_eq!(bad.reply().content, "kept");
        assert!(matches!(bad.finish(), Outcome::Failed(e) if e.kind == ErrorKind::InvalidResponse));
    }

    #[test]
    fn done_ends_the_stream_of_servers_that_send_it() {
        let mut acc = ResponsesAccumulator::new();
        acc.push(&event(text_delta(0, "a")));
        let ups = acc.push(&Event {
            event: "message".into(),
            data: "[DONE]".into(),
            id: String::new(),
        });
        assert_eq!(ups, vec![Update::Done]);
        assert_eq!(acc.finish(), Outcome::Complete);
        assert!(acc.push(&event(text_delta(0, "b"))).is_empty());
    }

    #[test]
    fn a_non_streamed_response_object_parses_into_the_same_reply() {
        let body = json!({
            "id": "resp_9", "object": "response", "status": "completed", "model": "o4-mini",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Plan."}]},
                {"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "Hi", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"},
            ],
            "usage": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
            "error": null, "incomplete_details": null,
        })
        .to_string();
        let reply = parse_response(&body).unwrap();
        assert_eq!(reply.content, "Hi");
        assert_eq!(reply.reasoning, "Plan.");
        assert_eq!(
            reply.tool_calls,
            vec![ToolCall::function("call_1", "f", "{}")]
        );
        assert_eq!(reply.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(reply.usage.as_ref().unwrap()["total_tokens"], 7);
        assert_eq!(reply.response_id.as_deref(), Some("resp_9"));
        assert_eq!(reply.model.as_deref(), Some("o4-mini"));
        assert_eq!(parse_body(ApiStyle::Responses, &body).unwrap(), reply);
        let incomplete = r#"{"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"#;
        assert_eq!(
            parse_response(incomplete).unwrap().finish_reason,
            Some(FinishReason::Length)
        );
        let failed = r#"{"id":"r","status":"failed","error":{"code":"server_error","message":"Boom"},"output":[]}"#;
        let e = parse_response(failed).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::StreamError, "Boom")
        );
        assert_eq!(
            parse_response("<html>").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
        assert_eq!(
            parse_response(r#"{"choices":[]}"#).unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
    }

    #[test]
    fn the_accumulator_of_a_style_reads_that_styles_stream() {
        let chat_chunk = Event {
            event: "message".into(),
            data: r#"{"choices":[{"delta":{"content":"chat"}}]}"#.into(),
            id: String::new(),
        };
        let responses_event = event(text_delta(0, "responses"));
        for (style, expected) in [
            (ApiStyle::AzureInference, "chat"),
            (ApiStyle::OpenAi, "chat"),
            (ApiStyle::Responses, "responses"),
        ] {
            let mut acc = Accumulator::for_style(style);
            acc.push(&chat_chunk);
            acc.push(&responses_event);
            assert_eq!(acc.reply().content, expected, "{style}");
            assert!(!acc.is_finished());
            acc.flush();
            assert_eq!(acc.finish(), Outcome::Interrupted);
            assert_eq!(Accumulate::into_reply(acc).content, expected);
        }
        fn content_of(mut acc: impl Accumulate, events: &[Event]) -> String {
            for e in events {
                acc.push(e);
            }
            acc.into_reply().content
        }
        assert_eq!(
            content_of(ResponsesAccumulator::new(), &[event(text_delta(0, "r"))]),
            "r"
        );
    }
}
