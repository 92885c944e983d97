#!/usr/bin/env bash
# Builds and installs poolmerge, then registers the merge driver.
#
#   ./install.sh [--prefix DIR] [--repo PATH] [--global]
#
#   --prefix DIR   install the binary into DIR/bin (cargo install --root DIR)
#   --repo PATH    register the driver in that repository and route database/*.py to it
#   --global       register the driver in your global git config (attributes stay per
#                  repository: add `database/*.py merge=poolmerge` to each one)
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

prefix=""
repo=""
global=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
        --repo) [ $# -ge 2 ] || die "--repo needs a path"; repo="$2"; shift 2 ;;
        --global) global=1; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs)"
command -v git >/dev/null 2>&1 || die "git is not installed"
if [ -n "$repo" ]; then
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "$repo is not a git repository"
fi

here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "$prefix" ]; then
    cargo install --path "$here" --locked --root "$prefix"
    bin="$(cd "$prefix" && pwd)/bin/poolmerge"
else
    cargo install --path "$here" --locked
    bin="${CARGO_HOME:-$HOME/.cargo}/bin/poolmerge"
fi
[ -x "$bin" ] || die "the build did not produce $bin"

# The driver line names the binary by its absolute, quoted path: a driver command git
# cannot find exits 127, which git records as a conflict with no markers.
driver="'$bin' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L"
register() {
    git config "$@" merge.poolmerge.name "poolmerge: keep the pinned SQLAlchemy pool"
    git config "$@" merge.poolmerge.driver "$driver"
}
if [ "$global" = 1 ]; then
    register --global
    echo "registered the poolmerge driver in your global git config"
fi
if [ -n "$repo" ]; then
    register --file "$(git -C "$repo" rev-parse --absolute-git-dir)/config"
    attrs="$repo/.gitattributes"
    line="database/*.py merge=poolmerge"
    if ! grep -qxF "$line" "$attrs" 2>/dev/null; then
        printf '%s\n' "$line" >> "$attrs"
    fi
    echo "registered the poolmerge driver in $repo (attributes: $attrs)"
fi
echo "installed $bin"
