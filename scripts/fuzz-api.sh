#!/usr/bin/env bash
# Schema-driven API fuzzing: schemathesis (pinned, in a venv under the cache dir) generates
# requests from the served OpenAPI document, valid and invalid, against `nuntius serve` on
# loopback with the seed articles ingested, write endpoints with the token. Every check must pass:
# no 5xx, status codes and bodies as documented, what the document allows is accepted and what it
# forbids is refused. Fixed seed, bounded examples per operation.
# Usage: fuzz-api.sh NUNTIUS [MAX_EXAMPLES]
set -euo pipefail
nuntius="${1:?usage: fuzz-api.sh PATH-TO-NUNTIUS [MAX_EXAMPLES]}"
examples="${2:-30}"
cd "$(dirname "$0")/.."
cache="${NUNTIUS_CACHE_DIR:-$HOME/.cache/nuntius}/schemathesis-venv"
if [ ! -x "$cache/bin/st" ]; then
    python3 -m venv "$cache"
    "$cache/bin/pip" install --quiet "schemathesis==4.32.5"
fi
work="$(mktemp -d)"
"$nuntius" --encoder none --data-dir "$work/data" ingest examples/seeds/ >"$work/ingest.log" 2>&1
server=""
source "$(dirname "$0")/serve-on-loopback.sh"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
serve_on_loopback "$nuntius" "$work/data" fuzz "$work/serve.log"
# The token header goes to every request; schemathesis also sends requests without it to the
# secured operation (`ignored_auth`) and expects them refused.
# Run from the scratch dir: schemathesis keeps its state in ./.schemathesis.
status=0
(cd "$work" && "$cache/bin/st" --no-color run "$url/api/openapi.json" \
    --checks all \
    --header "Authorization: Bearer fuzz" \
    --seed 20261201 \
    --max-examples "$examples" \
    --workers 1 \
    --request-timeout 30 \
    --suppress-health-check all \
    --warnings off) \
    || status=$?
if ! kill -0 "$server" 2>/dev/null; then
    echo "fuzz-api: the server died:" >&2
    tail -n 20 "$work/serve.log" >&2
    exit 1
fi
exit "$status"
