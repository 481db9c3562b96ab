#!/usr/bin/env bash
# Builds bench/decoder-wasm (chat-core's SSE decoder + accumulator) for the browser, twice:
#   pkg/     exactly like the app's release wasm (its profile: opt-level "z" with the per-package
#            overrides of the root Cargo.toml repeated in decoder-wasm's, the environment of
#            scripts/release-env.sh, wasm-opt -Oz --low-memory-unused): what the component ships;
#   pkg-o3/  everything at opt-level 3 + wasm-opt -O3: what the same code does when built for speed.
# cargo (wasm32) → wasm-bindgen --target web → wasm-opt.
set -euo pipefail
cd "$(dirname "$0")/decoder-wasm"
FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
WASM_OPT=../../node_modules/.bin/wasm-opt
build() { # <out dir> <target dir> <wasm-opt options…>
  cargo build --release --target wasm32-unknown-unknown --target-dir "$2"
  wasm-bindgen --target web --out-dir "$1" "$2/wasm32-unknown-unknown/release/decoder_wasm.wasm"
  "$WASM_OPT" "${@:3}" "${FEATURES[@]}" "$1/decoder_wasm_bg.wasm" -o "$1/decoder_wasm_bg.wasm"
}
(
  # shellcheck source=scripts/release-env.sh
  . ../../scripts/release-env.sh
  build pkg target -Oz --low-memory-unused # as index.html's data-wasm-opt(-params)
)
CARGO_PROFILE_RELEASE_OPT_LEVEL=3 build pkg-o3 target/o3 -O3
