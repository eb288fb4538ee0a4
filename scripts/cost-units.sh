#!/usr/bin/env bash
# Prints the DynamoDB capacity units each operation of the system consumes
# (stored event, duplicate delivery, fan-out lookup, poller page, WebSocket
# connect/subscribe/disconnect), as DynamoDB Local reports them: the table
# docs/costs.md is built from.
#   scripts/cost-units.sh           the table; fails if scripts/cost/units.json
#                                   is not what it measured
#   scripts/cost-units.sh --write   the table, and rewrites scripts/cost/units.json
#                                   (the units scripts/cost.sh prices)
# Starts DynamoDB Local (DYNAMODB_PORT, default 8000) unless it already runs.
set -euo pipefail
if [[ "${1:-}" == "--write" ]]; then
    export COST_UNITS_WRITE=1
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/aws-loopback-env.sh
source scripts/aws-loopback-env.sh
export DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
export DYNAMODB_ENDPOINT="http://127.0.0.1:${DYNAMODB_PORT}"
out="$(mktemp)"
cleanup() { rm -f "$out"; }
trap cleanup EXIT
if ! scripts/dynamodb-local.sh status >/dev/null 2>&1; then
    trap 'cleanup; scripts/dynamodb-local.sh stop' EXIT
    scripts/dynamodb-local.sh start
fi
cargo test -p shared --test capacity --quiet -- --nocapture capacity_units_per_operation >"$out" 2>&1 ||
    { cat "$out" >&2; exit 1; }
grep '^|' "$out"
