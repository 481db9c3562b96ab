//! Error responses of the demo endpoint, in the vendor's own body shapes and words.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An error status with a vendor-style JSON body and, for 429, retry headers.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorError {
    pub status: StatusCode,
    pub body: Value,
    pub retry_after_secs: Option<u64>,
}

impl VendorError {
    fn new(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after_secs: None,
        }
    }

    fn coded(status: StatusCode, code: &str, message: &str) -> Self {
        Self::new(status, json!({"error": {"code": code, "message": message}}))
    }

    /// Missing or wrong `api-key`.
    pub fn invalid_key() -> Self {
        Self::coded(
            StatusCode::UNAUTHORIZED,
            "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to \
             provide a valid key for an active subscription and use a correct regional API \
             endpoint for your resource.",
        )
    }

    /// Wrong `Authorization: Bearer` token.
    pub fn invalid_token() -> Self {
        Self::coded(
            StatusCode::UNAUTHORIZED,
            "401",
            "Unauthorized. Access token is missing, invalid, audience is incorrect \
             (https://cognitiveservices.azure.com), or have expired.",
        )
    }

    /// Azure-style route called without `?api-version=`.
    pub fn missing_api_version() -> Self {
        Self::coded(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    /// Body that is not JSON, or not an object.
    pub fn bad_request(message: &str) -> Self {
        Self::coded(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// A body field the service's validator rejects (422 with `details`).
    pub fn invalid_input(loc: &[&str], msg: &str, kind: &str) -> Self {
        let field = loc.last().copied().unwrap_or("body");
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": {
                "code": "Invalid input",
                "status": 422,
                "message": format!("Invalid input: {field}: {msg}"),
                "details": [{"loc": loc, "msg": msg, "type": kind}]
            }}),
        )
    }

    /// An unknown top-level parameter sent without `extra-parameters: pass-through`.
    pub fn extra_parameter(name: &str) -> Self {
        Self::invalid_input(
            &["body", name],
            "extra fields not permitted",
            "value_error.extra",
        )
    }

    /// An `extra-parameters` header value the service does not know.
    pub fn bad_extra_parameters_header(value: &str) -> Self {
        Self::bad_request(&format!(
            "Invalid value '{value}' for header 'extra-parameters'; expected one of \
             'pass-through', 'drop', 'error'."
        ))
    }

    /// `tool_choice` names a function that is not in `tools`.
    pub fn unknown_tool_choice(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "code": "BadRequest",
                "message": format!("tool_choice names the function '{name}', which is not in tools."),
                "param": "tool_choice"
            }}),
        )
    }

    /// The prompt tripped the content filter ("content filter").
    pub fn content_filter() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "code": "content_filter",
                "message": "The response was filtered due to the prompt triggering Microsoft's \
                            content management policy. Please modify your prompt and retry.",
                "param": "prompt",
                "status": 400,
                "type": null,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {
                        "hate": {"filtered": false, "severity": "safe"},
                        "self_harm": {"filtered": false, "severity": "safe"},
                        "sexual": {"filtered": false, "severity": "safe"},
                        "violence": {"filtered": true, "severity": "medium"}
                    }
                }
            }}),
        )
    }

    /// Too many requests ("rate limit"): retry after 2 seconds.
    pub fn rate_limited() -> Self {
        Self {
            retry_after_secs: Some(2),
            ..Self::coded(
                StatusCode::TOO_MANY_REQUESTS,
                "429",
                "Rate limit is exceeded. Try again in 2 seconds.",
            )
        }
    }

    /// Unknown deployment ("not found", model `missing-deployment`).
    pub fn deployment_not_found() -> Self {
        Self::coded(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment \
             within the last 5 minutes, please wait a moment and try again.",
        )
    }

    /// Internal error ("server error").
    pub fn server_error() -> Self {
        Self::coded(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The server had an error while processing your request. Sorry about that! \
             (scripted demo error)",
        )
    }
}

impl IntoResponse for VendorError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            headers.insert("retry-after-ms", HeaderValue::from(secs * 1000));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_response_carries_both_retry_headers() {
        let response = VendorError::rate_limited().into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.headers()["retry-after-ms"], "2000");
    }

    #[test]
    fn extra_parameter_error_names_the_field_in_details() {
        let err = VendorError::extra_parameter("logprobs");
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            err.body["error"]["details"][0]["loc"],
            json!(["body", "logprobs"])
        );
        assert_eq!(
            err.body["error"]["details"][0]["msg"],
            "extra fields not permitted"
        );
    }
}
