//! `poolmerge merge`: the git merge driver. Reads the three versions, runs the engine
//! (a panic or an error there becomes git's plain merge with a warning), writes the
//! result into OURS atomically, and reports every pool-region decision.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::MergeArgs;
use crate::commands::merge_safely;
use crate::conflict::{DEFAULT_MARKER_SIZE, Markers, Style};
use crate::exit::Status;
use crate::fsutil::atomic_write_transient;
use crate::merge::line::LineMerge;
use crate::merge::{Input, Options};
use crate::repo;
use crate::report;

/// Everything `merge` needs, converted once from the arguments, the environment and
/// git's configuration.
#[derive(Debug, Clone)]
pub(crate) struct MergeSettings {
    /// The common ancestor's file.
    pub base: PathBuf,
    /// Our file, which receives the result.
    pub ours: PathBuf,
    /// Their file.
    pub theirs: PathBuf,
    /// The path shown in messages.
    pub path: String,
    /// Conflict markers (their style is `style`, or decided by `run_with`).
    pub markers: Markers,
    /// The conflict style asked for on the command line; `None`: git's
    /// `merge.conflictStyle`, read only when a conflict makes the style matter.
    pub style: Option<Style>,
    /// Print the result instead of writing OURS.
    pub stdout: bool,
    /// Keep stderr quiet.
    pub quiet: bool,
    /// False when `POOLMERGE=0` turns the driver into git's plain merge.
    pub enabled: bool,
    /// Whether to append decisions to the repository's log (when there are any).
    pub log: bool,
}

/// A label as git passes it: empty, or the literal `%S`/`%X`/`%Y` of git before 2.44,
/// means no label.
fn label(value: Option<String>, placeholder: &str) -> Option<String> {
    value.filter(|v| !v.is_empty() && v != placeholder)
}

/// Whether the kill switch is set.
pub(crate) fn disabled_by_env() -> bool {
    std::env::var("POOLMERGE").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "0" | "off" | "false" | "no"
        )
    })
}

impl MergeSettings {
    /// Converts the arguments. Nothing here touches the repository: git's
    /// configuration and the log's place are looked up only when needed.
    pub(crate) fn new(args: &MergeArgs) -> MergeSettings {
        let size = match args.marker_size {
            None | Some(0) => DEFAULT_MARKER_SIZE,
            Some(n) => n as usize,
        };
        let style = args.style.map(Style::from);
        MergeSettings {
            base: args.base.clone(),
            ours: args.ours.clone(),
            theirs: args.theirs.clone(),
            path: args
                .path
                .clone()
                .unwrap_or_else(|| args.ours.display().to_string()),
            markers: Markers {
                size,
                style: style.unwrap_or(Style::Diff3),
                ours: label(args.ours_label.clone(), "%X"),
                base: label(args.base_label.clone(), "%S"),
                theirs: label(args.theirs_label.clone(), "%Y"),
            },
            style,
            stdout: args.stdout,
            quiet: args.quiet,
            enabled: !disabled_by_env(),
            log: true,
        }
    }
}

/// What one driver call reads from its repository, opened at most once and only
/// when something needs it (most calls need nothing).
/// Shared with the style lookup, which may run inside the engine.
#[derive(Clone, Default)]
struct Here {
    repo: std::sync::Arc<std::sync::Mutex<std::cell::OnceCell<Option<git2::Repository>>>>,
}

impl Here {
    /// Runs `f` with a way to reach the repository git runs the driver in (opened the
    /// first time `f` asks for it).
    fn with<R>(
        &self,
        f: impl for<'r> FnOnce(&'r dyn Fn() -> Option<&'r git2::Repository>) -> R,
    ) -> R {
        match self.repo.lock() {
            Ok(cell) => f(&|| cell.get_or_init(repo::discover).as_ref()),
            Err(_) => f(&|| None),
        }
    }
}

/// Whether the merge lands on the fork's branch. Where `install --hooks` ran, poolmerge
/// serves only the fork's branches: a merge git makes without the strategy onto a
/// branch cut from upstream (`git stash pop` there, `git checkout -m` to it) is git's
/// plain merge. `git checkout -m` labels the work tree's side `local` and names the
/// branch it goes to as ours. Elsewhere (no hooks, no repository) every merge is served.
fn on_the_fork_s_branch(here: &Here, settings: &MergeSettings) -> bool {
    use crate::commands::strategy::{SCOPED, governs, governs_checkout, rebasing_fork};
    if std::env::var_os(SCOPED).is_some() {
        return true;
    }
    here.with(|repo| {
        let Some(repo) = repo() else {
            return true;
        };
        if !crate::commands::hook::enabled(repo) {
            return true;
        }
        let markers = &settings.markers;
        if markers.theirs.as_deref() == Some("local")
            && let Some(tree) = markers
                .ours
                .as_deref()
                .and_then(|name| repo.revparse_single(name).ok())
                .and_then(|o| o.peel_to_tree().ok())
        {
            return governs(repo, &tree);
        }
        governs_checkout(repo) || rebasing_fork(repo)
    })
}

/// git's `merge.conflictStyle` here (with `git -c` overrides), else `merge`; with a
/// warning for a value git does not know.
fn configured_style(here: &Here) -> (Style, Option<String>) {
    style_from(
        repo::config_string_from_env(STYLE_KEY)
            .or_else(|| here.with(|repo| repo::config_string(repo(), STYLE_KEY))),
    )
}

const STYLE_KEY: &str = "merge.conflictStyle";

/// git's `merge.conflictStyle` in `repo` (see [`configured_style`]).
pub(crate) fn conflict_style(repo: &git2::Repository) -> (Style, Option<String>) {
    style_from(repo::config_string(Some(repo), STYLE_KEY))
}

fn style_from(value: Option<String>) -> (Style, Option<String>) {
    match value {
        Some(v) => match v.parse::<Style>() {
            Ok(style) => (style, None),
            Err(e) => (
                Style::Merge,
                Some(format!("merge.conflictStyle: {e}; using merge")),
            ),
        },
        None => (Style::Merge, None),
    }
}

/// Whether a file is a pipe or a socket (Unix); elsewhere neither can be passed.
#[cfg(unix)]
fn is_pipe_or_socket(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo() || kind.is_socket()
}

#[cfg(not(unix))]
fn is_pipe_or_socket(_: &std::fs::FileType) -> bool {
    false
}

/// Reads one input. A pipe or socket would block the merge (git never passes one), and
/// OURS, which the result replaces, must be a regular file.
fn read(what: &str, path: &Path, replaced: bool) -> Result<Vec<u8>, String> {
    let fail = |why: &dyn std::fmt::Display| {
        format!("poolmerge: cannot read {what} {}: {why}", path.display())
    };
    let kind = std::fs::metadata(path).map_err(|e| fail(&e))?.file_type();
    if kind.is_dir() {
        return Err(fail(&"is a directory"));
    }
    if is_pipe_or_socket(&kind) || (replaced && !kind.is_file()) {
        return Err(fail(&"is not a regular file"));
    }
    std::fs::read(path).map_err(|e| fail(&e))
}

/// Runs `poolmerge merge`.
pub(crate) fn run(args: &MergeArgs) -> Result<Status> {
    let settings = MergeSettings::new(args);
    run_with(&settings, crate::commands::line_merge().as_ref())
}

/// Runs the driver with explicit settings and line merge (the test seam).
// Long on purpose: the driver's whole contract in the order git sees it (read the
// three files, merge, write OURS atomically, report, log, exit status), one step
// after the other.
pub(crate) fn run_with(settings: &MergeSettings, line: &dyn LineMerge) -> Result<Status> {
    let mut inputs = Vec::with_capacity(3);
    for (what, path) in [
        ("BASE", &settings.base),
        ("OURS", &settings.ours),
        ("THEIRS", &settings.theirs),
    ] {
        match read(what, path, what == "OURS" && !settings.stdout) {
            Ok(bytes) => inputs.push(bytes),
            Err(msg) => {
                errln!("{msg}");
                return Ok(Status::Error);
            }
        }
    }
    let input = Input {
        base: &inputs[0],
        ours: &inputs[1],
        theirs: &inputs[2],
    };
    let mut warnings = Vec::new();
    let here = Here::default();
    // The repository's profile; an invalid configuration leaves the file to git's
    // plain merge, never to a configuration applied in part.
    let profile = if settings.enabled {
        match here.with(|repo| crate::config::load_for_driver(repo)) {
            Ok(p) => Some(p),
            Err(e) => {
                warnings.push(format!("{e}; used git's plain merge"));
                None
            }
        }
    } else {
        None
    };
    let enabled = settings.enabled && profile.is_some() && on_the_fork_s_branch(&here, settings);
    let pins = profile.as_ref().map_or(&[][..], |p| p.pins.as_slice());
    // Without a style on the command line, git's `merge.conflictStyle` decides, read
    // only when the merge conflicts (a clean merge is the same in every style).
    let style_warning = std::sync::Arc::new(std::sync::Mutex::new(None));
    let markers = match settings.style {
        Some(_) => crate::conflict::LazyMarkers::from(settings.markers.clone()),
        None => {
            let (warning, here) = (style_warning.clone(), here.clone());
            crate::conflict::LazyMarkers::with_lookup(settings.markers.clone(), move || {
                let (style, why) = configured_style(&here);
                if let (Some(why), Ok(mut w)) = (why, warning.lock()) {
                    *w = Some(why);
                }
                style
            })
        }
    };
    let opts = Options::for_pins(markers, pins);
    let outcome = match merge_safely(&input, &opts, line, enabled) {
        Ok(o) => o,
        Err(e) => {
            errln!("poolmerge: {}: {e}", settings.path);
            return Ok(Status::Fatal);
        }
    };
    if let Ok(mut w) = style_warning.lock()
        && let Some(why) = w.take()
    {
        warnings.push(why);
    }
    warnings.extend(outcome.warnings.iter().cloned());

    if settings.stdout {
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(&outcome.content).and_then(|_| out.flush()) {
            errln!("poolmerge: cannot write the result to standard output: {e}");
            return Ok(Status::Fatal);
        }
    } else if outcome.content != input.ours
        && let Err(e) = atomic_write_transient(&settings.ours, &outcome.content)
    {
        errln!("poolmerge: cannot write {}: {e}", settings.ours.display());
        return Ok(Status::Fatal);
    }

    let log = || {
        settings
            .log
            .then(|| here.with(|repo| repo::log_path_here(repo)))
            .flatten()
    };
    report_outcome(&settings.path, &outcome, &warnings, settings.quiet, log);
    Ok(if outcome.conflicts > 0 {
        Status::Conflicts
    } else {
        Status::Clean
    })
}

/// Says what the engine decided and warned for `path`, one line each on stderr (unless
/// `quiet`), and appends the same to the repository's log where `log` finds one (asked
/// only when there is something to say).
pub(crate) fn report_outcome(
    path: &str,
    outcome: &crate::merge::MergeOutcome,
    warnings: &[String],
    quiet: bool,
    log: impl FnOnce() -> Option<PathBuf>,
) {
    if !quiet {
        for d in &outcome.decisions {
            errln!("{}", report::decision_line(path, d));
        }
        for w in warnings {
            errln!("{}", report::warning_line(path, w));
        }
    }
    if outcome.decisions.is_empty() && warnings.is_empty() {
        return;
    }
    let Some(log) = log() else {
        return;
    };
    let time = report::now();
    let mut lines: Vec<String> = outcome
        .decisions
        .iter()
        .map(|d| report::decision_json(path, d, time))
        .collect();
    lines.extend(warnings.iter().map(|w| report::warning_json(path, w, time)));
    if let Err(e) = report::append_log(&log, &lines)
        && !quiet
    {
        errln!(
            "{}",
            report::warning_line(path, &format!("cannot append to {}: {e}", log.display()))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conflict::LazyMarkers;
    use crate::merge::Result as EngineResult;
    use crate::merge::line::{GitMergeFile, LineMerged};
    use tempfile::TempDir;

    const BASE: &[u8] = b"from sqlalchemy.pool import NullPool\ne = create_engine(\"sqlite:///x.db\", poolclass=NullPool)\nx = 1\n";
    const OURS: &[u8] = b"from sqlalchemy.pool import NullPool\ne = create_engine(\"sqlite:///x.db\", poolclass=NullPool)\nx = 2\n";
    const THEIRS: &[u8] = b"from sqlalchemy.pool import NullPool\ne = create_engine(\"sqlite:///x.db\", poolclass=NullPool, echo=True)\nx = 1\n";

    /// Panics on masked input (inside the engine), merges plain input with git.
    struct PanicsInEngine;
    impl LineMerge for PanicsInEngine {
        fn merge(&self, b: &[u8], o: &[u8], t: &[u8], m: &LazyMarkers) -> EngineResult<LineMerged> {
            if o.windows(11).any(|w| w == b"#@poolmerge") {
                panic!("boom");
            }
            Ok(GitMergeFile::default().merge(b, o, t, m.get())?)
        }
    }

    /// Always fails.
    struct Broken;
    impl LineMerge for Broken {
        fn merge(&self, _: &[u8], _: &[u8], _: &[u8], _: &LazyMarkers) -> EngineResult<LineMerged> {
            Err(crate::merge::Error::LineMerge(
                crate::merge::LineMergeError::Git("no git here".into()),
            ))
        }
    }

    fn settings(dir: &TempDir) -> MergeSettings {
        for (n, t) in [("b", BASE), ("o", OURS), ("t", THEIRS)] {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        MergeSettings {
            base: dir.path().join("b"),
            ours: dir.path().join("o"),
            theirs: dir.path().join("t"),
            path: "db.py".into(),
            markers: Markers::default(),
            style: Some(crate::conflict::Style::Merge),
            stdout: false,
            quiet: true,
            enabled: true,
            log: false,
        }
    }

    #[test]
    fn a_panic_in_the_engine_becomes_gits_plain_merge() {
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-unit-")
            .tempdir()
            .unwrap();
        let s = settings(&dir);
        let status = run_with(&s, &PanicsInEngine).unwrap();
        let want = GitMergeFile::default()
            .merge(BASE, OURS, THEIRS, &Markers::default())
            .unwrap();
        assert_eq!(std::fs::read(&s.ours).unwrap(), want.content);
        assert_eq!(
            status,
            if want.conflicts > 0 {
                Status::Conflicts
            } else {
                Status::Clean
            }
        );
    }

    #[test]
    fn when_not_even_the_plain_merge_works_ours_is_untouched_and_git_aborts() {
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-unit-")
            .tempdir()
            .unwrap();
        let s = settings(&dir);
        assert_eq!(run_with(&s, &Broken).unwrap(), Status::Fatal);
        assert_eq!(std::fs::read(&s.ours).unwrap(), OURS);
        assert!(Status::Fatal.code() > 128);
    }

    #[test]
    fn the_kill_switch_skips_the_engine() {
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-unit-")
            .tempdir()
            .unwrap();
        let mut s = settings(&dir);
        s.enabled = false;
        // The engine would pin the call; the plain merge leaves NullPool.
        run_with(&s, &GitMergeFile::default()).unwrap();
        let out = std::fs::read(&s.ours).unwrap();
        assert!(
            out.windows(8).any(|w| w == b"NullPool")
                && !out.windows(10).any(|w| w == b"StaticPool")
        );
    }
}
