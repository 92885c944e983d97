//! `check --merge REF`: git's tree merge (`git merge-tree`) with the driver rerouted,
//! then every owned file it merged run through poolmerge on several threads.

use super::*;
use crate::repo::index::Stages;

/// Parses `git merge-tree --write-tree -z`: the tree, then `<mode> <oid> <stage>\t<path>`
/// entries up to an empty one.
pub(super) fn parse_merge_tree(out: &[u8]) -> Result<(Oid, BTreeMap<String, Stages>)> {
    let mut fields = out.split(|&b| b == 0);
    let tree = fields
        .next()
        .ok_or_else(|| anyhow!("git merge-tree printed nothing"))?;
    let tree = Oid::from_str(String::from_utf8_lossy(tree).trim())?;
    let mut conflicted: BTreeMap<String, Stages> = BTreeMap::new();
    for field in fields {
        if field.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(field);
        let (info, path) = text
            .split_once('\t')
            .ok_or_else(|| anyhow!("unexpected git merge-tree output: {text}"))?;
        let parts: Vec<&str> = info.split(' ').collect();
        let [_, oid, stage] = parts[..] else {
            return Err(anyhow!("unexpected git merge-tree output: {text}"));
        };
        let oid = Oid::from_str(oid)?;
        let stage = stage.parse().unwrap_or(0);
        conflicted
            .entry(path.to_string())
            .or_default()
            .set(stage, oid);
    }
    Ok((tree, conflicted))
}

/// Runs `work` on every job, one thread per core, each thread with its own state
/// from `init`; the results in job order. A panic in a job is an error.
pub(super) fn parallel<J: Sync, R: Send, S>(
    jobs: &[J],
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &J) -> R + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(jobs.len());
    if threads <= 1 {
        let mut state = init();
        return Ok(jobs.iter().map(|j| work(&mut state, j)).collect());
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut state = init();
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else {
                            return done;
                        };
                        done.push((i, work(&mut state, job)));
                    }
                })
            })
            .collect();
        for worker in workers {
            let done = worker
                .join()
                .map_err(|_| anyhow!("internal error: a check thread panicked"))?;
            for (i, r) in done {
                slots[i] = Some(r);
            }
        }
        Ok(())
    })?;
    Ok(slots.into_iter().flatten().collect())
}

/// A three-way merge of one owned file, as the driver would get it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct Triple {
    base: Option<Oid>,
    ours: Oid,
    theirs: Oid,
    marker_size: usize,
}

/// What the engine made of a triple.
pub(super) struct Merged {
    /// Conflict blocks left.
    conflicts: usize,
    /// Whether git's plain merge alone would have left conflicts.
    git_alone_conflicts: bool,
    /// The problems of the result.
    problems: Vec<check::Finding>,
    /// Whether `fix` (and so the hooks) would pin the result completely.
    pinnable: bool,
    /// What of upstream's the merge leaves out (a rewritten comment above a pinned
    /// engine, M2b), with the line of the engine in the fork's version.
    left_out: Vec<(usize, String)>,
}

/// Work for the check's threads.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) enum Job {
    /// The problems of a blob, with a marker size.
    Problems(Oid, usize),
    /// The engine's merge of a triple.
    Merge(Triple),
}

/// The results of the check's jobs.
#[derive(Default)]
pub(super) struct Results {
    problems: HashMap<(Oid, usize), Checked>,
    merges: HashMap<Triple, Merged>,
}

/// What every job needs.
pub(super) struct JobContext<'a> {
    git_dir: &'a Path,
    line: &'a dyn LineMerge,
    style: Style,
    rev: &'a str,
    pins: &'a [Pin],
}

impl Results {
    /// Runs the jobs not done yet on all cores, each thread reading blobs through its
    /// own handle on the repository.
    fn run(&mut self, jobs: impl IntoIterator<Item = Job>, ctx: &JobContext) -> Result<()> {
        let mut todo: Vec<Job> = Vec::new();
        for job in jobs {
            let done = match &job {
                Job::Problems(oid, size) => self.problems.contains_key(&(*oid, *size)),
                Job::Merge(t) => self.merges.contains_key(t),
            };
            if !done && !todo.contains(&job) {
                todo.push(job);
            }
        }
        let done = parallel(
            &todo,
            || Repository::open(ctx.git_dir),
            |repo, job| -> Result<Result<Done, String>> {
                let repo = repo.as_ref().map_err(|e| anyhow!("{e}"))?;
                let blob = |oid: Option<Oid>| -> Result<Vec<u8>> {
                    Ok(match oid {
                        Some(o) => repo::read_blob(repo, o)?,
                        None => Vec::new(),
                    })
                };
                Ok(match job {
                    Job::Problems(oid, size) => Ok(Done::Problems(Checked::of(
                        &blob(Some(*oid))?,
                        ctx.pins,
                        *size,
                    ))),
                    Job::Merge(t) => {
                        let texts = [blob(t.base)?, blob(Some(t.ours))?, blob(Some(t.theirs))?];
                        merge_triple(t, &texts, ctx).map(Done::Merged)
                    }
                })
            },
        )?;
        for (job, result) in todo.into_iter().zip(done) {
            match (job, result?.map_err(|e| anyhow!("{e}"))?) {
                (Job::Problems(oid, size), Done::Problems(p)) => {
                    self.problems.insert((oid, size), p);
                }
                (Job::Merge(t), Done::Merged(m)) => {
                    self.merges.insert(t, m);
                }
                _ => unreachable!("each job gives its own kind of result"),
            }
        }
        Ok(())
    }
}

pub(super) enum Done {
    Problems(Checked),
    Merged(Merged),
}

/// The engine on one triple, and git's plain merge to tell whether it resolved
/// something git alone would not have.
pub(super) fn merge_triple(
    t: &Triple,
    [b, o, th]: &[Vec<u8>; 3],
    ctx: &JobContext,
) -> Result<Merged, String> {
    let input = Input {
        base: b,
        ours: o,
        theirs: th,
    };
    let opts = Options::for_pins(
        Markers {
            size: t.marker_size,
            style: ctx.style,
            ours: Some("HEAD".into()),
            base: Some("base".into()),
            theirs: Some(ctx.rev.to_string()),
        },
        ctx.pins,
    );
    let outcome = merge_safely(&input, &opts, ctx.line, true)?;
    let git_alone_conflicts = match outcome.mode {
        Mode::Plain(_) => outcome.conflicts > 0,
        _ => {
            plain(&input, &opts, ctx.line, Plain::NoRegions)
                .map_err(|e| format!("{e:#}"))?
                .conflicts
                > 0
        }
    };
    let checked = if outcome.conflicts > 0 {
        Checked::default()
    } else {
        Checked::of(&outcome.content, ctx.pins, t.marker_size)
    };
    let left_out = outcome
        .decisions
        .iter()
        .filter(|d| d.note.contains("was left out"))
        .map(|d| (d.line, format!("{}: {}", d.region, d.note)))
        .collect();
    Ok(Merged {
        conflicts: outcome.conflicts,
        git_alone_conflicts,
        problems: checked.problems,
        pinnable: checked.pinnable,
        left_out,
    })
}

/// The problems of a file, and whether `fix` would leave none.
#[derive(Clone, Default)]
pub(super) struct Checked {
    problems: Vec<check::Finding>,
    pinnable: bool,
}

impl Checked {
    fn of(text: &[u8], pins: &[Pin], marker_size: usize) -> Checked {
        let problems = check::problems_all(text, pins, marker_size);
        let pinnable = problems.is_empty() || {
            let fixed = check::fix_all(text, pins, marker_size);
            fixed.unfixable.is_empty()
                && check::problems_all(&fixed.content, pins, marker_size).is_empty()
        };
        Checked { problems, pinnable }
    }
}

/// The paths that can be owned: the profile's files, or the paths some line routing to
/// poolmerge could match. Trees are read only where those can be, and attributes
/// asked for those paths only.
struct Reach<'a> {
    profile: &'a crate::config::Profile,
    candidates: repo::Candidates,
}

impl Reach<'_> {
    fn may_own(&self, path: &str) -> bool {
        if self.profile.files().is_empty() {
            self.candidates.may_route(path)
        } else {
            self.profile.owns(path)
        }
    }

    fn may_hold(&self, dir: &str) -> bool {
        if self.profile.files().is_empty() {
            self.candidates.may_hold(dir)
        } else {
            self.profile.may_hold(dir)
        }
    }

    /// The attributes of the `paths` that can be owned and `attrs` lacks, added.
    fn add_attributes<'p>(
        &self,
        repo: &Repository,
        attrs: &mut repo::Attributes,
        paths: impl Iterator<Item = &'p String>,
    ) -> Result<()> {
        let unknown: BTreeSet<String> = paths
            .filter(|p| !attrs.contains_key(*p) && self.may_own(p))
            .cloned()
            .collect();
        let unknown: Vec<String> = unknown.into_iter().collect();
        let source = repo.is_bare().then_some("HEAD");
        attrs.extend(repo::attributes(repo, &unknown, repo::FILE_ATTRS, source)?);
        Ok(())
    }

    /// The blobs of `tree` that can be owned.
    fn files(&self, repo: &Repository, tree: Oid) -> Result<BTreeMap<String, Oid>> {
        tree_files_within(repo, tree, &|d| self.may_hold(d), &|p| self.may_own(p))
    }
}

/// What merging `rev` into HEAD would give.
///
/// git's own tree merge runs with poolmerge's route turned into git's `binary` driver,
/// wherever the route is written (no process per file: every owned path both sides
/// changed comes back conflicted with its stages). While git merges, the owned files
/// of HEAD are checked and the owned files both sides changed merged by the engine, on
/// all cores; git's stages then confirm each merge (or, after renames or several merge
/// bases, ask for it).
pub(crate) fn check_merge(
    repo: &Repository,
    rev: &str,
    with_hooks: bool,
    line: &dyn LineMerge,
) -> Result<(Vec<CheckItem>, usize)> {
    // git itself does not verify object hashes on every read.
    git2::opts::strict_hash_verification(false);
    let (head, other, bases) = merge_commits(repo, rev)?;
    // The strategy (or the hooks) pin, in the merge commit, what the merge changes of
    // the fork's branch; never a fast-forward, never a file the merge leaves as HEAD
    // has it.
    let fast_forward = bases.iter().any(|b| *b == head.id());
    let hooks = !fast_forward
        && (with_hooks || crate::commands::install::hooks_active(repo))
        && crate::commands::strategy::governs_checkout(repo);
    let sources = repo::sources(repo)?;
    let running = spawn_tree_merge(repo, &sources, &head, &other)?;

    // While git merges: HEAD's owned files, checked, and the owned files both sides
    // changed, merged.
    let profile = profile(repo)?;
    let style: Style = repo::config_string(Some(repo), "merge.conflictStyle")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let reach = Reach {
        profile: &profile,
        candidates: repo::Candidates::of(&sources),
    };
    let owned_files = |tree: Oid| reach.files(repo, tree);
    let head_files = owned_files(head.tree_id())?;
    let other_files = owned_files(other.tree_id())?;
    let head_paths: Vec<String> = head_files.keys().cloned().collect();
    let mut attrs = repo::attributes(
        repo,
        &head_paths,
        repo::FILE_ATTRS,
        repo.is_bare().then_some("HEAD"),
    )?;
    let owned_head: Vec<(&String, &Oid)> = head_files
        .iter()
        .filter(|(p, _)| owned(&profile, &attrs, p))
        .collect();
    let ctx = JobContext {
        git_dir: repo.path(),
        line,
        style,
        rev,
        pins: &profile.pins,
    };
    let mut results = Results::default();
    let base_files = match bases[..] {
        [base] => Some(owned_files(repo.find_commit(base)?.tree_id())?),
        _ => None,
    };
    let jobs = early_jobs(&owned_head, base_files.as_ref(), &other_files, &attrs);
    results.run(jobs, &ctx)?;

    let (_, out) = running.wait(&[0, 1])?;
    let (tree, conflicted) = parse_merge_tree(&out)?;
    let merged_files = owned_files(tree)?;
    let paths = merged_files.keys().chain(conflicted.keys());
    reach.add_attributes(repo, &mut attrs, paths)?;
    let triple = |path: &str, st: &Stages| -> Option<Triple> {
        Some(Triple {
            base: st.base,
            ours: st.ours?,
            theirs: st.theirs?,
            marker_size: repo::marker_size(&attrs, path),
        })
    };
    let clean_owned: Vec<(&String, &Oid)> = merged_files
        .iter()
        .filter(|(p, _)| !conflicted.contains_key(*p) && owned(&profile, &attrs, p))
        .collect();
    let more = conflicted
        .iter()
        .filter(|(p, _)| owned(&profile, &attrs, p))
        .filter_map(|(p, st)| triple(p, st))
        .map(Job::Merge)
        .chain(
            clean_owned
                .iter()
                .map(|&(p, &oid)| Job::Problems(oid, repo::marker_size(&attrs, p))),
        );
    results.run(more, &ctx)?;
    let report = Report {
        profile: &profile,
        attrs: &attrs,
        rev,
        hooks,
        fast_forward,
        head_files: &head_files,
    };
    Ok(report.items(&conflicted, &clean_owned, &results))
}

/// The work done while git merges: every owned file of HEAD checked, and, with one
/// merge base, every owned file both sides changed merged (git's stages confirm it).
fn early_jobs(
    owned_head: &[(&String, &Oid)],
    base_files: Option<&BTreeMap<String, Oid>>,
    other_files: &BTreeMap<String, Oid>,
    attrs: &repo::Attributes,
) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::new();
    for &(path, &ours) in owned_head {
        let marker_size = repo::marker_size(attrs, path);
        if let Some(base_files) = base_files
            && let Some(&theirs) = other_files.get(path)
        {
            let base = base_files.get(path).copied();
            if base != Some(ours) && base != Some(theirs) && ours != theirs {
                jobs.push(Job::Merge(Triple {
                    base,
                    ours,
                    theirs,
                    marker_size,
                }));
            }
        }
        jobs.push(Job::Problems(ours, marker_size));
    }
    jobs
}

/// HEAD, the commit `rev` names, and their merge bases; an error naming the fix when
/// they share no history (a shallow clone).
fn merge_commits<'r>(
    repo: &'r Repository,
    rev: &str,
) -> Result<(git2::Commit<'r>, git2::Commit<'r>, Vec<Oid>)> {
    let head = repo
        .head()
        .context("no HEAD to merge into")?
        .peel_to_commit()?;
    let other = repo
        .revparse_single(rev)
        .map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => anyhow!(
                "unknown revision {rev}: no branch, tag or commit of that name here (fetch it first?)"
            ),
            _ => anyhow!("cannot read the revision {rev}: {}", e.message()),
        })?
        .peel_to_commit()
        .map_err(|_| anyhow!("{rev} is not a commit"))?;
    let bases = repo.merge_bases(head.id(), other.id()).ok();
    let Some(bases) = bases.filter(|b| !b.is_empty()) else {
        let shallow = if repo.is_shallow() {
            " (this clone is shallow)"
        } else {
            ""
        };
        bail!(
            "HEAD and {rev} share no history here{shallow}: fetch it (git fetch --unshallow, or the full history in CI) and run again"
        );
    };
    Ok((head, other, bases.iter().copied().collect()))
}

/// Starts `git merge-tree --write-tree` of the two commits, with poolmerge's route
/// turned into git's `binary` driver, wherever the route is written.
fn spawn_tree_merge(
    repo: &Repository,
    sources: &repo::Sources,
    head: &git2::Commit,
    other: &git2::Commit,
) -> Result<repo::Running> {
    let rerouted = repo::rerouted(repo, sources, "binary")?;
    let mut args = rerouted.args.clone();
    args.extend(
        ["merge-tree", "--write-tree", "-z"]
            .map(String::from)
            .into_iter()
            .chain([head.id().to_string(), other.id().to_string()]),
    );
    // The stand-in directory lives until git has read it: `Running` waits for git.
    let running = repo::spawn_git(repo, &args, &rerouted.envs);
    running.map(|r| r.holding(rerouted))
}

/// What the report of `check --merge` reads.
struct Report<'a> {
    profile: &'a crate::config::Profile,
    attrs: &'a repo::Attributes,
    rev: &'a str,
    hooks: bool,
    fast_forward: bool,
    /// HEAD's owned blobs: a file the merge leaves as HEAD has it is not pinned by it.
    head_files: &'a BTreeMap<String, Oid>,
}

impl Report<'_> {
    /// The findings: each owned file git would leave conflicted and what poolmerge
    /// makes of it, and each owned file git merges cleanly that arrives unpinned.
    fn items(
        &self,
        conflicted: &BTreeMap<String, Stages>,
        clean_owned: &[(&String, &Oid)],
        results: &Results,
    ) -> (Vec<CheckItem>, usize) {
        let (profile, attrs, rev, hooks, fast_forward) = (
            self.profile,
            self.attrs,
            self.rev,
            self.hooks,
            self.fast_forward,
        );
        let triple = |path: &str, st: &Stages| -> Option<Triple> {
            Some(Triple {
                base: st.base,
                ours: st.ours?,
                theirs: st.theirs?,
                marker_size: repo::marker_size(attrs, path),
            })
        };
        let (problems, merges) = (&results.problems, &results.merges);

        let mut items = Vec::new();
        let mut files = 0;
        let conflict = |path: &str, message: String| CheckItem {
            kind: "conflict".into(),
            path: path.to_string(),
            line: None,
            message,
            failure: true,
        };
        for (path, st) in conflicted {
            if !owned(profile, attrs, path) {
                items.push(conflict(
                    path,
                    "would stay conflicted (not routed to poolmerge)".into(),
                ));
                continue;
            }
            files += 1;
            let Some(t) = triple(path, st) else {
                let who = if st.ours.is_none() { "HEAD" } else { rev };
                items.push(conflict(
                    path,
                    format!("would stay conflicted (deleted in {who}, changed in the other)"),
                ));
                continue;
            };
            let m = &merges[&t];
            if m.conflicts > 0 {
                items.push(conflict(
                    path,
                    format!(
                        "would stay conflicted ({} after poolmerge)",
                        crate::report::counted(m.conflicts, "conflict block", "conflict blocks")
                    ),
                ));
                continue;
            }
            if m.git_alone_conflicts {
                items.push(CheckItem {
                    kind: "resolved".into(),
                    path: path.clone(),
                    line: None,
                    message: "poolmerge resolves what git alone would leave conflicted".into(),
                    failure: false,
                });
            }
            for (line, what) in &m.left_out {
                items.push(CheckItem {
                    kind: "left-out".into(),
                    path: path.clone(),
                    line: Some(*line),
                    message: what.clone(),
                    failure: false,
                });
            }
            items.extend(unpinned(path, &m.problems, m.pinnable, hooks, ""));
        }
        let suffix = if fast_forward {
            " (a fast-forward, which no hook rewrites: run poolmerge fix and commit)"
        } else {
            " (merged as git took it: run poolmerge fix, or install the hooks)"
        };
        for &(path, &oid) in clean_owned {
            files += 1;
            let found = &problems[&(oid, repo::marker_size(attrs, path))];
            let touched = self.head_files.get(path) != Some(&oid);
            let suffix = if touched {
                suffix
            } else {
                " (HEAD has it so, and the merge does not change it: run poolmerge fix and commit)"
            };
            items.extend(unpinned(
                path,
                &found.problems,
                found.pinnable,
                hooks && touched,
                suffix,
            ));
        }
        (items, files)
    }
}
