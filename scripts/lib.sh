# Steps the bench scripts share. Source it right after `set -euo pipefail`:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# It moves to the repository root and makes a scratch directory, $WORK, that
# goes away on exit together with the background process (see start_bg).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WORK="$(mktemp -d)"
BG_PID=""

# build_local: the release build of the local binary, as $BIN
# (LOCAL_BIN=<path> uses that binary instead and builds nothing).
build_local() {
    if [[ -n "${LOCAL_BIN:-}" ]]; then
        BIN="$LOCAL_BIN"
        return
    fi
    cargo build --release -p local --quiet
    BIN="$ROOT/target/release/local"
}

# start_bg LOG COMMAND...: runs COMMAND in the background with its output in
# LOG; its PID is $BG_PID. One at a time: the scripts run one server (or
# simulator) and measure it from the foreground.
start_bg() {
    local log="$1"
    shift
    "$@" >"$log" 2>&1 &
    BG_PID=$!
}

# stop_bg: Ctrl-C to the background process (the stack then shuts down
# cleanly) and wait until it has exited; SIGTERM if it is still there after
# 10 s (a program that never asked for SIGINT ignores it when started with &).
stop_bg() {
    if [[ -n "$BG_PID" ]]; then
        kill -INT "$BG_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$BG_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$BG_PID" 2>/dev/null || true
        wait "$BG_PID" 2>/dev/null || true
        BG_PID=""
    fi
}
trap 'stop_bg; rm -rf "$WORK"' EXIT

# start_local LOG ARGS...: the local stack ($BIN) serving on a free loopback
# port with ARGS, in the background (see start_bg); sets BASE to the URL it
# says it listens on (10 s at most), otherwise prints LOG and exits.
start_local() {
    local log="$1" port=""
    shift
    start_bg "$log" "$BIN" serve --port 0 "$@"
    for _ in $(seq 200); do
        port="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)"
        [[ -n "$port" ]] && break
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.05
    done
    [[ -n "$port" ]] || { echo "the local stack did not start" >&2; cat "$log" >&2; exit 1; }
    BASE="http://127.0.0.1:$port"
}

# wait_for_http URL LOG: returns once URL answers anything over HTTP (10 s at
# most); otherwise prints LOG and exits.
wait_for_http() {
    local url="$1" log="$2"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$url" && return
        sleep 0.1
    done
    echo "nothing answered at $url" >&2
    cat "$log" >&2
    exit 1
}

# pin_cores: with two cores or more and taskset, PIN_0=(taskset -c 0) and
# PIN_1=(taskset -c 1), so the measured process and its load do not share a
# core; otherwise both are empty (no pinning).
PIN_0=()
PIN_1=()
pin_cores() {
    if command -v taskset >/dev/null 2>&1 && [[ "$(nproc)" -ge 2 ]]; then
        PIN_0=(taskset -c 0)
        PIN_1=(taskset -c 1)
    fi
}

# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# peak_rss_kb PID: the process's peak resident memory, in KiB.
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# cpu_seconds BEFORE AFTER: clock ticks between two cpu_ticks readings, in seconds.
cpu_seconds() {
    awk -v a="$2" -v b="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (a - b) / hz}'
}
