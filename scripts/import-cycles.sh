#!/usr/bin/env bash
# Prints every import cycle between the workspace's .rs files (shared,
# functions/*, local, twitch_sim, fuzz, bench/coldstart: every member of Cargo.toml's
# workspace, all their targets) and any import of `local` from `shared` or
# `functions/`; exits 1 when there is either. Python 3.11 standard library
# only, no build.
#
#   scripts/import-cycles.sh               # the repository
#   scripts/import-cycles.sh --self-test   # the checker on tiny fake workspaces
#
# An edge A -> B: a `use` or a path in A (`crate::a::b::Item`, `super::x::f`,
# `shared::x::Item`) that names an item defined in B, re-exports followed to
# the definition. Not edges: `mod` declarations, re-exports (`pub use`,
# `pub(crate) use`), a file and its parent module (either way). Each cycle is
# printed as its files in order, then the import behind each step
# (scripts/imports/: rust_source.py reads the files, graph.py resolves the
# paths, cycles.py finds the cycles).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 scripts/imports/cycles.py "${@:-.}"
