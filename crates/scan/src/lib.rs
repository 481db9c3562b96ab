//! The byte scanners of a streamed reply: the SSE decoder (re-exported as `chat_core::sse`)
//! and the JSON string-literal reader behind the stream accumulator's chunk shape memo.
//!
//! They are a crate of their own so that the release wasm can compile them at opt-level 3
//! (`[profile.release.package.chat-scan]` in the root Cargo.toml) while the rest of the wasm
//! is compiled for size: they run on every byte of every stream (BENCHMARKS.md, Decoder).

pub mod literal;
pub mod sse;
