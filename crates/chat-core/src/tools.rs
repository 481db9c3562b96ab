//! Tool calling: definitions (wire form), the typed `Tool` trait and its object-safe twin,
//! the registry of built-in and host-page tools, argument validation against JSON Schema,
//! the content of `tool` messages (results and error objects), and the built-in tools.

use std::fmt::Write as _;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
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

/// Why a tool definition cannot be registered.
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

    /// Checks the name (as the endpoints require it) and the parameters schema's shape.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        let name_ok = (1..=64).contains(&self.name.len())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(DefinitionError::InvalidName(self.name.clone()));
        }
        let schema_ok = self
            .parameters
            .as_object()
            .is_some_and(|schema| schema.get("type").is_none_or(|t| t == "object"));
        if !schema_ok {
            return Err(DefinitionError::InvalidParameters(self.name.clone()));
        }
        Ok(())
    }
}

/// Whether a call runs at once or waits for the user (`"auto"` | `"ask"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolApproval {
    #[default]
    Auto,
    Ask,
}

/// The default time a handler may take.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

/// Options of a registered tool (`registerTool`'s third argument: `{approval, timeoutMs}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ToolOptions {
    pub approval: ToolApproval,
    pub timeout_ms: u32,
}

impl Default for ToolOptions {
    fn default() -> Self {
        Self {
            approval: ToolApproval::Auto,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

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

/// How a registered tool runs: Rust code, or a handler the app holds (a JS function).
pub enum Handler<H> {
    Builtin(Box<dyn DynTool>),
    External(H),
}

/// One registered tool.
pub struct ToolEntry<H> {
    pub definition: ToolDefinition,
    pub options: ToolOptions,
    pub handler: Handler<H>,
}

/// A call that passed lookup and argument validation, ready to run (after approval).
pub struct PreparedCall<'a, H> {
    pub entry: &'a ToolEntry<H>,
    /// The validated arguments object.
    pub arguments: Value,
}

impl<H> PreparedCall<'_, H> {
    /// Runs a built-in tool; `None` for an external one (the app runs its handler).
    pub fn run_builtin(&self) -> Option<Result<String, ToolError>> {
        match &self.entry.handler {
            Handler::Builtin(tool) => Some(tool.call_json(&self.arguments.to_string())),
            Handler::External(_) => None,
        }
    }
}

/// Registered tools by name, in registration order (the order of the request's `tools`).
/// `H` is the app's handle for host-page handlers.
pub struct ToolRegistry<H> {
    entries: Vec<ToolEntry<H>>,
}

impl<H> Default for ToolRegistry<H> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<H> ToolRegistry<H> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a built-in tool, replacing (and returning) one of the same name.
    pub fn register_builtin(
        &mut self,
        tool: impl DynTool + 'static,
        options: ToolOptions,
    ) -> Result<Option<ToolEntry<H>>, DefinitionError> {
        let definition = tool.definition();
        self.insert(ToolEntry {
            definition,
            options,
            handler: Handler::Builtin(Box::new(tool)),
        })
    }

    /// Registers a host-page tool, replacing (and returning) one of the same name.
    pub fn register_external(
        &mut self,
        definition: ToolDefinition,
        handler: H,
        options: ToolOptions,
    ) -> Result<Option<ToolEntry<H>>, DefinitionError> {
        self.insert(ToolEntry {
            definition,
            options,
            handler: Handler::External(handler),
        })
    }

    fn insert(&mut self, entry: ToolEntry<H>) -> Result<Option<ToolEntry<H>>, DefinitionError> {
        entry.definition.validate()?;
        match self.position(&entry.definition.name) {
            Some(at) => Ok(Some(std::mem::replace(&mut self.entries[at], entry))),
            None => {
                self.entries.push(entry);
                Ok(None)
            }
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.definition.name == name)
    }

    pub fn unregister(&mut self, name: &str) -> Option<ToolEntry<H>> {
        self.position(name).map(|at| self.entries.remove(at))
    }

    pub fn get(&self, name: &str) -> Option<&ToolEntry<H>> {
        self.entries.iter().find(|e| e.definition.name == name)
    }

    /// For changing options, e.g. approval after "Always allow".
    pub fn get_mut(&mut self, name: &str) -> Option<&mut ToolEntry<H>> {
        self.entries.iter_mut().find(|e| e.definition.name == name)
    }

    /// The definitions for the request's `tools` array.
    pub fn definitions(&self) -> Vec<ToolDefinition> {
        self.entries.iter().map(|e| e.definition.clone()).collect()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.definition.name.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Looks the tool up and validates the arguments the model sent; every failure is an
    /// error to send back as the tool message.
    pub fn prepare(&self, name: &str, arguments: &str) -> Result<PreparedCall<'_, H>, ToolError> {
        let entry = self.get(name).ok_or_else(|| ToolError::UnknownTool {
            name: name.to_owned(),
            available: self.names().map(str::to_owned).collect(),
        })?;
        let arguments = validate_arguments(&entry.definition.parameters, arguments)?;
        Ok(PreparedCall { entry, arguments })
    }
}

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
        ToolDefinition::new(
            Self::NAME,
            "Returns information about the next flight between two cities. This includes the \
             name of the airline, flight number and the date and time of the next flight",
            json!({
                "type": "object",
                "properties": {
                    "origin_city": {
                        "type": "string",
                        "description": "The name of the city where the flight originates",
                    },
                    "destination_city": {
                        "type": "string",
                        "description": "The flight destination city",
                    },
                },
                "required": ["origin_city", "destination_city"],
            }),
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

const CURRENT_TIME_NAME: &str = "get_current_time";

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
        ToolDefinition::new(
            Self::NAME,
            "Returns the current date and time in a time zone.",
            json!({
                "type": "object",
                "properties": {
                    "time_zone": {
                        "type": "string",
                        "description": "An IANA time zone name, e.g. \"Europe/Paris\", \
                                        \"America/New_York\" or \"UTC\"",
                    },
                },
                "required": ["time_zone"],
            }),
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

/// A safe arithmetic evaluator (no `eval`): numbers, + - * / % ^ (or **), unary minus,
/// parentheses, functions and the constants `pi` and `e`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calculate;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Expression {
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calculation {
    pub expression: String,
    /// Rounded to 12 significant digits; integral values are integers.
    pub result: Value,
}

impl Tool for Calculate {
    const NAME: &'static str = "calculate";
    type Args = Expression;
    type Output = Calculation;

    fn definition() -> ToolDefinition {
        ToolDefinition::new(
            Self::NAME,
            "Evaluates an arithmetic expression and returns the number. Supports + - * / % \
             ^ (power), parentheses, the constants pi and e, and the functions sqrt, abs, \
             round, floor, ceil, min, max, pow(x, y), ln, log (natural; log(x, base) for \
             another base), log10, log2, exp, sin, cos and tan (radians).",
            json!({
                "type": "object",
                "properties": {
                    "expression": {
                        "type": "string",
                        "description": "The expression, e.g. \"(2 + 3) * sqrt(16) / 4\"",
                    },
                },
                "required": ["expression"],
            }),
        )
    }

    fn call(&self, args: Expression) -> Result<Calculation, ToolError> {
        let value = evaluate(&args.expression).map_err(|e| {
            ToolError::failed(format!("could not evaluate {:?}: {e}.", args.expression))
        })?;
        Ok(Calculation {
            expression: args.expression,
            result: tidy_number(value),
        })
    }
}

/// `x` rounded to 12 significant digits (hiding binary rounding noise such as
/// 0.1 + 0.2), as a JSON integer when integral.
fn tidy_number(x: f64) -> Value {
    let rounded = crate::number::round_significant(x);
    if rounded.fract() == 0.0 && rounded.abs() < 9.0e15 {
        Value::from(rounded as i64)
    } else {
        serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("the expression is empty")]
    Empty,
    #[error("the expression is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the expression is nested more than {max} levels deep")]
    TooDeep { max: usize },
    #[error("division by zero")]
    DivisionByZero,
    #[error("unknown name {0:?}")]
    UnknownIdentifier(String),
    #[error("unbalanced parentheses")]
    UnbalancedParentheses,
    #[error("unexpected {found:?} at position {position}")]
    Unexpected { found: char, position: usize },
    #[error("the expression ends too early")]
    UnexpectedEnd,
    #[error("{function} takes {expected}, not {got}")]
    ArgumentCount {
        function: &'static str,
        expected: &'static str,
        got: usize,
    },
    #[error("{0} is undefined")]
    Undefined(String),
    #[error("the result is too large")]
    Overflow,
}

/// Longest expression accepted, in characters.
pub const MAX_EXPRESSION_LEN: usize = 1000;
/// Deepest nesting of parentheses, function calls, signs and powers.
pub const MAX_EXPRESSION_DEPTH: usize = 64;

/// Evaluates an arithmetic expression (recursive descent with a depth limit).
pub fn evaluate(expression: &str) -> Result<f64, CalcError> {
    if expression.chars().count() > MAX_EXPRESSION_LEN {
        return Err(CalcError::TooLong {
            max: MAX_EXPRESSION_LEN,
        });
    }
    if expression.trim().is_empty() {
        return Err(CalcError::Empty);
    }
    let mut parser = Parser {
        src: expression,
        pos: 0,
    };
    let value = parser.sum(0)?;
    match parser.peek() {
        None => Ok(value),
        Some(')') => Err(CalcError::UnbalancedParentheses),
        Some(found) => Err(parser.unexpected(found)),
    }
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    pos: usize,
}

impl Parser<'_> {
    /// The next non-space character, without consuming it.
    fn peek(&mut self) -> Option<char> {
        let rest = &self.src[self.pos..];
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        trimmed.chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn unexpected(&self, found: char) -> CalcError {
        CalcError::Unexpected {
            found,
            position: self.src[..self.pos].chars().count() + 1,
        }
    }

    fn descend(depth: usize) -> Result<usize, CalcError> {
        if depth >= MAX_EXPRESSION_DEPTH {
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH,
            })
        } else {
            Ok(depth + 1)
        }
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self, depth: usize) -> Result<f64, CalcError> {
        let depth = Self::descend(depth)?;
        let mut value = self.product(depth)?;
        loop {
            if self.eat('+') {
                value = finite(value + self.product(depth)?)?;
            } else if self.eat('-') {
                value = finite(value - self.product(depth)?)?;
            } else {
                return Ok(value);
            }
        }
    }

    /// product := signed (('*' | '/' | '%') signed)*
    fn product(&mut self, depth: usize) -> Result<f64, CalcError> {
        let mut value = self.signed(depth)?;
        loop {
            if self.eat('*') {
                value = finite(value * self.signed(depth)?)?;
            } else if self.eat('/') {
                let divisor = self.signed(depth)?;
                if divisor == 0.0 {
                    return Err(CalcError::DivisionByZero);
                }
                value = finite(value / divisor)?;
            } else if self.eat('%') {
                let divisor = self.signed(depth)?;
                if divisor == 0.0 {
                    return Err(CalcError::DivisionByZero);
                }
                value = finite(value % divisor)?;
            } else {
                return Ok(value);
            }
        }
    }

    /// signed := ('-' | '+') signed | power
    fn signed(&mut self, depth: usize) -> Result<f64, CalcError> {
        if self.eat('-') {
            Ok(-self.signed(Self::descend(depth)?)?)
        } else if self.eat('+') {
            self.signed(Self::descend(depth)?)
        } else {
            self.power(depth)
        }
    }

    /// power := primary (('^' | '**') signed)?   (right-associative; -2^2 = -4)
    fn power(&mut self, depth: usize) -> Result<f64, CalcError> {
        let base = self.primary(depth)?;
        let is_power = if self.eat('^') {
            true
        } else if self.peek() == Some('*') && self.src[self.pos..].starts_with("**") {
            self.pos += 2;
            true
        } else {
            false
        };
        if !is_power {
            return Ok(base);
        }
        let exponent = self.signed(Self::descend(depth)?)?;
        if base == 0.0 && exponent < 0.0 {
            return Err(CalcError::DivisionByZero);
        }
        let value = base.powf(exponent);
        if value.is_nan() {
            return Err(CalcError::Undefined(format!("{base}^{exponent}")));
        }
        finite(value)
    }

    /// primary := number | name | name '(' arguments ')' | '(' sum ')'
    fn primary(&mut self, depth: usize) -> Result<f64, CalcError> {
        let Some(next) = self.peek() else {
            return Err(CalcError::UnexpectedEnd);
        };
        if next == '(' {
            self.pos += 1;
            let value = self.sum(depth)?;
            return self.close(value);
        }
        if next.is_ascii_digit() || next == '.' {
            return self.number();
        }
        if next.is_ascii_alphabetic() || next == '_' {
            let name = self.word().to_ascii_lowercase();
            if self.eat('(') {
                let mut args = vec![self.sum(depth)?];
                while self.eat(',') {
                    args.push(self.sum(depth)?);
                }
                let value = call_function(&name, &args)?;
                return self.close(value);
            }
            return match name.as_str() {
                "pi" => Ok(std::f64::consts::PI),
                "e" => Ok(std::f64::consts::E),
                _ => Err(CalcError::UnknownIdentifier(name)),
            };
        }
        if next == ')' {
            return Err(CalcError::UnbalancedParentheses);
        }
        Err(self.unexpected(next))
    }

    fn close(&mut self, value: f64) -> Result<f64, CalcError> {
        match self.peek() {
            Some(')') => {
                self.pos += 1;
                Ok(value)
            }
            None => Err(CalcError::UnbalancedParentheses),
            Some(found) => Err(self.unexpected(found)),
        }
    }

    fn word(&mut self) -> &str {
        let rest = &self.src[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]
    fn number(&mut self) -> Result<f64, CalcError> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let digits = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut end = digits(start);
        if bytes.get(end) == Some(&b'.') {
            end = digits(end + 1);
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            let exponent_end = digits(end + 1 + sign);
            if exponent_end > end + 1 + sign {
                end = exponent_end;
            }
        }
        let text = &self.src[start..end];
        let value = crate::number::parse(text).ok_or_else(|| self.unexpected('.'))?;
        self.pos = end;
        finite(value)
    }
}

fn finite(value: f64) -> Result<f64, CalcError> {
    if value.is_finite() {
        Ok(value)
    } else if value.is_nan() {
        Err(CalcError::Undefined("the result".to_owned()))
    } else {
        Err(CalcError::Overflow)
    }
}

fn call_function(name: &str, args: &[f64]) -> Result<f64, CalcError> {
    let one = |function: &'static str| -> Result<f64, CalcError> {
        match args {
            [x] => Ok(*x),
            _ => Err(CalcError::ArgumentCount {
                function,
                expected: "one argument",
                got: args.len(),
            }),
        }
    };
    let (function, value): (&'static str, f64) = match name {
        "sqrt" => ("sqrt", one("sqrt")?.sqrt()),
        "abs" => ("abs", one("abs")?.abs()),
        "round" => ("round", one("round")?.round()),
        "floor" => ("floor", one("floor")?.floor()),
        "ceil" => ("ceil", one("ceil")?.ceil()),
        "ln" => ("ln", one("ln")?.ln()),
        "log10" => ("log10", one("log10")?.log10()),
        "log2" => ("log2", one("log2")?.log2()),
        "exp" => ("exp", one("exp")?.exp()),
        "sin" => ("sin", one("sin")?.sin()),
        "cos" => ("cos", one("cos")?.cos()),
        "tan" => ("tan", one("tan")?.tan()),
        "log" => match args {
            [x] => ("log", x.ln()),
            [x, base] => ("log", x.ln() / base.ln()),
            _ => {
                return Err(CalcError::ArgumentCount {
                    function: "log",
                    expected: "one or two arguments",
                    got: args.len(),
                })
            }
        },
        "pow" => match args {
            [x, y] if *x == 0.0 && *y < 0.0 => return Err(CalcError::DivisionByZero),
            [x, y] => ("pow", x.powf(*y)),
            _ => {
                return Err(CalcError::ArgumentCount {
                    function: "pow",
                    expected: "two arguments",
                    got: args.len(),
                })
            }
        },
        "min" => ("min", args.iter().copied().fold(f64::INFINITY, f64::min)),
        "max" => (
            "max",
            args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ),
        _ => return Err(CalcError::UnknownIdentifier(name.to_owned())),
    };
    if value.is_nan()
        || (value.is_infinite() && matches!(function, "ln" | "log" | "log10" | "log2"))
    {
        let mut call = format!("{function}(");
        for (i, arg) in args.iter().enumerate() {
            let _ = write!(call, "{}{arg}", if i == 0 { "" } else { ", " });
        }
        call.push(')');
        return Err(CalcError::Undefined(call));
    }
    finite(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(schema: &Value, arguments: &str) -> Vec<String> {
        match validate_arguments(schema, arguments) {
            Err(ToolError::InvalidArguments { problems }) => problems,
            other => panic!("expected invalid arguments, got {other:?}"),
        }
    }

    fn utc_clock(zone: &str) -> Result<String, String> {
        if zone == "Mars/Olympus_Mons" {
            Err("RangeError: invalid time zone".to_owned())
        } else {
            Ok(format!("2025-06-03 12:00:00 ({zone})"))
        }
    }

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

    #[test]
    fn tool_options_read_approval_and_timeout_in_camel_case() {
        let options: ToolOptions =
            serde_json::from_str(r#"{"approval":"ask","timeoutMs":5000}"#).unwrap();
        assert_eq!(
            options,
            ToolOptions {
                approval: ToolApproval::Ask,
                timeout_ms: 5000
            }
        );
        let defaults: ToolOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(defaults, ToolOptions::default());
        assert_eq!(defaults.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert!(serde_json::from_str::<ToolOptions>(r#"{"approval":"maybe"}"#).is_err());
        assert!(serde_json::from_str::<ToolOptions>(r#"{"timeoutMS":1}"#).is_err());
    }

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

    #[test]
    fn the_registry_keeps_order_replaces_by_name_and_unregisters() {
        let mut registry: ToolRegistry<u32> = ToolRegistry::new();
        assert!(registry.is_empty());
        registry
            .register_builtin(GetFlightInfo, ToolOptions::default())
            .unwrap();
        registry
            .register_external(
                ToolDefinition::new("lookup", "Looks up", json!({"type": "object"})),
                7,
                ToolOptions {
                    approval: ToolApproval::Ask,
                    timeout_ms: 1000,
                },
            )
            .unwrap();
        registry
            .register_builtin(Calculate, ToolOptions::default())
            .unwrap();
        assert_eq!(
            registry.names().collect::<Vec<_>>(),
            ["get_flight_info", "lookup", "calculate"]
        );
        let names: Vec<String> = registry.definitions().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["get_flight_info", "lookup", "calculate"]);

        let replaced = registry
            .register_external(
                ToolDefinition::new("lookup", "Looks up v2", json!({"type": "object"})),
                8,
                ToolOptions::default(),
            )
            .unwrap()
            .unwrap();
        assert!(matches!(replaced.handler, Handler::External(7)));
        assert_eq!(registry.len(), 3);
        let entry = registry.get("lookup").unwrap();
        assert!(matches!(entry.handler, Handler::External(8)));
        assert_eq!(entry.definition.description.as_deref(), Some("Looks up v2"));

        registry.get_mut("lookup").unwrap().options.approval = ToolApproval::Ask;
        assert_eq!(
            registry.get("lookup").unwrap().options.approval,
            ToolApproval::Ask
        );

        assert!(registry.unregister("lookup").is_some());
        assert!(registry.unregister("lookup").is_none());
        assert_eq!(
            registry.names().collect::<Vec<_>>(),
            ["get_flight_info", "calculate"]
        );
    }

    #[test]
    fn the_registry_refuses_invalid_definitions() {
        let mut registry: ToolRegistry<()> = ToolRegistry::new();
        let result = registry.register_external(
            ToolDefinition::new("a b", "", json!({})),
            (),
            ToolOptions::default(),
        );
        assert!(matches!(result, Err(DefinitionError::InvalidName(_))));
        assert!(registry.is_empty());
    }

    #[test]
    fn preparing_a_call_reports_unknown_tools_with_the_available_names() {
        let mut registry: ToolRegistry<()> = ToolRegistry::new();
        registry
            .register_builtin(Calculate, ToolOptions::default())
            .unwrap();
        let Err(error) = registry.prepare("get_weather", "{}") else {
            panic!("unknown tool accepted");
        };
        assert_eq!(
            error,
            ToolError::UnknownTool {
                name: "get_weather".to_owned(),
                available: vec!["calculate".to_owned()],
            }
        );
    }

    #[test]
    fn preparing_a_call_validates_arguments_for_external_tools_too() {
        let mut registry: ToolRegistry<&str> = ToolRegistry::new();
        let definition = ToolDefinition::new(
            "lookup",
            "",
            json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
        );
        registry
            .register_external(definition, "handler", ToolOptions::default())
            .unwrap();
        assert!(matches!(
            registry.prepare("lookup", r#"{"q": 1}"#),
            Err(ToolError::InvalidArguments { .. })
        ));
        let call = registry.prepare("lookup", r#"{"q": "x"}"#).unwrap();
        assert_eq!(call.arguments, json!({"q": "x"}));
        assert!(call.run_builtin().is_none());
        assert!(matches!(call.entry.handler, Handler::External("handler")));
    }

    #[test]
    fn prepared_builtin_calls_run_in_rust() {
        let mut registry: ToolRegistry<()> = ToolRegistry::new();
        registry
            .register_builtin(Calculate, ToolOptions::default())
            .unwrap();
        let call = registry
            .prepare("calculate", r#"{"expression": "6 * 7"}"#)
            .unwrap();
        let content = call.run_builtin().unwrap().unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&content).unwrap(),
            json!({"expression": "6 * 7", "result": 42})
        );
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

    #[test]
    fn calculator_follows_precedence_and_associativity() {
        let cases = [
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("10 - 4 - 3", 3.0),
            ("2 ^ 3 ^ 2", 512.0),
            ("2 ** 3", 8.0),
            ("-2 ^ 2", -4.0),
            ("2 ^ -1", 0.5),
            ("--3", 3.0),
            ("+4", 4.0),
            ("7 % 3", 1.0),
            ("-7 % 3", -1.0),
            ("8 / 2 / 2", 2.0),
            ("1.5e3 + .5", 1500.5),
            ("2E-2", 0.02),
            ("3 * -2", -6.0),
        ];
        for (expression, expected) in cases {
            assert_eq!(evaluate(expression), Ok(expected), "{expression}");
        }
    }

    #[test]
    fn calculator_functions_and_constants() {
        let close = |expression: &str, expected: f64| {
            let value = evaluate(expression).unwrap();
            assert!((value - expected).abs() < 1e-12, "{expression} = {value}");
        };
        close("sqrt(16) + abs(-2)", 6.0);
        close("round(2.5) + floor(2.7) + ceil(2.1)", 3.0 + 2.0 + 3.0);
        close("min(3, 1, 2) + max(3, 1, 2)", 4.0);
        close("pow(2, 10)", 1024.0);
        close(
            "ln(e) + log(e) + log10(1000) + log2(8) + log(8, 2)",
            1.0 + 1.0 + 3.0 + 3.0 + 3.0,
        );
        close("sin(pi / 2) + cos(0) + tan(0)", 2.0);
        close("exp(0) + PI - Pi", 1.0);
        close("Sqrt( 9 )", 3.0);
    }

    #[test]
    fn calculator_errors_are_clear() {
        let cases = [
            ("1 / 0", CalcError::DivisionByZero),
            ("5 % (2 - 2)", CalcError::DivisionByZero),
            ("0 ^ -1", CalcError::DivisionByZero),
            ("x + 1", CalcError::UnknownIdentifier("x".to_owned())),
            ("foo(1)", CalcError::UnknownIdentifier("foo".to_owned())),
            ("(1 + 2", CalcError::UnbalancedParentheses),
            ("1 + 2)", CalcError::UnbalancedParentheses),
            ("sqrt(4", CalcError::UnbalancedParentheses),
            ("1 +", CalcError::UnexpectedEnd),
            ("", CalcError::Empty),
            (
                "2 $ 3",
                CalcError::Unexpected {
                    found: '$',
                    position: 3,
                },
            ),
            (
                "2 3",
                CalcError::Unexpected {
                    found: '3',
                    position: 3,
                },
            ),
            (
                "1.2.3",
                CalcError::Unexpected {
                    found: '.',
                    position: 4,
                },
            ),
            ("sqrt(-1)", CalcError::Undefined("sqrt(-1)".to_owned())),
            ("ln(0)", CalcError::Undefined("ln(0)".to_owned())),
            ("(-8) ^ 0.5", CalcError::Undefined("-8^0.5".to_owned())),
            ("10 ^ 400", CalcError::Overflow),
            (
                "pow(1)",
                CalcError::ArgumentCount {
                    function: "pow",
                    expected: "two arguments",
                    got: 1,
                },
            ),
            (
                "sqrt(1, 2)",
                CalcError::ArgumentCount {
                    function: "sqrt",
                    expected: "one argument",
                    got: 2,
                },
            ),
        ];
        for (expression, expected) in cases {
            assert_eq!(evaluate(expression), Err(expected), "{expression}");
        }
        assert_eq!(
            CalcError::Unexpected {
                found: '$',
                position: 3
            }
            .to_string(),
            "unexpected '$' at position 3"
        );
    }

    #[test]
    fn calculator_limits_length_and_depth() {
        let long = "1+".repeat(MAX_EXPRESSION_LEN / 2) + "1";
        assert_eq!(
            evaluate(&long),
            Err(CalcError::TooLong {
                max: MAX_EXPRESSION_LEN
            })
        );
        let deep = "(".repeat(100) + "1" + &")".repeat(100);
        assert_eq!(
            evaluate(&deep),
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH
            })
        );
        let signs = "-".repeat(500) + "1";
        assert_eq!(
            evaluate(&signs),
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH
            })
        );
        let powers = "2^".repeat(300) + "1";
        assert_eq!(
            evaluate(&powers),
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH
            })
        );
        let fine = "(".repeat(20) + "1" + &")".repeat(20);
        assert_eq!(evaluate(&fine), Ok(1.0));
    }

    #[test]
    fn calculator_results_hide_binary_rounding_noise() {
        let content = Calculate
            .call_json(r#"{"expression": "0.1 + 0.2"}"#)
            .unwrap();
        assert_eq!(content, r#"{"expression":"0.1 + 0.2","result":0.3}"#);
        let content = Calculate.call_json(r#"{"expression": "2 ^ 0.5"}"#).unwrap();
        assert_eq!(
            content,
            r#"{"expression":"2 ^ 0.5","result":1.41421356237}"#
        );
        assert_eq!(
            Calculate.call_json(r#"{"expression": "1/0"}"#),
            Err(ToolError::failed(
                "could not evaluate \"1/0\": division by zero."
            ))
        );
    }

    #[test]
    fn calculator_never_panics_on_random_input() {
        const ALPHABET: &[u8] = b"0123456789.eE+-*/%^() ,piqrtsxabcdlgmn\xC3\xA9";
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(value) = evaluate(&text) {
                assert!(value.is_finite(), "{text} = {value}");
            }
        }
    }
}
