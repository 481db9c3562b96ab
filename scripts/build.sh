#!/usr/bin/env bash
# Builds the release app into dist/ with trunk (wasm-opt from npm binaryen 132, never Debian's).
#
# The release flags (std from source, immediate-abort panics) are in scripts/release-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# shellcheck source=scripts/release-env.sh
. scripts/release-env.sh
trunk build --release
test -f dist/foundry-chat.js || { echo "build: dist/foundry-chat.js is missing" >&2; exit 1; }
# The .br and .gz twins the dev server sends with Content-Encoding (scripts/precompress.mjs).
node scripts/precompress.mjs dist
