#!/usr/bin/env bash
# The Windows build, tested on Linux: cross-builds poolmerge for x86_64-pc-windows-gnu
# (mingw-w64), checks it with clippy, and runs it under wine:
#   - the unit tests (but those that start git or sh, which wine cannot run);
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
# Clippy on the code only Windows compiles (cfg(not(unix)) paths).
cargo clippy --lib --bins --locked --profile windows-test --target "$target" -- -D warnings
# The unit tests, built for Windows too.
units="$(cargo test --lib --no-run --locked --profile windows-test --target "$target" \
    --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] \
            and m["target"]["name"] == "poolmerge" and m.get("executable"):
        print(m["executable"])')"
[ -f "$units" ] || { echo "windows.sh: the unit tests did not build for $target" >&2; exit 2; }
[ -f "$exe" ] || { echo "windows.sh: $exe is not built" >&2; exit 2; }
for dir in "$(dirname "$exe")" "$(dirname "$units")"; do
    x86_64-w64-mingw32-gcc -shared -O2 -o "$dir/bcryptprimitives.dll" \
        scripts/windows/bcryptprimitives.c -ladvapi32
done

export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$HOME/.wine-poolmerge}"
# One wine server for every run (each wine start otherwise starts its own: seconds).
wineserver -p 2>/dev/null || true  # (already running: fine)
trap 'wineserver -k 2>/dev/null || true' EXIT
wine "$exe" --version
# Those that start git or sh skipped: under wine there are none (a Windows runner has
# Git for Windows, and ci.yml runs them all there).
wine "$units" --quiet \
    --skip commands::install::tests::the_hooks_run_the_binary_by_the_path_sh_reads \
    --skip commands::install::tests::windows_paths_as_git_for_windows_sh_runs_them \
    --skip commands::merge::tests::a_panic_in_the_engine_becomes_gits_plain_merge \
    --skip merge::line::tests::pieces_read_back_from_git_match_the_native_pieces \
    --skip repo::attributes::tests::candidates_hold_every_routed_path_and_few_others
python3 scripts/windows/cases.py --exe "$exe" --wine --linux "$out/release/poolmerge" tests/data/cases
python3 scripts/windows/flows.py --exe "$exe" --wine --linux "$out/release/poolmerge"
