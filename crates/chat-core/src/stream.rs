//! Folding decoded stream events into the assistant reply.
//!
//! [`StreamAccumulator::push`] takes one SSE [`Event`] and returns the [`Update`]s it caused
//! (text appended, a tool call started, …) so a UI appends instead of diffing; the full
//! state is always in [`StreamAccumulator::reply`]. [`parse_completion`] reads a
//! non-streaming `chat.completion` body into the same [`Reply`].
//!
//! The Responses API's events fold into the same [`Reply`] and [`Update`]s through
//! [`ResponsesAccumulator`]; [`Accumulate`] is what both accumulators do, and
//! [`Accumulator`] is either, picked by the API style ([`parse_body`] likewise for a
//! non-streamed body).

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::ops::Range;

use crate::error::ChatError;
use crate::request::ApiStyle;
pub use crate::responses::{parse_response, ResponsesAccumulator};
use crate::sse::Event;
use crate::types::{FinishReason, ToolCall};

mod shape;

/// The reply of one choice as received so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    /// Concatenated content, as sent but for a leading `<think>` block (tags and all).
    pub content: String,
    /// Concatenated `reasoning_content` / `reasoning`, `thinking` content parts, and a
    /// leading `<think>` block.
    pub reasoning: String,
    /// Refusal text, when the model refused.
    pub refusal: Option<String>,
    /// Tool calls in order of first appearance; `arguments` is the raw concatenation.
    pub tool_calls: Vec<ToolCall>,
    /// The last non-null `finish_reason`.
    pub finish_reason: Option<FinishReason>,
    /// The last non-null `usage`, as the server sent it (choice 0 only).
    pub usage: Option<Value>,
    /// The last non-empty `model` (choice 0 only).
    pub model: Option<String>,
    /// The first non-empty response `id` (choice 0 only); in the Responses API the
    /// response's `id` as last sent.
    pub id: Option<String>,
    /// The Responses API's response id, by which a later request chains to this reply
    /// (`previous_response_id`); `None` in chat completions, whose ids do not chain.
    pub response_id: Option<String>,
}

/// What one event changed in the reply of choice 0.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The model name became known or changed.
    Model(String),
    /// Text appended to `content`: the bytes `range` of the content of
    /// [`StreamAccumulator::reply`] (a range, not a copy: the text is already there, and
    /// an allocation per event costs more than reading it — BENCHMARKS.md, Decoder).
    Content(Range<usize>),
    /// Text appended to `reasoning`: the bytes `range` of the reply's reasoning.
    Reasoning(Range<usize>),
    /// Text appended to `refusal`.
    Refusal(String),
    /// The tool call at `position` in `tool_calls` started, or its id or name became known.
    ToolCall {
        position: usize,
        id: String,
        name: String,
    },
    /// Text appended to the arguments of the tool call at `position`.
    ToolArguments { position: usize, fragment: String },
    /// A (new) finish reason.
    FinishReason(FinishReason),
    /// A (new) usage object.
    Usage(Value),
    /// `[DONE]`: the stream ended; stop reading.
    Done,
    /// The stream ended with an error; stop reading. Content received before is kept.
    Failed(ChatError),
}

/// How a streamed reply ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `[DONE]`, or end of body after a finish reason.
    Complete,
    /// End of body without a finish reason: the reply is partial.
    Interrupted,
    /// An error arrived in the stream, or the stream could not be read.
    Failed(ChatError),
}

/// Where a choice's content stands with respect to a leading `<think>` block. Only the
/// block itself (its tags and the reasoning between them) is taken out of the content:
/// everything else, the whitespace around the block included, stays as sent.
#[derive(Debug, Clone, PartialEq)]
enum Think {
    /// Nothing but whitespace and a possible beginning of `<think>` (held back) so far.
    Start(String),
    /// Inside the block; holds a possible beginning of `</think>`.
    Inside(String),
    /// Plain content: there is no block, or it has ended.
    Outside,
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

impl Think {
    /// Routes `text` to `content` or `reasoning`.
    #[cfg_attr(optimize_hot, optimize(speed))]
    fn feed(&mut self, text: &str, content: &mut String, reasoning: &mut String) {
        match self {
            Think::Outside => content.push_str(text),
            Think::Start(held) => {
                held.push_str(text);
                let trimmed = held.trim_start();
                if let Some(rest) = trimmed.strip_prefix(OPEN) {
                    content.push_str(&held[..held.len() - trimmed.len()]);
                    let rest = rest.to_owned();
                    *self = Think::Inside(String::new());
                    self.feed(&rest, content, reasoning);
                } else if !OPEN.starts_with(trimmed) {
                    content.push_str(held);
                    *self = Think::Outside;
                }
            }
            Think::Inside(carry) => {
                carry.push_str(text);
                if let Some(pos) = carry.find(CLOSE) {
                    reasoning.push_str(&carry[..pos]);
                    content.push_str(&carry[pos + CLOSE.len()..]);
                    *self = Think::Outside;
                } else {
                    let keep = partial_suffix(carry, CLOSE);
                    let cut = carry.len() - keep;
                    reasoning.push_str(&carry[..cut]);
                    carry.drain(..cut);
                }
            }
        }
    }

    /// Releases held-back text at the end of the reply.
    fn flush(&mut self, content: &mut String, reasoning: &mut String) {
        match std::mem::replace(self, Think::Outside) {
            Think::Start(held) => content.push_str(&held),
            Think::Inside(carry) => reasoning.push_str(&carry),
            Think::Outside => {}
        }
    }
}

/// Length of the longest suffix of `s` that is a proper prefix of `pat` (ASCII `pat`).
fn partial_suffix(s: &str, pat: &str) -> usize {
    (1..pat.len().min(s.len() + 1))
        .rev()
        .find(|&n| s.as_bytes().ends_with(&pat.as_bytes()[..n]))
        .unwrap_or(0)
}

#[derive(Debug)]
struct ChoiceState {
    index: u32,
    reply: Reply,
    think: Think,
    /// The wire `index` of each tool call (parallel to `reply.tool_calls`).
    wire_index: Vec<Option<u32>>,
}

impl ChoiceState {
    fn new(index: u32) -> Self {
        ChoiceState {
            index,
            reply: Reply::default(),
            think: Think::Start(String::new()),
            wire_index: Vec::new(),
        }
    }

    #[cfg_attr(optimize_hot, optimize(speed))]
    fn apply(&mut self, delta: Delta<'_>, updates: &mut Option<&mut Vec<Update>>) {
        let r = &mut self.reply;
        let (content, thinking) = match delta.content {
            Some(Text::Plain(text)) => (Some(text), None),
            Some(Text::Parts { text, thinking }) => (Some(Cow::Owned(text)), Some(thinking)),
            None => (None, None),
        };
        for text in [
            delta.reasoning_content,
            delta.reasoning,
            thinking.map(Cow::Owned),
        ]
        .into_iter()
        .flatten()
        {
            if !text.is_empty() {
                let r0 = r.reasoning.len();
                r.reasoning.push_str(&text);
                if let Some(u) = updates.as_deref_mut() {
                    u.push(Update::Reasoning(r0..r.reasoning.len()));
                }
            }
        }
        if let Some(text) = content.filter(|t| !t.is_empty()) {
            let (c0, r0) = (r.content.len(), r.reasoning.len());
            self.think.feed(&text, &mut r.content, &mut r.reasoning);
            report_growth(r, c0, r0, updates);
        }
        if let Some(text) = delta.refusal.filter(|t| !t.is_empty()) {
            r.refusal.get_or_insert_with(String::new).push_str(&text);
            if let Some(u) = updates.as_deref_mut() {
                u.push(Update::Refusal(text.into_owned()));
            }
        }
        for call in delta.tool_calls.into_iter().flatten() {
            self.apply_tool_call(call, updates);
        }
    }

    /// A delta belongs to the latest call with its wire `index` or, without one, to the
    /// last call; a non-empty id different from that call's id starts a new call (some
    /// servers reuse index 0 for parallel calls).
    fn apply_tool_call(&mut self, call: ToolCallDelta<'_>, updates: &mut Option<&mut Vec<Update>>) {
        let id = call.id.filter(|s| !s.is_empty());
        let (name, arguments) = match call.function {
            Some(f) => (f.name.filter(|s| !s.is_empty()), f.arguments),
            None => (None, None),
        };
        let calls = &mut self.reply.tool_calls;
        let brings_new_id = |existing: &ToolCall| {
            id.as_ref()
                .is_some_and(|i| !existing.id.is_empty() && existing.id != *i)
        };
        let found = match call.index {
            Some(i) => self.wire_index.iter().rposition(|w| *w == Some(i)),
            None => calls.len().checked_sub(1),
        };
        let (position, mut header_changed) = match found {
            Some(p) if !brings_new_id(&calls[p]) => (p, false),
            _ => {
                calls.push(ToolCall::function("", "", ""));
                self.wire_index.push(call.index);
                (calls.len() - 1, true)
            }
        };
        let target = &mut calls[position];
        if let Some(id) = id {
            if target.id.is_empty() {
                target.id = id;
                header_changed = true;
            }
        }
        if let Some(name) = name {
            if target.function.name.is_empty() {
                target.function.name = name;
                header_changed = true;
            }
        }
        if let Some(u) = updates.as_deref_mut() {
            if header_changed {
                u.push(Update::ToolCall {
                    position,
                    id: target.id.clone(),
                    name: target.function.name.clone(),
                });
            }
        }
        if let Some(fragment) = arguments.filter(|a| !a.is_empty()) {
            target.function.arguments.push_str(&fragment);
            if let Some(u) = updates.as_deref_mut() {
                u.push(Update::ToolArguments {
                    position,
                    fragment: fragment.into_owned(),
                });
            }
        }
    }

    fn flush(&mut self, updates: &mut Option<&mut Vec<Update>>) {
        let r = &mut self.reply;
        let (c0, r0) = (r.content.len(), r.reasoning.len());
        self.think.flush(&mut r.content, &mut r.reasoning);
        report_growth(r, c0, r0, updates);
    }
}

#[cfg_attr(optimize_hot, optimize(speed))]
fn report_growth(r: &Reply, c0: usize, r0: usize, updates: &mut Option<&mut Vec<Update>>) {
    if let Some(u) = updates.as_deref_mut() {
        if r.reasoning.len() > r0 {
            u.push(Update::Reasoning(r0..r.reasoning.len()));
        }
        if r.content.len() > c0 {
            u.push(Update::Content(c0..r.content.len()));
        }
    }
}

/// Folds a chat-completions SSE stream into replies, one per choice.
#[derive(Debug)]
pub struct StreamAccumulator {
    /// Choice 0 first, others in order of appearance.
    choices: Vec<ChoiceState>,
    done: bool,
    failure: Option<ChatError>,
    /// The last plain content chunk, to recognise the next one by its bytes.
    shape: shape::Shape,
}

impl Default for StreamAccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamAccumulator {
    /// An accumulator before the first event.
    pub fn new() -> Self {
        StreamAccumulator {
            choices: vec![ChoiceState::new(0)],
            done: false,
            failure: None,
            shape: shape::Shape::default(),
        }
    }

    /// The reply so far (choice 0).
    pub fn reply(&self) -> &Reply {
        &self.choices[0].reply
    }

    /// The reply of choice `index` (`n > 1`), if it appeared.
    pub fn choice(&self, index: u32) -> Option<&Reply> {
        self.choices
            .iter()
            .find(|c| c.index == index)
            .map(|c| &c.reply)
    }

    /// Indices of all choices seen, 0 first.
    pub fn choice_indices(&self) -> Vec<u32> {
        self.choices.iter().map(|c| c.index).collect()
    }

    /// True after `[DONE]` or an error: stop reading the body.
    pub fn is_finished(&self) -> bool {
        self.done || self.failure.is_some()
    }

    /// Folds one event in; returns what changed in choice 0.
    pub fn push(&mut self, event: &Event) -> Vec<Update> {
        let mut updates = Vec::new();
        self.push_into(event, &mut updates);
        updates
    }

    /// [`push`](Self::push), appending to `updates`: a reader that reuses one vector for
    /// every event allocates none for them.
    pub fn push_into(&mut self, event: &Event, updates: &mut Vec<Update>) {
        self.push_event::<true>(event, updates);
    }

    /// [`push_into`](Self::push_into); `FAST` is false only in tests, which compare the fast
    /// reading of the dominant chunk shape with the full (serde) one.
    #[cfg_attr(optimize_hot, optimize(speed))]
    fn push_event<const FAST: bool>(&mut self, event: &Event, updates: &mut Vec<Update>) {
        if self.is_finished() {
            return;
        }
        match event.event.as_str() {
            "message" => {}
            "error" => {
                self.fail(ChatError::from_stream_payload(&event.data), updates);
                return;
            }
            _ => return,
        }
        self.push_data::<FAST>(&event.data, true, updates);
    }

    /// One `data` payload. A payload that is not one JSON value but several lines of
    /// them (a server that forgot the blank lines between events) is read line by line.
    /// A chunk that repeats the last plain one but for its text is read from its content
    /// literal alone ([`shape::Shape`]); every other chunk is read by serde.
    fn push_data<const FAST: bool>(
        &mut self,
        data: &str,
        may_split: bool,
        updates: &mut Vec<Update>,
    ) {
        if self.is_finished() {
            return;
        }
        // A JSON object needs no trimming (and `trim` is slow on every chunk).
        let data = if data.starts_with('{') && data.ends_with('}') {
            data
        } else {
            data.trim()
        };
        if data == "[DONE]" {
            self.flush_into(updates);
            self.done = true;
            updates.push(Update::Done);
            return;
        }
        if data.is_empty() {
            return;
        }
        if FAST && self.push_remembered(data, updates) {
            return;
        }
        match serde_json::from_str::<Chunk>(data) {
            Ok(chunk) => {
                if FAST {
                    self.shape.remember(data, &chunk);
                }
                self.apply_chunk(chunk, updates);
            }
            Err(_) if may_split && data.contains('\n') => {
                for line in data.lines() {
                    self.push_data::<FAST>(line, false, updates);
                }
            }
            Err(e) => {
                let snippet: String = data.chars().take(80).collect();
                let err = ChatError::invalid_response(format!("{e} in {snippet:?}"));
                self.fail(err, updates);
            }
        }
    }

    /// Applies `data` if it is the last plain chunk with other text (its id and model are
    /// already applied); false when serde has to read it.
    #[cfg_attr(optimize_hot, optimize(speed))]
    fn push_remembered(&mut self, data: &str, updates: &mut Vec<Update>) -> bool {
        let Some((index, text)) = self.shape.content(data) else {
            return false;
        };
        let delta = Delta {
            content: Some(Text::Plain(text)),
            ..Delta::default()
        };
        let choice = ChoiceChunk {
            index,
            delta: Some(delta),
            ..ChoiceChunk::default()
        };
        self.apply_choice(choice, &mut None, updates);
        true
    }

    /// Releases text held back while deciding about a `<think>` block (end of input).
    pub fn flush(&mut self) -> Vec<Update> {
        let mut updates = Vec::new();
        self.flush_into(&mut updates);
        updates
    }

    /// Ends the stream (end of body): how did it end? Flushes held-back text first;
    /// call [`flush`](Self::flush) before to see it as updates.
    pub fn finish(&mut self) -> Outcome {
        self.flush_into(&mut Vec::new());
        if let Some(e) = &self.failure {
            Outcome::Failed(e.clone())
        } else if self.done || self.reply().finish_reason.is_some() {
            Outcome::Complete
        } else {
            Outcome::Interrupted
        }
    }

    /// The reply of choice 0, consuming the accumulator.
    pub fn into_reply(self) -> Reply {
        self.choices
            .into_iter()
            .next()
            .map(|c| c.reply)
            .unwrap_or_default()
    }

    fn flush_into(&mut self, updates: &mut Vec<Update>) {
        for (i, c) in self.choices.iter_mut().enumerate() {
            let mut u = (i == 0).then_some(&mut *updates);
            c.flush(&mut u);
        }
    }

    fn fail(&mut self, err: ChatError, updates: &mut Vec<Update>) {
        self.flush_into(updates);
        updates.push(Update::Failed(err.clone()));
        self.failure = Some(err);
    }

    fn apply_chunk(&mut self, chunk: Chunk<'_>, updates: &mut Vec<Update>) {
        if let Some(err) = chunk.error.filter(|e| !e.is_null()) {
            self.fail(stream_failure(&err), updates);
            return;
        }
        self.apply_head(chunk.id, chunk.model, updates);
        let mut usage = chunk.usage.filter(|u| !u.is_null());
        for choice in chunk.choices.into_iter().flatten() {
            self.apply_choice(choice, &mut usage, updates);
        }
        if let Some(usage) = usage {
            self.choices[0].reply.usage = Some(usage.clone());
            updates.push(Update::Usage(usage));
        }
    }
}

impl StreamAccumulator {
    /// The response `id` and `model` of a chunk.
    fn apply_head(
        &mut self,
        id: Option<Cow<'_, str>>,
        model: Option<Cow<'_, str>>,
        updates: &mut Vec<Update>,
    ) {
        let head = &mut self.choices[0].reply;
        if head.id.is_none() {
            head.id = id.filter(|s| !s.is_empty()).map(Cow::into_owned);
        }
        if let Some(model) = model.filter(|m| !m.is_empty()) {
            if head.model.as_deref() != Some(&*model) {
                head.model = Some(model.clone().into_owned());
                updates.push(Update::Model(model.into_owned()));
            }
        }
    }

    /// One element of `choices`; its non-null `usage` replaces `usage`.
    #[cfg_attr(optimize_hot, optimize(speed))]
    fn apply_choice(
        &mut self,
        choice: ChoiceChunk<'_>,
        usage: &mut Option<Value>,
        updates: &mut Vec<Update>,
    ) {
        if let Some(u) = choice.usage.filter(|u| !u.is_null()) {
            *usage = Some(u);
        }
        let index = choice.index.unwrap_or(0);
        let pos = match self.choices.iter().position(|c| c.index == index) {
            Some(p) => p,
            None => {
                self.choices.push(ChoiceState::new(index));
                self.choices.len() - 1
            }
        };
        let state = &mut self.choices[pos];
        let mut u = (pos == 0).then_some(&mut *updates);
        if let Some(delta) = choice.delta.or(choice.message) {
            state.apply(delta, &mut u);
        }
        if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
            let reason = FinishReason::from(reason.into_owned());
            if state.reply.finish_reason.as_ref() != Some(&reason) {
                state.reply.finish_reason = Some(reason.clone());
                if let Some(u) = u {
                    u.push(Update::FinishReason(reason));
                }
            }
        }
    }
}

/// What a stream accumulator does: fold SSE events into a [`Reply`], telling what changed.
pub trait Accumulate {
    /// The reply so far.
    fn reply(&self) -> &Reply;
    /// True once the stream has ended or failed: stop reading the body.
    fn is_finished(&self) -> bool;
    /// Folds one event in, appending what changed to `updates`.
    fn push_into(&mut self, event: &Event, updates: &mut Vec<Update>);
    /// Releases held-back text at the end of input.
    fn flush(&mut self) -> Vec<Update>;
    /// Ends the stream (end of body): how did it end?
    fn finish(&mut self) -> Outcome;
    /// The reply, consuming the accumulator.
    fn into_reply(self) -> Reply;

    /// Folds one event in; returns what changed.
    fn push(&mut self, event: &Event) -> Vec<Update> {
        let mut updates = Vec::new();
        self.push_into(event, &mut updates);
        updates
    }
}

impl Accumulate for StreamAccumulator {
    fn reply(&self) -> &Reply {
        StreamAccumulator::reply(self)
    }
    fn is_finished(&self) -> bool {
        StreamAccumulator::is_finished(self)
    }
    fn push_into(&mut self, event: &Event, updates: &mut Vec<Update>) {
        StreamAccumulator::push_into(self, event, updates);
    }
    fn flush(&mut self) -> Vec<Update> {
        StreamAccumulator::flush(self)
    }
    fn finish(&mut self) -> Outcome {
        StreamAccumulator::finish(self)
    }
    fn into_reply(self) -> Reply {
        StreamAccumulator::into_reply(self)
    }
}

/// The accumulator of the endpoint's API style, with the methods of both (each boxed: one
/// per reply, and the two differ in size).
#[derive(Debug)]
pub enum Accumulator {
    /// Chat completions (`azure-inference`, `openai`).
    Chat(Box<StreamAccumulator>),
    /// The Responses API.
    Responses(Box<ResponsesAccumulator>),
}

impl Accumulator {
    /// An accumulator for a stream in `style`, before the first event.
    pub fn for_style(style: ApiStyle) -> Self {
        match style {
            ApiStyle::AzureInference | ApiStyle::OpenAi => Accumulator::Chat(Box::default()),
            ApiStyle::Responses => Accumulator::Responses(Box::default()),
        }
    }
}

impl Accumulate for Accumulator {
    /// The reply so far.
    fn reply(&self) -> &Reply {
        match self {
            Accumulator::Chat(a) => a.reply(),
            Accumulator::Responses(a) => a.reply(),
        }
    }

    /// True once the stream has ended or failed: stop reading the body.
    fn is_finished(&self) -> bool {
        match self {
            Accumulator::Chat(a) => a.is_finished(),
            Accumulator::Responses(a) => a.is_finished(),
        }
    }

    /// [`push`](Accumulate::push), appending to `updates`.
    fn push_into(&mut self, event: &Event, updates: &mut Vec<Update>) {
        match self {
            Accumulator::Chat(a) => a.push_into(event, updates),
            Accumulator::Responses(a) => a.push_into(event, updates),
        }
    }

    /// Releases held-back text at the end of input.
    fn flush(&mut self) -> Vec<Update> {
        match self {
            Accumulator::Chat(a) => a.flush(),
            Accumulator::Responses(a) => a.flush(),
        }
    }

    /// Ends the stream (end of body): how did it end?
    fn finish(&mut self) -> Outcome {
        match self {
            Accumulator::Chat(a) => a.finish(),
            Accumulator::Responses(a) => a.finish(),
        }
    }

    /// The reply, consuming the accumulator.
    fn into_reply(self) -> Reply {
        match self {
            Accumulator::Chat(a) => (*a).into_reply(),
            Accumulator::Responses(a) => (*a).into_reply(),
        }
    }
}

/// Reads a non-streamed response body in `style`: a `chat.completion` ([`parse_completion`])
/// or a Responses API `response` object ([`parse_response`]).
pub fn parse_body(style: ApiStyle, body: &str) -> Result<Reply, ChatError> {
    match style {
        ApiStyle::AzureInference | ApiStyle::OpenAi => parse_completion(body),
        ApiStyle::Responses => parse_response(body),
    }
}

/// The error of an `error` object in a stream or a 200 body.
pub(crate) fn stream_failure(err: &Value) -> ChatError {
    ChatError::from_stream_payload(&serde_json::json!({ "error": err }).to_string())
}

/// Reads a non-streaming `chat.completion` body into the reply of choice 0.
pub fn parse_completion(body: &str) -> Result<Reply, ChatError> {
    let chunk: Chunk = serde_json::from_str(body.trim())
        .map_err(|e| ChatError::invalid_response(e.to_string()))?;
    if let Some(err) = chunk.error.as_ref().filter(|e| !e.is_null()) {
        return Err(stream_failure(err));
    }
    if chunk.choices.as_ref().is_none_or(Vec::is_empty) {
        return Err(ChatError::invalid_response("the response has no choices"));
    }
    let mut acc = StreamAccumulator::new();
    let mut chunk = chunk;
    // Calls in a complete message carry no `index`; give each its own.
    for choice in chunk.choices.iter_mut().flatten() {
        if let Some(msg) = choice.message.as_mut() {
            for (i, call) in msg.tool_calls.iter_mut().flatten().enumerate() {
                call.index = Some(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
    }
    acc.apply_chunk(chunk, &mut Vec::new());
    match acc.finish() {
        Outcome::Failed(e) => Err(e),
        Outcome::Complete | Outcome::Interrupted => Ok(acc.into_reply()),
    }
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    choices: Option<Vec<ChoiceChunk<'a>>>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
struct ChoiceChunk<'a> {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default, borrow)]
    delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    message: Option<Delta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    usage: Option<Value>,
}

#[derive(Deserialize, Default)]
struct Delta<'a> {
    #[serde(default, borrow, deserialize_with = "text_or_typed_parts")]
    content: Option<Text<'a>>,
    #[serde(default, borrow, deserialize_with = "text_or_parts")]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "text_or_parts")]
    reasoning: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "text_or_parts")]
    refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<ToolCallDelta<'a>>>,
}

#[derive(Deserialize)]
struct ToolCallDelta<'a> {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, borrow)]
    function: Option<FunctionDelta<'a>>,
}

#[derive(Deserialize)]
struct FunctionDelta<'a> {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, borrow, deserialize_with = "text_or_parts")]
    arguments: Option<Cow<'a, str>>,
}

/// A text field as sent: a string, or an array of typed parts.
enum Text<'a> {
    Plain(Cow<'a, str>),
    /// The parts' text: that of the `text` parts, and that of the `thinking` parts
    /// (Mistral's `{type: "thinking", thinking: [{type: "text", text}]}`). Parts of other
    /// types are left out.
    Parts {
        text: String,
        thinking: String,
    },
}

impl<'a> Text<'a> {
    fn into_text(self) -> Cow<'a, str> {
        match self {
            Text::Plain(text) => text,
            Text::Parts { text, .. } => Cow::Owned(text),
        }
    }
}

/// The text of a part whose `type` is `text` (or missing).
fn part_text(part: &Value) -> Option<&str> {
    match part.get("type").map(Value::as_str) {
        None | Some(Some("text")) => part.get("text").and_then(Value::as_str),
        Some(_) => None,
    }
}

/// A string, null, or an array of typed parts ([`Text`]).
fn text_or_typed_parts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Text<'de>>, D::Error> {
    struct TextOrParts;
    impl<'de> Visitor<'de> for TextOrParts {
        type Value = Option<Text<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string, null or an array of text parts")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Text::Plain(Cow::Borrowed(v))))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Text::Plain(Cow::Owned(v.to_owned()))))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Text::Plain(Cow::Owned(v))))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(TextOrParts)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let (mut text, mut thinking) = (String::new(), String::new());
            while let Some(part) = seq.next_element::<Value>()? {
                if let Some(t) = part_text(&part) {
                    text.push_str(t);
                } else if part.get("type").and_then(Value::as_str) == Some("thinking") {
                    match part.get("thinking") {
                        Some(Value::String(t)) => thinking.push_str(t),
                        Some(Value::Array(inner)) => {
                            inner
                                .iter()
                                .filter_map(part_text)
                                .for_each(|t| thinking.push_str(t));
                        }
                        _ => {}
                    }
                }
            }
            Ok(Some(Text::Parts { text, thinking }))
        }
    }
    d.deserialize_any(TextOrParts)
}

/// A string, null, or an array of parts whose text parts are joined.
fn text_or_parts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    Ok(text_or_typed_parts(d)?.map(Text::into_text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn data(s: &str) -> Event {
        Event {
            event: "message".into(),
            data: s.into(),
            id: String::new(),
        }
    }

    fn run(datas: &[&str]) -> (StreamAccumulator, Vec<Update>) {
        let mut acc = StreamAccumulator::new();
        let mut all = Vec::new();
        for d in datas {
            all.extend(acc.push(&data(d)));
        }
        (acc, all)
    }

    fn content(s: &str) -> String {
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": s}}]}).to_string()
    }

    #[test]
    fn content_is_the_concatenation_of_string_deltas_and_updates_carry_the_slices() {
        let (mut acc, ups) = run(&[&content("Hel"), &content("lo"), "[DONE]"]);
        assert_eq!(acc.reply().content, "Hello");
        assert_eq!(
            ups,
            vec![Update::Content(0..3), Update::Content(3..5), Update::Done]
        );
        assert_eq!(acc.finish(), Outcome::Complete);
    }

    #[test]
    fn empty_choices_missing_delta_null_keys_and_unknown_keys_are_tolerated() {
        let (mut acc, _) = run(&[
            r#"{"choices":[],"prompt_filter_results":[{"prompt_index":0}]}"#,
            r#"{"id":"","object":"","choices":[{"index":0}]}"#,
            r#"{"choices":[{"index":0,"delta":{"role":null,"content":null,"tool_calls":null,"reasoning_content":null,"refusal":null},"finish_reason":null,"logprobs":null,"brand_new":1}]}"#,
            r#"{"choices":[{"delta":{"content":"x"}}]}"#,
            r#"{}"#,
        ]);
        assert_eq!(acc.reply().content, "x");
        assert_eq!(acc.finish(), Outcome::Interrupted);
    }

    #[test]
    fn reasoning_comes_from_reasoning_content_or_reasoning() {
        let (acc, ups) = run(&[
            r#"{"choices":[{"delta":{"reasoning_content":"a"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning":"b"}}]}"#,
        ]);
        assert_eq!(acc.reply().reasoning, "ab");
        assert_eq!(ups, vec![Update::Reasoning(0..1), Update::Reasoning(1..2)]);
    }

    #[test]
    fn a_leading_think_block_split_across_deltas_is_reasoning_and_the_rest_stays_as_sent() {
        let (mut acc, ups) = run(&[
            &content("\n<th"),
            &content("ink>plan"),
            &content("ning</thi"),
            &content("nk>\n\n"),
            &content("Answer <think> stays"),
        ]);
        assert_eq!(acc.reply().reasoning, "planning");
        assert_eq!(acc.reply().content, "\n\n\nAnswer <think> stays");
        assert_eq!(
            streamed(&ups, acc.reply()),
            (
                "\n\n\nAnswer <think> stays".to_owned(),
                "planning".to_owned()
            )
        );
        assert_eq!(acc.finish(), Outcome::Interrupted);
    }

    /// The content and reasoning the updates tell, read from `reply`.
    fn streamed(ups: &[Update], reply: &Reply) -> (String, String) {
        let mut shown = (String::new(), String::new());
        for u in ups {
            match u {
                Update::Content(r) => shown.0.push_str(&reply.content[r.clone()]),
                Update::Reasoning(r) => shown.1.push_str(&reply.reasoning[r.clone()]),
                _ => {}
            }
        }
        shown
    }

    /// What a reply's text becomes: a leading `<think>` block (after whitespace) is the
    /// reasoning; the content is the text without the block — every other byte as sent.
    fn split_think(text: &str) -> (String, String) {
        let trimmed = text.trim_start();
        let lead = &text[..text.len() - trimmed.len()];
        match trimmed.strip_prefix(OPEN) {
            None => (text.to_owned(), String::new()),
            Some(inner) => match inner.split_once(CLOSE) {
                Some((reasoning, rest)) => (format!("{lead}{rest}"), reasoning.to_owned()),
                None => (lead.to_owned(), inner.to_owned()),
            },
        }
    }

    proptest::proptest! {
        #[test]
        fn content_is_the_text_without_its_leading_think_block_however_the_deltas_split_it(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<think>", "</think>", "<", "</", "<th", "ink>", "</thi", "nk>", "\n", "\n\n",
                    " ", "\t", "a", "Answer", "é🐉", "<b>", ">",
                ]),
                0..14,
            ),
            cuts in proptest::collection::vec(0..64usize, 0..8),
        ) {
            let text: String = pieces.concat();
            let mut bounds: Vec<usize> = cuts
                .iter()
                .map(|c| c % (text.len() + 1))
                .filter(|&c| text.is_char_boundary(c))
                .collect();
            bounds.extend([0, text.len()]);
            bounds.sort_unstable();
            bounds.dedup();
            let deltas: Vec<String> = bounds
                .windows(2)
                .map(|w| content(&text[w[0]..w[1]]))
                .collect();
            let mut acc = StreamAccumulator::new();
            let mut ups = Vec::new();
            for d in &deltas {
                ups.extend(acc.push(&data(d)));
            }
            ups.extend(acc.flush());
            let (content, reasoning) = split_think(&text);
            proptest::prop_assert_eq!(&acc.reply().content, &content, "{:?}", deltas);
            proptest::prop_assert_eq!(&acc.reply().reasoning, &reasoning, "{:?}", deltas);
            let shown = streamed(&ups, acc.reply());
            proptest::prop_assert_eq!(shown, (content, reasoning));
        }
    }

    #[test]
    fn text_inside_an_unclosed_leading_think_counts_as_reasoning() {
        let (mut acc, ups) = run(&[&content("<think>still thinking </th")]);
        assert_eq!(ups, vec![Update::Reasoning(0..15)]);
        assert_eq!(acc.reply().reasoning, "still thinking ");
        assert_eq!(acc.flush(), vec![Update::Reasoning(15..19)]);
        acc.finish();
        assert_eq!(acc.reply().reasoning, "still thinking </th");
        assert_eq!(acc.reply().content, "");
    }

    #[test]
    fn content_that_only_looks_like_the_start_of_think_is_released_as_content() {
        let (mut acc, ups) = run(&[&content("<"), &content("b>bold")]);
        assert_eq!(ups, vec![Update::Content(0..7)]);
        assert_eq!(acc.reply().content, "<b>bold");
        let (mut held, _) = run(&[&content("<thi")]);
        assert_eq!(held.reply().content, "");
        assert_eq!(held.flush(), vec![Update::Content(0..4)]);
        assert_eq!(held.reply().content, "<thi");
        assert_eq!(acc.finish(), Outcome::Interrupted);
    }

    #[test]
    fn tool_calls_accumulate_by_index_with_first_non_empty_id_and_name() {
        let (acc, ups) = run(&[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"call_b","function":{"name":"get_time","arguments":"{\"tz\""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"","function":{"name":"","arguments":"{\"city\": "}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":":\"UTC\"}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#,
        ]);
        let calls = &acc.reply().tool_calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0],
            ToolCall::function("call_a", "get_weather", "{\"city\": \"Paris\"}")
        );
        assert_eq!(
            calls[1],
            ToolCall::function("call_b", "get_time", "{\"tz\":\"UTC\"}")
        );
        assert_eq!(
            ups[0],
            Update::ToolCall {
                position: 0,
                id: "call_a".into(),
                name: "get_weather".into()
            }
        );
        assert_eq!(
            ups.last(),
            Some(&Update::FinishReason(FinishReason::ToolCalls))
        );
    }

    #[test]
    fn tool_call_arguments_are_the_raw_concatenation_never_reserialized() {
        let (acc, _) = run(&[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{ \"a\" :"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":" 1.50 }"}}]}}]}"#,
        ]);
        assert_eq!(
            acc.reply().tool_calls[0].function.arguments,
            "{ \"a\" : 1.50 }"
        );
    }

    #[test]
    fn index_less_deltas_continue_the_last_call_unless_they_bring_a_new_id() {
        let (acc, _) = run(&[
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"b","function":{"name":"g","arguments":"[]"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"b","function":{"arguments":"!"}}]}}]}"#,
        ]);
        let calls = &acc.reply().tool_calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0], ToolCall::function("a", "f", "{}"));
        assert_eq!(calls[1], ToolCall::function("b", "g", "[]!"));
    }

    #[test]
    fn a_repeated_index_with_a_different_id_starts_a_new_call() {
        let (acc, _) = run(&[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]}}]}"#,
        ]);
        let calls = &acc.reply().tool_calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0], ToolCall::function("a", "f", "{}"));
        assert_eq!(calls[1], ToolCall::function("b", "g", "{}"));
    }

    #[test]
    fn finish_reason_is_the_last_non_null_and_usage_the_last_non_null_anywhere() {
        let (mut acc, _) = run(&[
            r#"{"choices":[{"delta":{"content":"a"},"finish_reason":null}],"usage":{"total_tokens":1}}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"length"}],"usage":null}"#,
            r#"{"choices":[{"delta":{},"finish_reason":null,"content_filter_results":{}}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#,
        ]);
        assert_eq!(acc.reply().finish_reason, Some(FinishReason::Length));
        assert_eq!(acc.reply().usage.as_ref().unwrap()["total_tokens"], 7);
        assert_eq!(acc.finish(), Outcome::Complete);
    }

    #[test]
    fn refusal_text_is_accumulated() {
        let (acc, ups) = run(&[
            r#"{"choices":[{"delta":{"refusal":"I can't"}}]}"#,
            r#"{"choices":[{"delta":{"refusal":" help."}}]}"#,
        ]);
        assert_eq!(acc.reply().refusal.as_deref(), Some("I can't help."));
        assert_eq!(ups[1], Update::Refusal(" help.".into()));
    }

    #[test]
    fn choices_of_n_greater_than_one_are_kept_apart_and_only_choice_zero_updates() {
        let (acc, ups) = run(&[
            r#"{"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"b"},"finish_reason":"stop"}]}"#,
        ]);
        assert_eq!(acc.reply().content, "A");
        assert_eq!(acc.choice(1).unwrap().content, "Bb");
        assert_eq!(acc.choice_indices(), vec![0, 1]);
        assert_eq!(ups, vec![Update::Content(0..1)]);
        assert_eq!(acc.reply().finish_reason, None);
    }

    #[test]
    fn done_is_an_exact_match_and_everything_after_it_is_ignored() {
        let (acc, ups) = run(&[&content("a"), "[DONE]", &content("b")]);
        assert!(acc.is_finished());
        assert_eq!(acc.reply().content, "a");
        assert_eq!(ups.last(), Some(&Update::Done));
        let (_, ups2) = run(&["[done]"]);
        assert!(matches!(&ups2[..], [Update::Failed(e)] if e.kind == ErrorKind::InvalidResponse));
    }

    #[test]
    fn end_of_body_after_finish_reason_is_clean_and_without_it_interrupted() {
        let (mut a, _) = run(&[
            &content("a"),
            r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
        ]);
        assert_eq!(a.finish(), Outcome::Complete);
        let (mut b, _) = run(&[&content("a")]);
        assert_eq!(b.finish(), Outcome::Interrupted);
        assert_eq!(b.reply().content, "a");
    }

    #[test]
    fn an_error_object_in_a_200_stream_ends_as_stream_error_keeping_content() {
        let (mut acc, ups) = run(&[
            &content("partial"),
            r#"{"error":{"code":503,"message":"Model overloaded"}}"#,
            &content("ignored"),
        ]);
        assert_eq!(acc.reply().content, "partial");
        let Outcome::Failed(e) = acc.finish() else {
            panic!("expected failure");
        };
        assert_eq!(
            (e.kind, e.message.as_str(), e.code.as_deref()),
            (ErrorKind::StreamError, "Model overloaded", Some("503"))
        );
        assert!(matches!(ups.last(), Some(Update::Failed(_))));
    }

    #[test]
    fn an_error_event_ends_as_stream_error() {
        let mut acc = StreamAccumulator::new();
        acc.push(&data(&content("kept")));
        let ups = acc.push(&Event {
            event: "error".into(),
            data: r#"{"message":"upstream timeout"}"#.into(),
            id: String::new(),
        });
        assert!(
            matches!(&ups[0], Update::Failed(e) if e.kind == ErrorKind::StreamError && e.message == "upstream timeout")
        );
        assert!(acc.is_finished());
        assert_eq!(acc.reply().content, "kept");
    }

    #[test]
    fn unparsable_data_ends_as_invalid_response_keeping_content() {
        let (mut acc, _) = run(&[&content("kept"), "{not json", &content("x")]);
        assert_eq!(acc.reply().content, "kept");
        assert!(matches!(acc.finish(), Outcome::Failed(e) if e.kind == ErrorKind::InvalidResponse));
    }

    #[test]
    fn several_json_lines_in_one_event_are_read_one_by_one() {
        let joined = format!("{}\n{}\n[DONE]", content("a"), content("b"));
        let (acc, ups) = run(&[&joined]);
        assert_eq!(acc.reply().content, "ab");
        assert_eq!(ups.last(), Some(&Update::Done));
        let (bad, _) = run(&[&format!("{}\nnot json", content("a"))]);
        assert_eq!(bad.reply().content, "a");
        assert!(bad.is_finished());
    }

    #[test]
    fn model_and_id_are_taken_when_non_empty() {
        let (acc, ups) = run(&[
            r#"{"id":"","model":"","choices":[]}"#,
            r#"{"id":"r1","model":"gpt-x","choices":[]}"#,
            r#"{"id":"r2","model":"gpt-x","choices":[]}"#,
        ]);
        assert_eq!(acc.reply().model.as_deref(), Some("gpt-x"));
        assert_eq!(acc.reply().id.as_deref(), Some("r1"));
        assert_eq!(ups, vec![Update::Model("gpt-x".into())]);
    }

    #[test]
    fn content_given_as_an_array_of_parts_is_joined() {
        let (acc, _) = run(&[
            r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#,
        ]);
        assert_eq!(acc.reply().content, "ab");
    }

    #[test]
    fn typed_content_parts_give_thinking_to_reasoning_text_to_content_and_drop_the_rest() {
        let (mut acc, ups) = run(&[
            r#"{"choices":[{"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"hm"},{"type":"ref","text":"x"}]},{"type":"text","text":"A"}]}}]}"#,
            r#"{"choices":[{"delta":{"content":[{"type":"reference","reference_ids":[1]},{"type":"image_url","image_url":{"url":"u"}},{"type":"audio","text":{"k":1}},{"type":"text","text":5},{"type":"thinking","thinking":"!"},{"type":"thinking","thinking":{"x":1}},7,null,"s"]}}]}"#,
            r#"{"choices":[{"delta":{"content":"B"}}]}"#,
            r#"{"choices":[{"delta":{"content":[]}}]}"#,
        ]);
        assert_eq!(acc.reply().content, "AB");
        assert_eq!(acc.reply().reasoning, "hm!");
        assert_eq!(
            ups,
            vec![
                Update::Reasoning(0..2),
                Update::Content(0..1),
                Update::Reasoning(2..3),
                Update::Content(1..2),
            ]
        );
        assert_eq!(acc.finish(), Outcome::Interrupted);
    }

    #[test]
    fn a_non_streaming_completion_parses_into_the_same_reply() {
        let body = r#"{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"<think>hm</think>Hi","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"","function":{"name":"g","arguments":"[]"}}]},"finish_reason":"tool_calls"}],"usage":{"total_tokens":9}}"#;
        let r = parse_completion(body).unwrap();
        assert_eq!(r.content, "Hi");
        assert_eq!(r.reasoning, "hm");
        assert_eq!(
            r.tool_calls,
            vec![
                ToolCall::function("a", "f", "{}"),
                ToolCall::function("", "g", "[]")
            ]
        );
        assert_eq!(r.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(r.usage.unwrap()["total_tokens"], 9);
        assert_eq!(r.model.as_deref(), Some("m"));
        assert_eq!(
            parse_completion("<html>").unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
        assert_eq!(
            parse_completion(r#"{"choices":[]}"#).unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
        assert_eq!(
            parse_completion(r#"{"error":{"message":"x"}}"#)
                .unwrap_err()
                .kind,
            ErrorKind::StreamError
        );
    }
}
