//! `get_current_time`: the current time in an IANA time zone, checked for the name's shape
//! here and formatted by the app (the browser's `Intl`).

use serde::{Deserialize, Serialize};

use crate::tools::{Tool, ToolDefinition, ToolError};

/// The tool's name, also for [`super::BuiltinTool`] (the tool is generic over its formatter).
pub(super) const CURRENT_TIME_NAME: &str = "get_current_time";

/// The current time in an IANA time zone. Formatting needs the browser's `Intl`, so the
/// app supplies it: `format(time_zone)` returns the local date and time or an error message.
pub struct GetCurrentTime<F> {
    pub format: F,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TimeZoneQuery {
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentTime {
    pub time_zone: String,
    pub local_time: String,
}

impl<F: Fn(&str) -> Result<String, String>> Tool for GetCurrentTime<F> {
    const NAME: &'static str = CURRENT_TIME_NAME;
    type Args = TimeZoneQuery;
    type Output = CurrentTime;

    fn definition() -> ToolDefinition {
        ToolDefinition::with_schema_text(
            Self::NAME,
            "Returns the current date and time in a time zone.",
            r#"{
                "type": "object",
                "properties": {
                    "time_zone": {
                        "type": "string",
                        "description": "An IANA time zone name, e.g. \"Europe/Paris\", \"America/New_York\" or \"UTC\""
                    }
                },
                "required": ["time_zone"]
            }"#,
        )
    }

    fn call(&self, args: TimeZoneQuery) -> Result<CurrentTime, ToolError> {
        validate_time_zone(&args.time_zone)?;
        let local_time = (self.format)(&args.time_zone).map_err(ToolError::failed)?;
        Ok(CurrentTime {
            time_zone: args.time_zone,
            local_time,
        })
    }
}

/// Checks that `name` has the shape of an IANA time zone name (`UTC`, `Europe/Paris`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+5`); whether it exists is for `Intl` to say.
pub fn validate_time_zone(name: &str) -> Result<(), ToolError> {
    let segment_ok = |segment: &str| {
        segment.len() <= 32
            && segment.starts_with(|c: char| c.is_ascii_alphabetic())
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
    };
    if name.len() <= 64 && name.split('/').all(segment_ok) {
        Ok(())
    } else {
        Err(ToolError::InvalidArguments {
            problems: vec![format!(
                "\"time_zone\" must be an IANA time zone name such as \"Europe/Paris\" or \"UTC\", not {name:?}"
            )],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::DynTool;
    use serde_json::json;
    use serde_json::Value;

    fn utc_clock(zone: &str) -> Result<String, String> {
        if zone == "Mars/Olympus_Mons" {
            Err("RangeError: invalid time zone".to_owned())
        } else {
            Ok(format!("2025-06-03 12:00:00 ({zone})"))
        }
    }

    #[test]
    fn current_time_validates_the_zone_and_uses_the_apps_formatter() {
        let tool = GetCurrentTime { format: utc_clock };
        let content = tool.call_json(r#"{"time_zone": "Europe/Paris"}"#).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&content).unwrap(),
            json!({"time_zone": "Europe/Paris", "local_time": "2025-06-03 12:00:00 (Europe/Paris)"})
        );
        assert!(matches!(
            tool.call_json(r#"{"time_zone": "../etc/passwd"}"#),
            Err(ToolError::InvalidArguments { .. })
        ));
        assert_eq!(
            tool.call_json(r#"{"time_zone": "Mars/Olympus_Mons"}"#),
            Err(ToolError::failed("RangeError: invalid time zone"))
        );
        assert_eq!(tool.name(), "get_current_time");
        assert_eq!(
            tool.definition().parameters["required"],
            json!(["time_zone"])
        );
    }

    #[test]
    fn time_zone_names_must_have_the_iana_shape() {
        for ok in [
            "UTC",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "America/Port-au-Prince",
            "EST5EDT",
        ] {
            assert_eq!(validate_time_zone(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "Europe/",
            "/Paris",
            "Europe//Paris",
            "Europe/Paris 2",
            "1Zone",
            "../x",
            "Ünïcode",
        ] {
            assert!(validate_time_zone(bad).is_err(), "{bad}");
        }
    }
}
