//! The bad-input matrix: each kind of bad or unusual input, through `merge`, `resolve`,
//! `check` and `fix`. The documented outcome is either one line on stderr naming the
//! file, exit 2 and OURS (or the work-tree file) untouched, or git's own result.

use std::path::Path;

use tempfile::TempDir;

use crate::support::{Repo, bin, clean_command, git_merge_file, pin_problems, read};

/// What a command did.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str]) -> Ran {
    let home = dir.parent().unwrap_or(dir).join("home");
    let out = clean_command(&bin(), &home)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Makes a named pipe at `path`.
fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
}

/// poolmerge in the repository's work tree.
fn pm(repo: &Repo, args: &[&str]) -> Ran {
    run_in(&repo.work(), args)
}

/// Exit 2 and exactly one line on stderr, naming `name`.
fn refused(ran: &Ran, name: &str, what: &str) {
    assert_eq!(ran.code, 2, "{what}: {}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{what}: {}", ran.stderr);
    assert!(ran.stderr.contains(name), "{what}: {}", ran.stderr);
}

/// The driver in a temporary directory on files named `names` (base, ours, theirs).
struct Driver {
    dir: TempDir,
    names: [&'static str; 3],
}

impl Driver {
    fn new(base: &[u8], ours: &[u8], theirs: &[u8]) -> Driver {
        Driver::named(["base.py", "ours.py", "theirs.py"], base, ours, theirs)
    }

    fn named(names: [&'static str; 3], base: &[u8], ours: &[u8], theirs: &[u8]) -> Driver {
        let d = Driver {
            dir: tempfile::Builder::new()
                .prefix("poolmerge-bad-")
                .tempdir()
                .unwrap(),
            names,
        };
        for (name, text) in names.iter().zip([base, ours, theirs]) {
            std::fs::write(d.dir.path().join(name), text).unwrap();
        }
        d
    }

    fn merge(&self, extra: &[&str]) -> Ran {
        let mut args = vec!["merge", self.names[0], self.names[1], self.names[2]];
        args.extend_from_slice(extra);
        run_in(self.dir.path(), &args)
    }

    fn ours(&self) -> Vec<u8> {
        read(&self.dir.path().join(self.names[1]))
    }
}

/// The driver gives git's own bytes and status on these inputs.
fn merges_as_git(base: &[u8], ours: &[u8], theirs: &[u8], what: &str) {
    let d = Driver::new(base, ours, theirs);
    let ran = d.merge(&["-x", "ours", "-s", "base", "-y", "theirs"]);
    let (code, want) = git_merge_file(base, ours, theirs, 7, "merge");
    assert_eq!(ran.code, code, "{what}: {}", ran.stderr);
    assert!(d.ours() == want, "{what}: not git's bytes");
}

/// A fork repository: `database/*.py` routed to poolmerge, `files` committed.
fn repo_with(files: &[(&str, &[u8])]) -> Repo {
    let repo = Repo::new();
    repo.route_without_driver();
    for (path, text) in files {
        repo.commit(path, text, "add");
    }
    repo
}

const ENGINE: &[u8] =
    b"from sqlalchemy import create_engine\n\nengine = create_engine(\"sqlite:///db/app.db\")\n";

const PINNED: &[u8] = b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n\nengine = create_engine(\n    \"sqlite:///db/app.db\",\n    poolclass=StaticPool,\n    connect_args={\n        \"check_same_thread\": False,\n        \"timeout\": 20.0,\n    },\n    pool_pre_ping=True,\n)\n";

/// `fix` pins `text` (kept byte for byte elsewhere), `check` passes afterwards and
/// `resolve` finds nothing to resolve.
fn commands_pin(text: &[u8], what: &str) -> Vec<u8> {
    let repo = repo_with(&[("database/app.py", text)]);
    let ran = pm(&repo, &["fix", "database/app.py"]);
    assert_eq!(ran.code, 0, "{what}: fix: {}", ran.stderr);
    let fixed = repo.read("database/app.py");
    assert!(
        pin_problems(&fixed).is_empty(),
        "{what}: {:?}",
        pin_problems(&fixed)
    );
    let ran = pm(&repo, &["check"]);
    assert_eq!(ran.code, 0, "{what}: check: {}{}", ran.stdout, ran.stderr);
    let ran = pm(&repo, &["resolve", "database/app.py"]);
    assert_eq!(ran.code, 0, "{what}: resolve");
    assert!(ran.stdout.contains("no conflict"), "{what}: {}", ran.stdout);
    fixed
}

#[test]
fn a_missing_file() {
    let d = Driver::new(b"x\n", b"keep me\n", b"y\n");
    std::fs::remove_file(d.dir.path().join("base.py")).unwrap();
    refused(&d.merge(&[]), "base.py", "merge");
    assert_eq!(d.ours(), b"keep me\n");
    let repo = repo_with(&[("database/app.py", PINNED)]);
    for cmd in ["fix", "resolve"] {
        refused(
            &pm(&repo, &[cmd, "database/gone.py"]),
            "database/gone.py",
            cmd,
        );
    }
    // check reads a tracked file missing from the work tree from the index.
    std::fs::remove_file(repo.work().join("database/app.py")).unwrap();
    let ran = pm(&repo, &["check"]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
}

#[test]
fn a_directory() {
    let d = Driver::new(b"x\n", b"keep me\n", b"y\n");
    std::fs::remove_file(d.dir.path().join("theirs.py")).unwrap();
    std::fs::create_dir(d.dir.path().join("theirs.py")).unwrap();
    let ran = d.merge(&[]);
    refused(&ran, "theirs.py", "merge");
    assert!(ran.stderr.contains("directory"), "{}", ran.stderr);
    assert_eq!(d.ours(), b"keep me\n");
    let repo = repo_with(&[("database/app.py", PINNED)]);
    std::fs::create_dir(repo.work().join("database/pkg.py")).unwrap();
    for cmd in ["fix", "resolve"] {
        let ran = pm(&repo, &[cmd, "database/pkg.py"]);
        refused(&ran, "database/pkg.py", cmd);
        assert!(ran.stderr.contains("directory"), "{}", ran.stderr);
    }
    assert_eq!(pm(&repo, &["check"]).code, 0);
}

#[test]
fn an_unreadable_file() {
    // /proc/self/mem fails to read at offset 0 (EIO), even for root; a FIFO would
    // block a reader forever; a file without read permission fails for other users.
    let d = Driver::new(b"x\n", b"keep me\n", b"y\n");
    let ran = run_in(
        d.dir.path(),
        &["merge", "/proc/self/mem", "ours.py", "theirs.py"],
    );
    refused(&ran, "/proc/self/mem", "merge EIO");
    let fifo = d.dir.path().join("pipe.py");
    mkfifo(&fifo);
    let ran = run_in(d.dir.path(), &["merge", "pipe.py", "ours.py", "theirs.py"]);
    refused(&ran, "pipe.py", "merge FIFO");
    let ran = run_in(
        d.dir.path(),
        &["merge", "base.py", "/dev/null", "theirs.py"],
    );
    refused(&ran, "/dev/null", "merge into a device");
    assert_eq!(d.ours(), b"keep me\n");

    let repo = repo_with(&[("database/app.py", ENGINE)]);
    let fifo = repo.work().join("database/pipe.py");
    mkfifo(&fifo);
    for cmd in ["fix", "resolve"] {
        refused(
            &pm(&repo, &[cmd, "database/pipe.py"]),
            "database/pipe.py",
            cmd,
        );
    }
    // A tracked module replaced by a pipe: check reads the index, never the pipe.
    repo.commit("database/tracked.py", PINNED, "tracked");
    let tracked = repo.work().join("database/tracked.py");
    std::fs::remove_file(&tracked).unwrap();
    mkfifo(&tracked);
    let ran = pm(&repo, &["check"]);
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("database/app.py:3"),
        "app.py is unpinned: {}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("tracked.py"), "{}", ran.stdout);
    let locked = repo.work().join("database/app.py");
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    std::fs::set_permissions(&locked, perms).unwrap();
    if std::fs::read(&locked).is_err() {
        // Not root: the permission holds.
        refused(
            &pm(&repo, &["fix", "database/app.py"]),
            "database/app.py",
            "fix",
        );
        let d = Driver::new(b"x\n", b"keep me\n", b"y\n");
        let theirs = d.dir.path().join("theirs.py");
        std::fs::set_permissions(&theirs, std::fs::metadata(&locked).unwrap().permissions())
            .unwrap();
        refused(&d.merge(&[]), "theirs.py", "merge EACCES");
    }
}

#[test]
fn empty_files() {
    merges_as_git(b"", b"", b"", "all empty");
    merges_as_git(b"", b"x = 1\n", b"y = 2\n", "empty base");
    merges_as_git(b"x = 1\n", b"", b"x = 1\ny = 2\n", "empty ours");
    merges_as_git(ENGINE, ENGINE, b"", "theirs emptied a module");
    let repo = repo_with(&[("database/app.py", b"")]);
    for cmd in ["fix", "resolve"] {
        assert_eq!(pm(&repo, &[cmd, "database/app.py"]).code, 0, "{cmd}");
    }
    assert_eq!(pm(&repo, &["check"]).code, 0);
    assert!(repo.read("database/app.py").is_empty());
}

#[test]
fn nul_bytes() {
    // git's binary rule: OURS kept, a conflict, one warning line.
    let ours = b"engine = 1\0\n".to_vec();
    let d = Driver::new(ENGINE, &ours, PINNED);
    let ran = d.merge(&[]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert_eq!(d.ours(), ours);
    let repo = repo_with(&[("database/app.py", &[ENGINE, b"\0"].concat())]);
    for cmd in ["fix", "resolve"] {
        assert_eq!(pm(&repo, &[cmd, "database/app.py"]).code, 0, "{cmd}");
    }
    assert_eq!(pm(&repo, &["check"]).code, 0);
    assert_eq!(repo.read("database/app.py"), [ENGINE, b"\0"].concat());
}

/// A module of about `bytes` bytes without pool code.
fn big_module(bytes: usize, salt: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 100);
    let mut i = 0;
    while out.len() < bytes {
        out.extend_from_slice(
            format!("value_{i} = {i}  # {salt} padding to make a big file\n").as_bytes(),
        );
        i += 1;
    }
    out
}

#[test]
fn a_fifty_megabyte_file() {
    const SIZE: usize = 50 << 20;
    let base = big_module(SIZE, "x");
    let mut ours = base.clone();
    ours.splice(1000..1000, b"ours = 1\n".iter().copied());
    let mut theirs = base.clone();
    let at = theirs.len() - 1000;
    let at = at + theirs[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    theirs.splice(at..at, b"theirs = 1\n".iter().copied());
    merges_as_git(&base, &ours, &theirs, "50 MB without pool code");
    // With an engine: pinned, every other byte kept.
    let big = [ENGINE, base.as_slice()].concat();
    let fixed = commands_pin(&big, "50 MB");
    assert!(fixed.ends_with(&base));
}

#[test]
fn a_line_of_a_hundred_thousand_characters() {
    let long = format!("blob = \"{}\"\n", "a".repeat(100_000));
    let base = [ENGINE, long.as_bytes()].concat();
    let theirs = [base.as_slice(), b"x = 1\n"].concat();
    merges_as_git(long.as_bytes(), b"", long.as_bytes(), "pool-free");
    // The fork pinned; upstream added a line: clean, pinned, the long line intact.
    let ours = [PINNED, long.as_bytes()].concat();
    let d = Driver::new(&base, &ours, &theirs);
    let ran = d.merge(&[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(d.ours(), [ours.as_slice(), b"x = 1\n"].concat());
    // An engine call on the long line itself.
    let call = format!(
        "from sqlalchemy import create_engine\nengine = create_engine(\"sqlite:///{}.db\")\n",
        "d".repeat(100_000)
    );
    commands_pin(call.as_bytes(), "an engine on a long line");
}

#[test]
fn invalid_utf8() {
    let latin1 = b"name = \"caf\xe9\"\n";
    merges_as_git(
        latin1,
        &[latin1.as_slice(), b"x = 1\n"].concat(),
        b"y = 2\nname = \"caf\xe9\"\n",
        "pool-free",
    );
    let base = [ENGINE, latin1].concat();
    let ours = [PINNED, latin1].concat();
    let theirs = [ENGINE, latin1, b"z = \"\xff\xfe\"\n"].concat();
    let d = Driver::new(&base, &ours, &theirs);
    let ran = d.merge(&[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(d.ours(), [PINNED, latin1, b"z = \"\xff\xfe\"\n"].concat());
    let fixed = commands_pin(&base, "invalid UTF-8");
    assert!(fixed.ends_with(latin1));
}

#[test]
fn lone_cr_and_mixed_line_endings() {
    let mixed = b"a = 1\r\nb = 2\rc = 3\nd = 4\r\n";
    merges_as_git(
        mixed,
        b"a = 1\r\nb = 2\rc = 3\nd = 4\r\ne = 5\n",
        b"z = 0\na = 1\r\nb = 2\rc = 3\nd = 4\r\n",
        "pool-free",
    );
    let base = [ENGINE, mixed].concat();
    let ours = [PINNED, mixed].concat();
    let theirs = [ENGINE, b"a = 1\r\nb = 2\rc = 3\nd = 5\r\n"].concat();
    let d = Driver::new(&base, &ours, &theirs);
    let ran = d.merge(&[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        d.ours(),
        [PINNED, b"a = 1\r\nb = 2\rc = 3\nd = 5\r\n"].concat()
    );
    let fixed = commands_pin(&base, "mixed line endings");
    assert!(fixed.ends_with(mixed));
}

#[test]
fn a_byte_order_mark() {
    const BOM: &[u8] = b"\xef\xbb\xbf";
    merges_as_git(
        &[BOM, b"x = 1\n"].concat(),
        &[BOM, b"x = 2\n"].concat(),
        &[BOM, b"x = 1\ny = 1\n"].concat(),
        "pool-free",
    );
    // The import the pin needs goes after the mark, which stays first and alone.
    let once = |t: &[u8]| t.starts_with(BOM) && t.windows(3).filter(|w| *w == BOM).count() == 1;
    let fixed = commands_pin(&[BOM, ENGINE].concat(), "a byte-order mark");
    assert!(once(&fixed), "{}", String::from_utf8_lossy(&fixed));
    let bare = b"engine = create_engine(\"sqlite:///a.db\")\n";
    let fixed = commands_pin(&[BOM, bare].concat(), "a byte-order mark, no import");
    assert!(once(&fixed), "{}", String::from_utf8_lossy(&fixed));
    // A merge where upstream adds an engine to a module with a mark and no pool import.
    let base = [BOM, b"import os\n\n\ndef f():\n    return 1\n"].concat();
    let ours = [BOM, b"import os\n\n\ndef f():\n    return 2\n"].concat();
    let theirs = [
        BOM,
        b"import os\nfrom sqlalchemy import create_engine\nengine = create_engine(\"sqlite:///a.db\")\n",
        b"\n\ndef f():\n    return 1\n",
    ]
    .concat();
    let d = Driver::new(&base, &ours, &theirs);
    let ran = d.merge(&[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let out = d.ours();
    assert!(
        once(&out) && pin_problems(&out).is_empty(),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn inputs_that_already_hold_conflict_markers() {
    let marked = b"a = 1\n<<<<<<< ours\nb = 1\n=======\nb = 2\n>>>>>>> theirs\nc = 1\n";
    // M13: git's plain merge and its status, whoever holds the markers.
    merges_as_git(b"a = 1\nc = 1\n", marked, b"a = 1\nc = 2\n", "ours marked");
    merges_as_git(
        b"a = 1\nc = 1\n",
        b"a = 0\nc = 1\n",
        marked,
        "theirs marked",
    );
    let with_engine = [ENGINE, marked].concat();
    merges_as_git(ENGINE, &with_engine, PINNED, "ours marked, pool code");
    // fix leaves a file with markers as it is and says where; check reports it.
    let repo = repo_with(&[("database/app.py", &with_engine)]);
    let ran = pm(&repo, &["fix", "database/app.py"]);
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("database/app.py:"), "{}", ran.stdout);
    assert_eq!(repo.read("database/app.py"), with_engine);
    let ran = pm(&repo, &["check"]);
    assert_eq!(ran.code, 1);
    assert!(ran.stdout.contains("database/app.py:5"), "{}", ran.stdout);
    // resolve leaves a block that is not about pool code.
    let ran = pm(&repo, &["resolve", "database/app.py"]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert_eq!(repo.read("database/app.py"), with_engine);
}

#[test]
fn labels_with_spaces_and_quotes() {
    let (base, ours, theirs) = (b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n");
    let labels = ["our side \"quoted\"", "base: it's", "their side 'x' \\ y"];
    for style in ["merge", "diff3", "zdiff3"] {
        let d = Driver::new(base, ours, theirs);
        let ran = d.merge(&[
            "-x", labels[0], "-s", labels[1], "-y", labels[2], "--style", style,
        ]);
        assert_eq!(ran.code, 1, "{}", ran.stderr);
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-bad-")
            .tempdir()
            .unwrap();
        for (n, t) in ["o", "b", "t"].iter().zip([ours.as_slice(), base, theirs]) {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        let flag = if style == "merge" {
            "--no-diff3".to_string()
        } else {
            format!("--{style}")
        };
        let git = clean_command(Path::new("git"), dir.path())
            .current_dir(dir.path())
            .args([
                "merge-file",
                "-p",
                &flag,
                "-L",
                labels[0],
                "-L",
                labels[1],
                "-L",
                labels[2],
                "o",
                "b",
                "t",
            ])
            .output()
            .unwrap();
        assert_eq!(d.ours(), git.stdout, "{style}");
    }
}

#[test]
fn marker_sizes() {
    let (base, ours, theirs) = (b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n");
    for size in ["1", "255", "0"] {
        let d = Driver::new(base, ours, theirs);
        let ran = d.merge(&["-l", size, "-x", "ours", "-s", "base", "-y", "theirs"]);
        let (code, want) = git_merge_file(base, ours, theirs, size.parse().unwrap(), "merge");
        assert_eq!((ran.code, d.ours()), (code, want), "size {size}");
    }
    for size in ["seven", "-3", "", "1e3", "99999999999999999999"] {
        let d = Driver::new(base, ours, theirs);
        let ran = d.merge(&[&format!("--marker-size={size}")]);
        refused(&ran, "marker", &format!("size {size:?}"));
        assert_eq!(d.ours(), ours, "size {size:?}");
    }
}

#[test]
fn paths_with_spaces() {
    let d = Driver::named(
        ["base file.py", "our file.py", "their file.py"],
        ENGINE,
        PINNED,
        &[ENGINE, b"x = 1\n"].concat(),
    );
    let ran = d.merge(&["-p", "database/my module.py"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(d.ours(), [PINNED, b"x = 1\n"].concat());
    std::fs::remove_file(d.dir.path().join("base file.py")).unwrap();
    refused(&d.merge(&[]), "base file.py", "missing, with a space");
    let repo = repo_with(&[("database/my module.py", ENGINE)]);
    let ran = pm(&repo, &["check"]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stdout.contains("database/my module.py:3"),
        "{}",
        ran.stdout
    );
    let ran = pm(&repo, &["fix"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(pin_problems(&repo.read("database/my module.py")).is_empty());
    assert_eq!(pm(&repo, &["check"]).code, 0);
}

/// `resolve`, `check` and `fix` take the marker size from `conflict-marker-size`, as
/// git does: 0 and non-numbers mean the default, 7.
#[test]
fn marker_sizes_from_attributes() {
    let block = |n: usize| {
        format!(
            "{} ours\nx = 1\n{}\nx = 2\n{} theirs\n",
            "<".repeat(n),
            "=".repeat(n),
            ">".repeat(n)
        )
    };
    for (attr, size) in [("1", 1), ("255", 255), ("0", 7), ("seven", 7), ("", 7)] {
        let repo = Repo::new();
        let line = if attr.is_empty() {
            "database/*.py merge=poolmerge\n".to_string()
        } else {
            format!("database/*.py merge=poolmerge conflict-marker-size={attr}\n")
        };
        repo.commit(".gitattributes", line.as_bytes(), "attributes");
        let marked = format!("{}{}", String::from_utf8_lossy(PINNED), block(size));
        repo.commit("database/app.py", marked.as_bytes(), "marked");
        let other = if size == 7 { 9 } else { 7 };
        repo.commit(
            "database/other.py",
            format!("{}{}", String::from_utf8_lossy(PINNED), block(other)).as_bytes(),
            "markers of another size",
        );
        let ran = pm(&repo, &["check"]);
        assert_eq!(ran.code, 1, "size {attr:?}: {}{}", ran.stdout, ran.stderr);
        assert!(
            ran.stdout.contains("database/app.py:13"),
            "size {attr:?}: {}",
            ran.stdout
        );
        assert!(
            !ran.stdout.contains("other.py"),
            "size {attr:?}: {}",
            ran.stdout
        );
        let ran = pm(&repo, &["fix", "database/app.py"]);
        assert_eq!(
            ran.code, 1,
            "size {attr:?}: markers are reported, not fixed"
        );
        let ran = pm(&repo, &["resolve", "database/app.py"]);
        assert_eq!(ran.code, 1, "size {attr:?}: {}", ran.stdout);
        assert_eq!(repo.read("database/app.py"), marked.as_bytes());
    }
}
