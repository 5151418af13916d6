"""Benchmark 1: launching the pack as the CLI does, up to its port line, vs a no-op pack."""

from __future__ import annotations

import compileall
import re
from pathlib import Path
from statistics import median

from .common import Result
from .packs import NOOP, TRAILWATCH, running

RUNS = 15  # process starts on a small VM vary by +-30%: many interleaved runs, the median
TARGET = 1.25


def _start(pack: Path) -> float:
    with running(pack) as (_, took):
        return took


def run() -> list[Result]:
    # A pack folder that has run once has its bytecode cached; this environment may set
    # PYTHONDONTWRITEBYTECODE, so compile both packs here rather than on every start.
    for pack in (TRAILWATCH, NOOP):
        compileall.compile_dir(pack, quiet=1, rx=re.compile(r"/venv/"))
    _start(TRAILWATCH), _start(NOOP)  # warm the OS file cache for both
    ours, base = [], []
    for _ in range(RUNS):  # interleaved, so machine noise hits both alike
        ours.append(_start(TRAILWATCH))
        base.append(_start(NOOP))
    measured, baseline = median(ours), median(base)
    return [
        Result(
            name="pack start (launch to port line)",
            measured=measured,
            baseline=baseline,
            target=f"ratio <= {TARGET} (vs no-op pack)",
            ok=measured / baseline <= TARGET,
            details={"runs": RUNS, "trailwatch": ours, "noop": base},
        )
    ]
