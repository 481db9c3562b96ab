#!/usr/bin/env bash
# Runs every benchmark of issue 8 and prints the tables (results also in bench/results/*.json).
#   bench/run-all.sh [--dist DIR] [--dev-server PATH]
# Needs: npm ci (playwright-core, deep-chat, eventsource-parser), /usr/bin/chromium,
# wasm-bindgen 0.2.130 and the wasm32 target (for the decoder), a built dist/ for our side.
# Each streaming case runs 3 times (median); a case that does not finish in 180 s is not repeated.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. bundle"
node bench/bundle-size.mjs || echo "(no dist: bundle not measured)"
echo "== 2. streaming render (2,000 and 20,000 tokens)"
node bench/stream-render.mjs "$@"
echo "== 5. long conversation (200 messages, then 2,000 tokens)"
node bench/stream-render.mjs --tokens none --history --name history "$@"
echo "== 3. decoder"
bench/build-decoder.sh >/dev/null 2>&1 || bench/build-decoder.sh
node bench/decoder.mjs "$@"
echo "== 4. start-up"
node bench/startup.mjs "$@"
echo "== 6. conversations (issue 16): open 200 messages, a list of 1,000, search"
node bench/conversations.mjs "$@"
echo "== 7. first load (issue 17): the page's own requests until the composer is usable"
node bench/first-load.mjs "$@"
echo "== images (issue 6): 12-megapixel JPEG pick → thumbnail, base64 in a release build"
node bench/images/pick-12mp.mjs
bench/images/build-base64.sh >/dev/null 2>&1 || bench/images/build-base64.sh
node bench/images/base64.mjs
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
