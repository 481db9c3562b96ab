#!/usr/bin/env bash
# One command to try foundry-chat: installs what is missing, builds the release app and
# starts the dev server on http://127.0.0.1:8080 with the app pointed at the demo endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cargo build -p dev-server
exec target/debug/dev-server --host 127.0.0.1 --port "${PORT:-8080}" --dist dist "$@"
