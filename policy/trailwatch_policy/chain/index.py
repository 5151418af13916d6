"""The inventory resolved once per evaluation: references, names, places, what cannot be known.

`build` links every reference of an `Inventory` once, so judging is linear in the number of
resources: which filters reach which CloudTrail log group (in its account and Region, see
`chain.places`), which alarms watch which metric, which subscriptions are on which topic,
the KMS keys and composite alarms (`notifiers.Notifiers`), and what cannot be known: the
references not resolved yet (a filter's log group, an alarm's metric, a subscription's
topic), the links whose place cannot be shown to match (`Reach.unsure`), and the resources
whose input could not be read (`unreadable`).

A `StackIndex` is frozen: tuples and read-only mappings. Nothing writes to it while the
links judge; what a link learns about a pair it meets (an alarm action, an alarm on a
filter's metric) it returns in its `Outcome`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from trailwatch_policy.base.model import UNKNOWN, Alarm, Inventory, LogGroup, MetricFilter, Subscription, Topic
from trailwatch_policy.chain.places import Reach, filter_on_group, filter_on_named_group, subscription_on_topic
from trailwatch_policy.rules import alarm as alarm_rules
from trailwatch_policy.rules import notifiers
from trailwatch_policy.rules.log_group import (
    CloudTrailLogGroup,
    Index,
    cloudtrail_log_groups,
    known,
    log_group_name_from_arn,
    ref_is_set,
    sns_topic_name_from_arn,
)
from trailwatch_policy.rules.options import ChainOptions

K = TypeVar("K")
V = TypeVar("V")


def _frozen(lists: Mapping[K, list[V]]) -> Mapping[K, tuple[V, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in lists.items()})


@dataclass(frozen=True)
class Target:
    """One CloudTrail log group to judge, with the filters that may count for it.

    `filters`: the filters on it, in the stack's order (`Reach.unsure`: not provably in its
    account and Region); `misplaced`: filters whose log_group_name names it from another
    account or Region (they monitor another group of that name).
    """

    group: CloudTrailLogGroup
    filters: tuple[Reach[MetricFilter], ...] = ()
    misplaced: tuple[MetricFilter, ...] = ()


@dataclass(frozen=True)
class StackIndex:
    """Everything the links read, resolved once (see the module docstring)."""

    targets: tuple[Target, ...]  # the CloudTrail log groups, in `cloudtrail_log_groups` order
    log_groups: Index[LogGroup]
    filters_unresolved: tuple[MetricFilter, ...]  # log group not known yet: may be any group's
    alarms_of_metric: Mapping[tuple[str, str], tuple[Alarm, ...]]  # (namespace, name) -> alarms
    alarms_unresolved: tuple[Alarm, ...]  # metric not known yet: may watch any filter's metric
    topics: Index[Topic]
    subs_of_topic: Mapping[str, tuple[Reach[Subscription], ...]]  # topic id -> subscriptions
    subs_unresolved: tuple[Subscription, ...]  # topic not known yet: may be on any topic
    notifiers: notifiers.Notifiers  # KMS keys and composite alarms
    unreadable: Mapping[str, str]  # resource id -> why its input was not read


def build(inv: Inventory, options: ChainOptions, unreadable: Mapping[str, str] | None = None) -> StackIndex:
    """Index `inv` (its accounts already bound: `where.bind_accounts`) for `options`."""
    groups: Index[LogGroup] = Index.of(inv.log_groups)
    filters_of_group: dict[str, list[Reach[MetricFilter]]] = {}
    filters_of_name: dict[str, list[MetricFilter]] = {}
    filters_unresolved: list[MetricFilter] = []
    misplaced: dict[str, list[MetricFilter]] = {}  # group id -> filters elsewhere
    for flt in inv.filters:
        found = groups.resolve(flt.log_group, log_group_name_from_arn)
        for group in found:
            reach = filter_on_group(flt, group)
            if reach is None:
                misplaced.setdefault(group.id, []).append(flt)
            else:
                filters_of_group.setdefault(group.id, []).append(reach)
        value = flt.log_group.value
        if known(value):
            name = log_group_name_from_arn(value) or value
            filters_of_name.setdefault(name, []).append(flt)
        elif not found and ref_is_set(flt.log_group):
            filters_unresolved.append(flt)
    alarms_of_metric: dict[tuple[str, str], list[Alarm]] = {}
    alarms_unresolved: list[Alarm] = []
    for alarm in inv.alarms:
        keys = set()
        unresolved = False
        for watch in alarm_rules.watches(alarm):
            if known(watch.namespace) and known(watch.metric_name):
                keys.add((watch.namespace, watch.metric_name))
            elif watch.namespace is UNKNOWN or watch.metric_name is UNKNOWN:
                unresolved = True
        for key in keys:
            alarms_of_metric.setdefault(key, []).append(alarm)
        if unresolved and not keys:
            alarms_unresolved.append(alarm)
    topics: Index[Topic] = Index.of(inv.topics)
    subs_of_topic: dict[str, list[Reach[Subscription]]] = {}
    subs_unresolved: list[Subscription] = []
    for sub in inv.subscriptions:
        on = topics.resolve(sub.topic, sns_topic_name_from_arn)
        for topic in on:
            on_topic = subscription_on_topic(sub, topic)
            if on_topic is not None:
                subs_of_topic.setdefault(topic.id, []).append(on_topic)
        if not on and not known(sub.topic.value) and ref_is_set(sub.topic):
            subs_unresolved.append(sub)
    notify = notifiers.Notifiers(inv)
    targets = []
    for ct in cloudtrail_log_groups(inv, options, groups):
        if ct.log_group is not None:
            gid = ct.log_group.id
            targets.append(Target(ct, tuple(filters_of_group.get(gid, ())), tuple(misplaced.get(gid, ()))))
        elif known(ct.name):  # outside the stack: in the account and Region its ARN names
            reaches = (filter_on_named_group(f, ct.name, ct.where) for f in filters_of_name.get(ct.name, ()))
            targets.append(Target(ct, tuple(r for r in reaches if r is not None)))
        else:  # a trail's target not known yet: nothing to link
            targets.append(Target(ct))
    return StackIndex(
        targets=tuple(targets),
        log_groups=groups,
        filters_unresolved=tuple(filters_unresolved),
        alarms_of_metric=_frozen(alarms_of_metric),
        alarms_unresolved=tuple(alarms_unresolved),
        topics=topics,
        subs_of_topic=_frozen(subs_of_topic),
        subs_unresolved=tuple(subs_unresolved),
        notifiers=notify,
        unreadable=MappingProxyType(dict(unreadable or {})),
    )
