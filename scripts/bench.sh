#!/usr/bin/env bash
# poolmerge's benchmark: poolmerge merge against git merge-file at 20 KB to 20 MB,
# each clean and with one conflict far from the engine,
# peak memory, check --merge against git merge-tree, a whole git merge with no driver,
# a no-op driver, poolmerge's driver and its hooks, the engine in MB/s. Prints a
# Markdown report (docs/BENCHMARKS.md holds the last one).
#
#   scripts/bench.sh [--quick] [--sizes 20K,200K,2M,20M] [--replays CLONE]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null 2>&1 || { echo "bench.sh: python3 is needed" >&2; exit 1; }
command -v git >/dev/null 2>&1 || { echo "bench.sh: git is needed" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
    # Peak memory comes from GNU time (Debian's package "time").
    if command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
    fi
    [ -x /usr/bin/time ] || { echo "bench.sh: /usr/bin/time (GNU time) is needed for peak memory" >&2; exit 1; }
fi
cargo build --release --quiet --bin poolmerge --example throughput
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'), $(git --version)"
exec python3 scripts/bench.py target/release/poolmerge --throughput target/release/examples/throughput "$@"
