//! What poolmerge tells the user: one line on stderr per pool-region decision and per
//! warning, and the same decisions as JSON lines appended to `.git/poolmerge.log`, so
//! that a merge can be audited after stderr has scrolled away.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::merge::Decision;

/// The stderr line for a decision.
pub(crate) fn decision_line(path: &str, d: &Decision) -> String {
    let mut line = format!(
        "poolmerge: {path}: {} (line {}): {}",
        d.region, d.line, d.outcome
    );
    if let Some(fork) = d.fork {
        line.push_str(&format!("; fork is {fork}"));
    }
    if !d.from_fork.is_empty() {
        line.push_str(&format!("; kept from the fork: {}", d.from_fork.join(", ")));
    }
    if !d.from_upstream.is_empty() {
        let side = d
            .fork
            .map(|f| format!(" ({})", f.other()))
            .unwrap_or_default();
        line.push_str(&format!(
            "; from upstream{side}: {}",
            d.from_upstream.join(", ")
        ));
    }
    if !d.note.is_empty() {
        line.push_str(&format!("; {}", d.note));
    }
    line
}

/// The stderr line for a warning.
pub(crate) fn warning_line(path: &str, warning: &str) -> String {
    format!("poolmerge: warning: {path}: {warning}")
}

/// A decision as the log records it.
#[derive(Serialize)]
struct DecisionRecord<'a> {
    time: u64,
    path: &'a str,
    region: &'a str,
    line: usize,
    outcome: String,
    fork: Option<String>,
    from_fork: &'a [String],
    from_upstream: &'a [String],
    note: &'a str,
}

/// A warning as the log records it.
#[derive(Serialize)]
struct WarningRecord<'a> {
    time: u64,
    path: &'a str,
    warning: &'a str,
}

/// A hook's rewrite of HEAD as the log records it: which file it pinned, in which
/// commit, and the commit that replaced it.
#[derive(Serialize)]
struct RewriteRecord<'a> {
    time: u64,
    path: &'a str,
    hook: &'a str,
    pinned: &'a [String],
    commit: String,
    replaced_by: String,
}

/// A hook's rewrite of HEAD as one JSON object.
pub(crate) fn rewrite_json(
    path: &str,
    hook: &str,
    pinned: &[String],
    commit: &str,
    replaced_by: &str,
    time: u64,
) -> String {
    json(&RewriteRecord {
        time,
        path,
        hook,
        pinned,
        commit: commit.to_string(),
        replaced_by: replaced_by.to_string(),
    })
}

/// One JSON value on one line. Strings, numbers and lists of them always serialise.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("a record of strings and numbers serialises")
}

/// A decision as one JSON object.
pub(crate) fn decision_json(path: &str, d: &Decision, time: u64) -> String {
    json(&DecisionRecord {
        time,
        path,
        region: &d.region,
        line: d.line,
        outcome: d.outcome.to_string(),
        fork: d.fork.map(|f| f.to_string()),
        from_fork: &d.from_fork,
        from_upstream: &d.from_upstream,
        note: &d.note,
    })
}

/// A warning as one JSON object.
pub(crate) fn warning_json(path: &str, warning: &str, time: u64) -> String {
    json(&WarningRecord {
        time,
        path,
        warning,
    })
}

/// Seconds since the epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Appends lines to the log in one write.
pub(crate) fn append_log(log: &Path, lines: &[String]) -> std::io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut buf = lines.join("\n");
    buf.push('\n');
    // Only a regular file, never followed through a symbolic link out of the git
    // directory, and never a FIFO, whose open would wait for a reader forever.
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file; nothing logged",
        )
    };
    match std::fs::symlink_metadata(log) {
        Ok(m) if !m.file_type().is_file() => return Err(not_regular()),
        Ok(_) | Err(_) => {}
    }
    let mut f = OpenOptions::new().create(true).append(true).open(log)?;
    if !f.metadata()?.file_type().is_file() {
        return Err(not_regular());
    }
    f.write_all(buf.as_bytes())
}

/// One finding of `poolmerge check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CheckItem {
    /// `markers`, `unpinned`, `import`, `syntax`, `conflict` or `resolved`.
    pub kind: String,
    /// Repository-relative path.
    pub path: String,
    /// 1-based line, when there is one.
    pub line: Option<usize>,
    /// What, in words.
    pub message: String,
    /// Whether it makes the check fail (`resolved` does not).
    pub failure: bool,
}

/// `path:line: message` lines and a summary line.
pub(crate) fn check_text(items: &[CheckItem], files: usize) -> String {
    let mut out = String::new();
    for i in items {
        match i.line {
            Some(l) => out.push_str(&format!("{}:{l}: {}\n", i.path, i.message)),
            None => out.push_str(&format!("{}: {}\n", i.path, i.message)),
        }
    }
    out.push_str(&match verdict(items, files) {
        (None, checked) => format!("ok: {checked} checked\n"),
        (Some(problems), checked) => format!("{problems} in {checked} checked\n"),
    });
    out
}

/// The verdict of a check: how many problems ("2 problems", none when it passes) and
/// how many files were checked ("20 files").
fn verdict(items: &[CheckItem], files: usize) -> (Option<String>, String) {
    let failures = items.iter().filter(|i| i.failure).count();
    (
        (failures > 0).then(|| counted(failures, "problem", "problems")),
        counted(files, "file", "files"),
    )
}

/// `n` and the noun in the number it takes: "1 file", "2 files".
pub(crate) fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One JSON object: `{"ok": bool, "files": n, "findings": [{"kind", "path", "line",
/// "message", "failure"}]}`.
pub(crate) fn check_json(items: &[CheckItem], files: usize) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        ok: bool,
        files: usize,
        findings: &'a [CheckItem],
    }
    let ok = !items.iter().any(|i| i.failure);
    json(&Report {
        ok,
        files,
        findings: items,
    }) + "\n"
}

/// GitHub Actions workflow commands: `::error` for failures, `::notice` otherwise.
pub(crate) fn check_github(items: &[CheckItem]) -> String {
    let escape_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_prop = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for i in items {
        let level = if i.failure { "error" } else { "notice" };
        let line = i.line.map(|l| format!(",line={l}")).unwrap_or_default();
        out.push_str(&format!(
            "::{level} file={}{line},title=poolmerge {}::{}\n",
            escape_prop(&i.path),
            escape_prop(&i.kind),
            escape_data(&i.message)
        ));
    }
    out
}

/// A Markdown report, for a CI job's summary (`$GITHUB_STEP_SUMMARY`): the check (`merge`:
/// the revision a merge with was checked), one table row per finding, what it means for
/// the file, and the verdict.
pub(crate) fn check_markdown(items: &[CheckItem], files: usize, merge: Option<&str>) -> String {
    fn result(kind: &str) -> &str {
        match kind {
            "resolved" => "resolved by poolmerge",
            "hooks" => "pinned in the merge",
            "conflict" => "still conflicted",
            "markers" => "conflict markers",
            "unpinned" | "import" => "not pinned",
            "syntax" => "does not parse",
            other => other,
        }
    }
    let cell = |s: &str| s.replace('|', "\\|").replace(['\r', '\n'], " ");
    let mut out = match merge {
        Some(rev) => format!("### poolmerge check --merge {}\n\n", cell(rev)),
        None => String::from("### poolmerge check\n\n"),
    };
    if !items.is_empty() {
        out.push_str("| file | result | detail |\n|---|---|---|\n");
        for i in items {
            let place = match i.line {
                Some(l) => format!("{}:{l}", i.path),
                None => i.path.clone(),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                cell(&place),
                result(&i.kind),
                cell(&i.message)
            ));
        }
        out.push('\n');
    }
    out.push_str(&match verdict(items, files) {
        (None, checked) => format!("**ok**: {checked} checked\n"),
        (Some(problems), checked) => format!("**{problems}** in {checked} checked\n"),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{Outcome, Side};

    #[test]
    fn markdown_is_a_table_and_a_verdict() {
        let items = vec![
            CheckItem {
                kind: "resolved".into(),
                path: "db/a.py".into(),
                line: None,
                message: "poolmerge resolves what git alone would leave conflicted".into(),
                failure: false,
            },
            CheckItem {
                kind: "unpinned".into(),
                path: "db/b|c.py".into(),
                line: Some(4),
                message: "engine e does not carry the pin".into(),
                failure: true,
            },
        ];
        assert_eq!(
            check_markdown(&items, 2, None),
            "### poolmerge check\n\n| file | result | detail |\n|---|---|---|\n\
             | `db/a.py` | resolved by poolmerge | poolmerge resolves what git alone would leave conflicted |\n\
             | `db/b\\|c.py:4` | not pinned | engine e does not carry the pin |\n\n\
             **1 problem** in 2 files checked\n"
        );
        assert_eq!(
            check_markdown(&[], 3, None),
            "### poolmerge check\n\n**ok**: 3 files checked\n"
        );
        assert!(
            check_markdown(&[], 3, Some("upstream/main"))
                .starts_with("### poolmerge check --merge upstream/main\n")
        );
    }

    #[test]
    fn json_escapes_and_fields() {
        let d = Decision {
            region: "engine \"e\"".into(),
            line: 3,
            fork: Some(Side::Theirs),
            outcome: Outcome::Merged,
            from_fork: vec!["pin".into()],
            from_upstream: vec!["echo".into()],
            note: String::new(),
        };
        assert_eq!(
            decision_json("a\\b.py", &d, 5),
            r#"{"time":5,"path":"a\\b.py","region":"engine \"e\"","line":3,"outcome":"merged","fork":"theirs","from_fork":["pin"],"from_upstream":["echo"],"note":""}"#
        );
        let item = CheckItem {
            kind: "unpinned".into(),
            path: "db/a,b.py".into(),
            line: Some(3),
            message: "50% off\nnext\u{1}".into(),
            failure: true,
        };
        assert_eq!(
            check_github(std::slice::from_ref(&item)),
            "::error file=db/a%2Cb.py,line=3,title=poolmerge unpinned::50%25 off%0Anext\u{1}\n"
        );
        assert_eq!(
            check_text(std::slice::from_ref(&item), 4),
            "db/a,b.py:3: 50% off\nnext\u{1}\n1 problem in 4 files checked\n"
        );
        assert_eq!(
            check_json(&[item], 4),
            "{\"ok\":false,\"files\":4,\"findings\":[{\"kind\":\"unpinned\",\"path\":\"db/a,b.py\",\"line\":3,\"message\":\"50% off\\nnext\\u0001\",\"failure\":true}]}\n"
        );
        assert_eq!(
            decision_line("x.py", &d),
            "poolmerge: x.py: engine \"e\" (line 3): merged; fork is theirs; kept from the fork: pin; from upstream (ours): echo"
        );
    }
}
