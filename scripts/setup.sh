#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks; quiet and quick when
# everything is already there (safe to run any number of times):
#   Debian packages: Java (DynamoDB Local), Chromium (browser tests), curl;
#   node_modules from package-lock.json (DynamoDB Local, playwright-core);
#   .venv with the SAM CLI, schemathesis and cargo-lambda (+ zig) from
#   requirements-dev.txt;
#   rustfmt, clippy and the aarch64-unknown-linux-gnu target (`sam build`);
#   on a machine that is not arm64, qemu-user-static and Debian's arm64 glibc
#   (scripts/invoke-samples.sh runs the arm64 functions under qemu).
# scripts/test.sh runs it first; `.ci/run` calls scripts/test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { echo "setup: $*" >&2; }

SUDO=""
if [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

apt_missing=()
command -v curl >/dev/null 2>&1 || apt_missing+=(curl ca-certificates)
command -v java >/dev/null 2>&1 || apt_missing+=(default-jre-headless)
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || apt_missing+=(chromium)
if [[ "$(uname -m)" != "aarch64" ]]; then
    command -v qemu-aarch64-static >/dev/null 2>&1 || apt_missing+=(qemu-user-static)
    [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || apt_missing+=(libc6-arm64-cross)
fi
if ((${#apt_missing[@]} > 0)); then
    command -v apt-get >/dev/null 2>&1 || { say "missing ${apt_missing[*]} and no apt-get to install them"; exit 1; }
    say "installing ${apt_missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh image may have no package lists; an install that fails for that
    # reason is retried once after an update.
    $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null 2>&1 || {
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
    }
fi

for tool in cargo node npm python3 java curl; do
    command -v "$tool" >/dev/null 2>&1 || { say "missing required tool: $tool"; exit 1; }
done
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
# sam build compiles the functions for arm64 (Lambda's Graviton).
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
    || { say "rustup target add aarch64-unknown-linux-gnu"; rustup target add aarch64-unknown-linux-gnu >/dev/null; }

# node_modules is current when npm's own record of the install matches the
# lock file; otherwise `npm ci` makes it so.
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null \
    && ! node -e '
        const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
        for (const k of Object.keys(a)) if (k && (!b[k] || b[k].version !== a[k].version)) process.exit(1);
    ' 2>/dev/null; then
    say "npm ci (DynamoDB Local, playwright-core)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# Every pinned requirement must be installed at its version (one missing is
# enough to install).
venv_current() {
    [[ -x .venv/bin/python ]] || return 1
    local frozen
    frozen="$(.venv/bin/python -m pip freeze --disable-pip-version-check 2>/dev/null)" || return 1
    local req
    while read -r req; do
        # pip freeze names a package without its extras: moto[server]==x is moto==x.
        req="${req/\[*\]/}"
        grep -qxiF "$req" <<<"$frozen" || return 1
    done < <(grep -v '^#' requirements-dev.txt | grep .)
}
if ! venv_current; then
    say "python venv .venv with $(grep -v '^#' requirements-dev.txt | tr '\n' ' ')"
    [[ -x .venv/bin/python ]] || python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
fi
