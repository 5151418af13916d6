"""What a rule says about one broken link: the shape shared by the pack and the audit.

A rule module (alarm, topic, trail, metric_filter) returns `Problem`s about one resource;
`chain.evaluate` places them on the resource a user fixes and returns `Finding`s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Literal, TypeVar

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
    code: str
    message: str  # what is wrong and why it matters
    fix: str  # the values to set, or a Pulumi Python snippet
    # Values the AWS CLI fix needs beyond the resource's ARN (trailwatch_policy.fixes),
    # e.g. (("namespace", "CISBenchmark"), ("metric", "UnauthorizedAPICalls")).
    args: tuple[tuple[str, str], ...] = ()
    on: str | None = None  # another resource to edit than the one judged (a topic's subscription)


@dataclass(frozen=True)
class Finding:
    """A problem placed on the resource (URN, ARN or name) a user edits to fix it."""

    resource_id: str
    link: Link
    status: Literal["fail", "unknown"]
    code: str
    message: str
    fix: str
    log_group: str | None = None  # the CloudTrail log group it breaks, when its name is known
    args: tuple[tuple[str, str], ...] = ()  # see Problem.args

    @staticmethod
    def of(problem: Problem, resource_id: str, link: Link, log_group: str | None) -> "Finding":
        return Finding(problem.on or resource_id, "subscription" if problem.on else link,
                       problem.status, problem.code, problem.message, problem.fix, log_group,
                       problem.args)

    @property
    def cli_fix(self) -> str:
        """The AWS CLI fix (audit reports); `fix` when the code has none."""
        from trailwatch_policy.fixes import cli_fix  # late: the pack never needs it

        return cli_fix(self.code, self.resource_id, self.log_group, self.args, self.fix)

    def text(self) -> str:
        """Human wording: status prefix, message, fix."""
        prefix = "cannot be verified at preview: " if self.status == "unknown" else ""
        return f"{prefix}{self.message}\n  fix: {self.fix}"
