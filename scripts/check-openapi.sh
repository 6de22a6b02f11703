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
"$nuntius" --encoder none --data-dir "$work/data" serve --addr 127.0.0.1:0 --token check >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    [ -s "$work/data/serve.addr" ] && break
    sleep 0.1
done
url="$(cat "$work/data/serve.addr" 2>/dev/null || true)"
if [ -z "$url" ]; then
    echo "check-openapi: the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "$url/api/openapi.json" >"$work/openapi.json"
"$cache/bin/openapi-spec-validator" "$work/openapi.json"
