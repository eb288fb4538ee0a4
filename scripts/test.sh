#!/usr/bin/env bash
# The project's one test command, on a fresh machine too:
#   scripts/setup.sh (installs what is missing; quiet when nothing is),
#   rustfmt check, clippy (warnings are errors), the import-cycle check
#   (scripts/import-cycles.sh), the 400-line check (scripts/file-sizes.sh),
#   DynamoDB Local + cargo test,
#   the page in headless Chromium (web/tests), the outage drill
#   (scripts/drill-outage.sh --short), the API contract (schemathesis
#   on the local stack, scripts/api-contract.sh), `sam validate` (lint and SAM
#   transform) of template.yaml and the template checks, the cost calculator's
#   tests (scripts/cost), the deploy script
#   against stand-ins (scripts/deploy-test.sh), `sam build` of every function (arm64,
#   scripts/sam-build.sh) and every events/ sample through the built
#   functions' Lambda runtime loop (scripts/invoke-samples.sh), which records
#   every AWS call they make, and the IAM check of those calls against each
#   function's role, with its mutation test (scripts/iam-check.sh).
# Exits non-zero on the first failure. DynamoDB Local is started here and
# stopped on exit (unless it was already running, then it is reused and left
# running). Set DYNAMODB_PORT to use another port than 8000.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

step "scripts/setup.sh (what the tests need)"
scripts/setup.sh

# A run needs about 3 GB for the test build and 1 GB for `sam build`; a
# machine short of disk fails in the linker, so say what there is.
step "disk: $(df -h --output=avail "$ROOT" | tail -1 | tr -d ' ') free where the build goes"

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
# Not among --all-targets (test = false: it needs the built functions).
cargo clippy --workspace --test invoke_samples -- -D warnings

step "scripts/import-cycles.sh: no import cycles between files, no import of local from shared or functions"
scripts/import-cycles.sh --self-test
scripts/import-cycles.sh

step "scripts/file-sizes.sh: no .rs/.js/.sh file over 400 lines without a size note, outside tests"
scripts/file-sizes.sh --self-test
scripts/file-sizes.sh

# shellcheck source=scripts/aws-loopback-env.sh
source "$ROOT/scripts/aws-loopback-env.sh"
export DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
export DYNAMODB_ENDPOINT="http://127.0.0.1:${DYNAMODB_PORT}"

step "DynamoDB Local on ${DYNAMODB_ENDPOINT}"
if scripts/dynamodb-local.sh status >/dev/null 2>&1; then
    echo "reusing the DynamoDB Local already started by scripts/dynamodb-local.sh"
else
    trap 'scripts/dynamodb-local.sh stop' EXIT
    scripts/dynamodb-local.sh start
fi

step "cargo test --workspace"
cargo test --workspace

step "browser tests: web/tests in headless Chromium"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || { echo "Chromium not found at $CHROMIUM (apt-get install chromium)" >&2; exit 1; }
[[ -d node_modules/playwright-core ]] || { echo "playwright-core missing: run npm ci" >&2; exit 1; }
# cargo test built target/debug/local (the stack's integration tests run it).
# The timeout is per file: page.test.mjs runs its ~38 tests against one
# stack in one browser, ~110-150 s on 2 cores.
node --test --test-timeout=300000 --test-reporter=spec web/tests/

# Twitch's outages against the same binary: an outage shorter and one longer
# than the simulator's retry window, a kill -9; FAIL (exit 1) on anything
# silently lost or a gap more than 5 s from its fault. About 50 s.
step "scripts/drill-outage.sh --short: the outage drill"
scripts/drill-outage.sh --short

step "scripts/api-contract.sh: schemathesis against the OpenAPI document"
scripts/api-contract.sh

step "scripts/sam-validate.sh"
scripts/sam-validate.sh

# The units it prices are asserted by the capacity test (cargo test above).
step "scripts/cost.sh: the cost calculator's tests (scripts/cost)"
.venv/bin/python -m unittest discover -s scripts/cost

step "scripts/deploy-test.sh (scripts/deploy.sh against a moto Secrets Manager and a sam stub)"
scripts/deploy-test.sh

step "scripts/sam-build.sh (sam build: every function, arm64)"
scripts/sam-build.sh

step "scripts/invoke-samples.sh (events/ through the Lambda runtime)"
scripts/invoke-samples.sh

step "scripts/iam-check.sh --mutations (every recorded AWS call against its function's role)"
.venv/bin/python -m pytest -q -p no:cacheprovider scripts/iam
scripts/iam-check.sh --mutations

step "all checks passed"
