"""Hostile-input containment: what the chain does when it cannot judge.

Two seams, both "cannot be verified", never a crash and never a pass:
- `unreadable`: a resource whose own input could not be read (a document nested thousands
  of levels deep: `edge.resources.inventory`) is "cannot be verified" on its own link only
  (`input-unreadable`); every other link is judged as usual. The links call it first.
- `contained`: an exception while judging one CloudTrail log group is kept to that group
  (`evaluation-failed`, naming the pack line that met the input); every other group's
  verdict stands. The evaluation wraps every group in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from trailwatch_policy.base.findings import Finding, Link, Problem, cut, failure
from trailwatch_policy.chain.outcome import LogGroupResult, Outcome, problems
from trailwatch_policy.rules.log_group import CloudTrailLogGroup, known


def unreadable(why_of: Mapping[str, str], resource_id: str, link: Link, group: str | None) -> Outcome | None:
    """The resource's own input could not be read (`why_of`: the index's `unreadable`):
    it cannot be verified, and only it -- every other link is judged as usual."""
    why = why_of.get(resource_id)
    if why is None:
        return None
    return problems(
        [
            Problem(
                "unknown",
                "input-unreadable",
                f"trailwatch could not read this resource's input ({why}), so whether this link "
                "works cannot be verified; every other finding of the stack stands",
                "check the property named above (e.g. a document nested thousands of levels "
                "deep); if it is valid AWS input, please report it with the resource's properties",
            )
        ],
        resource_id,
        link,
        group,
    )


def contained(judge: Callable[[], LogGroupResult], group: CloudTrailLogGroup) -> LogGroupResult:
    """`judge()` (the verdict for `group`), with a failure kept to this group: it cannot be
    verified, every other group's verdict stands."""
    try:
        return judge()
    except Exception as exc:  # noqa: BLE001 -- a guardrail reports, it does not crash
        name = group.name if known(group.name) else None
        return LogGroupResult(
            group.name,
            group.id,
            "unknown",
            (
                Finding(
                    group.report_id or "",
                    "log-group" if group.log_group is not None else "trail",
                    "unknown",
                    "evaluation-failed",
                    f"trailwatch could not evaluate the monitoring of CloudTrail log group "
                    f"{cut(name)}: {failure(exc)}; it is not known to be monitored",
                    "please report this with the properties of the resources of this chain",
                    name,
                ),
            ),
            group.trails,
        )
