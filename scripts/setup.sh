#!/usr/bin/env bash
# Installs everything the build and the tests need, idempotently: each step is
# skipped when the tool is already there at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! rustup component list --installed | grep -q '^rust-src'; then
  log "adding the rust-src component (the release wasm builds std from source: scripts/build.sh)"
  rustup component add rust-src
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (takes ~8 min on a cold machine)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes ~3 min)"
  # not --locked: its lock file wants a webpki-roots version the registry lacks
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "${FOUNDRY_SKIP_BROWSER:-}" != 1 ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian chromium + chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    dpkg --configure -a || true
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver
  fi
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
  || [ ! -f node_modules/axe-core/axe.min.js ] \
  || ! cmp -s package-lock.json node_modules/.package-lock.json.stamp 2>/dev/null; then
  log "installing npm packages (binaryen for wasm-opt, playwright-core, axe-core for the e2e accessibility check)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.stamp
fi

log "fetching crates"
cargo fetch --locked 2>/dev/null || cargo fetch
# The release wasm builds std from source (scripts/release-env.sh) and trunk runs cargo
# offline: fetch the standard library's own dependencies too (its lock file is in rust-src).
log "fetching the standard library's crates"
RUSTC_BOOTSTRAP=1 cargo fetch --locked \
  --manifest-path "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
