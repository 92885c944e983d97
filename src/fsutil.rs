//! File-system helpers: files in the work tree reached without links, and atomic writes
//! (write a sibling temporary file, rename it over the target), so that a crash or a
//! kill never leaves a half-written file behind: the target is the old content or the
//! new. The sibling is created with the target's permissions, or the umask's for a new
//! file, as any other write would create it.
//!
//! Files in the work tree and configuration ([`atomic_write`]) are flushed to disk
//! before the rename, so that not even a power cut leaves an empty file. The merge
//! driver's result ([`atomic_write_transient`]) is not: OURS is git's own temporary
//! file, which git reads back at once and deletes, and an fsync would cost more than
//! git's whole merge of a typical file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name that is unique within this process and unlikely to exist already.
fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}-{n}-{nanos:08x}", std::process::id())
}

/// A file `resolve`, `fix` and `check` may read and rewrite: `rel` under the work tree
/// `root`, reached without a symbolic link (neither the file nor a directory on the
/// way) and without leaving the work tree. `Ok(None)`: nothing is there, and a file
/// written there stays inside the work tree. `Err`: why the path is refused.
pub(crate) fn worktree_file(root: &Path, rel: &str) -> Result<Option<PathBuf>, String> {
    use std::path::Component;
    let parts: Vec<Component> = Path::new(rel).components().collect();
    let mut path = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        match part {
            Component::Normal(name) => path.push(name),
            Component::CurDir => continue,
            _ => return Err("is outside the work tree".into()),
        }
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {shown}: {e}")),
        };
        let last = i + 1 == parts.len();
        if meta.file_type().is_symlink() {
            return Err(if last {
                "is a symbolic link; poolmerge does not follow links".into()
            } else {
                format!("{shown} is a symbolic link; poolmerge does not follow links")
            });
        }
        if !last && !meta.is_dir() {
            return Ok(None);
        }
        if last && meta.is_dir() {
            return Err("is a directory".into());
        }
        if last && !meta.is_file() {
            return Err("is not a regular file".into());
        }
    }
    if path == root {
        return Err("is not a file".into());
    }
    Ok(Some(path))
}

/// Reads a work-tree file through [`worktree_file`]: `Ok(None)` when there is none.
pub(crate) fn read_worktree_file(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, String> {
    match worktree_file(root, rel)? {
        None => Ok(None),
        Some(path) => fs::read(&path)
            .map(Some)
            .map_err(|e| format!("cannot read it: {e}")),
    }
}

/// Replaces `target` with `content` atomically and durably, keeping `target`'s
/// permissions.
pub(crate) fn atomic_write(target: &Path, content: &[u8]) -> io::Result<()> {
    replace(target, content, true)
}

/// Replaces `target` with `content` atomically, without waiting for the disk: for
/// git's temporary files, which live for one merge.
pub(crate) fn atomic_write_transient(target: &Path, content: &[u8]) -> io::Result<()> {
    replace(target, content, false)
}

fn replace(target: &Path, content: &[u8], durable: bool) -> io::Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = fs::metadata(target).ok().map(|m| m.permissions());
    let mut last = None;
    for _ in 0..100 {
        let tmp = dir.join(unique_name(&format!(".{name}.poolmerge-")));
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp);
        let mut file: File = match file {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                last = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let written = (|| {
            file.write_all(content)?;
            if let Some(p) = &permissions {
                file.set_permissions(p.clone())?;
            }
            if durable {
                file.sync_all()?;
            }
            drop(file);
            fs::rename(&tmp, target)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        return written;
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary file")))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Symbolic links on Windows need a privilege a test cannot count on.
    #[cfg(unix)]
    #[test]
    fn work_tree_files_are_reached_without_links() {
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-test-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("db")).unwrap();
        fs::write(root.join("db/a.py"), b"x\n").unwrap();
        std::os::unix::fs::symlink(root.join("db/a.py"), root.join("db/link.py")).unwrap();
        std::os::unix::fs::symlink(root.join("db"), root.join("via")).unwrap();
        assert_eq!(
            worktree_file(root, "db/a.py"),
            Ok(Some(root.join("db/a.py")))
        );
        assert_eq!(worktree_file(root, "db/new.py"), Ok(None));
        assert_eq!(worktree_file(root, "db/a.py/x"), Ok(None));
        assert_eq!(worktree_file(root, "db"), Err("is a directory".into()));
        assert!(
            worktree_file(root, "db/link.py")
                .unwrap_err()
                .contains("symbolic link")
        );
        assert!(
            worktree_file(root, "via/a.py")
                .unwrap_err()
                .starts_with("via is a symbolic")
        );
        assert!(worktree_file(root, "via/new.py").is_err());
        assert!(
            worktree_file(root, "../x.py")
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            worktree_file(root, "/etc/passwd")
                .unwrap_err()
                .contains("outside")
        );
        assert_eq!(
            read_worktree_file(root, "db/a.py"),
            Ok(Some(b"x\n".to_vec()))
        );
    }

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-test-")
            .tempdir()
            .unwrap();
        let target = dir.path().join("f.py");
        fs::write(&target, b"old").unwrap();
        atomic_write(&target, b"new content").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new content");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
