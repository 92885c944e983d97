//! Differential test: on files without pool regions poolmerge promises git's own
//! merge, byte for byte. Generated three-way inputs (fixed seeds) cover CRLF and mixed
//! line endings, missing final newlines, marker sizes 7/9/11, all three styles,
//! identical changes on both sides, adjacent edits, and lines that mention
//! `create_engine` without calling it (so the syntax layer runs and must stay out).

use crate::support::{git_merge_file, run_merge};

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const LINES: &[&str] = &[
    "import os",
    "import logging",
    "from sqlalchemy import create_engine",
    "from sqlalchemy.orm import sessionmaker",
    "",
    "",
    "",
    "def f{n}(x):",
    "    return x + {n}",
    "    if x:",
    "        pass",
    "x{n} = {n}",
    "# note {n}",
    "    logger.info(\"create_engine ready {n}\")",
    "    # create_engine is configured in db.py",
    ")",
    "}",
    "    \"\"\"Docstring {n}.\"\"\"",
    "class C{n}:",
    "    y = {n}",
    "    café = \"{n}\"",
];

fn line(rng: &mut Rng) -> String {
    LINES[rng.below(LINES.len())].replace("{n}", &rng.below(4).to_string())
}

/// Applies a few random edits; `near` makes an edit land next to a given index.
fn edit(
    rng: &mut Rng,
    lines: &mut Vec<String>,
    ops: &mut Vec<(usize, usize, Vec<String>)>,
    near: Option<usize>,
) {
    let at = match near {
        Some(i) if rng.chance(50) => (i + rng.below(3)).saturating_sub(1).min(lines.len()),
        _ => rng.below(lines.len() + 1),
    };
    let del = if at < lines.len() {
        rng.below(3).min(lines.len() - at)
    } else {
        0
    };
    let ins: Vec<String> = (0..rng.below(3)).map(|_| line(rng)).collect();
    lines.splice(at..at + del, ins.clone());
    ops.push((at, del, ins));
}

fn render(lines: &[String], rng: &mut Rng, eol_mode: usize, final_newline: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(l.as_bytes());
        let last = i + 1 == lines.len();
        if last && !final_newline {
            break;
        }
        let crlf = match eol_mode {
            0 => false,
            1 => true,
            _ => rng.chance(50),
        };
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }
    out
}

struct Generated {
    base: Vec<u8>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
    size: usize,
    style: &'static str,
}

fn generate(seed: u64) -> Generated {
    let mut rng = Rng(seed);
    let n = 3 + rng.below(38);
    let base: Vec<String> = (0..n).map(|_| line(&mut rng)).collect();
    let (mut ours, mut theirs) = (base.clone(), base.clone());
    let (mut ours_ops, mut theirs_ops) = (Vec::new(), Vec::new());
    for _ in 0..rng.below(4) {
        edit(&mut rng, &mut ours, &mut ours_ops, None);
    }
    let last_ours = ours_ops.last().map(|o| o.0);
    for _ in 0..rng.below(4) {
        edit(&mut rng, &mut theirs, &mut theirs_ops, last_ours);
    }
    if rng.chance(25) {
        // The same change on both sides.
        let at = rng.below(base.len() + 1);
        let add = line(&mut rng);
        for side in [&mut ours, &mut theirs] {
            let at = at.min(side.len());
            side.insert(at, add.clone());
        }
    }
    if rng.chance(3) {
        // A conflict block already in ours: git's plain merge, whatever it holds.
        let at = rng.below(ours.len() + 1);
        let block = ["<<<<<<< HEAD", "a = 1", "=======", "a = 2", ">>>>>>> other"];
        ours.splice(at..at, block.iter().map(|s| s.to_string()));
    }
    let eol_mode = [0, 0, 0, 1, 1, 2][rng.below(6)];
    let size = [7, 9, 11][rng.below(3)];
    let style = ["merge", "diff3", "zdiff3"][rng.below(3)];
    let finals = [!rng.chance(15), !rng.chance(15), !rng.chance(15)];
    Generated {
        base: render(&base, &mut rng, eol_mode, finals[0]),
        ours: render(&ours, &mut rng, eol_mode, finals[1]),
        theirs: render(&theirs, &mut rng, eol_mode, finals[2]),
        size,
        style,
    }
}

/// Runs cases `seeds` and returns the failing seeds with a reason.
fn run(seeds: std::ops::Range<u64>) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut conflicted = 0;
    for seed in seeds {
        let g = generate(seed);
        let size = g.size.to_string();
        let args = [
            "-s",
            "base",
            "-x",
            "ours",
            "-y",
            "theirs",
            "-p",
            "database/gen.py",
            "-l",
            &size,
            "--style",
            g.style,
        ];
        let got = run_merge(&g.base, &g.ours, &g.theirs, &args);
        let (code, want) = git_merge_file(&g.base, &g.ours, &g.theirs, g.size, g.style);
        conflicted += usize::from(code == 1);
        if got.code != code || got.out != want {
            failures.push(format!(
                "seed {seed}: exit {} (git {code}), same bytes: {}",
                got.code,
                got.out == want
            ));
        }
    }
    (conflicted, failures)
}

#[test]
fn files_without_pool_regions_merge_exactly_as_git() {
    const CASES: u64 = 2_000;
    let (a, b) = std::thread::scope(|s| {
        let first = s.spawn(|| run(0..CASES / 2));
        let second = s.spawn(|| run(CASES / 2..CASES));
        (first.join().unwrap(), second.join().unwrap())
    });
    let conflicted = a.0 + b.0;
    let failures: Vec<String> = a.1.into_iter().chain(b.1).collect();
    assert!(
        failures.is_empty(),
        "{} of {CASES} differ from git:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The generator must exercise both outcomes.
    assert!(
        conflicted > CASES as usize / 10 && conflicted < CASES as usize * 9 / 10,
        "{conflicted} conflicted"
    );
}
