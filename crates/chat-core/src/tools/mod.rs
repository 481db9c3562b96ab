//! Tool calling, along rig's seams: the typed [`Tool`] trait and its object-safe twin
//! [`DynTool`] (here), the [`ToolDefinition`] (`definition`), the registry of built-in and
//! host-page tools (`registry`), argument validation against JSON Schema (`schema`), what a
//! call sends back (`error`) and the built-in tools (`builtin`).

mod builtin;
mod definition;
mod error;
mod registry;
mod schema;

pub use builtin::{
    evaluate, validate_time_zone, BuiltinTool, CalcError, Calculate, Calculation, CurrentTime,
    Expression, FlightInfo, FlightQuery, GetCurrentTime, GetFlightInfo, TimeZoneQuery,
    MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LEN,
};
pub use definition::{DefinitionError, ToolDefinition};
pub use error::{tool_result_content, ToolError};
pub use registry::{
    Handler, PreparedCall, ToolApproval, ToolEntry, ToolOptions, ToolRegistry, DEFAULT_TIMEOUT_MS,
};
pub use schema::validate_arguments;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A built-in tool with typed arguments and output.
pub trait Tool {
    const NAME: &'static str;
    type Args: DeserializeOwned;
    type Output: Serialize;
    fn definition() -> ToolDefinition;
    fn call(&self, args: Self::Args) -> Result<Self::Output, ToolError>;
}

/// The object-safe twin of [`Tool`]: JSON text in, `tool` message content out.
pub trait DynTool {
    fn name(&self) -> &str;
    fn definition(&self) -> ToolDefinition;
    /// Validates `arguments` against the schema, calls the tool and encodes its output.
    fn call_json(&self, arguments: &str) -> Result<String, ToolError>;
}

impl<T: Tool> DynTool for T {
    fn name(&self) -> &str {
        T::NAME
    }

    fn definition(&self) -> ToolDefinition {
        <T as Tool>::definition()
    }

    fn call_json(&self, arguments: &str) -> Result<String, ToolError> {
        let value = validate_arguments(&<T as Tool>::definition().parameters, arguments)?;
        let args = T::Args::deserialize(value).map_err(|e| ToolError::InvalidArguments {
            problems: vec![e.to_string()],
        })?;
        let output = serde_json::to_value(self.call(args)?)
            .map_err(|e| ToolError::failed(format!("its result could not be encoded ({e})")))?;
        Ok(tool_result_content(&output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_to_a_builtin_are_errors_not_panics() {
        assert!(matches!(
            GetFlightInfo.call_json("not json"),
            Err(ToolError::InvalidJson { .. })
        ));
        assert!(matches!(
            GetFlightInfo.call_json(r#"{"origin_city":"Miami"}"#),
            Err(ToolError::InvalidArguments { .. })
        ));
        assert!(matches!(
            Calculate.call_json(r#"{"expression": 42}"#),
            Err(ToolError::InvalidArguments { .. })
        ));
    }
}
