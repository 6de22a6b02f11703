#!/usr/bin/env bash
# The project's test command: fetch the encoder model (verified, cached), then formatting, lints
# as errors, and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-model.sh
# Chromium + chromedriver for the web UI's end-to-end test (Debian packages).
bash scripts/install-browser.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
NUNTIUS_KERNEL=portable cargo test -p nuntius-embed
bash scripts/check-openapi.sh target/debug/nuntius
bash scripts/fuzz-api.sh target/debug/nuntius
