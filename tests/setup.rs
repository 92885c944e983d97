//! `install`, `uninstall`, the hooks, `doctor` and `demo`, in temporary repositories
//! with an isolated HOME.

use crate::support::{FILE, Repo, bin, case, clean_command, pin_problems, read, run_tool};

const UNPINNED_MODULE: &[u8] = b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\ncache_engine = create_engine(\"sqlite:///db/cache.db\", poolclass=NullPool)\n";

#[test]
fn install_twice_then_uninstall() {
    let repo = Repo::new();
    let config = || String::from_utf8_lossy(&repo.read(".git/config")).into_owned();
    let driver = format!(
        "'{}' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L",
        bin().canonicalize().unwrap().display()
    );
    let before = config();
    let (code, out, _) = repo.poolmerge(&["install"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        repo.ok(&["config", "merge.poolmerge.driver"]).trim(),
        driver
    );
    assert!(
        repo.ok(&["config", "merge.poolmerge.name"])
            .starts_with("poolmerge")
    );
    let attrs = String::from_utf8(repo.read(".gitattributes")).unwrap();
    assert_eq!(
        attrs
            .lines()
            .filter(|l| *l == "database/*.py merge=poolmerge")
            .count(),
        1
    );
    let (after_once, attrs_once) = (config(), attrs);

    let (code, out, _) = repo.poolmerge(&["install"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("already registered") && out.contains("already in .gitattributes"),
        "{out}"
    );
    assert_eq!(config(), after_once, "nothing written twice");
    assert_eq!(
        String::from_utf8(repo.read(".gitattributes")).unwrap(),
        attrs_once
    );

    let (code, _, _) = repo.poolmerge(&["install", "--local", "--pattern", "app/*.py"]);
    assert_eq!(code, 0);
    assert!(
        String::from_utf8(repo.read(".git/info/attributes"))
            .unwrap()
            .contains("app/*.py merge=poolmerge\n")
    );

    let (code, _, _) = repo.poolmerge(&["uninstall"]);
    assert_eq!(code, 0);
    assert_eq!(config(), before, "the driver's keys are gone");
    assert!(
        !repo.work().join(".gitattributes").exists(),
        "poolmerge's own file removed"
    );
    let info = repo.work().join(".git/info/attributes");
    assert!(
        !info.exists()
            || !String::from_utf8(read(&info))
                .unwrap()
                .contains("poolmerge")
    );
}

#[test]
fn uninstall_keeps_what_the_user_wrote_and_global_stays_in_home() {
    let repo = Repo::new();
    repo.write(
        ".gitattributes",
        b"*.py text eol=lf\ndatabase/*.py merge=poolmerge\n",
    );
    repo.poolmerge(&["install"]);
    repo.poolmerge(&["uninstall"]);
    assert_eq!(
        repo.read(".gitattributes"),
        b"*.py text eol=lf\ndatabase/*.py merge=poolmerge\n"
    );

    let (code, _, _) = repo.poolmerge(&["install", "--global"]);
    assert_eq!(code, 0);
    let global = String::from_utf8(read(&repo.home().join(".gitconfig"))).unwrap();
    assert!(
        global.contains("[merge \"poolmerge\"]") && global.contains("merge %O %A %B"),
        "{global}"
    );
    assert!(
        !String::from_utf8_lossy(&repo.read(".git/config")).contains("poolmerge"),
        "--global writes only the user's config"
    );
    repo.poolmerge(&["uninstall", "--global"]);
    assert!(
        !String::from_utf8(read(&repo.home().join(".gitconfig")))
            .unwrap()
            .contains("driver")
    );
}

#[test]
fn with_hooks_the_merge_commit_pins_upstreams_new_module() {
    let repo = Repo::seeded();
    // Upstream adds a module the fork never touched: no driver ever sees it.
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit(
        "database/cache_db.py",
        UNPINNED_MODULE,
        "upstream: a cache database",
    );
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, _) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}");
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route database/*.py to poolmerge"]);
    // poolmerge's merge strategy pins what the merge brings before git commits it.
    let out = repo.git(&["merge", "--no-edit", "main"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("poolmerge: pinned database/cache_db.py ("),
        "{stderr}"
    );
    assert_eq!(
        repo.ok(&["log", "-1", "--format=%s"]).trim(),
        "Merge branch 'main' into fork",
        "the same message"
    );
    assert_eq!(
        repo.ok(&["log", "-1", "--format=%p"])
            .split_whitespace()
            .count(),
        2,
        "a merge commit"
    );
    for path in [FILE, "database/cache_db.py"] {
        let committed = repo.ok(&["show", &format!("HEAD:{path}")]);
        assert!(
            pin_problems(committed.as_bytes()).is_empty(),
            "{path} in the merge commit:\n{committed}"
        );
    }
    assert_eq!(
        repo.ok(&["status", "--porcelain"]),
        "",
        "work tree pinned too, nothing left over"
    );
}

#[test]
fn the_pre_commit_hook_keeps_unstaged_changes_unstaged() {
    let repo = Repo::new();
    repo.poolmerge(&["install", "--hooks"]);
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "attributes"]);
    repo.write("database/cache_db.py", UNPINNED_MODULE);
    repo.ok(&["add", "database/cache_db.py"]);
    let mut worktree = UNPINNED_MODULE.to_vec();
    worktree.extend_from_slice(b"\n# an unstaged note\n");
    repo.write("database/cache_db.py", &worktree);
    let out = repo.git(&["commit", "-q", "-m", "add the cache database"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = repo.ok(&["show", "HEAD:database/cache_db.py"]);
    assert!(pin_problems(committed.as_bytes()).is_empty(), "{committed}");
    assert!(
        !committed.contains("unstaged note"),
        "the unstaged part is not committed"
    );
    let diff = repo.ok(&["diff", "--unified=0", "database/cache_db.py"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        changed,
        vec!["+", "+# an unstaged note"],
        "only the unstaged part differs:\n{diff}"
    );
    assert!(
        pin_problems(&repo.read("database/cache_db.py")).is_empty(),
        "the work tree is pinned too"
    );
}

#[test]
fn an_existing_hook_is_chained_and_kept_by_uninstall() {
    let repo = Repo::new();
    let hook = repo.work().join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let (code, out, _) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("hook pre-commit: added to the existing hook"),
        "{out}"
    );
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(
        text.starts_with("#!/bin/sh\n# >>> poolmerge") && text.ends_with("echo mine\n"),
        "{text}"
    );
    std::fs::write(
        repo.work().join(".git/hooks/post-merge"),
        "#!/usr/bin/env python3\nprint()\n",
    )
    .unwrap();
    let (code, out, _) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 1, "a hook it cannot chain is refused");
    assert!(
        out.contains("hook post-merge:") && out.contains("not a shell script"),
        "{out}"
    );
    repo.poolmerge(&["uninstall"]);
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.work().join(".git/hooks/post-merge")).unwrap(),
        "#!/usr/bin/env python3\nprint()\n"
    );
}

#[test]
fn hooks_go_where_core_hooks_path_says() {
    let repo = Repo::new();
    repo.ok(&["config", "core.hooksPath", "githooks"]);
    repo.poolmerge(&["install", "--hooks"]);
    assert!(repo.work().join("githooks/post-merge").is_file());
    assert!(!repo.work().join(".git/hooks/post-merge").exists());
}

#[test]
fn doctor_explains_a_broken_setup_and_passes_a_correct_one() {
    let repo = Repo::new();
    repo.commit(
        ".gitattributes",
        b"database/*.py merge=poolmerge\n",
        "attributes",
    );
    repo.commit(FILE, &case("01-unrelated-function", "ours.py"), "module");
    let (code, out, _) = repo.poolmerge(&["doctor"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "PROBLEM  1 file has merge=poolmerge but no merge driver named poolmerge is registered"
        ),
        "{out}"
    );
    assert!(out.contains("fix: poolmerge install"), "{out}");
    repo.poolmerge(&["install", "--hooks"]);
    let (code, out, _) = repo.poolmerge(&["doctor"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("routed to poolmerge: database/traffic_db.py")
            && out.ends_with("poolmerge is set up.\n"),
        "{out}"
    );
}

#[test]
fn doctor_flags_a_route_that_is_not_committed() {
    let repo = Repo::new();
    repo.commit(FILE, &case("01-unrelated-function", "ours.py"), "module");
    // install writes .gitattributes into the work tree; nothing is committed yet.
    repo.poolmerge(&["install"]);
    let (code, out, _) = repo.poolmerge(&["doctor"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("PROBLEM  the route to poolmerge in .gitattributes is not committed"),
        "{out}"
    );
    assert!(
        out.contains("fix: git add .gitattributes && git commit"),
        "{out}"
    );
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route"]);
    let (code, out, _) = repo.poolmerge(&["doctor"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn demo_runs_and_prints_the_pinned_engine() {
    let home = tempfile::Builder::new()
        .prefix("poolmerge-demo-test-")
        .tempdir()
        .unwrap();
    let out = clean_command(&bin(), home.path())
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CONFLICT: 2 conflict blocks"), "{stdout}");
    assert!(stdout.contains("merged cleanly"), "{stdout}");
    let engine = stdout.split("the merged engine:").nth(1).unwrap();
    let engine: String = engine
        .lines()
        .map(|l| l.trim_start_matches("   "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        engine.contains("poolclass=StaticPool,")
            && engine.contains("\"timeout\": 20.0,")
            && engine.contains("echo=False,"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(home.path()).unwrap().count(),
        0,
        "nothing left behind in HOME"
    );
}

#[test]
fn completions_come_from_the_cli() {
    // Every shell the README names, and only those.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shells = ["bash", "zsh", "fish", "elvish", "powershell"];
    assert!(
        readme.contains(&format!("`poolmerge completions {}`", shells.join("|"))),
        "the README's completions line"
    );
    for shell in shells {
        let out = clean_command(&bin(), std::path::Path::new("/nonexistent"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("resolve") && text.contains("marker-size"),
            "{shell}"
        );
    }
}

#[test]
fn install_sh_help_is_its_usage_and_nothing_else() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    let out = std::process::Command::new(&script)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Builds and installs poolmerge"), "{text}");
    assert!(text.contains("--hooks"), "{text}");
    assert!(
        text.lines()
            .all(|l| !l.starts_with("set ") && !l.starts_with('#')),
        "{text}"
    );
}

/// A release archive of the test binary, as the release workflow lays it out, with
/// its SHA256SUMS beside it. Returns the archive's path.
fn release_archive(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("poolmerge-0.0.0-test");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(bin(), root.join("poolmerge")).unwrap();
    let name = "poolmerge-0.0.0-test.tar.gz";
    let ok = std::process::Command::new("tar")
        .current_dir(dir)
        .args(["-czf", name, "poolmerge-0.0.0-test"])
        .status()
        .unwrap();
    assert!(ok.success());
    let sums = std::process::Command::new("sha256sum")
        .current_dir(dir)
        .arg(name)
        .output()
        .unwrap();
    std::fs::write(dir.join("SHA256SUMS"), &sums.stdout).unwrap();
    dir.join(name)
}

#[test]
fn install_sh_from_an_archive_checks_it_then_installs_and_registers() {
    let repo = Repo::new();
    let releases = repo.home().join("releases");
    let archive = release_archive(&releases);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    let run = |args: &[&str]| {
        let out = clean_command(&script, &repo.home())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let prefix = repo.home().join("prefix");
    let (archive_s, prefix_s, work) = (
        archive.to_str().unwrap(),
        prefix.to_str().unwrap(),
        repo.work().to_str().unwrap().to_string(),
    );
    // A checksum that does not match: refused before anything is installed.
    let sums = std::fs::read_to_string(releases.join("SHA256SUMS")).unwrap();
    let wrong = sums.replacen(&sums[..8], "00000000", 1);
    std::fs::write(releases.join("SHA256SUMS"), &wrong).unwrap();
    let (code, out) = run(&["--from", archive_s, "--prefix", prefix_s, "--repo", &work]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("does not match its checksum"), "{out}");
    assert!(!prefix.join("bin/poolmerge").exists());
    // No SHA256SUMS at all, and no --sha256: refused too.
    std::fs::remove_file(releases.join("SHA256SUMS")).unwrap();
    let (code, out) = run(&["--from", archive_s, "--prefix", prefix_s]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("pass --sha256"), "{out}");
    // The right checksum: installed, registered, hooks in place, in one step.
    std::fs::write(releases.join("SHA256SUMS"), &sums).unwrap();
    let (code, out) = run(&[
        "--from", archive_s, "--prefix", prefix_s, "--repo", &work, "--hooks",
    ]);
    assert_eq!(code, Some(0), "{out}");
    // Its closing lines: commit the route, then merge.
    assert!(
        out.contains(&format!("next: commit .gitattributes in {work}"))
            && out.contains(&format!(
                "git -C \"{work}\" add .gitattributes && git -C \"{work}\" commit"
            )),
        "{out}"
    );
    let installed = prefix.join("bin/poolmerge");
    assert!(installed.is_file(), "{out}");
    assert!(
        repo.ok(&["config", "merge.poolmerge.driver"])
            .contains(installed.to_str().unwrap())
    );
    assert!(repo.work().join(".git/hooks/post-merge").is_file(), "{out}");
    // --sha256 stands in for SHA256SUMS.
    let hex = sums.split_whitespace().next().unwrap();
    std::fs::remove_file(releases.join("SHA256SUMS")).unwrap();
    let (code, out) = run(&["--from", archive_s, "--sha256", hex, "--prefix", prefix_s]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("next: in your fork, poolmerge install --hooks (driver, route, hooks), then commit .gitattributes"),
        "{out}"
    );
    // An archive whose binary does not run here (another platform's): refused before
    // it replaces the binary installed.
    let other = repo.home().join("other");
    let root = other.join("poolmerge-0.0.0-other");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("poolmerge"), b"\x7fELF not for this machine").unwrap();
    let made = std::process::Command::new("tar")
        .current_dir(&other)
        .args(["-czf", "other.tar.gz", "poolmerge-0.0.0-other"])
        .status()
        .unwrap();
    assert!(made.success());
    let sum = std::process::Command::new("sha256sum")
        .arg(other.join("other.tar.gz"))
        .output()
        .unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    let before = std::fs::read(&installed).unwrap();
    let other_archive = other.join("other.tar.gz");
    let (code, out) = run(&[
        "--from",
        other_archive.to_str().unwrap(),
        "--sha256",
        sum.split_whitespace().next().unwrap(),
        "--prefix",
        prefix_s,
    ]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("does not run on this machine"), "{out}");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        before,
        "the binary installed stays"
    );
    assert!(!prefix.join("bin/poolmerge.new").exists());
}

/// Builds and installs with install.sh into a temporary prefix (compiles everything:
/// run with `cargo test -- --ignored`).
#[test]
#[ignore]
fn install_sh_prefix_installs_and_registers() {
    let repo = Repo::new();
    let prefix = repo.home().join("prefix");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    let out = clean_command(&script, &repo.home())
        .env(
            "CARGO_HOME",
            std::env::var_os("CARGO_HOME")
                .unwrap_or_else(|| std::env::home_dir().unwrap().join(".cargo").into()),
        )
        .env(
            "RUSTUP_HOME",
            std::env::var_os("RUSTUP_HOME")
                .unwrap_or_else(|| std::env::home_dir().unwrap().join(".rustup").into()),
        )
        .args([
            "--prefix",
            prefix.to_str().unwrap(),
            "--repo",
            repo.work().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = prefix.join("bin/poolmerge");
    assert!(installed.is_file());
    assert!(
        repo.ok(&["config", "merge.poolmerge.driver"])
            .contains(installed.to_str().unwrap())
    );
}

#[test]
fn with_hooks_a_merge_that_needs_no_pin_commits_in_one_step() {
    let repo = Repo::seeded();
    repo.poolmerge(&["install", "--hooks"]);
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route database/*.py to poolmerge"]);
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        repo.ok(&["log", "-1", "--format=%p"])
            .split_whitespace()
            .count(),
        2
    );
    assert!(pin_problems(repo.ok(&["show", &format!("HEAD:{FILE}")]).as_bytes()).is_empty());
    assert_eq!(repo.ok(&["status", "--porcelain"]), "");
}

/// CONTRIBUTING's layout names every file and folder of `src/` and every crate.
#[test]
fn the_contributing_layout_names_every_part_of_the_tree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    let layout = &guide[guide.find("## Layout").expect("a layout section")..];
    let layout = &layout[..layout[3..].find("\n## ").map_or(layout.len(), |i| i + 3)];
    let mut missing = Vec::new();
    for dir in ["src", "crates"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let shown = if entry.path().is_dir() {
                format!("{dir}/{name}/")
            } else {
                format!("{dir}/{name}")
            };
            if !layout.contains(&shown) {
                missing.push(shown);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in CONTRIBUTING's layout: {missing:?}"
    );
}

/// The lines install prints for a Python hook, added as printed, are what it looks
/// for: the next install exits 0, doctor has no problem with the hooks, and the
/// Python hook runs poolmerge's pre-commit (a commit staging an unpinned module gets
/// it pinned).
#[test]
fn a_python_hook_chained_as_install_says_is_taken_as_installed() {
    let repo = Repo::new();
    repo.commit("README", b"x\n", "base");
    let hook = repo.work().join(".git/hooks/pre-commit");
    let python = "#!/usr/bin/env python3\nprint('mine')\n";
    std::fs::write(&hook, python).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (code, out, _) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 1, "{out}");
    let lines: String = out
        .split("To chain poolmerge, add:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("hook "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(lines.contains("subprocess.call"), "{out}");
    std::fs::write(&hook, format!("{python}{lines}")).unwrap();
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("hook pre-commit: chained in"), "{out}");
    let (_, doctor, _) = repo.poolmerge(&["doctor"]);
    assert!(
        doctor.contains("ok       hooks installed")
            && !doctor
                .lines()
                .any(|l| l.starts_with("PROBLEM") && l.contains("hook")),
        "{doctor}"
    );
    repo.ok(&["add", ".gitattributes"]);
    repo.write(
        "database/cache_db.py",
        b"from sqlalchemy import create_engine\n\nengine = create_engine('sqlite:///c.db')\n",
    );
    repo.ok(&["add", "database/cache_db.py"]);
    let out = repo.git(&["commit", "-q", "-m", "module"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = repo.ok(&["show", "HEAD:database/cache_db.py"]);
    assert!(
        crate::support::pin_problems(committed.as_bytes()).is_empty(),
        "{committed}"
    );
}

/// A hooks directory inside the work tree is committed (husky): the hooks run the
/// poolmerge on PATH, and no one's own path to the binary is in them.
#[test]
fn hooks_in_a_committed_directory_name_no_one_s_path() {
    let repo = Repo::new();
    repo.ok(&["config", "core.hooksPath", ".husky"]);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    let exe = crate::support::bin();
    for hook in ["pre-commit", "post-merge", "post-rewrite"] {
        let text = std::fs::read_to_string(repo.work().join(".husky").join(hook)).unwrap();
        assert!(
            !text.contains(exe.to_str().unwrap()) && text.contains("poolmerge hook"),
            "{hook}: {text}"
        );
    }
    let (_, doctor, _) = repo.poolmerge(&["doctor"]);
    assert!(doctor.contains("ok       hooks installed"), "{doctor}");
}

const NEW_MODULE: &str = "database/cache_db.py";

/// Whether a tool the test needs is installed (see [`crate::support::tool`]).
fn tool(name: &str) -> bool {
    crate::support::tool(name).is_some()
}

/// A fork (the pin committed) whose upstream adds a module, set up by `setup` around
/// `poolmerge install --hooks`; then a commit that stages an unpinned module, and the
/// merge of upstream: both end pinned, and doctor finds the hooks.
fn hooks_work_beside(setup: impl Fn(&Repo, &str)) {
    let repo = Repo::seeded();
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit(NEW_MODULE, UNPINNED_MODULE, "upstream: a cache database");
    repo.ok(&["checkout", "-q", "fork"]);
    setup(&repo, "before");
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    setup(&repo, "after");
    let (_, doctor, _) = repo.poolmerge(&["doctor"]);
    assert!(doctor.contains("ok       hooks installed"), "{doctor}");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "route and hooks"]);
    repo.write("database/extra_db.py", UNPINNED_MODULE);
    repo.ok(&["add", "database/extra_db.py"]);
    let out = repo.git(&["commit", "-q", "-m", "a module"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for path in ["database/extra_db.py", NEW_MODULE] {
        let committed = repo.ok(&["show", &format!("HEAD:{path}")]);
        assert!(
            pin_problems(committed.as_bytes()).is_empty(),
            "{path}:\n{committed}"
        );
    }
    assert_eq!(repo.ok(&["status", "--porcelain"]), "");
}

/// husky (v9, from npm) before poolmerge and after it: `core.hooksPath` is `.husky/_`,
/// which husky writes anew; poolmerge's hooks go in `.husky/<hook>`, which husky's
/// scripts run with `sh -e`. Installed after poolmerge, husky takes the hooks away
/// from `.git/hooks`: doctor says so, and install --hooks again puts them in `.husky`.
#[test]
fn husky_before_and_after_poolmerge() {
    if !tool("husky") {
        return;
    }
    for order in ["before", "after"] {
        hooks_work_beside(|repo, when| {
            if when == order {
                repo.write("package.json", b"{\"name\": \"fork\", \"private\": true}\n");
                run_tool(repo, &["husky"]);
                if when == "after" {
                    let (_, doctor, _) = repo.poolmerge(&["doctor"]);
                    assert!(doctor.contains("hooks not installed"), "{doctor}");
                    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
                    assert_eq!(code, 0, "{out}{err}");
                }
            }
            if when == "after" {
                assert!(
                    std::fs::read_to_string(repo.work().join(".husky/pre-commit"))
                        .is_ok_and(|t| t.contains("poolmerge hook pre-commit")),
                    "poolmerge's hook in .husky/pre-commit ({order})"
                );
            }
        });
    }
}

/// The pre-commit framework (from PyPI, as OpenAlgo uses it) before poolmerge and
/// after it: before, poolmerge's block goes into the framework's hook; after, the
/// framework keeps poolmerge's hook as `pre-commit.legacy` and runs it, and install
/// --hooks recognises that instead of chaining twice.
#[test]
fn the_pre_commit_framework_before_and_after_poolmerge() {
    if !tool("pre-commit") {
        return;
    }
    for order in ["before", "after"] {
        hooks_work_beside(|repo, when| {
            if when != order {
                return;
            }
            repo.write(".pre-commit-config.yaml", b"repos: []\n");
            run_tool(repo, &["pre-commit", "install"]);
            if when == "after" {
                let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
                assert_eq!(code, 0, "{out}{err}");
                assert!(
                    out.contains("runs through the pre-commit framework"),
                    "{out}"
                );
                let hook =
                    std::fs::read_to_string(repo.work().join(".git/hooks/pre-commit")).unwrap();
                assert!(
                    !hook.contains("poolmerge hook"),
                    "chained once, not twice: {hook}"
                );
            }
        });
    }
}
