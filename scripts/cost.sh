#!/usr/bin/env bash
# Dollars per million events, term by term (HTTP API, webhook Lambda,
# DynamoDB writes and reads, streams, fan-out Lambda, subscriber lookup,
# WebSocket messages), for 1 and 100 subscribers, both capacity modes and the
# webhook behind the HTTP API or a Lambda function URL, with every assumption
# printed. Fed by the units the capacity test measured (scripts/cost/units.json,
# written by scripts/cost-units.sh --write, asserted by that test in every
# cargo test run) and template.yaml's settings. Ends with one line per
# configuration: `per million events, 1 subscriber, <configuration>: $<amount>`.
#   scripts/cost.sh [--units FILE] [--template FILE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The project venv has PyYAML (with aws-sam-cli); else the system python3.
PYTHON=python3
[[ -x .venv/bin/python ]] && PYTHON=.venv/bin/python
exec "$PYTHON" scripts/cost/cost.py "$@"
