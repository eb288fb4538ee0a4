#!/usr/bin/env bash
# Builds every function in template.yaml the way a deployment does:
# `sam build` (build method rust-cargolambda: cargo-lambda from the project's
# .venv, arm64 through zig, release profile) into .aws-sam/build/, then checks
# that each function has an arm64 `bootstrap` and prints its size and the
# build's wall time. Exits non-zero when any function does not build.
#
#   scripts/sam-build.sh            # what scripts/test.sh (and so CI) runs
#
# Needs what scripts/setup.sh installs (the venv with aws-sam-cli and
# cargo-lambda, the aarch64-unknown-linux-gnu Rust target). cargo reuses its
# target directory (CARGO_TARGET_DIR, default target/), so a second run only
# rebuilds what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/aws-loopback-env.sh
source scripts/aws-loopback-env.sh
# cargo-lambda and its zig live in the venv.
export PATH="$ROOT/.venv/bin:$PATH"

start=$SECONDS
sam build --template-file template.yaml
elapsed=$((SECONDS - start))

# The functions in the template, and what SAM made of each.
functions=$(awk '/^  [A-Za-z]+Function:$/ { sub(":", "", $1); print $1 }' template.yaml)
[[ -n "$functions" ]] || { echo "sam-build: no functions found in template.yaml" >&2; exit 1; }
failed=0
for f in $functions; do
    bin=".aws-sam/build/$f/bootstrap"
    if [[ ! -x "$bin" ]]; then
        echo "sam-build: $f: no $bin" >&2
        failed=1
        continue
    fi
    # ELF e_machine (bytes 18-19, little endian): b7 00 is aarch64.
    machine=$(od -An -tx1 -j18 -N2 "$bin" | tr -d ' \n')
    if [[ "$machine" != "b700" ]]; then
        echo "sam-build: $f: $bin is not an arm64 executable (e_machine $machine)" >&2
        failed=1
        continue
    fi
    printf 'sam-build: %-26s %6.1f MB arm64\n' "$f" "$(awk -v b="$(stat -c %s "$bin")" 'BEGIN { print b / 1e6 }')"
done
echo "sam-build: sam build took ${elapsed} s"
exit "$failed"
