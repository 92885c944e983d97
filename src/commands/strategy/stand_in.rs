//! Owned files merged in the strategy's own process, as the merge driver merges them.
//!
//! git starts the driver once per file both sides changed, through a shell: two
//! processes and a repository opened for each file. The strategy instead has
//! merge-tree run a stand-in (`false`, started without a shell) where the driver would
//! run: it leaves OURS as it is and exits 1, so each such file comes back as a content
//! conflict with its three stages. Those are exactly the driver's three versions, and
//! this process merges them with the driver's engine, labels, marker size and style,
//! saying and logging what it decided as the driver does. The files are predicted from
//! the three trees and merged on worker threads while merge-tree runs; what merge-tree
//! reports decides, and a file it reports that is not a plain three-way merge at one
//! path (a rename, an add/add, a mode change) sends the whole merge back to merge-tree
//! with the driver itself.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, anyhow};
use git2::{Oid, Repository};

use super::{CONTENT_CONFLICT, Invocation, MergeTree};
use crate::conflict::{Markers, Style};
use crate::merge::{Input, MergeOutcome, Options};
use crate::repo;

/// The command git runs in place of poolmerge's merge driver while merge-tree merges
/// for the strategy: `false` starts without a shell (git runs a command without spaces
/// or quotes directly).
pub(super) const STAND_IN: &str = "false";

/// Whether the stand-in can serve this merge: the driver git would run is this
/// poolmerge's, as `install` registers it (any other command, `-c
/// merge.poolmerge.driver=...` included, is run as configured), the merge has one base
/// (several make git merge the bases first, the driver included), and git does not
/// renormalize the three versions before the driver sees them.
pub(super) fn serves(repo: &Repository, call: &Invocation) -> bool {
    call.bases.len() == 1
        && repo::config_string(Some(repo), &format!("merge.{}.driver", repo::DRIVER))
            .is_some_and(|line| is_this_driver(&line))
        && !repo::config_bool(Some(repo), "merge.renormalize")
        && !call.options.iter().any(|o| o == "renormalize")
}

/// Whether a driver command line is the one `install` writes for this binary.
fn is_this_driver(line: &str) -> bool {
    let Ok(exe) = crate::commands::install::current_exe() else {
        return false;
    };
    let ours = crate::commands::install::driver_line(&exe);
    let Some(args) = ours.strip_prefix(&crate::commands::install::shell_quote(
        &crate::commands::install::sh_path(&exe),
    )) else {
        return false;
    };
    let Some(program) = line.strip_suffix(args) else {
        return false;
    };
    // The program as install quotes it: '...' with '\'' for a quote.
    let Some(path) = program
        .strip_prefix('\'')
        .and_then(|p| p.strip_suffix('\''))
        .map(|p| p.replace("'\\''", "'"))
    else {
        return false;
    };
    crate::commands::same_file(Path::new(&path), &exe)
}

/// The three commits of a merge and how merge-tree labels them.
pub(super) struct Sides<'a> {
    pub base: Oid,
    pub head: Oid,
    pub remote: Oid,
    /// The label of the commit merged.
    pub label: &'a str,
    /// A cherry-pick, revert or rebase pick: merge-tree was given the base.
    pub pick: bool,
}

/// An owned file the driver would merge: its path, mode and blobs (base, ours,
/// theirs).
#[derive(Clone, PartialEq, Eq, Hash)]
struct File {
    path: String,
    mode: u32,
    blobs: [Oid; 3],
}

/// What every owned file of one merge is merged with.
struct Engine {
    style: Style,
    /// Why `merge.conflictStyle` was not used, said with a conflict.
    style_warning: Option<String>,
    base_label: Option<String>,
    theirs_label: String,
    pins: Vec<crate::policy::Pin>,
}

/// The merges made while merge-tree ran, and how to make the others; and the pin
/// applied to every owned version the merged tree may hold (an engine's result,
/// upstream's version of a file only upstream changed), by blob and marker size.
pub(super) struct Prepared {
    engine: Engine,
    done: HashMap<File, Result<MergeOutcome, String>>,
    pub pinned: Pinned,
}

/// [`crate::check::fix_all`] of blobs, by blob and marker size.
pub(super) type Pinned = HashMap<(Oid, usize), crate::check::Fixed>;

/// Work for a worker thread.
enum Job {
    /// An owned file both sides changed, through the engine; then its result pinned.
    Merge(File, [Vec<u8>; 3], Markers),
    /// A version of an owned file, pinned.
    Pin(Oid, Vec<u8>, usize),
}

/// What a worker did.
enum Done {
    Merged(File, Result<MergeOutcome, String>),
    Pinned((Oid, usize), crate::check::Fixed),
}

/// Runs `wait` (merge-tree's end) while the owned files the driver would be asked for
/// are merged on worker threads.
pub(super) fn merge_while<T: Send>(
    repo: &Repository,
    sides: &Sides,
    profile: &crate::config::Profile,
    attrs: &repo::Attributes,
    wait: impl FnOnce() -> T + Send,
) -> Result<(T, Prepared)> {
    let (style, style_warning) = crate::commands::merge::conflict_style(repo);
    // The base's label shows only in diff3 and zdiff3 markers: for a merge, the one
    // git gives it (its abbreviated id), asked of git only then.
    let base_label = if sides.pick {
        Some(sides.base.to_string())
    } else if style == Style::Merge {
        None
    } else {
        let (_, short) = repo::git(
            repo,
            &["rev-parse", "--short", &sides.base.to_string()],
            None,
            &[0],
        )?;
        Some(String::from_utf8_lossy(&short).trim().to_string())
    };
    let engine = Engine {
        style,
        style_warning,
        base_label,
        theirs_label: sides.label.to_string(),
        pins: profile.pins.clone(),
    };
    let (files, upstream) = predicted(repo, sides, attrs)?;
    let mut jobs = Vec::new();
    for file in files {
        let texts = read(repo, &file)?;
        let markers = engine.markers(repo::marker_size(attrs, &file.path));
        jobs.push(Job::Merge(file, texts, markers));
    }
    for (path, oid) in upstream {
        jobs.push(Job::Pin(
            oid,
            repo::read_blob(repo, oid)?,
            repo::marker_size(attrs, &path),
        ));
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, jobs.len().max(1));
    let mut shares: Vec<Vec<Job>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, job) in jobs.into_iter().enumerate() {
        shares[i % workers].push(job);
    }
    let pins = &engine.pins;
    let (waited, results) = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| scope.spawn(move || work(share, pins)))
            .collect();
        let waited = wait();
        // A worker that panicked leaves its files to be done again, in this thread.
        let results: Vec<Done> = handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .flatten()
            .collect();
        (waited, results)
    });
    let (mut done, mut pinned) = (HashMap::new(), HashMap::new());
    for result in results {
        match result {
            Done::Merged(file, outcome) => {
                done.insert(file, outcome);
            }
            Done::Pinned(key, fixed) => {
                pinned.insert(key, fixed);
            }
        }
    }
    Ok((
        waited,
        Prepared {
            engine,
            done,
            pinned,
        },
    ))
}

impl Engine {
    fn markers(&self, size: usize) -> Markers {
        Markers {
            size,
            style: self.style,
            ours: Some("HEAD".to_string()),
            base: self.base_label.clone(),
            theirs: Some(self.theirs_label.clone()),
        }
    }
}

/// A worker's share of the jobs.
fn work(share: Vec<Job>, pins: &[crate::policy::Pin]) -> Vec<Done> {
    let mut out = Vec::new();
    for job in share {
        match job {
            Job::Merge(file, texts, markers) => {
                let size = markers.size;
                let outcome = merge(&texts, markers, pins);
                if let Ok(o) = &outcome
                    && o.conflicts == 0
                    && let Ok(oid) = Oid::hash_object(git2::ObjectType::Blob, &o.content)
                {
                    let fixed = crate::check::fix_all(&o.content, pins, size);
                    out.push(Done::Pinned((oid, size), fixed));
                }
                out.push(Done::Merged(file, outcome));
            }
            Job::Pin(oid, text, size) => {
                let fixed = crate::check::fix_all(&text, pins, size);
                out.push(Done::Pinned((oid, size), fixed));
            }
        }
    }
    out
}

/// One file through the driver's engine.
fn merge(
    texts: &[Vec<u8>; 3],
    markers: Markers,
    pins: &[crate::policy::Pin],
) -> Result<MergeOutcome, String> {
    let input = Input {
        base: &texts[0],
        ours: &texts[1],
        theirs: &texts[2],
    };
    let opts = Options::for_pins(markers, pins);
    crate::commands::merge_safely(&input, &opts, crate::commands::line_merge().as_ref(), true)
}

fn read(repo: &Repository, file: &File) -> Result<[Vec<u8>; 3]> {
    Ok([
        repo::read_blob(repo, file.blobs[0])?,
        repo::read_blob(repo, file.blobs[1])?,
        repo::read_blob(repo, file.blobs[2])?,
    ])
}

/// Owned files only upstream changed, with upstream's blob.
type Upstream = Vec<(String, Oid)>;

/// The owned files both sides changed at the same path, in the same mode: the files
/// merge-tree will hand to the driver, unless renames change that; and the owned
/// files only upstream changed (or added), with upstream's blob, which the merged tree
/// takes as they are.
fn predicted(
    repo: &Repository,
    sides: &Sides,
    attrs: &repo::Attributes,
) -> Result<(Vec<File>, Upstream)> {
    let trees = [
        repo.find_commit(sides.base)?.tree()?,
        repo.find_commit(sides.head)?.tree()?,
        repo.find_commit(sides.remote)?.tree()?,
    ];
    let (mut files, mut upstream) = (Vec::new(), Vec::new());
    let blob = |e: &git2::TreeEntry| e.kind() == Some(git2::ObjectType::Blob);
    for path in attrs.keys().filter(|p| repo::owned(attrs, p)) {
        let [base, ours, theirs] = [0, 1, 2].map(|i| trees[i].get_path(Path::new(path)).ok());
        if let Some(theirs) = &theirs
            && blob(theirs)
            && base.as_ref().map(git2::TreeEntry::id) == ours.as_ref().map(git2::TreeEntry::id)
        {
            upstream.push((path.clone(), theirs.id()));
            continue;
        }
        let (Some(base), Some(ours), Some(theirs)) = (base, ours, theirs) else {
            continue;
        };
        let mode = ours.filemode() as u32;
        if [&base, &ours, &theirs]
            .iter()
            .all(|e| blob(e) && e.filemode() as u32 == mode)
            && base.id() != ours.id()
            && base.id() != theirs.id()
            && ours.id() != theirs.id()
        {
            files.push(File {
                path: path.clone(),
                mode,
                blobs: [base.id(), ours.id(), theirs.id()],
            });
        }
    }
    Ok((files, upstream))
}

/// merge-tree's result with every file the stand-in left merged by poolmerge's engine
/// as the driver merges it (decisions said on stderr and logged). `None` when some
/// file the driver would have merged is not an owned file both sides changed at the
/// same path, in the same mode, on all three sides: only the driver itself then gives
/// git's result.
pub(super) fn merge_owned(
    repo: &Repository,
    merged: &MergeTree,
    sides: &Sides,
    prepared: &mut Prepared,
    attrs: &repo::Attributes,
) -> Result<Option<MergeTree>> {
    let trees = [
        repo.find_commit(sides.base)?.tree()?,
        repo.find_commit(sides.head)?.tree()?,
        repo.find_commit(sides.remote)?.tree()?,
    ];
    let mut files = Vec::new();
    for note in merged.notes.iter().filter(|n| n.kind == CONTENT_CONFLICT) {
        let [path] = note.paths.as_slice() else {
            return Ok(None);
        };
        if !repo::owned(attrs, path) {
            // git's own text merge conflicted: its result stands.
            continue;
        }
        match stood_in(merged, &trees, path) {
            Some(file) => files.push(file),
            None => return Ok(None),
        }
    }
    let mut out = merged.clone();
    if files.is_empty() {
        return Ok(Some(out));
    }
    let mut update = git2::build::TreeUpdateBuilder::new();
    // git runs the driver from the last path to the first: its lines in that order.
    files.sort_by(|a, b| b.path.cmp(&a.path));
    for file in files {
        let outcome = match prepared.done.remove(&file) {
            Some(done) => done,
            None => {
                let markers = prepared
                    .engine
                    .markers(repo::marker_size(attrs, &file.path));
                merge(&read(repo, &file)?, markers, &prepared.engine.pins)
            }
        }
        .map_err(|e| anyhow!("{}: {e}", file.path))?;
        let mut warnings = Vec::new();
        if outcome.conflicts > 0
            && let Some(why) = &prepared.engine.style_warning
        {
            warnings.push(why.clone());
        }
        warnings.extend(outcome.warnings.iter().cloned());
        crate::commands::merge::report_outcome(&file.path, &outcome, &warnings, false, || {
            Some(repo::log_path(repo))
        });
        let mode = if file.mode == 0o100755 {
            git2::FileMode::BlobExecutable
        } else {
            git2::FileMode::Blob
        };
        update.upsert(file.path.as_str(), repo.blob(&outcome.content)?, mode);
        if outcome.conflicts == 0 {
            out.stages.retain(|s| s.3 != file.path);
            out.notes
                .retain(|n| !(n.kind == CONTENT_CONFLICT && n.paths == [file.path.clone()]));
        }
    }
    out.tree = update.create_updated(repo, &repo.find_tree(merged.tree)?)?;
    Ok(Some(out))
}

/// The file the stand-in was run for at `path`, when it is a plain three-way merge
/// there: three stages, each the blob that side's tree holds at `path`, one mode, and
/// no message but the merge's own about the path.
fn stood_in(merged: &MergeTree, trees: &[git2::Tree; 3], path: &str) -> Option<File> {
    let stages: Vec<_> = merged.stages.iter().filter(|s| s.3 == path).collect();
    if stages.len() != 3 {
        return None;
    }
    let mode = stages[0].0;
    let mut blobs = [Oid::ZERO_SHA1; 3];
    for (i, tree) in trees.iter().enumerate() {
        let stage = stages.iter().find(|s| usize::from(s.2) == i + 1)?;
        let entry = tree.get_path(Path::new(path)).ok()?;
        if entry.id() != stage.1 || entry.filemode() as u32 != stage.0 || stage.0 != mode {
            return None;
        }
        blobs[i] = stage.1;
    }
    let others = merged.notes.iter().any(|n| {
        n.kind != CONTENT_CONFLICT && n.kind != "Auto-merging" && n.paths.iter().any(|p| p == path)
    });
    (!others).then(|| File {
        path: path.to_string(),
        mode,
        blobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_install_registers_is_this_one() {
        let exe = crate::commands::install::current_exe().unwrap();
        let line = crate::commands::install::driver_line(&exe);
        assert!(is_this_driver(&line), "{line}");
        assert!(!is_this_driver("false"));
        assert!(!is_this_driver(&format!("{line} --quiet")));
        assert!(!is_this_driver(
            "'/nonexistent/poolmerge' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L"
        ));
    }
}
