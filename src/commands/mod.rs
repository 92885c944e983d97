//! One module per subcommand: each reads its inputs, calls the engine, writes outputs.
//! The policy shared by every command that merges lives here: the engine runs with
//! panics caught, and any failure of the engine becomes git's plain merge.

pub(crate) mod check;
pub(crate) mod demo;
pub(crate) mod doctor;
pub(crate) mod fix;
pub(crate) mod hook;
pub(crate) mod install;
pub(crate) mod merge;
pub(crate) mod resolve;
pub(crate) mod strategy;

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;

use git2::Repository;

use crate::config::Profile;
use crate::merge::line::NativeMerge;
use crate::merge::line::{GitMergeFile, LineMerge};
use crate::merge::{Doubt, Input, MergeOutcome, Options, Plain, plain};
use crate::repo;

thread_local! {
    /// Whether this thread is inside [`guarded`], whose panics are caught.
    static GUARDING: Cell<bool> = const { Cell::new(false) };
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that records the message of a panic
/// inside [`guarded`] (on any thread) and leaves every other panic to the default hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDING.with(Cell::get) {
                return default(info);
            }
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(std::string::ToString::to_string)
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{at}")));
        }));
    });
}

/// Runs `f` with its panics caught: `Err` carries the panic's message.
fn catching<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_panic_hook();
    GUARDING.with(|g| g.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDING.with(|g| g.set(false));
    result.map_err(|_| PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default())
}

/// Runs the engine; a panic inside becomes an error carrying its message.
fn guarded(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome, String> {
    match catching(|| crate::merge::merge(input, opts, line)) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => Err(format!("internal error ({e:#})")),
        Err(msg) => Err(format!("internal error (panic: {msg})")),
    }
}

/// The line merge: the native one, or `git merge-file` itself when
/// `POOLMERGE_LINE_MERGE=git` asks for it (a fallback switch; the same bytes but where
/// `git merge-file`'s level joins two conflicts apart only by lines without a letter or
/// digit, which `git merge` keeps apart).
pub(crate) fn line_merge() -> Box<dyn LineMerge> {
    match std::env::var("POOLMERGE_LINE_MERGE").as_deref() {
        Ok("git") => Box::new(GitMergeFile::default()),
        _ => Box::new(NativeMerge),
    }
}

/// The merge every command uses: poolmerge's engine (unless `enabled` is false, the
/// kill switch), with an engine error or panic turned into git's plain merge and a
/// warning. `Err` only when not even the plain merge could be made.
pub fn merge_safely(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    enabled: bool,
) -> Result<MergeOutcome, String> {
    let engine = if enabled {
        guarded(input, opts, line)
    } else {
        plain(input, opts, line, Plain::NoRegions).map_err(|e| format!("{e:#}"))
    };
    // The engine's result was checked inside it (`merge::verified`); git's merge in
    // its place is checked here.
    let outcome = match engine {
        Ok(o) => return Ok(o),
        Err(problem) => plain(
            input,
            opts,
            line,
            Plain::Doubt(Doubt::Internal(problem.clone())),
        )
        .map_err(|e| format!("{problem}, and git's plain merge failed too: {e:#}"))?,
    };
    // The result decides, with panics caught as in the engine.
    match catching(|| crate::merge::verified(input, opts, line, outcome.clone())) {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(e)) => Err(format!("the merged file could not be checked: {e:#}")),
        Err(msg) => {
            // git's merge as it stands, unchecked: never a clean exit.
            let mut o = outcome;
            o.conflicts = o.conflicts.max(1);
            o.warnings.push(format!(
                "the merged file could not be checked (panic: {msg}): left as a conflict"
            ));
            Ok(o)
        }
    }
}

/// Whether poolmerge owns `path`: the configuration's `files`, else git's attributes.
pub(crate) fn owned(profile: &Profile, attrs: &repo::Attributes, path: &str) -> bool {
    if profile.files().is_empty() {
        repo::owned(attrs, path)
    } else {
        profile.owns(path)
    }
}

/// The regular files added or changed between two trees: path, mode, blob in `after`.
pub(crate) fn changed_files(
    repo: &git2::Repository,
    before: &git2::Tree,
    after: &git2::Tree,
) -> anyhow::Result<Vec<(String, git2::FileMode, git2::Oid)>> {
    let diff = repo.diff_tree_to_tree(Some(before), Some(after), None)?;
    Ok(diff
        .deltas()
        .filter_map(|delta| {
            let file = delta.new_file();
            let mode = file.mode();
            let regular = matches!(mode, git2::FileMode::Blob | git2::FileMode::BlobExecutable);
            (regular && !file.id().is_zero())
                .then(|| Some((file.path()?.to_str()?.to_string(), mode, file.id())))
                .flatten()
        })
        .collect())
}

/// The pinned version of an owned blob, when it does not carry the pin already; what
/// the pin cannot be applied to is said on stderr, one line each.
pub(crate) fn pinned_blob(
    repo: &git2::Repository,
    path: &str,
    oid: git2::Oid,
    profile: &Profile,
    attrs: &repo::Attributes,
) -> anyhow::Result<Option<crate::check::Fixed>> {
    let blob = repo::read_blob(repo, oid)?;
    let fixed = crate::check::fix_all(&blob, &profile.pins, repo::marker_size(attrs, path));
    for f in &fixed.unfixable {
        errln!("poolmerge: {path}:{}: {}", f.line, f.message);
    }
    Ok((fixed.content != blob).then_some(fixed))
}

/// The repository's profile (see [`crate::config::load`]); an invalid configuration is an error.
pub(crate) fn profile(repo: &Repository) -> anyhow::Result<Profile> {
    crate::config::load(Some(repo)).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Whether two paths name the same file (after links are followed).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether `file` is a symbolic link.
pub(crate) fn is_link(file: &Path) -> bool {
    std::fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_symlink())
}
