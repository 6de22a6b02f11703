#!/usr/bin/env bash
# The crash tests at full size: `nuntius ingest`, and `nuntius serve` under concurrent POSTs,
# SIGKILLed at POINTS seeded random moments over a corpus of ARTICLES articles, restarted, and
# checked (every article once, none lost, none twice, one event and one story each, the search
# index agreeing with the store). The same tests run at CI size in `cargo test -p nuntius`.
# Usage: crash-test.sh [ARTICLES] [POINTS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export NUNTIUS_CRASH_ARTICLES="${1:-20000}"
export NUNTIUS_CRASH_POINTS="${2:-20}"
export NUNTIUS_CRASH_SEED="${3:-20261201}"
cargo test --release -p nuntius --test integration -- --nocapture --test-threads 1 crash:: 2>&1 \
    | grep -E "^crash |^test |test result|panicked|assert"
