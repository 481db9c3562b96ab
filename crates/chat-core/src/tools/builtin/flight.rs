//! `get_flight_info`, the reference's example tool: there are never any flights.

use serde::{Deserialize, Serialize};

use crate::tools::{Tool, ToolDefinition, ToolError};

/// The reference's example tool: there are never any flights.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetFlightInfo;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FlightQuery {
    pub origin_city: String,
    pub destination_city: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlightInfo {
    pub info: String,
}

impl Tool for GetFlightInfo {
    const NAME: &'static str = "get_flight_info";
    type Args = FlightQuery;
    type Output = FlightInfo;

    fn definition() -> ToolDefinition {
        ToolDefinition::with_schema_text(
            Self::NAME,
            "Returns information about the next flight between two cities. This includes the \
             name of the airline, flight number and the date and time of the next flight",
            r#"{
                "type": "object",
                "properties": {
                    "origin_city": {
                        "type": "string",
                        "description": "The name of the city where the flight originates"
                    },
                    "destination_city": {
                        "type": "string",
                        "description": "The flight destination city"
                    }
                },
                "required": ["origin_city", "destination_city"]
            }"#,
        )
    }

    fn call(&self, args: FlightQuery) -> Result<FlightInfo, ToolError> {
        Ok(FlightInfo {
            info: format!(
                "There are no flights available from {} to {}. You should take a train, \
                 specially if it helps to reduce CO2 emissions.",
                args.origin_city, args.destination_city
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::DynTool;
    use serde_json::json;
    use serde_json::Value;

    #[test]
    fn flight_info_answers_like_the_reference() {
        let content = GetFlightInfo
            .call_json(r#"{"origin_city":"Miami","destination_city":"Seattle"}"#)
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&content).unwrap(),
            json!({"info": "There are no flights available from Miami to Seattle. You should take a train, specially if it helps to reduce CO2 emissions."})
        );
    }
}
