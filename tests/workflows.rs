//! The GitHub Action (`action.yml`), the release workflow and the upstream sync example,
//! run step by step as a runner runs their shell steps, against temporary repositories:
//! each `run:` goes to `bash -eo pipefail` with the step's environment, `$GITHUB_OUTPUT`,
//! `$GITHUB_PATH` and `$GITHUB_STEP_SUMMARY` work as on GitHub, `if:` conditions are
//! evaluated, a `uses:` step is done by the test itself (checkout, cache, the action's
//! install), the `${{ }}` values a runner would give come from the test, and `gh` is a
//! stub that records what it was asked. Compiling the release binaries is the one step
//! left out: the packaging, checksums and publishing run on the binary under test.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{bin, clean_command, read};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(rel: &str) -> Yaml {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .remove(0)
}

/// One step of a job or a composite action.
#[derive(Debug, Clone)]
struct Step {
    name: String,
    id: Option<String>,
    run: Option<String>,
    cond: Option<String>,
    env: Vec<(String, String)>,
    dir: Option<String>,
}

fn str_of(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn env_of(y: &Yaml) -> Vec<(String, String)> {
    y["env"]
        .as_hash()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (str_of(k).unwrap(), str_of(v).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn steps_of(steps: &Yaml) -> Vec<Step> {
    steps
        .as_vec()
        .expect("a list of steps")
        .iter()
        .map(|s| Step {
            name: str_of(&s["name"])
                .or_else(|| str_of(&s["uses"]))
                .unwrap_or_default(),
            id: str_of(&s["id"]),
            run: str_of(&s["run"]),
            cond: str_of(&s["if"]),
            env: env_of(s),
            dir: str_of(&s["working-directory"]),
        })
        .collect()
}

/// A runner for one job: its environment, the `${{ }}` values it knows, and the
/// outputs of the steps so far.
struct Runner {
    cwd: PathBuf,
    env: Vec<(String, String)>,
    values: HashMap<String, String>,
    outputs: HashMap<String, HashMap<String, String>>,
    files: PathBuf,
    path: Vec<PathBuf>,
    log: String,
    /// The workflow's and the job's `env:` while a step runs.
    scope: Vec<(String, String)>,
}

impl Runner {
    fn new(cwd: &Path, files: &Path, env: &[(&str, &str)], values: &[(&str, &str)]) -> Runner {
        std::fs::create_dir_all(files).unwrap();
        let summary = files.join("summary.md");
        std::fs::write(&summary, "").unwrap();
        let mut base: Vec<(String, String)> = vec![
            ("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()),
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("CI".into(), "true".into()),
        ];
        base.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Runner {
            cwd: cwd.to_path_buf(),
            env: base,
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            outputs: HashMap::new(),
            files: files.to_path_buf(),
            path: Vec::new(),
            log: String::new(),
            scope: Vec::new(),
        }
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.files.join("summary.md")).unwrap()
    }

    /// The value of one expression (inside `${{ }}`).
    fn value(&self, expr: &str) -> String {
        let expr = expr.trim();
        if let Some((a, b)) = expr.split_once("||") {
            let a = self.value(a);
            return if a.is_empty() { self.value(b) } else { a };
        }
        if let Some((a, b)) = expr.split_once("!=") {
            return (self.value(a) != self.value(b)).to_string();
        }
        if let Some((a, b)) = expr.split_once("==") {
            return (self.value(a) == self.value(b)).to_string();
        }
        if let Some(rest) = expr.strip_prefix("steps.") {
            let (id, output) = rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            return self
                .outputs
                .get(id)
                .and_then(|o| o.get(output))
                .cloned()
                .unwrap_or_default();
        }
        if let Some(name) = expr.strip_prefix("env.") {
            return self
                .env
                .iter()
                .chain(&self.scope)
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
        }
        if let Some(quoted) = expr.strip_prefix('\'') {
            return quoted.trim_end_matches('\'').to_string();
        }
        self.values
            .get(expr)
            .cloned()
            .unwrap_or_else(|| panic!("the test gives no value for ${{{{ {expr} }}}}"))
    }

    /// A string with its `${{ }}` expressions replaced.
    fn expand(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").expect("a closed expression") + at;
            out.push_str(&self.value(&rest[at + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` condition: terms joined by `&&`, each `A == 'v'` or `A != 'v'`.
    fn holds(&self, cond: &str) -> bool {
        cond.split("&&").all(|term| {
            let (a, b, equal) = match term.split_once("!=") {
                Some((a, b)) => (a, b, false),
                None => {
                    let (a, b) = term.split_once("==").expect("== or !=");
                    (a, b, true)
                }
            };
            (self.value(a) == self.value(b)) == equal
        })
    }

    /// Runs one shell step (`env` the job's and the workflow's, then the step's);
    /// `None` when its condition does not hold.
    fn run(&mut self, step: &Step, env: &[(String, String)]) -> Option<i32> {
        self.scope = env.to_vec();
        if step.cond.as_deref().is_some_and(|c| !self.holds(c)) {
            return None;
        }
        let script = step.run.as_ref().expect("a run step");
        let output = self.files.join(format!("output-{}", self.log.len()));
        let path_file = self.files.join("path");
        std::fs::write(&output, "").unwrap();
        std::fs::write(&path_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(match &step.dir {
                Some(d) => self.cwd.join(d),
                None => self.cwd.clone(),
            })
            .env_clear();
        let mut path: Vec<PathBuf> = self.path.clone();
        path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
        cmd.env("PATH", std::env::join_paths(path).unwrap());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in env.iter().chain(&step.env) {
            let v = self.expand(v);
            cmd.env(k, v);
        }
        cmd.env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &path_file);
        let out = cmd.output().unwrap();
        self.log.push_str(&format!("--- {}\n", step.name));
        self.log.push_str(&String::from_utf8_lossy(&out.stdout));
        self.log.push_str(&String::from_utf8_lossy(&out.stderr));
        if let Some(id) = &step.id {
            let outputs = std::fs::read_to_string(&output).unwrap();
            let map = self.outputs.entry(id.clone()).or_default();
            for line in outputs.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    map.insert(k.to_string(), v.to_string());
                }
            }
        }
        for line in std::fs::read_to_string(&path_file).unwrap().lines() {
            self.path.insert(0, PathBuf::from(line));
        }
        Some(out.status.code().unwrap_or(-1))
    }

    /// Runs every shell step up to the first failure; `uses:` steps are the test's.
    /// Returns the names of the steps run with their status.
    fn run_all(&mut self, steps: &[Step], env: &[(String, String)]) -> Vec<(String, i32)> {
        let mut ran = Vec::new();
        for step in steps.iter().filter(|s| s.run.is_some()) {
            if let Some(code) = self.run(step, env) {
                ran.push((step.name.clone(), code));
                if code != 0 {
                    break;
                }
            }
        }
        ran
    }
}

/// A directory holding a `gh` that records its arguments in `gh.log` beside it and
/// answers `gh pr view` with "no pull request".
fn gh_stub(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let gh = dir.join("gh");
    write_script(
        &gh,
        &format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n[ \"$1 $2\" = \"pr view\" ] && exit 1\nexit 0\n",
            dir.join("gh.log").display()
        ),
    );
    dir.to_path_buf()
}

fn git(cwd: &Path, home: &Path, args: &[&str]) -> String {
    let out = clean_command(Path::new("git"), home)
        .current_dir(cwd)
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn commit(dir: &Path, home: &Path, files: &[(&str, &str)], msg: &str) {
    for (rel, text) in files {
        write(dir, rel, text);
        git(dir, home, &["add", rel]);
    }
    git(dir, home, &["commit", "-q", "-m", msg]);
}

const ENGINE: &str = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nengine = create_engine(\"sqlite:///db/app.db\", poolclass=NullPool)\n";
const PINNED: &str = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n\nengine = create_engine(\n    \"sqlite:///db/app.db\",\n    poolclass=StaticPool,\n    connect_args={\"check_same_thread\": False, \"timeout\": 20.0},\n    pool_pre_ping=True,\n)\n";
const UPSTREAM_ENGINE: &str = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nengine = create_engine(\"sqlite:///db/app.db\", poolclass=NullPool, echo=False)\n";

/// Upstream (a repository with its history) and a fork of it that routes
/// `database/*.py` to poolmerge and pins its engine; `origin` is where the fork
/// pushes.
struct Forked {
    _dir: tempfile::TempDir,
    home: PathBuf,
    upstream: PathBuf,
    fork: PathBuf,
    origin: PathBuf,
}

impl Forked {
    fn new() -> Forked {
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-workflows-")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        for (k, v) in [
            ("user.name", "Test"),
            ("user.email", "test@example.com"),
            ("init.defaultBranch", "main"),
            ("advice.detachedHead", "false"),
        ] {
            git(dir.path(), &home, &["config", "--global", k, v]);
        }
        let upstream = dir.path().join("upstream");
        git(dir.path(), &home, &["init", "-q", "upstream"]);
        commit(
            &upstream,
            &home,
            &[("database/app.py", ENGINE), ("README.md", "upstream\n")],
            "upstream: start",
        );
        let origin = dir.path().join("origin.git");
        git(
            dir.path(),
            &home,
            &["clone", "-q", "--bare", "upstream", "origin.git"],
        );
        git(dir.path(), &home, &["clone", "-q", "origin.git", "fork"]);
        let fork = dir.path().join("fork");
        commit(
            &fork,
            &home,
            &[
                (".gitattributes", "database/*.py merge=poolmerge\n"),
                ("database/app.py", PINNED),
            ],
            "fork: pin the pool",
        );
        git(&fork, &home, &["push", "-q", "origin", "main"]);
        Forked {
            _dir: dir,
            home,
            upstream,
            fork,
            origin,
        }
    }

    fn upstream_commit(&self, files: &[(&str, &str)], msg: &str) {
        commit(&self.upstream, &self.home, files, msg);
    }

    fn files(&self) -> PathBuf {
        self.home.join("runner")
    }
}

/// Builds a release directory as the release workflow would: the archive of the
/// binary under test for this machine's target, and SHA256SUMS.
fn releases(dir: &Path, version: &str) -> PathBuf {
    let target = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-gnu",
        ("linux", "aarch64") => "aarch64-unknown-linux-gnu",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        other => panic!("no release target for {other:?}"),
    };
    release_of(dir, version, target);
    dir.to_path_buf()
}

/// The binary under test packed as the release archive of `target` in `dir` (a `.zip`
/// for a Windows target), with a SHA256SUMS file listing it; the archive's name.
fn release_of(dir: &Path, version: &str, target: &str) -> String {
    let out = Command::new(root().join("scripts/package-release.sh"))
        .args([version, target])
        .arg(bin())
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let extension = if target.contains("-windows-") {
        "zip"
    } else {
        "tar.gz"
    };
    let archive = format!("poolmerge-{version}-{target}.{extension}");
    let sums = Command::new("sha256sum")
        .current_dir(dir)
        .arg(&archive)
        .output()
        .unwrap();
    std::fs::write(dir.join("SHA256SUMS"), sums.stdout).unwrap();
    archive
}

/// Writes an executable script.
fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    Command::new("chmod").arg("755").arg(path).status().unwrap();
}

/// The action's steps, with the values a runner gives it.
fn action_runner(f: &Forked, inputs: &[(&str, &str)]) -> Runner {
    let tool_cache = f.home.join("toolcache");
    let mut values: Vec<(String, String)> = [
        ("inputs.version", "0.1.0"),
        ("inputs.upstream", ""),
        ("inputs.upstream-branch", "main"),
        ("inputs.fail-on", "any"),
        ("inputs.install-only", "false"),
        ("inputs.with-hooks", "true"),
        ("inputs.releases", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    values.push(("runner.tool_cache".into(), tool_cache.display().to_string()));
    values.push(("github.action_path".into(), root().display().to_string()));
    for (k, v) in inputs {
        let key = format!("inputs.{k}");
        values.retain(|(name, _)| *name != key);
        values.push((key, v.to_string()));
    }
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let home = f.home.display().to_string();
    Runner::new(
        &f.fork,
        &f.files(),
        &[
            ("HOME", &home),
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("LC_ALL", "C"),
        ],
        &values,
    )
}

#[test]
fn the_action_installs_a_release_then_checks_the_pin_and_the_upstream_merge() {
    let f = Forked::new();
    f.upstream_commit(&[("database/app.py", UPSTREAM_ENGINE)], "upstream: echo");
    let dist = releases(&f.home.join("dist"), "0.1.0");
    let action = load("action.yml");
    let steps = steps_of(&action["runs"]["steps"]);
    let dist_s = dist.display().to_string();
    let upstream_s = f.upstream.display().to_string();

    // A cold cache: the release is installed, checked against SHA256SUMS.
    let mut r = action_runner(&f, &[("releases", &dist_s), ("upstream", &upstream_s)]);
    let ran = r.run_all(&steps, &[]);
    assert_eq!(
        ran,
        [
            ("Install poolmerge".to_string(), 0),
            ("Check the pin and the upstream merge".to_string(), 0)
        ],
        "{}",
        r.log
    );
    let installed = f.home.join("toolcache/poolmerge/0.1.0/bin/poolmerge");
    assert!(installed.is_file(), "{}", r.log);
    assert_eq!(
        r.path,
        vec![installed.parent().unwrap().to_path_buf()],
        "GITHUB_PATH"
    );
    assert_eq!(
        r.outputs["install"]["path"],
        installed.display().to_string()
    );
    let summary = r.summary();
    assert!(summary.contains("### poolmerge check\n"), "{summary}");
    assert!(
        summary.contains("### poolmerge check --merge poolmerge-upstream/main\n"),
        "{summary}"
    );
    assert!(summary.contains("**ok**"), "{summary}");

    // A warm cache: nothing downloaded (the releases are gone), the same binary.
    std::fs::remove_dir_all(&dist).unwrap();
    let mut r = action_runner(&f, &[("releases", &dist_s)]);
    r.outputs.insert(
        "cache".into(),
        HashMap::from([("cache-hit".to_string(), "true".to_string())]),
    );
    let ran = r.run_all(&steps, &[]);
    assert!(ran.iter().all(|(_, code)| *code == 0), "{ran:?}\n{}", r.log);
    assert!(!r.log.contains("installed "), "{}", r.log);

    // install-only: no check.
    let mut r = action_runner(&f, &[("install-only", "true")]);
    r.outputs.insert(
        "cache".into(),
        HashMap::from([("cache-hit".to_string(), "true".to_string())]),
    );
    let ran = r.run_all(&steps, &[]);
    assert_eq!(ran, [("Install poolmerge".to_string(), 0)], "{}", r.log);
}

/// On a Windows runner (Git for Windows' bash, whose `uname -s` says MINGW64_NT) the
/// action installs the Windows release, a `.zip` of `poolmerge.exe`, through install.sh.
/// Here a stand-in `uname` says so, and the archive holds this machine's binary under
/// the Windows name, so that it runs.
#[test]
fn the_action_installs_the_windows_zip_under_git_for_windows_bash() {
    let f = Forked::new();
    let dist = f.home.join("dist");
    release_of(&dist, "0.1.0", "x86_64-pc-windows-msvc");
    let fake = f.home.join("windows-bin");
    std::fs::create_dir_all(&fake).unwrap();
    write_script(
        &fake.join("uname"),
        "#!/bin/sh\ncase \"$1\" in -s) echo MINGW64_NT-10.0-20348 ;; -m) echo x86_64 ;; *) echo MINGW64_NT-10.0-20348 ;; esac\n",
    );
    let action = load("action.yml");
    let steps = steps_of(&action["runs"]["steps"]);
    let dist_s = dist.display().to_string();
    let mut r = action_runner(&f, &[("releases", &dist_s), ("install-only", "true")]);
    r.path = vec![fake];
    let ran = r.run_all(&steps, &[]);
    assert_eq!(ran, [("Install poolmerge".to_string(), 0)], "{}", r.log);
    let installed = f.home.join("toolcache/poolmerge/0.1.0/bin/poolmerge.exe");
    assert!(installed.is_file(), "{}", r.log);
    assert_eq!(
        r.outputs["install"]["path"],
        installed.display().to_string()
    );
    assert!(
        r.log
            .contains(&format!("installed {}", installed.display())),
        "{}",
        r.log
    );
}

#[test]
fn the_action_fails_the_job_as_fail_on_says_with_annotations_and_a_summary() {
    let f = Forked::new();
    // An engine the fork never pinned, and upstream deletes the fork's engine module
    // while the fork changed it: the merge check would leave it conflicted.
    commit(
        &f.fork,
        &f.home,
        &[("database/jobs.py", ENGINE)],
        "fork: a new, unpinned engine",
    );
    let dist = releases(&f.home.join("dist"), "0.1.0");
    let (dist_s, upstream_s) = (dist.display().to_string(), f.upstream.display().to_string());
    git(&f.upstream, &f.home, &["rm", "-q", "database/app.py"]);
    git(
        &f.upstream,
        &f.home,
        &["commit", "-q", "-m", "upstream: drop app"],
    );
    let steps = steps_of(&load("action.yml")["runs"]["steps"]);
    let run = |fail_on: &str| {
        let mut r = action_runner(
            &f,
            &[
                ("releases", &dist_s),
                ("upstream", &upstream_s),
                ("fail-on", fail_on),
            ],
        );
        let ran = r.run_all(&steps, &[]);
        (ran.last().unwrap().1, r.log.clone(), r.summary())
    };
    let (code, log, summary) = run("any");
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("::error file=database/jobs.py"),
        "an annotation on the unpinned file: {log}"
    );
    assert!(log.contains("::error file=database/app.py"), "{log}");
    assert!(
        summary.contains("| `database/jobs.py:4` | not pinned |"),
        "{summary}"
    );
    assert!(
        summary.contains("### poolmerge check --merge poolmerge-upstream/main"),
        "{summary}"
    );
    assert!(
        summary.contains("| `database/app.py` | still conflicted |"),
        "{summary}"
    );
    let (code, log, _) = run("merge");
    assert_eq!(code, 1, "the merge check fails the job: {log}");
    let (code, log, _) = run("never");
    assert_eq!(code, 0, "{log}");
    let (code, log, _) = run("sometimes");
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("fail-on must be any, merge or never"), "{log}");

    // fail-on merge reads the merge check alone: without one, the pin check's
    // findings are annotations and the summary, not a failed job.
    let mut r = action_runner(&f, &[("releases", &dist_s), ("fail-on", "merge")]);
    let ran = r.run_all(&steps, &[]);
    assert_eq!(ran.last().unwrap().1, 0, "{}", r.log);
    assert!(r.log.contains("::error file=database/jobs.py"), "{}", r.log);
}

fn sync_runner(f: &Forked, gh: &Path, test_command: &str) -> (Runner, Vec<(String, String)>) {
    let workflow = load("examples/sync-upstream.yml");
    let mut env = env_of(&workflow);
    for (k, v) in &mut env {
        match k.as_str() {
            "UPSTREAM_URL" => *v = f.upstream.display().to_string(),
            "TEST_COMMAND" => *v = test_command.to_string(),
            _ => {}
        }
    }
    let home = f.home.display().to_string();
    let mut r = Runner::new(
        &f.fork,
        &f.files(),
        &[
            ("HOME", &home),
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("LC_ALL", "C"),
            ("GITHUB_REF_NAME", "main"),
        ],
        &[
            ("secrets.SYNC_TOKEN", ""),
            ("github.token", "token-for-the-test"),
        ],
    );
    // What the action's install-only step does: poolmerge on PATH.
    r.path = vec![gh.to_path_buf(), bin().parent().unwrap().to_path_buf()];
    (r, env)
}

#[test]
fn the_upstream_sync_merges_pins_tests_pushes_and_opens_a_pull_request() {
    let f = Forked::new();
    f.upstream_commit(
        &[
            ("database/app.py", UPSTREAM_ENGINE),
            ("database/jobs.py", ENGINE),
            ("README.md", "upstream, newer\n"),
        ],
        "upstream: echo, a jobs module",
    );
    let gh = gh_stub(&f.home.join("gh"));
    let steps = steps_of(&load("examples/sync-upstream.yml")["jobs"]["sync"]["steps"]);
    // The fork's tests see the merged tree, with the module only upstream touched
    // already pinned by the hooks.
    let (mut r, env) = sync_runner(&f, &gh, "grep -q StaticPool database/jobs.py");
    let ran = r.run_all(&steps, &env);
    let names: Vec<&str> = ran.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Merge upstream",
            "The fork's tests",
            "The pin holds",
            "Push and open a pull request"
        ],
        "{}",
        r.log
    );
    assert!(ran.iter().all(|(_, c)| *c == 0), "{ran:?}\n{}", r.log);
    assert_eq!(r.outputs["merge"]["result"], "merged");
    let head = git(&f.upstream, &f.home, &["rev-parse", "--short", "HEAD"]);
    let branch = format!("sync/upstream-{}", head.trim());
    let pushed = git(&f.origin, &f.home, &["rev-parse", &branch]);
    for file in ["database/app.py", "database/jobs.py"] {
        let text = git(
            &f.origin,
            &f.home,
            &["show", &format!("{}:{file}", pushed.trim())],
        );
        assert!(text.contains("poolclass=StaticPool"), "{file}: {text}");
    }
    let app = git(
        &f.origin,
        &f.home,
        &["show", &format!("{branch}:database/app.py")],
    );
    assert!(app.contains("echo=False"), "upstream's change kept: {app}");
    let calls = String::from_utf8(read(&gh.join("gh.log"))).unwrap();
    assert!(calls.contains("pr view"), "{calls}");
    assert!(
        calls.contains(&format!("pr create --base main --head {branch}")),
        "{calls}"
    );
    assert!(
        r.summary().contains("Opened a pull request"),
        "{}",
        r.summary()
    );

    // Run again with nothing new upstream: nothing to do, nothing pushed.
    let (mut r, env) = sync_runner(&f, &gh, "");
    git(&f.fork, &f.home, &["reset", "-q", "--hard", pushed.trim()]);
    let ran = r.run_all(&steps, &env);
    assert_eq!(ran, [("Merge upstream".to_string(), 0)], "{}", r.log);
    assert_eq!(r.outputs["merge"]["result"], "current");
}

/// The upstream sync run to its end, which must be its push step failing.
fn sync_failing_at_the_push(f: &Forked, gh: &Path) -> Runner {
    let steps = steps_of(&load("examples/sync-upstream.yml")["jobs"]["sync"]["steps"]);
    let (mut r, env) = sync_runner(f, gh, "");
    let ran = r.run_all(&steps, &env);
    assert_eq!(
        ran.last(),
        Some(&("Push and open a pull request".to_string(), 1)),
        "{}",
        r.log
    );
    r
}

/// GitHub refuses a push that changes `.github/workflows/*` from a token without the
/// workflows permission: the sync says so in its summary, naming the files and the
/// permission, and opens no pull request.
#[test]
fn an_upstream_sync_whose_push_is_refused_names_the_files_and_the_permission() {
    let f = Forked::new();
    f.upstream_commit(
        &[
            (".github/workflows/ci.yml", "on: push\n"),
            ("database/app.py", UPSTREAM_ENGINE),
        ],
        "upstream: ci, echo",
    );
    // origin refuses as GitHub does.
    let hook = f.origin.join("hooks/pre-receive");
    write_script(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do\n  if ! git diff --quiet refs/heads/main \"$new\" -- .github/workflows; then\n    echo \"refusing to allow a GitHub App to create or update workflow \\`.github/workflows/ci.yml\\` without \\`workflows\\` permission\" >&2\n    exit 1\n  fi\ndone\n",
    );
    let gh = gh_stub(&f.home.join("gh"));
    let r = sync_failing_at_the_push(&f, &gh);
    let summary = r.summary();
    for said in [
        "### GitHub refused the push of `sync/upstream-",
        "without `workflows` permission",
        "- `.github/workflows/ci.yml`",
        "Contents, Pull requests and Workflows set to \"Read and write\"",
        "SYNC_TOKEN",
    ] {
        assert!(summary.contains(said), "{said}: {summary}");
    }
    assert!(
        r.log
            .contains("::error title=poolmerge sync::GitHub refused the push of sync/upstream-"),
        "{}",
        r.log
    );
    assert_eq!(git(&f.origin, &f.home, &["branch", "--list", "sync/*"]), "");
    let calls = std::fs::read_to_string(gh.join("gh.log")).unwrap_or_default();
    assert!(!calls.contains("pr create"), "{calls}");
}

/// The job's own token may not open pull requests until the repository allows it: the
/// branch is pushed, and the summary names the setting.
#[test]
fn an_upstream_sync_whose_pull_request_is_refused_names_the_setting() {
    let f = Forked::new();
    f.upstream_commit(&[("database/app.py", UPSTREAM_ENGINE)], "upstream: echo");
    let gh = f.home.join("gh");
    std::fs::create_dir_all(&gh).unwrap();
    write_script(
        &gh.join("gh"),
        "#!/bin/sh\n[ \"$1 $2\" = \"pr view\" ] && exit 1\nif [ \"$1 $2\" = \"pr create\" ]; then\n  echo 'pull request create failed: GraphQL: GitHub Actions is not permitted to create or approve pull requests (createPullRequest)' >&2\n  exit 1\nfi\nexit 0\n",
    );
    let r = sync_failing_at_the_push(&f, &gh);
    let summary = r.summary();
    for said in [
        "but GitHub refused the pull request",
        "GitHub Actions is not permitted to create or approve pull requests",
        "\"Allow GitHub Actions to create and approve pull requests\"",
        "open the pull request from `sync/upstream-",
    ] {
        assert!(summary.contains(said), "{said}: {summary}");
    }
    assert_ne!(git(&f.origin, &f.home, &["branch", "--list", "sync/*"]), "");
}

#[test]
fn an_upstream_sync_that_conflicts_lists_the_files_and_pushes_nothing() {
    let f = Forked::new();
    commit(
        &f.fork,
        &f.home,
        &[("README.md", "the fork's\n")],
        "fork: readme",
    );
    f.upstream_commit(&[("README.md", "upstream's\n")], "upstream: readme");
    let gh = gh_stub(&f.home.join("gh"));
    let steps = steps_of(&load("examples/sync-upstream.yml")["jobs"]["sync"]["steps"]);
    let before = git(&f.fork, &f.home, &["rev-parse", "HEAD"]);
    let (mut r, env) = sync_runner(&f, &gh, "true");
    let ran = r.run_all(&steps, &env);
    assert_eq!(ran, [("Merge upstream".to_string(), 1)], "{}", r.log);
    assert_eq!(r.outputs["merge"]["result"], "conflicted");
    assert!(
        r.summary().contains("| `README.md` | still conflicted |"),
        "{}",
        r.summary()
    );
    assert!(r.log.contains("::error file=README.md"), "{}", r.log);
    // The merge is undone and nothing left the machine.
    assert_eq!(git(&f.fork, &f.home, &["rev-parse", "HEAD"]), before);
    assert_eq!(git(&f.fork, &f.home, &["status", "--porcelain"]), "");
    let branches = git(&f.origin, &f.home, &["branch", "--list", "sync/*"]);
    assert_eq!(branches, "");
    assert!(!gh.join("gh.log").exists());
}

#[test]
fn the_release_workflow_packages_checksums_and_publishes_what_install_sh_installs() {
    let f = Forked::new();
    let work = f.home.join("checkout");
    for rel in [
        "scripts/package-release.sh",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "crates/linemerge/LICENSE-LGPL",
        "crates/linemerge/LICENSE-EDL",
    ] {
        let to = work.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(rel), &to).unwrap();
    }
    let target = "x86_64-unknown-linux-gnu";
    let built = work.join(format!("target/{target}/release/poolmerge"));
    std::fs::create_dir_all(built.parent().unwrap()).unwrap();
    std::fs::copy(bin(), &built).unwrap();
    let gh = gh_stub(&f.home.join("gh"));
    let workflow = load(".github/workflows/release.yml");
    let home = f.home.display().to_string();
    let mut r = Runner::new(
        &work,
        &f.files(),
        &[
            ("HOME", &home),
            ("GITHUB_REF_NAME", "v0.1.0"),
            ("GITHUB_REPOSITORY", "poolmerge/poolmerge"),
        ],
        &[
            ("matrix.target", target),
            ("runner.os", "Linux"),
            ("github.token", "token-for-the-test"),
        ],
    );
    r.path = vec![gh.clone()];
    // The build job after compiling: packaging (the static-linking check is for the
    // static release build, not the binary under test).
    let build = &workflow["jobs"]["build"];
    let package = steps_of(&build["steps"])
        .into_iter()
        .find(|s| s.name == "Package")
        .unwrap();
    assert_eq!(r.run(&package, &env_of(build)), Some(0), "{}", r.log);
    // A Windows target: a zip holding poolmerge.exe (a stand-in here that answers
    // --version as the runner's build does).
    let windows = "x86_64-pc-windows-msvc";
    let exe = work.join(format!("target/{windows}/release/poolmerge.exe"));
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::write(&exe, "#!/bin/sh\necho 'poolmerge 0.1.0'\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut on_windows = Runner::new(
        &work,
        &f.files(),
        &[
            ("HOME", &home),
            ("GITHUB_REF_NAME", "v0.1.0"),
            ("TARGET", windows),
        ],
        &[("matrix.target", windows), ("runner.os", "Windows")],
    );
    on_windows.path = vec![gh.clone()];
    assert_eq!(
        on_windows.run(&package, &env_of(build)),
        Some(0),
        "{}",
        on_windows.log
    );
    let zip = work.join(format!("dist/poolmerge-0.1.0-{windows}.zip"));
    let listed = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        names.contains(&format!("poolmerge-0.1.0-{windows}/poolmerge.exe\n"))
            && names.contains(&format!("poolmerge-0.1.0-{windows}/LICENSE-LGPL")),
        "{names}"
    );
    // The release job: checksums, then the release.
    let release = &workflow["jobs"]["release"];
    let ran = r.run_all(&steps_of(&release["steps"]), &env_of(release));
    assert_eq!(
        ran,
        [
            ("Checksums".to_string(), 0),
            ("Publish the release".to_string(), 0)
        ],
        "{}",
        r.log
    );
    let archive = format!("poolmerge-0.1.0-{target}.tar.gz");
    let calls = String::from_utf8(read(&gh.join("gh.log"))).unwrap();
    assert_eq!(
        calls.trim(),
        format!(
            "release create v0.1.0 --repo poolmerge/poolmerge --title poolmerge v0.1.0 --generate-notes dist/SHA256SUMS dist/poolmerge-0.1.0-{windows}.zip dist/{archive}"
        )
    );
    let sums = String::from_utf8(read(&work.join("dist/SHA256SUMS"))).unwrap();
    assert!(
        sums.contains(&format!("  {archive}\n"))
            && sums.contains(&format!("  poolmerge-0.1.0-{windows}.zip\n")),
        "{sums}"
    );
    // What was published installs: install.sh checks it against SHA256SUMS.
    let prefix = f.home.join("prefix");
    let out = clean_command(&root().join("install.sh"), &f.home)
        .arg("--from")
        .arg(work.join("dist").join(&archive))
        .arg("--prefix")
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = Command::new(prefix.join("bin/poolmerge"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("poolmerge "));
    // The crates job publishes only with a token.
    let crates = &workflow["jobs"]["crates"];
    let publish = steps_of(&crates["steps"])
        .into_iter()
        .find(|s| s.run.is_some())
        .unwrap();
    r.env.push(("CARGO_REGISTRY_TOKEN".into(), String::new()));
    assert_eq!(r.run(&publish, &[]), None, "no token, no publishing");
}

/// A release is built only after CI passes, on runners GitHub still has, for every
/// platform install.sh and install.ps1 take; CI runs on Linux, macOS and Windows.
#[test]
fn the_release_waits_for_ci_and_builds_every_platform_on_current_runners() {
    let release = load(".github/workflows/release.yml");
    assert_eq!(
        release["jobs"]["ci"]["uses"].as_str(),
        Some("./.github/workflows/ci.yml")
    );
    assert_eq!(release["jobs"]["build"]["needs"].as_str(), Some("ci"));
    assert_eq!(release["jobs"]["release"]["needs"].as_str(), Some("build"));
    // GitHub's hosted runner labels as of 2026 (macos-13 and older are retired).
    let current = [
        "ubuntu-latest",
        "ubuntu-24.04",
        "ubuntu-24.04-arm",
        "macos-latest",
        "macos-15",
        "macos-15-intel",
        "windows-latest",
        "windows-2025",
        "windows-11-arm",
    ];
    let mut targets = Vec::new();
    for entry in release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
    {
        let os = entry["os"].as_str().unwrap();
        assert!(current.contains(&os), "{os} is not a current runner");
        targets.push(entry["target"].as_str().unwrap());
    }
    for platform in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "aarch64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&platform), "no {platform} build");
    }
    let ci = load(".github/workflows/ci.yml");
    let on = &ci["on"];
    for event in ["push", "pull_request", "workflow_call"] {
        assert!(!on[event].is_badvalue(), "ci.yml does not run on {event}");
    }
    let runners: Vec<&str> = ["linux", "macos", "windows"]
        .iter()
        .map(|job| ci["jobs"][*job]["runs-on"].as_str().unwrap())
        .collect();
    assert_eq!(runners, ["ubuntu-latest", "macos-latest", "windows-latest"]);
    // The Linux and macOS jobs are .ci/run itself, so they never drift apart.
    for job in ["linux", "macos"] {
        let steps = steps_of(&ci["jobs"][job]["steps"]);
        assert!(
            steps.iter().any(|s| s.run.as_deref() == Some(".ci/run")),
            "the {job} job runs .ci/run"
        );
    }
}

#[test]
fn the_action_predicts_the_merge_as_the_fork_makes_it() {
    let f = Forked::new();
    f.upstream_commit(&[("database/jobs.py", ENGINE)], "upstream: a jobs module");
    let dist = releases(&f.home.join("dist"), "0.1.0");
    let steps = steps_of(&load("action.yml")["runs"]["steps"]);
    let dist_s = dist.display().to_string();
    let upstream_s = f.upstream.display().to_string();
    for (with_hooks, expected) in [("true", 0), ("false", 1)] {
        let mut r = action_runner(
            &f,
            &[
                ("releases", &dist_s),
                ("upstream", &upstream_s),
                ("with-hooks", with_hooks),
            ],
        );
        let ran = r.run_all(&steps, &[]);
        assert_eq!(
            ran.last().unwrap(),
            &("Check the pin and the upstream merge".to_string(), expected),
            "with-hooks {with_hooks}: {}",
            r.log
        );
    }
}
