#!/usr/bin/env bash
# Prints the DynamoDB capacity units each operation of the system consumes
# (stored event, duplicate delivery, fan-out lookup, poller page, WebSocket
# connect/subscribe/disconnect), as DynamoDB Local reports them: the table
# docs/costs.md is built from.
#   scripts/cost-units.sh
# Starts DynamoDB Local (DYNAMODB_PORT, default 8000) unless it already runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/aws-loopback-env.sh
source scripts/aws-loopback-env.sh
export DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
export DYNAMODB_ENDPOINT="http://127.0.0.1:${DYNAMODB_PORT}"
if ! scripts/dynamodb-local.sh status >/dev/null 2>&1; then
    trap 'scripts/dynamodb-local.sh stop' EXIT
    scripts/dynamodb-local.sh start
fi
cargo test -p shared --test capacity --quiet -- --nocapture 2>&1 | grep '^|'
