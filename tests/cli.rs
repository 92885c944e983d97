//! The driver's contract at the command line: exit codes, one-line errors naming the
//! file, OURS untouched on errors, labels, styles from git's configuration.

use std::path::Path;

use crate::support::{
    bin, clean_command, data_dir, git_merge_file, read, run_merge, run_merge_env,
};

fn case(name: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let d = data_dir().join("cases").join(name);
    (
        read(&d.join("base.py")),
        read(&d.join("ours.py")),
        read(&d.join("theirs.py")),
    )
}

const LABELS: [&str; 6] = ["-s", "base", "-x", "ours", "-y", "theirs"];

#[test]
fn an_unreadable_input_is_one_line_exit_2_and_ours_untouched() {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-cli-")
        .tempdir()
        .unwrap();
    std::fs::write(dir.path().join("ours.py"), b"keep me\n").unwrap();
    std::fs::write(dir.path().join("base.py"), b"x\n").unwrap();
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    for (base, theirs, named) in [
        ("missing.py", "base.py", "missing.py"),
        ("base.py", "adir", "adir"),
    ] {
        let out = clean_command(&bin(), dir.path())
            .current_dir(dir.path())
            .args(["merge", base, "ours.py", theirs])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(named), "{err}");
        assert_eq!(read(&dir.path().join("ours.py")), b"keep me\n");
    }
}

#[test]
fn bad_arguments_are_one_line_and_exit_2() {
    for args in [
        vec!["merge", "a", "b", "c", "-l", "seven"],
        vec!["merge", "a", "b"],
        vec!["merge", "a", "b", "c", "--style", "fancy"],
    ] {
        let out = clean_command(&bin(), Path::new("/nonexistent"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    // Missing arguments are named, not left after a colon.
    let out = clean_command(&bin(), Path::new("/nonexistent"))
        .args(["merge", "a"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not provided: <OURS>, <THEIRS>"), "{err}");
    let out = clean_command(&bin(), Path::new("/nonexistent"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("merge"));
}

#[test]
fn absent_labels_give_bare_markers_as_git_writes_them() {
    let (b, o, t) = case("13-no-engine-conflict");
    for args in [
        vec![],
        vec!["-s", "", "-x", "", "-y", ""],
        vec!["-s", "%S", "-x", "%X", "-y", "%Y"],
    ] {
        let run = run_merge(&b, &o, &t, &args);
        assert_eq!(run.code, 1);
        let text = String::from_utf8(run.out).unwrap();
        assert!(
            text.lines().any(|l| l == "<<<<<<<") && text.lines().any(|l| l == ">>>>>>>"),
            "{args:?}\n{text}"
        );
    }
}

#[test]
fn stdout_leaves_ours_untouched() {
    let (b, o, t) = case("03-upstream-adds-keyword");
    let run = run_merge(&b, &o, &t, &["--stdout"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.out, o);
}

#[test]
fn a_binary_file_keeps_ours_with_one_warning() {
    let (b, o, _) = case("01-unrelated-function");
    let mut t = b.clone();
    t.extend_from_slice(b"\0\x01\x02");
    let run = run_merge(&b, &o, &t, &LABELS);
    assert_eq!(run.code, 1);
    assert_eq!(run.out, o);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("binary"));
}

#[test]
fn the_style_comes_from_git_c_through_the_environment() {
    let (b, o, t) = case("13-no-engine-conflict");
    for (params, style) in [
        ("'merge.conflictstyle'='diff3'", "diff3"),
        ("'merge.conflictStyle=zdiff3'", "zdiff3"),
        (
            "'core.autocrlf'='false' 'merge.conflictStyle'='diff3' 'merge.conflictStyle'='merge'",
            "merge",
        ),
    ] {
        let run = run_merge_env(&b, &o, &t, &LABELS, &[("GIT_CONFIG_PARAMETERS", params)]);
        let (_, want) = git_merge_file(&b, &o, &t, 7, style);
        assert_eq!(
            String::from_utf8_lossy(&run.out),
            String::from_utf8_lossy(&want),
            "{params}"
        );
    }
    // An explicit --style wins.
    let run = run_merge_env(
        &b,
        &o,
        &t,
        &[&LABELS[..], &["--style", "merge"]].concat(),
        &[("GIT_CONFIG_PARAMETERS", "'merge.conflictStyle'='diff3'")],
    );
    assert_eq!(run.out, git_merge_file(&b, &o, &t, 7, "merge").1);
}

#[test]
fn the_style_comes_from_the_repository_config_and_decisions_are_logged() {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-cli-")
        .tempdir()
        .unwrap();
    let git = |args: &[&str]| {
        let out = clean_command(Path::new("git"), dir.path())
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
    };
    git(&["init", "-q", "."]);
    git(&["config", "merge.conflictStyle", "diff3"]);
    let (b, o, t) = case("09-real-conflict-elsewhere");
    for (n, bytes) in [("b.py", &b), ("o.py", &o), ("t.py", &t)] {
        std::fs::write(dir.path().join(n), bytes).unwrap();
    }
    let out = clean_command(&bin(), dir.path())
        .current_dir(dir.path())
        .args([
            "merge",
            "b.py",
            "o.py",
            "t.py",
            "-s",
            "base",
            "-x",
            "ours",
            "-y",
            "theirs",
            "-p",
            "database/traffic_db.py",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = String::from_utf8(read(&dir.path().join("o.py"))).unwrap();
    assert!(
        merged.lines().any(|l| l == "||||||| base"),
        "diff3 from the repository's config"
    );
    let log = String::from_utf8(read(&dir.path().join(".git/poolmerge.log"))).unwrap();
    let entry: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(entry["path"], "database/traffic_db.py");
    assert_eq!(entry["outcome"], "merged");
    assert_eq!(entry["fork"], "ours");
}

#[test]
fn the_kill_switch_is_gits_plain_merge() {
    let (b, o, t) = case("06-upstream-edits-neighbour-imports");
    let run = run_merge_env(&b, &o, &t, &LABELS, &[("POOLMERGE", "0")]);
    let (code, want) = git_merge_file(&b, &o, &t, 7, "merge");
    assert_eq!((run.code, run.out), (code, want));
    assert_eq!(code, 1, "plain git conflicts here, poolmerge does not");
    assert_eq!(run_merge(&b, &o, &t, &LABELS).code, 0);
}

/// M6 and M10: upstream adds a SQLite engine to a CRLF module; the engine laid out
/// afresh for the pin takes the file's end of line.
#[test]
fn a_new_engine_in_a_crlf_file_is_pinned_with_crlf_lines() {
    let crlf = |s: &str| s.replace('\n', "\r\n").into_bytes();
    let base = crlf(
        "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\na = create_engine(\"sqlite:///a.db\", poolclass=NullPool)\n",
    );
    let ours = crlf(
        "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n\na = create_engine(\n    \"sqlite:///a.db\",\n    poolclass=StaticPool,\n    connect_args={\n        \"check_same_thread\": False,\n        \"timeout\": 20.0,\n    },\n    pool_pre_ping=True,\n)\n",
    );
    let theirs = crlf(
        "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\na = create_engine(\"sqlite:///a.db\", poolclass=NullPool)\nb = create_engine(\"sqlite:///b.db\", poolclass=NullPool)\n",
    );
    let run = crate::support::run_merge(&base, &ours, &theirs, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bare_lf = run
        .out
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || run.out[i - 1] != b'\r'))
        .count();
    assert_eq!(bare_lf, 0, "{}", String::from_utf8_lossy(&run.out));
    assert!(crate::support::pin_problems(&run.out).is_empty());
}

#[test]
fn every_decision_on_a_pool_region_has_its_line_an_aliased_call_too() {
    let (b, o, t) = case("52-aliased-create-engine");
    let run = run_merge(&b, &o, &t, &LABELS);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The engine called through its alias, merged by poolmerge and said so.
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("the engine (line 9)"))
        .unwrap_or_else(|| panic!("no decision for the engine: {}", run.stderr));
    assert!(line.contains("from upstream (theirs): echo"), "{line}");
    assert!(crate::support::pin_problems(&run.out).is_empty());
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_in_one_line() {
    use std::process::{Command, Stdio};
    // A pipe whose reading end is already closed: every write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(bin())
        .args(["completions", "zsh"])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(141), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: the full-disk case is not checked");
        return;
    }
    for args in [
        &["completions", "bash"][..],
        &["--help"],
        &["config"],
        &["doctor"],
    ] {
        let out = Command::new(bin())
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("poolmerge: cannot write the output"),
            "{err}"
        );
    }
}

#[test]
fn merge_help_never_registers_a_bare_poolmerge() {
    let out = clean_command(&bin(), Path::new("/nonexistent"))
        .args(["merge", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("poolmerge install"), "{help}");
    // Every driver line it shows names the binary by its absolute path.
    for line in help
        .lines()
        .filter(|l| l.contains("merge.poolmerge.driver"))
    {
        assert!(line.contains("$(command -v poolmerge)"), "{line}");
    }
}

#[test]
fn the_style_follows_git_config_global_as_git_does() {
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-cli-")
        .tempdir()
        .unwrap();
    let home = dir.path();
    // The user's file says diff3; GIT_CONFIG_GLOBAL points git elsewhere (an empty file).
    std::fs::write(
        home.join(".gitconfig"),
        "[merge]\n\tconflictStyle = diff3\n",
    )
    .unwrap();
    std::fs::write(home.join("global"), "").unwrap();
    let (b, o, t) = case("09-real-conflict-elsewhere");
    for (n, bytes) in [("b.py", &b), ("o.py", &o), ("t.py", &t)] {
        std::fs::write(home.join(n), bytes).unwrap();
    }
    let run = |global: Option<&Path>| {
        let mut git = clean_command(Path::new("git"), home);
        let mut pm = clean_command(&bin(), home);
        for cmd in [&mut git, &mut pm] {
            cmd.current_dir(home);
            if let Some(g) = global {
                cmd.env("GIT_CONFIG_GLOBAL", g);
            }
        }
        let said = git
            .args(["config", "--get", "merge.conflictStyle"])
            .output()
            .unwrap();
        std::fs::write(home.join("o.py"), &o).unwrap();
        let out = pm
            .args([
                "merge",
                "b.py",
                "o.py",
                "t.py",
                "-p",
                "database/traffic_db.py",
                "-q",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let merged = read(&home.join("o.py"));
        let diff3 = merged.windows(8).any(|w| w == b"\n|||||||");
        (
            String::from_utf8_lossy(&said.stdout).trim().to_string(),
            diff3,
        )
    };
    assert_eq!(
        run(None),
        ("diff3".to_string(), true),
        "~/.gitconfig is read"
    );
    assert_eq!(
        run(Some(&home.join("global"))),
        (String::new(), false),
        "with GIT_CONFIG_GLOBAL set, git and poolmerge leave ~/.gitconfig alone"
    );
}
