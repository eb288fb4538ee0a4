#!/usr/bin/env bash
# Fan-out benchmarks on the local stack (release build, open WebSocket mode,
# fresh database), through the real SDK client and the local @connections
# endpoint:
#   1. one event to N subscribed WebSocket clients (default 10,000), 5 rounds:
#      time until the first / median / last client has the frame;
#   2. end to end at a fixed rate (default 1,000 events/s for 10 s, 100
#      streamers with one client each): webhook POST sent -> frame read.
# Prints the server's CPU time and peak memory for each, and its memory per
# idle socket (resident memory once every client is subscribed, less before).
#
#   scripts/bench-fanout.sh [connections] [rate] [seconds]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS="${1:-10000}"
RATE="${2:-1000}"
SECONDS_TO_RUN="${3:-10}"
PORT="${BENCH_PORT:-3901}"
# Each WebSocket is a file descriptor on both sides.
ulimit -n "$(( CONNECTIONS * 2 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

build_local

# BENCH_PIN=0: no pinning, the server gets a worker per core (it then shares
# the cores with the clients).
THREADS=()
if [[ "${BENCH_PIN:-1}" == 1 ]]; then
    pin_cores
    if ((${#PIN_0[@]})); then THREADS=(--threads 1); fi
fi

start_server() {
    start_bg "$WORK/$1.log" env RUST_LOG=warn "${PIN_0[@]}" "$BIN" serve --port "$PORT" \
        --db "$WORK/$1.db" --open "${THREADS[@]}"
    wait_for_http "http://127.0.0.1:$PORT/healthz" "$WORK/$1.log"
}
report_server() {
    local before="$1" after peak_kb
    after="$(cpu_ticks "$BG_PID")"
    peak_kb="$(peak_rss_kb "$BG_PID")"
    echo "server: cpu $(cpu_seconds "$before" "$after")s, peak RSS $((peak_kb / 1024)) MiB"
}

if ((${#PIN_0[@]})); then placement="server: core 0, 1 worker; clients: core 1"; else placement="unpinned"; fi
echo "== fan-out: one event to $CONNECTIONS WebSocket clients ($placement)"
start_server fanout
before="$(cpu_ticks "$BG_PID")"
"${PIN_1[@]}" "$BIN" bench-fanout --addr "127.0.0.1:$PORT" --connections "$CONNECTIONS" --rounds 5 \
    --server-pid "$BG_PID"
report_server "$before"
stop_bg

echo
echo "== end to end: $RATE events/s for ${SECONDS_TO_RUN}s, 100 streamers, one client each"
start_server e2e
before="$(cpu_ticks "$BG_PID")"
"${PIN_1[@]}" "$BIN" bench-e2e --addr "127.0.0.1:$PORT" --rate "$RATE" --duration "$SECONDS_TO_RUN"
report_server "$before"
