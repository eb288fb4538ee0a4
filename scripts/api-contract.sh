#!/usr/bin/env bash
# The OpenAPI document against the API it describes: starts the local stack
# (target/debug/local, as `cargo test` / `cargo build -p local` left it) on a
# free loopback port with an in-memory store, gives the read API something to
# read (a tracked streamer, events of several types, the poller's live
# snapshots), then runs schemathesis (.venv, requirements-dev.txt) on the
# served /api/openapi.json with every check, and fails on any finding:
#   scripts/api-contract.sh            (LOCAL_BIN, MAX_EXAMPLES, SEED, LIVE_WAIT_SECS to change)
# Covered: the read API (tag `read`), the poller's status and switch
# (`poller`) and the subscription manager's admin routes (`admin`), these two
# with the admin bearer token. Not covered: the webhook (each request must
# carry an HMAC of its own body) and the logged-in routes (`account`: a
# session cookie from the Twitch login flow; their contract is held by the
# account tests instead). scripts/contract/hooks.py supplies values for
# the document's `cursor` and `instant` formats.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="${LOCAL_BIN:-$ROOT/target/debug/local}"
ST="$ROOT/.venv/bin/schemathesis"
[[ -x "$BIN" ]] || { echo "no $BIN: run cargo build -p local (or cargo test) first" >&2; exit 1; }
[[ -x "$ST" ]] || { echo "no $ST: run scripts/setup.sh" >&2; exit 1; }

TOKEN="contract-admin-token-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
LOG="$WORK/stack.log"
export ADMIN_TOKEN="$TOKEN" RUST_LOG=warn
# Tracked mode: the poller writes live states (what /api/live reads) for
# tracked streamers only; `top:N` writes snapshots alone.
start_local "$LOG" --db :memory: --twitch sim --poll-secs 1 --poll-mode tracked
wait_for_http "$BASE/api/openapi.json" "$LOG"

# Fixtures: user1337 (the document's example login) tracked, with events;
# user100000, live in the simulator, tracked for the live list.
for streamer in user1337 user100000; do
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -d "{\"streamer\":\"$streamer\"}" "$BASE/admin/streamers"
done
for kind in channel.follow channel.subscribe channel.cheer channel.raid stream.online; do
    "$BIN" trigger "$kind" --to "$BASE/eventsub" --broadcaster 1337 --count 2 >/dev/null
done
# The poller's first live snapshots: without them schemathesis would test
# /api/live and the viewer series on nothing, so their absence is a failure.
live=""
for _ in $(seq $((${LIVE_WAIT_SECS:-30} * 10))); do
    if curl -fsS "$BASE/api/live" | grep -q '"login"'; then
        live=yes
        break
    fi
    sleep 0.1
done
if [[ -z "$live" ]]; then
    echo "api-contract: no live streamer in /api/live after ${LIVE_WAIT_SECS:-30} s (the poller's fixture); stack log:" >&2
    tail -n 20 "$LOG" >&2
    exit 1
fi

started=$SECONDS
# One worker: with two, hypothesis (describing a filter while generating)
# hits a CPython 3.11 race in ast.parse ("AST constructor recursion depth
# mismatch") now and then, an error of the tool, not a finding.
SCHEMATHESIS_HOOKS="$ROOT/scripts/contract/hooks.py" "$ST" run "$BASE/api/openapi.json" \
    --url "$BASE" \
    --checks all \
    --include-tag read --include-tag poller --include-tag admin \
    -H "Authorization: Bearer $TOKEN" \
    --max-examples "${MAX_EXAMPLES:-30}" \
    --seed "${SEED:-$RANDOM}" \
    --workers 1 \
    --output-truncate true
echo "api-contract: no findings ($((SECONDS - started)) s of schemathesis)"
