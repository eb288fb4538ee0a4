#!/usr/bin/env bash
# The outage drill (issue 24): the local stack (target/debug/local, or
# LOCAL_BIN) with its simulated Twitch at a steady event rate over a few
# authorized and unauthorized streamers; an outage shorter than the
# simulator's retry window (no gap allowed), one past it, then a kill -9 and a
# restart on the same database and port. Prints per EventSub type: generated,
# delivered live, stored, recovered exact / approximate, inside a visible gap,
# silently lost; exits 1 on any FAIL line (anything silently lost, a gap more
# than 5 s from its fault, a gap after the short outage).
#   scripts/drill-outage.sh --short                        the CI version (< 3 minutes)
#   scripts/drill-outage.sh --minutes-of-twitch-time 30    an outage of 30 Twitch minutes (18 s)
#   scripts/drill-outage.sh --outage-seconds 25 --no-kill  wall-clock seconds; skip the kill -9
#   scripts/drill-outage.sh --short --sweep-secs 600       the manager's sweep (default 6 s) never inside the outage
#   scripts/drill-outage.sh --short --gap-pass-secs 60     the open-gap pass (default 0.6 s) as slow as in AWS
# The driver is scripts/drill-outage.mjs (Node, no dependency).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${LOCAL_BIN:-$ROOT/target/debug/local}"
[[ -x "$BIN" ]] || { echo "no $BIN: run cargo build -p local first (or set LOCAL_BIN)" >&2; exit 1; }
exec node "$ROOT/scripts/drill-outage.mjs" "$BIN" "$@"
