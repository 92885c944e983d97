#!/usr/bin/env bash
# The Windows build, tested on Linux: cross-builds poolmerge for x86_64-pc-windows-gnu
# (mingw-w64) and runs it under wine:
#   - every acceptance case in tests/data/cases through `poolmerge.exe merge`, against
#     the Linux build on the same inputs: the same bytes, the same exit status;
#   - real `git merge`, `git rebase` and `git cherry-pick` with core.autocrlf=true
#     (Git for Windows' default) whose merge driver is the .exe, against the same with
#     the Linux build (scripts/windows/flows.py): the same trees, LF committed, CRLF
#     checked out. (Under wine the .exe cannot start Linux's git, so the commands that
#     run git, the hooks among them, run on a Windows runner: .github/workflows/ci.yml.)
#
#   scripts/windows.sh [--no-build]
#
# Needs: rustup's x86_64-pc-windows-gnu target, Debian's gcc-mingw-w64-x86-64 and
# wine (installed here when missing, through sudo when not root). Wine 8 lacks
# bcryptprimitives.dll, whose ProcessPrng Rust's std imports: a few lines of C
# (scripts/windows/bcryptprimitives.c) forwarding to RtlGenRandom stand in for it,
# beside the .exe.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
[ "${1:-}" = "--no-build" ] && build=0

target=x86_64-pc-windows-gnu
need=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
command -v wine >/dev/null 2>&1 || need+=(wine wine64)
if [ ${#need[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

out="${CARGO_TARGET_DIR:-target}"
exe="$out/$target/windows-test/poolmerge.exe"
if [ "$build" = 1 ]; then
    # The windows-test profile (Cargo.toml): release code without fat LTO, which
    # takes most of a cross build's time on 2 cores.
    cargo build --locked --profile windows-test --target "$target" --bin poolmerge
    cargo build --locked --release --bin poolmerge
fi
[ -f "$exe" ] || { echo "windows.sh: $exe is not built" >&2; exit 2; }
x86_64-w64-mingw32-gcc -shared -O2 -o "$(dirname "$exe")/bcryptprimitives.dll" \
    scripts/windows/bcryptprimitives.c -ladvapi32

export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$HOME/.wine-poolmerge}"
# One wine server for every run (each wine start otherwise starts its own: seconds).
wineserver -p 2>/dev/null || true  # (already running: fine)
trap 'wineserver -k 2>/dev/null || true' EXIT
wine "$exe" --version
python3 scripts/windows/cases.py --exe "$exe" --wine --linux "$out/release/poolmerge" tests/data/cases
python3 scripts/windows/flows.py --exe "$exe" --wine --linux "$out/release/poolmerge"
