//! The Responses API (`POST {base}/responses`) as a third API style: the request built from
//! the same transcript entries ([`request`]), and its event stream and response object
//! folded into the same [`Reply`](crate::stream::Reply) as chat completions ([`stream`]).

pub mod request;
pub mod stream;

pub use request::{responses_request, Chain};
pub use stream::{parse_response, ResponsesAccumulator};

use crate::error::ChatError;

/// The server's code for a `previous_response_id` it does not know (expired, deleted, or
/// never stored).
pub const PREVIOUS_RESPONSE_NOT_FOUND: &str = "previous_response_not_found";

/// Whether `error` says the `previous_response_id` of a chained request is unknown to the
/// server, so the conversation must be sent again in full ([`Chain::Restart`]).
pub fn is_unknown_previous_response(error: &ChatError) -> bool {
    if error
        .code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(PREVIOUS_RESPONSE_NOT_FOUND))
    {
        return true;
    }
    let message = error.message.to_ascii_lowercase();
    let names_previous = error.param.as_deref() == Some("previous_response_id")
        || message.contains("previous response")
        || message.contains("previous_response_id");
    names_previous && message.contains("not found")
}

impl Chain {
    /// What to send after a request in this mode failed with `error`: the whole history
    /// again ([`Chain::Restart`]) when a chained request's previous response is unknown to
    /// the server; `None` when the failure stands.
    pub fn after_failure(self, error: &ChatError) -> Option<Chain> {
        (self == Chain::AfterLastStored && is_unknown_previous_response(error))
            .then_some(Chain::Restart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{classify_http, ErrorKind};

    #[test]
    fn an_unknown_previous_response_is_recognised_by_its_code_or_its_words() {
        let openai = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Previous response with id 'resp_abc' not found.","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}"#,
            None,
        );
        assert_eq!(openai.kind, ErrorKind::BadRequest);
        assert!(is_unknown_previous_response(&openai));
        let worded = classify_http(
            404,
            &[],
            r#"{"error":{"message":"Previous response with id 'resp_abc' not found."}}"#,
            None,
        );
        assert!(is_unknown_previous_response(&worded));
        let other = classify_http(
            400,
            &[],
            r#"{"error":{"message":"Invalid value for 'input'.","param":"input","code":"invalid_value"}}"#,
            None,
        );
        assert!(!is_unknown_previous_response(&other));
        let model = classify_http(
            404,
            &[],
            r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#,
            None,
        );
        assert!(!is_unknown_previous_response(&model));
    }

    #[test]
    fn only_a_chained_request_whose_previous_response_is_unknown_restarts() {
        let unknown = ChatError {
            code: Some(PREVIOUS_RESPONSE_NOT_FOUND.to_owned()),
            ..ChatError::new(
                ErrorKind::BadRequest,
                "Previous response with id 'r' is gone.",
            )
        };
        let other = ChatError::new(ErrorKind::BadRequest, "Invalid value for 'input'.");
        assert_eq!(
            Chain::AfterLastStored.after_failure(&unknown),
            Some(Chain::Restart)
        );
        assert_eq!(Chain::AfterLastStored.after_failure(&other), None);
        assert_eq!(Chain::Restart.after_failure(&unknown), None);
        assert_eq!(Chain::Full.after_failure(&unknown), None);
    }
}
