//! Pure protocol logic of foundry-chat: everything that can be decided without a browser.
//! No web-sys / js-sys / wasm-bindgen anywhere in this crate's dependency tree.

pub mod error;
pub mod image;
pub mod number;
pub mod request;
pub mod sse;
pub mod stream;
pub mod tools;
pub mod transcript;
pub mod types;
