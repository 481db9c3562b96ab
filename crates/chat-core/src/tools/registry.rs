//! The registry of callable tools, built-in and host-page, by name in registration order:
//! their options (approval, timeout) and the lookup and argument check before a call runs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{validate_arguments, DefinitionError, DynTool, ToolDefinition, ToolError};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{Calculate, GetFlightInfo};
    use serde_json::json;

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
}
