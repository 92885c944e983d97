//! `# poolmerge: off` on a statement: left to the plain merge, exempt from `check` and
//! `fix`, its conflict blocks left to the user by `resolve`.

use crate::support::{Repo, git_merge_file, pin_problems, run_merge};

const HEADER: &str =
    "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool, QueuePool\n\n";

fn engine(name: &str, args: &str, comment: &str) -> String {
    format!("{name} = create_engine(\"sqlite:///{name}.db\", {args}){comment}\n")
}

#[test]
fn an_opted_out_statement_merges_as_git_merges_it() {
    let off = "  # poolmerge: off";
    let base = format!("{HEADER}{}", engine("audit", "poolclass=NullPool", ""));
    // The fork keeps its own pool on this engine and says so.
    let ours = format!("{HEADER}{}", engine("audit", "poolclass=QueuePool", off));
    for theirs in [
        format!(
            "{HEADER}{}x = 1\n",
            engine("audit", "poolclass=NullPool", "")
        ),
        format!(
            "{HEADER}{}",
            engine("audit", "poolclass=NullPool, echo=True", "")
        ),
    ] {
        let run = run_merge(
            base.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            &["-x", "ours", "-s", "base", "-y", "theirs"],
        );
        let (code, git) = git_merge_file(
            base.as_bytes(),
            ours.as_bytes(),
            theirs.as_bytes(),
            7,
            "merge",
        );
        assert_eq!((run.code, run.out), (code, git), "{theirs}");
    }
    // Without the comment the same merge is poolmerge's: pinned, clean.
    let plain_ours = format!(
        "{HEADER}{}",
        engine("audit", "poolclass=NullPool, echo=False", "")
    );
    let theirs = format!(
        "{HEADER}{}",
        engine("audit", "poolclass=NullPool, echo=True", "")
    );
    let run = run_merge(
        base.as_bytes(),
        plain_ours.as_bytes(),
        theirs.as_bytes(),
        &[],
    );
    assert_eq!(run.code, 1, "both changed echo: M9");
    // Another engine in the same file is still pinned.
    let base = format!("{base}\n\nx = 0\n");
    let ours = format!("{ours}\n\nx = 0\n");
    let theirs = format!("{base}{}", engine("logs", "poolclass=NullPool", ""));
    let run = run_merge(base.as_bytes(), ours.as_bytes(), theirs.as_bytes(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = String::from_utf8(run.out).unwrap();
    assert!(
        out.contains(&engine("audit", "poolclass=QueuePool", off)),
        "{out}"
    );
    assert!(
        out.contains(
            "logs = create_engine(\n    \"sqlite:///logs.db\",\n    poolclass=StaticPool,"
        ),
        "{out}"
    );
    assert!(out.contains("from sqlalchemy.pool import"), "{out}");
    assert!(
        out.contains("StaticPool\n") || out.contains("StaticPool,"),
        "{out}"
    );
}

#[test]
fn check_and_fix_leave_an_opted_out_statement_alone() {
    let repo = Repo::new();
    repo.route_without_driver();
    let off = engine("audit", "poolclass=NullPool", "  # poolmerge: off");
    let text = format!("{HEADER}{off}{}", engine("logs", "poolclass=NullPool", ""));
    repo.commit("database/app.py", text.as_bytes(), "two engines");
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("database/app.py:5: engine logs"), "{out}");
    assert!(!out.contains("audit"), "{out}");
    let (code, _, err) = repo.poolmerge(&["fix"]);
    assert_eq!(code, 0, "{err}");
    let fixed = String::from_utf8(repo.read("database/app.py")).unwrap();
    assert!(
        fixed.contains(&off),
        "the opted-out statement is untouched: {fixed}"
    );
    assert!(fixed.contains("poolclass=StaticPool"), "{fixed}");
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 0, "{out}");
    // Only the opted-out engine left: nothing to pin, no import needed.
    let alone = format!("{HEADER}{off}");
    repo.commit("database/app.py", alone.as_bytes(), "one engine, opted out");
    assert_eq!(repo.poolmerge(&["check"]).0, 0);
    assert_eq!(repo.poolmerge(&["fix"]).0, 0);
    assert_eq!(repo.read("database/app.py"), alone.as_bytes());
    assert!(
        !pin_problems(alone.as_bytes()).is_empty(),
        "the test's own checker does see it"
    );
}

#[test]
fn resolve_leaves_the_conflict_of_an_opted_out_statement_to_the_user() {
    let repo = Repo::new();
    repo.route_without_driver();
    let block = |ours: &str, theirs: &str| {
        format!("{HEADER}<<<<<<< HEAD\n{ours}=======\n{theirs}>>>>>>> upstream\n")
    };
    let pinned = "audit = create_engine(\"sqlite:///audit.db\", poolclass=StaticPool, connect_args={\"check_same_thread\": False, \"timeout\": 20.0}, pool_pre_ping=True)\n";
    let upstream = engine("audit", "poolclass=NullPool, echo=True", "");
    let off = pinned.replace(")\n", ")  # poolmerge: off\n");
    repo.write("database/app.py", block(&off, &upstream).as_bytes());
    let (code, out, _) = repo.poolmerge(&["resolve", "database/app.py"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        repo.read("database/app.py"),
        block(&off, &upstream).as_bytes()
    );
    // The same block without the comment is poolmerge's to resolve.
    repo.write("database/app.py", block(pinned, &upstream).as_bytes());
    let (code, out, _) = repo.poolmerge(&["resolve", "database/app.py"]);
    assert_eq!(code, 0, "{out}");
}
