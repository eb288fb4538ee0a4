#!/usr/bin/env bash
# Poller benchmark: an `all` poll of a simulated Twitch with N live streams
# (default 250,000), once paced by Twitch's default rate limit (800 points a
# minute) and once without a limit. The simulator runs in its own process on
# core 1; the poller (pinned to core 0) reports its wall time, CPU seconds and
# peak RSS. Snapshots go to a fresh SQLite file.
#
#   scripts/bench-poll.sh [streams] [rate_limit_per_minute] [sink]
#
# sink: `-` (default) serializes each snapshot as the DynamoDB adapter would
# and drops it — the poller's own cost, as the Lambda pays it; or a file name
# to store them in SQLite (adds SQLite's page cache to the memory figure).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STREAMS="${1:-250000}"
LIMIT="${2:-800}"
SINK="${3:--}"
PORT="${BENCH_PORT:-3102}"

cargo build --release -p local --quiet
BIN="$ROOT/target/release/local"
WORK="$(mktemp -d)"
SIM_PID=""
stop_sim() {
    if [[ -n "$SIM_PID" ]]; then
        kill -INT "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
        SIM_PID=""
    fi
}
trap 'stop_sim; rm -rf "$WORK"' EXIT

PIN_POLL=(); PIN_SIM=()
if command -v taskset >/dev/null 2>&1 && [[ "$(nproc)" -ge 2 ]]; then
    PIN_POLL=(taskset -c 0); PIN_SIM=(taskset -c 1)
fi

poll() {
    local limit="$1"
    RUST_LOG=warn "${PIN_SIM[@]}" "$BIN" sim --port "$PORT" --streams "$STREAMS" --rate-limit "$limit" \
        >"$WORK/sim.log" 2>&1 &
    SIM_PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/oauth2/validate" && break
        sleep 0.1
    done
    RUST_LOG=warn "${PIN_POLL[@]}" "$BIN" bench-poll --twitch "http://127.0.0.1:$PORT" --mode all \
        --db "$( [[ "$SINK" == "-" ]] && echo - || echo "$WORK/$SINK" )"
    stop_sim
}

pages=$(( (STREAMS + 99) / 100 ))
awk -v p="$pages" -v l="$LIMIT" 'BEGIN { printf "floor with pacing: %d pages / %d per minute = %.1f s\n", p, l, p / l * 60 }'
echo "== paced at $LIMIT points/minute"
poll "$LIMIT"
echo "== unpaced"
poll 100000000
