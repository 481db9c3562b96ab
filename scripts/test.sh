#!/usr/bin/env bash
# One command that runs every check: formatting, clippy (native and wasm), native tests,
# wasm-bindgen tests in headless Chromium, the bundle budget, and end-to-end tests in
# headless Chromium against the dev server. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy -p chat-scan -p chat-core -p chat-markdown -p dev-server --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy --target wasm32-unknown-unknown -p foundry-chat --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p chat-scan -p chat-core -p chat-markdown --lib -- -D warnings

step "native tests"
cargo test -p chat-scan -p chat-core -p chat-markdown -p dev-server
# the markdown crate as the app links it (common entity names only)
cargo test -p chat-markdown --no-default-features

step "wasm-bindgen tests (headless Chromium)"
CHROMEDRIVER="$(command -v chromedriver)" WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown -p foundry-chat

step "release build"
scripts/build.sh
cargo build -p dev-server

step "bundle budget"
node bench/bundle-size.mjs --check

step "end-to-end tests (headless Chromium against the dev server)"
node --test --test-concurrency=1 e2e/
