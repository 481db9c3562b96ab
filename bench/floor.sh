#!/usr/bin/env bash
# What the chosen stack weighs before any feature (BENCHMARKS.md, Bundle, "The floor"):
# bench/floor is a Leptos CSR view with a textarea, a Send button and a keyed list, built
# exactly like the app (scripts/release-env.sh, the release profile, wasm-bindgen, wasm-opt -Oz
# --low-memory-unused, the glue through terser); once alone and once with serde_json reading
# each message through a derive. Prints wasm + glue, raw / gzip -9 / brotli (node's zlib, as
# bench/bundle-size.mjs).
set -euo pipefail
cd "$(dirname "$0")/floor"
ROOT=../..
export PATH="$PWD/$ROOT/node_modules/.bin:$PATH"
# shellcheck source=scripts/release-env.sh
. $ROOT/scripts/release-env.sh
for features in "" json; do
  cargo build --quiet --release --target wasm32-unknown-unknown ${features:+--features $features}
  rm -rf pkg && wasm-bindgen --target web --out-dir pkg target/wasm32-unknown-unknown/release/floor.wasm
  wasm-opt -Oz --low-memory-unused pkg/floor_bg.wasm -o pkg/floor_bg.wasm
  terser pkg/floor.js --module --compress --mangle -o pkg/floor.min.js
  node - "leptos${features:+ + serde_json}" <<'JS'
const { readFileSync } = require("node:fs");
const zlib = require("node:zlib");
const sizes = (b) => [b.length, zlib.gzipSync(b, { level: 9 }).length, zlib.brotliCompressSync(b).length];
const [w, j] = ["pkg/floor_bg.wasm", "pkg/floor.min.js"].map((f) => sizes(readFileSync(f)));
const t = w.map((x, i) => x + j[i]);
console.log(`${process.argv[2].padEnd(20)} wasm raw ${w[0]} gzip-9 ${w[1]} | glue gzip-9 ${j[1]} | total raw ${t[0]} gzip-9 ${t[1]} brotli ${t[2]}`);
JS
done
