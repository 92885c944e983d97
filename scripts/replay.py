#!/usr/bin/env python3
"""Replays real upstream syncs of a fork, as a user runs them: one command each.

For each scenario, a clone of the upstream repository (e.g. OpenAlgo) gets a fork
branch at an older upstream commit: a sparse checkout of `database/` with a sparse
index, `poolmerge install --hooks`, the pin applied by `poolmerge fix` and committed,
then `.gitattributes` committed after it (the order that defeats routing during a
rebase). Then one `git merge --no-edit UPSTREAM` or one `git rebase UPSTREAM`, and:

- the command exits 0 and `git status` is clean (nothing left to commit);
- every database file upstream changed is right in HEAD's committed tree: its syntax
  tree equals that of upstream's version with the pin applied (`poolmerge fix`), and
  `poolmerge check` finds nothing in it.

Usage: scripts/replay.py --bin target/release/poolmerge --repo PATH [--scenarios N]
       [--days D1,D2,...] [--flows merge,rebase] [--keep]
"""

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd, cwd, env=None, check=True, input=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, input=input, capture_output=True)
    if check and p.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode(errors='replace')}"
        )
    return p


def git(args, cwd, env, check=True):
    return run(["git"] + args, cwd, env, check)


def first_parent_commits(repo, env):
    out = git(["log", "--first-parent", "--format=%H %ct", "HEAD"], repo, env).stdout.decode()
    commits = [(c, int(t)) for c, t in (line.split() for line in out.splitlines())]
    commits.reverse()
    return commits


def pick(commits, scenarios, days_list, repo, env):
    """Fork points spread over the history that has database/ engines, each with an
    upstream commit some days later."""
    usable = []
    for c, t in commits:
        files = git(["ls-tree", "--name-only", c, "database/"], repo, env).stdout.decode()
        if "database/" in files:
            usable.append((c, t))
    # A stored snapshot may lack a few large blobs: a sync that would read one is
    # moved to a later fork point.
    missing = {
        line[1:].strip()
        for line in git(["rev-list", "--objects", "--missing=print", "--all"], repo, env)
        .stdout.decode()
        .splitlines()
        if line.startswith("?")
    }
    out = []
    step = max(1, len(usable) // (scenarios + 1))
    for i in range(scenarios):
        days = days_list[i % len(days_list)]
        for j in range(i * step + step // 2, len(usable)):
            fork, t = usable[j]
            later = [c for c, ct in usable if ct >= t + days * 86400]
            if not later:
                break
            changed = git(
                ["diff-tree", "-r", "--no-abbrev", "--no-renames", fork, later[0]], repo, env
            )
            if not any(oid in missing for oid in changed.stdout.decode().split()):
                out.append((fork, later[0], days))
                break
    return out


def syntax(text):
    try:
        return ast.dump(ast.parse(text))
    except SyntaxError as e:
        return f"syntax error: {e}"


def scenario(args, fork, upstream, flow, env, base_tmp):
    work = os.path.join(base_tmp, f"{flow}-{fork[:8]}-{upstream[:8]}")
    git(["clone", "-q", "--shared", "--no-checkout", args.repo, work], base_tmp, env)
    w = lambda a, check=True: git(a, work, env, check)
    w(["config", "user.name", "Fork"])
    w(["config", "user.email", "fork@example.com"])
    w(["config", "advice.sparseIndexExpanded", "false"])
    w(["sparse-checkout", "set", "--cone", "--sparse-index", "database"])
    w(["checkout", "-q", "-b", "fork", fork])
    pm = lambda a, check=True: run([args.bin] + a, work, env, check)
    pm(["install", "--hooks"])
    pm(["fix"], check=False)
    w(["add", "-A", "database"])
    w(["commit", "-q", "--allow-empty", "-m", "fork: pin StaticPool"])
    pinned = len(w(["diff", "--name-only", "HEAD~1", "HEAD"]).stdout.decode().split())
    w(["add", ".gitattributes"])
    w(["commit", "-q", "-m", "route database/*.py to poolmerge"])

    start = time.monotonic()
    if flow == "merge":
        # --no-stat: a stored snapshot of a repository may lack its largest blobs,
        # which a diffstat would read.
        p = w(["merge", "--no-edit", "--no-stat", upstream], check=False)
    else:
        p = w(["rebase", upstream], check=False)
    elapsed = time.monotonic() - start
    said = (p.stdout + p.stderr).decode(errors="replace")
    result = {
        "flow": flow,
        "fork": fork[:10],
        "upstream": upstream[:10],
        "exit": p.returncode,
        "seconds": round(elapsed, 2),
        "status": w(["status", "--porcelain"]).stdout.decode(),
        "unmerged": w(["ls-files", "-u"]).stdout.decode(),
    }
    changed = [
        f
        for f in w(
            ["diff", "--name-only", "--diff-filter=AM", fork, upstream, "--", "database/*.py"]
        )
        .stdout.decode()
        .split()
    ]
    wrong = []
    scratch = os.path.join(work, "database", "_poolmerge_replay")
    os.makedirs(scratch, exist_ok=True)
    for f in changed:
        head = w(["show", f"HEAD:{f}"], check=False)
        if head.returncode != 0:
            wrong.append((f, "missing in HEAD"))
            continue
        up = w(["show", f"{upstream}:{f}"]).stdout
        oracle = os.path.join(scratch, os.path.basename(f))
        with open(oracle, "wb") as fh:
            fh.write(up)
        pm(["fix", os.path.relpath(oracle, work)], check=False)
        with open(oracle, "rb") as fh:
            expected = fh.read()
        if syntax(head.stdout) != syntax(expected):
            wrong.append((f, "differs from upstream's version with the pin"))
            continue
        with open(oracle, "wb") as fh:
            fh.write(head.stdout)
        problems = pm(["fix", "--check", os.path.relpath(oracle, work)], check=False)
        if problems.returncode != 0:
            wrong.append((f, "not pinned: " + problems.stdout.decode().strip()))
    shutil.rmtree(scratch)
    result["changed"] = len(changed)
    result["pinned_by_fork"] = pinned
    result["wrong"] = wrong
    result["ok"] = (
        p.returncode == 0 and not result["status"] and not result["unmerged"] and not wrong
    )
    if not result["ok"]:
        result["said"] = said[-3000:]
    if not args.keep:
        shutil.rmtree(work)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--scenarios", type=int, default=12)
    ap.add_argument("--days", default="1,7,30,90,180,320")
    ap.add_argument("--flows", default="merge,rebase")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--since", type=int, default=0, help="fork points after this Unix time")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    home = tempfile.mkdtemp(prefix="poolmerge-replay-home-")
    env = {
        # poolmerge on PATH, as users install it: git finds its merge strategy there.
        "PATH": os.path.dirname(args.bin) + os.pathsep + os.environ["PATH"],
        "HOME": home,
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
        "GIT_EDITOR": "true",
    }
    commits = [c for c in first_parent_commits(args.repo, env) if c[1] >= args.since]
    days = [int(d) for d in args.days.split(",")]
    picks = pick(commits, args.scenarios, days, args.repo, env)
    base_tmp = tempfile.mkdtemp(prefix="poolmerge-replay-")
    results = []
    for flow in args.flows.split(","):
        for fork, upstream, d in picks:
            r = scenario(args, fork, upstream, flow, env, base_tmp)
            r["days"] = d
            results.append(r)
            mark = "ok  " if r["ok"] else "FAIL"
            print(
                f"{mark} {flow:6} {r['fork']}..{r['upstream']} ({d:3} days): exit {r['exit']}, "
                f"fork pinned {r['pinned_by_fork']}, upstream changed {r['changed']} database files, "
                f"{len(r['wrong'])} wrong, {r['seconds']} s",
                flush=True,
            )
            for f, why in r["wrong"]:
                print(f"       {f}: {why}")
            if not r["ok"] and r.get("status"):
                print("       status: " + r["status"].replace("\n", " "))
            if not r["ok"] and r.get("unmerged"):
                print("       unmerged: " + r["unmerged"].replace("\n", " ")[:300])
    ok = sum(r["ok"] for r in results)
    files = sum(r["changed"] for r in results)
    wrong = sum(len(r["wrong"]) for r in results)
    print(f"{ok} of {len(results)} replays ok; {files} changed database files, {wrong} wrong")
    with open(os.path.join(base_tmp, "results.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    print(f"details: {os.path.join(base_tmp, 'results.json')}")
    shutil.rmtree(home, ignore_errors=True)
    return 0 if ok == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
