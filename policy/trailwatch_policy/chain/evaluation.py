"""The evaluation: one index per inventory, the links run per CloudTrail log group and
control, each group's failure contained (`chain.contain`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from trailwatch_policy.base.findings import Finding
from trailwatch_policy.base.model import Inventory
from trailwatch_policy.chain import index, links
from trailwatch_policy.chain.contain import contained
from trailwatch_policy.chain.outcome import LogGroupResult
from trailwatch_policy.controls import Control, find, primary
from trailwatch_policy.rules.log_group import ref_is_set
from trailwatch_policy.rules.options import ChainOptions
from trailwatch_policy.rules.trail import trail_problems
from trailwatch_policy.rules.where import bind_accounts


def the_control(control: str | Control | None) -> Control:
    """The control parameter, resolved once: a row, any of its ids, or None (the primary
    control). Every link then reads `Scope.control`."""
    return control if isinstance(control, Control) else primary() if control is None else find(control)


def evaluate(
    inv: Inventory,
    options: ChainOptions | None = None,
    unreadable: Mapping[str, str] | None = None,
    control: str | Control | None = None,
) -> list[LogGroupResult]:
    """One result per CloudTrail log group for one control (none: the stack owes no monitoring).

    `unreadable`: ids of resources whose input could not be read, with why; each is
    "cannot be verified" on its own link (see `edge.resources.inventory`).
    """
    return Evaluation(inv, options, unreadable).control(control)


def evaluate_controls(
    inv: Inventory, options: ChainOptions | None, controls: Sequence[Control]
) -> dict[str, list[LogGroupResult]]:
    """`evaluate` for several controls, the inventory indexed and the alarms judged once."""
    evaluation = Evaluation(inv, options)
    return {c.id: evaluation.control(c) for c in controls}


class Evaluation:
    """One inventory indexed once, judged for any number of controls (the pack keeps one
    per preview, shared by its per-control policies)."""

    def __init__(
        self, inv: Inventory, options: ChainOptions | None = None, unreadable: Mapping[str, str] | None = None
    ) -> None:
        self.options = options or ChainOptions()
        self._index = index.build(bind_accounts(inv), self.options, unreadable)
        self._memo = links.Memo()

    def control(self, control: str | Control | None = None) -> list[LogGroupResult]:
        """The results for one control (a row, any of its ids; None: the primary control)."""
        scope = links.Scope(self._index, self.options, the_control(control), self._memo)
        return [contained(partial(links.log_group, scope, target), target.group) for target in self._index.targets]


def trail_findings(inv: Inventory, control: str | Control | None = None) -> list[Finding]:
    """Problems of trails that feed CloudWatch Logs (CIS audit steps 1-3) for one control: an
    excluded event source only when the control's events come from it. Without a control,
    an excluded source is reported naming the controls that lose events."""
    c = control if isinstance(control, Control) or control is None else find(control)
    out: list[Finding] = []
    for trail in inv.trails:
        if not ref_is_set(trail.log_group):
            continue
        out.extend(Finding.of(p, trail.id, "trail", None) for p in trail_problems(trail, c))
    return out
