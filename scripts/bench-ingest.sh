#!/usr/bin/env bash
# Ingest benchmark: the local stack and its peers, side by side in one run.
# Each receiver runs alone on core 0 (the local stack with one runtime
# worker), the load generator on core 1: N HTTP/1.1 connections of validly
# signed notifications of a realistic mix (follows, redemptions, cheers, subs,
# resubs, gifts, channel updates, hype trains, raids, online/offline) over
# 5,000 broadcasters, every message id unique except one request in 20, which
# is a Twitch retry of an earlier message (same id and body, Message-Retry 1).
#
#   scripts/bench-ingest.sh [seconds=10] [connections=64] [receivers]
#   e.g. scripts/bench-ingest.sh 10 64 sink,node,twurple,fsync,process,memory
#
# Receivers (default: all, in this order):
#   sink     `local sink`: answers 204 and does nothing (the generator's ceiling)
#   node     scripts/bench/peer-node-http.mjs: bare node:http, HMAC check, stores nothing
#   twurple  scripts/bench/peer-twurple.mjs: twurple's EventSub middleware, stores nothing
#   fsync    the local stack, --durability power-loss (the default: fsync per commit)
#   process  the local stack, --durability process (survives kill -9, not power loss)
#   memory   the local stack, --db :memory:
# Prints one table row per receiver: answered/s (2xx, retries included),
# latency p50/p99, the receiver's CPU-µs per request and peak RSS, and for
# the local stack what it stored and how many it recognised as duplicates
# (stored + duplicates must equal the requests answered).
# SERVER_BIN=/path/to/local runs another build of the stack as the local
# receivers (e.g. an earlier commit's, for a before/after in one sitting).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_TO_RUN="${1:-10}"
CONNECTIONS="${2:-64}"
RECEIVERS="${3:-sink,node,twurple,fsync,process,memory}"
PORT="${BENCH_PORT:-3900}"
BROADCASTERS=5000
export EVENTSUB_SECRET="${EVENTSUB_SECRET:-bench-ingest-secret-0123456789}"

build_local
SERVER_BIN="${SERVER_BIN:-$BIN}"
pin_cores
[[ -d node_modules/@twurple/eventsub-http ]] || npm ci --silent

# wait_for_line LOG TEXT: returns once LOG contains TEXT (60 s at most).
wait_for_line() {
    for _ in $(seq 600); do
        grep -q "$2" "$1" 2>/dev/null && return
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "receiver did not start:" >&2
    cat "$1" >&2
    exit 1
}

# start RECEIVER: starts it on core 0 as $BG_PID; sets PATH_TEMPLATE.
start() {
    local log="$WORK/$1.log"
    PATH_TEMPLATE="/eventsub"
    case "$1" in
        sink)
            start_bg "$log" "${PIN_0[@]}" "$BIN" sink --port "$PORT"
            wait_for_line "$log" listening ;;
        node)
            start_bg "$log" env PORT="$PORT" "${PIN_0[@]}" node scripts/bench/peer-node-http.mjs
            wait_for_line "$log" listening ;;
        twurple)
            start_bg "$log" env PORT="$PORT" BROADCASTERS="$BROADCASTERS" "${PIN_0[@]}" \
                node scripts/bench/peer-twurple.mjs
            PATH_TEMPLATE="/eventsub/event/{twurple}"
            wait_for_line "$log" listening ;;
        fsync | process | memory)
            local db="$WORK/$1.db" durability=power-loss
            [[ "$1" == process ]] && durability=process
            [[ "$1" == memory ]] && db=":memory:"
            start_bg "$log" env RUST_LOG=warn "${PIN_0[@]}" "$SERVER_BIN" serve --port "$PORT" \
                --db "$db" --durability "$durability" --threads 1 --poll-secs 0
            wait_for_http "http://127.0.0.1:$PORT/healthz" "$log" ;;
        *)
            echo "unknown receiver: $1" >&2
            exit 2 ;;
    esac
}

# field JSON NAME: a number field of a one-line JSON object.
field() { sed -E "s/.*\"$2\":([0-9.]+).*/\1/" <<<"$1"; }

printf '%s connections, %s s per receiver, %s broadcasters, 1 request in 20 a retry\n\n' \
    "$CONNECTIONS" "$SECONDS_TO_RUN" "$BROADCASTERS"
printf '| receiver | answered/s | p50 ms | p99 ms | CPU-µs/request | peak RSS MiB | stored | duplicates | failed |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
IFS=, read -ra LIST <<<"$RECEIVERS"
for receiver in "${LIST[@]}"; do
    start "$receiver"
    before="$(cpu_ticks "$BG_PID")"
    result="$("${PIN_1[@]}" "$BIN" loadgen --addr "127.0.0.1:$PORT" --path "$PATH_TEMPLATE" \
        --connections "$CONNECTIONS" --duration "$SECONDS_TO_RUN" --broadcasters "$BROADCASTERS")"
    after="$(cpu_ticks "$BG_PID")"
    peak_kb="$(peak_rss_kb "$BG_PID")"
    stored="-" duplicates="-"
    if [[ "$receiver" =~ ^(fsync|process|memory)$ ]]; then
        health="$(curl -s "http://127.0.0.1:$PORT/healthz")"
        stored="$(field "$health" stored)"
        duplicates="$(field "$health" duplicates)"
    fi
    stop_bg
    cpu_s="$(cpu_seconds "$before" "$after")"
    answered=$(($(field "$result" ok) + $(field "$result" retries_ok)))
    awk -v r="$receiver" -v ps="$(field "$result" per_second)" -v p50="$(field "$result" p50_ms)" \
        -v p99="$(field "$result" p99_ms)" -v cpu="$cpu_s" -v n="$answered" -v rss="$((peak_kb / 1024))" \
        -v st="$stored" -v du="$duplicates" -v f="$(field "$result" failed)" \
        'BEGIN { printf "| %s | %d | %s | %s | %.1f | %s | %s | %s | %s |\n", r, ps, p50, p99, (n ? cpu * 1e6 / n : 0), rss, st, du, f }'
    echo "$receiver: $result" >>"$WORK/raw.txt"
done
echo
echo "load generator lines:"
cat "$WORK/raw.txt"
