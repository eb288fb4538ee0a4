#!/usr/bin/env bash
# Storage engine benchmark: the ingest path's event writes (the realistic mix
# over 5,000 broadcasters, row + per-broadcaster feed entry, an fsync per
# commit) in SQLite as the local store lays them out, fjall (an LSM tree) and
# redb (a copy-on-write B-tree), one after another on core 0, each twice.
#
#   scripts/bench-engines.sh [events=150000] [events-per-commit=32]
#
# bench/engines is outside the workspace (CI does not build fjall or redb);
# its build goes to target/engines.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EVENTS="${1:-150000}"
BATCH="${2:-32}"
CARGO_TARGET_DIR="$ROOT/target/engines" cargo build --release --quiet \
    --manifest-path "$ROOT/bench/engines/Cargo.toml"
pin_cores
export ENGINES_DIR="$WORK"
printf '%s events, %s to a commit, fsync per commit\n\n' "$EVENTS" "$BATCH"
printf '| engine | events/commit | CPU-µs/event | wall-µs/event | KB written/event | row bytes |\n'
printf '|---|---|---|---|---|---|\n'
for _ in 1 2; do
    for engine in sqlite fjall redb; do
        "${PIN_0[@]}" "$ROOT/target/engines/release/engines" "$engine" "$EVENTS" "$BATCH"
    done
done
