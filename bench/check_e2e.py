"""Benchmark 4: `python -m trailwatch check . --stack dev` end to end, and where the time goes."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from statistics import median

from .common import ROOT, Result

RUNS = 5


def _once() -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "trailwatch", "check", ".", "--stack", "dev", "--timings",
                           "--format", "json"], cwd=ROOT, capture_output=True, text=True, check=False)
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"trailwatch check failed ({done.returncode}):\n{done.stderr}")
    line = next(text for text in done.stderr.splitlines() if text.startswith("timings:"))
    parts = {k: float(v) for k, v in re.findall(r"(\w[\w ]*?) ([\d.]+)s", line.removeprefix("timings: "))}
    return total, parts


def run() -> list[Result]:
    _once()  # warm the file cache
    runs = [_once() for _ in range(RUNS)]
    total = median(t for t, _ in runs)
    split = {k: median(p[k] for _, p in runs) for k in runs[0][1]}
    split["process start and the rest"] = total - sum(split.values())
    results = [Result(name="check dev stack end to end", measured=total, target="(reported)",
                      details={"runs": RUNS, **split})]
    results += [Result(name=f"  of which {k}", measured=v) for k, v in split.items()]
    return results
