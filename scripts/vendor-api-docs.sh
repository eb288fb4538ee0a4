#!/usr/bin/env bash
# Refreshes web/docs/vendor/ (what /api/docs is rendered with) from the
# swagger-ui-dist version pinned in package.json:
#   scripts/vendor-api-docs.sh
# It fetches the package's tarball with `npm pack` (no node_modules, no
# install scripts), refuses it unless its sha512 is the `integrity` that
# package-lock.json records, and writes the two files the page loads gzipped
# (gzip -9n: the same bytes on every run, so an unchanged version is no diff;
# the api binary embeds and serves them as they are, Content-Encoding: gzip)
# plus the package's licence, notice and the bundle's third-party licences.
# The trailing sourceMappingURL comment is dropped (the maps are not served).
# To move to another version: change package.json, `npm install
# --package-lock-only`, run this, commit web/docs/vendor/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PKG=swagger-ui-dist
OUT=web/docs/vendor
version="$(node -p "require('./package.json').devDependencies['$PKG']")"
locked="$(node -p "(require('./package-lock.json').packages['node_modules/$PKG'] || {}).version")"
integrity="$(node -p "(require('./package-lock.json').packages['node_modules/$PKG'] || {}).integrity")"
[[ "$version" == "$locked" ]] || { echo "package.json pins $PKG $version, package-lock.json has $locked" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball="$(cd "$tmp" && npm pack --silent "$PKG@$version" | tail -n 1)"
actual="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
[[ "$actual" == "$integrity" ]] || { echo "$PKG $version: tarball $actual, package-lock.json $integrity" >&2; exit 1; }
tar -xzf "$tmp/$tarball" -C "$tmp"

mkdir -p "$OUT"
for f in swagger-ui-bundle.js swagger-ui.css; do
    sed -e '$ {/sourceMappingURL=/d}' "$tmp/package/$f" | gzip -9n >"$OUT/$f.gz"
done
cp "$tmp/package/LICENSE" "$OUT/LICENSE.txt"
cp "$tmp/package/NOTICE" "$OUT/NOTICE.txt"
cp "$tmp/package/swagger-ui-bundle.js.LICENSE.txt" "$OUT/THIRD-PARTY-LICENSES.txt"
echo "$PKG $version ($integrity)" >"$OUT/VERSION.txt"
ls -l "$OUT"
