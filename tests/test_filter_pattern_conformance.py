"""docs/filter-pattern.md's conformance table is true: every row is the engine's answer,
and the engine agrees with AWS wherever the AWS column states a result."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trailwatch_policy.filter_pattern import FilterPatternError, parse

DOC = Path(__file__).resolve().parents[1] / "docs" / "filter-pattern.md"
SECTION = DOC.read_text(encoding="utf-8").split("## Conformance with AWS's documented examples", 1)[1]
EVENTS = dict(re.findall(r"^- \*\*(\w+)\*\*: `(.*)`$", SECTION, re.MULTILINE))
ROWS = [
    tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1])
    for line in SECTION.splitlines()
    if line.startswith("| `")
]
STATED = {"match", "no match", "accepted", "rejected"}


def answer(pattern: str, event: str) -> str:
    try:
        p = parse(pattern)
    except FilterPatternError:
        return "rejected"
    if event == "—":
        return "accepted"
    return {True: "match", False: "no match", None: "indeterminate"}[p.evaluate(EVENTS[event])]


def test_the_table_is_there() -> None:
    assert len(ROWS) >= 60 and len(EVENTS) >= 20


@pytest.mark.parametrize("row", ROWS, ids=[r[0] + " @ " + r[1] for r in ROWS])
def test_row(row: tuple[str, ...]) -> None:
    pattern_cell, event, aws, ours = row
    pattern = pattern_cell.strip("`").replace("\\|", "|")
    got = answer(pattern, event)
    assert ours.split(":")[0] == got, f"the table says {ours!r}, the engine {got!r}"
    if aws in STATED:
        assert got == aws, f"AWS documents {aws!r}"
