//! The merge engine in-process, in MB/s of input, so that regressions show without
//! process noise:
//!
//!     cargo run --release --example throughput -- BASE OURS THEIRS
//!
//! Used by scripts/bench.sh.

use std::time::{Duration, Instant};

use poolmerge::merge::native::NativeMerge;
use poolmerge::merge::{self, Input, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [b, o, t] = [0, 1, 2].map(|i| std::fs::read(&args[i]).expect("BASE OURS THEIRS"));
    let input = Input {
        base: &b,
        ours: &o,
        theirs: &t,
    };
    let opts = Options::default();
    let bytes = (b.len() + o.len() + t.len()) as f64;
    let mut runs = 0u32;
    let start = Instant::now();
    while runs < 3 || start.elapsed() < Duration::from_secs(2) {
        merge::merge(&input, &opts, &NativeMerge).expect("merge");
        runs += 1;
    }
    let per = start.elapsed().as_secs_f64() / f64::from(runs);
    let plain_start = Instant::now();
    for _ in 0..runs {
        merge::plain(&input, &opts, &NativeMerge, merge::Plain::NoRegions).expect("merge");
    }
    let plain = plain_start.elapsed().as_secs_f64() / f64::from(runs);
    println!(
        "{:.0} MB/s for the whole engine ({:.1} ms a merge of {:.1} MB of inputs), {:.0} MB/s for the line merge alone",
        bytes / per / 1e6,
        per * 1e3,
        bytes / 1e6,
        bytes / plain / 1e6
    );
}
