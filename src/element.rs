//! The `<foundry-chat>` custom element: the Rust core behind the JS class in `element.js`.
//! Owns the shadow root, mounts the UI on connect and unmounts it (aborting requests) on
//! disconnect, maps attributes to settings and exposes the element's properties and methods.

use std::any::Any;
use std::cell::RefCell;

use chat_core::error::ChatError;
use chat_core::image::ImageOptions;
use chat_core::request::{is_standard_key, Params};
use chat_core::tools::{ToolDefinition, ToolOptions};
use chat_core::turn::{DEFAULT_TOOL_ROUNDS, TOOL_ROUNDS};
use chat_core::types::ToolChoice;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::persist;
use crate::session::{error_to_js, to_js, ChatController};
use crate::ui;

/// The tag name of the element.
pub const TAG: &str = "foundry-chat";

#[wasm_bindgen(module = "/src/element.js")]
extern "C" {
    #[wasm_bindgen(js_name = defineFoundryChat)]
    fn define_foundry_chat(tag: &str, create: &Closure<dyn Fn(HtmlElement) -> JsValue>);
}

/// Defines the custom element (once per page).
pub fn define() {
    let create = Closure::<dyn Fn(HtmlElement) -> JsValue>::new(|host: HtmlElement| {
        JsValue::from(ElementCore::new(host))
    });
    define_foundry_chat(TAG, &create);
    // The element class keeps calling `create` for every instance, for the page's lifetime.
    create.forget();
}

thread_local! {
    static STYLESHEET: std::cell::OnceCell<web_sys::CssStyleSheet> = const { std::cell::OnceCell::new() };
}

/// The component's stylesheet, built once and adopted by every instance's shadow root
/// (a constructed sheet needs no inline `<style>`, so a strict page CSP allows it).
fn stylesheet() -> Result<web_sys::CssStyleSheet, JsValue> {
    STYLESHEET.with(|cell| {
        if let Some(sheet) = cell.get() {
            return Ok(sheet.clone());
        }
        let sheet = web_sys::CssStyleSheet::new()?;
        sheet.replace_sync(ui::STYLES)?;
        Ok(cell.get_or_init(|| sheet).clone())
    })
}

/// One element instance's Rust side.
#[wasm_bindgen]
pub struct ElementCore {
    host: HtmlElement,
    controller: ChatController,
    mounted: RefCell<Option<Box<dyn Any>>>,
    /// The `persist` key whose stored state was last loaded.
    restored: RefCell<Option<String>>,
}

#[wasm_bindgen]
impl ElementCore {
    fn new(host: HtmlElement) -> Self {
        let controller = ChatController::new(host.clone());
        Self {
            host,
            controller,
            mounted: RefCell::new(None),
            restored: RefCell::new(None),
        }
    }

    /// Loads what is stored under the `persist` key, once per key (no key: nothing is
    /// stored from now on).
    fn restore(&self) {
        let Some(key) = self
            .controller
            .settings
            .with_untracked(|s| s.persist.clone())
        else {
            self.restored.borrow_mut().take();
            self.controller.attach_library(None);
            return;
        };
        if self.restored.borrow().as_deref() == Some(key.as_str()) {
            return;
        }
        *self.restored.borrow_mut() = Some(key.clone());
        self.controller.settings.update(persist::load_settings);
        self.controller.attach_library(Some(key));
    }

    pub fn connected(&self) -> Result<(), JsValue> {
        if self.mounted.borrow().is_some() {
            return Ok(());
        }
        let root = match self.host.shadow_root() {
            Some(root) => root,
            None => {
                let init = ShadowRootInit::new(ShadowRootMode::Open);
                self.host.attach_shadow(&init)?
            }
        };
        root.set_inner_html("");
        root.set_adopted_style_sheets(&js_sys::Array::of1(&stylesheet()?.into()));
        let document = self
            .host
            .owner_document()
            .ok_or("element has no document")?;
        let container: HtmlElement = document.create_element("div")?.unchecked_into();
        container.set_class_name("fc-root");
        root.append_child(&container)?;
        self.restore();
        let controller = self.controller.clone();
        let handle = leptos::mount::mount_to(container, move || {
            save_when_changed(&controller);
            ui::App(ui::AppProps { controller })
        });
        *self.mounted.borrow_mut() = Some(Box::new(handle));
        Ok(())
    }

    pub fn disconnected(&self) {
        self.controller.stop();
        self.mounted.borrow_mut().take();
    }

    #[wasm_bindgen(js_name = attributeChanged)]
    pub fn attribute_changed(&self, name: &str, value: Option<String>) {
        self.controller.set_attribute(name, value);
        if name == "persist" && self.mounted.borrow().is_some() {
            self.restore();
        }
    }

    pub fn busy(&self) -> bool {
        self.controller.busy()
    }

    pub fn messages(&self) -> JsValue {
        self.controller.messages_js()
    }

    #[wasm_bindgen(js_name = setMessages)]
    pub fn set_messages(&self, value: JsValue) -> Result<(), JsValue> {
        self.controller.set_messages_js(value)
    }

    pub fn send(&self, text: String, options: JsValue) -> js_sys::Promise {
        self.controller.send_js(text, options)
    }

    pub fn stop(&self) {
        self.controller.stop();
    }

    pub fn clear(&self) {
        self.controller.clear();
    }

    pub fn params(&self) -> JsValue {
        to_js(
            &self
                .controller
                .settings
                .with_untracked(|s| s.params.clone()),
        )
    }

    #[wasm_bindgen(js_name = setParams)]
    pub fn set_params(&self, value: JsValue) -> Result<(), JsValue> {
        let params = parse_params(&value).map_err(|e| error_to_js(&e))?;
        self.controller.settings.update(|s| s.params = params);
        Ok(())
    }

    #[wasm_bindgen(js_name = toolChoice)]
    pub fn tool_choice(&self) -> JsValue {
        to_js(
            &self
                .controller
                .settings
                .with_untracked(|s| s.tool_choice.clone()),
        )
    }

    #[wasm_bindgen(js_name = setToolChoice)]
    pub fn set_tool_choice(&self, value: JsValue) -> Result<(), JsValue> {
        let choice = if is_unset(&value) {
            None
        } else {
            Some(from_js::<ToolChoice>("toolChoice", &value).map_err(|e| error_to_js(&e))?)
        };
        self.controller.settings.update(|s| s.tool_choice = choice);
        Ok(())
    }

    #[wasm_bindgen(js_name = maxToolRounds)]
    pub fn max_tool_rounds(&self) -> u32 {
        self.controller
            .settings
            .with_untracked(|s| s.max_tool_rounds)
    }

    #[wasm_bindgen(js_name = setMaxToolRounds)]
    pub fn set_max_tool_rounds(&self, value: JsValue) -> Result<(), JsValue> {
        let rounds = parse_rounds(&value).map_err(|e| error_to_js(&e))?;
        self.controller
            .settings
            .update(|s| s.max_tool_rounds = rounds);
        Ok(())
    }

    #[wasm_bindgen(js_name = imageOptions)]
    pub fn image_options(&self) -> JsValue {
        to_js(
            &self
                .controller
                .settings
                .with_untracked(|s| s.image_options.clone()),
        )
    }

    #[wasm_bindgen(js_name = setImageOptions)]
    pub fn set_image_options(&self, value: JsValue) -> Result<(), JsValue> {
        let options = parse_image_options(&value).map_err(|e| error_to_js(&e))?;
        self.controller
            .settings
            .update(|s| s.image_options = options);
        Ok(())
    }

    #[wasm_bindgen(js_name = extraParams)]
    pub fn extra_params(&self) -> JsValue {
        to_js(
            &self
                .controller
                .settings
                .with_untracked(|s| s.extra_params.clone()),
        )
    }

    #[wasm_bindgen(js_name = setExtraParams)]
    pub fn set_extra_params(&self, value: JsValue) -> Result<(), JsValue> {
        let extra = parse_extra_params(&value).map_err(|e| error_to_js(&e))?;
        self.controller.settings.update(|s| s.extra_params = extra);
        Ok(())
    }

    #[wasm_bindgen(js_name = tokenProvider)]
    pub fn token_provider(&self) -> JsValue {
        self.controller
            .token_provider()
            .map_or(JsValue::NULL, JsValue::from)
    }

    #[wasm_bindgen(js_name = setTokenProvider)]
    pub fn set_token_provider(&self, value: JsValue) -> Result<(), JsValue> {
        let provider = if is_unset(&value) {
            None
        } else {
            let function = value.dyn_into::<js_sys::Function>().map_err(|_| {
                error_to_js(&ChatError::invalid_input(
                    "tokenProvider",
                    "tokenProvider must be a function returning a token or a Promise of one.",
                ))
            })?;
            Some(function)
        };
        self.controller.set_token_provider(provider);
        Ok(())
    }

    /// `registerTool({name, description, parameters}, handler, {approval, timeoutMs})`.
    #[wasm_bindgen(js_name = registerTool)]
    pub fn register_tool(
        &self,
        definition: JsValue,
        handler: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let definition =
            from_js::<ToolDefinition>("definition", &definition).map_err(|e| error_to_js(&e))?;
        let handler = handler.dyn_into::<js_sys::Function>().map_err(|_| {
            error_to_js(&ChatError::invalid_input(
                "handler",
                format!(
                    "The handler of tool `{}` must be a function.",
                    definition.name
                ),
            ))
        })?;
        let options = if is_unset(&options) {
            ToolOptions::default()
        } else {
            from_js::<ToolOptions>("options", &options).map_err(|e| error_to_js(&e))?
        };
        self.controller
            .register_tool(definition, handler, options)
            .map_err(|e| error_to_js(&e))
    }

    #[wasm_bindgen(js_name = unregisterTool)]
    pub fn unregister_tool(&self, name: &str) -> bool {
        self.controller.unregister_tool(name)
    }

    /// `conversationId`: the conversation on screen.
    #[wasm_bindgen(js_name = conversationId)]
    pub fn conversation_id(&self) -> String {
        self.controller.open_id()
    }

    /// The conversation methods (`conversations()`, `openConversation(id)`, …): one entry
    /// point, `op` naming the method (see `ChatController::conversation_call`).
    #[wasm_bindgen(js_name = conversationCall)]
    pub fn conversation_call(&self, op: String, a: JsValue, b: JsValue) -> js_sys::Promise {
        let c = self.controller.clone();
        promise(async move { c.conversation_call(&op, a, b).await })
    }

    /// `modelInfo()`: what `/info` (or the `/models` entry of `model`) says.
    #[wasm_bindgen(js_name = modelInfo)]
    pub fn model_info(&self) -> js_sys::Promise {
        let controller = self.controller.clone();
        promise(async move { controller.fetch_model_info().await.map(|info| to_js(&info)) })
    }
}

/// Stores the open conversation whenever its entries change (finished entries only: the
/// streaming reply lives elsewhere). Disposed with the mounted UI.
fn save_when_changed(controller: &ChatController) {
    let controller = controller.clone();
    let entries = controller.entries.clone();
    Effect::new(move |_| {
        entries.track();
        controller.entries_changed();
    });
}

/// A promise of `work`'s value; its error rejects it as an error object.
fn promise(
    work: impl std::future::Future<Output = Result<JsValue, ChatError>> + 'static,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { work.await.map_err(|e| error_to_js(&e)) })
}

pub(crate) fn is_unset(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// Reads a JS value through JSON into `T`; the error names `field`.
pub(crate) fn from_js<T: DeserializeOwned>(field: &str, value: &JsValue) -> Result<T, ChatError> {
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            ChatError::invalid_input(field, format!("{field} cannot be read as JSON."))
        })?;
    serde_json::from_str(&json)
        .map_err(|e| ChatError::invalid_input(field, format!("{field} is not valid: {e}.")))
}

/// A plain object (or null/undefined: empty) for `field`.
fn object_from_js(field: &str, value: &JsValue) -> Result<Map<String, Value>, ChatError> {
    if is_unset(value) {
        return Ok(Map::new());
    }
    match from_js::<Value>(field, value)? {
        Value::Object(map) => Ok(map),
        _ => Err(ChatError::invalid_input(
            field,
            format!("{field} must be an object."),
        )),
    }
}

fn parse_params(value: &JsValue) -> Result<Params, ChatError> {
    if is_unset(value) {
        return Ok(Params::default());
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(ChatError::invalid_input(
            "params",
            "params must be an object.",
        ));
    }
    // `Params` refuses unknown keys itself; this names the first one in our own words.
    let keys = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>());
    if let Some(key) = keys
        .iter()
        .filter_map(|k| k.as_string())
        .find(|k| !Params::KEYS.contains(&k.as_str()))
    {
        return Err(ChatError::invalid_input(
            key.clone(),
            format!(
                "params has no `{key}` (it takes {}); put other body keys in extraParams.",
                Params::KEYS.join(", ")
            ),
        ));
    }
    let params = from_js::<Params>("params", value)?;
    params.validate()?;
    Ok(params)
}

fn parse_extra_params(value: &JsValue) -> Result<Map<String, Value>, ChatError> {
    let map = object_from_js("extraParams", value)?;
    if let Some(key) = map.keys().find(|k| is_standard_key(k)) {
        return Err(ChatError::invalid_input(
            key.clone(),
            format!("`{key}` is a standard parameter: set it through params, not extraParams."),
        ));
    }
    Ok(map)
}

fn parse_rounds(value: &JsValue) -> Result<u32, ChatError> {
    if is_unset(value) {
        return Ok(DEFAULT_TOOL_ROUNDS);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= 0.0 && TOOL_ROUNDS.contains(&(n as u32)) => {
            Ok(n as u32)
        }
        _ => Err(ChatError::invalid_input(
            "maxToolRounds",
            format!(
                "maxToolRounds must be a whole number from {} to {}.",
                TOOL_ROUNDS.start(),
                TOOL_ROUNDS.end()
            ),
        )),
    }
}

fn parse_image_options(value: &JsValue) -> Result<ImageOptions, ChatError> {
    if is_unset(value) {
        return Ok(ImageOptions::default());
    }
    let options = from_js::<ImageOptions>("imageOptions", value)?;
    options
        .validate()
        .map_err(|e| ChatError::invalid_input("imageOptions", e.to_string()))?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::js::parse_entries;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn js(json: &str) -> JsValue {
        js_sys::JSON::parse(json).expect("test JSON")
    }

    #[wasm_bindgen_test]
    fn params_take_the_documented_keys_and_name_a_wrong_one() {
        let params = parse_params(&js(r#"{"temperature":0.2,"stop":["x"]}"#)).expect("valid");
        assert_eq!(params.temperature, Some(0.2));
        let typo = parse_params(&js(r#"{"temprature":1}"#)).expect_err("unknown key");
        assert_eq!(typo.param.as_deref(), Some("temprature"));
        let range = parse_params(&js(r#"{"top_p":3}"#)).expect_err("out of range");
        assert_eq!(range.param.as_deref(), Some("top_p"));
        assert_eq!(parse_params(&JsValue::NULL), Ok(Params::default()));
        assert!(parse_params(&js("[1]")).is_err());
    }

    #[wasm_bindgen_test]
    fn extra_params_refuse_standard_keys_and_non_objects() {
        let extra = parse_extra_params(&js(r#"{"safe_prompt":true}"#)).expect("valid");
        assert_eq!(extra.get("safe_prompt"), Some(&Value::Bool(true)));
        let clash = parse_extra_params(&js(r#"{"temperature":1}"#)).expect_err("standard key");
        assert_eq!(clash.param.as_deref(), Some("temperature"));
        assert!(parse_extra_params(&JsValue::from_str("x")).is_err());
    }

    #[wasm_bindgen_test]
    fn max_tool_rounds_is_a_whole_number_from_1_to_100() {
        assert_eq!(parse_rounds(&JsValue::UNDEFINED), Ok(8));
        assert_eq!(parse_rounds(&JsValue::from_f64(3.0)), Ok(3));
        for bad in [0.0, 2.5, 101.0, f64::NAN] {
            assert!(parse_rounds(&JsValue::from_f64(bad)).is_err(), "{bad}");
        }
        assert!(parse_rounds(&JsValue::from_str("3")).is_err());
    }

    #[wasm_bindgen_test]
    fn a_saved_transcript_is_read_back_and_duplicate_ids_are_refused() {
        let entries = parse_entries(&js(
            r#"[{"id":"u1","role":"user","content":"hi"},{"id":"a1","role":"assistant","content":"yo","stopped":true}]"#,
        ))
        .expect("valid transcript");
        assert_eq!(entries.len(), 2);
        assert!(entries[1].stopped);
        let twice = parse_entries(&js(
            r#"[{"id":"x","role":"user","content":"a"},{"id":"x","role":"user","content":"b"}]"#,
        ))
        .expect_err("duplicate id");
        assert!(twice.message.contains("used twice"));
        assert!(parse_entries(&js(r#"{"id":"x"}"#)).is_err());
        assert!(parse_entries(&js(r#"[{"role":"user","content":"no id"}]"#)).is_err());
    }

    #[wasm_bindgen_test]
    fn image_options_are_validated() {
        assert!(parse_image_options(&js(r#"{"maxEdge":1024}"#)).is_ok());
        assert!(parse_image_options(&js(r#"{"maxEdge":0}"#)).is_err());
        assert!(parse_image_options(&js(r#"{"colour":"red"}"#)).is_err());
    }
}
