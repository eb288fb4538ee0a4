#!/usr/bin/env bash
# Invokes every sample in events/ through the functions `sam build` made
# (.aws-sam/build/<Function>/bootstrap), each in its real lambda_runtime loop
# against a Runtime API emulator on loopback, with DynamoDB Local, the local
# stack's @connections gateway and its Twitch simulator behind them, and
# checks every answer (local/tests/invoke_samples/). Fails on a wrong answer.
# Every AWS call the functions make goes through the IAM recorder
# (scripts/iam/recorder.py; each function signs with its own dummy access
# key), which writes them to IAM_RECORDING (default .aws-sam/iam-calls.jsonl)
# for scripts/iam-check.sh.
#
#   scripts/sam-build.sh && scripts/invoke-samples.sh
#
# arm64 binaries run on an x86_64 machine under qemu-aarch64-static with
# Debian's arm64 glibc (scripts/setup.sh installs both). The webhook samples
# are signed afresh by the test (as `local samples` does; signed ones go stale
# in 10 minutes). DynamoDB Local: reused when DYNAMODB_ENDPOINT answers (as in
# scripts/test.sh), else started on DYNAMODB_PORT (default 8000) and stopped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/aws-loopback-env.sh
source scripts/aws-loopback-env.sh

BUILD_DIR="$ROOT/.aws-sam/build"
bootstrap="$BUILD_DIR/WebhookFunction/bootstrap"
[[ -x "$bootstrap" ]] || { echo "invoke-samples: no $bootstrap: run scripts/sam-build.sh first" >&2; exit 1; }

# The built code's machine (ELF e_machine: b7 00 aarch64, 3e 00 x86_64).
runner=""
machine=$(od -An -tx1 -j18 -N2 "$bootstrap" | tr -d ' \n')
if [[ "$machine" == "b700" && "$(uname -m)" != "aarch64" ]]; then
    command -v qemu-aarch64-static >/dev/null 2>&1 \
        || { echo "invoke-samples: arm64 binaries need qemu-aarch64-static (scripts/setup.sh)" >&2; exit 1; }
    [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] \
        || { echo "invoke-samples: arm64 glibc missing (apt-get install libc6-arm64-cross)" >&2; exit 1; }
    runner="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
fi

stop_dynamodb=""
trap '[[ -z "$stop_dynamodb" ]] || scripts/dynamodb-local.sh stop' EXIT

export DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
export DYNAMODB_ENDPOINT="${DYNAMODB_ENDPOINT:-http://127.0.0.1:${DYNAMODB_PORT}}"
if ! scripts/dynamodb-local.sh status >/dev/null 2>&1; then
    scripts/dynamodb-local.sh start
    stop_dynamodb=1
fi

echo "invoke-samples: ${runner:-natively}: $BUILD_DIR"
# --workspace: the same features as `cargo test --workspace`, so nothing it
# built is rebuilt.
LAMBDA_BUILD_DIR="$BUILD_DIR" LAMBDA_RUNNER="$runner" \
    cargo test --workspace --test invoke_samples -- --nocapture
