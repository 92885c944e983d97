//! One command finishes the job: the flows users run (merge, pull, rebase,
//! cherry-pick, am) × the repository layouts they run them in, in real repositories
//! with `poolmerge install --hooks` as users install it. Upstream changes an engine
//! module both sides touch and adds a module the fork never had (no driver sees it);
//! after the one command, HEAD's committed tree is pinned and `git status` is clean.
//!
//! `cargo test` runs a subset that covers every flow and every layout;
//! `POOLMERGE_FULL_MATRIX=1` runs all of them (`.ci/run` does).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{
    FILE, Repo, bin, canonical, clean_command, data_dir, pin_problems, read, run_tool,
};

const CASE: &str = "14-seed-before-after";
const NEW_MODULE: &str = "database/cache_db.py";
const UNPINNED_MODULE: &[u8] = b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\ncache_engine = create_engine(\"sqlite:///db/cache.db\", poolclass=NullPool)\n";

fn case(file: &str) -> Vec<u8> {
    read(&data_dir().join("cases").join(CASE).join(file))
}

/// The commands users type, each ending in what they consider done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Merge,
    Pull,
    PullRebase,
    Rebase,
    RebaseMerges,
    CherryPick,
    Am,
    MergeNoCommit,
    MergeSquash,
}

/// Where and how the repository is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `install --hooks`, `.gitattributes` committed after the fork's pin commit.
    AttributesAfterPin,
    /// `install --local --hooks`: the route only in `.git/info/attributes`.
    InstallLocal,
    /// A cone sparse checkout of `database` with a sparse index.
    SparseIndex,
    /// `core.splitIndex=true`.
    SplitIndex,
    /// The fork checked out in a linked worktree.
    Worktree,
    /// git run from outside with `GIT_DIR` and `GIT_WORK_TREE` (relative).
    GitDirEnv,
    /// A relative, repository-local `core.hooksPath` (husky), committed.
    HooksPath,
    /// A cone sparse checkout without `database/`, with a sparse index.
    SparseWithoutDatabase,
    /// Every commit signed (`commit.gpgSign`, an ssh key).
    Signed,
    /// `i18n.commitEncoding=ISO-8859-1`, with a committer name in that encoding.
    Latin1,
    /// husky v9 (from npm) set up before poolmerge: `core.hooksPath=.husky/_`, the
    /// hooks in `.husky/<hook>`, committed.
    Husky,
    /// The pre-commit framework (from PyPI, as OpenAlgo uses it) installed before
    /// poolmerge, whose block goes into the framework's hook.
    PreCommitFramework,
    /// `core.autocrlf=true`, Git for Windows' default: CRLF in the work tree, LF in
    /// the repository.
    AutoCrlf,
}

/// The committer name of the `Latin1` layout, in ISO-8859-1.
const LATIN1_NAME: &[u8] = b"Jos\xe9 Mu\xf1oz";

const FLOWS: &[Flow] = &[
    Flow::Merge,
    Flow::Pull,
    Flow::PullRebase,
    Flow::Rebase,
    Flow::RebaseMerges,
    Flow::CherryPick,
    Flow::Am,
    Flow::MergeNoCommit,
    Flow::MergeSquash,
];

const LAYOUTS: &[Layout] = &[
    Layout::AttributesAfterPin,
    Layout::InstallLocal,
    Layout::SparseIndex,
    Layout::SplitIndex,
    Layout::Worktree,
    Layout::GitDirEnv,
    Layout::HooksPath,
    Layout::SparseWithoutDatabase,
    Layout::Signed,
    Layout::Latin1,
    Layout::Husky,
    Layout::PreCommitFramework,
    Layout::AutoCrlf,
];

/// A fork and its upstream, set up in a layout, with the place to run git from.
struct Scenario {
    repo: Repo,
    layout: Layout,
    /// Where the fork is checked out.
    tree: PathBuf,
    /// The commit both branches start from.
    base: String,
    /// The fork's commit before the one command.
    fork_tip: String,
}

impl Scenario {
    fn new(layout: Layout) -> Scenario {
        let repo = Repo::new();
        if layout == Layout::AutoCrlf {
            repo.ok(&["config", "core.autocrlf", "true"]);
        }
        // Upstream's history: the module, and a file outside database/.
        repo.write("app/main.py", b"print('app')\n");
        repo.ok(&["add", "app/main.py"]);
        repo.commit(FILE, &case("base.py"), "base");
        let base = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
        repo.ok(&["checkout", "-q", "-b", "fork"]);
        repo.commit(FILE, &case("ours.py"), "fork: pin StaticPool");
        repo.ok(&["checkout", "-q", "main"]);
        // Its own commit: `git am -3` in a sparse checkout cannot fall back to a
        // three-way merge of a patch that also touches a path outside the cone (git's
        // limit, with or without poolmerge).
        repo.commit("app/main.py", b"print('app, upstream')\n", "upstream: app");
        repo.commit(FILE, &case("theirs.py"), "upstream: edit the engine module");
        repo.commit(NEW_MODULE, UNPINNED_MODULE, "upstream: a cache database");
        repo.ok(&["checkout", "-q", "fork"]);

        match layout {
            Layout::HooksPath => {
                repo.ok(&["config", "core.hooksPath", ".husky"]);
            }
            Layout::Husky => {
                repo.write("package.json", b"{\"name\": \"fork\", \"private\": true}\n");
                run_tool(&repo, &["husky"]);
            }
            Layout::PreCommitFramework => {
                repo.write(".pre-commit-config.yaml", b"repos: []\n");
                run_tool(&repo, &["pre-commit", "install"]);
            }
            _ => {}
        }
        let install: &[&str] = if layout == Layout::InstallLocal {
            &["install", "--local", "--hooks"]
        } else {
            &["install", "--hooks"]
        };
        let (code, out, err) = repo.poolmerge(install);
        assert_eq!(code, 0, "{out}{err}");
        match layout {
            Layout::InstallLocal => {}
            Layout::HooksPath | Layout::Husky | Layout::PreCommitFramework => {
                repo.ok(&["add", "-A"]);
                repo.ok(&["commit", "-q", "-m", "route database/*.py, hooks"]);
            }
            _ => {
                repo.ok(&["add", ".gitattributes"]);
                repo.ok(&["commit", "-q", "-m", "route database/*.py to poolmerge"]);
            }
        }
        let mut tree = repo.work();
        match layout {
            Layout::SparseIndex => {
                repo.ok(&[
                    "sparse-checkout",
                    "set",
                    "--cone",
                    "--sparse-index",
                    "database",
                ]);
                assert!(
                    !repo.work().join("app/main.py").exists(),
                    "app/ is outside the cone"
                );
            }
            Layout::SparseWithoutDatabase => {
                repo.ok(&["sparse-checkout", "set", "--cone", "--sparse-index", "app"]);
                assert!(
                    !repo.work().join(FILE).exists(),
                    "database/ is outside the cone"
                );
            }
            Layout::Signed => {
                let key = repo.home().join("signing-key");
                let made = std::process::Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
                    .arg(&key)
                    .output()
                    .expect("ssh-keygen (openssh-client) is needed for signed commits");
                assert!(made.status.success());
                let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
                let allowed = repo.home().join("allowed-signers");
                std::fs::write(&allowed, format!("test@example.com {public}")).unwrap();
                for (k, v) in [
                    ("gpg.format", "ssh"),
                    (
                        "user.signingkey",
                        key.with_extension("pub").to_str().unwrap(),
                    ),
                    ("gpg.ssh.allowedSignersFile", allowed.to_str().unwrap()),
                    ("commit.gpgSign", "true"),
                ] {
                    repo.ok(&["config", k, v]);
                }
            }
            Layout::Latin1 => {
                repo.ok(&["config", "i18n.commitEncoding", "ISO-8859-1"]);
                use std::os::unix::ffi::OsStrExt;
                let out = clean_command(Path::new("git"), &repo.home())
                    .current_dir(repo.work())
                    .args(["config", "user.name"])
                    .arg(std::ffi::OsStr::from_bytes(LATIN1_NAME))
                    .output()
                    .unwrap();
                assert!(out.status.success());
            }
            Layout::AutoCrlf => {
                // Every tracked file as a checkout on Windows has it: CRLF.
                for file in repo.ok(&["ls-files"]).lines() {
                    std::fs::remove_file(repo.work().join(file)).unwrap();
                }
                repo.ok(&["checkout", "--", "."]);
                assert!(crlf_only(&repo.read(FILE)), "a CRLF checkout");
            }
            Layout::SplitIndex => {
                repo.ok(&["config", "core.splitIndex", "true"]);
                repo.ok(&["update-index", "--split-index"]);
            }
            Layout::Worktree => {
                // The main work tree moves off the fork, which a linked one checks out.
                repo.ok(&["checkout", "-q", "main"]);
                let linked = repo.work().parent().unwrap().join("linked");
                repo.ok(&["worktree", "add", "-q", linked.to_str().unwrap(), "fork"]);
                tree = linked;
            }
            _ => {}
        }
        let fork_tip = repo.ok(&["rev-parse", "fork"]).trim().to_string();
        Scenario {
            repo,
            layout,
            tree,
            base,
            fork_tip,
        }
    }

    /// Runs git on the fork as the layout has it run.
    fn git(&self, args: &[&str]) -> Output {
        let mut cmd = clean_command(Path::new("git"), &self.repo.home());
        if self.layout == Layout::GitDirEnv {
            let parent = self.tree.parent().unwrap();
            let name = self.tree.file_name().unwrap().to_str().unwrap();
            cmd.current_dir(parent)
                .env("GIT_DIR", format!("{name}/.git"))
                .env("GIT_WORK_TREE", name);
        } else {
            cmd.current_dir(&self.tree);
        }
        cmd.args(args).env("GIT_EDITOR", "true").output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "{:?} {args:?} failed:\n{}{}",
            self.layout,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs the flow: the one command, and for --no-commit and --squash the commit the
    /// user makes. Returns the combined output.
    fn run(&self, flow: Flow) -> String {
        let mut said = String::new();
        let mut step = |args: &[&str]| {
            let out = self.git(args);
            said.push_str(&String::from_utf8_lossy(&out.stdout));
            said.push_str(&String::from_utf8_lossy(&out.stderr));
            assert!(
                out.status.success(),
                "{flow:?} in {:?}: git {args:?} exited {:?}:\n{said}",
                self.layout,
                out.status.code()
            );
        };
        match flow {
            Flow::Merge => step(&["merge", "--no-edit", "main"]),
            Flow::Pull => step(&["pull", "--no-rebase", "--no-edit", ".", "main"]),
            Flow::PullRebase => step(&["pull", "--rebase", ".", "main"]),
            Flow::Rebase => step(&["rebase", "main"]),
            Flow::RebaseMerges => step(&["rebase", "--rebase-merges", "main"]),
            Flow::CherryPick => step(&["cherry-pick", &format!("{}..main", self.base)]),
            Flow::Am => {
                let dir = self.repo.home().join("patches");
                let range = format!("{}..main", self.base);
                step(&["format-patch", "-q", "-o", dir.to_str().unwrap(), &range]);
                let mut patches: Vec<String> = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path().to_str().unwrap().to_string())
                    .collect();
                patches.sort();
                let mut args = vec!["am", "-3", "-q"];
                args.extend(patches.iter().map(String::as_str));
                step(&args);
            }
            Flow::MergeNoCommit => {
                step(&["merge", "--no-commit", "main"]);
                step(&["commit", "--no-edit"]);
            }
            Flow::MergeSquash => {
                step(&["merge", "--squash", "main"]);
                step(&["commit", "-m", "sync upstream"]);
            }
        }
        said
    }

    /// HEAD's committed tree holds both modules pinned and upstream's edits; the work
    /// tree and the index are clean.
    fn assert_done(&self, flow: Flow, said: &str) {
        let what = format!("{flow:?} in {:?}", self.layout);
        let committed = self.ok(&["show", &format!("HEAD:{FILE}")]);
        assert_eq!(
            canonical(committed.as_bytes()),
            canonical(&case("expected.py")),
            "{what}: {FILE} in HEAD\n{said}"
        );
        let new = self.ok(&["show", &format!("HEAD:{NEW_MODULE}")]);
        assert!(
            pin_problems(new.as_bytes()).is_empty(),
            "{what}: upstream's new module is committed unpinned:\n{new}\n{said}"
        );
        assert_eq!(
            self.ok(&["status", "--porcelain"]),
            "",
            "{what}: git status is not clean\n{said}"
        );
        assert!(
            !said.contains("poolmerge: ") || !said.contains("cannot"),
            "{what}: {said}"
        );
        if self.layout != Layout::SparseIndex {
            let app = self.ok(&["show", "HEAD:app/main.py"]);
            assert_eq!(app, "print('app, upstream')\n", "{what}");
        }
        // The repository is sound: trees sorted, no entry twice (a sparse index once
        // held a directory and a file in it).
        let fsck = self.git(&["fsck", "--no-dangling"]);
        assert!(
            fsck.status.success() && fsck.stdout.is_empty(),
            "{what}: git fsck: {}{}",
            String::from_utf8_lossy(&fsck.stdout),
            String::from_utf8_lossy(&fsck.stderr)
        );
        let made = self.ok(&["rev-list", "HEAD", "--not", "main", &self.fork_tip]);
        match self.layout {
            Layout::Signed => {
                for commit in made.lines() {
                    let check = self.git(&["verify-commit", commit]);
                    assert!(
                        check.status.success(),
                        "{what}: {commit} is not signed: {}",
                        String::from_utf8_lossy(&check.stderr)
                    );
                }
            }
            Layout::AutoCrlf => {
                // LF in what is committed, CRLF in the work tree, both modules.
                for file in [FILE, NEW_MODULE] {
                    let committed = self.git(&["cat-file", "blob", &format!("HEAD:{file}")]);
                    assert!(
                        !committed.stdout.contains(&b'\r'),
                        "{what}: {file} is committed with CR:\n{said}"
                    );
                    let checked_out = read(&self.tree.join(file));
                    assert!(
                        crlf_only(&checked_out),
                        "{what}: {file} in the work tree is not CRLF throughout:\n{}\n{said}",
                        String::from_utf8_lossy(&checked_out)
                    );
                }
            }
            Layout::Latin1 => {
                for commit in made.lines() {
                    let raw = self.git(&["cat-file", "commit", commit]).stdout;
                    let committer = raw
                        .split(|&b| b == b'\n')
                        .find(|l| l.starts_with(b"committer "))
                        .unwrap();
                    assert!(
                        committer[10..].starts_with(LATIN1_NAME),
                        "{what}: {commit}: {}",
                        String::from_utf8_lossy(committer)
                    );
                }
            }
            _ => {}
        }
    }
}

/// Whether every line of `text` ends in CRLF.
fn crlf_only(text: &[u8]) -> bool {
    text.ends_with(b"\r\n")
        && text
            .iter()
            .enumerate()
            .all(|(i, &b)| b != b'\n' || (i > 0 && text[i - 1] == b'\r'))
}

/// The pairs `cargo test` runs: every flow and every layout at least once.
const SUBSET: &[(Flow, Layout)] = &[
    (Flow::Merge, Layout::AttributesAfterPin),
    (Flow::Merge, Layout::SparseIndex),
    (Flow::Rebase, Layout::AttributesAfterPin),
    (Flow::Rebase, Layout::SplitIndex),
    (Flow::PullRebase, Layout::Worktree),
    (Flow::Pull, Layout::GitDirEnv),
    (Flow::RebaseMerges, Layout::HooksPath),
    (Flow::CherryPick, Layout::InstallLocal),
    (Flow::Am, Layout::SparseIndex),
    (Flow::MergeNoCommit, Layout::SplitIndex),
    (Flow::MergeSquash, Layout::Worktree),
    (Flow::Merge, Layout::SparseWithoutDatabase),
    (Flow::Rebase, Layout::Signed),
    (Flow::Merge, Layout::Signed),
    (Flow::CherryPick, Layout::Latin1),
    (Flow::Rebase, Layout::Latin1),
    (Flow::Merge, Layout::Husky),
    (Flow::CherryPick, Layout::Husky),
    (Flow::Rebase, Layout::PreCommitFramework),
    (Flow::Am, Layout::PreCommitFramework),
    (Flow::Merge, Layout::AutoCrlf),
    (Flow::Rebase, Layout::AutoCrlf),
    (Flow::Am, Layout::AutoCrlf),
];

fn pairs() -> Vec<(Flow, Layout)> {
    if std::env::var_os("POOLMERGE_FULL_MATRIX").is_some_and(|v| v != "0") {
        FLOWS
            .iter()
            .flat_map(|f| LAYOUTS.iter().map(move |l| (*f, *l)))
            // git am -3 cannot fall back to a three-way merge for a path outside the
            // cone: plain git stops there too ("Your local changes ... would be
            // overwritten by merge").
            .filter(|p| *p != (Flow::Am, Layout::SparseWithoutDatabase))
            .collect()
    } else {
        SUBSET.to_vec()
    }
}

#[test]
fn one_command_ends_pinned_and_committed() {
    let pairs = pairs();
    // Two threads: each scenario is a few dozen git processes.
    std::thread::scope(|scope| {
        let chunks: Vec<&[(Flow, Layout)]> = pairs.chunks(pairs.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    for &(flow, layout) in chunk {
                        let s = Scenario::new(layout);
                        let said = s.run(flow);
                        s.assert_done(flow, &said);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn git_makes_the_merge_commit_and_poolmerge_s_strategy_pins_it() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    let before = s.ok(&["rev-parse", "HEAD"]);
    let said = s.run(Flow::Merge);
    assert!(
        said.contains("Merge made by the 'poolmerge' strategy."),
        "{said}"
    );
    assert!(
        said.contains("poolmerge: pinned database/cache_db.py ("),
        "one line for the file upstream brought: {said}"
    );
    assert!(!said.contains("HEAD is now"), "nothing rewritten: {said}");
    // git's own commit: its parents, its message, and the reflog says git made it.
    let parents = s.ok(&["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().next().unwrap(), before.trim());
    let main = s.ok(&["rev-parse", "main"]);
    assert_eq!(parents.split_whitespace().nth(1).unwrap(), main.trim());
    let reflog = s.ok(&["reflog", "-1", "--format=%gs"]);
    assert_eq!(
        reflog.trim(),
        "merge main: Merge made by the 'poolmerge' strategy.",
        "HEAD moved once, by git"
    );
    s.assert_done(Flow::Merge, &said);
}

#[test]
fn a_branch_cut_from_upstream_is_left_alone() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    // A branch for an upstream pull request: upstream's tree, without the fork's route.
    s.ok(&["checkout", "-q", "-b", "mirror", &s.base]);
    let said = s.run(Flow::Merge);
    assert_eq!(
        s.ok(&["rev-parse", "HEAD"]),
        s.ok(&["rev-parse", "main"]),
        "a fast-forward to upstream's own commit"
    );
    assert!(!said.contains("poolmerge"), "{said}");
    // A commit there, and a merge: as git makes them, unpinned.
    s.repo.write("database/extra_db.py", UNPINNED_MODULE);
    s.ok(&["add", "database/extra_db.py"]);
    s.ok(&["commit", "-q", "-m", "upstream work"]);
    assert_eq!(
        s.ok(&["show", "HEAD:database/extra_db.py"]).as_bytes(),
        UNPINNED_MODULE,
        "pre-commit stays out of upstream's branch"
    );
    s.ok(&["checkout", "-q", "-b", "side", &s.base]);
    s.repo.write("README", b"side\n");
    s.ok(&["add", "README"]);
    s.ok(&["commit", "-q", "-m", "side"]);
    let out = s.git(&["merge", "--no-edit", "mirror"]);
    assert!(out.status.success());
    assert_eq!(
        s.ok(&["show", "HEAD:database/cache_db.py"]).as_bytes(),
        UNPINNED_MODULE,
        "the strategy merges upstream's branches as git does"
    );
    assert_eq!(s.ok(&["status", "--porcelain"]), "");
}

#[test]
fn the_hooks_stay_out_of_commits_that_stage_no_owned_file() {
    let s = Scenario::new(Layout::SparseIndex);
    // An invalid configuration would stop a commit of owned files, never this one.
    std::fs::write(s.tree.join(".poolmerge.toml"), "[[pin]]\nnot valid").unwrap();
    s.ok(&["add", ".poolmerge.toml"]);
    let out = s.git(&["commit", "-q", "-m", "unrelated"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An owned file staged with it: one line saying why, and how to bypass.
    std::fs::write(s.tree.join("database/new_db.py"), UNPINNED_MODULE).unwrap();
    s.ok(&["add", "database/new_db.py"]);
    let out = s.git(&["commit", "-q", "-m", "a module"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("poolmerge: pre-commit: cannot pin the staged files:")
            && stderr.contains("git commit --no-verify"),
        "{stderr}"
    );
}

#[test]
fn a_partial_commit_leaves_the_index_in_line() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    std::fs::write(s.tree.join(NEW_MODULE), UNPINNED_MODULE).unwrap();
    s.ok(&["add", NEW_MODULE]);
    s.ok(&[
        "commit",
        "-q",
        "-m",
        "add the cache module",
        "--",
        NEW_MODULE,
    ]);
    assert!(pin_problems(s.ok(&["show", &format!("HEAD:{NEW_MODULE}")]).as_bytes()).is_empty());
    assert_eq!(s.ok(&["status", "--porcelain"]), "", "no MM left behind");
}

#[test]
fn the_kill_switch_turns_the_hooks_off() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    let out = clean_command(Path::new("git"), &s.repo.home())
        .current_dir(&s.tree)
        .env("POOLMERGE", "0")
        .args(["merge", "--no-edit", "main"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let new = s.ok(&["show", &format!("HEAD:{NEW_MODULE}")]);
    assert!(
        !pin_problems(new.as_bytes()).is_empty(),
        "left as upstream wrote it"
    );
}

#[test]
fn a_shared_hooks_path_is_refused_and_uninstall_keeps_others_hooks() {
    let s = Scenario::new(Layout::InstallLocal);
    let shared = s.repo.home().join("shared-hooks");
    std::fs::create_dir_all(&shared).unwrap();
    s.ok(&[
        "config",
        "--global",
        "core.hooksPath",
        shared.to_str().unwrap(),
    ]);
    let (code, out, err) = s.repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("core.hooksPath comes from your global git config")
            && err.contains("--shared-hooks"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&shared).unwrap().count(),
        0,
        "nothing written there"
    );
    // doctor's fix is the command that works here.
    let (_, out, err) = s.repo.poolmerge(&["doctor"]);
    let said = format!("{out}{err}");
    let fixes: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("poolmerge install --hooks"))
        .collect();
    assert!(!fixes.is_empty(), "{said}");
    assert!(fixes.iter().all(|l| l.contains("--shared-hooks")), "{said}");
    let (code, out, err) = s.repo.poolmerge(&["install", "--hooks", "--shared-hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(shared.join("post-merge").is_file());

    // Another repository sharing the directory: its uninstall leaves the hooks alone,
    // and they do nothing there.
    let other = Repo::new();
    let (code, _, _) = other.poolmerge(&["uninstall"]);
    assert_eq!(code, 0);
    assert!(
        shared.join("post-merge").is_file(),
        "another repository's hooks kept"
    );
    let (code, out, _) = s.repo.poolmerge(&["uninstall"]);
    assert_eq!(code, 0);
    assert!(out.contains("removes them for every repository"), "{out}");
    assert!(shared.join("post-merge").is_file());
    let (code, _, _) = s.repo.poolmerge(&["uninstall", "--shared-hooks"]);
    assert_eq!(code, 0);
    assert!(!shared.join("post-merge").exists());
}

#[test]
fn doctor_explains_the_layout() {
    let s = Scenario::new(Layout::SparseIndex);
    let out = clean_command(&bin(), &s.repo.home())
        .current_dir(&s.tree)
        .arg("doctor")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("a sparse index (index.sparse)"), "{text}");
    assert!(text.contains("hooks installed in"), "{text}");
    assert!(text.contains(".git/info/attributes too"), "{text}");
}

/// A fork (the pin, the route, the hooks) whose upstream adds a module and changes the
/// pinned one so that a real conflict remains (the case's three versions).
fn fork_with_a_real_conflict(cases: &Path) -> Repo {
    let repo = Repo::new();
    repo.commit(FILE, &read(&cases.join("base.py")), "base");
    repo.ok(&["checkout", "-q", "-b", "fork"]);
    repo.commit(FILE, &read(&cases.join("ours.py")), "fork: pin");
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit(NEW_MODULE, UNPINNED_MODULE, "upstream: a cache database");
    repo.commit(FILE, &read(&cases.join("theirs.py")), "upstream: a change");
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route"]);
    repo
}

/// A real conflict stays for the user; their usual command finishes the job, pinned.
#[test]
fn after_a_real_conflict_the_usual_command_finishes_pinned() {
    let c = "09-real-conflict-elsewhere";
    let cases = data_dir().join("cases").join(c);
    for flow in ["merge", "cherry-pick", "rebase", "am"] {
        let repo = fork_with_a_real_conflict(&cases);
        let patches = repo.home().join("patches");
        let patches = patches.to_str().unwrap();
        let (start, finish): (Vec<&str>, Vec<&str>) = match flow {
            "merge" => (
                vec!["merge", "--no-edit", "main"],
                vec!["commit", "--no-edit"],
            ),
            "cherry-pick" => (
                vec!["cherry-pick", "main~2..main"],
                vec!["-c", "core.editor=true", "cherry-pick", "--continue"],
            ),
            "am" => {
                let out = repo.ok(&["format-patch", "-o", patches, "main~2..main"]);
                let mut args = vec!["am", "-3", "-q"];
                args.extend(out.lines().map(|l| &*l.to_string().leak()));
                (args, vec!["am", "--continue"])
            }
            _ => (
                vec!["rebase", "main"],
                vec!["-c", "core.editor=true", "rebase", "--continue"],
            ),
        };
        let out = repo.git(&start);
        assert_ne!(out.status.code(), Some(0), "{flow}: a real conflict");
        assert!(
            !repo.ok(&["ls-files", "-u"]).is_empty(),
            "{flow}: a real conflict"
        );
        // The user resolves the conflict block by hand: here, the fork's side, except
        // during a rebase, where the fork's commit is "theirs".
        let (_, ours, theirs) = crate::support::blocks(&repo.read(FILE), 7);
        repo.write(FILE, if flow == "rebase" { &theirs } else { &ours });
        repo.ok(&["add", FILE]);
        let out = repo.git(&finish);
        assert!(
            out.status.success(),
            "{flow}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if flow == "am" {
            // git am --continue checks HEAD once its commit's hooks are done, and takes
            // no merge strategy: the pin follows right after it exits.
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(
                said.contains(&format!(
                    "pinned as soon as git {flow} --continue has finished"
                )),
                "{said}"
            );
            for _ in 0..1000 {
                let new = repo.ok(&["show", &format!("HEAD:{NEW_MODULE}")]);
                if pin_problems(new.as_bytes()).is_empty() {
                    // HEAD moves last, once the index and the work tree are done.
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        for path in [FILE, NEW_MODULE] {
            let committed = repo.ok(&["show", &format!("HEAD:{path}")]);
            assert!(
                pin_problems(committed.as_bytes()).is_empty(),
                "{flow}: {path} in HEAD:\n{committed}"
            );
        }
        assert_eq!(repo.ok(&["status", "--porcelain"]), "", "{flow}");
    }
}

/// Every command reads the index git wrote, whatever its format, and the repository
/// git would use, whatever the environment says.
#[test]
fn every_command_works_in_every_layout() {
    for layout in LAYOUTS {
        let s = Scenario::new(*layout);
        let run = |args: &[&str]| {
            let mut cmd = clean_command(&bin(), &s.repo.home());
            if *layout == Layout::GitDirEnv {
                let parent = s.tree.parent().unwrap();
                let name = s.tree.file_name().unwrap().to_str().unwrap();
                cmd.current_dir(parent)
                    .env("GIT_DIR", format!("{name}/.git"))
                    .env("GIT_WORK_TREE", name);
            } else {
                cmd.current_dir(&s.tree);
            }
            let out = cmd.args(args).output().unwrap();
            (
                out.status.code(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            )
        };
        let what = format!("{layout:?}");
        let (code, out) = run(&["check"]);
        assert_eq!(code, Some(0), "{what}: check\n{out}");
        assert!(out.contains(" checked"), "{what}: {out}");
        let (code, out) = run(&["check", "--merge", "main"]);
        assert_eq!(code, Some(0), "{what}: check --merge\n{out}");
        let (code, out) = run(&["fix", "--check"]);
        assert_eq!(code, Some(0), "{what}: fix --check\n{out}");
        let (code, out) = run(&["doctor"]);
        assert_eq!(code, Some(0), "{what}: doctor\n{out}");
        // A conflict left by git without the driver, resolved by poolmerge.
        let out = s.git(&[
            "-c",
            "merge.poolmerge.driver=false",
            "merge",
            "--no-edit",
            "main",
        ]);
        assert!(!out.status.success(), "{what}: the merge stops");
        let (code, out) = run(&["resolve"]);
        assert_eq!(code, Some(0), "{what}: resolve\n{out}");
        assert_eq!(s.ok(&["ls-files", "-u"]), "", "{what}: nothing unmerged");
        s.ok(&["commit", "-q", "--no-edit"]);
        assert_eq!(s.ok(&["status", "--porcelain"]), "", "{what}");
        let committed = s.ok(&["show", &format!("HEAD:{NEW_MODULE}")]);
        assert!(
            pin_problems(committed.as_bytes()).is_empty(),
            "{what}: {committed}"
        );
    }
}

/// A relative `core.hooksPath` that is not committed (husky's generated `.husky/_`):
/// each work tree resolves its own directory, and `install` writes into every one.
#[test]
fn a_relative_hooks_path_reaches_every_worktree() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    s.ok(&["checkout", "-q", "main"]);
    let linked = s.repo.work().parent().unwrap().join("linked");
    s.ok(&["worktree", "add", "-q", linked.to_str().unwrap(), "fork"]);
    s.ok(&["config", "core.hooksPath", ".husky/_"]);
    std::fs::write(s.repo.work().join(".git/info/exclude"), ".husky/\n").unwrap();
    let (code, out, err) = s.repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(linked.join(".husky/_/post-merge").is_file(), "{out}");
    let out = clean_command(Path::new("git"), &s.repo.home())
        .current_dir(&linked)
        .args(["merge", "--no-edit", "main"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |args: &[&str]| {
        let out = clean_command(Path::new("git"), &s.repo.home())
            .current_dir(&linked)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let new = run(&["show", &format!("HEAD:{NEW_MODULE}")]);
    assert!(pin_problems(new.as_bytes()).is_empty(), "{new}");
    assert_eq!(run(&["status", "--porcelain"]), "");
    // A work tree added later has none: doctor says so there.
    let later = s.repo.work().parent().unwrap().join("later");
    s.ok(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        later.to_str().unwrap(),
        "main",
    ]);
    let out = clean_command(&bin(), &s.repo.home())
        .current_dir(s.repo.work())
        .arg("doctor")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("core.hooksPath is relative, and")
            && text.contains("later/.husky/_ has no poolmerge hooks"),
        "{text}"
    );
}

/// The binary the hooks name is gone: commits go on, with one line saying so.
#[test]
fn hooks_whose_binary_is_gone_never_block_a_commit() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    let copy = s.repo.home().join("poolmerge-copy");
    // Copied by another process: a file this multi-threaded test wrote itself could be
    // held open by a sibling thread's fork ("text file busy").
    let cp = std::process::Command::new("cp")
        .arg(bin())
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let out = clean_command(&copy, &s.repo.home())
        .current_dir(&s.tree)
        .args(["install", "--hooks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::remove_file(&copy).unwrap();
    std::fs::write(s.tree.join(NEW_MODULE), UNPINNED_MODULE).unwrap();
    s.ok(&["add", NEW_MODULE]);
    let out = s.git(&["commit", "-q", "-m", "a module"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("poolmerge-copy is gone, so its pre-commit hook does nothing"),
        "{stderr}"
    );
}

/// The binary the hooks name is one that cannot serve them (an older poolmerge, whose
/// command line refuses the hook): commits go on, with one line saying so.
#[test]
fn hooks_whose_binary_cannot_serve_them_never_block_a_commit() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    let copy = s.repo.home().join("poolmerge-older");
    let cp = std::process::Command::new("cp")
        .arg(bin())
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let out = clean_command(&copy, &s.repo.home())
        .current_dir(&s.tree)
        .args(["install", "--hooks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // In its place, a program that refuses the hook as clap does: status 2.
    let older = s.repo.home().join("older.sh");
    std::fs::write(
        &older,
        "#!/bin/sh\necho \"error: unrecognized subcommand 'hook'\" >&2\nexit 2\n",
    )
    .unwrap();
    let mv = std::process::Command::new("cp")
        .arg(&older)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(mv.success());
    std::fs::write(s.tree.join(NEW_MODULE), UNPINNED_MODULE).unwrap();
    s.ok(&["add", NEW_MODULE]);
    let out = s.git(&["commit", "-q", "-m", "a module"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("poolmerge-older could not run its pre-commit hook"),
        "{stderr}"
    );
}

/// A module outside a sparse checkout's cone is pinned in the index, where it lives:
/// it stays outside the cone, and `git status` shows the change staged.
#[test]
fn fix_pins_a_module_outside_the_sparse_cone_in_the_index() {
    let s = Scenario::new(Layout::SparseWithoutDatabase);
    // A commit that brings the module unpinned (the hooks bypassed), made with the
    // whole tree checked out; then the cone again.
    s.ok(&["sparse-checkout", "disable"]);
    s.repo.write(NEW_MODULE, UNPINNED_MODULE);
    s.ok(&["add", NEW_MODULE]);
    s.ok(&["commit", "-q", "--no-verify", "-m", "unpinned module"]);
    s.ok(&["sparse-checkout", "set", "--cone", "--sparse-index", "app"]);
    assert!(!s.tree.join(NEW_MODULE).exists());
    let run = |args: &[&str]| {
        let out = clean_command(&bin(), &s.repo.home())
            .current_dir(&s.tree)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["fix", "--check"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("{NEW_MODULE}:")), "{out}");
    let (code, out) = run(&["fix"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!s.tree.join(NEW_MODULE).exists(), "still outside the cone");
    let staged = s.ok(&["show", &format!(":{NEW_MODULE}")]);
    assert!(pin_problems(staged.as_bytes()).is_empty(), "{staged}");
    assert_eq!(
        s.ok(&["status", "--porcelain"]),
        format!("M  {NEW_MODULE}\n")
    );
    s.ok(&["commit", "-q", "-m", "pin"]);
    assert_eq!(s.ok(&["status", "--porcelain"]), "");
    let fsck = s.git(&["fsck", "--no-dangling"]);
    assert!(fsck.status.success() && fsck.stdout.is_empty());
}

/// A cherry-pick sequence whose last pick conflicts: the strategy pinned every pick
/// git made, so `--skip` leaves HEAD pinned; a resolution staged without the pin is
/// stopped by pre-commit with the command that pins it (nothing replaces HEAD once git
/// has returned), and `--continue && git push` pushes the pinned commit.
#[test]
fn cherry_pick_ends_final_after_skip_and_continue() {
    let cases = data_dir().join("cases").join("09-real-conflict-elsewhere");
    for finish in ["skip", "continue"] {
        let repo = fork_with_a_real_conflict(&cases);
        let remote = repo.home().join("remote.git");
        repo.ok(&["init", "-q", "--bare", remote.to_str().unwrap()]);
        let out = repo.git(&["cherry-pick", "main~2..main"]);
        assert_eq!(out.status.code(), Some(1), "the last pick conflicts");
        let cache = repo.ok(&["show", &format!("HEAD:{NEW_MODULE}")]);
        assert!(
            pin_problems(cache.as_bytes()).is_empty(),
            "the first pick, as git made it:\n{cache}"
        );
        if finish == "skip" {
            repo.ok(&["cherry-pick", "--skip"]);
            let cache = repo.ok(&["show", &format!("HEAD:{NEW_MODULE}")]);
            assert!(pin_problems(cache.as_bytes()).is_empty(), "{cache}");
            assert_eq!(repo.ok(&["status", "--porcelain"]), "");
            continue;
        }
        // Resolved by taking upstream's whole file: the staged module lacks the pin.
        repo.write(FILE, &read(&cases.join("theirs.py")));
        repo.ok(&["add", FILE]);
        let head = repo.ok(&["rev-parse", "HEAD"]);
        let out = repo.git(&["-c", "core.editor=true", "cherry-pick", "--continue"]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{said}");
        assert!(said.contains("poolmerge fix --staged"), "{said}");
        assert_eq!(repo.ok(&["rev-parse", "HEAD"]), head, "nothing committed");
        let (code, out, err) = repo.poolmerge(&["fix", "--staged"]);
        assert_eq!(code, 0, "{out}{err}");
        let out = repo.git(&["-c", "core.editor=true", "cherry-pick", "--continue"]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{said}");
        assert!(
            !said.contains("as soon as"),
            "nothing left for after git: {said}"
        );
        repo.ok(&["push", "-q", remote.to_str().unwrap(), "fork"]);
        let pushed = repo.ok(&[
            "--git-dir",
            remote.to_str().unwrap(),
            "show",
            &format!("fork:{FILE}"),
        ]);
        assert!(pin_problems(pushed.as_bytes()).is_empty(), "{pushed}");
        assert_eq!(
            repo.ok(&["--git-dir", remote.to_str().unwrap(), "rev-parse", "fork"]),
            repo.ok(&["rev-parse", "HEAD"])
        );
        assert_eq!(repo.ok(&["status", "--porcelain"]), "");
    }
}

/// A rebase onto upstream: the fork's commits keep their content and messages as git
/// replayed them; the pin of the module upstream added is a commit of its own on top,
/// whose message names it.
#[test]
fn a_rebase_pins_in_a_commit_of_its_own() {
    let s = Scenario::new(Layout::AttributesAfterPin);
    let said = s.run(Flow::Rebase);
    s.assert_done(Flow::Rebase, &said);
    let subject = s.ok(&["log", "-1", "--format=%s"]);
    assert_eq!(
        subject.trim(),
        format!("poolmerge: pin {NEW_MODULE}"),
        "{said}"
    );
    let changed = s.ok(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(changed.trim(), NEW_MODULE);
    // Below it, the fork's last commit as git replayed it.
    let below = s.ok(&["log", "-1", "--format=%s", "HEAD~1"]);
    assert_eq!(below.trim(), "route database/*.py to poolmerge");
    let new = s.ok(&["show", &format!("HEAD~1:{NEW_MODULE}")]);
    assert_eq!(
        new.as_bytes(),
        UNPINNED_MODULE,
        "upstream's module, as upstream wrote it"
    );
}

/// Local changes carried onto upstream's branch (`git stash pop` there, `git checkout
/// -m` to it) are merged as git merges them: the pin stays on the fork's branches. On
/// the fork's own branch, the same stash is merged by poolmerge.
#[test]
fn local_changes_carried_to_upstream_s_branch_bring_no_pin() {
    let edit = |s: &Scenario| {
        let mut text = s.repo.read(FILE);
        text.extend_from_slice(b"\n# a local note\n");
        s.repo.write(FILE, &text);
    };
    for how in ["stash", "checkout -m"] {
        let s = Scenario::new(Layout::AttributesAfterPin);
        edit(&s);
        if how == "stash" {
            s.ok(&["stash", "-q"]);
            s.ok(&["checkout", "-q", "main"]);
            s.ok(&["stash", "pop", "-q"]);
        } else {
            s.ok(&["checkout", "-q", "-m", "main"]);
        }
        let text = String::from_utf8(s.repo.read(FILE)).unwrap();
        assert!(text.contains("# a local note"), "{how}: {text}");
        assert!(
            !text.contains("StaticPool"),
            "{how}: upstream's branch got the fork's pin:\n{text}"
        );
    }
    // The fork's branch: a stash popped after upstream's merge keeps the pin.
    let s = Scenario::new(Layout::AttributesAfterPin);
    edit(&s);
    s.ok(&["stash", "-q"]);
    s.run(Flow::Merge);
    s.ok(&["stash", "pop", "-q"]);
    let text = String::from_utf8(s.repo.read(FILE)).unwrap();
    assert!(text.contains("# a local note"), "{text}");
    assert!(pin_problems(text.as_bytes()).is_empty(), "{text}");
}
