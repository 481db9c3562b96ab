//! The built-in demo tools and their names as the `tools` attribute lists them.

mod calculator;
mod flight;
mod time;

pub use calculator::{
    evaluate, CalcError, Calculate, Calculation, Expression, MAX_EXPRESSION_DEPTH,
    MAX_EXPRESSION_LEN,
};
pub use flight::{FlightInfo, FlightQuery, GetFlightInfo};
pub use time::{validate_time_zone, CurrentTime, GetCurrentTime, TimeZoneQuery};

use super::Tool;
use time::CURRENT_TIME_NAME;

/// The built-in demo tools (the `tools` attribute names them, space-separated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinTool {
    GetFlightInfo,
    GetCurrentTime,
    Calculate,
}

impl BuiltinTool {
    pub const ALL: [BuiltinTool; 3] = [
        BuiltinTool::GetFlightInfo,
        BuiltinTool::GetCurrentTime,
        BuiltinTool::Calculate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinTool::GetFlightInfo => GetFlightInfo::NAME,
            BuiltinTool::GetCurrentTime => CURRENT_TIME_NAME,
            BuiltinTool::Calculate => Calculate::NAME,
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|tool| tool.name() == name)
    }

    /// Parses the `tools` attribute: the known names (deduplicated, in order) and the
    /// unknown ones, for a warning.
    pub fn parse_list(attribute: &str) -> (Vec<BuiltinTool>, Vec<String>) {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for name in attribute.split_ascii_whitespace() {
            match Self::from_name(name) {
                Some(tool) if !known.contains(&tool) => known.push(tool),
                Some(_) => {}
                None => unknown.push(name.to_owned()),
            }
        }
        (known, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_written_as_json_text_are_valid_objects_with_required_fields() {
        type Clock = GetCurrentTime<fn(&str) -> Result<String, String>>;
        for (definition, required) in [
            (
                GetFlightInfo::definition(),
                &["origin_city", "destination_city"][..],
            ),
            (Clock::definition(), &["time_zone"][..]),
            (Calculate::definition(), &["expression"][..]),
        ] {
            assert_eq!(definition.validate(), Ok(()), "{}", definition.name);
            let schema = &definition.parameters;
            assert_eq!(schema["required"], serde_json::json!(required));
            for name in required {
                assert_eq!(schema["properties"][name]["type"], "string", "{name}");
                assert!(
                    schema["properties"][name]["description"].is_string(),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn builtin_names_parse_from_the_tools_attribute() {
        let (known, unknown) =
            BuiltinTool::parse_list("  calculate get_flight_info\tcalculate nope ");
        assert_eq!(known, [BuiltinTool::Calculate, BuiltinTool::GetFlightInfo]);
        assert_eq!(unknown, ["nope"]);
        for tool in BuiltinTool::ALL {
            assert_eq!(BuiltinTool::from_name(tool.name()), Some(tool));
        }
    }
}
