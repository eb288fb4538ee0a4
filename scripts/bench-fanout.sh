#!/usr/bin/env bash
# Fan-out benchmarks on the local stack (release build, open WebSocket mode,
# fresh database), through the real SDK client and the local @connections
# endpoint:
#   1. one event to N subscribed WebSocket clients (default 10,000), 5 rounds:
#      time until the first / median / last client has the frame;
#   2. end to end at a fixed rate (default 1,000 events/s for 10 s, 100
#      streamers with one client each): webhook POST sent -> frame read.
# Prints the server's CPU time and peak memory for each.
#
#   scripts/bench-fanout.sh [connections] [rate] [seconds]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONNECTIONS="${1:-10000}"
RATE="${2:-1000}"
SECONDS_TO_RUN="${3:-10}"
PORT="${BENCH_PORT:-3901}"
# Each WebSocket is a file descriptor on both sides.
ulimit -n "$(( CONNECTIONS * 2 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release -p local --quiet
BIN="$ROOT/target/release/local"

WORK="$(mktemp -d)"
SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# BENCH_PIN=0: no pinning, the server gets a worker per core (it then shares
# the cores with the clients).
PIN_SERVER=(); PIN_LOAD=(); THREADS=()
if [[ "${BENCH_PIN:-1}" == 1 ]] && command -v taskset >/dev/null 2>&1 && [[ "$(nproc)" -ge 2 ]]; then
    PIN_SERVER=(taskset -c 0); PIN_LOAD=(taskset -c 1); THREADS=(--threads 1)
fi

start_server() {
    RUST_LOG=warn "${PIN_SERVER[@]}" "$BIN" serve --port "$PORT" --db "$WORK/$1.db" \
        --open "${THREADS[@]}" >"$WORK/$1.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return
        sleep 0.1
    done
    echo "server did not start" >&2; cat "$WORK/$1.log" >&2; exit 1
}
ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
report_server() {
    local before="$1" after peak_kb
    after="$(ticks)"
    peak_kb="$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"
    awk -v a="$after" -v b="$before" -v hz="$(getconf CLK_TCK)" -v kb="$peak_kb" \
        'BEGIN {printf "server: cpu %.2fs, peak RSS %d MiB\n", (a - b) / hz, kb / 1024}'
}

if ((${#PIN_SERVER[@]})); then placement="server: core 0, 1 worker; clients: core 1"; else placement="unpinned"; fi
echo "== fan-out: one event to $CONNECTIONS WebSocket clients ($placement)"
start_server fanout
before="$(ticks)"
"${PIN_LOAD[@]}" "$BIN" bench-fanout --addr "127.0.0.1:$PORT" --connections "$CONNECTIONS" --rounds 5
report_server "$before"
stop_server

echo
echo "== end to end: $RATE events/s for ${SECONDS_TO_RUN}s, 100 streamers, one client each"
start_server e2e
before="$(ticks)"
"${PIN_LOAD[@]}" "$BIN" bench-e2e --addr "127.0.0.1:$PORT" --rate "$RATE" --duration "$SECONDS_TO_RUN"
report_server "$before"
