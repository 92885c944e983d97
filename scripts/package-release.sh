#!/usr/bin/env bash
# Packs a built poolmerge binary as a release archive (the release workflow runs it
# for every target; the tests run it on the binary they test):
#
#   scripts/package-release.sh VERSION TARGET BINARY OUTDIR
#
# writes OUTDIR/poolmerge-VERSION-TARGET.tar.gz (a .zip for a Windows target): a
# folder of that name holding the binary (poolmerge, or poolmerge.exe), README.md and
# the licences. install.sh --from installs it; on Windows, install.ps1 -From.
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: scripts/package-release.sh VERSION TARGET BINARY OUTDIR" >&2
    exit 2
fi
version="$1" target="$2" binary="$3" out="$4"
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$binary" ] || { echo "package-release.sh: $binary is not a file" >&2; exit 2; }
name="poolmerge-$version-$target"
case "$target" in
    *-windows-*) exe=poolmerge.exe ;;
    *) exe=poolmerge
       [ -x "$binary" ] || { echo "package-release.sh: $binary is not an executable" >&2; exit 2; }
       "$binary" --version >/dev/null || { echo "package-release.sh: $binary does not run" >&2; exit 2; } ;;
esac
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "$binary" "$stage/$name/$exe"
chmod 755 "$stage/$name/$exe"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/$name/"
cp "$root/crates/linemerge/LICENSE-LGPL" "$root/crates/linemerge/LICENSE-EDL" "$stage/$name/"
case "$target" in
    *-windows-*)
        # A zip, which Windows opens itself (Expand-Archive); the same bytes for the
        # same inputs: sorted names, a fixed time. Python is on every runner.
        python="$(command -v python3 || command -v python)"
        "$python" - "$stage" "$name" "$out/$name.zip" <<'PY'
import os, sys, zipfile
stage, name, archive = sys.argv[1:]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for file in sorted(os.listdir(os.path.join(stage, name))):
        info = zipfile.ZipInfo(f"{name}/{file}", date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(stage, name, file), "rb") as f:
            z.writestr(info, f.read())
PY
        echo "$out/$name.zip"
        ;;
    *)
        # The same bytes for the same inputs: sorted names, no owner, a fixed time.
        tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
            --mtime='2026-01-01 00:00:00Z' -czf "$out/$name.tar.gz" "$name" 2>/dev/null \
            || tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
        echo "$out/$name.tar.gz"
        ;;
esac
