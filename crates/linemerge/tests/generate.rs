//! Generated three-way merge inputs, shared by the differential test, the deeper run
//! in `examples/differential.rs` and poolmerge's own tests. Fixed seeds: the same
//! cases on every machine.

/// SplitMix64: small, fast, and the same on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const PYTHON: &[&str] = &[
    "import os",
    "import logging",
    "from sqlalchemy import create_engine",
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
    ")",
    "}",
    "    \"\"\"Docstring {n}.\"\"\"",
    "class C{n}:",
    "    y = {n}",
    "    café = \"{n}\"",
];

/// Few distinct lines: many repeats, frequent lines (the histogram's Myers fallback),
/// lines without letters or digits (git's conflict joining).
const TINY: &[&str] = &["a", "b", "c", "", "}", "{", "  ", "----", "x = 1"];

/// One generated merge.
pub struct Case {
    pub base: Vec<u8>,
    pub ours: Vec<u8>,
    pub theirs: Vec<u8>,
    pub size: usize,
    pub style: &'static str,
    pub labels: bool,
}

fn line(rng: &mut Rng, vocab: &[&str]) -> String {
    vocab[rng.below(vocab.len())].replace("{n}", &rng.below(4).to_string())
}

/// One random edit of `lines`: up to three lines deleted and up to three inserted,
/// near `near` half the time. Returns where.
pub fn edit_lines(
    rng: &mut Rng,
    lines: &mut Vec<String>,
    vocab: &[&str],
    near: Option<usize>,
) -> usize {
    let at = match near {
        Some(i) if rng.chance(50) => (i + rng.below(3)).saturating_sub(1).min(lines.len()),
        _ => rng.below(lines.len() + 1),
    };
    let del = if at < lines.len() {
        rng.below(4).min(lines.len() - at)
    } else {
        0
    };
    let ins: Vec<String> = (0..rng.below(4)).map(|_| line(rng, vocab)).collect();
    lines.splice(at..at + del, ins);
    at
}

fn render(lines: &[String], rng: &mut Rng, eol_mode: usize, final_newline: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(l.as_bytes());
        if i + 1 == lines.len() && !final_newline {
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

/// The case for `seed`. `big` makes longer files with frequent lines.
pub fn generate(seed: u64) -> Case {
    let mut rng = Rng(seed);
    let kind = rng.below(10);
    let vocab = if kind < 5 { PYTHON } else { TINY };
    let n = match kind {
        0..=6 => 3 + rng.below(38),
        7 | 8 => 60 + rng.below(200),
        _ => 150 + rng.below(500),
    };
    let base: Vec<String> = (0..n).map(|_| line(&mut rng, vocab)).collect();
    let (mut ours, mut theirs) = (base.clone(), base.clone());
    let edits = if n > 100 {
        2 + rng.below(10)
    } else {
        rng.below(5)
    };
    let mut last = None;
    for _ in 0..edits {
        last = Some(edit_lines(&mut rng, &mut ours, vocab, None));
    }
    for _ in 0..rng.below(edits + 1) {
        edit_lines(&mut rng, &mut theirs, vocab, last);
    }
    if rng.chance(25) {
        let at = rng.below(base.len() + 1);
        let add = line(&mut rng, vocab);
        for side in [&mut ours, &mut theirs] {
            let at = at.min(side.len());
            side.insert(at, add.clone());
        }
    }
    let eol_mode = [0, 0, 0, 1, 1, 2][rng.below(6)];
    let finals = [!rng.chance(15), !rng.chance(15), !rng.chance(15)];
    Case {
        base: render(&base, &mut rng, eol_mode, finals[0]),
        ours: render(&ours, &mut rng, eol_mode, finals[1]),
        theirs: render(&theirs, &mut rng, eol_mode, finals[2]),
        size: [7, 9, 11][rng.below(3)],
        style: ["merge", "diff3", "zdiff3"][rng.below(3)],
        labels: !rng.chance(10),
    }
}
