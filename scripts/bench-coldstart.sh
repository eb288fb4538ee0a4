#!/usr/bin/env bash
# Cold-start benchmark: builds the six Lambda functions and a hello-world
# `lambda_runtime` baseline (bench/coldstart) in release, then starts each one
# N times (default 15) against a Runtime API stand-in on loopback that times
# spawn -> first GET /runtime/invocation/next, and prints size and init
# median/min/max per function next to the baseline.
#
#   scripts/bench-coldstart.sh [runs]
#
# BENCH_PORT (default 9110) is the stand-in's port. BEFORE_DIR=<dir> adds
# the function binaries found there (e.g. copies of an earlier commit's
# target/release/<name>) as "<name> before", measured in the same rounds. With ARM64=1 it also
# builds the aarch64 binaries (`cargo lambda build --release --arm64`, needs
# cargo-lambda and zig, e.g. from .venv) and prints their sizes.
# Each function gets the environment the template gives it, with dummy
# values and every endpoint on loopback (nothing is contacted during init).
# Each function that has secrets is measured twice: as "<name>", reading
# them from its environment (the local stack, `sam local`), and as
# "<name>+store", reading them from a Secrets Manager stand-in on loopback as
# deployed (SECRETS_ID set): its init includes that one GetSecretValue, less
# the network's round trip. The binaries measured are copies, taken right
# after the build (a shared CARGO_TARGET_DIR may be rebuilt meanwhile).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/aws-loopback-env.sh"

RUNS="${1:-15}"
PORT="${BENCH_PORT:-9110}"
FUNCTIONS=(webhook fanout api websocket eventsub_manager poller)

packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release --quiet "${packages[@]}"
# Apart: the driver links the store stand-in (shared's `fixtures`), which in
# one build with the functions would be unified into them.
cargo build --release --quiet -p coldstart --bins
mkdir -p "$WORK/bin"
for b in "${FUNCTIONS[@]}" hello coldstart; do cp "$TARGET/release/$b" "$WORK/bin/"; done

if [[ "${ARM64:-0}" == "1" ]]; then
    [[ -d "$ROOT/.venv/bin" ]] && export PATH="$ROOT/.venv/bin:$PATH"
    cargo lambda build --release --arm64 --quiet "${packages[@]}" -p coldstart
fi

# What Lambda sets for every function (the runtime client reads these).
export AWS_LAMBDA_FUNCTION_VERSION='$LATEST' AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256
export AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/bench AWS_LAMBDA_LOG_STREAM_NAME=bench
export AWS_LAMBDA_FUNCTION_NAME=bench AWS_SESSION_TOKEN=local
# The template's variables, dummy values; endpoints on loopback.
export EVENTS_TABLE=events SUBSCRIPTIONS_TABLE=subscriptions STREAMERS_TABLE=streamers
export SNAPSHOTS_TABLE=snapshots USERS_TABLE=users CONNECTIONS_TABLE=connections
export DYNAMODB_ENDPOINT=http://127.0.0.1:9
export EVENTSUB_SECRET=bench-eventsub-secret ADMIN_TOKEN=bench-admin-token
export SESSION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
export TICKET_SECRET=bench-ticket-secret-of-at-least-32-bytes
export WEBSOCKET_AUTH=tickets WEBSOCKET_URL=ws://127.0.0.1:9/ws WEBSOCKET_ENDPOINT=http://127.0.0.1:9
export ALLOWED_ORIGINS=http://127.0.0.1:9 CALLBACK_URL=http://127.0.0.1:9/eventsub
export TWITCH_CLIENT_ID=bench TWITCH_CLIENT_SECRET=bench
export TWITCH_HELIX_URL=http://127.0.0.1:9/helix TWITCH_OAUTH_URL=http://127.0.0.1:9/oauth2
export POLL_MODE=tracked RUST_LOG=info
# Lambda sets no CA overrides; a machine that does (this one sets
# AWS_CA_BUNDLE and SSL_CERT_FILE for its egress proxy) would time its own.
unset AWS_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR

targets=()
for f in "${FUNCTIONS[@]}"; do
    if [[ -n "${BEFORE_DIR:-}" && -x "$BEFORE_DIR/$f" ]]; then targets+=("$f before=$BEFORE_DIR/$f"); fi
    arm=""
    if [[ "${ARM64:-0}" == "1" ]]; then arm=",$TARGET/aarch64-unknown-linux-gnu/release/$f"; fi
    targets+=("$f=$WORK/bin/$f$arm")
    if [[ "$f" != fanout ]]; then targets+=("$f+store=$WORK/bin/$f"); fi
done
baseline="$WORK/bin/hello"
if [[ "${ARM64:-0}" == "1" ]]; then baseline+=",$TARGET/aarch64-unknown-linux-gnu/release/hello"; fi
"$WORK/bin/coldstart" --runs "$RUNS" --port "$PORT" \
    --baseline "$baseline" "${targets[@]}"
