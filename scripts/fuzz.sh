#!/usr/bin/env bash
# Fuzzes the merge engine (fuzz/fuzz_targets/merge.rs) for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]        default 600
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain, or the
# stable one with RUSTC_BOOTSTRAP=1 (used when no nightly is installed). The corpus
# starts from the acceptance cases (tests/data/cases) and grows in fuzz/corpus/merge;
# crashes land in fuzz/artifacts/merge, each to become a test case.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
command -v cargo-fuzz >/dev/null 2>&1 || { echo "fuzz.sh: cargo-fuzz is needed: cargo install cargo-fuzz" >&2; exit 1; }
corpus=fuzz/corpus/merge
if [ ! -d "$corpus" ]; then
    mkdir -p "$corpus"
    # A seed per case: style byte, marker-size byte, base FF FE FD FC ours FF FE FD FC theirs.
    for dir in tests/data/cases/*/; do
        name=$(basename "$dir")
        { printf '\001\007'; cat "$dir/base.py"; printf '\377\376\375\374'; cat "$dir/ours.py"; printf '\377\376\375\374'; cat "$dir/theirs.py"; } > "$corpus/$name"
    done
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi
exec cargo "${toolchain[@]}" fuzz run merge "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20
