//! What a call sends back to the model: [`ToolError`] (why there is no result, as an error
//! object) and the content of a `tool` message for a result.

use serde_json::{json, Map, Value};

/// Why a tool call produced no result. Each becomes a `tool` message the model can read
/// (`to_content`); `Display` is the same sentence for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    #[error("There is no tool named {name:?}.")]
    UnknownTool {
        name: String,
        available: Vec<String>,
    },
    #[error("The arguments are not valid JSON: {message}.")]
    InvalidJson { message: String },
    #[error("The arguments do not match the tool's parameters: {}.", .problems.join("; "))]
    InvalidArguments { problems: Vec<String> },
    #[error("The tool failed: {message}")]
    Failed {
        message: String,
        details: Option<Value>,
    },
    #[error("The tool did not finish within {timeout_ms} ms.")]
    Timeout { timeout_ms: u32 },
    #[error("The user declined to run this tool.")]
    Declined,
    #[error("The tool call was cancelled.")]
    Cancelled,
}

impl ToolError {
    /// A failure with a message only (e.g. what a handler threw).
    pub fn failed(message: impl Into<String>) -> Self {
        ToolError::Failed {
            message: message.into(),
            details: None,
        }
    }

    /// The error object `{"error": "...", "details": ...}`; a cancelled call is exactly
    /// `{"error":"cancelled"}`.
    pub fn to_json(&self) -> Value {
        let (error, details) = match self {
            ToolError::UnknownTool { name, available } => (
                format!("There is no tool named {name:?}."),
                Some(json!({ "available_tools": available })),
            ),
            ToolError::InvalidJson { message } => (
                "The arguments are not valid JSON.".to_owned(),
                Some(Value::from(message.as_str())),
            ),
            ToolError::InvalidArguments { problems } => (
                "The arguments do not match the tool's parameters.".to_owned(),
                Some(json!(problems)),
            ),
            ToolError::Failed { details, .. } => (self.to_string(), details.clone()),
            ToolError::Cancelled => ("cancelled".to_owned(), None),
            ToolError::Timeout { .. } | ToolError::Declined => (self.to_string(), None),
        };
        let mut object = Map::new();
        object.insert("error".to_owned(), Value::String(error));
        if let Some(details) = details {
            object.insert("details".to_owned(), details);
        }
        Value::Object(object)
    }

    /// The JSON string content of the `tool` message: `error` first, then `details`.
    pub fn to_content(&self) -> String {
        let object = self.to_json();
        match (object.get("error"), object.get("details")) {
            (Some(error), Some(details)) => format!(r#"{{"error":{error},"details":{details}}}"#),
            _ => object.to_string(),
        }
    }
}

/// The content of a `tool` message for a result: a string is sent as is, anything else
/// JSON-encoded.
pub fn tool_result_content(result: &Value) -> String {
    match result {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_results_are_sent_as_is_and_others_json_encoded() {
        assert_eq!(tool_result_content(&json!("sunny")), "sunny");
        assert_eq!(tool_result_content(&json!({"a": 1})), r#"{"a":1}"#);
        assert_eq!(tool_result_content(&json!(42)), "42");
        assert_eq!(tool_result_content(&Value::Null), "null");
    }

    #[test]
    fn error_objects_say_what_went_wrong() {
        let cases = [
            (
                ToolError::UnknownTool {
                    name: "fly".to_owned(),
                    available: vec!["calculate".to_owned()],
                },
                json!({"error": "There is no tool named \"fly\".", "details": {"available_tools": ["calculate"]}}),
            ),
            (
                ToolError::InvalidJson {
                    message: "EOF while parsing".to_owned(),
                },
                json!({"error": "The arguments are not valid JSON.", "details": "EOF while parsing"}),
            ),
            (
                ToolError::InvalidArguments {
                    problems: vec!["p1".to_owned(), "p2".to_owned()],
                },
                json!({"error": "The arguments do not match the tool's parameters.", "details": ["p1", "p2"]}),
            ),
            (
                ToolError::Failed {
                    message: "boom".to_owned(),
                    details: Some(json!({"stack": "s"})),
                },
                json!({"error": "The tool failed: boom", "details": {"stack": "s"}}),
            ),
            (
                ToolError::failed("boom"),
                json!({"error": "The tool failed: boom"}),
            ),
            (
                ToolError::Timeout { timeout_ms: 5000 },
                json!({"error": "The tool did not finish within 5000 ms."}),
            ),
            (
                ToolError::Declined,
                json!({"error": "The user declined to run this tool."}),
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_json(), expected);
            let reparsed: Value = serde_json::from_str(&error.to_content()).unwrap();
            assert_eq!(reparsed, expected);
        }
    }

    #[test]
    fn a_cancelled_call_is_exactly_the_design_error_object() {
        assert_eq!(
            ToolError::Cancelled.to_content(),
            r#"{"error":"cancelled"}"#
        );
    }

    #[test]
    fn invalid_argument_errors_read_as_one_sentence() {
        let error = ToolError::InvalidArguments {
            problems: vec!["a is wrong".to_owned(), "b is missing".to_owned()],
        };
        assert_eq!(
            error.to_string(),
            "The arguments do not match the tool's parameters: a is wrong; b is missing."
        );
    }
}
