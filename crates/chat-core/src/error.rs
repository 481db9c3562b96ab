//! Error kinds and the classification of failed responses.
//!
//! Every failure becomes one [`ChatError`]: the server's own message, our plain-language
//! hint, whether and when a retry makes sense. [`classify_http`] reads any non-2xx
//! response, whatever shape its body has.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::named::Named;

/// What went wrong, as the user and the host page see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    ContentFilter,
    Auth,
    NotFound,
    RateLimit,
    QuotaExceeded,
    UnsupportedParameter,
    ContextLengthExceeded,
    BadRequest,
    ServerError,
    Network,
    StreamError,
    InvalidResponse,
    InvalidInput,
    Aborted,
}

/// What the user and the host page read about one kind: its name on the wire
/// (`"rate_limit"`, …), the title the UI shows, and our plain-language advice.
struct Text {
    name: &'static str,
    title: &'static str,
    hint: &'static str,
}

impl ErrorKind {
    /// The one table of every kind's name, title and hint.
    fn text(self) -> Text {
        match self {
            ErrorKind::ContentFilter => Text {
                name: "content_filter",
                title: "Blocked by the content filter",
                hint: "The content filter blocked this request or reply. Rephrase the message and try again.",
            },
            ErrorKind::Auth => Text {
                name: "auth",
                title: "Not authorized",
                hint: "The endpoint refused the credentials. Check the API key or token.",
            },
            ErrorKind::NotFound => Text {
                name: "not_found",
                title: "Not found",
                hint: "Nothing was found at this address. Check the endpoint URL and the model name.",
            },
            ErrorKind::RateLimit => Text {
                name: "rate_limit",
                title: "Too many requests",
                hint: "Too many requests for now. Wait a moment and try again.",
            },
            ErrorKind::QuotaExceeded => Text {
                name: "quota_exceeded",
                title: "Quota exceeded",
                hint: "The quota or billing limit of this account is used up. Check the plan or quota; retrying will not help.",
            },
            ErrorKind::UnsupportedParameter => Text {
                name: "unsupported_parameter",
                title: "Unsupported parameter",
                hint: "The model does not accept one of the parameters. Remove or change it in the settings.",
            },
            ErrorKind::ContextLengthExceeded => Text {
                name: "context_length_exceeded",
                title: "The conversation is too long for this model",
                hint: "The conversation is too long for this model. Start a new chat or remove earlier messages.",
            },
            ErrorKind::BadRequest => Text {
                name: "bad_request",
                title: "The request was refused",
                hint: "The endpoint rejected the request. Check the settings.",
            },
            ErrorKind::ServerError => Text {
                name: "server_error",
                title: "The server had a problem",
                hint: "The service had a problem. Try again in a moment.",
            },
            ErrorKind::Network => Text {
                name: "network",
                title: "Connection problem",
                hint: "The endpoint could not be reached. Check the network connection, the endpoint URL and CORS settings.",
            },
            ErrorKind::StreamError => Text {
                name: "stream_error",
                title: "The reply broke off with an error",
                hint: "The reply stopped because of an error on the server. Try again.",
            },
            ErrorKind::InvalidResponse => Text {
                name: "invalid_response",
                title: "Unexpected response",
                hint: "The endpoint sent something that is not a chat completion. Check the endpoint URL and API style.",
            },
            ErrorKind::InvalidInput => Text {
                name: "invalid_input",
                title: "Cannot send",
                hint: "Correct the highlighted setting or input.",
            },
            ErrorKind::Aborted => Text {
                name: "aborted",
                title: "Stopped",
                hint: "The request was stopped.",
            },
        }
    }

    /// The kind's name on the wire (`"rate_limit"`, …).
    pub fn as_str(self) -> &'static str {
        self.text().name
    }

    /// The heading the UI shows above an error of this kind.
    pub fn title(self) -> &'static str {
        self.text().title
    }

    /// Our plain-language advice for this kind of failure.
    pub fn hint(self) -> &'static str {
        self.text().hint
    }
}

impl Named for ErrorKind {
    const ALL: &'static [ErrorKind] = &[
        ErrorKind::ContentFilter,
        ErrorKind::Auth,
        ErrorKind::NotFound,
        ErrorKind::RateLimit,
        ErrorKind::QuotaExceeded,
        ErrorKind::UnsupportedParameter,
        ErrorKind::ContextLengthExceeded,
        ErrorKind::BadRequest,
        ErrorKind::ServerError,
        ErrorKind::Network,
        ErrorKind::StreamError,
        ErrorKind::InvalidResponse,
        ErrorKind::InvalidInput,
        ErrorKind::Aborted,
    ];

    fn as_str(self) -> &'static str {
        self.text().name
    }
}

crate::serde_by_name!(ErrorKind);

/// One content-filter category that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterCategory {
    /// `hate`, `sexual`, `violence`, `self_harm`, `jailbreak`, …
    pub category: String,
    /// `safe`, `low`, `medium`, `high` when the server says; else null.
    #[serde(default)]
    pub severity: Option<String>,
}

/// The error object of DESIGN.md. Unknown fields serialize as null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ChatError {
    pub kind: ErrorKind,
    /// HTTP status when there was a response.
    #[serde(default)]
    pub status: Option<u16>,
    /// The server's error code (numbers are kept as their decimal text).
    #[serde(default)]
    pub code: Option<String>,
    /// The server's own words, or ours when it said nothing.
    pub message: String,
    /// What the user can do about it.
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(default)]
    pub retryable: bool,
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// The unsupported or invalid parameter, when known.
    #[serde(default)]
    pub param: Option<String>,
    /// The content-filter categories that fired.
    #[serde(default)]
    pub categories: Option<Vec<FilterCategory>>,
}

impl ChatError {
    /// An error of `kind` with its default hint and retryability.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ChatError {
            kind,
            status: None,
            code: None,
            message: message.into(),
            hint: Some(kind.hint().to_owned()),
            retryable: matches!(
                kind,
                ErrorKind::RateLimit
                    | ErrorKind::ServerError
                    | ErrorKind::Network
                    | ErrorKind::StreamError
            ),
            retry_after_ms: None,
            param: None,
            categories: None,
        }
    }

    /// The request never got a response (DNS, TLS, CORS, connection reset, …).
    pub fn network(detail: impl AsRef<str>) -> Self {
        let detail = detail.as_ref();
        let message = if detail.is_empty() {
            "The endpoint could not be reached.".to_owned()
        } else {
            format!("The endpoint could not be reached: {detail}")
        };
        ChatError::new(ErrorKind::Network, message)
    }

    /// The user stopped the request.
    pub fn aborted() -> Self {
        ChatError::new(ErrorKind::Aborted, "Stopped.")
    }

    /// A setting or input is invalid; caught before sending. `param` names the field.
    pub fn invalid_input(param: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = ChatError::new(ErrorKind::InvalidInput, message);
        e.param = Some(param.into());
        e
    }

    /// The server reported an error inside a streamed reply.
    pub fn stream_error(message: impl Into<String>) -> Self {
        ChatError::new(ErrorKind::StreamError, message)
    }

    /// The server sent something that is not a chat completion.
    pub fn invalid_response(detail: impl AsRef<str>) -> Self {
        ChatError::new(
            ErrorKind::InvalidResponse,
            format!(
                "The endpoint sent an unexpected response: {}",
                detail.as_ref()
            ),
        )
    }

    /// A `stream_error` from an error object the server sent inside a 200 response
    /// (`{"error":{…}}`, a bare message, or an `event: error` payload).
    pub fn from_stream_payload(payload: &str) -> Self {
        let parsed = parse_body(payload);
        let message = parsed
            .message
            .clone()
            .unwrap_or_else(|| "The server reported an error during the reply.".to_owned());
        let mut e = ChatError::stream_error(message);
        e.code = parsed.code;
        e.param = parsed.param;
        e.categories = parsed.categories;
        e
    }
}

/// What a server's error body said, whatever its shape.
#[derive(Debug, Default, Clone, PartialEq)]
struct BodyError {
    message: Option<String>,
    code: Option<String>,
    /// `type` field (OpenAI) — used for classification only.
    kind_hint: Option<String>,
    inner_code: Option<String>,
    param: Option<String>,
    categories: Option<Vec<FilterCategory>>,
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_body(body: &str) -> BodyError {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return BodyError::default();
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => from_json(&v),
        Err(_) if looks_like_html(trimmed) => BodyError {
            message: html_title(trimmed).map(|t| format!("The server returned an HTML page: {t}")),
            ..BodyError::default()
        },
        Err(_) => BodyError {
            message: Some(truncate(trimmed, 500)),
            ..BodyError::default()
        },
    }
}

fn from_json(v: &Value) -> BodyError {
    match v {
        Value::Array(items) => items.first().map(from_json).unwrap_or_default(),
        Value::String(s) => BodyError {
            message: Some(s.clone()).filter(|s| !s.is_empty()),
            ..BodyError::default()
        },
        Value::Object(map) => {
            if let Some(inner) = map.get("error").filter(|e| e.is_object() || e.is_string()) {
                let mut e = from_json(inner);
                if e.message.is_none() {
                    e.message = map.get("message").and_then(value_text);
                }
                return e;
            }
            if let Some(detail) = map.get("detail") {
                return from_detail(detail);
            }
            let mut e = BodyError {
                message: map.get("message").and_then(value_text),
                code: map.get("code").and_then(value_text),
                kind_hint: map.get("type").and_then(value_text),
                param: map.get("param").and_then(value_text),
                ..BodyError::default()
            };
            if e.message.is_none() {
                e.message = map.get("error_description").and_then(value_text);
            }
            if let Some(inner) = map.get("innererror").or_else(|| map.get("inner_error")) {
                e.inner_code = inner.get("code").and_then(value_text);
                e.categories = filter_categories(inner.get("content_filter_result"));
            }
            if e.categories.is_none() {
                e.categories = filter_categories(map.get("content_filter_result"));
            }
            if e.param.is_none() {
                // Azure AI Model Inference: `details: [{loc: ["body", "x"], msg, type}]`.
                e.param = map
                    .get("details")
                    .and_then(|d| d.get(0))
                    .and_then(loc_param);
            }
            e
        }
        _ => BodyError::default(),
    }
}

/// The field a validation error's `loc` (`["body", "x"]`) names.
fn loc_param(item: &Value) -> Option<String> {
    let loc = item.get("loc")?.as_array()?;
    let name = loc.iter().rev().find_map(Value::as_str)?;
    (name != "body").then(|| name.to_owned())
}

/// FastAPI style: `{"detail": "text"}` or `{"detail": [{"loc": [...], "msg": "..."}]}`.
fn from_detail(detail: &Value) -> BodyError {
    match detail {
        Value::Array(items) => {
            let first = items.first();
            let param = first.and_then(loc_param);
            let messages: Vec<String> = items
                .iter()
                .filter_map(|i| i.get("msg").and_then(value_text))
                .collect();
            BodyError {
                message: (!messages.is_empty()).then(|| messages.join("; ")),
                code: first.and_then(|i| i.get("type")).and_then(value_text),
                param,
                ..BodyError::default()
            }
        }
        Value::Object(_) => from_json(detail),
        other => BodyError {
            message: value_text(other),
            ..BodyError::default()
        },
    }
}

fn filter_categories(result: Option<&Value>) -> Option<Vec<FilterCategory>> {
    let map = result?.as_object()?;
    let fired: Vec<FilterCategory> = map
        .iter()
        .filter(|(_, v)| v.get("filtered").and_then(Value::as_bool) == Some(true))
        .map(|(k, v)| FilterCategory {
            category: k.clone(),
            severity: v.get("severity").and_then(value_text),
        })
        .collect();
    (!fired.is_empty()).then_some(fired)
}

fn looks_like_html(s: &str) -> bool {
    let head: String = s.chars().take(100).collect::<String>().to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<head")
        || head.contains("<body")
}

fn html_title(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = s.get(open_end..close)?.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle)
}

fn is_context_length(e: &BodyError) -> bool {
    let code_says = [&e.code, &e.inner_code, &e.kind_hint]
        .into_iter()
        .flatten()
        .any(|c| {
            c == "context_length_exceeded"
                || c == "string_above_max_length"
                || c == "exceed_context_size_error"
        });
    code_says
        || e.message.as_deref().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            [
                "maximum context length",
                "context length exceeded",
                "context_length_exceeded",
                "context window",
                "context size",
                "exceeds the context",
                "exceed context",
                "prompt is too long",
                "input is too long",
                "too many tokens",
                "reduce the length of the messages",
            ]
            .iter()
            .any(|p| m.contains(p))
        })
}

fn is_content_filter(e: &BodyError) -> bool {
    e.categories.is_some()
        || [&e.code, &e.inner_code, &e.kind_hint]
            .into_iter()
            .flatten()
            .any(|c| {
                let c = c.to_ascii_lowercase();
                c == "content_filter"
                    || c == "content_policy_violation"
                    || c == "responsibleaipolicyviolation"
            })
}

fn is_quota(e: &BodyError) -> bool {
    [&e.code, &e.inner_code, &e.kind_hint]
        .into_iter()
        .flatten()
        .any(|c| {
            let c = c.to_ascii_lowercase();
            c == "insufficient_quota" || c == "quotaexceeded" || c == "quota_exceeded"
        })
        || e.message.as_deref().is_some_and(|m| {
            contains_ci(m, "exceeded your current quota")
                || contains_ci(m, "out of call volume quota")
        })
}

fn is_unsupported_param(e: &BodyError) -> bool {
    [&e.code, &e.inner_code, &e.kind_hint]
        .into_iter()
        .flatten()
        .any(|c| {
            let c = c.to_ascii_lowercase();
            c == "unsupported_parameter"
                || c == "unknown_parameter"
                || c == "unsupported_value"
                || c == "extra_forbidden"
        })
        || e.message
            .as_deref()
            .is_some_and(|m| contains_ci(m, UNRECOGNIZED))
}

/// Azure OpenAI's words for body keys it does not know: "Unrecognized request argument
/// supplied: x" (or "arguments supplied: x, y").
const UNRECOGNIZED: &str = "unrecognized request argument";

/// Splits a message into the names in it (ASCII letters, digits and `_`).
fn not_name_char(c: char) -> bool {
    !(c.is_ascii_alphanumeric() || c == '_')
}

/// The parameters the server's message names: every name after "supplied:" of
/// [`UNRECOGNIZED`], else the first after "parameter:" (OpenAI's "Unknown parameter: 'x'.",
/// "Unsupported parameter: 'x' is not supported…"). Empty when it names none.
fn params_in_message(message: &str) -> Vec<String> {
    // ASCII lower-casing keeps every byte offset.
    let lower = message.to_ascii_lowercase();
    let (marker, count) = if lower.contains(UNRECOGNIZED) {
        ("supplied:", usize::MAX)
    } else {
        ("parameter:", 1)
    };
    let Some(at) = lower.find(marker) else {
        return Vec::new();
    };
    message[at + marker.len()..]
        .split(not_name_char)
        .filter(|name| !name.is_empty())
        .take(count)
        .map(str::to_owned)
        .collect()
}

/// How to stop sending `param` (a body key, maybe with a path: `stream_options.x`): the
/// setting that sent it, else the key of the extra parameters.
fn remove_param_hint(param: &str) -> String {
    let key = param.split(not_name_char).next().unwrap_or_default();
    let action = match key {
        "temperature" => "clear the Temperature field",
        "top_p" => "clear the Top P field",
        "max_tokens" | "max_output_tokens" => "clear the Max tokens field",
        "seed" => "clear the Seed field",
        "presence_penalty" => "clear the Presence penalty field",
        "frequency_penalty" => "clear the Frequency penalty field",
        "stop" => "clear the Stop sequences field",
        // `text.format` is the Responses API's `response_format`.
        "response_format" | "text" => "turn off JSON mode",
        "reasoning" => "clear the Reasoning effort and summary",
        "instructions" => "clear the System prompt",
        "stream" | "stream_options" => "turn off Stream replies",
        "tool_choice" => "set Tool choice to \"Not sent\"",
        "tools" => "turn off the built-in tools",
        // Not optional: nothing to remove.
        "messages" | "model" | "input" => return ErrorKind::UnsupportedParameter.hint().to_owned(),
        _ => {
            return format!(
                "The model does not accept \"{param}\", sent as an extra parameter: remove the \
                 \"{key}\" key from Extra parameters in the settings (or from the element's \
                 extraParams)."
            )
        }
    };
    format!(
        "The model does not accept \"{param}\": {action} in the settings (or, where the page \
         sets it on the element, there)."
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Milliseconds to wait, from `retry-after-ms`, else `retry-after` as seconds or as an
/// HTTP date (then relative to `now_ms`, milliseconds since the Unix epoch).
pub fn retry_after_ms(headers: &[(String, String)], now_ms: Option<u64>) -> Option<u64> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(parse_non_negative) {
        return Some(ms.ceil() as u64);
    }
    let value = header(headers, "retry-after")?;
    if let Some(secs) = parse_non_negative(value) {
        return Some((secs * 1000.0).ceil() as u64);
    }
    let at = parse_http_date(value)?;
    let now = now_ms?;
    Some(at.saturating_sub(now))
}

fn parse_non_negative(s: &str) -> Option<f64> {
    let v = crate::number::parse(s)?;
    (0.0..1e15).contains(&v).then_some(v)
}

/// An HTTP date (IMF-fixdate, RFC 850 or asctime) as milliseconds since the Unix epoch.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split([' ', ',']).filter(|p| !p.is_empty()).collect();
    let (day, month, year, time) = match parts.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_, d, m, y, t, "GMT"] => (d.parse().ok()?, *m, y.parse().ok()?, *t),
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let d = it.next()?.parse().ok()?;
            let m = it.next()?;
            let y: i64 = it.next()?.parse().ok()?;
            (d, m, if y < 70 { 2000 + y } else { 1900 + y }, *t)
        }
        // Sun Nov  6 08:49:37 1994
        [_, m, d, t, y] => (d.parse().ok()?, *m, y.parse().ok()?, *t),
        _ => return None,
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|&n| n == month)? as i64
        + 1;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..=60).contains(&sec)
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// Classifies a non-2xx response. `headers` are (name, value) pairs, names in any case;
/// `now_ms` (milliseconds since the Unix epoch) resolves a `retry-after` HTTP date.
pub fn classify_http(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    now_ms: Option<u64>,
) -> ChatError {
    let parsed = parse_body(body);
    let kind = if is_content_filter(&parsed) {
        ErrorKind::ContentFilter
    } else if is_quota(&parsed) {
        ErrorKind::QuotaExceeded
    } else if is_context_length(&parsed) {
        ErrorKind::ContextLengthExceeded
    } else {
        match status {
            401 | 403 => ErrorKind::Auth,
            404 => ErrorKind::NotFound,
            422 => ErrorKind::UnsupportedParameter,
            429 => ErrorKind::RateLimit,
            _ if is_unsupported_param(&parsed) => ErrorKind::UnsupportedParameter,
            408 | 500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::BadRequest,
        }
    };
    let message = parsed
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {status} {}", status_text(status)));
    let mut e = ChatError::new(kind, message);
    e.status = Some(status);
    e.code = parsed.code.clone().or_else(|| parsed.inner_code.clone());
    let named = match (&parsed.param, kind) {
        (Some(param), _) => vec![param.clone()],
        (None, ErrorKind::UnsupportedParameter) => {
            params_in_message(parsed.message.as_deref().unwrap_or_default())
        }
        (None, _) => Vec::new(),
    };
    e.param = named.first().cloned();
    e.categories = parsed.categories.clone();
    e.retryable = match kind {
        ErrorKind::RateLimit => true,
        ErrorKind::ServerError => status != 501,
        _ => false,
    };
    if e.retryable {
        e.retry_after_ms = retry_after_ms(headers, now_ms);
    }
    let any_code = |needle: &str| {
        [&parsed.code, &parsed.inner_code]
            .into_iter()
            .flatten()
            .any(|c| c.eq_ignore_ascii_case(needle))
    };
    let hint = match (kind, status) {
        (ErrorKind::Auth, 403) => {
            "The credentials were accepted but lack permission. Check the role assignment \
             (e.g. Cognitive Services User) or the network rules of the resource."
        }
        (ErrorKind::Auth, _) => "The key or token was rejected. Check the API key, or sign in again for a new token.",
        (ErrorKind::NotFound, _) if any_code("DeploymentNotFound") => {
            "No deployment with this name exists. Check the deployment or model name; a new deployment can take a few minutes to appear."
        }
        _ => kind.hint(),
    };
    e.hint = Some(match kind {
        ErrorKind::UnsupportedParameter if !named.is_empty() => named
            .iter()
            .map(|p| remove_param_hint(p))
            .collect::<Vec<_>>()
            .join(" "),
        _ => hint.to_owned(),
    });
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn kinds_serialize_to_the_design_names() {
        let all = [
            (ErrorKind::ContentFilter, "content_filter"),
            (ErrorKind::Auth, "auth"),
            (ErrorKind::NotFound, "not_found"),
            (ErrorKind::RateLimit, "rate_limit"),
            (ErrorKind::QuotaExceeded, "quota_exceeded"),
            (ErrorKind::UnsupportedParameter, "unsupported_parameter"),
            (ErrorKind::ContextLengthExceeded, "context_length_exceeded"),
            (ErrorKind::BadRequest, "bad_request"),
            (ErrorKind::ServerError, "server_error"),
            (ErrorKind::Network, "network"),
            (ErrorKind::StreamError, "stream_error"),
            (ErrorKind::InvalidResponse, "invalid_response"),
            (ErrorKind::InvalidInput, "invalid_input"),
            (ErrorKind::Aborted, "aborted"),
        ];
        for (kind, name) in all {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::String(name.into())
            );
            assert_eq!(kind.as_str(), name);
            assert!(!kind.hint().is_empty());
        }
    }

    #[test]
    fn error_object_has_every_field_with_unknown_ones_null() {
        let v = serde_json::to_value(ChatError::aborted()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "kind",
            "status",
            "code",
            "message",
            "hint",
            "retryable",
            "retry_after_ms",
            "param",
            "categories",
        ] {
            assert!(keys.contains(&k), "missing {k}");
        }
        assert_eq!(v["status"], Value::Null);
        assert_eq!(v["kind"], "aborted");
        let back: ChatError = serde_json::from_value(v).unwrap();
        assert_eq!(back, ChatError::aborted());
    }

    #[test]
    fn azure_content_filter_error_keeps_the_categories_that_fired() {
        let body = r#"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"},"jailbreak":{"filtered":false,"detected":false},"self_harm":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}"#;
        let e = classify_http(400, &[], body, None);
        assert_eq!(e.kind, ErrorKind::ContentFilter);
        assert!(e.message.starts_with("The response was filtered"));
        assert_eq!(e.code.as_deref(), Some("content_filter"));
        assert_eq!(
            e.categories,
            Some(vec![
                FilterCategory {
                    category: "hate".into(),
                    severity: Some("high".into())
                },
                FilterCategory {
                    category: "violence".into(),
                    severity: Some("medium".into())
                },
            ])
        );
        assert!(!e.retryable);
    }

    #[test]
    fn status_401_and_403_are_auth_with_different_hints() {
        let a = classify_http(
            401,
            &[],
            r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}"#,
            None,
        );
        let b = classify_http(
            403,
            &[],
            r#"{"error":{"code":"PermissionDenied","message":"Principal does not have access."}}"#,
            None,
        );
        assert_eq!(a.kind, ErrorKind::Auth);
        assert_eq!(b.kind, ErrorKind::Auth);
        assert_ne!(a.hint, b.hint);
        assert!(a.hint.as_deref().unwrap().contains("key"));
        assert!(b.hint.as_deref().unwrap().contains("role"));
        assert_eq!(a.message, "Access denied due to invalid subscription key.");
    }

    #[test]
    fn deployment_not_found_is_not_found_with_a_deployment_hint() {
        let e = classify_http(
            404,
            &[],
            r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#,
            None,
        );
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.hint.as_deref().unwrap().contains("deployment"));
        let plain = classify_http(404, &[], "", None);
        assert_eq!(plain.kind, ErrorKind::NotFound);
        assert_eq!(plain.message, "HTTP 404 Not Found");
        assert_ne!(plain.hint, e.hint);
    }

    #[test]
    fn status_422_names_the_unsupported_parameter_from_fastapi_detail() {
        let body = r#"{"detail":[{"type":"extra_forbidden","loc":["body","frobnicate"],"msg":"Extra inputs are not permitted","input":1}]}"#;
        let e = classify_http(422, &[], body, None);
        assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(e.param.as_deref(), Some("frobnicate"));
        assert_eq!(e.message, "Extra inputs are not permitted");
    }

    #[test]
    fn openai_unsupported_parameter_on_400_names_the_param() {
        let body = r#"{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}"#;
        let e = classify_http(400, &[], body, None);
        assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(e.param.as_deref(), Some("max_tokens"));
        assert!(e.hint.unwrap().contains("Max tokens field"));
    }

    #[test]
    fn azure_openai_unrecognized_argument_names_it_and_says_where_it_came_from() {
        let body = r#"{"error":{"message":"Unrecognized request argument supplied: stream_options","type":"invalid_request_error","param":null,"code":null}}"#;
        let e = classify_http(400, &[], body, None);
        assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(e.param.as_deref(), Some("stream_options"));
        assert_eq!(
            e.message,
            "Unrecognized request argument supplied: stream_options"
        );
        assert!(!e.retryable);
        let hint = e.hint.unwrap();
        assert!(hint.contains("\"stream_options\""), "{hint}");
        assert!(hint.contains("Stream replies"), "{hint}");

        let extra = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Unrecognized request arguments supplied: top_k, min_p","type":"invalid_request_error","param":null,"code":null}}"#,
            None,
        );
        assert_eq!(extra.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(extra.param.as_deref(), Some("top_k"));
        let hint = extra.hint.unwrap();
        for name in ["\"top_k\"", "\"min_p\"", "Extra parameters", "extraParams"] {
            assert!(hint.contains(name), "{name} in {hint}");
        }
    }

    #[test]
    fn unknown_and_unsupported_parameter_codes_name_the_parameter_from_param_or_message() {
        let unknown = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Unknown parameter: 'reasoning_effort'.","type":"invalid_request_error","param":"reasoning_effort","code":"unknown_parameter"}}"#,
            None,
        );
        assert_eq!(unknown.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(unknown.param.as_deref(), Some("reasoning_effort"));
        assert!(unknown.hint.unwrap().contains("extraParams"));
        let in_message = classify_http(
            400,
            &[],
            r#"{"object":"error","message":"Unsupported parameter: 'seed' is not supported with this model.","type":"invalid_request_error","code":"unsupported_parameter"}"#,
            None,
        );
        assert_eq!(in_message.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(in_message.param.as_deref(), Some("seed"));
        let hint = in_message.hint.unwrap();
        assert!(
            hint.contains("Seed field") && hint.contains("element"),
            "{hint}"
        );
        let unnamed = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Unsupported parameter.","code":"unsupported_parameter"}}"#,
            None,
        );
        assert_eq!(unnamed.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(unnamed.param, None);
        assert_eq!(
            unnamed.hint.as_deref(),
            Some(ErrorKind::UnsupportedParameter.hint())
        );
    }

    #[test]
    fn azure_inference_extra_field_error_names_the_field_from_details() {
        let body = r#"{"error":{"code":"Invalid input","status":422,"message":"invalid input error","details":[{"loc":["body","logprobs"],"msg":"extra fields not permitted","type":"value_error.extra"}]}}"#;
        let e = classify_http(422, &[], body, None);
        assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(e.param.as_deref(), Some("logprobs"));
        assert!(e.hint.unwrap().contains("\"logprobs\" key"));
    }

    #[test]
    fn each_standard_parameter_hint_names_where_it_is_set() {
        for (param, place) in [
            ("temperature", "Temperature field"),
            ("top_p", "Top P field"),
            ("max_tokens", "Max tokens field"),
            ("presence_penalty", "Presence penalty field"),
            ("frequency_penalty", "Frequency penalty field"),
            ("stop", "Stop sequences field"),
            ("response_format", "JSON mode"),
            ("stream", "Stream replies"),
            ("stream_options.include_usage", "Stream replies"),
            ("tool_choice", "Tool choice"),
            ("tools", "built-in tools"),
            ("max_output_tokens", "Max tokens field"),
            ("text.format", "JSON mode"),
            ("text.format.schema", "JSON mode"),
            ("reasoning.summary", "Reasoning effort and summary"),
            ("instructions", "System prompt"),
            ("logit_bias", "\"logit_bias\" key"),
            ("logit_bias.50256", "\"logit_bias\" key"),
        ] {
            let hint = remove_param_hint(param);
            assert!(hint.contains(place), "{param}: {hint}");
            assert!(hint.contains(&format!("\"{param}\"")), "{param}: {hint}");
        }
        assert_eq!(
            remove_param_hint("messages[0].content"),
            ErrorKind::UnsupportedParameter.hint()
        );
        assert_eq!(
            remove_param_hint("input[2].content"),
            ErrorKind::UnsupportedParameter.hint()
        );
    }

    #[test]
    fn responses_parameter_errors_point_at_the_setting_that_sent_them() {
        let e = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Unsupported parameter: 'reasoning.effort' is not supported with this model.","type":"invalid_request_error","param":"reasoning.effort","code":"unsupported_parameter"}}"#,
            None,
        );
        assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
        assert_eq!(e.param.as_deref(), Some("reasoning.effort"));
        assert!(e.hint.unwrap().contains("Reasoning effort"));
        let e = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Invalid parameter: 'text.format' of type 'json_object' is not supported with this model.","type":"invalid_request_error","param":"text.format","code":"unsupported_value"}}"#,
            None,
        );
        assert_eq!(e.kind, ErrorKind::UnsupportedParameter);
        assert!(e.hint.unwrap().contains("JSON mode"));
    }

    #[test]
    fn fastapi_string_detail_is_the_message() {
        let e = classify_http(400, &[], r#"{"detail":"Model not loaded"}"#, None);
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.message, "Model not loaded");
    }

    #[test]
    fn insufficient_quota_is_quota_exceeded_and_not_retryable_although_429() {
        let body = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let e = classify_http(429, &h(&[("Retry-After", "20")]), body, None);
        assert_eq!(e.kind, ErrorKind::QuotaExceeded);
        assert!(!e.retryable);
        assert_eq!(e.retry_after_ms, None);
    }

    #[test]
    fn rate_limit_is_retryable_and_prefers_retry_after_ms() {
        let e = classify_http(
            429,
            &h(&[("retry-after", "7"), ("Retry-After-Ms", "6500")]),
            r#"{"error":{"code":"429","message":"Requests have exceeded call rate limit. Please go here: https://aka.ms/oai/quotaincrease"}}"#,
            None,
        );
        assert_eq!(e.kind, ErrorKind::RateLimit);
        assert!(e.retryable);
        assert_eq!(e.retry_after_ms, Some(6500));
        assert_eq!(e.code.as_deref(), Some("429"));
    }

    #[test]
    fn retry_after_seconds_and_http_date_are_converted_to_milliseconds() {
        assert_eq!(
            retry_after_ms(&h(&[("Retry-After", "2")]), None),
            Some(2000)
        );
        assert_eq!(
            retry_after_ms(&h(&[("Retry-After", "1.5")]), None),
            Some(1500)
        );
        let now = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(now, 784_111_777_000);
        assert_eq!(
            retry_after_ms(
                &h(&[("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT")]),
                Some(now)
            ),
            Some(30_000)
        );
        assert_eq!(
            retry_after_ms(
                &h(&[("Retry-After", "Sun, 06 Nov 1994 08:49:07 GMT")]),
                Some(now)
            ),
            Some(0)
        );
        assert_eq!(
            retry_after_ms(&h(&[("Retry-After", "soon")]), Some(now)),
            None
        );
    }

    #[test]
    fn the_three_http_date_formats_parse_to_the_same_instant() {
        let a = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), a);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), a);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    }

    #[test]
    fn context_length_errors_are_recognised_by_code_or_message() {
        let by_code = classify_http(
            400,
            &[],
            r#"{"error":{"message":"too long","code":"context_length_exceeded"}}"#,
            None,
        );
        assert_eq!(by_code.kind, ErrorKind::ContextLengthExceeded);
        let by_message = classify_http(
            400,
            &[],
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","code":400}}"#,
            None,
        );
        assert_eq!(by_message.kind, ErrorKind::ContextLengthExceeded);
        assert_eq!(by_message.code.as_deref(), Some("400"));
        let llama = classify_http(
            400,
            &[],
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#,
            None,
        );
        assert_eq!(llama.kind, ErrorKind::ContextLengthExceeded);
    }

    #[test]
    fn server_errors_are_retryable_and_html_gateway_pages_give_their_title() {
        let html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>";
        let e = classify_http(502, &h(&[("content-type", "text/html")]), html, None);
        assert_eq!(e.kind, ErrorKind::ServerError);
        assert!(e.retryable);
        assert!(e.message.contains("502 Bad Gateway"));
        let empty = classify_http(503, &[], "", None);
        assert_eq!(empty.message, "HTTP 503 Service Unavailable");
        assert!(empty.retryable);
    }

    #[test]
    fn flat_bodies_arrays_and_plain_text_json_are_read() {
        let flat = classify_http(
            400,
            &[],
            r#"{"code":"InvalidRequest","message":"bad thing"}"#,
            None,
        );
        assert_eq!(
            (flat.message.as_str(), flat.code.as_deref()),
            ("bad thing", Some("InvalidRequest"))
        );
        let array = classify_http(
            400,
            &[],
            r#"[{"error":{"code":400,"message":"arr msg","status":"INVALID_ARGUMENT"}}]"#,
            None,
        );
        assert_eq!(array.message, "arr msg");
        let string_error = classify_http(
            500,
            &h(&[("content-type", "text/plain")]),
            r#"{"error":"Internal error"}"#,
            None,
        );
        assert_eq!(string_error.message, "Internal error");
        let text = classify_http(400, &[], "plain words", None);
        assert_eq!(text.message, "plain words");
    }

    #[test]
    fn in_stream_error_payload_becomes_stream_error_with_numeric_code() {
        let e = ChatError::from_stream_payload(r#"{"error":{"code":500,"message":"boom"}}"#);
        assert_eq!(e.kind, ErrorKind::StreamError);
        assert_eq!(e.message, "boom");
        assert_eq!(e.code.as_deref(), Some("500"));
    }

    #[test]
    fn constructors_give_plain_language_messages() {
        assert_eq!(ChatError::network("").kind, ErrorKind::Network);
        assert!(ChatError::network("").retryable);
        let i = ChatError::invalid_input("temperature", "Temperature must be between 0 and 2.");
        assert_eq!(i.param.as_deref(), Some("temperature"));
        assert!(!i.retryable);
        assert_eq!(
            ChatError::invalid_response("not JSON").kind,
            ErrorKind::InvalidResponse
        );
        assert_eq!(ChatError::aborted().to_string(), "aborted: Stopped.");
    }

    #[test]
    fn one_table_gives_each_kind_its_wire_name_title_and_hint() {
        let expected = [
            (
                ErrorKind::ContentFilter,
                "content_filter",
                "Blocked by the content filter",
            ),
            (ErrorKind::Auth, "auth", "Not authorized"),
            (ErrorKind::NotFound, "not_found", "Not found"),
            (ErrorKind::RateLimit, "rate_limit", "Too many requests"),
            (ErrorKind::QuotaExceeded, "quota_exceeded", "Quota exceeded"),
            (
                ErrorKind::UnsupportedParameter,
                "unsupported_parameter",
                "Unsupported parameter",
            ),
            (
                ErrorKind::ContextLengthExceeded,
                "context_length_exceeded",
                "The conversation is too long for this model",
            ),
            (
                ErrorKind::BadRequest,
                "bad_request",
                "The request was refused",
            ),
            (
                ErrorKind::ServerError,
                "server_error",
                "The server had a problem",
            ),
            (ErrorKind::Network, "network", "Connection problem"),
            (
                ErrorKind::StreamError,
                "stream_error",
                "The reply broke off with an error",
            ),
            (
                ErrorKind::InvalidResponse,
                "invalid_response",
                "Unexpected response",
            ),
            (ErrorKind::InvalidInput, "invalid_input", "Cannot send"),
            (ErrorKind::Aborted, "aborted", "Stopped"),
        ];
        assert_eq!(
            <ErrorKind as Named>::ALL,
            expected.map(|(kind, _, _)| kind).as_slice()
        );
        for (kind, name, title) in expected {
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
            assert_eq!(kind.title(), title);
            assert!(kind.hint().ends_with('.'), "{name}: {}", kind.hint());
            assert_eq!(serde_json::to_value(kind).unwrap(), Value::from(name));
            assert_eq!(
                serde_json::from_value::<ErrorKind>(Value::from(name)).unwrap(),
                kind
            );
        }
        assert_eq!(
            ErrorKind::RateLimit.hint(),
            "Too many requests for now. Wait a moment and try again."
        );
        let unknown = serde_json::from_str::<ErrorKind>("\"RateLimit\"").unwrap_err();
        assert!(unknown.to_string().contains("RateLimit"), "{unknown}");
    }
}
