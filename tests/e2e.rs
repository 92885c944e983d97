//! End to end through real git: the driver registered in a temporary repository
//! (`git config` plus `.git/info/attributes`, exactly what users write), git run with
//! a clean environment and its own HOME, real `git merge` and `git rebase`.

use std::path::{Path, PathBuf};
use std::process::Output;

use poolmerge::fsutil::TempDir;

use crate::support::{bin, blocks, canonical, clean_command, data_dir, pin_problems, read};

const FILE: &str = "database/traffic_db.py";

struct Repo {
    dir: TempDir,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo {
            dir: TempDir::new("poolmerge-e2e-").unwrap(),
        };
        std::fs::create_dir_all(repo.home()).unwrap();
        repo.ok(&["init", "-q", "-b", "main", "work"]);
        for (k, v) in [
            ("user.name", "Test"),
            ("user.email", "test@example.com"),
            ("commit.gpgsign", "false"),
            ("advice.detachedHead", "false"),
        ] {
            repo.ok(&["config", k, v]);
        }
        repo
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn git_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let cwd = if args.first() == Some(&"init") {
            self.dir.path().to_path_buf()
        } else {
            self.work()
        };
        let mut cmd = clean_command(Path::new("git"), &self.home());
        // Fixed dates: the same history gives the same commit ids in every repository
        // (diff3 labels the base with one).
        cmd.current_dir(cwd)
            .args(args)
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn git(&self, args: &[&str]) -> Output {
        self.git_env(args, &[])
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Registers the driver as the README says.
    fn install_driver(&self) {
        let driver = format!(
            "'{}' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L",
            bin().display()
        );
        self.ok(&["config", "merge.poolmerge.name", "poolmerge"]);
        self.ok(&["config", "merge.poolmerge.driver", &driver]);
        let info = self.work().join(".git/info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(info.join("attributes"), "database/*.py merge=poolmerge\n").unwrap();
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.work().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        read(&self.work().join(rel))
    }

    fn commit(&self, rel: &str, bytes: &[u8], msg: &str) {
        self.write(rel, bytes);
        self.ok(&["add", rel]);
        self.ok(&["commit", "-q", "-m", msg]);
    }

    /// main holds upstream: base, then upstream's change; `fork` branches from base.
    fn history(&self, rel: &str, base: &[u8], fork: &[u8], upstream: &[u8]) {
        self.commit(rel, base, "base");
        self.ok(&["checkout", "-q", "-b", "fork"]);
        self.commit(rel, fork, "fork: pin StaticPool");
        self.ok(&["checkout", "-q", "main"]);
        self.commit(rel, upstream, "upstream change");
        self.ok(&["checkout", "-q", "fork"]);
    }
}

fn case(name: &str, file: &str) -> Vec<u8> {
    read(&data_dir().join("cases").join(name).join(file))
}

/// A repository with the driver installed and the case's history: `fork` and
/// `upstream` name the case files each branch commits.
fn repo_with(c: &str, fork: &str, upstream: &str) -> Repo {
    let repo = Repo::new();
    repo.install_driver();
    repo.history(
        FILE,
        &case(c, "base.py"),
        &case(c, fork),
        &case(c, upstream),
    );
    repo
}

#[test]
fn git_merge_of_upstream_is_clean_and_pinned() {
    let c = "14-seed-before-after";
    let repo = repo_with(c, "ours.py", "theirs.py");
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = repo.read(FILE);
    assert_eq!(canonical(&merged), canonical(&case(c, "expected.py")));
    assert!(pin_problems(&merged).is_empty());
    assert_eq!(repo.ok(&["status", "--porcelain"]), "");
    // The decision is on stderr and in the log.
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("poolmerge: database/traffic_db.py: engine logs_engine")
    );
    let log = String::from_utf8(repo.read(".git/poolmerge.log")).unwrap();
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        entries
            .iter()
            .any(|e| e["region"] == "engine logs_engine" && e["path"] == FILE)
    );
}

#[test]
fn git_rebase_of_the_fork_onto_upstream_is_clean_and_pinned() {
    let c = "16-rebase-sides-swapped";
    let repo = repo_with(c, "theirs.py", "ours.py");
    let out = repo.git(&["rebase", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rebased = repo.read(FILE);
    assert_eq!(canonical(&rebased), canonical(&case(c, "expected.py")));
    assert!(pin_problems(&rebased).is_empty());
    assert_eq!(
        repo.ok(&["log", "--format=%s", "-2"]),
        "fork: pin StaticPool\nupstream change\n"
    );
}

#[test]
fn a_real_conflict_elsewhere_stays_a_conflict() {
    let c = "09-real-conflict-elsewhere";
    let repo = repo_with(c, "ours.py", "theirs.py");
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !repo.ok(&["ls-files", "-u", FILE]).is_empty(),
        "the path stays unmerged"
    );
    let merged = repo.read(FILE);
    let (count, ours, theirs) = blocks(&merged, 7);
    assert_eq!(count, 1);
    assert_eq!(canonical(&ours), canonical(&case(c, "expected_ours.py")));
    assert_eq!(
        canonical(&theirs),
        canonical(&case(c, "expected_theirs.py"))
    );
    assert!(
        merged.windows(12).any(|w| w == b"<<<<<<< HEAD"),
        "git's own labels"
    );
}

/// Merges `main` into `fork` twice, with and without the driver, and returns both
/// files and whether each merge was clean.
fn with_and_without_driver(
    base: &[u8],
    fork: &[u8],
    upstream: &[u8],
    git_args: &[&str],
    attrs: &str,
) -> [(Vec<u8>, bool); 2] {
    [true, false].map(|driver| {
        let repo = Repo::new();
        if driver {
            repo.install_driver();
        }
        repo.write(".gitattributes", attrs.as_bytes());
        repo.ok(&["add", ".gitattributes"]);
        repo.history(FILE, base, fork, upstream);
        let mut args: Vec<&str> = git_args.to_vec();
        args.extend(["merge", "--no-edit", "main"]);
        let out = repo.git(&args);
        (repo.read(FILE), out.status.success())
    })
}

#[test]
fn without_pool_regions_the_driver_writes_what_git_merge_writes() {
    for c in ["12-no-engine-clean", "13-no-engine-conflict"] {
        let (b, o, t) = (case(c, "base.py"), case(c, "ours.py"), case(c, "theirs.py"));
        for (args, attrs) in [
            (vec![], ""),
            (vec!["-c", "merge.conflictStyle=diff3"], ""),
            (vec!["-c", "merge.conflictStyle=zdiff3"], ""),
            (vec![], "database/*.py conflict-marker-size=11\n"),
        ] {
            let [with, without] = with_and_without_driver(&b, &o, &t, &args, attrs);
            assert_eq!(
                with.1, without.1,
                "{c} {args:?}: same clean/conflict status"
            );
            assert_eq!(
                String::from_utf8_lossy(&with.0),
                String::from_utf8_lossy(&without.0),
                "{c} {args:?} {attrs:?}"
            );
        }
    }
}

#[test]
fn the_kill_switch_gives_gits_plain_merge() {
    let c = "06-upstream-edits-neighbour-imports";
    let (b, o, t) = (case(c, "base.py"), case(c, "ours.py"), case(c, "theirs.py"));
    let [_, plain] = with_and_without_driver(&b, &o, &t, &[], "");
    assert!(!plain.1, "plain git conflicts on this case");
    let repo = Repo::new();
    repo.install_driver();
    repo.history(FILE, &b, &o, &t);
    let out = repo.git_env(&["merge", "--no-edit", "main"], &[("POOLMERGE", "0")]);
    assert!(!out.status.success());
    assert_eq!(repo.read(FILE), plain.0);
    // And with the driver enabled the same merge is clean.
    repo.ok(&["merge", "--abort"]);
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
