#!/usr/bin/env bash
# The main job on the shipped examples: fetch the encoder, build, ingest examples/seeds into a
# fresh data dir on the embedded store, then show the stories and the first story with its
# evidence.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${NUNTIUS_DATA_DIR:-nuntius-data}"
rm -rf "$data"
# The encoder model (multilingual-e5-small, ~72 MB, sha256-checked; once per machine). Without
# it nuntius still runs, on lexical signals, and says so.
bash scripts/fetch-model.sh || echo "run-example: no encoder model; continuing with lexical signals" >&2
cargo build --release -p nuntius
bin=target/release/nuntius
"$bin" --data-dir "$data" ingest examples/seeds/
"$bin" --data-dir "$data" stories
"$bin" --data-dir "$data" story 1 --why
