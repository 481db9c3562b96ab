//! Errors of the Responses routes in OpenAI's body shape,
//! `{"error":{"message","type","param","code"}}`: request validation errors in OpenAI's own
//! words, and the chat script's scripted errors restated in that shape.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::demo::errors::VendorError;

/// `type` of client errors.
const INVALID_REQUEST: &str = "invalid_request_error";

fn openai(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> VendorError {
    VendorError {
        status,
        body: json!({"error": {
            "message": message,
            "type": kind,
            "param": param,
            "code": code,
        }}),
        retry_after_secs: None,
    }
}

fn invalid_request(message: &str, param: Option<&str>, code: &str) -> VendorError {
    openai(
        StatusCode::BAD_REQUEST,
        message,
        INVALID_REQUEST,
        param,
        Some(code),
    )
}

/// A top-level key the Responses API does not have (`stop`, `seed`, `messages`…).
pub fn unknown_parameter(name: &str) -> VendorError {
    invalid_request(
        &format!("Unknown parameter: '{name}'."),
        Some(name),
        "unknown_parameter",
    )
}

/// A required field is absent, e.g. `tools[0].name` for a nested chat-completions tool.
pub fn missing_parameter(path: &str) -> VendorError {
    invalid_request(
        &format!("Missing required parameter: '{path}'."),
        Some(path),
        "missing_required_parameter",
    )
}

/// A field of the wrong JSON type; `expected` reads like "a string" or "a boolean".
pub fn invalid_type(path: &str, expected: &str, got: &Value) -> VendorError {
    invalid_request(
        &format!(
            "Invalid type for '{path}': expected {expected}, but got {} instead.",
            kind_of(got)
        ),
        Some(path),
        "invalid_type",
    )
}

/// A string field with a value outside its enumeration.
pub fn invalid_value(path: &str, value: &str, supported: &[&str]) -> VendorError {
    let quoted: Vec<String> = supported.iter().map(|s| format!("'{s}'")).collect();
    let list = match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, [first])) => format!("{first} and {last}"),
        Some((last, rest)) => format!("{}, and {last}", rest.join(", ")),
        None => String::new(),
    };
    invalid_request(
        &format!("Invalid value: '{value}'. Supported values are: {list}."),
        Some(path),
        "invalid_value",
    )
}

/// A number below its minimum (`integer` picks OpenAI's wording and code).
pub fn below_minimum(path: &str, minimum: f64, got: f64, integer: bool) -> VendorError {
    let (word, code) = if integer {
        ("integer", "integer_below_min_value")
    } else {
        ("decimal", "decimal_below_min_value")
    };
    invalid_request(
        &format!(
            "Invalid '{path}': {word} below minimum value. Expected a value >= {minimum}, but \
             got {got} instead."
        ),
        Some(path),
        code,
    )
}

/// A decimal above its maximum.
pub fn above_maximum(path: &str, maximum: f64, got: f64) -> VendorError {
    invalid_request(
        &format!(
            "Invalid '{path}': decimal above maximum value. Expected a value <= {maximum}, but \
             got {got} instead."
        ),
        Some(path),
        "decimal_above_max_value",
    )
}

/// `previous_response_id` names a response this server does not remember.
pub fn previous_response_not_found(id: &str) -> VendorError {
    invalid_request(
        &format!("Previous response with id '{id}' not found."),
        Some("previous_response_id"),
        "previous_response_not_found",
    )
}

/// The body is not JSON.
pub fn invalid_json(problem: &str) -> VendorError {
    openai(
        StatusCode::BAD_REQUEST,
        &format!(
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, \
             but what was sent was not valid JSON: {problem})"
        ),
        INVALID_REQUEST,
        None,
        None,
    )
}

/// The body is JSON but not an object.
pub fn not_an_object(got: &Value) -> VendorError {
    openai(
        StatusCode::BAD_REQUEST,
        &format!(
            "Invalid type for the request body: expected an object, but got {} instead.",
            kind_of(got)
        ),
        INVALID_REQUEST,
        None,
        Some("invalid_type"),
    )
}

/// A chat-script error (Azure-shaped `{"error":{"code","message"}}`) in the Responses shape,
/// same status and retry headers; the content filter keeps its `innererror`.
pub fn restate(error: VendorError) -> VendorError {
    let inner = &error.body["error"];
    let message = inner["message"].as_str().unwrap_or_default();
    if error.status == StatusCode::UNPROCESSABLE_ENTITY {
        if let Some(name) = inner
            .pointer("/details/0/loc")
            .and_then(Value::as_array)
            .and_then(|loc| loc.last())
            .and_then(Value::as_str)
        {
            return unknown_parameter(name);
        }
    }
    let (kind, code) = match inner["code"].as_str() {
        Some("429") => ("requests", Some("rate_limit_exceeded")),
        Some("InternalServerError") => ("server_error", Some("server_error")),
        Some("BadRequest") if inner["param"] == "tool_choice" => {
            (INVALID_REQUEST, Some("invalid_value"))
        }
        Some(code) if error.status.is_server_error() => ("server_error", Some(code)),
        Some(code) => (INVALID_REQUEST, Some(code)),
        None => (INVALID_REQUEST, None),
    };
    let mut restated = openai(error.status, message, kind, inner["param"].as_str(), code);
    if let Some(innererror) = inner.get("innererror") {
        restated.body["error"]["innererror"] = innererror.clone();
    }
    restated.retry_after_secs = error.retry_after_secs;
    restated
}

/// How OpenAI names a JSON value's type in its messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parameter_is_worded_like_openai() {
        let err = unknown_parameter("stop");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.body,
            json!({"error": {
                "message": "Unknown parameter: 'stop'.",
                "type": "invalid_request_error",
                "param": "stop",
                "code": "unknown_parameter",
            }})
        );
    }

    #[test]
    fn supported_values_are_listed_with_a_final_and() {
        let err = invalid_value("tool_choice", "always", &["none", "auto", "required"]);
        assert_eq!(
            err.body["error"]["message"],
            "Invalid value: 'always'. Supported values are: 'none', 'auto', and 'required'."
        );
        let two = invalid_value("x", "y", &["a", "b"]);
        assert_eq!(
            two.body["error"]["message"],
            "Invalid value: 'y'. Supported values are: 'a' and 'b'."
        );
    }

    #[test]
    fn scripted_errors_keep_status_and_retry_headers_in_the_new_shape() {
        let limited = restate(VendorError::rate_limited());
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.retry_after_secs, Some(2));
        assert_eq!(limited.body["error"]["code"], "rate_limit_exceeded");
        assert!(limited.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Rate limit is exceeded")));

        let filtered = restate(VendorError::content_filter());
        assert_eq!(filtered.body["error"]["code"], "content_filter");
        assert_eq!(filtered.body["error"]["param"], "prompt");
        assert_eq!(
            filtered.body["error"]["innererror"]["code"],
            "ResponsibleAIPolicyViolation"
        );

        let extra = restate(VendorError::extra_parameter("logprobs"));
        assert_eq!(extra.status, StatusCode::BAD_REQUEST);
        assert_eq!(extra.body["error"]["code"], "unknown_parameter");
        assert_eq!(extra.body["error"]["param"], "logprobs");

        let server = restate(VendorError::server_error());
        assert_eq!(server.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(server.body["error"]["type"], "server_error");
    }
}
