"""Where a resource lives (account and region), and whether two resources live together.

A log group, its metric filter, the alarm and the topic are only linked within one account
and one Region: CloudWatch metrics "exist only in the Region in which they are created"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric),
a metric filter's `logGroupName` names a log group of the Region and account the filter is
created in (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricFilter.html
takes a name, not an ARN), and an ARN names its account and Region
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).

Each coordinate is one of:
- a literal (`"us-east-1"`, `"111122223333"`): compared as text;
- a symbol (starts with `~`): a value not written in the stack but provably shared, e.g. the
  Region of one provider that sets none (every resource of that provider is in it) or the
  account of the ambient credentials; equal symbols are the same, anything else is unknown;
- UNKNOWN: computed at run time (unknown at preview): never provably the same;
- None: not modelled (the audit reads one account and Region at a time): always the same.
Pure: no Pulumi imports.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal, Protocol, TypeVar

from trailwatch_policy.base.findings import Problem
from trailwatch_policy.base.model import ANYWHERE, UNKNOWN, Inventory, Ref, Where


class _Placed(Protocol):
    @property
    def where(self) -> Where: ...


T = TypeVar("T", bound=_Placed)

__all__ = [
    "ANYWHERE",
    "Where",
    "Relation",
    "relation",
    "describe",
    "of_arn",
    "symbol",
    "is_symbol",
    "placed",
    "PLACE_FIX",
    "bind_accounts",
    "unknown_place",
    "filter_elsewhere",
    "alarm_elsewhere",
]

Relation = Literal["same", "different", "unknown"]

_ARN = re.compile(r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):")


def symbol(text: str) -> str:
    return "~" + text


def is_symbol(value: object) -> bool:
    return isinstance(value, str) and value.startswith("~")


def _relate(a: object, b: object) -> Relation:
    if a is None or b is None:
        return "same"
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return "same"
        if not is_symbol(a) and not is_symbol(b):
            return "different"
    return "unknown"


def relation(a: Where, b: Where) -> Relation:
    """Whether two resources provably share an account and a Region."""
    if a is b:
        return "same"
    found = {_relate(a.account, b.account), _relate(a.region, b.region)}
    if "different" in found:
        return "different"
    return "unknown" if "unknown" in found else "same"


def describe(where: Where, versus: Where | None = None) -> str:
    """Human text: `account 111122223333, Region us-east-1` (symbols and unknowns worded);
    with `versus`, only what differs from it (the whole place when nothing does)."""
    if versus is not None:
        kept = Where(
            where.account if where.account != versus.account else None,
            where.region if where.region != versus.region else None,
        )
        if kept != ANYWHERE:
            where = kept

    def one(label: str, value: object) -> str | None:
        if value is None:
            return None
        if value is UNKNOWN:
            return f"{label} not known until deployment"
        text = str(value)
        return f"the {label} {text[1:]}" if is_symbol(text) else f"{label} {text}"

    parts = [one("account", where.account), one("Region", where.region)]
    return ", ".join(p for p in parts if p) or "an unmodelled place"


def of_arn(arn: object) -> Where | None:
    """The account and Region an ARN names (None when `arn` is not an ARN).

    An empty Region or account (global services such as IAM) stays unmodelled.
    """
    if not isinstance(arn, str):
        return None
    found = _ARN.match(arn)
    if found is None:
        return None
    return Where(found.group("account") or None, found.group("region") or None)


def placed(ref: Ref, referrer: Where, target_id: str, target: Where, by_name: bool) -> Relation:
    """Whether the resource `ref` reaches is really `target` (one found by id, name or ARN).

    `by_name`: the reference is a name resolved in the referrer's own account and Region
    (a filter's `logGroupName`); otherwise it is an ARN, which names its own account and
    Region (an alarm action, a subscription's topic, a trail's log group ARN). A value
    computed from the target (a property dependency) carries the target's own ARN.
    """
    if by_name:
        return relation(referrer, target)
    if target_id in ref.sources:
        return "same"
    named = of_arn(ref.value)
    if named is None:
        return relation(referrer, target)
    found = relation(named, target)
    if found == "unknown" and target_id in ref.derived:
        # An ARN computed from the target itself (its name + the account and Region of the
        # deployment, e.g. from get_caller_identity): it names the target, unless a literal
        # account or Region in it differs from the target's (then "different" above).
        return "same"
    return found


PLACE_FIX = (
    "create both with the same provider (opts=pulumi.ResourceOptions(provider=...)) "
    "or the same `region=`, or name the exact resource (log_group.name, topic.arn)"
)


def short(resource_id: str) -> str:
    """How a diagnostic names a resource: the logical name of a URN, else the id itself."""
    return repr(resource_id.rsplit("::", 1)[-1]) if resource_id.startswith("urn:") else repr(resource_id)


def unsure(what: str, here: Where, target: str, there: Where) -> str:
    """Why a link is "cannot be verified": the two places as far as they are known."""
    return (
        f"{what} ({describe(here, there)}) and {target} ({describe(there, here)}) are not provably in "
        "one account and Region, and AWS links them only there"
    )


def ref_where(ref: Ref, referrer: Where) -> Where:
    """Where a reference points: the account and Region its ARN names, else the referrer's."""
    return of_arn(ref.value) or referrer


def bind_accounts(inv: Inventory) -> Inventory:
    """Learn the account behind a credentials symbol from the stack's own trails.

    CloudTrail delivers only to a log group of the trail's own account
    (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html),
    so a trail whose log group ARN names account X, created with credentials whose account
    is not written down, runs in X (or AWS refuses the trail): every resource with the same
    credentials is in X. Two trails naming different accounts teach nothing.
    """
    learned: dict[str, set[str]] = {}
    for trail in inv.trails:
        named = of_arn(trail.log_group.value)
        if is_symbol(trail.where.account) and named is not None and isinstance(named.account, str):
            learned.setdefault(str(trail.where.account), set()).add(named.account)
    binding = {k: next(iter(v)) for k, v in learned.items() if len(v) == 1}
    if not binding:
        return inv

    def bound(items: tuple[T, ...]) -> tuple[T, ...]:
        out = []
        for item in items:
            where = item.where
            account = where.account
            if isinstance(account, str) and account in binding:
                item = replace(item, where=Where(binding[account], where.region))  # type: ignore[type-var]
            out.append(item)
        return tuple(out)

    return replace(
        inv,
        trails=bound(inv.trails),
        log_groups=bound(inv.log_groups),
        filters=bound(inv.filters),
        alarms=bound(inv.alarms),
        topics=bound(inv.topics),
        subscriptions=bound(inv.subscriptions),
        composite_alarms=bound(inv.composite_alarms),
    )


# -- the problems a place raises (the chain decides where they sit: trailwatch_policy.chain.places)


def unknown_place(why: str, fix: str) -> Problem:
    """A link whose account or Region cannot be shown to match (`why`: `unsure`'s text):
    cannot be verified."""
    return Problem(
        "unknown",
        "place-unknown",
        f"{why}: the link cannot be verified",
        f"{fix}, or {PLACE_FIX}; for an account written in an ARN, set "
        "aws:allowedAccountIds (or the provider's allowed_account_ids / assume_roles) to it",
    )


def filter_elsewhere(filter_where: Where, group_where: Where, label: str | None) -> Problem:
    """A filter whose log_group_name names the group, created in another account or Region:
    the name resolves where the filter is (PutMetricFilter takes a name, not an ARN)."""
    return Problem(
        "fail",
        "other-account-or-region",
        f"the filter is created in {describe(filter_where, group_where)}, where its "
        f"log_group_name names another log group than {label!r} (in "
        f"{describe(group_where, filter_where)}): "
        "CloudWatch Logs resolves the name in the filter's own account and Region, so "
        "this group is not monitored",
        PLACE_FIX,
    )


def alarm_elsewhere(alarm_where: Where, filter_id: str, filter_where: Where, namespace: str, metric: str) -> Problem:
    """An alarm on the filter's metric in another account or Region: metrics exist only
    where they are published."""
    return Problem(
        "fail",
        "other-account-or-region",
        f"the alarm watches {namespace}/{metric} in {describe(alarm_where, filter_where)}, "
        f"but the metric filter {short(filter_id)} publishes it in "
        f"{describe(filter_where, alarm_where)}: a CloudWatch metric exists only "
        "in the account and Region it is published in, so this alarm watches "
        "nothing",
        PLACE_FIX,
    )
