#!/usr/bin/env bash
# Builds and installs poolmerge, then registers the merge driver.
#
#   ./install.sh [--prefix DIR] [--repo PATH] [--global] [--hooks]
#
#   --prefix DIR   install the binary into DIR/bin (cargo install --root DIR)
#   --repo PATH    register the driver in that repository and route database/*.py to it
#   --global       register the driver in your global git config (attributes stay per
#                  repository: run `poolmerge install` in each fork)
#   --hooks        with --repo: also install the hooks that pin modules only upstream
#                  changed (git runs a merge driver only for files both sides changed)
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

prefix=""
repo=""
global=0
hooks=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
        --repo) [ $# -ge 2 ] || die "--repo needs a path"; repo="$2"; shift 2 ;;
        --global) global=1; shift ;;
        --hooks) hooks=1; shift ;;
        # The comment block at the top of this file, and nothing after it.
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs)"
command -v git >/dev/null 2>&1 || die "git is not installed"
if [ -n "$repo" ]; then
    [ -d "$repo" ] || die "$repo is not a directory"
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "$repo is not a git repository"
fi
if [ "$hooks" = 1 ] && [ -z "$repo" ]; then
    die "--hooks needs --repo PATH (hooks are per repository)"
fi

here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "$prefix" ]; then
    mkdir -p "$prefix"
    prefix="$(cd "$prefix" && pwd)"
    cargo install --path "$here" --locked --root "$prefix"
    bin="$prefix/bin/poolmerge"
else
    cargo install --path "$here" --locked
    bin="${CARGO_HOME:-$HOME/.cargo}/bin/poolmerge"
fi
[ -x "$bin" ] || die "the build did not produce $bin"
echo "installed $bin"

# The installed binary registers itself by its absolute path: a driver command git
# cannot find exits 127, which git records as a conflict with no markers.
if [ "$global" = 1 ]; then
    "$bin" install --global
fi
if [ -n "$repo" ]; then
    if [ "$hooks" = 1 ]; then
        (cd "$repo" && "$bin" install --hooks)
    else
        (cd "$repo" && "$bin" install)
    fi
    echo "next: git merge upstream/main in $repo merges database/*.py through poolmerge"
fi
