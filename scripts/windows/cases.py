#!/usr/bin/env python3
"""The Windows build against the Linux build on every acceptance case.

    python3 cases.py --exe poolmerge.exe --wine --linux target/release/poolmerge CASES
    python3 cases.py --exe target/release/poolmerge --record OUT CASES
    python3 cases.py --exe target/release/poolmerge.exe --recorded OUT CASES

Each case (base.py, ours.py, theirs.py, meta.json) is merged the way git calls the
driver, by the .exe (under wine with --wine) and by the Linux build (run here with
--linux, or its results recorded earlier with --record, as CI does on a Linux runner
for the Windows one). The merged file must be the same bytes, the exit status the
same, and that status the one meta.json expects. `cargo test` holds the Linux build to
the expected results; this holds the Windows build to the Linux one. Prints one line
per difference and "N cases, M differ"; exits 1 on any.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def args_for(meta):
    return [
        "-s", "base", "-x", "ours", "-y", "theirs",
        "-p", meta["path"],
        "-l", str(meta.get("marker_size", 7)),
        "--style", meta.get("style", "merge"),
    ]


def run(command, case, meta, tmp):
    """Merges the case in a fresh folder with `command` (a list); returns (status,
    merged bytes, stderr)."""
    work = tempfile.mkdtemp(dir=tmp)
    for name in ("base.py", "ours.py", "theirs.py"):
        shutil.copy(os.path.join(case, name), os.path.join(work, name))
    proc = subprocess.run(
        command + ["merge", "base.py", "ours.py", "theirs.py"] + args_for(meta),
        cwd=work,
        capture_output=True,
        timeout=120,
    )
    with open(os.path.join(work, "ours.py"), "rb") as f:
        merged = f.read()
    return proc.returncode, merged, proc.stderr.decode("utf-8", "replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exe", required=True)
    parser.add_argument("--wine", action="store_true", help="run --exe under wine")
    parser.add_argument("--linux", help="the Linux build, run on the same inputs")
    parser.add_argument("--record", help="write --exe's results into this folder")
    parser.add_argument("--recorded", help="the Linux build's results, from --record")
    parser.add_argument("cases")
    opts = parser.parse_args()
    exe = [os.path.abspath(opts.exe)]
    if opts.wine:
        exe.insert(0, "wine")
    names = sorted(
        d for d in os.listdir(opts.cases)
        if os.path.isfile(os.path.join(opts.cases, d, "meta.json"))
    )
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            case = os.path.join(opts.cases, name)
            with open(os.path.join(case, "meta.json")) as f:
                meta = json.load(f)
            status, merged, err = run(exe, case, meta, tmp)
            if opts.record:
                os.makedirs(opts.record, exist_ok=True)
                with open(os.path.join(opts.record, name + ".py"), "wb") as f:
                    f.write(merged)
                with open(os.path.join(opts.record, name + ".status"), "w") as f:
                    f.write(f"{status}\n")
                continue
            if opts.linux:
                l_status, l_merged, _ = run([os.path.abspath(opts.linux)], case, meta, tmp)
            else:
                with open(os.path.join(opts.recorded, name + ".py"), "rb") as f:
                    l_merged = f.read()
                with open(os.path.join(opts.recorded, name + ".status")) as f:
                    l_status = int(f.read())
            why = []
            if status != l_status:
                why.append(f"exit {status} on Windows, {l_status} on Linux")
            if merged != l_merged:
                why.append("the merged file differs from the Linux build's")
            if not meta.get("any_exit") and status != meta["exit"]:
                why.append(f"exit {status}, meta.json expects {meta['exit']}")
            if why:
                failed += 1
                print(f"{name}: {'; '.join(why)}")
                if err.strip():
                    print("  " + err.strip().replace("\n", "\n  "))
    if opts.record:
        print(f"{len(names)} cases recorded in {opts.record}")
        return 0 if names else 1
    print(f"{len(names)} cases, {failed} differ")
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
