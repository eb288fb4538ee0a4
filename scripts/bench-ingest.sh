#!/usr/bin/env bash
# Ingest benchmark: the local stack (release build, pinned to core 0, one
# runtime worker) under signed, unique notifications from the load generator
# (pinned to core 1) over HTTP on loopback. Prints the generator's figures and
# the server's CPU time and peak memory.
#
#   scripts/bench-ingest.sh [seconds] [connections] [durability]
#   e.g. scripts/bench-ingest.sh 10 64 power-loss
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${2:-64}"
DURABILITY="${3:-power-loss}"
PORT="${BENCH_PORT:-3900}"

cargo build --release -p local --quiet
BIN="$ROOT/target/release/local"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

PIN_SERVER=(); PIN_LOAD=()
if command -v taskset >/dev/null 2>&1 && [[ "$(nproc)" -ge 2 ]]; then
    PIN_SERVER=(taskset -c 0); PIN_LOAD=(taskset -c 1)
fi

RUST_LOG=warn "${PIN_SERVER[@]}" "$BIN" serve --port "$PORT" --db "$WORK/bench.db" \
    --durability "$DURABILITY" --threads 1 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
done

ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
HZ="$(getconf CLK_TCK)"
before="$(ticks)"
result="$("${PIN_LOAD[@]}" "$BIN" loadgen --addr "127.0.0.1:$PORT" \
    --connections "$CONNECTIONS" --duration "$SECONDS_TO_RUN")"
after="$(ticks)"
peak_kb="$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"
health="$(curl -s "http://127.0.0.1:$PORT/healthz")"

cpu_s="$(awk -v a="$after" -v b="$before" -v hz="$HZ" 'BEGIN {printf "%.2f", (a - b) / hz}')"
ok="$(sed -E 's/.*"ok":([0-9]+).*/\1/' <<<"$result")"
echo "load generator: $result"
echo "server: cpu ${cpu_s}s over ${SECONDS_TO_RUN}s, peak RSS $((peak_kb / 1024)) MiB, durability $DURABILITY"
awk -v ok="$ok" -v cpu="$cpu_s" 'BEGIN { if (cpu > 0) printf "server: %.0f stored notifications per CPU-second\n", ok / cpu }'
echo "server counters: $health"
