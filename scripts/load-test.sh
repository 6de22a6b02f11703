#!/usr/bin/env bash
# Load test of `nuntius serve` on loopback: a store of ARTICLES articles (`nuntius bench corpus`),
# then, while `nuntius ingest` sends more articles through the
# running server, wrk (Debian package, installed when missing) drives the story list, story pages
# and search for DURATION each; then /healthz latency while IDLE connections are held open.
# Prints req/s, p50/p99 and errors of each. Figures depend on the machine; the run is bounded.
# The articles are a synthetic year (`nuntius bench corpus --stream`: many stories), or replicas
# of the JSONL/text files named by NUNTIUS_LOAD_INPUT.
# With NUNTIUS_LOAD_DATA=DIR the store in DIR is served as it is (for instance the one
# `nuntius bench stream --into DIR` leaves), with no ingest during the load.
# Usage: load-test.sh NUNTIUS [ARTICLES] [DURATION] [IDLE]
set -euo pipefail
nuntius="$(realpath "${1:?usage: load-test.sh PATH-TO-NUNTIUS [ARTICLES] [DURATION] [IDLE]}")"
articles="${2:-100000}"
duration="${3:-20s}"
idle="${4:-1000}"
extra=20000
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
    else
        sudo apt-get install -y -q wrk >/dev/null
    fi
fi
ulimit -n 8192
work="$(mktemp -d)"
server=""
ingest=""
cleanup() {
    [ -n "$ingest" ] && kill "$ingest" 2>/dev/null || true
    [ -n "$server" ] && kill -INT "$server" 2>/dev/null || true
    [ -n "$server" ] && wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
data="${NUNTIUS_LOAD_DATA:-$work/data}"
n() { "$nuntius" --encoder none --data-dir "$data" "$@"; }

if [ -z "${NUNTIUS_LOAD_DATA:-}" ]; then
    echo "== corpus: $articles articles to store first, $extra more ingested during the load"
    if [ -n "${NUNTIUS_LOAD_INPUT:-}" ]; then
        "$nuntius" bench corpus --input "$NUNTIUS_LOAD_INPUT" --articles $((articles + extra)) >"$work/all.jsonl" 2>/dev/null
    else
        # A synthetic year of many stories (the seed replicas would make one giant story).
        "$nuntius" bench corpus --stream --articles $((articles + extra)) --days 365 --seed 1 >"$work/all.jsonl" 2>/dev/null
    fi
    head -n "$articles" "$work/all.jsonl" >"$work/base.jsonl"
    tail -n "$extra" "$work/all.jsonl" >"$work/more.jsonl"
    started=$(date +%s)
    n ingest "$work/base.jsonl" 2>&1 | tail -n 1
    echo "stored in $(( $(date +%s) - started )) s"
else
    echo "== serving the store in $data as it is"
fi

# The header timeout is raised for the idle-connection part (the default, 10 s, would close
# them before the measurement ends); every other limit is the default.
rm -f "$data/serve.addr"  # a stale address from an earlier run
n serve --addr 127.0.0.1:0 --token load --header-timeout-secs 120 >"$work/serve.log" 2>&1 &
server=$!
serve_started=$(date +%s.%N)
for _ in $(seq 1 3000); do
    [ -s "$data/serve.addr" ] && curl -sf "$(cat "$data/serve.addr")/healthz" | grep -q '"writer":"ready"' && break
    sleep 0.1
done
echo "serve: /healthz ready after $(python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$serve_started" "$(date +%s.%N)") s"
url="$(cat "$data/serve.addr")"
curl -sf "$url/healthz"; echo

if [ -z "${NUNTIUS_LOAD_DATA:-}" ]; then
    NUNTIUS_TOKEN=load n ingest "$work/more.jsonl" >"$work/ingest.log" 2>&1 &
    ingest=$!
fi

# Story ids for the story-page test: the first 200 of the list.
python3 - "$url" >"$work/stories.lua" <<'EOF'
import json, sys, urllib.request
ids = []
for offset in (0, 100):
    page = json.load(urllib.request.urlopen(f"{sys.argv[1]}/api/stories?limit=100&offset={offset}"))
    ids += [s["id"] for s in page["stories"]]
print("local ids = {" + ",".join(map(str, ids)) + "}")
print("local i = 0")
print('request = function() i = i % #ids + 1; return wrk.format("GET", "/api/stories/" .. ids[i]) end')
EOF
# Search words: the longer words of the first 100 story headlines (the synthetic stream's words
# are its own), a phrase of two of them, an OR and a NOT.
python3 - "$url" >"$work/search.lua" <<'EOF'
import json, sys, urllib.parse, urllib.request
page = json.load(urllib.request.urlopen(f"{sys.argv[1]}/api/stories?limit=100"))
words = []
for s in page["stories"]:
    for w in (s.get("headline") or "").split():
        w = w.strip(".,:;!?\"'()[]").lower()
        if len(w) >= 5 and w.isalpha() and w not in words:
            words.append(w)
words = (words or ["news"])[:12]
w = lambda i: words[i % len(words)]
queries = words[:8] + [f'"{w(0)} {w(1)}"', f"{w(2)} OR {w(3)}", f"{w(4)} -{w(5)}"]
print("local queries = {" + ",".join(json.dumps(urllib.parse.quote(q)) for q in queries) + "}")
print("local i = 0")
print('request = function() i = i % #queries + 1; return wrk.format("GET", "/api/search?q=" .. queries[i]) end')
EOF

run_wrk() {
    local name="$1"; shift
    echo "== $name (wrk -t2 -c16 -d$duration, ingest running: $(kill -0 "$ingest" 2>/dev/null && echo yes || echo no))"
    local out
    out="$(wrk -t2 -c16 -d"$duration" --latency "$@")"
    grep -E "Requests/sec|^ +50%|^ +99%|requests in" <<<"$out"
    # wrk prints these two lines only when there are errors.
    grep -E "Non-2xx|Socket errors" <<<"$out" || echo "  errors: none (no non-2xx responses, no socket errors)"
}
run_wrk "story list" "$url/api/stories?limit=20"
run_wrk "story page" -s "$work/stories.lua" "$url"
run_wrk "search" -s "$work/search.lua" "$url"

echo "== /healthz with $idle idle connections open"
python3 - "$url" "$idle" <<'EOF'
import socket, statistics, sys, time, urllib.parse
url, idle = sys.argv[1], int(sys.argv[2])
host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
held = [socket.create_connection((host, port)) for _ in range(idle)]
time.sleep(1)
def healthz():
    t = time.perf_counter()
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    s.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply[:80]
    return (time.perf_counter() - t) * 1000
times = sorted(healthz() for _ in range(200))
# The held connections are still open (a closed one reads b"" at once).
for s in held:
    s.setblocking(False)
open_count = 0
for s in held:
    try:
        open_count += s.recv(1) != b""
    except BlockingIOError:
        open_count += 1
print(f"idle connections still open: {open_count} of {idle}")
print(f"healthz over 200 requests: p50 {statistics.median(times):.1f} ms, p99 {times[197]:.1f} ms, max {times[-1]:.1f} ms")
for s in held:
    s.close()
EOF
if [ -n "$ingest" ]; then
    wait "$ingest" || echo "the concurrent ingest exited with $?"
    ingest=""
    tail -n 1 "$work/ingest.log"
fi
curl -sf "$url/healthz"; echo
