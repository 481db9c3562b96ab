//! The `<foundry-chat>` custom element: the Rust core behind the JS class in `element.js`.
//! Owns the shadow root, mounts the UI on connect and unmounts it (aborting requests) on
//! disconnect, maps attributes to settings and exposes the element's properties and methods.

use std::any::Any;
use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::session::ChatController;
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
}

#[wasm_bindgen]
impl ElementCore {
    fn new(host: HtmlElement) -> Self {
        let controller = ChatController::new(host.clone());
        Self {
            host,
            controller,
            mounted: RefCell::new(None),
        }
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
        let controller = self.controller.clone();
        let handle =
            leptos::mount::mount_to(container, move || ui::App(ui::AppProps { controller }));
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
}
