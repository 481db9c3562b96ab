//! The demo script: from a parsed request (and its trigger phrases) to a deterministic reply
//! — text tokens, reasoning, tool calls, how it finishes and how the stream ends — or to a
//! vendor-style error. Pure apart from the tool-call id counter.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use super::errors::VendorError;
use super::images;
use super::request::{ChatRequest, Role, ToolChoice, ToolDef};
use super::text;
use super::tokens::tokenize;

/// A documented trigger phrase and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Trigger {
    pub phrase: &'static str,
    pub effect: &'static str,
}

/// Every trigger phrase, matched case-insensitively as whole words in the last user message.
pub const TRIGGERS: &[Trigger] = &[
    Trigger { phrase: "markdown", effect: "headings, nested and ordered lists, a table, fenced code, inline code, emphasis, a link, a blockquote" },
    Trigger { phrase: "long", effect: "a long markdown reply (about 2,000 tokens)" },
    Trigger { phrase: "long N", effect: "about N tokens of markdown, e.g. `long 20000` (at most 200000)" },
    Trigger { phrase: "parallel", effect: "with tools offered: two tool calls in one reply" },
    Trigger { phrase: "loop tools", effect: "with tools offered: keep calling the tool after tool results (round-limit tests)" },
    Trigger { phrase: "unknown tool", effect: "with tools offered: call `no_such_tool`, which was not offered" },
    Trigger { phrase: "bad json", effect: "with tools offered: the call's arguments are not valid JSON" },
    Trigger { phrase: "wrong args", effect: "with tools offered: every required argument has the wrong type" },
    Trigger { phrase: "think", effect: "content starts with <think>…</think>, then the answer" },
    Trigger { phrase: "reasoning", effect: "reasoning_content deltas before the content" },
    Trigger { phrase: "xss", effect: "script tags, javascript: links, a remote image (renderer safety tests)" },
    Trigger { phrase: "slow", effect: "about 40 tokens at 100 ms each (time to press Stop)" },
    Trigger { phrase: "drop", effect: "a few tokens, then the connection is cut (no finish_reason, no [DONE])" },
    Trigger { phrase: "stall", effect: "a few tokens, then silence for 5 minutes (timeout tests)" },
    Trigger { phrase: "stream error", effect: "a few tokens, then an SSE `error` event" },
    Trigger { phrase: "stream filter", effect: "a few tokens, then finish_reason `content_filter`" },
    Trigger { phrase: "content filter", effect: "400 `content_filter` error in the vendor's body shape" },
    Trigger { phrase: "rate limit", effect: "429 with Retry-After: 2 on the 1st, 3rd… identical request; the retry succeeds" },
    Trigger { phrase: "not found", effect: "404 DeploymentNotFound (also for model `missing-deployment`)" },
    Trigger { phrase: "server error", effect: "500 InternalServerError" },
    Trigger { phrase: "unsupported param", effect: "422 `extra fields not permitted` for `logprobs`" },
    Trigger { phrase: "forget responses", effect: "Responses API: forget every stored response first, so a `previous_response_id` is not found" },
];

/// Model name that always answers 404, like a deployment that does not exist.
pub const MISSING_DEPLOYMENT: &str = "missing-deployment";

/// Tokens streamed before a "drop", "stall", "stream error" or "stream filter" ending.
const TOKENS_BEFORE_FAILURE: usize = 6;

/// Why the reply finished (the `finish_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

impl Finish {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::ContentFilter => "content_filter",
        }
    }
}

/// How the response body ends after the scripted tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Finish chunk, optional usage chunk, `data: [DONE]`.
    Complete,
    /// The connection is cut: the body ends with an error.
    Drop,
    /// Nothing more is sent for five minutes, then the connection is cut.
    Stall,
    /// An SSE `error` event, then the body ends.
    StreamError,
}

/// One tool call, with its arguments already split into streamed fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub argument_fragments: Vec<String>,
}

impl ToolCall {
    pub fn arguments(&self) -> String {
        self.argument_fragments.concat()
    }
}

/// The scripted reply, ready to be sent streamed or whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub reasoning: Vec<String>,
    pub content: Vec<String>,
    pub tool_calls: Vec<ToolCall>,
    pub finish: Finish,
    pub ending: Ending,
    /// Stream one token per 100 ms instead of the configured delay.
    pub slow: bool,
    pub prompt_tokens: u64,
}

impl Reply {
    /// Tokens generated: reasoning, content and tool-call argument fragments.
    pub fn completion_tokens(&self) -> u64 {
        let arguments: usize = self
            .tool_calls
            .iter()
            .map(|c| c.argument_fragments.len())
            .sum();
        (self.reasoning.len() + self.content.len() + arguments) as u64
    }
}

/// What the script needs besides the request.
#[derive(Debug)]
pub struct Context<'a> {
    /// Source of unique tool-call ids.
    pub call_ids: &'a AtomicU64,
    /// How many times this exact `messages` array has been received, this one included.
    pub attempt: u64,
    /// Extra parameters accepted with `extra-parameters: pass-through`.
    pub pass_through: Vec<String>,
}

/// The script itself: the reply or error for `request`.
pub fn decide(request: &ChatRequest, ctx: &Context<'_>) -> Result<Reply, VendorError> {
    let triggers = Triggers::new(request.last_user_text());
    if request.model.as_deref() == Some(MISSING_DEPLOYMENT) || triggers.has("not found") {
        return Err(VendorError::deployment_not_found());
    }
    if triggers.has("content filter") {
        return Err(VendorError::content_filter());
    }
    if triggers.has("rate limit") && ctx.attempt % 2 == 1 {
        return Err(VendorError::rate_limited());
    }
    if triggers.has("server error") {
        return Err(VendorError::server_error());
    }
    if triggers.has("unsupported param") {
        return Err(VendorError::extra_parameter("logprobs"));
    }
    if let ToolChoice::Named(name) = &request.tool_choice {
        if !request.tools.iter().any(|t| &t.name == name) {
            return Err(VendorError::unknown_tool_choice(name));
        }
    }

    let mut reply = Reply {
        reasoning: Vec::new(),
        content: Vec::new(),
        tool_calls: Vec::new(),
        finish: Finish::Stop,
        ending: Ending::Complete,
        slow: triggers.has("slow"),
        prompt_tokens: request.prompt_tokens(),
    };
    let last_role = request.messages.last().map(|m| m.role);
    let tools_allowed = !request.tools.is_empty() && request.tool_choice != ToolChoice::None;
    let calls_tools = tools_allowed
        && match last_role {
            Some(Role::User) => true,
            Some(Role::Tool) => triggers.has("loop tools"),
            _ => false,
        };
    if calls_tools {
        reply.tool_calls = tool_calls(request, &triggers, ctx.call_ids);
        reply.finish = Finish::ToolCalls;
        return Ok(reply);
    }

    let mut content = if last_role == Some(Role::Tool) {
        tool_results_text(request)
    } else {
        reply_text(request, &triggers)
    };
    if !ctx.pass_through.is_empty() {
        content = format!(
            "Extra parameters received (pass-through): {}.\n\n{content}",
            ctx.pass_through
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if triggers.has("think") {
        content = format!("<think>{}</think>\n\n{content}", text::REASONING_TEXT);
    }
    if triggers.has("reasoning") || request.reasoning {
        reply.reasoning = tokenize(text::REASONING_TEXT);
    }
    if request.json_mode {
        content = json!({"answer": content, "demo": true}).to_string();
    }
    reply.content = tokenize(&content);

    let failure = [
        ("drop", Ending::Drop),
        ("stall", Ending::Stall),
        ("stream error", Ending::StreamError),
    ]
    .into_iter()
    .find(|(phrase, _)| triggers.has(phrase));
    if let Some((_, ending)) = failure {
        reply.ending = ending;
        reply.content.truncate(TOKENS_BEFORE_FAILURE);
    } else if triggers.has("stream filter") {
        reply.finish = Finish::ContentFilter;
        reply.content.truncate(TOKENS_BEFORE_FAILURE);
    }
    if let Some(max) = request.max_tokens.and_then(|m| usize::try_from(m).ok()) {
        if reply.reasoning.len() + reply.content.len() > max {
            reply.reasoning.truncate(max);
            reply.content.truncate(max - reply.reasoning.len());
            reply.finish = Finish::Length;
        }
    }
    Ok(reply)
}

fn reply_text(request: &ChatRequest, triggers: &Triggers) -> String {
    let images = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.images.as_slice())
        .unwrap_or_default();
    if !images.is_empty() {
        let lines: Vec<String> = images
            .iter()
            .enumerate()
            .map(|(i, url)| images::describe(i + 1, url))
            .collect();
        return lines.join("\n");
    }
    if let Some(n) = triggers.long_tokens() {
        return text::long_reply(n);
    }
    if triggers.has("markdown") {
        return text::MARKDOWN_REPLY.to_owned();
    }
    if triggers.has("xss") {
        return text::XSS_REPLY.to_owned();
    }
    if triggers.has("slow") {
        return text::SLOW_REPLY.to_owned();
    }
    if triggers.has("think") || triggers.has("reasoning") || request.reasoning {
        return text::REASONED_ANSWER.to_owned();
    }
    text::default_reply()
}

/// Quotes each result of the trailing tool messages.
fn tool_results_text(request: &ChatRequest) -> String {
    let trailing = request
        .messages
        .iter()
        .rev()
        .take_while(|m| m.role == Role::Tool)
        .collect::<Vec<_>>();
    let mut lines: Vec<String> = trailing
        .iter()
        .rev()
        .map(|m| {
            let name = m
                .tool_call_id
                .as_deref()
                .and_then(|id| request.tool_name_for(id))
                .unwrap_or("(unknown tool)");
            format!("The tool {name} returned: {}", m.text)
        })
        .collect();
    lines.push("(Scripted demo: a real model would now answer from these results.)".to_owned());
    lines.join("\n\n")
}

fn tool_calls(request: &ChatRequest, triggers: &Triggers, ids: &AtomicU64) -> Vec<ToolCall> {
    let text = request.last_user_text();
    let named = match &request.tool_choice {
        ToolChoice::Named(name) => request.tools.iter().find(|t| &t.name == name),
        _ => None,
    };
    let flight = request.tools.iter().find(|t| t.name == FLIGHT_TOOL);
    let Some(first) = named.or(flight).or(request.tools.first()) else {
        return Vec::new();
    };
    if triggers.has("unknown tool") {
        return vec![ToolCall {
            id: format!("call_{}", ids.fetch_add(1, Ordering::Relaxed)),
            name: UNKNOWN_TOOL.to_owned(),
            argument_fragments: tokenize("{}"),
        }];
    }
    let arguments = |tool: &ToolDef, second_call: bool| {
        if triggers.has("bad json") {
            r#"{"origin_city": "Miami", "#.to_owned()
        } else if triggers.has("wrong args") {
            wrong_arguments(&tool.parameters)
        } else {
            arguments_for(tool, text, second_call)
        }
    };
    let mut calls = vec![(first, arguments(first, false))];
    if triggers.has("parallel") {
        let second = if named.is_some() || first.name == FLIGHT_TOOL {
            first
        } else {
            request.tools.get(1).unwrap_or(first)
        };
        let swapped = std::ptr::eq(second, first);
        calls.push((second, arguments(second, swapped)));
    }
    calls
        .into_iter()
        .map(|(tool, arguments)| ToolCall {
            id: format!("call_{}", ids.fetch_add(1, Ordering::Relaxed)),
            name: tool.name.clone(),
            argument_fragments: tokenize(&arguments),
        })
        .collect()
}

/// The reference's example tool.
const FLIGHT_TOOL: &str = "get_flight_info";

/// The tool the `unknown tool` trigger calls: never offered.
const UNKNOWN_TOOL: &str = "no_such_tool";

/// Every required property with a value of the wrong type: a number where the schema wants
/// anything else, the string "demo" where it wants a number.
fn wrong_arguments(schema: &Value) -> String {
    let object: serde_json::Map<String, Value> = schema_arguments(schema)
        .into_iter()
        .map(|(name, value)| {
            let wrong = if value.is_number() {
                json!("demo")
            } else {
                json!(42)
            };
            (name, wrong)
        })
        .collect();
    Value::Object(object).to_string()
}

/// Arguments as the reference's example writes them: `{"a": 1, "b": "x"}`.
fn arguments_for(tool: &ToolDef, text: &str, second_call: bool) -> String {
    let pairs: Vec<(String, Value)> = if tool.name == FLIGHT_TOOL {
        let (origin, destination) = flight_route(text);
        let (origin, destination) = if second_call {
            (destination, origin)
        } else {
            (origin, destination)
        };
        vec![
            ("origin_city".to_owned(), Value::String(origin)),
            ("destination_city".to_owned(), Value::String(destination)),
        ]
    } else {
        schema_arguments(&tool.parameters)
    };
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{}: {v}", Value::String(k.clone())))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{{{body}}}")
}

/// One value per `required` property: strings "demo", numbers 1, booleans true, or the
/// first `enum` value.
fn schema_arguments(schema: &Value) -> Vec<(String, Value)> {
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    required
        .iter()
        .filter_map(Value::as_str)
        .map(|name| {
            let property = schema.pointer(&format!("/properties/{}", pointer_escape(name)));
            (name.to_owned(), sample_value(property))
        })
        .collect()
}

fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn sample_value(property: Option<&Value>) -> Value {
    let Some(property) = property else {
        return json!("demo");
    };
    if let Some(first) = property
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = match property.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    };
    match kind {
        "number" | "integer" => json!(1),
        "boolean" => json!(true),
        "array" => json!([]),
        "object" => json!({}),
        "null" => Value::Null,
        _ => json!("demo"),
    }
}

/// Cities from "… from X to Y …", else the reference's Miami → Seattle.
fn flight_route(text: &str) -> (String, String) {
    let parsed = (|| {
        let lower = text.to_ascii_lowercase();
        let from = find_word(&lower, "from ")? + "from ".len();
        let to = lower[from..].find(" to ")? + from;
        let origin = text[from..to].trim();
        let after = &text[to + " to ".len()..];
        let end = after
            .find(['.', ',', '?', '!', ';', ':', '\n'])
            .unwrap_or(after.len());
        let mut destination = &after[..end];
        if let Some(i) = destination.to_ascii_lowercase().find(" and ") {
            destination = &destination[..i];
        }
        let destination = destination.trim();
        let ok = |s: &str| !s.is_empty() && s.chars().count() <= 60;
        (ok(origin) && ok(destination)).then(|| (origin.to_owned(), destination.to_owned()))
    })();
    parsed.unwrap_or_else(|| ("Miami".to_owned(), "Seattle".to_owned()))
}

/// Byte index of `word` in `haystack` where it starts a word.
fn find_word(haystack: &str, word: &str) -> Option<usize> {
    haystack.match_indices(word).map(|(i, _)| i).find(|&i| {
        haystack[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Whether `text` contains `phrase` as whole words, the way triggers are matched.
pub fn mentions(text: &str, phrase: &str) -> bool {
    Triggers::new(text).has(phrase)
}

/// Trigger matching on the last user message: lower-case, whitespace collapsed, whole words.
#[derive(Debug)]
struct Triggers {
    text: String,
}

impl Triggers {
    fn new(text: &str) -> Self {
        Self {
            text: text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
        }
    }

    fn positions<'a>(&'a self, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.text
            .match_indices(phrase)
            .map(|(i, _)| i)
            .filter(move |&i| {
                let before = self.text[..i].chars().next_back();
                let after = self.text[i + phrase.len()..].chars().next();
                before.is_none_or(|c| !c.is_alphanumeric())
                    && after.is_none_or(|c| !c.is_alphanumeric())
            })
    }

    fn has(&self, phrase: &str) -> bool {
        self.positions(phrase).next().is_some()
    }

    /// `long N` → N tokens (commas and underscores allowed in N); `long` → the default.
    fn long_tokens(&self) -> Option<usize> {
        let mut found = false;
        for i in self.positions("long") {
            found = true;
            let rest = self.text[i + "long".len()..].trim_start();
            let digits: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '_')
                .filter(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<usize>() {
                return Some(n.clamp(1, text::MAX_LONG_TOKENS));
            }
        }
        found.then_some(text::DEFAULT_LONG_TOKENS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> ChatRequest {
        match ChatRequest::parse(&body) {
            Ok(r) => r,
            Err(e) => panic!("rejected: {e:?}"),
        }
    }

    fn user(text: &str) -> ChatRequest {
        request(json!({"messages": [{"role": "user", "content": text}]}))
    }

    fn run(req: &ChatRequest) -> Result<Reply, VendorError> {
        let ids = AtomicU64::new(1);
        decide(
            req,
            &Context {
                call_ids: &ids,
                attempt: 2,
                pass_through: Vec::new(),
            },
        )
    }

    fn flight_tool() -> Value {
        json!({"type": "function", "function": {"name": "get_flight_info", "parameters": {
            "type": "object",
            "properties": {"origin_city": {"type": "string"}, "destination_city": {"type": "string"}},
            "required": ["origin_city", "destination_city"]}}})
    }

    #[test]
    fn triggers_match_whole_words_case_insensitively() {
        let t = Triggers::new("Please show MARKDOWN,\n now  Stream\tError");
        assert!(t.has("markdown"));
        assert!(t.has("stream error"));
        assert!(!Triggers::new("belong along").has("long"));
        assert!(!Triggers::new("thinking").has("think"));
    }

    #[test]
    fn long_n_reads_the_size_and_plain_long_uses_the_default() {
        assert_eq!(
            Triggers::new("long 20,000 please").long_tokens(),
            Some(20_000)
        );
        assert_eq!(Triggers::new("a long one").long_tokens(), Some(2_000));
        assert_eq!(Triggers::new("long 999999999").long_tokens(), Some(200_000));
        assert_eq!(Triggers::new("short").long_tokens(), None);
    }

    #[test]
    fn flight_example_calls_the_tool_exactly_like_the_reference() {
        let req = request(json!({
            "messages": [{"role": "user", "content": "When is the next flight from Miami to Seattle?"}],
            "tool_choice": "auto",
            "tools": [flight_tool()]
        }));
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        assert_eq!(reply.finish, Finish::ToolCalls);
        assert_eq!(reply.tool_calls.len(), 1);
        assert_eq!(reply.tool_calls[0].name, "get_flight_info");
        assert_eq!(
            reply.tool_calls[0].arguments(),
            r#"{"origin_city": "Miami", "destination_city": "Seattle"}"#
        );
    }

    #[test]
    fn flight_cities_are_parsed_from_the_text() {
        assert_eq!(
            flight_route("Any flights from New York to Los Angeles and back?"),
            ("New York".to_owned(), "Los Angeles".to_owned())
        );
        assert_eq!(
            flight_route("fly me somewhere"),
            ("Miami".to_owned(), "Seattle".to_owned())
        );
    }

    #[test]
    fn other_tools_get_arguments_from_their_required_schema() {
        let req = request(json!({
            "messages": [{"role": "user", "content": "go"}],
            "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {
                "type": "object",
                "properties": {"q": {"type": "string"}, "n": {"type": "integer"},
                               "exact": {"type": "boolean"}, "unit": {"enum": ["c", "f"]},
                               "opt": {"type": "string"}},
                "required": ["q", "n", "exact", "unit"]}}}]
        }));
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        assert_eq!(
            reply.tool_calls[0].arguments(),
            r#"{"q": "demo", "n": 1, "exact": true, "unit": "c"}"#
        );
    }

    #[test]
    fn parallel_makes_two_calls_with_distinct_ids() {
        let req = request(json!({
            "messages": [{"role": "user", "content": "parallel flights from Oslo to Rome"}],
            "tools": [flight_tool()]
        }));
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        assert_eq!(reply.tool_calls.len(), 2);
        assert_ne!(reply.tool_calls[0].id, reply.tool_calls[1].id);
        assert!(reply.tool_calls[1]
            .arguments()
            .contains(r#""origin_city": "Rome""#));
    }

    #[test]
    fn tool_choice_none_gives_text_and_a_named_function_is_called() {
        let mut body = json!({
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [flight_tool(), {"type": "function", "function": {"name": "other"}}],
            "tool_choice": "none"
        });
        let Ok(reply) = run(&request(body.clone())) else {
            panic!("error reply")
        };
        assert!(reply.tool_calls.is_empty());
        assert_eq!(reply.finish, Finish::Stop);
        body["tool_choice"] = json!({"type": "function", "function": {"name": "other"}});
        let Ok(reply) = run(&request(body)) else {
            panic!("error reply")
        };
        assert_eq!(reply.tool_calls[0].name, "other");
        assert_eq!(reply.tool_calls[0].arguments(), "{}");
    }

    #[test]
    fn tool_results_are_quoted_and_loop_tools_calls_again() {
        let messages = json!([
            {"role": "user", "content": "flight from Miami to Seattle"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "call_7", "type": "function",
              "function": {"name": "get_flight_info", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_7", "content": "{\"info\": \"no flights\"}"}
        ]);
        let req = request(json!({"messages": messages, "tools": [flight_tool()]}));
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        assert_eq!(reply.finish, Finish::Stop);
        assert!(reply
            .content
            .concat()
            .contains("The tool get_flight_info returned: {\"info\": \"no flights\"}"));

        let mut looping = messages;
        looping[0]["content"] = json!("loop tools please");
        let req = request(json!({"messages": looping, "tools": [flight_tool()]}));
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        assert_eq!(reply.finish, Finish::ToolCalls);
    }

    #[test]
    fn faulty_call_triggers_name_an_unknown_tool_break_the_json_or_the_types() {
        let call = |text: &str| {
            let req = request(json!({
                "messages": [{"role": "user", "content": text}],
                "tools": [flight_tool()]
            }));
            let Ok(reply) = run(&req) else {
                panic!("error reply")
            };
            assert_eq!(reply.finish, Finish::ToolCalls);
            assert_eq!(reply.tool_calls.len(), 1);
            (
                reply.tool_calls[0].name.clone(),
                reply.tool_calls[0].arguments(),
            )
        };
        assert_eq!(
            call("unknown tool"),
            ("no_such_tool".to_owned(), "{}".to_owned())
        );
        let (name, arguments) = call("bad json");
        assert_eq!(name, "get_flight_info");
        assert!(serde_json::from_str::<Value>(&arguments).is_err());
        let (_, arguments) = call("wrong args");
        assert_eq!(
            serde_json::from_str::<Value>(&arguments).ok(),
            Some(json!({"origin_city": 42, "destination_city": 42}))
        );
    }

    #[test]
    fn max_tokens_cuts_to_exactly_that_many_with_length() {
        let mut req = user("markdown");
        req.max_tokens = Some(7);
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        assert_eq!(reply.content.len(), 7);
        assert_eq!(reply.completion_tokens(), 7);
        assert_eq!(reply.finish, Finish::Length);
    }

    #[test]
    fn json_mode_content_is_valid_json() {
        let mut req = user("markdown");
        req.json_mode = true;
        let Ok(reply) = run(&req) else {
            panic!("error reply")
        };
        let parsed: Result<Value, _> = serde_json::from_str(&reply.content.concat());
        assert_eq!(
            parsed.ok().and_then(|v| v.get("demo").cloned()),
            Some(json!(true))
        );
    }

    #[test]
    fn error_triggers_give_their_statuses() {
        let status = |text: &str| run(&user(text)).err().map(|e| e.status.as_u16());
        assert_eq!(status("content filter"), Some(400));
        assert_eq!(status("not found"), Some(404));
        assert_eq!(status("server error"), Some(500));
        assert_eq!(status("unsupported param"), Some(422));
        let mut missing = user("hi");
        missing.model = Some(MISSING_DEPLOYMENT.to_owned());
        assert_eq!(run(&missing).err().map(|e| e.status.as_u16()), Some(404));
    }

    #[test]
    fn rate_limit_fires_on_odd_attempts_only() {
        let ids = AtomicU64::new(1);
        let req = user("rate limit");
        let at = |attempt| {
            let ctx = Context {
                call_ids: &ids,
                attempt,
                pass_through: Vec::new(),
            };
            decide(&req, &ctx).err().map(|e| e.status.as_u16())
        };
        assert_eq!(at(1), Some(429));
        assert_eq!(at(2), None);
        assert_eq!(at(3), Some(429));
    }

    #[test]
    fn failure_endings_stream_a_few_tokens_first() {
        for (text, ending) in [
            ("drop", Ending::Drop),
            ("stall", Ending::Stall),
            ("stream error", Ending::StreamError),
        ] {
            let Ok(reply) = run(&user(text)) else {
                panic!("error reply")
            };
            assert_eq!(reply.ending, ending);
            assert_eq!(reply.content.len(), TOKENS_BEFORE_FAILURE);
        }
        let Ok(reply) = run(&user("stream filter")) else {
            panic!("error reply")
        };
        assert_eq!(reply.finish, Finish::ContentFilter);
    }

    #[test]
    fn think_wraps_reasoning_in_tags_and_reasoning_uses_its_own_field() {
        let Ok(reply) = run(&user("think")) else {
            panic!("error reply")
        };
        assert!(reply.content.concat().starts_with("<think>"));
        assert!(reply.reasoning.is_empty());
        let Ok(reply) = run(&user("reasoning")) else {
            panic!("error reply")
        };
        assert!(!reply.reasoning.is_empty());
        assert!(!reply.content.concat().contains("<think>"));
    }

    #[test]
    fn demo_md_documents_every_trigger_phrase() {
        let doc = include_str!("../../DEMO.md");
        for trigger in TRIGGERS {
            assert!(
                doc.contains(&format!("`{}`", trigger.phrase)),
                "{}",
                trigger.phrase
            );
        }
    }
}
