#!/usr/bin/env bash
# Validate template.yaml with the AWS SAM CLI: `sam validate --lint`
# (cfn-lint) and plain `sam validate` (the real SAM transform); then the
# template checks (scripts/template/test_template.py): cfn-lint on the
# *transformed* template (what CloudFormation receives: cycles through SAM
# resources show only there), the dashboard's SEARCH quoting, no secret in
# any function's environment, no reserved concurrency by default, log groups
# with retention, tables kept, the capacity mode (TableCapacityMode=provisioned
# linted too, every switched table and index auto scaled at 70 %), the
# webhook's front door (WebhookFrontDoor=function-url linted too, the
# manager's callback following it). Each check has a control on the template as it
# was before (scripts/template/fixtures/template-before.yaml) that must fail.
#
# Uses `sam` from the project's venv (.venv), installing aws-sam-cli there
# with pip if it is missing. Everything runs offline: no instance-metadata
# lookups, dummy credentials, no telemetry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
SAM="$VENV/bin/sam"

if [[ ! -x "$SAM" ]]; then
    echo "sam-validate: installing aws-sam-cli into $VENV" >&2
    if [[ ! -x "$VENV/bin/python" ]]; then
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
fi

# shellcheck source=scripts/aws-loopback-env.sh
source "$ROOT/scripts/aws-loopback-env.sh"

cd "$ROOT"
"$SAM" --version
echo "sam-validate: sam validate --lint" >&2
"$SAM" validate --lint --template-file template.yaml
# samconfig.toml sets `lint = true` for validate, and with lint on SAM runs
# cfn-lint only, not the SAM transform. Run the transform check with an empty
# config so that it really happens.
echo "sam-validate: sam validate (SAM transform)" >&2
EMPTY_CONFIG="$(mktemp --suffix=.toml)"
trap 'rm -f "$EMPTY_CONFIG"' EXIT
echo 'version = 0.1' >"$EMPTY_CONFIG"
"$SAM" validate --config-file "$EMPTY_CONFIG" --template-file template.yaml --region us-east-1
echo "sam-validate: template checks (transformed template, secrets, logs, tables)" >&2
"$VENV/bin/python" -m pytest -q -p no:cacheprovider scripts/template
echo "sam-validate: template.yaml OK" >&2
