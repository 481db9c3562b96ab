#!/usr/bin/env bash
# Builds bench/images/base64-wasm (chat-core's data-URL encoder) for the browser exactly like
# the app's release build: opt-level "z", fat LTO, the environment of scripts/release-env.sh,
# then wasm-bindgen --target web and wasm-opt -Oz --low-memory-unused (npm binaryen 132).
# Output: bench/images/base64-wasm/pkg/.
set -euo pipefail
cd "$(dirname "$0")/base64-wasm"
FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
(
  # shellcheck source=scripts/release-env.sh
  . ../../../scripts/release-env.sh
  cargo build --release --target wasm32-unknown-unknown
)
wasm-bindgen --target web --out-dir pkg target/wasm32-unknown-unknown/release/base64_wasm.wasm
../../../node_modules/.bin/wasm-opt -Oz --low-memory-unused "${FEATURES[@]}" pkg/base64_wasm_bg.wasm -o pkg/base64_wasm_bg.wasm
