//! Tools in the session: the host page's `registerTool` handlers, and one tool round of a
//! turn — the enabled built-ins and those handlers, run concurrently with argument checks,
//! approval (the user's typed [`Decision`]), timeouts and cancellation. Every failure
//! becomes a result the model can read, shown to the user too.

use chat_core::error::ChatError;
use chat_core::tools::{
    BuiltinTool, Calculate, GetCurrentTime, GetFlightInfo, Handler, PreparedCall, ToolApproval,
    ToolDefinition, ToolError, ToolOptions, ToolRegistry,
};
use chat_core::transcript::Entry;
use chat_core::types::{Message, ToolCall};
use futures_util::future::{join_all, select, Either};
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use super::exchange::{abort_future, now_ms};
use super::{to_js, ChatController};
use crate::client;

/// Where one tool call stands, for its card.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolState {
    /// Waiting for its turn (another call of the round is asking for approval).
    Pending,
    /// Waiting for the user's Allow / Deny.
    Asking,
    Running,
    Done,
    /// Failed, declined, timed out or cancelled: the sentence shown to the user.
    Failed(String),
}

/// The state and duration of one call, by call id.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolRun {
    pub state: ToolState,
    pub duration_ms: Option<f64>,
}

/// The user's answer on an approval card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    AllowOnce,
    AlwaysAllow,
    Deny,
}

/// An approval card on screen: the user's decision once made, and the resolve function of
/// the promise the tool round awaits (the decision itself never crosses into JS).
pub(super) struct Approval {
    decision: Option<Decision>,
    wake: js_sys::Function,
}

/// `chat-tool-call`'s detail.
#[derive(Serialize)]
struct ToolCallEvent<'a> {
    id: &'a str,
    name: &'a str,
    /// The model's arguments text, as received.
    arguments: &'a str,
    /// The tool message's content (null when the call failed).
    result: Option<&'a str>,
    /// Why the call failed, in plain words (null when it succeeded).
    error: Option<String>,
    duration_ms: f64,
}

/// The tools one round can call: the enabled built-ins, then the host page's tools (a host
/// tool replaces a built-in of the same name).
pub(super) fn round_registry(
    builtins: &[BuiltinTool],
    host: &ToolRegistry<js_sys::Function>,
) -> ToolRegistry<js_sys::Function> {
    let mut registry = ToolRegistry::new();
    for tool in builtins {
        let options = ToolOptions::default();
        // Built-in definitions are valid by construction.
        let _ = match tool {
            BuiltinTool::GetFlightInfo => registry.register_builtin(GetFlightInfo, options),
            BuiltinTool::GetCurrentTime => registry.register_builtin(
                GetCurrentTime {
                    format: local_time as fn(&str) -> Result<String, String>,
                },
                options,
            ),
            BuiltinTool::Calculate => registry.register_builtin(Calculate, options),
        };
    }
    for name in host.names() {
        if let Some(entry) = host.get(name) {
            if let Handler::External(handler) = &entry.handler {
                let _ = registry.register_external(
                    entry.definition.clone(),
                    handler.clone(),
                    entry.options,
                );
            }
        }
    }
    registry
}

/// The request's `tools` array for `registry`: its definitions, already in wire form.
pub(super) fn wire_definitions(registry: &ToolRegistry<js_sys::Function>) -> Vec<ToolDefinition> {
    registry.definitions()
}

impl ChatController {
    /// Registers a host-page tool (replacing one of the same name); the tool loop runs it.
    pub fn register_tool(
        &self,
        definition: ToolDefinition,
        handler: js_sys::Function,
        options: ToolOptions,
    ) -> Result<(), ChatError> {
        self.inner
            .host_tools
            .borrow_mut()
            .register_external(definition, handler, options)
            .map(|_| ())
            .map_err(|e| ChatError::invalid_input("definition", e.to_string()))
    }

    /// Removes a host-page tool; false when there was none of that name.
    pub fn unregister_tool(&self, name: &str) -> bool {
        self.inner
            .host_tools
            .borrow_mut()
            .unregister(name)
            .is_some()
    }

    /// Runs every call of one reply concurrently and returns one `tool` entry per call, in
    /// the order of the calls.
    pub(super) async fn run_tool_round(
        &self,
        registry: &ToolRegistry<js_sys::Function>,
        calls: &[ToolCall],
    ) -> Vec<Entry> {
        self.tool_runs.update(|runs| {
            for call in calls {
                runs.insert(call.id.clone(), run(ToolState::Pending, None));
            }
        });
        let contents = join_all(calls.iter().map(|call| self.run_call(registry, call))).await;
        calls
            .iter()
            .zip(contents)
            .map(|(call, content)| Entry::new(self.new_id(), Message::tool(&call.id, content)))
            .collect()
    }

    /// Runs one call; returns the tool message's content.
    async fn run_call(&self, registry: &ToolRegistry<js_sys::Function>, call: &ToolCall) -> String {
        let start = now_ms();
        let outcome = match registry.prepare(&call.function.name, &call.function.arguments) {
            Ok(prepared) => self.approve_and_run(call, &prepared).await,
            Err(e) => Err(e),
        };
        let duration_ms = (now_ms() - start).round();
        let (content, failure) = match outcome {
            Ok(content) => (content, None),
            Err(e) => (e.to_content(), Some(e.to_string())),
        };
        let state = match &failure {
            Some(message) => ToolState::Failed(message.clone()),
            None => ToolState::Done,
        };
        self.tool_runs
            .update(|runs| _ = runs.insert(call.id.clone(), run(state, Some(duration_ms))));
        self.emit(
            "chat-tool-call",
            &ToolCallEvent {
                id: &call.id,
                name: &call.function.name,
                arguments: &call.function.arguments,
                result: failure.is_none().then_some(content.as_str()),
                error: failure,
                duration_ms,
            },
        );
        content
    }

    async fn approve_and_run(
        &self,
        call: &ToolCall,
        prepared: &PreparedCall<'_, js_sys::Function>,
    ) -> Result<String, ToolError> {
        let name = &prepared.entry.definition.name;
        let ask = prepared.entry.options.approval == ToolApproval::Ask
            && !self.inner.always_allowed.borrow().contains(name);
        if ask {
            self.set_tool_state(&call.id, ToolState::Asking);
            self.announcement.set(format!(
                "The assistant wants to run the tool {name}: allow or deny it."
            ));
            match self.ask_user(&call.id).await {
                Some(Decision::AllowOnce) => {}
                Some(Decision::AlwaysAllow) => {
                    self.inner.always_allowed.borrow_mut().insert(name.clone());
                }
                Some(Decision::Deny) => return Err(ToolError::Declined),
                None => return Err(ToolError::Cancelled),
            }
        }
        if self.inner.stop_requested.get() {
            return Err(ToolError::Cancelled);
        }
        self.set_tool_state(&call.id, ToolState::Running);
        if let Some(result) = prepared.run_builtin() {
            return result;
        }
        let Handler::External(handler) = &prepared.entry.handler else {
            return Err(ToolError::failed("the tool has no handler"));
        };
        self.run_handler(
            handler,
            &prepared.arguments,
            prepared.entry.options.timeout_ms,
        )
        .await
    }

    /// Calls a host-page handler as `handler(args, {signal})` and waits for its (possibly
    /// promised) result, at most `timeout_ms`; Stop and the timeout fire the signal.
    async fn run_handler(
        &self,
        handler: &js_sys::Function,
        arguments: &serde_json::Value,
        timeout_ms: u32,
    ) -> Result<String, ToolError> {
        let controller =
            web_sys::AbortController::new().map_err(|e| ToolError::failed(client::describe(&e)))?;
        let signal = controller.signal();
        self.inner.tool_aborts.borrow_mut().push(controller.clone());
        let context = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&context, &"signal".into(), &signal);
        let returned = handler
            .call2(&JsValue::UNDEFINED, &to_js(arguments), &context)
            .map_err(|e| ToolError::failed(client::describe(&e)))?;
        let result = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&returned));
        let timer = gloo_timers::future::TimeoutFuture::new(timeout_ms);
        let stopped = abort_future(&signal);
        futures_util::pin_mut!(result, stopped);
        let outcome = match select(result, select(timer, stopped)).await {
            Either::Left((Ok(value), _)) => encode_result(&value),
            Either::Left((Err(e), _)) => Err(ToolError::failed(client::describe(&e))),
            Either::Right((Either::Left(_), _)) => {
                controller.abort();
                Err(ToolError::Timeout { timeout_ms })
            }
            Either::Right((Either::Right(_), _)) => Err(ToolError::Cancelled),
        };
        self.inner
            .tool_aborts
            .borrow_mut()
            .retain(|c| c != &controller);
        // A handler that rejects because Stop fired its signal was cancelled, not failed.
        match outcome {
            Err(_) if self.inner.stop_requested.get() => Err(ToolError::Cancelled),
            other => other,
        }
    }

    /// Waits for the user's decision on the approval card of `call_id`; `None` after Stop.
    async fn ask_user(&self, call_id: &str) -> Option<Decision> {
        let mut settle = None;
        let promise = js_sys::Promise::new(&mut |resolve, _| settle = Some(resolve));
        if let Some(wake) = settle {
            self.inner.approvals.borrow_mut().insert(
                call_id.to_owned(),
                Approval {
                    decision: None,
                    wake,
                },
            );
        }
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        // Stop removes the card without a decision.
        self.inner.approvals.borrow_mut().remove(call_id)?.decision
    }

    /// The user's answer on the approval card of `call_id` (the first answer counts).
    pub fn decide_tool(&self, call_id: &str, decision: Decision) {
        let wake = self
            .inner
            .approvals
            .borrow_mut()
            .get_mut(call_id)
            .filter(|approval| approval.decision.is_none())
            .map(|approval| {
                approval.decision = Some(decision);
                approval.wake.clone()
            });
        if let Some(wake) = wake {
            let _ = wake.call0(&JsValue::NULL);
        }
    }

    /// Stop during a tool round: pending approvals end, running handlers' signals fire.
    pub(super) fn cancel_tools(&self) {
        let approvals: Vec<Approval> = self
            .inner
            .approvals
            .borrow_mut()
            .drain()
            .map(|(_, approval)| approval)
            .collect();
        for approval in approvals {
            let _ = approval.wake.call0(&JsValue::NULL);
        }
        let aborts = std::mem::take(&mut *self.inner.tool_aborts.borrow_mut());
        for controller in aborts {
            controller.abort();
        }
    }

    fn set_tool_state(&self, call_id: &str, state: ToolState) {
        self.tool_runs
            .update(|runs| _ = runs.insert(call_id.to_owned(), run(state, None)));
    }
}

fn run(state: ToolState, duration_ms: Option<f64>) -> ToolRun {
    ToolRun { state, duration_ms }
}

/// A handler's answer as the tool message's content: a string as is, anything else as JSON
/// (`undefined` as `null`), as `tool_result_content` does for built-ins.
fn encode_result(value: &JsValue) -> Result<String, ToolError> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_undefined() {
        return Ok("null".to_owned());
    }
    // JSON.stringify keeps the handler's key order (serde_json would sort the keys).
    js_sys::JSON::stringify(value)
        .map_err(|e| {
            ToolError::failed(format!(
                "its result cannot be sent as JSON ({})",
                client::describe(&e)
            ))
        })?
        .as_string()
        .ok_or_else(|| ToolError::failed("its result cannot be sent as JSON"))
}

/// The date and time in an IANA time zone, formatted by the browser's `Intl`.
fn local_time(zone: &str) -> Result<String, String> {
    let options = js_sys::Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("dateStyle", "full"),
        ("timeStyle", "long"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let args = js_sys::Array::of2(&"en-US".into(), &options);
    let constructor: js_sys::Function =
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
            .constructor();
    let format = js_sys::Reflect::construct(&constructor, &args)
        .map_err(|_| format!("{zone:?} is not a time zone this browser knows"))?
        .unchecked_into::<js_sys::Intl::DateTimeFormat>();
    format
        .format()
        .call1(&JsValue::UNDEFINED, &js_sys::Date::new_0())
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "the browser could not format the time".to_owned())
}

/// The result of the tool call `call_id` in `entries` (the content of its `tool` entry).
pub fn tool_result(entries: &[Entry], call_id: &str) -> Option<String> {
    entries.iter().find_map(|e| match &e.message {
        Message::Tool {
            tool_call_id,
            content,
            ..
        } if tool_call_id == call_id => Some(content.text()),
        _ => None,
    })
}

/// The call answered by the tool entry `call_id`, from the assistant entries of `entries`.
pub fn tool_call(entries: &[Entry], call_id: &str) -> Option<ToolCall> {
    entries.iter().rev().find_map(|e| match &e.message {
        Message::Assistant {
            tool_calls: Some(calls),
            ..
        } => calls.iter().find(|c| c.id == call_id).cloned(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_calculator_uses_the_browsers_math_with_the_native_results() {
        use chat_core::tools::{evaluate, CalcError};
        for (expression, expected) in [
            ("sin(pi / 2) + cos(0) + tan(0)", 2.0),
            ("2 ^ 10 + pow(9, 0.5)", 1027.0),
            ("ln(e) + log(8, 2) + log10(1000) + log2(64)", 13.0),
            ("exp(0) + exp(1)", 1.0 + std::f64::consts::E),
            ("round(sin(1) * 1e6)", 841_471.0),
        ] {
            let value = evaluate(expression).expect(expression);
            assert!((value - expected).abs() < 1e-9, "{expression} = {value}");
        }
        assert_eq!(
            evaluate("(-8) ^ 0.5"),
            Err(CalcError::Undefined("-8^0.5".to_owned()))
        );
        assert_eq!(
            evaluate("ln(0)"),
            Err(CalcError::Undefined("ln(0)".to_owned()))
        );
    }

    #[wasm_bindgen_test]
    fn local_time_uses_intl_and_refuses_unknown_zones() {
        let utc = local_time("UTC").expect("UTC is known");
        assert!(utc.contains("UTC"), "{utc}");
        let paris = local_time("Europe/Paris").expect("Paris is known");
        assert!(
            paris.contains("GMT+1") || paris.contains("GMT+2"),
            "{paris}"
        );
        let refused = local_time("Mars/Olympus_Mons").expect_err("not a zone");
        assert!(refused.contains("Mars/Olympus_Mons"));
    }

    #[wasm_bindgen_test]
    fn a_round_offers_the_enabled_builtins_then_the_host_tools_which_win_on_a_name_clash() {
        let mut host = ToolRegistry::new();
        let handler = js_sys::Function::new_no_args("return 1");
        let own = ToolDefinition::new(
            "calculate",
            "The page's own calculator",
            serde_json::json!({}),
        );
        let _ = host.register_external(own, handler.clone(), ToolOptions::default());
        let lookup = ToolDefinition::new("lookup", "Looks up", serde_json::json!({}));
        let _ = host.register_external(lookup, handler, ToolOptions::default());
        let registry = round_registry(&[BuiltinTool::GetFlightInfo, BuiltinTool::Calculate], &host);
        let names: Vec<&str> = registry.names().collect();
        assert_eq!(names, ["get_flight_info", "calculate", "lookup"]);
        let wire = wire_definitions(&registry);
        assert_eq!(
            wire[1].description.as_deref(),
            Some("The page's own calculator")
        );
        assert!(matches!(
            registry.get("calculate").map(|e| &e.handler),
            Some(Handler::External(_))
        ));
    }

    #[wasm_bindgen_test]
    fn handler_results_are_sent_as_strings_or_json_in_the_handlers_key_order() {
        assert_eq!(
            encode_result(&"plain".into()).ok().as_deref(),
            Some("plain")
        );
        assert_eq!(
            encode_result(&JsValue::UNDEFINED).ok().as_deref(),
            Some("null")
        );
        let object = js_sys::JSON::parse(r#"{"z":1,"a":[true]}"#).expect("json");
        assert_eq!(
            encode_result(&object).ok().as_deref(),
            Some(r#"{"z":1,"a":[true]}"#)
        );
        let cyclic = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&cyclic, &"me".into(), &cyclic);
        assert!(matches!(
            encode_result(&cyclic),
            Err(ToolError::Failed { .. })
        ));
    }
}
