#!/usr/bin/env python3
"""poolmerge's benchmark (run through scripts/bench.sh).

Generates realistic Python database modules (SQLite and server engines, imports,
classes, functions) at several sizes, with a fork that pins the SQLite engines and an
upstream that edits near the engine, inside it, and far from it; then measures, in one
run and interleaved so that machine noise hits both sides alike:

  - `poolmerge merge` against `git merge-file --diff-algorithm=histogram` on the same
    inputs, as whole processes (medians and their ratio);
  - the peak memory of each;
  - `poolmerge check --merge REF` against `git merge-tree --write-tree HEAD REF` on a
    generated repository of 200 owned files, 50 of which upstream changes;
  - the engine in-process, in MB/s (examples/throughput.rs);
  - with --replays REPO (a clone of the fork's upstream, e.g. OpenAlgo): whole
    `git merge UPSTREAM` of real upstream syncs (scripts/replay.py's fork points), plain
    git against a no-op driver and poolmerge as users install it (driver and hooks),
    alternating runs, the ratio per sync and their median, over all syncs and over
    those plain git merges cleanly.

Prints a Markdown report. Usage: bench.py BINARY [--sizes 20K,200K,2M,20M] [--quick]
       [--replays REPO [--replay-syncs N]]
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ENGINE_PINNED = '''    {name}_engine = create_engine(
        {url},
        poolclass=StaticPool,
        connect_args={{
            "check_same_thread": False,
            "timeout": 20.0,
        }},
        pool_pre_ping=True,
    )
'''
ENGINE_BASE = '''    {name}_engine = create_engine(
        {url}, poolclass=NullPool, connect_args={{"check_same_thread": False}}
    )
'''


NAMES = ["logs", "traffic", "auth", "user", "settings", "sandbox", "latency", "strategy", "health",
         "analyzer", "apilog", "chartink", "telegram", "flow", "symbol", "action_center"]


def module(rng, size, pinned, upstream, seed):
    """A database module of about `size` bytes; its engine's name depends on `seed`."""
    name = NAMES[seed % len(NAMES)] + (str(seed // len(NAMES)) if seed >= len(NAMES) else "")
    url = f"{name.upper()}_DATABASE_URL"
    head = [
        "import logging\n", "import os\n", "from datetime import datetime\n", "\n",
        "from sqlalchemy import Column, DateTime, Integer, String, Text, create_engine\n",
        "from sqlalchemy.ext.declarative import declarative_base\n",
        "from sqlalchemy.orm import scoped_session, sessionmaker\n",
        "from sqlalchemy.pool import StaticPool\n" if pinned else "from sqlalchemy.pool import NullPool\n",
        "from sqlalchemy.sql import func\n", "\n",
        "logger = logging.getLogger(__name__)\n", "\n",
        f'{url} = os.getenv("{url}", "sqlite:///db/{name}.db")\n', "\n",
        "# Conditionally create engine based on DB type\n",
        f'if {url} and "sqlite" in {url}:\n',
        ("    # SQLite: one connection per checkout; sessions removed in teardown\n" if upstream else
         "    # SQLite: NullPool so each checkout opens a fresh connection\n"),
    ]
    engine = (ENGINE_PINNED if pinned else ENGINE_BASE).format(name=name, url=url)
    if upstream:
        engine = engine.replace("    )\n", "        echo=False,\n    )\n") if pinned else engine.replace(
            '{"check_same_thread": False}\n', '{"check_same_thread": False}, echo=False\n')
    head.append(engine)
    head += [
        "else:\n", "    # Other databases: use a real connection pool\n",
        f"    {name}_engine = create_engine({url}, pool_size=50, max_overflow=100, pool_timeout=10)\n", "\n",
        f"{name}_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind={name}_engine))\n",
        "Base = declarative_base()\n", "\n",
    ]
    body = []
    i = 0
    total = sum(map(len, head))
    while total < size:
        block = (
            f"\n\nclass Record{i}(Base):\n"
            f'    __tablename__ = "records_{i}"\n\n'
            f"    id = Column(Integer, primary_key=True)\n"
            f"    created = Column(DateTime(timezone=True), server_default=func.now())\n"
            f"    name = Column(String({50 + i % 200}), nullable=False)\n"
            f"    note = Column(Text)\n"
            f"\n\ndef query_{i}(session, limit=100):\n"
            f'    """Return the latest rows of records_{i}."""\n'
            f"    rows = session.query(Record{i}).filter(Record{i}.id > {i % 97}).limit(limit).all()\n"
            f"    return [(r.id, r.name) for r in rows]\n"
        )
        body.append(block)
        total += len(block)
        i += 1
    return head, body


def write_triple(directory, size, seed, conflict=False):
    """base/ours/theirs of about `size` bytes: the fork pins the engine and edits a
    function; upstream edits the comment and the call near the engine and functions
    far from it. With `conflict`, both also change the last function's limit, each
    its own way: one real conflict, as far from the engine as the file allows."""
    rng = random.Random(seed)
    bh, bb = module(rng, size, pinned=False, upstream=False, seed=seed)
    oh, ob = module(rng, size, pinned=True, upstream=False, seed=seed)
    th, tb = module(rng, size, pinned=False, upstream=True, seed=seed)
    # One body for all three (the heads differ in length, so the bodies may too).
    n = len(bb)
    ob = list(bb)
    tb = list(bb)
    for k in rng.sample(range(n), max(1, n // 200)):
        ob[k] = ob[k].replace("limit=100", "limit=200")
    for k in rng.sample(range(n), max(2, n // 100)):
        tb[k] = tb[k].replace("return [(r.id, r.name) for r in rows]", "return [(r.id, r.name, r.note) for r in rows]")
    if conflict:
        ob[-1] = bb[-1].replace("limit=100", "limit=300")
        tb[-1] = bb[-1].replace("limit=100", "limit=400")
    paths = {}
    for name, head, body in (("base", bh, bb), ("ours", oh, ob), ("theirs", th, tb)):
        path = os.path.join(directory, f"{name}.py")
        with open(path, "w") as f:
            f.write("".join(head) + "".join(body))
        paths[name] = path
    return paths


def run(cmd, cwd=None, env=None):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, p.returncode


def peak_rss_kb(cmd, cwd=None):
    """Peak resident memory of one run of `cmd`, in KB, from /usr/bin/time."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def bench_merge(binary, size, runs, tmp, conflict=False):
    """Both tools on the same triple, interleaved run by run: each writing its result
    into a copy of OURS (what `git merge-file` does by default, and what a merge driver
    does with %A), and each printing it to standard output (no file written). With
    `conflict`, a triple whose merge leaves one conflict far from the engine."""
    d = os.path.join(tmp, f"m{size}{'c' if conflict else ''}")
    os.makedirs(d)
    # git runs a merge driver at the root of the work tree: so does the benchmark (the
    # decision log goes to .git/poolmerge.log, found without a repository search).
    subprocess.run(["git", "init", "-q", d], check=True)
    p = write_triple(d, size, seed=size, conflict=conflict)
    work_git = os.path.join(d, "work_git.py")
    work_pm = os.path.join(d, "work_pm.py")
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    git = ["git", "merge-file", "--diff-algorithm=histogram"] + labels + [work_git, p["base"], p["theirs"]]
    pm = [binary, "merge", p["base"], work_pm, p["theirs"], "-s", "base", "-x", "ours", "-y", "theirs",
          "-p", "database/bench_db.py", "--quiet"]
    git_out = ["git", "merge-file", "-p", "--diff-algorithm=histogram"] + labels + [p["ours"], p["base"], p["theirs"]]
    pm_out = [binary, "merge", p["base"], p["ours"], p["theirs"], "-s", "base", "-x", "ours", "-y", "theirs",
              "-p", "database/bench_db.py", "--quiet", "--stdout"]
    times = {"git": [], "pm": [], "git_out": [], "pm_out": []}
    for _ in range(runs):
        shutil.copyfile(p["ours"], work_pm)
        shutil.copyfile(p["ours"], work_git)
        times["pm"].append(run(pm, cwd=d)[0])
        times["git"].append(run(git, cwd=d)[0])
        times["pm_out"].append(run(pm_out, cwd=d)[0])
        times["git_out"].append(run(git_out, cwd=d)[0])
    shutil.copyfile(p["ours"], work_pm)
    rc = run(pm, cwd=d)[1]
    inputs = sum(os.path.getsize(p[k]) for k in ("base", "ours", "theirs"))
    shutil.copyfile(p["ours"], work_pm)
    shutil.copyfile(p["ours"], work_git)
    mem_pm = peak_rss_kb(pm, cwd=d)
    mem_git = peak_rss_kb(git, cwd=d)
    row = {"size": os.path.getsize(p["base"]), "inputs": inputs, "runs": runs, "exit": rc,
           "mem_git": mem_git, "mem_pm": mem_pm, "conflict": conflict}
    row.update({k: statistics.median(v) for k, v in times.items()})
    return row


def git_cmd(repo, *args, env=None):
    subprocess.run(["git", "-C", repo] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env)


def git_out(repo, *args, env=None):
    return subprocess.run(["git", "-C", repo] + list(args), check=True, capture_output=True,
                          env=env).stdout.decode()


def fork_repo(repo, scratch, env, files, changed, new=0, size=lambda i: 8_000 + 97 * i, seed=lambda i: i):
    """A repository whose `main` is upstream and `fork` the fork (checked out): `files`
    owned modules, pinned on the fork; upstream changes the first `changed` of them and
    adds `new` modules of its own."""
    os.makedirs(os.path.join(repo, "database"))
    git_cmd(repo, "init", "-q", "-b", "main", env=env)
    with open(os.path.join(repo, ".gitattributes"), "w") as f:
        f.write("database/*.py merge=poolmerge\n")
    triples = []
    for i in range(files + new):
        d = os.path.join(scratch, str(i))
        os.makedirs(d)
        triples.append(write_triple(d, size(i), seed=seed(i)))
    owned, added = triples[:files], triples[files:]
    def put(kind, which, offset=0):
        for i, t in enumerate(which):
            shutil.copyfile(t[kind], os.path.join(repo, "database", f"m{offset + i:03d}_db.py"))
    put("base", owned)
    git_cmd(repo, "add", "-A", env=env)
    git_cmd(repo, "commit", "-q", "-m", "base", env=env)
    git_cmd(repo, "checkout", "-q", "-b", "fork", env=env)
    put("ours", owned)
    git_cmd(repo, "commit", "-q", "-am", "fork: pin", env=env)
    git_cmd(repo, "checkout", "-q", "main", env=env)
    put("theirs", owned[:changed])
    put("base", added, offset=files)
    git_cmd(repo, "add", "-A", env=env)
    git_cmd(repo, "commit", "-q", "-m", "upstream", env=env)
    git_cmd(repo, "checkout", "-q", "fork", env=env)


def bench_check_merge(binary, runs, tmp, files=200, changed=50):
    repo = os.path.join(tmp, "repo")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@x")
    fork_repo(repo, os.path.join(tmp, "scratch"), env, files, changed)
    pm = [binary, "check", "--merge", "main"]
    git = ["git", "merge-tree", "--write-tree", "HEAD", "main"]
    g, m = [], []
    for _ in range(runs):
        m.append(run(pm, cwd=repo)[0])
        g.append(run(git, cwd=repo)[0])
    rc = run(pm, cwd=repo)[1]
    return {"files": files, "changed": changed, "git": statistics.median(g), "pm": statistics.median(m),
            "runs": runs, "exit": rc}


def bench_whole_merge(binary, runs, tmp, files=40, changed=30, new=3):
    """A whole `git merge upstream` of a generated fork: `files` owned modules pinned on
    the fork, `changed` of them changed upstream too (git runs the driver for each),
    and `new` modules only upstream adds (the hooks pin them). Four set-ups, run in
    turn on fresh copies of the same repository: plain git (the route, no driver), a
    no-op driver (`true`: git's driver machinery alone), poolmerge's driver, and
    poolmerge as users install it (`poolmerge install --hooks`)."""
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1", HOME=os.path.join(tmp, "home"))
    os.makedirs(env["HOME"], exist_ok=True)
    base = os.path.join(tmp, "whole", "repo")
    fork_repo(base, os.path.join(tmp, "whole", "scratch"), env, files, changed, new,
              size=lambda i: 8_000 + 211 * i, seed=lambda i: 1000 + i)
    setups = {}
    for name in ("plain git", "no-op driver", "poolmerge driver", "poolmerge driver and hooks"):
        d = os.path.join(tmp, "whole", name.replace(" ", "-"))
        shutil.copytree(base, d, symlinks=True)
        if name == "no-op driver":
            git_cmd(d, "config", "merge.poolmerge.driver", "true %A", env=env)
        elif name == "poolmerge driver":
            subprocess.run([binary, "install"], cwd=d, env=env,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif name == "poolmerge driver and hooks":
            subprocess.run([binary, "install", "--hooks"], cwd=d, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        setups[name] = d
    times = {name: [] for name in setups}
    codes = {}
    for _ in range(runs):
        for name, template in setups.items():
            work = template + "-run"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template, work, symlinks=True)
            t0 = time.perf_counter()
            p = subprocess.run(["git", "merge", "--no-edit", "-q", "main"], cwd=work, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t0)
            codes[name] = p.returncode
            shutil.rmtree(work)
    return {"files": files, "changed": changed, "new": new, "runs": runs,
            "median": {n: statistics.median(t) for n, t in times.items()}, "exit": codes}


def trace_shares(d, upstream, env, head):
    """One more merge with git's trace2 events: the time spent in poolmerge's hooks and
    in the merge driver's calls, and the whole command's, in seconds."""
    events = os.path.join(d, ".git", "trace2.json")
    tenv = dict(env, GIT_TRACE2_EVENT=events)
    t0 = time.perf_counter()
    subprocess.run(["git", "merge", "--no-edit", "--no-stat", "-q", upstream], cwd=d, env=tenv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    whole = time.perf_counter() - t0
    starts, hooks, driver = {}, 0.0, 0.0
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            key = (e.get("sid"), e.get("child_id"))
            if e.get("event") == "child_start":
                argv = " ".join(e.get("argv", []))
                kind = ("hook" if e.get("child_class") == "hook"
                        else "driver" if " merge " in argv and "poolmerge" in argv and "%" not in argv
                        and "-p " in argv else None)
                starts[key] = kind
            elif e.get("event") == "child_exit" and starts.get(key):
                if starts[key] == "hook":
                    hooks += e.get("t_rel", 0.0)
                else:
                    driver += e.get("t_rel", 0.0)
    os.remove(events)
    subprocess.run(["git", "merge", "--abort"], cwd=d, env=env, capture_output=True)
    git_cmd(d, "reset", "-q", "--hard", head, env=env)
    return hooks, driver, whole


def bench_replays(binary, repo, syncs, runs, tmp):
    """Whole `git merge --no-edit UPSTREAM` of real upstream syncs: for each fork point
    (scripts/replay.py's), a clone at the fork point with the pin applied by
    `poolmerge fix` and `.gitattributes` committed, merged by plain git (the route, no
    driver, no hooks) and with poolmerge installed as users install it
    (`install --hooks`: the merge strategy, the driver, the hooks); in a full checkout
    and in a sparse one (cone `database`, sparse index). Runs alternate between the
    set-ups on the same work tree reset to the fork's commit; then one traced run
    gives the shares of the hooks and of the driver calls."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import replay
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1", HOME=os.path.join(tmp, "rhome"))
    # poolmerge on PATH, as users install it: git finds its merge strategy there.
    # The floor of any custom strategy: git's merge and checkout, nothing else.
    floor_dir = os.path.join(tmp, "floorbin")
    os.makedirs(floor_dir, exist_ok=True)
    floor = os.path.join(floor_dir, "git-merge-floor")
    with open(floor, "w") as f:
        f.write("#!/bin/sh\nwhile [ \"$1\" != \"--\" ]; do shift; done\n"
                "tree=$(git merge-tree --write-tree HEAD \"$3\" | head -n 1)\n"
                "exec git read-tree -m -u HEAD \"$tree\"\n")
    os.chmod(floor, 0o755)
    env["PATH"] = os.pathsep.join([os.path.dirname(binary), floor_dir, env.get("PATH", "")])
    os.makedirs(env["HOME"], exist_ok=True)
    commits = replay.first_parent_commits(repo, env)
    points = replay.pick(commits, syncs, [1, 7, 14, 30, 60, 90], repo, env)
    out = []
    for fork, upstream, days in points:
        setups = {}
        for layout in ("full", "sparse"):
            # The alternative measured against the strategy: the hooks alone, which
            # replace the merge commit git made (pull.twohead unset).
            # And the floor: a strategy that only merges and checks out (no poolmerge).
            names = (("plain git", "poolmerge", "hooks only", "floor") if layout == "full"
                     else ("plain git", "poolmerge", "floor"))
            for name in names:
                d = os.path.join(tmp, "replays", f"{fork[:8]}-{layout}-{name.replace(' ', '-')}")
                git_cmd(tmp, "clone", "-q", "--shared", "--no-checkout", repo, d, env=env)
                git_cmd(d, "checkout", "-q", "-b", "fork", fork, env=env)
                with open(os.path.join(d, ".gitattributes"), "a") as f:
                    f.write("database/*.py merge=poolmerge\n")
                subprocess.run([binary, "fix"], cwd=d, env=env, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                git_cmd(d, "add", "-A", env=env)
                git_cmd(d, "commit", "-q", "-m", "fork: pin and route", env=env)
                if name in ("poolmerge", "hooks only"):
                    subprocess.run([binary, "install", "--hooks"], cwd=d, env=env, check=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if name == "hooks only":
                    git_cmd(d, "config", "--unset", "pull.twohead", env=env)
                if name == "floor":
                    git_cmd(d, "config", "pull.twohead", "floor", env=env)
                if layout == "sparse":
                    git_cmd(d, "sparse-checkout", "set", "--cone", "--sparse-index", "database", env=env)
                if git_out(d, "status", "--porcelain", env=env):
                    raise RuntimeError(f"{d}: not clean after the set-up")
                head = git_out(d, "rev-parse", "HEAD", env=env).strip()
                setups[(layout, name)] = (d, head)
        times = {k: [] for k in setups}
        codes = {}
        for _ in range(runs):
            for k, (d, head) in setups.items():
                t0 = time.perf_counter()
                p = subprocess.run(["git", "merge", "--no-edit", "--no-stat", "-q", upstream], cwd=d,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[k].append(time.perf_counter() - t0)
                codes[k] = p.returncode
                subprocess.run(["git", "merge", "--abort"], cwd=d, env=env, capture_output=True)
                git_cmd(d, "reset", "-q", "--hard", head, env=env)
                git_cmd(d, "clean", "-qfd", env=env)
        shares = {}
        for layout in ("full", "sparse"):
            d, head = setups[(layout, "poolmerge")]
            shares[layout] = trace_shares(d, upstream, env, head)
        both = git_out(setups[("full", "plain git")][0], "diff", "--name-only", fork, upstream, "--",
                       "database/*.py", env=env).split()
        out.append({"fork": fork[:10], "days": days, "changed": len(both), "runs": runs,
                    "median": {k: statistics.median(t) for k, t in times.items()}, "exit": codes,
                    "shares": shares})
        for d, _ in setups.values():
            shutil.rmtree(d)
    return out


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--sizes", default="20K,200K,2M,20M")
    ap.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    ap.add_argument("--throughput", help="the examples/throughput binary")
    ap.add_argument("--replays", help="a clone of the fork's upstream: whole merges of real syncs")
    ap.add_argument("--replay-syncs", type=int, default=8)
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    mult = {"K": 1_000, "M": 1_000_000}
    sizes = [int(s[:-1]) * mult[s[-1]] for s in a.sizes.split(",") if s]
    runs_for = (lambda s: 5) if a.quick else (lambda s: 301 if s <= 50_000 else 101 if s <= 500_000 else 21 if s <= 5_000_000 else 7)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_merge(binary, s, runs_for(s), tmp, conflict=c)
                for s in sizes for c in (False, True)]
        chk = None if a.quick else bench_check_merge(binary, 21, tmp)
        whole = bench_whole_merge(binary, 5 if a.quick else 21, tmp)
        replays = (bench_replays(binary, os.path.abspath(a.replays), a.replay_syncs,
                                 3 if a.quick else 7, tmp) if a.replays else [])
        # The engine in-process at 2 MB and at every larger size asked for.
        thr = []
        if a.throughput:
            for size in sorted(set([2_000_000] + [x for x in sizes if x >= 2_000_000])):
                d = os.path.join(tmp, f"thr{size}")
                os.makedirs(d)
                p = write_triple(d, size, seed=size)
                out = subprocess.run([a.throughput, p["base"], p["ours"], p["theirs"]], capture_output=True,
                                     text=True, check=True)
                thr.append(json.loads(out.stdout))
    print("| module | merge | runs | git merge-file | poolmerge merge | ratio | to stdout: git | poolmerge "
          "| ratio | peak memory git | peak memory poolmerge | memory bound |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        bound = 4 * r["inputs"] + 16 * 1024 * 1024
        ok = "yes" if r["mem_pm"] * 1024 <= bound else "NO"
        kind = f"one conflict (exit {r['exit']})" if r["conflict"] else f"clean (exit {r['exit']})"
        print(f"| {human(r['size'])} | {kind} | {r['runs']} | {r['git'] * 1000:.2f} ms | {r['pm'] * 1000:.2f} ms | "
              f"{r['pm'] / r['git']:.2f}x | {r['git_out'] * 1000:.2f} ms | {r['pm_out'] * 1000:.2f} ms | "
              f"{r['pm_out'] / r['git_out']:.2f}x | {human(r['mem_git'] * 1024)} | {human(r['mem_pm'] * 1024)} | "
              f"{human(bound)} ({ok}) |")
    if chk:
        print(f"\ncheck --merge, {chk['files']} owned files, {chk['changed']} changed upstream "
              f"({chk['runs']} runs): git merge-tree {chk['git'] * 1000:.1f} ms, poolmerge check --merge "
              f"{chk['pm'] * 1000:.1f} ms, ratio {chk['pm'] / chk['git']:.2f}x (exit {chk['exit']})")
    if whole:
        plain = whole["median"]["plain git"]
        print(f"\n| whole `git merge`: {whole['files']} owned modules, {whole['changed']} changed on both sides, "
              f"{whole['new']} new upstream ({whole['runs']} runs) | median | against plain git | exit |")
        print("|---|---|---|---|")
        for name, t in whole["median"].items():
            print(f"| {name} | {t * 1000:.1f} ms | {t / plain:.2f}x | {whole['exit'][name]} |")
    if replays:
        print("\n| real sync: fork point | days | database files upstream changed "
              "| full: plain git | poolmerge | ratio | hooks / driver calls "
              "| sparse: plain git | poolmerge | ratio | hooks / driver calls "
              "| full, hooks only (no strategy) | ratio | floor (a strategy that only merges "
              "and checks out): full | sparse | exit: plain / poolmerge |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        alt = []
        ratios = {"full": [], "sparse": []}
        floors = {"full": [], "sparse": []}
        for r in replays:
            m = r["median"]
            cells = []
            for layout in ("full", "sparse"):
                plain, pm = m[(layout, "plain git")], m[(layout, "poolmerge")]
                ratios[layout].append(pm / plain)
                hooks, driver, whole = r["shares"][layout]
                cells.append(f"{plain * 1000:.0f} ms | {pm * 1000:.0f} ms | {pm / plain:.2f}x | "
                             f"{hooks / whole:.0%} / {driver / whole:.0%}")
            hooks_only = m[("full", "hooks only")]
            alt.append(hooks_only / m[("full", "plain git")])
            for layout in ("full", "sparse"):
                floors[layout].append(m[(layout, "floor")] / m[(layout, "plain git")])
            print(f"| {r['fork']} | {r['days']} | {r['changed']} | {cells[0]} | {cells[1]} | "
                  f"{hooks_only * 1000:.0f} ms | {alt[-1]:.2f}x | "
                  f"{floors['full'][-1]:.2f}x | {floors['sparse'][-1]:.2f}x | "
                  f"{r['exit'][('full', 'plain git')]} / {r['exit'][('full', 'poolmerge')]} |")
        print(f"\nmedian ratio over {len(replays)} syncs: full checkout "
              f"{statistics.median(ratios['full']):.2f}x, sparse checkout "
              f"{statistics.median(ratios['sparse']):.2f}x; the hooks alone (no strategy), full "
              f"checkout: {statistics.median(alt):.2f}x; the floor: full "
              f"{statistics.median(floors['full']):.2f}x, sparse "
              f"{statistics.median(floors['sparse']):.2f}x")
    if thr:
        print("\n| engine in-process: inputs | whole engine | line merge alone | engine MB/s "
              "| poolmerge's own time (engine minus line merge) per MB |")
        print("|---|---|---|---|---|")
        own = []
        for t in thr:
            mb = t["bytes"] / 1e6
            own.append((t["engine_ms"] - t["line_ms"]) / mb)
            print(f"| {human(t['bytes'])} | {t['engine_ms']:.1f} ms | {t['line_ms']:.1f} ms | "
                  f"{mb / t['engine_ms'] * 1000:.0f} | {own[-1]:.2f} ms |")
        if len(own) >= 2:
            print(f"\nown time per MB at {human(thr[-1]['bytes'])} over per MB at {human(thr[0]['bytes'])}: "
                  f"{own[-1] / own[0]:.2f}")

if __name__ == "__main__":
    main()
