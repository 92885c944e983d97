#!/usr/bin/env python3
"""Real git merges with core.autocrlf=true (Git for Windows' default) through the
Windows build.

    python3 flows.py --exe target/release/poolmerge.exe            # on Windows
    python3 flows.py --exe poolmerge.exe --wine --linux poolmerge  # on Linux, wine

A fork pins its engine, upstream edits around and inside it and adds a module; every
file is checked out with CRLF, as on Windows. Then, in fresh repositories:

- merge: `git merge` of upstream, with the driver;
- rebase: `git rebase` of the fork onto upstream, with the driver;
- cherry-pick: upstream's commits picked onto the fork, with the driver;
- hooks (native only): `poolmerge install --hooks`, then `git merge`: the strategy or
  the hooks pin the module upstream added.

Each must end clean: no conflict, `git status` empty, LF in every committed blob, CRLF
throughout the work tree, the engine pinned (`poolmerge check`). Natively the driver
and hooks are what `poolmerge install` writes. Under wine, git (Linux's) runs the
driver as `wine poolmerge.exe merge ...`, and the same merges run once more with the
Linux build as the driver: both must commit the same trees. Prints one line per
scenario; exits 1 on any failure.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASE = os.path.join(HERE, "..", "..", "tests", "data", "cases", "14-seed-before-after")
FILE = "database/traffic_db.py"
NEW = "database/cache_db.py"
NEW_MODULE = (
    b"from sqlalchemy import create_engine\n"
    b"from sqlalchemy.pool import NullPool\n\n"
    b'cache_engine = create_engine("sqlite:///db/cache.db", poolclass=NullPool)\n'
)
PLACEHOLDERS = "merge %O %A %B -s %S -x %X -y %Y -p %P -l %L"


def version(name):
    with open(os.path.join(CASE, name), "rb") as f:
        return f.read()


class Failed(Exception):
    pass


class Repo:
    def __init__(self, root):
        self.root = root
        self.work = os.path.join(root, "work")
        os.makedirs(root)
        self.env = dict(os.environ)
        self.env.update(
            GIT_CONFIG_GLOBAL=os.path.join(root, "gitconfig"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_EDITOR="true",
            GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
            GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
        )
        with open(self.env["GIT_CONFIG_GLOBAL"], "w") as f:
            f.write(
                "[user]\n\tname = Test\n\temail = test@example.com\n"
                "[core]\n\tautocrlf = true\n"
                "[init]\n\tdefaultBranch = main\n"
                "[advice]\n\tdetachedHead = false\n"
            )
        os.makedirs(self.work)
        self.git("init", "-q")

    def run(self, command, check=True):
        proc = subprocess.run(command, cwd=self.work, env=self.env, capture_output=True)
        if check and proc.returncode != 0:
            raise Failed(
                f"{' '.join(command)} exited {proc.returncode}:\n"
                + proc.stdout.decode(errors="replace")
                + proc.stderr.decode(errors="replace")
            )
        return proc

    def git(self, *args, check=True):
        return self.run(["git", *args], check).stdout.decode(errors="replace")

    def write(self, rel, data):
        # As a Windows editor saves it: CRLF.
        path = os.path.join(self.work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))

    def commit(self, rel, data, message):
        self.write(rel, data)
        self.git("add", rel)
        self.git("commit", "-q", "-m", message)


def history(repo):
    """main: base, then upstream's edit and a new module; fork: base plus the pin."""
    repo.write("app/main.py", b"print('app')\n")
    repo.git("add", "app/main.py")
    repo.commit(FILE, version("base.py"), "base")
    repo.git("checkout", "-q", "-b", "fork")
    repo.commit(FILE, version("ours.py"), "fork: pin StaticPool")
    repo.git("checkout", "-q", "main")
    repo.commit(FILE, version("theirs.py"), "upstream: edit the engine module")
    repo.commit(NEW, NEW_MODULE, "upstream: a cache database")
    repo.git("checkout", "-q", "fork")


def crlf_only(data):
    return data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")


def scenario(root, flow, driver, native_exe):
    """Runs one flow; returns HEAD's tree."""
    repo = Repo(root)
    history(repo)
    routed = flow == "hooks"
    if routed:
        # What a Windows user runs: install writes the driver line, the route and the
        # hooks itself; the route is committed on the fork.
        repo.run([native_exe, "install", "--hooks"])
        repo.git("add", ".gitattributes")
        repo.git("commit", "-q", "-m", "route database/*.py to poolmerge")
    else:
        # The driver as git is told of it, and the route for every pick of a rebase.
        repo.git("config", "merge.poolmerge.name", "poolmerge")
        repo.git("config", "merge.poolmerge.driver", driver)
        info = os.path.join(repo.work, ".git", "info")
        os.makedirs(info, exist_ok=True)
        with open(os.path.join(info, "attributes"), "wb") as f:
            f.write(b"database/*.py merge=poolmerge\n")
    if flow in ("merge", "hooks"):
        repo.git("merge", "--no-edit", "main")
    elif flow == "rebase":
        repo.git("rebase", "main")
    elif flow == "cherry-pick":
        base = repo.git("merge-base", "fork", "main").strip()
        repo.git("cherry-pick", f"{base}..main")
    status = repo.git("status", "--porcelain")
    if status:
        raise Failed(f"git status is not clean:\n{status}")
    for rel in (FILE, NEW, "app/main.py"):
        blob = repo.run(["git", "cat-file", "blob", f"HEAD:{rel}"]).stdout
        if b"\r" in blob:
            raise Failed(f"{rel} is committed with CR")
        with open(os.path.join(repo.work, rel), "rb") as f:
            if not crlf_only(f.read()):
                raise Failed(f"{rel} in the work tree is not CRLF throughout")
    merged = repo.run(["git", "show", f"HEAD:{FILE}"]).stdout
    if b"<<<<<<<" in merged or b"from sqlalchemy.sql import func" not in merged:
        raise Failed(f"{FILE} lacks upstream's edit or holds markers:\n{merged.decode()}")
    if b"poolclass=StaticPool" not in merged:
        raise Failed(f"{FILE} lost the pin:\n{merged.decode()}")
    if routed:
        pinned = repo.run(["git", "show", f"HEAD:{NEW}"]).stdout
        if b"poolclass=StaticPool" not in pinned:
            raise Failed(f"{NEW} arrived unpinned:\n{pinned.decode()}")
        repo.run([native_exe, "check"])
    return repo.git("rev-parse", "HEAD^{tree}").strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exe", required=True)
    parser.add_argument("--wine", action="store_true")
    parser.add_argument("--linux", help="with --wine: the Linux build, to compare with")
    opts = parser.parse_args()
    exe = os.path.abspath(opts.exe)
    flows = ["merge", "rebase", "cherry-pick"]
    if opts.wine:
        driver = f"wine '{exe}' {PLACEHOLDERS}"
    else:
        driver = "'{}' {}".format(exe.replace("\\", "/"), PLACEHOLDERS)
        flows.append("hooks")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, flow in enumerate(flows):
            try:
                tree = scenario(os.path.join(tmp, f"{n}-{flow}"), flow, driver, exe)
                if opts.linux:
                    linux = "'{}' {}".format(os.path.abspath(opts.linux), PLACEHOLDERS)
                    other = scenario(os.path.join(tmp, f"{n}-{flow}-linux"), flow, linux, exe)
                    if other != tree:
                        raise Failed(f"tree {tree}, the Linux build's {other}")
                print(f"ok      {flow}")
            except Failed as e:
                failed += 1
                print(f"FAILED  {flow}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
