//! Pure protocol logic of foundry-chat: everything that can be decided without a browser.
//! No web-sys / js-sys / wasm-bindgen anywhere in this crate's dependency tree.
//!
//! The SSE decoder lives in `chat-scan` (compiled for speed) and is re-exported as [`sse`].
//! The release wasm is built with `--cfg optimize_hot` (scripts/release-env.sh): the stream
//! accumulator's per-event path is then compiled for speed inside a wasm that is otherwise
//! compiled for size (BENCHMARKS.md, Decoder).

#![cfg_attr(optimize_hot, feature(optimize_attribute))]

pub mod conversation;
pub mod error;
pub mod image;
mod math;
pub mod named;
pub mod number;
pub mod request;
pub mod responses;
pub use chat_scan::sse;
pub mod stream;
pub mod tools;
pub mod transcript;
pub mod turn;
pub mod types;
