//! Atomic writes: the driver, `fix` and `resolve` killed (SIGKILL) at random moments
//! while they write a large result leave OURS (or the work-tree file) holding either
//! the old content or the new, never a mixture or a truncation.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::generate::Rng;
use crate::support::{Repo, bin, clean_command, read};

const ENGINE: &str =
    "from sqlalchemy import create_engine\nengine = create_engine(\"sqlite:///a.db\")\n";

/// About `lines` lines of module text, `tag` in each.
fn module(lines: usize, tag: &str) -> String {
    (0..lines)
        .map(|i| format!("value_{i} = {i}  # {tag} line of a large module\n"))
        .collect()
}

/// Whether writing `target` has begun: a sibling temporary file exists, or the file
/// itself changed size.
fn writing(target: &Path, old_len: u64) -> bool {
    std::fs::metadata(target).map_or(true, |m| m.len() != old_len)
        || !temporaries(target).is_empty()
}

/// The temporary files beside `target` (a killed run leaves its own behind).
fn temporaries(target: &Path) -> Vec<std::path::PathBuf> {
    let name = target.file_name().unwrap().to_string_lossy().into_owned();
    let dir = target.parent().unwrap();
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n != name && n.starts_with(&format!(".{name}."))
        })
        .collect()
}

/// Runs `make()` once to the end (the new content and how long it takes), then `kills`
/// times killed: half at a seeded random moment of the whole run, half a seeded random
/// few microseconds after writing `target` has begun. After each kill `target` must be
/// `old` or the new content. Returns how many runs were killed while writing.
fn kill_many(
    kills: usize,
    seed: u64,
    target: &Path,
    reset: &dyn Fn(),
    make: &dyn Fn() -> Command,
    old: &[u8],
) -> usize {
    reset();
    let start = Instant::now();
    let status = make().status().unwrap();
    let full = start.elapsed();
    assert!(status.code().is_some_and(|c| c <= 1), "{status:?}");
    let new = read(target);
    assert_ne!(new, old, "the run changes the file");
    let mut rng = Rng(seed);
    let mut while_writing = 0;
    for i in 0..kills {
        reset();
        for leftover in temporaries(target) {
            std::fs::remove_file(leftover).unwrap();
        }
        let mut child = make().spawn().unwrap();
        let delay = if i % 2 == 0 {
            let delay = full.mul_f64(rng.below(1000) as f64 / 1000.0);
            std::thread::sleep(delay);
            delay
        } else {
            let began = Instant::now();
            while !writing(target, old.len() as u64) && child.try_wait().unwrap().is_none() {
                std::hint::spin_loop();
            }
            let micros = Duration::from_micros(rng.below(3000) as u64);
            std::thread::sleep(micros);
            began.elapsed()
        };
        if child.try_wait().unwrap().is_none() && writing(target, old.len() as u64) {
            while_writing += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let now = read(target);
        assert!(
            now == old || now == new,
            "kill {i} after {delay:?}: a mixture or a truncation ({} bytes; old {}, new {})",
            now.len(),
            old.len(),
            new.len()
        );
    }
    while_writing
}

#[test]
fn a_killed_driver_leaves_ours_old_or_new() {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-kill-")
        .tempdir()
        .unwrap();
    let p = |n: &str| dir.path().join(n);
    let body = module(120_000, "x");
    let base = format!("{ENGINE}{body}");
    let ours = format!("ours = 1\n{ENGINE}{body}");
    let theirs = format!("{ENGINE}{body}theirs = 1\n");
    std::fs::write(p("base.py"), &base).unwrap();
    std::fs::write(p("theirs.py"), &theirs).unwrap();
    let reset = || std::fs::write(p("ours.py"), &ours).unwrap();
    let make = || {
        let mut cmd = clean_command(&bin(), dir.path());
        cmd.current_dir(dir.path())
            .args(["merge", "base.py", "ours.py", "theirs.py"])
            .stderr(std::process::Stdio::null());
        cmd
    };
    let killed = kill_many(40, 7, &p("ours.py"), &reset, &make, ours.as_bytes());
    assert!(killed >= 5, "only {killed} runs were killed while writing");
}

#[test]
fn a_killed_fix_leaves_the_file_old_or_new() {
    let repo = Repo::new();
    repo.route_without_driver();
    let old = format!("{ENGINE}{}", module(120_000, "y"));
    repo.commit("database/app.py", old.as_bytes(), "unpinned");
    let reset = || repo.write("database/app.py", old.as_bytes());
    let make = || {
        let mut cmd = clean_command(&bin(), &repo.home());
        cmd.current_dir(repo.work())
            .args(["fix", "database/app.py"])
            .stdout(std::process::Stdio::null());
        cmd
    };
    let target = repo.work().join("database/app.py");
    let killed = kill_many(30, 11, &target, &reset, &make, old.as_bytes());
    assert!(killed >= 5, "only {killed} runs were killed while writing");
}
