"""The frozen app's size and speed: prints figures, asserts nothing (see README "Benchmarks").

Targets (issue 8): Linux bundle <= 150 MB unpacked; frozen `self-check` <= 3 s.
Run after `make dist`:  .venv/bin/python bench/frozen_bench.py [--bundle dist/facilitator-app] [--deb FILE]

Wall time depends on how busy the machine is, so CPU time (user + system, which does not count
time spent waiting for a core) is printed beside it, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "facilitator-app"
SIZE_TARGET_MB = 150
CHECK_TARGET_S = 3.0


def tree_bytes(root: Path) -> int:
    """Unpacked size as installed: every file's bytes, symlinks counted as links."""
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() or p.is_symlink())


def biggest(root: Path, count: int = 8) -> list[tuple[int, str]]:
    files = [(p.lstat().st_size, str(p.relative_to(root))) for p in root.rglob("*")
             if p.is_file() and not p.is_symlink()]
    return sorted(files, reverse=True)[:count]


def timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP)
    parser.add_argument("--deb", type=Path, help="the .deb to report the size of (default: newest in dist/)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    exe = args.bundle / (APP + (".exe" if sys.platform == "win32" else ""))
    if not exe.exists():
        print(f"frozen_bench: no bundle at {args.bundle}; run `make dist` first. Nothing measured.")
        return 0

    size = tree_bytes(args.bundle)
    print(f"Bundle {args.bundle}")
    print(f"  unpacked size      {size / 1e6:7.1f} MB ({size / 2**20:.1f} MiB)   target <= {SIZE_TARGET_MB} MB "
          f"{'ok' if size / 1e6 <= SIZE_TARGET_MB else 'OVER'}")
    for nbytes, name in biggest(args.bundle):
        print(f"    {nbytes / 1e6:6.1f} MB  {name}")
    deb = args.deb or max((ROOT / "dist").glob("*.deb"), key=lambda p: p.stat().st_mtime, default=None)
    if deb and deb.exists():
        print(f"  package {deb.name}: {deb.stat().st_size / 1e6:.1f} MB")

    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    floors, checks = [], []
    for _ in range(args.runs):
        wall, cpu, done = timed_run([str(exe), "--version"], env)
        if done.returncode != 0:
            print(f"  `{APP} --version` failed:\n{done.stderr}")
            return 1
        floors.append((wall, cpu))
        wall, cpu, done = timed_run([str(exe), "self-check", "--json"], env)
        if done.returncode != 0:
            print(f"  self-check FAILED (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
            return 1
        checks.append((wall, cpu, json.loads(done.stdout)))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Frozen start and self-check (median of {args.runs}; load average {load:.1f} on {os.cpu_count()} cores)")
    fw = statistics.median(w for w, _ in floors)
    fc = statistics.median(c for _, c in floors)
    cw = statistics.median(w for w, _, _ in checks)
    cc = statistics.median(c for _, c, _ in checks)
    print(f"  `{APP} --version`   wall {fw:5.2f} s   cpu {fc:5.2f} s   (start-up floor: interpreter + imports)")
    print(f"  `{APP} self-check`  wall {cw:5.2f} s   cpu {cc:5.2f} s   target <= {CHECK_TARGET_S:.0f} s "
          f"{'ok' if cw <= CHECK_TARGET_S else ('ok on cpu time (machine busy)' if cc <= CHECK_TARGET_S else 'OVER')}")
    steps = checks[len(checks) // 2][2]["steps"]
    print("  steps: " + ", ".join(f"{s['name']} {s['seconds'] * 1000:.0f} ms" for s in steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
