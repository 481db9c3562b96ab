//! The JS boundary of the session: the `send()` promise and its waiters, the `messages`
//! property, events on the host element, and the conversions of values to JS.

use chat_core::error::ChatError;
use chat_core::transcript::Entry;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::ChatController;
use crate::images::{self, ImageRefusal, ProcessedImage};

/// The settle functions of one `send()` promise.
pub(super) struct Waiter {
    resolve: js_sys::Function,
    reject: js_sys::Function,
}

impl Waiter {
    /// Rejects the promise with `error`.
    fn fail(self, error: &ChatError) {
        let _ = self.reject.call1(&JsValue::NULL, &error_to_js(error));
    }
}

impl ChatController {
    /// Dispatches a bubbling, composed `CustomEvent` on the host element.
    pub(super) fn emit(&self, name: &str, detail: &impl serde::Serialize) {
        let detail = to_js(detail);
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&detail);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.inner.host.dispatch_event(&event);
        }
    }

    pub fn messages_js(&self) -> JsValue {
        to_js(&self.entries.get_untracked())
    }

    /// Replaces the transcript (a saved one being restored); a reply in progress is stopped.
    pub fn set_messages_js(&self, value: JsValue) -> Result<(), JsValue> {
        let entries = parse_entries(&value).map_err(|e| error_to_js(&e))?;
        self.set_entries(entries);
        Ok(())
    }

    /// `send(text, {images})`: resolves with the final assistant entry once the turn is
    /// over (the partial one, `stopped: true`, after a stop); rejects with the error. The
    /// images go through the composer's pipeline first; a refused one rejects the promise
    /// (`invalid_input`, naming the image) and nothing is sent, as does (`aborted`) a
    /// `clear()` or a new `messages` while they are being prepared.
    pub fn send_js(&self, text: String, options: JsValue) -> js_sys::Promise {
        let mut settle = None;
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            settle = Some(Waiter { resolve, reject });
        });
        let Some(waiter) = settle else {
            return promise;
        };
        let image_options = self.settings.with_untracked(|s| s.image_options.clone());
        let images = if options.is_object() {
            js_sys::Reflect::get(&options, &JsValue::from_str("images")).unwrap_or_default()
        } else {
            JsValue::UNDEFINED
        };
        let sources = match images::from_js(&images, &image_options) {
            Ok(sources) => sources,
            Err(refusal) => {
                waiter.fail(&image_error(&refusal));
                return promise;
            }
        };
        if sources.is_empty() {
            self.send_and_wait(text, Vec::new(), waiter);
            return promise;
        }
        if let Err(e) = self.ensure_idle() {
            waiter.fail(&e);
            return promise;
        }
        let this = self.clone();
        let epoch = self.inner.epoch.get();
        wasm_bindgen_futures::spawn_local(async move {
            let mut ready = Vec::with_capacity(sources.len());
            for (blob, name) in sources {
                match images::process(&blob, &name, &image_options).await {
                    Ok(image) => ready.push(image),
                    Err(refusal) => return waiter.fail(&image_error(&refusal)),
                }
            }
            // The conversation was cleared or replaced meanwhile: the message belonged to
            // the old one.
            if this.inner.epoch.get() != epoch {
                return waiter.fail(&ChatError::aborted());
            }
            this.send_and_wait(text, ready, waiter);
        });
        promise
    }

    /// Sends the message; `waiter` is settled when the turn is over, or now if refused.
    fn send_and_wait(&self, text: String, images: Vec<ProcessedImage>, waiter: Waiter) {
        match self.send_message(text, images) {
            Ok(()) => self.inner.waiters.borrow_mut().push(waiter),
            Err(e) => waiter.fail(&e),
        }
    }

    /// Settles the waiting `send()` promises with the turn's last entry. Called once the
    /// whole turn (every tool round) is over.
    pub(super) fn settle(&self, entry: &Entry) {
        let waiters = std::mem::take(&mut *self.inner.waiters.borrow_mut());
        for waiter in waiters {
            let _ = match &entry.error {
                Some(error) => waiter.reject.call1(&JsValue::NULL, &error_to_js(error)),
                None => waiter.resolve.call1(&JsValue::NULL, &to_js(entry)),
            };
        }
    }
}

/// Parses a transcript given to `messages`: an array of entries with unique ids.
pub fn parse_entries(value: &JsValue) -> Result<Vec<Entry>, ChatError> {
    let invalid = |message: String| ChatError::invalid_input("messages", message);
    if !js_sys::Array::is_array(value) {
        return Err(invalid(
            "messages must be an array of transcript entries.".into(),
        ));
    }
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| invalid("messages cannot be read as JSON.".into()))?;
    let entries: Vec<Entry> = serde_json::from_str(&json)
        .map_err(|e| invalid(format!("messages is not a valid transcript: {e}.")))?;
    let mut seen = std::collections::HashSet::new();
    for entry in &entries {
        if entry.id.is_empty() {
            return Err(invalid("every entry needs a non-empty `id`.".into()));
        }
        if !seen.insert(entry.id.as_str()) {
            return Err(invalid(format!("the id `{}` is used twice.", entry.id)));
        }
    }
    Ok(entries)
}

/// A refused `send()` image as the error `send()` rejects with.
fn image_error(refusal: &ImageRefusal) -> ChatError {
    ChatError::invalid_input("images", refusal.to_string())
}

/// Serializes to a plain JS object (through JSON: no extra dependency).
pub fn to_js(value: &impl serde::Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

/// An `Error` carrying the error object's fields, for rejected promises.
pub fn error_to_js(error: &ChatError) -> JsValue {
    let js = js_sys::Error::new(&error.message);
    if let Some(fields) = to_js(error).dyn_ref::<js_sys::Object>() {
        let _ = js_sys::Object::assign(js.unchecked_ref(), fields);
    }
    js.into()
}

#[cfg(test)]
mod tests {
    use super::super::tests::controller;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn messages_round_trip_through_the_js_property() {
        let c = controller();
        let value = js_sys::JSON::parse(
            r#"[{"id":"u1","role":"user","content":"hi"},{"id":"a1","role":"assistant","content":"yo","finish_reason":"stop","stopped":true}]"#,
        )
        .expect("json");
        c.set_messages_js(value).expect("valid messages");
        let back = js_sys::JSON::stringify(&c.messages_js())
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        assert_eq!(
            back,
            r#"[{"id":"u1","role":"user","content":"hi"},{"id":"a1","role":"assistant","content":"yo","finish_reason":"stop","stopped":true}]"#
        );
        let bad = js_sys::JSON::parse(r#"[{"role":"wizard"}]"#).expect("json");
        assert!(c.set_messages_js(bad).is_err());
    }
}
