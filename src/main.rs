//! foundry-chat: defines the `<foundry-chat>` custom element; the standalone page uses it too.

mod client;
mod element;
mod images;
mod persist;
mod session;
mod settings;
mod ui;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn main() {
    element::define();
}
