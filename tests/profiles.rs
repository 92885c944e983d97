//! Pins as data: a repository's `[tool.poolmerge]` configuration through the driver,
//! `fix`, `check`, `resolve` and `config`.

use crate::support::{Repo, git_merge_file};

const SESSION_CONFIG: &str = r#"[project]
name = "fork"

[tool.poolmerge]
[[tool.poolmerge.pin]]
call = "sessionmaker"
when = "always"
set = { expire_on_commit = "False" }
imports = ["from sqlalchemy.orm import sessionmaker"]
"#;

const SESSION_BASE: &str = "from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(DATABASE_URL)

# One session per request.
SessionLocal = sessionmaker(bind=engine, autocommit=False)
";

/// The fork (main) with the configuration and its pinned module; `upstream` branches
/// from before the pin and changes the module.
fn fork(config: &str, file: &str, base: &str, pinned: &str, upstream: &str) -> Repo {
    let repo = Repo::new();
    repo.install_driver();
    repo.commit(file, base.as_bytes(), "base");
    repo.ok(&["branch", "upstream"]);
    repo.commit("pyproject.toml", config.as_bytes(), "configure poolmerge");
    repo.commit(file, pinned.as_bytes(), "fork: pin");
    repo.ok(&["checkout", "-q", "upstream"]);
    repo.commit(file, upstream.as_bytes(), "upstream change");
    repo.ok(&["checkout", "-q", "main"]);
    repo
}

#[test]
fn a_declared_sessionmaker_pin_keeps_upstreams_change() {
    let pinned = SESSION_BASE.replace(
        "autocommit=False)",
        "autocommit=False, expire_on_commit=False)",
    );
    let upstream = SESSION_BASE
        .replace(
            "# One session per request.",
            "# One session per request; see docs/sessions.md.",
        )
        .replace("autocommit=False)", "autocommit=False, autoflush=False)");
    let repo = fork(
        SESSION_CONFIG,
        "database/session.py",
        SESSION_BASE,
        &pinned,
        &upstream,
    );
    let merged = repo.git(&["merge", "--no-edit", "upstream"]);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let out = String::from_utf8(repo.read("database/session.py")).unwrap();
    assert!(
        out.contains("# One session per request; see docs/sessions.md.\n"),
        "{out}"
    );
    assert!(out.contains("expire_on_commit=False"), "{out}");
    assert!(out.contains("autoflush=False"), "{out}");
    // `config` shows the profile and its source.
    let (code, out, err) = repo.poolmerge(&["config"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("from HEAD:pyproject.toml"), "{out}");
    assert!(
        out.contains("call = \"sessionmaker\"") && out.contains("expire_on_commit = \"False\""),
        "{out}"
    );
    assert!(!out.contains("StaticPool"), "only the declared pin: {out}");
    assert_eq!(repo.poolmerge(&["check"]).0, 0);
}

const TWO_PINS: &str = r#"[tool.poolmerge]
include_builtin = true

[[tool.poolmerge.pin]]
call = "create_engine"
when = "server"
set = { pool_pre_ping = "True", pool_recycle = "1800" }

[[tool.poolmerge.pin]]
call = "sessionmaker"
set = { expire_on_commit = "False" }
imports = ["from sqlalchemy.orm import sessionmaker"]
"#;

const MODULE: &str = "from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

cache = create_engine(\"sqlite:///cache.db\", poolclass=NullPool)

main = create_engine(DATABASE_URL, pool_size=50, max_overflow=100)

Session = sessionmaker(bind=main)
";

#[test]
fn a_profile_of_three_pins_through_fix_check_and_the_driver() {
    let repo = Repo::new();
    repo.install_driver();
    repo.commit("pyproject.toml", TWO_PINS.as_bytes(), "configure");
    repo.commit("database/app.py", MODULE.as_bytes(), "base");
    repo.ok(&["branch", "upstream"]);
    // check names each call the profile pins, fix pins them, check passes.
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 1);
    for line in [
        ":5: engine cache",
        ":7: engine main",
        ":9: sessionmaker Session",
        "StaticPool is not imported",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let (code, out, err) = repo.poolmerge(&["fix"]);
    assert_eq!(code, 0, "{out}{err}");
    let pinned = String::from_utf8(repo.read("database/app.py")).unwrap();
    assert!(pinned.contains("    pool_size=50,\n    max_overflow=100,\n    pool_pre_ping=True,\n    pool_recycle=1800,\n"), "server keywords kept: {pinned}");
    assert!(pinned.contains("poolclass=StaticPool"), "{pinned}");
    assert!(pinned.contains("    expire_on_commit=False,\n"), "{pinned}");
    assert!(!pinned.contains("NullPool"), "retired: {pinned}");
    assert_eq!(repo.poolmerge(&["check"]).0, 0);
    repo.ok(&["commit", "-q", "-am", "fork: pin"]);
    // Upstream changes each call; the merge keeps every change and every pin.
    repo.ok(&["checkout", "-q", "upstream"]);
    let upstream = MODULE
        .replace("poolclass=NullPool)", "poolclass=NullPool, echo=True)")
        .replace("pool_size=50,", "pool_size=20, pool_recycle=3600,")
        .replace(
            "sessionmaker(bind=main)",
            "sessionmaker(bind=main, autoflush=False)",
        );
    repo.commit("database/app.py", upstream.as_bytes(), "upstream");
    repo.ok(&["checkout", "-q", "main"]);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "upstream"]);
    assert_eq!(code, 0, "check --merge: {out}");
    let merged = repo.git(&["merge", "--no-edit", "upstream"]);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let out = String::from_utf8(repo.read("database/app.py")).unwrap();
    for want in [
        "echo=True",
        "pool_size=20",
        "pool_recycle=1800",
        "autoflush=False",
        "expire_on_commit=False",
        "poolclass=StaticPool",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(!out.contains("3600"), "the pinned recycle wins: {out}");
    assert_eq!(repo.poolmerge(&["check"]).0, 0);
}

#[test]
fn the_files_key_decides_what_check_and_fix_own() {
    let repo = Repo::new();
    repo.commit(
        ".poolmerge.toml",
        b"files = [\"app/db/*.py\"]\n",
        "configure",
    );
    let engine = b"from sqlalchemy import create_engine\ne = create_engine(\"sqlite:///a.db\")\n";
    repo.commit("app/db/a.py", engine, "owned");
    repo.commit("app/other.py", engine, "not owned");
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("app/db/a.py:2") && !out.contains("app/other.py"),
        "{out}"
    );
    assert_eq!(repo.poolmerge(&["fix"]).0, 0);
    assert_eq!(repo.read("app/other.py"), engine);
    assert_eq!(repo.poolmerge(&["check"]).0, 0);
    // install routes the same files to the driver.
    let (code, _, err) = repo.poolmerge(&["install"]);
    assert_eq!(code, 0, "{err}");
    let attributes = String::from_utf8(repo.read(".gitattributes")).unwrap();
    assert!(
        attributes.contains("app/db/*.py merge=poolmerge"),
        "{attributes}"
    );
    assert!(!attributes.contains("database/*.py"), "{attributes}");
}

#[test]
fn an_invalid_configuration_is_one_line_and_the_driver_falls_back_to_git() {
    let bad = "[tool.poolmerge]\n\n[[tool.poolmerge.pin]]\ncall = \"sessionmaker\"\nset = { expire_on_commit = \"False +\" }\n";
    let pinned = SESSION_BASE.replace(
        "autocommit=False)",
        "autocommit=False, expire_on_commit=False)",
    );
    let upstream = SESSION_BASE.replace("autocommit=False)", "autocommit=False, autoflush=False)");
    let repo = fork(bad, "database/session.py", SESSION_BASE, &pinned, &upstream);
    let (code, out, _) = repo.poolmerge(&["doctor"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("PROBLEM  the configuration is invalid: HEAD:pyproject.toml:5:"),
        "{out}"
    );
    for args in [vec!["config"], vec!["check"], vec!["fix"], vec!["resolve"]] {
        let (code, out, err) = repo.poolmerge(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("HEAD:pyproject.toml:5:") && err.contains("not a Python expression"),
            "{err}"
        );
    }
    let merged = repo.git(&["merge", "--no-edit", "upstream"]);
    let stderr = String::from_utf8_lossy(&merged.stderr);
    assert!(
        stderr.contains("HEAD:pyproject.toml:5:") && stderr.contains("plain merge"),
        "{stderr}"
    );
    let (_, git) = git_merge_file(
        SESSION_BASE.as_bytes(),
        pinned.as_bytes(),
        upstream.as_bytes(),
        7,
        "merge",
    );
    let out = repo.read("database/session.py");
    let git = String::from_utf8(git)
        .unwrap()
        .replace("<<<<<<< ours", "<<<<<<< HEAD")
        .replace(">>>>>>> theirs", ">>>>>>> upstream");
    assert_eq!(String::from_utf8(out).unwrap(), git, "git's own merge");
}

/// The merge rules hold for a declared pin as for the built-in one.
#[test]
fn the_merge_rules_hold_for_a_declared_pin() {
    use poolmerge::config;
    use poolmerge::merge::line::NativeMerge;
    use poolmerge::merge::{Input, Options, merge};
    let profile = config::Profile::from_config(
        config::parse(SESSION_CONFIG, "pyproject.toml")
            .unwrap()
            .unwrap(),
        "test".into(),
    )
    .unwrap();
    let opts = Options::for_pins(poolmerge::conflict::Markers::default(), &profile.pins);
    let run = |base: &str, ours: &str, theirs: &str| {
        let input = Input {
            base: base.as_bytes(),
            ours: ours.as_bytes(),
            theirs: theirs.as_bytes(),
        };
        let out = merge(&input, &opts, &NativeMerge).unwrap();
        (out.conflicts, String::from_utf8(out.content).unwrap())
    };
    let call = |args: &str| {
        SESSION_BASE.replace(
            "sessionmaker(bind=engine, autocommit=False)",
            &format!("sessionmaker({args})"),
        )
    };
    let base = call("bind=engine, autocommit=False");
    let fork = call("bind=engine, autocommit=False, expire_on_commit=False");
    // M5: upstream sets the pinned keyword its own way: the pin.
    let (n, out) = run(
        &base,
        &fork,
        &call("bind=engine, autocommit=False, expire_on_commit=True"),
    );
    assert_eq!((n, out), (0, fork.clone()));
    // M4: upstream only reformats: the fork's text.
    let (n, out) = run(
        &base,
        &fork,
        &call("\n    bind=engine,\n    autocommit=False,\n"),
    );
    assert_eq!((n, out), (0, fork.clone()));
    // M9: both change the same unpinned keyword: a conflict around that statement.
    let (n, out) = run(
        &base,
        &call("bind=engine, autocommit=True, expire_on_commit=False"),
        &call("bind=engine, autocommit=None"),
    );
    assert_eq!(n, 1, "{out}");
    assert!(
        out.starts_with("from sqlalchemy import create_engine\n"),
        "{out}"
    );
    // M9: upstream deletes the statement the fork pinned: a conflict, not a silent loss.
    let deleted = SESSION_BASE.replace(
        "SessionLocal = sessionmaker(bind=engine, autocommit=False)\n",
        "",
    );
    let (n, out) = run(&base, &fork, &deleted);
    assert_eq!(n, 1, "{out}");
    assert!(out.contains("expire_on_commit=False"), "{out}");
    // Sides by content: the same file either way round.
    let upstream = call("bind=engine, autocommit=False, autoflush=False");
    let (n1, a) = run(&base, &fork, &upstream);
    let (n2, b) = run(&base, &upstream, &fork);
    assert_eq!((n1, n2), (0, 0));
    assert_eq!(a, b);
    assert!(
        a.contains("expire_on_commit=False") && a.contains("autoflush=False"),
        "{a}"
    );
}

/// Merges the case in `tests/data/profiles/<profile>/cases/<case>` with its profile's
/// `config.toml` (as `.poolmerge.toml`): exit and bytes as `meta.json` and
/// `expected.py` say.
fn run_profile_case(folder: &str) {
    use crate::support::{bin, clean_command, data_dir, read};
    let case = data_dir().join("profiles").join(folder);
    let config = read(&case.join("../../config.toml"));
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-profile-")
        .tempdir()
        .unwrap();
    let git = clean_command(std::path::Path::new("git"), dir.path())
        .current_dir(dir.path())
        .args(["init", "-q"])
        .output()
        .unwrap();
    assert!(git.status.success());
    std::fs::write(dir.path().join(".poolmerge.toml"), &config).unwrap();
    for f in ["base.py", "ours.py", "theirs.py"] {
        std::fs::write(dir.path().join(f), read(&case.join(f))).unwrap();
    }
    let meta: serde_json::Value = serde_json::from_slice(&read(&case.join("meta.json"))).unwrap();
    let out = clean_command(&bin(), dir.path())
        .current_dir(dir.path())
        .args(["merge", "base.py", "ours.py", "theirs.py"])
        .args(["-x", "ours", "-s", "base", "-y", "theirs"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        meta["exit"].as_i64().map(|c| c as i32),
        "tests/data/profiles/{folder}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        read(&dir.path().join("ours.py")) == read(&case.join("expected.py")),
        "tests/data/profiles/{folder}: not expected.py"
    );
}

/// One named test per profile case folder.
macro_rules! profile_cases {
    ($($test:ident: $folder:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_profile_case($folder);
            }
        )*
        /// The folders the tests above run.
        const LISTED: &[&str] = &[$($folder),*];
    };
}

profile_cases! {
    server_and_sessions_01_server_engine_upstream_tunes_its_pool: "server-and-sessions/cases/01-server-engine-upstream-tunes-its-pool",
    server_and_sessions_02_server_engine_upstream_sets_recycle: "server-and-sessions/cases/02-server-engine-upstream-sets-recycle",
    server_and_sessions_03_session_upstream_adds_autoflush_and_edits_comment: "server-and-sessions/cases/03-session-upstream-adds-autoflush-and-edits-comment",
    server_and_sessions_04_session_both_change_autocommit: "server-and-sessions/cases/04-session-both-change-autocommit",
    server_and_sessions_05_sqlite_engine_is_plain_text_here: "server-and-sessions/cases/05-sqlite-engine-is-plain-text-here",
}

/// Every profile's case folders have their test; `fix/before.py` fixes into
/// `fix/after.py`, and `check` fails before and passes after.
#[test]
fn each_profiles_cases_are_listed_and_its_fix_pins() {
    use crate::support::{data_dir, read};
    let mut found = Vec::new();
    for profile in std::fs::read_dir(data_dir().join("profiles")).unwrap() {
        let profile = profile.unwrap().path();
        let name = profile.file_name().unwrap().to_string_lossy().into_owned();
        for case in std::fs::read_dir(profile.join("cases")).unwrap() {
            let case = case.unwrap().file_name().to_string_lossy().into_owned();
            found.push(format!("{name}/cases/{case}"));
        }
        let config = read(&profile.join("config.toml"));
        let repo = Repo::new();
        repo.commit(".poolmerge.toml", &config, "configure");
        repo.route_without_driver();
        repo.commit(
            "database/app.py",
            &read(&profile.join("fix/before.py")),
            "unpinned",
        );
        assert_eq!(repo.poolmerge(&["check"]).0, 1, "{}", profile.display());
        assert_eq!(repo.poolmerge(&["fix"]).0, 0);
        assert_eq!(
            repo.read("database/app.py"),
            read(&profile.join("fix/after.py"))
        );
        assert_eq!(repo.poolmerge(&["check"]).0, 0);
    }
    found.sort();
    assert_eq!(
        found, LISTED,
        "add each profile case folder to `profile_cases!`"
    );
}

/// `resolve` on a conflict block and the pre-commit hook follow the declared pin too.
#[test]
fn resolve_and_the_hooks_follow_a_declared_pin() {
    let repo = Repo::new();
    repo.commit("pyproject.toml", SESSION_CONFIG.as_bytes(), "configure");
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route database/*.py to poolmerge"]);
    // The pre-commit hook pins what is committed.
    repo.write("database/session.py", SESSION_BASE.as_bytes());
    repo.ok(&["add", "database/session.py"]);
    let out = repo.git(&["commit", "-q", "-m", "sessions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = repo.ok(&["show", "HEAD:database/session.py"]);
    assert!(committed.contains("expire_on_commit=False"), "{committed}");
    // A conflict block around the pinned call alone is poolmerge's to resolve.
    let block = SESSION_BASE.replace(
        "SessionLocal = sessionmaker(bind=engine, autocommit=False)\n",
        "<<<<<<< HEAD\nSessionLocal = sessionmaker(bind=engine, autocommit=False, expire_on_commit=False)\n=======\nSessionLocal = sessionmaker(bind=engine, autocommit=False, autoflush=False)\n>>>>>>> upstream\n",
    );
    repo.write("database/session.py", block.as_bytes());
    let (code, out, _) = repo.poolmerge(&["resolve", "database/session.py"]);
    assert_eq!(code, 0, "{out}");
    let resolved = String::from_utf8(repo.read("database/session.py")).unwrap();
    assert!(
        resolved.contains("expire_on_commit=False") && resolved.contains("autoflush=False"),
        "{resolved}"
    );
    assert!(!resolved.contains("<<<<<<<"), "{resolved}");
}
