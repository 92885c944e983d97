//! Security: `resolve` and `fix` never write outside the work tree nor through a
//! symbolic link; nothing read from the repository is ever executed; no network.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::commands::fork_without_driver;
use crate::support::{FILE, Repo, bin, clean_command, read};

const ENGINE: &[u8] =
    b"from sqlalchemy import create_engine\nengine = create_engine(\"sqlite:///a.db\")\n";

/// A directory beside the work tree, with an unpinned module in it.
fn outside(repo: &Repo) -> std::path::PathBuf {
    let dir = repo.work().parent().unwrap().join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.py"), ENGINE).unwrap();
    dir
}

#[test]
fn a_named_link_is_refused_and_its_target_untouched() {
    let repo = Repo::new();
    repo.route_without_driver();
    let out = outside(&repo);
    std::fs::create_dir_all(repo.work().join("database")).unwrap();
    symlink(out.join("app.py"), repo.work().join("database/link.py")).unwrap();
    for cmd in ["fix", "resolve"] {
        let (code, _, err) = repo.poolmerge(&[cmd, "database/link.py"]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(
            err.contains("symbolic link") && err.lines().count() == 1,
            "{err}"
        );
    }
    assert_eq!(read(&out.join("app.py")), ENGINE);
    let link = std::fs::symlink_metadata(repo.work().join("database/link.py")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is still a link");
}

#[test]
fn a_linked_directory_on_the_way_is_refused() {
    let repo = Repo::new();
    repo.route_without_driver();
    let out = outside(&repo);
    symlink(&out, repo.work().join("database")).unwrap();
    for cmd in ["fix", "resolve"] {
        let (code, _, err) = repo.poolmerge(&[cmd, "database/app.py"]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(
            err.contains("outside") || err.contains("symbolic link"),
            "{err}"
        );
    }
    assert_eq!(read(&out.join("app.py")), ENGINE);
}

#[test]
fn paths_outside_the_work_tree_are_refused() {
    let repo = Repo::new();
    let out = outside(&repo);
    let absolute = out.join("app.py").display().to_string();
    for cmd in ["fix", "resolve"] {
        for path in [
            "../outside/app.py",
            absolute.as_str(),
            "database/../../outside/app.py",
        ] {
            let (code, _, err) = repo.poolmerge(&[cmd, path]);
            assert_eq!(code, 2, "{cmd} {path}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
    assert_eq!(read(&out.join("app.py")), ENGINE);
}

#[test]
fn tracked_links_are_skipped_not_followed() {
    let repo = Repo::new();
    repo.route_without_driver();
    let out = outside(&repo);
    std::fs::create_dir_all(repo.work().join("database")).unwrap();
    symlink(out.join("app.py"), repo.work().join("database/link.py")).unwrap();
    repo.ok(&["add", "database/link.py"]);
    repo.ok(&["commit", "-q", "-m", "a link"]);
    let (code, out_text, err) = repo.poolmerge(&["fix"]);
    assert_eq!(code, 0, "{out_text}{err}");
    let (code, out_text, err) = repo.poolmerge(&["fix", "--staged"]);
    assert_eq!(code, 0, "{out_text}{err}");
    // The link is the only routed path: nothing to check, and check says so.
    let (code, _, err) = repo.poolmerge(&["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing was checked"), "{err}");
    let (code, out_text, err) = repo.poolmerge(&["check", "--allow-empty"]);
    assert_eq!(
        code, 0,
        "check must not read through the link: {out_text}{err}"
    );
    assert_eq!(read(&out.join("app.py")), ENGINE);
    assert!(
        std::fs::symlink_metadata(repo.work().join("database/link.py"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn resolve_does_not_write_through_a_directory_replaced_by_a_link() {
    let repo = fork_without_driver("06-upstream-edits-neighbour-imports");
    assert!(!repo.git(&["merge", "--no-edit", "main"]).status.success());
    // The conflicted file's directory moved out of the work tree and linked back.
    let away = repo.work().parent().unwrap().join("moved");
    std::fs::rename(repo.work().join("database"), &away).unwrap();
    symlink(&away, repo.work().join("database")).unwrap();
    let before = read(&away.join(Path::new(FILE).file_name().unwrap()));
    let (code, _, err) = repo.poolmerge(&["resolve"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(
        read(&away.join(Path::new(FILE).file_name().unwrap())),
        before
    );
}

/// Shell syntax in every place the repository controls: file contents, names, labels,
/// attributes and configuration values. Nothing may run it.
#[test]
fn nothing_from_the_repository_is_executed() {
    let repo = Repo::new();
    let trap = repo.work().parent().unwrap().join("pwned");
    let t = trap.display().to_string();
    let payload = format!("$(touch {t}) `touch {t}` ; touch {t} | touch {t}");
    let module = format!(
        "# {payload}\nfrom sqlalchemy import create_engine\nengine = create_engine(\"sqlite:///$(touch {t}).db\")\nx = \"{payload}\"\n"
    );
    let name = format!("database/$(touch {}) x.py", t.replace('/', "_"));
    repo.commit(
        ".gitattributes",
        format!("database/*.py merge=poolmerge conflict-marker-size=$(touch {t})\n").as_bytes(),
        "attributes",
    );
    repo.commit(&name, module.as_bytes(), "base");
    repo.ok(&["checkout", "-q", "-b", "up"]);
    repo.commit(
        &name,
        format!("{module}y = \"{payload}\"\n").as_bytes(),
        "up",
    );
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit(&name, format!("z = 1\n{module}").as_bytes(), "fork");
    // git itself refuses such a style; poolmerge reads it with libgit2.
    let style = format!("$(touch {t})");
    repo.ok(&["config", "merge.conflictStyle", &style]);
    for args in [
        vec!["check"],
        vec!["check", "--merge", "up"],
        vec!["fix"],
        vec!["fix", name.as_str()],
        vec!["doctor"],
    ] {
        let (code, out, err) = repo.poolmerge(&args);
        assert!((0..=2).contains(&code), "{args:?}: {code} {out}{err}");
    }
    repo.ok(&["config", "--unset", "merge.conflictStyle"]);
    repo.install_driver();
    let _ = repo.git(&["merge", "--no-edit", "up"]);
    repo.ok(&["config", "merge.conflictStyle", &style]);
    let (code, out, err) = repo.poolmerge(&["resolve"]);
    assert!((0..=2).contains(&code), "resolve: {out}{err}");
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-sec-")
        .tempdir()
        .unwrap();
    for f in ["b.py", "o.py", "t.py"] {
        std::fs::write(dir.path().join(f), &module).unwrap();
    }
    let out = clean_command(&bin(), dir.path())
        .current_dir(dir.path())
        .args([
            "merge", "b.py", "o.py", "t.py", "-x", &payload, "-y", &payload, "-p", &payload,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !trap.exists(),
        "something ran a command from the repository"
    );
}

#[test]
fn the_git_library_is_built_without_network_transports() {
    let v = git2::Version::get();
    assert!(!v.https() && !v.ssh(), "libgit2 can reach the network");
}

/// Runs the driver on a case's three versions inside `repo`'s work tree (so that it
/// logs to the repository's `poolmerge.log`), with a bound on how long it may take.
fn driver_in(repo: &Repo, case: &str) -> (Option<i32>, String) {
    let dir = repo.work();
    for (name, file) in [
        ("b.py", "base.py"),
        ("o.py", "ours.py"),
        ("t.py", "theirs.py"),
    ] {
        let bytes = read(
            &crate::support::data_dir()
                .join("cases")
                .join(case)
                .join(file),
        );
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let mut child = clean_command(&bin(), &dir)
        .current_dir(&dir)
        .args(["merge", "b.py", "o.py", "t.py", "-p", FILE])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            return (None, "the driver did not finish in 60 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_log_that_is_a_fifo_or_a_link_is_not_written() {
    let repo = Repo::new();
    let log = repo.work().join(".git/poolmerge.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&log)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let (code, err) = driver_in(&repo, "02-comment-above-engine");
    assert_eq!(code, Some(0), "a FIFO at the log: {err}");
    assert!(err.contains("not a regular file"), "{err}");
    std::fs::remove_file(&log).unwrap();
    // A link out of the git directory is not followed.
    let out = outside(&repo).join("elsewhere.log");
    symlink(&out, &log).unwrap();
    let (code, err) = driver_in(&repo, "02-comment-above-engine");
    assert_eq!(code, Some(0), "a link at the log: {err}");
    assert!(!out.exists(), "the link's target was written: {err}");
    std::fs::remove_file(&log).unwrap();
    // A regular log is appended to.
    let (code, _) = driver_in(&repo, "02-comment-above-engine");
    assert_eq!(code, Some(0));
    assert!(read(&log).starts_with(b"{"), "decisions are logged");
}
