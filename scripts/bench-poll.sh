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
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STREAMS="${1:-250000}"
LIMIT="${2:-800}"
SINK="${3:--}"
PORT="${BENCH_PORT:-3102}"

build_local
pin_cores

poll() {
    local limit="$1"
    start_bg "$WORK/sim.log" env RUST_LOG=warn "${PIN_1[@]}" "$BIN" sim --port "$PORT" \
        --streams "$STREAMS" --rate-limit "$limit"
    wait_for_http "http://127.0.0.1:$PORT/oauth2/validate" "$WORK/sim.log"
    RUST_LOG=warn "${PIN_0[@]}" "$BIN" bench-poll --twitch "http://127.0.0.1:$PORT" --mode all \
        --db "$( [[ "$SINK" == "-" ]] && echo - || echo "$WORK/$SINK" )"
    stop_bg
}

pages=$(( (STREAMS + 99) / 100 ))
awk -v p="$pages" -v l="$LIMIT" 'BEGIN { printf "floor with pacing: %d pages / %d per minute = %.1f s\n", p, l, p / l * 60 }'
echo "== paced at $LIMIT points/minute"
poll "$LIMIT"
echo "== unpaced"
poll 100000000
