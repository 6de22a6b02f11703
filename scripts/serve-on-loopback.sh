# Sourced by the scripts that test a live server: `serve_on_loopback NUNTIUS DATA_DIR TOKEN LOG`
# starts `nuntius serve` on a free loopback port, sets $server (its pid) and $url, and stops the
# script if it does not come up. The caller kills $server when done.
serve_on_loopback() {
    local nuntius="$1" data="$2" token="$3" log="$4"
    "$nuntius" --encoder none --data-dir "$data" serve --addr 127.0.0.1:0 --token "$token" >"$log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        [ -s "$data/serve.addr" ] && break
        sleep 0.1
    done
    url="$(cat "$data/serve.addr" 2>/dev/null || true)"
    if [ -z "$url" ]; then
        echo "$(basename "$0"): the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
}
