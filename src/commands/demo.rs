//! `poolmerge demo`: the main job on an embedded example. A temporary repository gets
//! a seed-like `database/traffic_db.py` with NullPool, a fork branch with the pin, and
//! an upstream branch that edits around and inside the engine; the upstream branch is
//! merged with plain git (the conflict shown), then with poolmerge (clean). Git runs
//! with an environment of its own, so the user's configuration plays no part, and the
//! repository is removed at the end.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};

use crate::commands::install::{current_exe, driver_line};
use crate::exit::Status;

const FILE: &str = "database/traffic_db.py";

const BASE: &str = r#"import logging
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

LOGS_DATABASE_URL = os.getenv("LOGS_DATABASE_URL", "sqlite:///db/logs.db")

# SQLite: a new connection for every checkout
logs_engine = create_engine(
    LOGS_DATABASE_URL,
    poolclass=NullPool,
    connect_args={"check_same_thread": False}
)

logs_session = scoped_session(
    sessionmaker(autocommit=False, autoflush=False, bind=logs_engine)
)
"#;

/// The fork's change: the write-up's StaticPool pin.
fn fork() -> String {
    BASE.replace("from sqlalchemy.pool import NullPool", "from sqlalchemy.pool import StaticPool")
        .replace(
            "    poolclass=NullPool,\n    connect_args={\"check_same_thread\": False}\n",
            "    poolclass=StaticPool,\n    connect_args={\n        \"check_same_thread\": False,\n        \"timeout\": 20.0,\n    },\n    pool_pre_ping=True,\n",
        )
}

/// Upstream's change: an import next to the pool import, the comment above the
/// engine, and a keyword inside the call.
fn upstream() -> String {
    BASE.replace(
        "from sqlalchemy.pool import NullPool\n",
        "from sqlalchemy.pool import NullPool\nfrom sqlalchemy.sql import func\n",
    )
    .replace(
        "# SQLite: a new connection for every checkout\n",
        "# SQLite: sessions are removed in app teardown, so each\n# request gets a fresh connection\n",
    )
    .replace(
        "    connect_args={\"check_same_thread\": False}\n",
        "    connect_args={\"check_same_thread\": False},\n    echo=False,\n",
    )
}

/// git with an environment of its own.
struct Git<'a> {
    dir: &'a Path,
    home: &'a Path,
}

impl Git<'_> {
    fn run(&self, args: &[&str]) -> Result<Output> {
        let out = Command::new("git")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join("gitconfig"))
            .env("LC_ALL", "C")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .current_dir(self.dir)
            .args(args)
            .output()
            .context("cannot run git (is it installed and on PATH?)")?;
        Ok(out)
    }

    fn ok(&self, args: &[&str]) -> Result<String> {
        let out = self.run(args)?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn commit(&self, text: &str, message: &str) -> Result<()> {
        std::fs::write(self.dir.join(FILE), text)?;
        self.ok(&["add", FILE])?;
        self.ok(&["commit", "-q", "-m", message])?;
        Ok(())
    }
}

/// What the summary claims of the merged file that it does not hold: the fork's pin
/// (the check finds nothing), upstream's comment, import and `echo=False`.
fn unmet_claims(merged: &str) -> Vec<&'static str> {
    let pin = crate::policy::Pin::builtin();
    let mut missing = Vec::new();
    if !crate::check::problems(merged.as_bytes(), &pin, 7).is_empty() {
        missing.push("the fork's pin");
    }
    for (claim, text) in [
        (
            "upstream's comment",
            "# SQLite: sessions are removed in app teardown, so each\n",
        ),
        ("upstream's import", "from sqlalchemy.sql import func\n"),
        ("upstream's echo=False", "    echo=False,\n"),
    ] {
        if !merged.contains(text) {
            missing.push(claim);
        }
    }
    missing
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

/// The engine statement of a module (with its comment lines).
fn engine_block(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| l.contains("create_engine(") && !l.starts_with("from"))
    else {
        return String::new();
    };
    let mut first = start;
    while first > 0 && lines[first - 1].starts_with('#') {
        first -= 1;
    }
    let end = (start..lines.len())
        .find(|&i| lines[i] == ")")
        .unwrap_or(start);
    lines[first..=end]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Runs `poolmerge demo`.
// Long on purpose: the demo's script, printed step by step as it runs.
pub(crate) fn run() -> Result<Status> {
    let tmp = tempfile::Builder::new()
        .prefix("poolmerge-demo-")
        .tempdir()?;
    let (home, dir) = (tmp.path().join("home"), tmp.path().join("repo"));
    std::fs::create_dir_all(dir.join("database"))?;
    std::fs::create_dir_all(&home)?;
    let git = Git {
        dir: &dir,
        home: &home,
    };
    git.ok(&["init", "-q", "-b", "upstream"])?;
    for (k, v) in [
        ("user.name", "poolmerge demo"),
        ("user.email", "demo@example.invalid"),
        ("commit.gpgsign", "false"),
    ] {
        git.ok(&["config", k, v])?;
    }
    git.commit(BASE, "upstream: traffic logs on SQLite with NullPool")?;
    git.ok(&["checkout", "-q", "-b", "fork"])?;
    git.commit(
        &fork(),
        "fork: StaticPool, 20 s timeout, pre-ping (Errno 24)",
    )?;
    git.ok(&["checkout", "-q", "upstream"])?;
    git.commit(
        &upstream(),
        "upstream: teardown comment, sqlalchemy.sql import, echo=False",
    )?;
    git.ok(&["checkout", "-q", "fork"])?;

    outln!("poolmerge demo: a fork pins StaticPool; upstream edits around and inside the engine.")?;
    outln!("(in a temporary repository, removed at the end)\n")?;
    outln!("upstream changed {FILE}: an import next to the pool import, the comment")?;
    outln!("above the engine, and echo=False inside create_engine(...).")?;
    outln!("the fork changed it: NullPool -> StaticPool, timeout 20.0, pool_pre_ping=True.\n")?;

    // 1. Plain git.
    outln!("1) git merge upstream, plain git:")?;
    let plain = git.run(&["merge", "--no-edit", "upstream"])?;
    let conflicted = std::fs::read(dir.join(FILE))?;
    let blocks = crate::conflict::blocks(&conflicted, 7);
    if plain.status.success() || blocks.is_empty() {
        bail!("plain git merged the demo cleanly; the demo expects a conflict");
    }
    // The block around the engine, the one that matters.
    let shown = blocks
        .iter()
        .find(|b| crate::python::contains(&conflicted[b.range.clone()], b"poolclass"))
        .unwrap_or(&blocks[0]);
    outln!(
        "   CONFLICT: {} in {FILE}; around the engine:",
        crate::report::counted(blocks.len(), "conflict block", "conflict blocks")
    )?;
    out!(
        "{}",
        indent(&String::from_utf8_lossy(&conflicted[shown.range.clone()]))
    )?;
    git.ok(&["merge", "--abort"])?;

    // 2. With poolmerge as the merge driver.
    outln!("\n2) git merge upstream, with poolmerge registered as the merge driver:")?;
    let exe = current_exe()?;
    git.ok(&["config", "merge.poolmerge.name", "poolmerge"])?;
    git.ok(&["config", "merge.poolmerge.driver", &driver_line(&exe)])?;
    std::fs::write(
        dir.join(".git/info/attributes"),
        "database/*.py merge=poolmerge\n",
    )?;
    let merged = git.run(&["merge", "--no-edit", "upstream"])?;
    for line in String::from_utf8_lossy(&merged.stderr)
        .lines()
        .filter(|l| l.starts_with("poolmerge"))
    {
        outln!("   {line}")?;
    }
    if !merged.status.success() {
        bail!(
            "the merge with poolmerge did not finish: {}",
            String::from_utf8_lossy(&merged.stderr).trim()
        );
    }
    let commit = git.ok(&["log", "-1", "--format=%h %s"])?;
    outln!("   merged cleanly: {}", commit.trim())?;
    let result = std::fs::read_to_string(dir.join(FILE))?;
    // The summary says what the merged file holds: it is checked, not assumed.
    let missing = unmet_claims(&result);
    if !missing.is_empty() {
        bail!(
            "the merge with poolmerge lost {}:\n{result}",
            missing.join(", ")
        );
    }
    outln!("\n   the merged engine:")?;
    out!("{}", indent(&engine_block(&result)))?;
    let import = result
        .lines()
        .filter(|l| l.starts_with("from sqlalchemy."))
        .collect::<Vec<_>>()
        .join("\n");
    outln!("\n   the imports:\n{}", indent(&import))?;
    outln!(
        "summary: plain git left {} to fix by hand; poolmerge merged cleanly,\n\
         kept the fork's pin (StaticPool, timeout 20.0, pool_pre_ping) and took upstream's\n\
         comment, import and echo=False. Next, in your fork: poolmerge install --hooks\n\
         (or ./install.sh --repo PATH --hooks), then commit .gitattributes.",
        crate::report::counted(blocks.len(), "conflict block", "conflict blocks")
    )?;
    Ok(Status::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_holds_only_for_a_merge_that_holds_it() {
        // What the two versions merged by hand give: every claim holds.
        let merged = upstream()
            .replace("from sqlalchemy.pool import NullPool", "from sqlalchemy.pool import StaticPool")
            .replace(
                "    poolclass=NullPool,\n    connect_args={\"check_same_thread\": False},\n",
                "    poolclass=StaticPool,\n    connect_args={\n        \"check_same_thread\": False,\n        \"timeout\": 20.0,\n    },\n    pool_pre_ping=True,\n",
            );
        assert_eq!(unmet_claims(&merged), Vec::<&str>::new(), "{merged}");
        // Each side alone misses what the other brought.
        assert_eq!(
            unmet_claims(&fork()),
            [
                "upstream's comment",
                "upstream's import",
                "upstream's echo=False"
            ]
        );
        assert_eq!(unmet_claims(&upstream()), ["the fork's pin"]);
    }
}
