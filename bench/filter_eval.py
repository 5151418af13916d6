"""Benchmark 3: the CIS 2.0 pattern over 100k CloudTrail JSON lines vs plain json.loads."""

from __future__ import annotations

import json

from trailwatch_policy.controls.scanners import CIS_2_0
from trailwatch_policy.filter_pattern import parse

from .common import Result, best_of, sample_records

LINES = 100_000
TARGET = 1.5


def run() -> list[Result]:
    records = sample_records()
    lines = [json.dumps(records[i % len(records)]) for i in range(LINES)]
    pattern = parse(CIS_2_0)
    loads = json.loads
    evaluate = pattern.evaluate

    def baseline() -> None:
        for line in lines:
            loads(line)  # results not kept: a list of 100k dicts would time the GC, not parsing

    def measured() -> None:
        for line in lines:
            evaluate(line)

    base = best_of(baseline)
    took = best_of(measured)
    matched = sum(1 for line in lines if evaluate(line))
    return [
        Result(
            name="filter: CIS 2.0 over 100k JSON lines",
            measured=took,
            baseline=base,
            target=f"ratio <= {TARGET} (vs json.loads)",
            ok=took / base <= TARGET,
            details={"lines": LINES, "matched": matched},
        )
    ]
