#!/usr/bin/env bash
# Tests scripts/deploy.sh without AWS (scripts/deploy/test_deploy.py, pytest):
# Secrets Manager is a moto server on a free loopback port (started and
# stopped by the test, by PID), `sam` is a stub on PATH that records its
# arguments and environment. Checks that a first run asks only for the Twitch
# client secret (hidden, on a pseudo-terminal), that no secret reaches any
# process's arguments or environment, that the secret holds five valid keys,
# that a second run asks nothing and reuses them, that the outputs and next
# step are printed, that ROLLBACK_COMPLETE is handled without a prompt, and
# `track`. Everything stays on 127.0.0.1.
#
#   scripts/deploy-test.sh          # scripts/test.sh runs it; ends with pytest's "N passed in S s"
#   scripts/deploy-test.sh -k track # extra arguments go to pytest
#
# Needs .venv with requirements-dev.txt (scripts/setup.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/aws-loopback-env.sh
source scripts/aws-loopback-env.sh
export PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest scripts/deploy -q -p no:cacheprovider "$@"
