#!/usr/bin/env bash
# Validates the OpenAPI document `nuntius serve` serves with a standard OpenAPI 3.1 validator
# (openapi-spec-validator, pinned, in a venv under the cache dir). Usage: check-openapi.sh NUNTIUS
set -euo pipefail
nuntius="${1:?usage: check-openapi.sh PATH-TO-NUNTIUS}"
cache="${NUNTIUS_CACHE_DIR:-$HOME/.cache/nuntius}/openapi-venv"
if [ ! -x "$cache/bin/openapi-spec-validator" ]; then
    python3 -m venv "$cache"
    "$cache/bin/pip" install --quiet "openapi-spec-validator==0.9.0"
fi
work="$(mktemp -d)"
server=""
source "$(dirname "$0")/serve-on-loopback.sh"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
serve_on_loopback "$nuntius" "$work/data" check "$work/serve.log"
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "$url/api/openapi.json" >"$work/openapi.json"
"$cache/bin/openapi-spec-validator" "$work/openapi.json"
