"""Placement: which resources a link reaches in its own account and Region.

A metric filter names a log group of its own account and Region, an alarm watches a
metric of its own, and an ARN (an alarm action, a subscription's topic) names its own
(AWS semantics and citations: `trailwatch_policy.rules.where`). Every place decision of the
chain is one of the functions below, each returning the resources that may be reached as
`Reach`es (a resource provably elsewhere is left out, or returned apart when a finding
names it). The index calls them once when it is built; the links call them for the
pairs they meet (an alarm action, a filter and the alarms on its metric), and nothing
is stored: the same pair always gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from trailwatch_policy.base.findings import Link
from trailwatch_policy.base.model import Alarm, CompositeAlarm, LogGroup, MetricFilter, Ref, Subscription, Topic, Where
from trailwatch_policy.chain.outcome import Outcome, problems
from trailwatch_policy.rules import where as places
from trailwatch_policy.rules.log_group import Index, sns_topic_name_from_arn

T = TypeVar("T", covariant=True)


@dataclass(frozen=True)
class Reach(Generic[T]):
    """A resource a link may reach; `unsure` says why it is not provably in the account
    and Region the link needs (None: it provably is)."""

    item: T
    unsure: str | None = None


def filter_on_group(flt: MetricFilter, group: LogGroup) -> Reach[MetricFilter] | None:
    """A filter whose log_group_name resolves to a declared `group`; None when the filter is
    created elsewhere (its name then names another group: see `where.filter_elsewhere`)."""
    rel = places.placed(flt.log_group, flt.where, group.id, group.where, True)
    if rel == "different":
        return None
    if rel == "unknown":
        why = places.unsure("the filter", flt.where, f"log group {places.short(group.id)}", group.where)
        return Reach(flt, why)
    return Reach(flt)


def filter_on_named_group(flt: MetricFilter, name: str, where: Where) -> Reach[MetricFilter] | None:
    """A filter naming a log group outside the stack, which lives at `where` (None: the
    filter is elsewhere, so its name is another group's)."""
    rel = places.relation(flt.where, where)
    if rel == "different":
        return None
    if rel == "unknown":
        return Reach(flt, places.unsure("the filter", flt.where, f"log group {name!r}", where))
    return Reach(flt)


def subscription_on_topic(sub: Subscription, topic: Topic) -> Reach[Subscription] | None:
    """A subscription whose topic reference resolves to `topic` (None: a same-named topic of
    another account or Region)."""
    rel = places.placed(sub.topic, sub.where, topic.id, topic.where, False)
    if rel == "different":
        return None
    if rel == "unknown":
        why = places.unsure(
            f"the subscription's topic {sub.topic.value or ''}".rstrip(),
            places.ref_where(sub.topic, sub.where),
            f"topic {places.short(topic.id)}",
            topic.where,
        )
        return Reach(sub, why)
    return Reach(sub)


def action_topics(topics: Index[Topic], ref: Ref, alarm: Alarm | CompositeAlarm) -> list[Reach[Topic]]:
    """The topics of the stack an alarm action reaches (a same-named topic of another
    account or Region is not this one)."""
    out = []
    for t in topics.resolve(ref, sns_topic_name_from_arn):
        rel = places.placed(ref, alarm.where, t.id, t.where, False)
        if rel == "different":
            continue
        why = None
        if rel == "unknown":
            why = places.unsure(
                f"the alarm's action {ref.value or ''}".rstrip(),
                places.ref_where(ref, alarm.where),
                f"topic {places.short(t.id)}",
                t.where,
            )
        out.append(Reach(t, why))
    return out


def alarms_of_filter(flt: MetricFilter, alarms: Iterable[Alarm]) -> tuple[list[Reach[Alarm]], list[Alarm]]:
    """The alarms on a filter's metric that may watch it, and those provably elsewhere
    (a CloudWatch metric exists only in the account and Region it is published in)."""
    near: list[Reach[Alarm]] = []
    away: list[Alarm] = []
    for a in alarms:
        rel = places.relation(flt.where, a.where)
        if rel == "different":
            away.append(a)
        elif rel == "unknown":
            why = places.unsure(
                "the alarm", a.where, f"the metric filter {places.short(flt.id)} publishing its metric", flt.where
            )
            near.append(Reach(a, why))
        else:
            near.append(Reach(a))
    return near, away


def checked(reach: Reach[object], resource_id: str, link: Link, fix: str, group: str | None) -> Outcome:
    """The place part of a link: a pass, or "cannot be verified" (place-unknown) on the
    resource to edit."""
    if reach.unsure is None:
        return "pass", []
    return problems([places.unknown_place(reach.unsure, fix)], resource_id, link, group)
