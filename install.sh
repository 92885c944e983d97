#!/usr/bin/env bash
# Builds and installs poolmerge, then registers the merge driver.
#
#   ./install.sh [--from ARCHIVE] [--prefix DIR] [--repo PATH] [--global] [--hooks]
#
#   --from ARCHIVE a release archive (a file or an http(s) URL) to install instead of
#                  building: checked against the SHA256SUMS file beside it (or
#                  --sha256 HEX) before anything is installed
#   --sha256 HEX   the archive's SHA-256, where no SHA256SUMS stands beside it
#   --prefix DIR   install the binary into DIR/bin (cargo install --root DIR; with
#                  --from, ~/.local by default); built from source on Linux, the
#                  binary is linked statically where glibc's static library is there
#   --repo PATH    register the driver in that repository and route the configured
#                  files (database/*.py by default) to it
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
from=""
sha256=""
while [ $# -gt 0 ]; do
    case "$1" in
        --from) [ $# -ge 2 ] || die "--from needs an archive (a file or a URL)"; from="$2"; shift 2 ;;
        --sha256) [ $# -ge 2 ] || die "--sha256 needs a checksum"; sha256="$2"; shift 2 ;;
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
        --repo) [ $# -ge 2 ] || die "--repo needs a path"; repo="$2"; shift 2 ;;
        --global) global=1; shift ;;
        --hooks) hooks=1; shift ;;
        # The comment block at the top of this file, and nothing after it.
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

[ -n "$from" ] || command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs); or install a release with --from ARCHIVE"
command -v git >/dev/null 2>&1 || die "git is not installed"
if [ -n "$repo" ]; then
    [ -d "$repo" ] || die "$repo is not a directory"
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "$repo is not a git repository"
fi
if [ "$hooks" = 1 ] && [ -z "$repo" ]; then
    die "--hooks needs --repo PATH (hooks are per repository)"
fi

# The SHA-256 of a file, with whichever tool the machine has.
sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed: cannot check the archive"
    fi
}

# Copies a file or downloads a URL to a path.
fetch() {
    case "$1" in
        http://*|https://*)
            if command -v curl >/dev/null 2>&1; then
                curl -fsSL "$1" -o "$2"
            elif command -v wget >/dev/null 2>&1; then
                wget -q "$1" -O "$2"
            else
                die "neither curl nor wget is installed: cannot download $1"
            fi ;;
        *) [ -f "$1" ] || return 1; cp "$1" "$2" ;;
    esac
}

here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "$from" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    name="${from##*/}"
    fetch "$from" "$tmp/$name" || die "cannot read $from"
    if [ -z "$sha256" ]; then
        case "$from" in */*) beside="${from%/*}" ;; *) beside="." ;; esac
        fetch "$beside/SHA256SUMS" "$tmp/SHA256SUMS" 2>/dev/null \
            || die "no SHA256SUMS beside $from: pass --sha256 HEX to check the archive"
        sha256="$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1; exit }' "$tmp/SHA256SUMS")"
        [ -n "$sha256" ] || die "SHA256SUMS beside $from does not list $name"
    fi
    actual="$(sha256_of "$tmp/$name")"
    [ "$actual" = "$sha256" ] || die "$name does not match its checksum (expected $sha256, got $actual): not installed"
    mkdir -p "$tmp/x"
    case "$name" in
        *.zip) unzip -q "$tmp/$name" -d "$tmp/x" ;;
        *) tar -xzf "$tmp/$name" -C "$tmp/x" ;;
    esac || die "cannot unpack $name"
    found="$(find "$tmp/x" -type f \( -name poolmerge -o -name poolmerge.exe \) | head -1)"
    [ -n "$found" ] || die "$name holds no poolmerge binary"
    [ -n "$prefix" ] || prefix="$HOME/.local"
    mkdir -p "$prefix/bin"
    prefix="$(cd "$prefix" && pwd)"
    bin="$prefix/bin/${found##*/}"
    # Tried before it replaces anything: a binary of another platform is not installed.
    cp "$found" "$bin.new" && chmod 755 "$bin.new"
    if ! "$bin.new" --version >/dev/null 2>&1; then
        rm -f "$bin.new"
        die "the binary in $name does not run on this machine (another platform's archive?): not installed"
    fi
    mv -f "$bin.new" "$bin"
else
    root=()
    if [ -n "$prefix" ]; then
        mkdir -p "$prefix"
        prefix="$(cd "$prefix" && pwd)"
        root=(--root "$prefix")
        bin="$prefix/bin/poolmerge"
    else
        bin="${CARGO_HOME:-$HOME/.cargo}/bin/poolmerge"
    fi
    # git starts the driver once per file: on Linux with glibc, link it statically,
    # which starts about 0.3 ms sooner (docs/BENCHMARKS.md). --target keeps the flag
    # off build scripts and procedural macros. Your own RUSTFLAGS win; where a static
    # glibc is not installed, the usual build.
    host="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
    if [ -z "${RUSTFLAGS:-}" ] && [[ "$host" == *-linux-gnu ]] &&
        RUSTFLAGS="-C target-feature=+crt-static" cargo install --path "$here" --locked \
            --target "$host" ${root[@]+"${root[@]}"}; then
        :
    else
        cargo install --path "$here" --locked ${root[@]+"${root[@]}"}
    fi
fi
# Git Bash on Windows: cargo installs poolmerge.exe.
[ -f "$bin" ] || [ ! -f "$bin.exe" ] || bin="$bin.exe"
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
    echo "next: commit .gitattributes in $repo, so that the route holds in every clone:"
    echo "      git -C \"$repo\" add .gitattributes && git -C \"$repo\" commit -m \"Merge with poolmerge\""
    echo "then: git merge upstream/main in $repo merges database/*.py through poolmerge"
else
    echo "next: in your fork, poolmerge install --hooks (driver, route, hooks), then commit .gitattributes"
fi
