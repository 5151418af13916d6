"""What a link returns: a status and its findings, and how links combine.

An `Outcome` is `(status, findings)`. Alternatives (any working alarm of a metric, any
filter of a log group) combine with `alternatives`: the first pass wins, otherwise all
their findings matter. Links of one chain combine with `sequence`: the weakest decides.
`LogGroupResult` is the verdict for one CloudTrail log group, what `evaluate` returns.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from trailwatch_policy.base.findings import Finding, Link, Problem, Shared, best, unique, worst
from trailwatch_policy.rules.log_group import known

Outcome = tuple[str, list["Finding | Shared"]]


@dataclass(frozen=True)
class LogGroupResult:
    """The verdict for one CloudTrail log group.

    `id` is None when the group is not declared (an organisation trail's group, or a
    trail target not known yet); `trails` are the ids of the trails writing to it.
    `own` are the findings of this group's chains; `shared` hold the findings of links
    that may belong to any group (a filter whose log group, an alarm whose metric is not
    known yet), judged once and the same objects in every result that meets them (report
    each once: see `findings.Shared`). `findings` is both, for small inventories.
    """

    name: object  # str | UNKNOWN
    id: str | None
    status: str  # "pass" | "fail" | "unknown"
    own: tuple[Finding, ...]
    trails: tuple[str, ...] = ()
    shared: tuple[Shared, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Own and shared findings, the shared ones labelled with this group's name."""
        if not self.shared:
            return self.own
        name = self.name if known(self.name) else None
        extra = (f if f.log_group is not None else replace(f, log_group=name) for f in Shared(self.shared).findings)
        return dedupe(itertools.chain(self.own, extra))


def alternatives(outcomes: Iterable[Outcome]) -> Outcome:
    """Any one working alternative is enough (evaluation stops there); otherwise all
    their findings matter."""
    seen: list[Outcome] = []
    for outcome in outcomes:
        if outcome[0] == "pass":
            return "pass", []
        seen.append(outcome)
    return best(s for s, _ in seen), [f for _, fs in seen for f in fs]


def sequence(outcomes: Iterable[Outcome]) -> Outcome:
    """Every link must work: the weakest decides, all findings add up."""
    outcomes = list(outcomes)
    return worst(s for s, _ in outcomes), [f for _, fs in outcomes for f in fs]


def problems(found: Sequence[Problem], resource_id: str, link: Link, group: str | None) -> Outcome:
    """The rule's problems placed on the resource judged (`Finding.of`)."""
    findings: list[Finding | Shared] = [Finding.of(p, resource_id, link, group) for p in found]
    return worst(p.status for p in found), findings


def with_args(outcome: Outcome, **args: object) -> Outcome:
    """Give findings the known values their AWS CLI fix needs (trailwatch_policy.rules.fixes);
    values already set by a deeper link win."""
    extra = tuple((k, v) for k, v in args.items() if isinstance(v, str) and v)
    status, findings = outcome
    if not extra or not findings:
        return outcome
    out: list[Finding | Shared] = []
    for f in findings:
        if isinstance(f, Shared):  # judged without this chain's values: left as they are
            out.append(f)
            continue
        have = {k for k, _ in f.args}
        add = tuple((k, v) for k, v in extra if k not in have)
        out.append(replace(f, args=f.args + add) if add else f)
    return status, out


def dedupe(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(unique(findings, lambda f: (f.resource_id, f.code, f.message)))
