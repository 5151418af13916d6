"""What a rule says about one broken link: the shape shared by the pack and the audit.

A rule module (alarm, topic, trail, metric_filter) returns `Problem`s about one resource;
`chain.evaluate` places them on the resource a user fixes and returns `Finding`s.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from trailwatch_policy.base.codes import Code, entry

T = TypeVar("T")

Status = Literal["pass", "fail", "unknown"]
Link = Literal["trail", "log-group", "metric-filter", "alarm", "topic", "subscription"]

# How good a status is, to pick the best alternative and the worst link of a chain.
_RANK = {"fail": 0, "unknown": 1, "pass": 2}


def unique(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """The items in order, each key once: one problem met through several paths is said once."""
    seen: set[Hashable] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def clip(text: str, limit: int = 120) -> str:
    """`text` at most `limit` characters, the rest replaced by an ellipsis and the length:
    user values echoed in a message must not make it unbounded (a 1 MB pattern, a long name)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\u2026 ({len(text):,} characters)"


def cut(value: object, limit: int = 120) -> str:
    """`repr(value)`, clipped (see `clip`). A huge container is not rendered whole first."""
    if isinstance(value, (list, tuple, dict, set, frozenset)) and len(value) > limit:
        return f"<{type(value).__name__} of {len(value):,} items>"
    if isinstance(value, str) and len(value) > limit:
        return f"{repr(value[:limit])[:-1]}\u2026 ({len(value):,} characters)"
    try:
        text = repr(value)
    except RecursionError:
        return f"<{type(value).__name__} nested too deep to show>"
    return clip(text, limit)


def failure(exc: BaseException) -> str:
    """`Type: message (at module.py:line)` naming trailwatch's own innermost frame -- the
    pack line that met the input -- rather than the standard library's (json, re)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/trailwatch_policy/" in f.filename.replace("\\", "/")]
    where = (ours or frames)[-1] if frames else None
    at = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return f"{type(exc).__name__}: {clip(str(exc), 300)}{at}"


def best(statuses: Iterable[str]) -> str:
    """The best of alternatives (any working alarm is enough): pass > unknown > fail."""
    return max(statuses, key=_RANK.__getitem__, default="fail")


def worst(statuses: Iterable[str]) -> str:
    """The weakest link of a chain: fail < unknown < pass."""
    return min(statuses, key=_RANK.__getitem__, default="pass")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a resource. status "unknown" = cannot be verified yet."""

    status: Literal["fail", "unknown"]
    code: Code  # one of trailwatch_policy.base.codes: mypy rejects a misspelt literal
    message: str  # what is wrong and why it matters
    fix: str  # the values to set, or a Pulumi Python snippet
    # Values the AWS CLI fix needs beyond the resource's ARN (trailwatch_policy.rules.fixes),
    # e.g. (("namespace", "CISBenchmark"), ("metric", "UnauthorizedAPICalls")).
    args: tuple[tuple[str, str], ...] = ()
    on: str | None = None  # another resource to edit than the one judged (a topic's subscription)

    def __post_init__(self) -> None:
        entry(self.code)  # a code missing from the registry fails where the rule builds it


@dataclass(frozen=True)
class Finding:
    """A problem placed on the resource (URN, ARN or name) a user edits to fix it. Its AWS
    CLI fix (audit reports) is `trailwatch_policy.rules.fixes.cli_fix_of(finding)`."""

    resource_id: str
    link: Link
    status: Literal["fail", "unknown"]
    code: Code
    message: str
    fix: str
    log_group: str | None = None  # the CloudTrail log group it breaks, when its name is known
    args: tuple[tuple[str, str], ...] = ()  # see Problem.args

    def __post_init__(self) -> None:
        entry(self.code)  # like Problem: a code missing from the registry fails where it is built

    @staticmethod
    def of(problem: Problem, resource_id: str, link: Link, log_group: str | None) -> Finding:
        return Finding(
            problem.on or resource_id,
            "subscription" if problem.on else link,
            problem.status,
            problem.code,
            problem.message,
            problem.fix,
            log_group,
            problem.args,
        )

    def text(self) -> str:
        """Human wording: status prefix, message, fix."""
        prefix = "cannot be verified at preview: " if self.status == "unknown" else ""
        return f"{prefix}{self.message}\n  fix: {self.fix}"


class Shared:
    """Findings judged once and met by many chains, kept by reference.

    A filter whose log group is not known yet may be any CloudTrail log group's, and an
    alarm whose metric is not known yet may watch any filter's metric: their findings
    belong to every such chain. Holding them once (not copied into each chain) keeps
    n chains x m unresolved links at n + m work and output. `findings` is flattened
    (nested `Shared` included, each once) and deduplicated.
    """

    __slots__ = ("findings",)

    def __init__(self, items: Iterable[Finding | Shared]) -> None:
        flat: list[Finding] = []
        seen: set[int] = set()
        for item in items:
            if isinstance(item, Shared):
                if id(item) not in seen:
                    seen.add(id(item))
                    flat.extend(item.findings)
            else:
                flat.append(item)
        self.findings: tuple[Finding, ...] = tuple(unique(flat, lambda f: (f.resource_id, f.code, f.message)))

    def __repr__(self) -> str:
        return f"Shared({len(self.findings)} findings)"
