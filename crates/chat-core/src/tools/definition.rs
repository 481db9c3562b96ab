//! The tool definition offered to the model: its wire form, the bare form `registerTool`
//! receives, and what makes one valid (the name rule and the parameters' shape).

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};

/// A function the model may call: `{"type":"function","function":{name, description, parameters}}`
/// on the wire. Deserializes from the wire form or from the bare `{name, description,
/// parameters}` that `registerTool` receives; missing `parameters` means "no arguments".
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    pub name: String,
    pub description: Option<String>,
    /// A JSON Schema describing the arguments object.
    pub parameters: Value,
}

#[derive(Serialize)]
struct WireDefinition<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionRef<'a>,
}

#[derive(Serialize)]
struct FunctionRef<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    parameters: &'a Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionFields {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "no_parameters")]
    parameters: Value,
}

fn no_parameters() -> Value {
    json!({"type": "object", "properties": {}})
}

impl Serialize for ToolDefinition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireDefinition {
            kind: "function",
            function: FunctionRef {
                name: &self.name,
                description: self.description.as_deref(),
                parameters: &self.parameters,
            },
        }
        .serialize(serializer)
    }
}

/// Either form, read in one pass over the keys (serde's `untagged` would buffer the object
/// and compile each field's reader a second time for the buffer).
impl<'de> Deserialize<'de> for ToolDefinition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DefinitionVisitor)
    }
}

const BARE_FIELDS: &[&str] = &["name", "description", "parameters"];

struct DefinitionVisitor;

impl<'de> Visitor<'de> for DefinitionVisitor {
    type Value = ToolDefinition;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(r#"a tool definition: {"name", "description", "parameters"} or {"type": "function", "function": {…}}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolDefinition, A::Error> {
        let (mut kind, mut function) = (None, None);
        let mut bare = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value::<Value>()?),
                "function" => function = Some(map.next_value::<FunctionFields>()?),
                _ => {
                    let value = map.next_value::<Value>()?;
                    bare.insert(key, value);
                }
            }
        }
        // The wire form: its other keys are ignored.
        if let Some(fields) = function.filter(|_| kind.as_ref().is_some_and(|k| k == "function")) {
            return Ok(ToolDefinition {
                name: fields.name,
                description: fields.description,
                parameters: fields.parameters,
            });
        }
        if kind.is_some() {
            return Err(de::Error::custom(
                r#"a tool definition with "type" must be {"type": "function", "function": {…}}"#,
            ));
        }
        // The bare form: only its own keys.
        if let Some(key) = bare.keys().find(|k| !BARE_FIELDS.contains(&k.as_str())) {
            return Err(de::Error::unknown_field(key, BARE_FIELDS));
        }
        let text = |key: &'static str| match bare.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(de::Error::custom(format!("`{key}` must be a string"))),
        };
        Ok(ToolDefinition {
            name: text("name")?.ok_or_else(|| de::Error::missing_field("name"))?,
            description: text("description")?,
            parameters: bare
                .get("parameters")
                .cloned()
                .unwrap_or_else(no_parameters),
        })
    }
}

/// Why a tool definition cannot be registered (or, for its name, sent in a request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("Tool name {0:?} is invalid: use 1 to 64 letters, digits, '_' or '-'.")]
    InvalidName(String),
    #[error(
        "The parameters of tool {0:?} must be a JSON Schema object with \"type\": \"object\"."
    )]
    InvalidParameters(String),
}

impl ToolDefinition {
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        Self {
            name: name.into(),
            description: Some(description.into()),
            parameters,
        }
    }

    /// A definition whose parameters schema is JSON text: a literal is far less wasm than
    /// the same schema built by `json!`. Text that is not JSON gives `null` parameters,
    /// which [`validate`](Self::validate) refuses (the built-in tools' tests check theirs).
    pub fn with_schema_text(
        name: impl Into<String>,
        description: impl Into<String>,
        schema: &str,
    ) -> Self {
        Self::new(
            name,
            description,
            serde_json::from_str(schema).unwrap_or(Value::Null),
        )
    }

    /// Checks the name (as the endpoints require it) and the parameters schema's shape.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        self.validate_name()?;
        let schema_ok = self
            .parameters
            .as_object()
            .is_some_and(|schema| schema.get("type").is_none_or(|t| t == "object"));
        if !schema_ok {
            return Err(DefinitionError::InvalidParameters(self.name.clone()));
        }
        Ok(())
    }

    /// The tool-name rule of the endpoints: 1 to 64 letters, digits, `_` or `-`.
    pub fn validate_name(&self) -> Result<(), DefinitionError> {
        let name_ok = (1..=64).contains(&self.name.len())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if name_ok {
            Ok(())
        } else {
            Err(DefinitionError::InvalidName(self.name.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{GetFlightInfo, Tool};

    #[test]
    fn definitions_serialize_to_the_wire_function_form() {
        let json = serde_json::to_value(<GetFlightInfo as Tool>::definition()).unwrap();
        assert_eq!(json["type"], "function");
        assert_eq!(json["function"]["name"], "get_flight_info");
        assert_eq!(
            json["function"]["parameters"]["required"],
            json!(["origin_city", "destination_city"])
        );
        let bare = ToolDefinition {
            name: "ping".to_owned(),
            description: None,
            parameters: json!({"type": "object"}),
        };
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"type":"function","function":{"name":"ping","parameters":{"type":"object"}}}"#
        );
    }

    #[test]
    fn definitions_deserialize_from_wire_and_bare_forms() {
        let wire: ToolDefinition = serde_json::from_str(
            r#"{"type":"function","function":{"name":"a","description":"d","parameters":{"type":"object"}}}"#,
        )
        .unwrap();
        let bare: ToolDefinition = serde_json::from_str(
            r#"{"name":"a","description":"d","parameters":{"type":"object"}}"#,
        )
        .unwrap();
        assert_eq!(wire, bare);
        let no_parameters: ToolDefinition = serde_json::from_str(r#"{"name":"b"}"#).unwrap();
        assert_eq!(
            no_parameters.parameters,
            json!({"type": "object", "properties": {}})
        );
        assert!(serde_json::from_str::<ToolDefinition>(r#"{"description":"x"}"#).is_err());
        assert!(serde_json::from_str::<ToolDefinition>(r#"{"name":"a","handler":1}"#).is_err());
    }

    /// The definition forms as serde's `untagged` reads them: what the visitor must match.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum UntaggedForm {
        Wire {
            #[serde(rename = "type")]
            _kind: FunctionKind,
            function: FunctionFields,
        },
        Bare(FunctionFields),
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum FunctionKind {
        Function,
    }

    #[test]
    fn definitions_read_as_the_untagged_forms_do() {
        let cases = [
            r#"{"type":"function","function":{"name":"a","description":"d","parameters":{"type":"object"}}}"#,
            r#"{"type":"function","function":{"name":"a"},"name":7,"extra":[1]}"#,
            r#"{"function":{"name":"a"},"type":"function"}"#,
            r#"{"type":"function","function":{"name":"a","extra":1}}"#,
            r#"{"type":"function","function":{"description":"no name"}}"#,
            r#"{"type":"tool","function":{"name":"a"}}"#,
            r#"{"type":"function","name":"a"}"#,
            r#"{"function":{"name":"a"}}"#,
            r#"{"name":"a","description":"d","parameters":{"type":"object"}}"#,
            r#"{"name":"a","description":null,"parameters":null}"#,
            r#"{"name":"b"}"#,
            r#"{"name":7}"#,
            r#"{"name":"a","description":3}"#,
            r#"{"description":"x"}"#,
            r#"{"name":"a","handler":1}"#,
            r#""a""#,
        ];
        for case in cases {
            let untagged = serde_json::from_str::<UntaggedForm>(case).map(|form| match form {
                UntaggedForm::Wire { function, .. } | UntaggedForm::Bare(function) => {
                    (function.name, function.description, function.parameters)
                }
            });
            let read = serde_json::from_str::<ToolDefinition>(case)
                .map(|d| (d.name, d.description, d.parameters));
            match (untagged, read) {
                (Ok(expected), Ok(got)) => assert_eq!(got, expected, "{case}"),
                (Err(_), Err(_)) => {}
                (expected, got) => panic!("{case}: untagged {expected:?}, read {got:?}"),
            }
        }
        let error = serde_json::from_str::<ToolDefinition>(r#"{"name":"a","handler":1}"#);
        assert!(error
            .unwrap_err()
            .to_string()
            .contains("unknown field `handler`"));
        // One difference, on purpose: the derive also took a struct from an array, `["a"]`.
        assert!(serde_json::from_str::<UntaggedForm>(r#"["a"]"#).is_ok());
        assert!(serde_json::from_str::<ToolDefinition>(r#"["a"]"#).is_err());
    }

    #[test]
    fn definition_names_and_schemas_are_validated() {
        let ok = ToolDefinition::new("get-thing_2", "", json!({"type": "object"}));
        assert_eq!(ok.validate(), Ok(()));
        for name in ["", "has space", "dot.ted", &"x".repeat(65)] {
            let def = ToolDefinition::new(name, "", json!({}));
            assert_eq!(
                def.validate(),
                Err(DefinitionError::InvalidName(name.to_owned()))
            );
        }
        for parameters in [json!([]), json!({"type": "string"}), json!("object")] {
            let def = ToolDefinition::new("t", "", parameters);
            assert!(matches!(
                def.validate(),
                Err(DefinitionError::InvalidParameters(_))
            ));
        }
    }
}
