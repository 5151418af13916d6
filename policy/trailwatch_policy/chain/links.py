"""The links of one chain, from the CloudTrail log group to the person notified.

log group -> metric filter -> metric -> alarm -> (its actions | a composite alarm) -> topic
-> subscription. Each link is a function of a `Scope` -- the frozen index, the options and
the one control judged -- and the resources it meets, and returns an `Outcome`. The rules
(AWS semantics, and the texts of the problems they raise) are the rule modules'
(`metric_filter`, `alarm`, `notifiers`, `topic`, `trail`, `where`); here they are only
called, combined (`outcome.alternatives` / `outcome.sequence`) and placed on the resource a
user edits.

The seams:
- the control parameter: `Scope.control`, resolved once by the evaluation; no link has a
  control of its own or falls back to the primary one;
- alarm or composite: `notified` -- an alarm notifies through its own actions or through a
  composite alarm that goes to ALARM with it;
- placement: `chain.places` (a `Reach.unsure` becomes `places.checked`);
- hostile input: `chain.contain.unreadable`, asked first by every link whose resource has
  an input of its own.

`Memo` keeps the outcomes judged once per evaluation: a topic per publishing alarm, the
alarms on one metric, the links not resolved yet (shared by every chain that may use them).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from trailwatch_policy.base.findings import Finding, Link, Shared, unique
from trailwatch_policy.base.model import UNKNOWN, Alarm, MetricFilter, MetricTransformation, Topic
from trailwatch_policy.chain import places
from trailwatch_policy.chain.contain import unreadable
from trailwatch_policy.chain.index import StackIndex, Target
from trailwatch_policy.chain.outcome import (
    LogGroupResult,
    Outcome,
    alternatives,
    dedupe,
    problems,
    sequence,
    with_args,
)
from trailwatch_policy.controls import Control
from trailwatch_policy.rules import alarm as alarm_rules
from trailwatch_policy.rules import metric_filter as filter_rules
from trailwatch_policy.rules import notifiers
from trailwatch_policy.rules import trail as trail_rules
from trailwatch_policy.rules import where as places_rules
from trailwatch_policy.rules.log_group import known, ref_is_set, sns_topic_name_from_arn
from trailwatch_policy.rules.metric_filter import fix_args, meant_for_another_control, metric_problems, pattern_problems
from trailwatch_policy.rules.options import ChainOptions
from trailwatch_policy.rules.topic import Publisher, topic_problems

F = TypeVar("F")


@dataclass
class Memo:
    """Outcomes judged once per evaluation, shared by every control judged on it."""

    topics: dict[tuple[str, str], Outcome] = field(default_factory=dict)  # (topic, publisher)
    # Many filters may publish the same metric (one per trail log group): the alarms on it
    # are judged once per metric and control, not once per filter.
    metrics: dict[tuple[object, ...], Outcome] = field(default_factory=dict)
    # Links not resolved yet are judged once, not once per chain that may use them.
    unresolved_filters: dict[str, Outcome] = field(default_factory=dict)  # per control
    unresolved_alarms: dict[tuple[object, ...], Outcome] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """What every link reads: the index, the options, the control judged, and the memo."""

    index: StackIndex
    options: ChainOptions
    control: Control
    memo: Memo


def _candidates(s: Scope, filters: Iterable[F], of: Callable[[F], MetricFilter]) -> list[F]:
    """The filters that may be meant for this control: all but those meant for another
    control of the section, so a log group with a filter per control is not told the other
    14 count the wrong thing."""
    return [f for f in filters if not meant_for_another_control(of(f), s.options, s.control)]


def _itself(flt: MetricFilter) -> MetricFilter:
    return flt


def _reached(reach: places.Reach[MetricFilter]) -> MetricFilter:
    return reach.item


# -- the log group ---------------------------------------------------------------------------


def log_group(s: Scope, target: Target) -> LogGroupResult:
    """The verdict for one CloudTrail log group: any working chain through it is enough."""
    group, control, ix = target.group, s.control, s.index
    name = group.name if known(group.name) else None
    where = group.report_id or ""
    # A name the provider invents (autoname) is never shown: it changes on replacement
    # and the offline engine's is not the one AWS will get. Say which resource instead.
    label, literal = name, name
    declared = group.log_group
    if declared is not None and (declared.autonamed or name is None):
        prefix = declared.name_prefix
        label = places_rules.short(declared.id)[1:-1] + (
            f" (name_prefix {prefix!r})" if known(prefix) and name is None else " (autonamed)"
        )
        literal = None
    link: Link = "log-group" if group.log_group is not None else "trail"
    if group.name is UNKNOWN and group.log_group is None:
        status, findings = problems([trail_rules.log_group_unknown()], where, "trail", None)
        return LogGroupResult(
            UNKNOWN, None, status, dedupe(f for f in findings if isinstance(f, Finding)), group.trails
        )
    outcomes = [
        sequence(
            [
                places.checked(r, r.item.id, "metric-filter", "log_group_name=log_group.name", label),
                metric_filter(s, r.item, label),
            ]
        )
        for r in _candidates(s, target.filters, _reached)
    ]
    if ix.filters_unresolved:
        outcomes.append(unresolved_filters(s))
    if not outcomes:
        why = "a trail delivers to it" if group.trails else "its name marks it as a CloudTrail log group"
        outcomes.append(
            problems(
                [filter_rules.no_filter(label, group.log_group is None, why, literal, control)], where, link, label
            )
        )
        gwhere = group.log_group.where if group.log_group is not None else group.where
        outcomes.extend(
            problems([places_rules.filter_elsewhere(f.where, gwhere, label)], f.id, "metric-filter", label)
            # this control's filters only: another control's misplaced filter is its own
            # policy's finding (one misplaced component: one finding per control, not 15)
            for f in _candidates(s, target.misplaced, _itself)
        )
    if group.log_group is not None:
        cannot = unreadable(ix.unreadable, group.log_group.id, "log-group", label)
        if cannot is not None:
            outcomes = [sequence([cannot, alternatives(outcomes)])]
    status, items = alternatives(outcomes)
    shared = tuple(unique((i for i in items if isinstance(i, Shared)), id))
    labelled = (f if f.log_group == label else replace(f, log_group=label) for f in items if isinstance(f, Finding))
    return LogGroupResult(group.name, group.id, status, dedupe(labelled), group.trails, shared)


def unresolved_filters(s: Scope) -> Outcome:
    """Filters whose log group is not known yet, judged once per control: any of them may
    be the filter of any CloudTrail log group (one shared alternative for every group)."""
    found = s.memo.unresolved_filters.get(s.control.id)
    if found is None:
        status, items = alternatives(
            sequence(
                [
                    problems([filter_rules.log_group_unknown()], flt.id, "metric-filter", None),
                    metric_filter(s, flt, None),
                ]
            )
            for flt in _candidates(s, s.index.filters_unresolved, _itself)
        )
        found = s.memo.unresolved_filters[s.control.id] = (status, [Shared(items)])
    return found


# -- the metric filter and its metric ----------------------------------------------------------


def metric_filter(s: Scope, flt: MetricFilter, group: str | None) -> Outcome:
    cannot = unreadable(s.index.unreadable, flt.id, "metric-filter", group)
    if cannot is not None:
        return cannot
    control = s.control
    pattern = problems(pattern_problems(flt, s.options, control), flt.id, "metric-filter", group)
    value = flt.log_group.value
    if known(value) and value.startswith("arn:"):
        pattern = sequence([pattern, problems([filter_rules.log_group_arn(value)], flt.id, "metric-filter", group)])
    if not flt.metrics:
        return sequence([pattern, problems([filter_rules.no_metric(control)], flt.id, "metric-filter", group)])
    first = flt.metrics[0]
    own = with_args(
        sequence([pattern, alternatives(metric(s, flt, m, group) for m in flt.metrics)]),
        namespace=first.namespace,
        metric=first.name,
        filter=flt.name,
    )
    return with_args(own, **dict(fix_args(control)))  # the control's names where the filter has none


def _dims_key(metric: MetricTransformation) -> object:
    dims = metric.dimensions
    return "?" if dims is UNKNOWN else tuple(sorted(dims.items())) if isinstance(dims, dict) else ()


def metric(s: Scope, flt: MetricFilter, m: MetricTransformation, group: str | None) -> Outcome:
    control, ix = s.control, s.index
    value = problems(metric_problems(m, control), flt.id, "metric-filter", group)
    ns, name = m.namespace, m.name
    if ns is UNKNOWN or name is UNKNOWN:
        return sequence([value, problems([filter_rules.metric_unknown(control)], flt.id, "metric-filter", group)])
    if not known(ns) or not known(name):
        return sequence([value, problems([filter_rules.unnamed_metric(control)], flt.id, "metric-filter", group)])
    if (ns, name) not in ix.alarms_of_metric and not ix.alarms_unresolved:
        missing = filter_rules.unwatched_metric(ns, name, control)
        return sequence([value, problems([missing], flt.id, "metric-filter", group)])
    # per control too: the messages speak of the control's events
    key = (ns, name, m.value, _dims_key(m), flt.where, control)
    found = s.memo.metrics.get(key)
    if found is None:  # findings below the filter carry no group: log_group() labels them
        found = s.memo.metrics[key] = alarms_on(s, m, flt)
    return sequence([value, found])


# -- the alarms on a metric ----------------------------------------------------------------------


def alarms_on(s: Scope, m: MetricTransformation, flt: MetricFilter) -> Outcome:
    """The alarms on one metric of `flt`, as alternatives; metrics exist only in their own
    account and Region (`places.alarms_of_filter`)."""
    ix = s.index
    ns, name = m.namespace, m.name
    alarms = ix.alarms_of_metric.get((ns, name), ()) if known(ns) and known(name) else ()
    near, away = places.alarms_of_filter(flt, alarms)
    if away and not near and not ix.alarms_unresolved:
        return alternatives(
            problems(
                [places_rules.alarm_elsewhere(a.where, flt.id, flt.where, str(ns), str(name))], a.id, "alarm", None
            )
            for a in away
        )
    outcomes: Iterable[Outcome] = (
        sequence(
            [
                places.checked(r, r.item.id, "alarm", "the alarm and the filter with one provider", None),
                alarm(s, r.item, m, None),
            ]
        )
        for r in near
    )
    if ix.alarms_unresolved:
        outcomes = itertools.chain(outcomes, [unresolved_alarms(s, m)])
    return alternatives(outcomes)


def unresolved_alarms(s: Scope, m: MetricTransformation) -> Outcome:
    """Alarms whose metric is not known yet, each judged once per kind of metric (value,
    default, dimensions) -- not once per metric -- as one shared alternative."""
    key = (m.value, m.default_value, _dims_key(m), s.control)
    found = s.memo.unresolved_alarms.get(key)
    if found is None:
        anonymous = replace(m, namespace=UNKNOWN, name=UNKNOWN)
        status, items = alternatives(
            sequence(
                [
                    problems([alarm_rules.metric_unknown(s.control)], a.id, "alarm", None),
                    alarm(s, a, anonymous, None),
                ]
            )
            for a in s.index.alarms_unresolved
        )
        found = s.memo.unresolved_alarms[key] = (status, [Shared(items)])
    return found


def alarm(s: Scope, a: Alarm, m: MetricTransformation, group: str | None) -> Outcome:
    """One alarm on the filter's metric: it goes to ALARM on one event, and notifies."""
    cannot = unreadable(s.index.unreadable, a.id, "alarm", group)
    if cannot is not None:
        return cannot
    topic_arn = next((r.value for r in a.alarm_actions if known(r.value) and sns_topic_name_from_arn(r.value)), None)
    own = sequence(
        [
            problems(alarm_rules.action_problems(a), a.id, "alarm", group),
            actions(s, a, group, notifiers.publisher(a, m)),
        ]
    )
    state = problems(alarm_rules.state_problems(a, m, s.control), a.id, "alarm", group)
    return with_args(
        sequence([state, notified(s, a, m, group, own)]), namespace=m.namespace, metric=m.name, topic=topic_arn
    )


def notified(s: Scope, a: Alarm, m: MetricTransformation, group: str | None, own: Outcome) -> Outcome:
    """The alarm/composite seam: the alarm's `own` actions, or a composite alarm that
    notifies when the alarm is in ALARM (any one is enough)."""
    composites = (composite(s, c, a, m, group) for c in s.index.notifiers.composites_of(a))
    return alternatives(itertools.chain([own], composites))


def composite(
    s: Scope, comp: notifiers.CompositeAlarm, a: Alarm, m: MetricTransformation, group: str | None
) -> Outcome:
    rule = problems(notifiers.composite_problems(comp, a, s.control), comp.id, "alarm", group)
    if rule[0] == "fail":
        return rule
    return sequence([rule, actions(s, comp, group, notifiers.publisher(comp, m))])


# -- the alarm's actions and the topic -------------------------------------------------------------


def actions(
    s: Scope, a: Alarm | notifiers.CompositeAlarm, group: str | None, publisher: Publisher | None = None
) -> Outcome:
    """Whether any action of the alarm reaches a topic that reaches someone."""
    if not a.alarm_actions:
        return "fail", []  # reported by alarm_problems as alarm-no-actions
    outcomes: list[Outcome] = []
    unknown = 0
    others: list[str] = []
    for ref in a.alarm_actions:
        reached = places.action_topics(s.index.topics, ref, a)
        if reached:
            outcomes.extend(
                sequence(
                    [
                        places.checked(r, a.id, "alarm", "alarm_actions=[topic.arn]", group),
                        topic(s, r.item, group, publisher) if r.item.exists else _missing_topic(a, r.item, group),
                    ]
                )
                for r in reached
            )
        elif known(ref.value):
            if not sns_topic_name_from_arn(ref.value):
                others.append(ref.value)
            elif s.options.topics_complete:  # the reader should have read it
                outcomes.append(problems([alarm_rules.topic_unread(ref.value)], a.id, "alarm", group))
            else:
                outcomes.append(("pass", []))  # a topic outside the stack: not inspectable
        elif ref_is_set(ref):
            unknown += 1
    if unknown:
        outcomes.append(problems([alarm_rules.actions_unknown(unknown)], a.id, "alarm", group))
    if not outcomes:
        return problems([alarm_rules.no_topic(others)], a.id, "alarm", group)
    return alternatives(outcomes)


def _missing_topic(a: Alarm | notifiers.CompositeAlarm, t: Topic, group: str | None) -> Outcome:
    """The alarm names a topic the reader found gone: notifications go nowhere."""
    arn = t.arn if known(t.arn) else t.id
    return problems([alarm_rules.topic_missing(arn, sns_topic_name_from_arn(arn) or arn)], a.id, "alarm", group)


def topic(s: Scope, t: Topic, group: str | None, publisher: Publisher | None = None) -> Outcome:
    """Whether the topic takes the alarm's notification and someone receives it."""
    publisher = publisher or Publisher()
    key = (t.id, publisher.id)
    found = s.memo.topics.get(key)
    if found is None:
        found = s.memo.topics[key] = _topic(s, t, group, publisher)
    return found


def _topic(s: Scope, t: Topic, group: str | None, publisher: Publisher) -> Outcome:
    ix = s.index
    reaches = ix.subs_of_topic.get(t.id, ())
    cannot = unreadable(ix.unreadable, t.id, "topic", group) or next(
        (unreadable(ix.unreadable, r.item.id, "subscription", group) for r in reaches if r.item.id in ix.unreadable),
        None,
    )
    if cannot is not None:
        return cannot
    found = problems(
        topic_problems(
            t,
            [r.item for r in reaches],
            ix.subs_unresolved,
            s.options.require_subscription,
            s.options.preview,
            publisher,
            ix.notifiers.keys_of(t),
            s.options.topics_complete,
            ix.notifiers.stack_ids,
        ),
        t.id,
        "topic",
        group,
    )
    if reaches and all(r.unsure is not None for r in reaches):  # no subscription provably on it
        found = sequence(
            [found, *(places.checked(r, r.item.id, "subscription", "topic=topic.arn", group) for r in reaches)]
        )
    return found
