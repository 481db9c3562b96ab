#!/usr/bin/env bash
# Builds bench/decoder-wasm (chat-core's SSE decoder + accumulator) for the browser, twice:
#   pkg/     the app's release profile (opt-level "z") + wasm-opt -Oz: what the component ships;
#   pkg-o3/  opt-level 3 + wasm-opt -O3: what the same code does when built for speed.
# cargo (wasm32) → wasm-bindgen --target web → wasm-opt.
set -euo pipefail
cd "$(dirname "$0")/decoder-wasm"
FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
WASM_OPT=../../node_modules/.bin/wasm-opt
build() { # <out dir> <cargo opt-level> <wasm-opt level> <target dir>
  CARGO_PROFILE_RELEASE_OPT_LEVEL="$2" CARGO_TARGET_DIR="$4" \
    cargo build --release --target wasm32-unknown-unknown
  wasm-bindgen --target web --out-dir "$1" "$4/wasm32-unknown-unknown/release/decoder_wasm.wasm"
  "$WASM_OPT" "$3" "${FEATURES[@]}" "$1/decoder_wasm_bg.wasm" -o "$1/decoder_wasm_bg.wasm"
}
build pkg z -Oz target
build pkg-o3 3 -O3 target/o3
