#!/usr/bin/env bash
# Ingest benchmark: the local stack (release build, pinned to core 0, one
# runtime worker) under signed, unique notifications from the load generator
# (pinned to core 1) over HTTP on loopback. Prints the generator's figures and
# the server's CPU time and peak memory.
#
#   scripts/bench-ingest.sh [seconds] [connections] [durability]
#   e.g. scripts/bench-ingest.sh 10 64 power-loss
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${2:-64}"
DURABILITY="${3:-power-loss}"
PORT="${BENCH_PORT:-3900}"

build_local
pin_cores

start_bg "$WORK/server.log" env RUST_LOG=warn "${PIN_0[@]}" "$BIN" serve --port "$PORT" \
    --db "$WORK/bench.db" --durability "$DURABILITY" --threads 1
wait_for_http "http://127.0.0.1:$PORT/healthz" "$WORK/server.log"

before="$(cpu_ticks "$BG_PID")"
result="$("${PIN_1[@]}" "$BIN" loadgen --addr "127.0.0.1:$PORT" \
    --connections "$CONNECTIONS" --duration "$SECONDS_TO_RUN")"
after="$(cpu_ticks "$BG_PID")"
peak_kb="$(peak_rss_kb "$BG_PID")"
health="$(curl -s "http://127.0.0.1:$PORT/healthz")"

cpu_s="$(cpu_seconds "$before" "$after")"
ok="$(sed -E 's/.*"ok":([0-9]+).*/\1/' <<<"$result")"
echo "load generator: $result"
echo "server: cpu ${cpu_s}s over ${SECONDS_TO_RUN}s, peak RSS $((peak_kb / 1024)) MiB, durability $DURABILITY"
awk -v ok="$ok" -v cpu="$cpu_s" 'BEGIN { if (cpu > 0) printf "server: %.0f stored notifications per CPU-second\n", ok / cpu }'
echo "server counters: $health"
