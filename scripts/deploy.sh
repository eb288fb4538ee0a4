#!/usr/bin/env bash
# Deploys the stack to AWS, the first time and every time after, without a
# question whose default aborts (docs/deploy.md):
#
#   scripts/deploy.sh --twitch-client-id <id> [--region eu-west-1] [--stack-name streamer-events]
#   scripts/deploy.sh track <twitch login>     # track a streamer (POST AdminUrl with the admin token)
#   scripts/deploy.sh --help
#
# It keeps the functions' secrets in AWS Secrets Manager (one secret,
# streamer-events/<stack name>: generated once, reused after; the Twitch
# client secret is asked once, hidden), runs `sam build` and `sam deploy`, and
# prints PageUrl, TwitchRedirectUrl and the next steps. A stack left in
# ROLLBACK_COMPLETE by a failed first create is reported; --delete-failed
# deletes it and deploys. The work is done by scripts/deploy/deploy.py, which
# reads and writes the secret in-process (boto3), so no secret is ever in a
# process's arguments or environment.
#
# Needs AWS credentials (a profile or the usual AWS_* variables), a region
# (--region, AWS_REGION or the profile's), and what scripts/setup.sh installs
# (.venv with the SAM CLI and boto3, cargo-lambda, zig, the aarch64 target).
# `sam` is the first on PATH, else the one in .venv/bin.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Appended, not prepended: a `sam` already on PATH (yours, or a test's
# stand-in) wins; cargo-lambda and zig for `sam build` are found either way.
export PATH="$PATH:$ROOT/.venv/bin"
export SAM_CLI_TELEMETRY="${SAM_CLI_TELEMETRY:-0}"

PY="$ROOT/.venv/bin/python"
[[ -x "$PY" ]] || PY="python3"
exec "$PY" "$ROOT/scripts/deploy/deploy.py" "$@"
