//! Pure protocol logic of foundry-chat: everything that can be decided without a browser.
//! No web-sys / js-sys / wasm-bindgen anywhere in this crate's dependency tree.

pub mod sse;
