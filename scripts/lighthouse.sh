#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices, SEO) of the
# page logged out and logged in, the OBS overlay and /api/docs, on the local
# stack (target/debug/local, in-memory store, simulated Twitch, loopback only):
#   scripts/lighthouse.sh [out-dir]      (LOCAL_BIN, CHROMIUM, LIGHTHOUSE to change;
#                                         LIGHTHOUSE_FORM=mobile for the phone preset)
# Prints one line per page; with out-dir, the full JSON reports go there.
# Not part of scripts/test.sh: a debug build under a loaded machine moves the
# performance score by several points between runs, so it reports, not gates.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="${LOCAL_BIN:-$ROOT/target/debug/local}"
[[ -x "$BIN" ]] || { echo "no $BIN: run cargo build -p local first" >&2; exit 1; }
OUT="${1:-}"
[[ -z "$OUT" ]] || mkdir -p "$OUT"

LOG="$WORK/stack.log"
export RUST_LOG=warn WEB_DIR="$ROOT/web"
start_local "$LOG" --db "$WORK/events.db" --twitch sim --poll-secs 0
wait_for_http "$BASE/" "$LOG"
for kind in channel.follow channel.cheer channel.raid; do
    "$BIN" trigger "$kind" --to "$BASE/eventsub" --broadcaster 777 --count 2 >/dev/null
done
LOCAL_BIN="$BIN" node "$ROOT/scripts/lighthouse.mjs" "$BASE" ${OUT:+"$OUT"}
