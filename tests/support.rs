//! Shared helpers: running the built binary and git with a clean environment, and the
//! checks the acceptance cases need (syntax-tree comparison, conflict blocks, the pin).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use poolmerge::policy::Pin;
use poolmerge::python::{self, ItemKey};
use tempfile::TempDir;

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_poolmerge"))
}

/// A command with a clean environment: PATH only, HOME pointed at `home`, no system
/// git configuration, so nothing from the user's setup leaks in.
pub fn clean_command(program: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    // poolmerge on PATH, as users install it (git finds its merge strategy there).
    let mut path = vec![bin().parent().unwrap().to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    cmd.env_clear()
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    cmd
}

/// The result of one driver run.
pub struct Run {
    pub code: i32,
    pub out: Vec<u8>,
    pub stderr: String,
}

/// Runs `poolmerge merge` the way git does, on copies of the three versions in a
/// temporary directory, and returns its status, what OURS then holds, and stderr.
pub fn run_merge(base: &[u8], ours: &[u8], theirs: &[u8], args: &[&str]) -> Run {
    run_merge_env(base, ours, theirs, args, &[])
}

/// Like `run_merge`, with extra environment variables.
pub fn run_merge_env(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-it-")
        .tempdir()
        .unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("base.py"), base).unwrap();
    std::fs::write(p("ours.py"), ours).unwrap();
    std::fs::write(p("theirs.py"), theirs).unwrap();
    let mut cmd = clean_command(&bin(), dir.path());
    cmd.current_dir(dir.path())
        .args(["merge", "base.py", "ours.py", "theirs.py"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        out: std::fs::read(p("ours.py")).unwrap(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `git merge-file --diff-algorithm=histogram`, git's own merge of one file.
pub fn git_merge_file(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    size: usize,
    style: &str,
) -> (i32, Vec<u8>) {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-it-")
        .tempdir()
        .unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("base"), base).unwrap();
    std::fs::write(p("ours"), ours).unwrap();
    std::fs::write(p("theirs"), theirs).unwrap();
    let style_flag = match style {
        "merge" => "--no-diff3".to_string(),
        s => format!("--{s}"),
    };
    let out: Output = clean_command(Path::new("git"), dir.path())
        .current_dir(dir.path())
        .args([
            "merge-file",
            "-p",
            "--diff-algorithm=histogram",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
        ])
        .arg(format!("--marker-size={size}"))
        .arg(style_flag)
        .args(["ours", "base", "theirs"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    (if code == 0 { 0 } else { 1 }, out.stdout)
}

/// What a real `git merge` writes for one file (git's `ll-merge`, run here through
/// `git merge-tree --write-tree`: the level `git merge` uses, which `git merge-file`
/// does not), with the branches named `ours` and `theirs`, the marker size and style
/// given. Returns the status (0 clean, 1 conflicted), the file, and the base's label
/// git wrote in a diff3 block, if any (it names the merge base by its own words).
pub fn git_merge_tree(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    size: usize,
    style: &str,
) -> (i32, Vec<u8>, Option<String>) {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-it-")
        .tempdir()
        .unwrap();
    let git = |args: &[&str]| -> Output {
        clean_command(Path::new("git"), dir.path())
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .args(["-c", &format!("merge.conflictStyle={style}")])
            .args(["-c", "diff.algorithm=histogram"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q", "-b", "base"]).status.success());
    std::fs::write(
        dir.path().join(".gitattributes"),
        format!("f conflict-marker-size={size}\n"),
    )
    .unwrap();
    let commit = |branch: &str, from: Option<&str>, text: &[u8]| {
        if let Some(from) = from {
            assert!(
                git(&["checkout", "-q", "-b", branch, from])
                    .status
                    .success()
            );
        }
        std::fs::write(dir.path().join("f"), text).unwrap();
        assert!(git(&["add", "-A"]).status.success());
        assert!(
            git(&["commit", "-q", "--allow-empty", "-m", branch])
                .status
                .success()
        );
    };
    commit("base", None, base);
    commit("ours", Some("base"), ours);
    commit("theirs", Some("base"), theirs);
    let out = git(&["merge-tree", "--write-tree", "ours", "theirs"]);
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "git merge-tree exited {code}");
    let tree = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let file = git(&["cat-file", "-p", &format!("{tree}:f")]).stdout;
    let bar = "|".repeat(size);
    let label = String::from_utf8_lossy(&file)
        .lines()
        .find_map(|l| l.strip_prefix(&bar).map(|r| r.trim_start().to_string()));
    (code, file, label)
}

/// A canonical form of a Python file, as close to `ast.dump` as the cases need:
/// tokens without comments, layout or trailing commas; the keywords of engine calls,
/// the entries of their `connect_args` and the names imported from `sqlalchemy.pool`
/// sorted, because their order does not matter.
pub fn canonical(text: &[u8]) -> Result<String, String> {
    let tree = python::parse(text).ok_or("cannot parse")?;
    if tree.root_node().has_error() {
        return Err("syntax error".into());
    }
    let pin = Pin::builtin();
    let scan = python::scan_tree(&tree, text, &pin.targets());
    let mut holes = Vec::new();
    let mut parts = Vec::new();
    for s in &scan.statements {
        for c in &s.calls {
            holes.push(c.args.range.clone());
            let mut items: Vec<(ItemKey, String)> = c
                .args
                .items
                .iter()
                .map(|i| {
                    let value = match &i.dict {
                        Some(d) if i.key == ItemKey::Keyword("connect_args".into()) => {
                            let entries: BTreeMap<String, String> = d
                                .items
                                .iter()
                                .map(|e| (format!("{:?}", e.key), e.norm.clone()))
                                .collect();
                            format!("{entries:?}")
                        }
                        _ => i.norm.clone(),
                    };
                    (i.key.clone(), value)
                })
                .collect();
            items.sort();
            parts.push(format!("{items:?}"));
        }
    }
    for imp in &scan.imports {
        holes.push(imp.range.clone());
        let mut names: Vec<String> = imp
            .names
            .iter()
            .map(poolmerge::python::ImportedName::render)
            .collect();
        names.sort();
        parts.push(format!(
            "from {} import {}",
            pin.import_module().unwrap(),
            names.join(", ")
        ));
    }
    let root = python::tokens(tree.root_node(), text, &holes);
    Ok(format!("{root}\n{}", parts.join("\n")))
}

pub use crate::invariants::blocks;

/// Every SQLite engine call carries the pin, and the pin's name is imported.
pub fn pin_problems(text: &[u8]) -> Vec<String> {
    let pin = Pin::builtin();
    let Some(scan) = python::scan(text, &pin.targets()) else {
        return vec!["cannot parse".into()];
    };
    let mut problems = Vec::new();
    let mut engines = 0;
    for s in &scan.statements {
        for c in &s.calls {
            if pin.kind(c) == poolmerge::policy::EngineClass::Server && pin.is_pinned(&c.args) {
                let line = text[..c.range.start]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                problems.push(format!("line {line}: a server engine carries the pin"));
            }
            if pin.is_sqlite(c) {
                engines += 1;
                if !pin.carries(&c.args) {
                    let line = text[..c.range.start]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1;
                    problems.push(format!("line {line}: the engine does not carry the pin"));
                }
            }
        }
    }
    let imported = scan
        .imports
        .iter()
        .any(|i| i.names.iter().any(|n| pin.imports(&n.name)));
    if engines > 0 && !imported {
        problems.push("StaticPool is not imported from sqlalchemy.pool".into());
    }
    problems
}

/// Reads a file.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// One file of an acceptance case (`tests/data/cases/NAME/FILE`).
pub fn case(name: &str, file: &str) -> Vec<u8> {
    read(&data_dir().join("cases").join(name).join(file))
}

/// The file the end-to-end histories put the cases in.
pub const FILE: &str = "database/traffic_db.py";

/// A temporary repository with its own HOME, git run with a clean environment.
pub struct Repo {
    dir: TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::Builder::new()
                .prefix("poolmerge-e2e-")
                .tempdir()
                .unwrap(),
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

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn git_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
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

    pub fn git(&self, args: &[&str]) -> Output {
        self.git_env(args, &[])
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Registers the driver as docs/USAGE.md says.
    pub fn install_driver(&self) {
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

    pub fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.work().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        read(&self.work().join(rel))
    }

    pub fn commit(&self, rel: &str, bytes: &[u8], msg: &str) {
        self.write(rel, bytes);
        self.ok(&["add", rel]);
        self.ok(&["commit", "-q", "-m", msg]);
    }

    /// A repository with the seed case's history of `FILE` (`history`), the fork
    /// checked out.
    pub fn seeded() -> Repo {
        let repo = Repo::new();
        let case = data_dir().join("cases/14-seed-before-after");
        let version = |f: &str| read(&case.join(f));
        repo.history(
            FILE,
            &version("base.py"),
            &version("ours.py"),
            &version("theirs.py"),
        );
        repo
    }

    /// main holds upstream: base, then upstream's change; `fork` branches from base.
    pub fn history(&self, rel: &str, base: &[u8], fork: &[u8], upstream: &[u8]) {
        self.commit(rel, base, "base");
        self.ok(&["checkout", "-q", "-b", "fork"]);
        self.commit(rel, fork, "fork: pin StaticPool");
        self.ok(&["checkout", "-q", "main"]);
        self.commit(rel, upstream, "upstream change");
        self.ok(&["checkout", "-q", "fork"]);
    }
}

/// Runs poolmerge in `dir` with a clean environment whose HOME is `home`: its status,
/// stdout and stderr.
pub fn poolmerge_in(dir: &Path, home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = clean_command(&bin(), home)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl Repo {
    /// Runs poolmerge in the work tree with the same clean environment.
    pub fn poolmerge(&self, args: &[&str]) -> (i32, String, String) {
        poolmerge_in(&self.work(), &self.home(), args)
    }

    /// Routes database/*.py to poolmerge through .gitattributes (committed) without
    /// registering the driver: git merges those files with its own text merge.
    pub fn route_without_driver(&self) {
        self.commit(
            ".gitattributes",
            b"database/*.py merge=poolmerge\n",
            "attributes",
        );
    }
}

/// Runs a tool a test sets up with (husky, pre-commit; `.ci/run` installs them) in the
/// repository's work tree with its clean environment; it must be there and succeed.
pub fn run_tool(repo: &Repo, command: &[&str]) {
    let out = clean_command(Path::new(command[0]), &repo.home())
        .current_dir(repo.work())
        .args(&command[1..])
        .output()
        .unwrap_or_else(|e| panic!("{} is needed (.ci/run installs it): {e}", command[0]));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tool a test needs (ruff, husky, pre-commit; `.ci/run` installs each), found on
/// PATH. Where it is missing the test cannot check anything: under CI (`CI` set, as
/// `.ci/run` and every CI service set it) that fails the test; elsewhere the test says
/// so on stderr and returns.
pub fn tool(name: &str) -> Option<PathBuf> {
    // Looked up on PATH, not run: `husky ARG` sets up hooks wherever it runs.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !ci,
            "{name} is not installed, and CI is set: a test would pass checking nothing (.ci/run installs it)"
        );
        eprintln!("{name} is not installed: this test checks nothing (.ci/run installs it)");
    }
    found
}
