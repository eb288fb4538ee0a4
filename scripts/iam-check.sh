#!/usr/bin/env bash
# IAM proven by running: evaluates every AWS call the functions made while
# the events/ samples ran through the Lambda runtime (recorded by
# scripts/iam/recorder.py, attributed by each function's own access key)
# against that function's role in the template, transformed by samtranslator.
# Fails (exit 1) on any call the role would deny, naming the function, the
# call and the grant it needs; prints the grants no call exercised (the
# least-privilege report) and, apart, the grants SAM adds for Lambda itself.
#
#   scripts/sam-build.sh && scripts/iam-check.sh                # template.yaml
#   scripts/iam-check.sh path/to/template.yaml                  # another template
#   scripts/iam-check.sh --mutations [template]                 # + the mutation test
#
# The recording is the one scripts/invoke-samples.sh writes
# (IAM_RECORDING, default .aws-sam/iam-calls.jsonl). When it is missing, or
# older than a built function, this runs scripts/invoke-samples.sh first to
# make it. --mutations then re-evaluates that same recording against copies
# of the template with each statement, action and resource of each
# function's Policies removed in turn (scripts/iam/mutate.py): each removal
# must deny a recorded call; the ones that do not are the unused grants, and
# fail it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/aws-loopback-env.sh
source scripts/aws-loopback-env.sh

mutations=""
if [[ "${1:-}" == "--mutations" ]]; then
    mutations=1
    shift
fi
template="${1:-template.yaml}"
[[ -f "$template" ]] || { echo "iam-check: no template $template" >&2; exit 2; }
recording="${IAM_RECORDING:-$ROOT/.aws-sam/iam-calls.jsonl}"
python="$ROOT/.venv/bin/python"

stale=""
if [[ ! -s "$recording" ]]; then
    stale="no recording at $recording"
else
    for bootstrap in .aws-sam/build/*/bootstrap; do
        if [[ -e "$bootstrap" && "$bootstrap" -nt "$recording" ]]; then
            stale="$bootstrap is newer than the recording"
            break
        fi
    done
fi
if [[ -n "$stale" ]]; then
    echo "iam-check: $stale: running the samples (scripts/invoke-samples.sh) to record it"
    IAM_RECORDING="$recording" scripts/invoke-samples.sh
fi

status=0
"$python" scripts/iam/check.py --template "$template" --recording "$recording" || status=$?
if [[ -n "$mutations" ]]; then
    "$python" scripts/iam/mutate.py --template "$template" --recording "$recording" || status=$((status > 0 ? status : $?))
fi
exit "$status"
