#!/usr/bin/env bash
# Compares poolmerge's native line merge with `git merge-file --diff-algorithm=histogram`
# on real file histories: for every file of REPO (default: this repository) and every
# three consecutive versions of it, the merge of (v1 as base, v3 as ours, v2 as theirs)
# and the other way round, in all three conflict styles.
#
#   scripts/real-triples.sh [REPO] [MAX_FILES]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="${1:-$here}"
max_files="${2:-400}"
bin="$here/target/release/poolmerge"
[ -x "$bin" ] || (cd "$here" && cargo build --release --quiet)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
total=0
differ=0
cd "$repo"
git ls-files | head -n "$max_files" | while IFS= read -r path; do
    mapfile -t revs < <(git log --format=%H --follow -- "$path" 2>/dev/null | head -n 12)
    n=${#revs[@]}
    [ "$n" -ge 3 ] || continue
    for ((i = 0; i + 2 < n; i++)); do
        git show "${revs[i+2]}:$path" > "$tmp/v1" 2>/dev/null || continue
        git show "${revs[i+1]}:$path" > "$tmp/v2" 2>/dev/null || continue
        git show "${revs[i]}:$path" > "$tmp/v3" 2>/dev/null || continue
        for order in "v3 v2" "v2 v3"; do
            set -- $order
            for style in merge diff3 zdiff3; do
                flag="--$style"; [ "$style" = merge ] && flag=--no-diff3
                git merge-file -p --diff-algorithm=histogram "$flag" -L ours -L base -L theirs \
                    "$tmp/$1" "$tmp/v1" "$tmp/$2" > "$tmp/git" 2>/dev/null && gs=0 || gs=$?
                [ "$gs" -gt 127 ] && continue   # binary: git refuses, so does poolmerge
                cp "$tmp/$1" "$tmp/ours"
                POOLMERGE=0 "$bin" merge "$tmp/v1" "$tmp/ours" "$tmp/$2" -s base -x ours -y theirs \
                    --style "$style" --quiet --stdout > "$tmp/pm" 2>/dev/null && ps=0 || ps=$?
                total=$((total + 1))
                if ! cmp -s "$tmp/git" "$tmp/pm" || [ $((gs > 0)) -ne "$ps" ]; then
                    differ=$((differ + 1))
                    echo "DIFF $path ${revs[i+2]:0:8} ${revs[i+1]:0:8} ${revs[i]:0:8} $order $style"
                fi
            done
        done
    done
    echo "$total $differ" > "$tmp/count"
done
read -r total differ < "$tmp/count" 2>/dev/null || { total=0; differ=0; }
echo "$differ of $total real triples differ from git merge-file"
[ "$differ" -eq 0 ]
