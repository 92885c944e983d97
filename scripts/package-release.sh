#!/usr/bin/env bash
# Packs a built poolmerge binary as a release archive (the release workflow runs it
# for every target; the tests run it on the binary they test):
#
#   scripts/package-release.sh VERSION TARGET BINARY OUTDIR
#
# writes OUTDIR/poolmerge-VERSION-TARGET.tar.gz: a folder of that name holding the
# binary, README.md and the licences. install.sh --from installs it.
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: scripts/package-release.sh VERSION TARGET BINARY OUTDIR" >&2
    exit 2
fi
version="$1" target="$2" binary="$3" out="$4"
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$binary" ] || { echo "package-release.sh: $binary is not an executable" >&2; exit 2; }
"$binary" --version >/dev/null || { echo "package-release.sh: $binary does not run" >&2; exit 2; }
name="poolmerge-$version-$target"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "$binary" "$stage/$name/poolmerge"
chmod 755 "$stage/$name/poolmerge"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/$name/"
cp "$root/crates/linemerge/LICENSE-LGPL" "$root/crates/linemerge/LICENSE-EDL" "$stage/$name/"
# The same bytes for the same inputs: sorted names, no owner, a fixed time.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime='2026-01-01 00:00:00Z' -czf "$out/$name.tar.gz" "$name" 2>/dev/null \
    || tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
