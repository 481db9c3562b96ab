//! Argument validation against the subset of JSON Schema tool parameters use (`type`,
//! `enum`, `required`, `properties`, `items`, `additionalProperties`), listing every problem.

use serde_json::{Map, Value};

use super::ToolError;

/// Deepest schema nesting followed when validating.
const MAX_SCHEMA_DEPTH: usize = 32;

/// Parses `arguments` (empty text counts as `{}`) and checks it against `schema`: it must
/// be an object; `required`, `type` (also type arrays), `enum`, nested `properties`,
/// `items` and `additionalProperties` are checked. Every problem is listed.
pub fn validate_arguments(schema: &Value, arguments: &str) -> Result<Value, ToolError> {
    let text = arguments.trim();
    let value: Value = if text.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_str(text).map_err(|e| ToolError::InvalidJson {
            message: e.to_string(),
        })?
    };
    if !value.is_object() {
        return Err(ToolError::InvalidArguments {
            problems: vec![format!(
                "the arguments must be a JSON object, not {}",
                kind_of(&value)
            )],
        });
    }
    let mut problems = Vec::new();
    check_value(schema, &value, "", 0, &mut problems);
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(ToolError::InvalidArguments { problems })
    }
}

fn check_value(
    schema: &Value,
    value: &Value,
    path: &str,
    depth: usize,
    problems: &mut Vec<String>,
) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let subject = || {
        if path.is_empty() {
            "the arguments".to_owned()
        } else {
            format!("{path:?}")
        }
    };
    if let Some(expected) = schema.get("type") {
        let names: Vec<&str> = match expected {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !names.is_empty() && !names.iter().any(|name| has_type(value, name)) {
            let wanted: Vec<&str> = names.iter().map(|n| type_phrase(n)).collect();
            problems.push(format!(
                "{} must be {}, not {}",
                subject(),
                wanted.join(" or "),
                kind_of(value)
            ));
            return;
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        if !options.contains(value) {
            let listed: Vec<String> = options.iter().map(Value::to_string).collect();
            problems.push(format!(
                "{} must be one of {}, not {}",
                subject(),
                listed.join(", "),
                value
            ));
        }
    }
    match value {
        Value::Object(object) => check_object(schema, object, path, depth, problems),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check_value(
                        item_schema,
                        item,
                        &format!("{path}[{i}]"),
                        depth + 1,
                        problems,
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_object(
    schema: &Map<String, Value>,
    object: &Map<String, Value>,
    path: &str,
    depth: usize,
    problems: &mut Vec<String>,
) {
    let child = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                problems.push(format!(
                    "the required property {:?} is missing",
                    child(name)
                ));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    // Sorted, so the problem list does not depend on serde_json's map ordering feature.
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort_unstable();
    for (key, item) in keys.into_iter().filter_map(|k| object.get_key_value(k)) {
        match (properties.and_then(|p| p.get(key)), additional) {
            (Some(item_schema), _) | (None, Some(item_schema @ Value::Object(_))) => {
                check_value(item_schema, item, &child(key), depth + 1, problems);
            }
            (None, Some(Value::Bool(false))) => {
                problems.push(format!("the property {:?} is not expected", child(key)));
            }
            (None, _) => {}
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|x| x.is_finite() && x.fract() == 0.0)
        }
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn type_phrase(name: &str) -> &str {
    match name {
        "string" => "a string",
        "number" => "a number",
        "integer" => "an integer",
        "boolean" => "true or false",
        "object" => "an object",
        "array" => "an array",
        other => other,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{GetFlightInfo, Tool};
    use serde_json::json;

    fn problems(schema: &Value, arguments: &str) -> Vec<String> {
        match validate_arguments(schema, arguments) {
            Err(ToolError::InvalidArguments { problems }) => problems,
            other => panic!("expected invalid arguments, got {other:?}"),
        }
    }

    #[test]
    fn arguments_must_be_valid_json() {
        let schema = json!({"type": "object"});
        assert!(matches!(
            validate_arguments(&schema, r#"{"a": "#),
            Err(ToolError::InvalidJson { .. })
        ));
        assert!(matches!(
            validate_arguments(&schema, "{'a': 1}"),
            Err(ToolError::InvalidJson { .. })
        ));
    }

    #[test]
    fn arguments_must_be_an_object() {
        let schema = json!({"type": "object"});
        assert_eq!(
            problems(&schema, "[1, 2]"),
            ["the arguments must be a JSON object, not an array"]
        );
        assert_eq!(
            problems(&schema, r#""hi""#),
            ["the arguments must be a JSON object, not a string"]
        );
    }

    #[test]
    fn empty_arguments_count_as_an_empty_object() {
        let schema = json!({"type": "object", "properties": {}});
        assert_eq!(validate_arguments(&schema, "  "), Ok(json!({})));
    }

    #[test]
    fn every_missing_required_property_and_wrong_type_is_listed() {
        let schema = <GetFlightInfo as Tool>::definition().parameters;
        assert_eq!(
            problems(&schema, "{}"),
            [
                "the required property \"origin_city\" is missing",
                "the required property \"destination_city\" is missing"
            ]
        );
        assert_eq!(
            problems(&schema, r#"{"origin_city": 5, "destination_city": null}"#),
            [
                "\"destination_city\" must be a string, not null",
                "\"origin_city\" must be a string, not an integer"
            ]
        );
    }

    #[test]
    fn primitive_types_and_type_arrays_are_checked() {
        let schema = json!({
            "type": "object",
            "properties": {
                "s": {"type": "string"},
                "n": {"type": "number"},
                "i": {"type": "integer"},
                "b": {"type": "boolean"},
                "o": {"type": "object"},
                "a": {"type": "array"},
                "z": {"type": "null"},
                "either": {"type": ["string", "null"]},
            },
        });
        let good = r#"{"s":"x","n":1.5,"i":3,"b":true,"o":{},"a":[],"z":null,"either":null}"#;
        assert!(validate_arguments(&schema, good).is_ok());
        assert!(validate_arguments(&schema, r#"{"i": 3.0, "n": 2}"#).is_ok());
        assert_eq!(
            problems(
                &schema,
                r#"{"s":1,"n":"1","i":1.5,"b":"true","o":[],"a":{},"z":0,"either":2}"#
            ),
            [
                "\"a\" must be an array, not an object",
                "\"b\" must be true or false, not a string",
                "\"either\" must be a string or null, not an integer",
                "\"i\" must be an integer, not a number",
                "\"n\" must be a number, not a string",
                "\"o\" must be an object, not an array",
                "\"s\" must be a string, not an integer",
                "\"z\" must be null, not an integer",
            ]
        );
    }

    #[test]
    fn enums_nested_objects_items_and_extra_properties_are_checked() {
        let schema = json!({
            "type": "object",
            "properties": {
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "place": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
                "days": {"type": "array", "items": {"type": "integer"}},
            },
            "additionalProperties": false,
        });
        assert_eq!(
            problems(
                &schema,
                r#"{"unit":"kelvin","place":{},"days":[1,"two"],"extra":1}"#
            ),
            [
                "\"days[1]\" must be an integer, not a string",
                "the property \"extra\" is not expected",
                "the required property \"place.city\" is missing",
                "\"unit\" must be one of \"celsius\", \"fahrenheit\", not \"kelvin\"",
            ]
        );
    }

    #[test]
    fn undeclared_properties_are_allowed_unless_forbidden() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        assert!(validate_arguments(&schema, r#"{"a":"x","b":2}"#).is_ok());
    }
}
