//! The merge engine in-process, so that regressions show without process noise:
//!
//!     cargo run --release --example throughput -- BASE OURS THEIRS
//!
//! Prints one JSON object: the inputs' total size, the median time of the whole
//! engine and of the plain line merge alone on the same inputs. Used by
//! scripts/bench.sh.

use std::time::{Duration, Instant};

use poolmerge::merge::line::NativeMerge;
use poolmerge::merge::{self, Input, Options};

/// The median time of `f`, run at least five times and for about two seconds.
fn median(mut f: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || start.elapsed() < Duration::from_secs(2) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        eprintln!("usage: throughput BASE OURS THEIRS");
        std::process::exit(2);
    }
    let [b, o, t] = [0, 1, 2].map(|i| {
        std::fs::read(&args[i]).unwrap_or_else(|e| {
            eprintln!("throughput: cannot read {}: {e}", args[i]);
            std::process::exit(2);
        })
    });
    let input = Input {
        base: &b,
        ours: &o,
        theirs: &t,
    };
    let opts = Options::default();
    let engine = median(|| {
        merge::merge(&input, &opts, &NativeMerge).expect("merge");
    });
    let line = median(|| {
        merge::plain(&input, &opts, &NativeMerge, merge::Plain::NoRegions).expect("merge");
    });
    println!(
        "{{\"bytes\": {}, \"engine_ms\": {:.3}, \"line_ms\": {:.3}}}",
        b.len() + o.len() + t.len(),
        engine * 1e3,
        line * 1e3
    );
}
