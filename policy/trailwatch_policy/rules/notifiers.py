"""What else decides whether an alarm reaches someone: KMS keys of topics, composite alarms.

`Notifiers` indexes a stack's (or an audit scope's) KMS keys and composite alarms once, so
the chain links them in linear time; `composite_problems` judges a composite alarm that
watches an alarm (see `composite`). Pure: no Pulumi imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar

from trailwatch_policy.base.findings import Problem
from trailwatch_policy.base.model import UNKNOWN, Alarm, CompositeAlarm, Inventory, Key, MetricTransformation, Topic
from trailwatch_policy.controls import Control, primary
from trailwatch_policy.rules import composite as rules
from trailwatch_policy.rules.alarm import action_problems
from trailwatch_policy.rules.topic import Publisher

__all__ = ["CompositeAlarm", "Notifiers", "composite_problems", "publisher"]

T = TypeVar("T")


def _alias(value: str) -> str | None:
    """`alias/x` or `arn:...:kms:...:alias/x` -> `alias/x`."""
    if value.startswith("alias/"):
        return value
    tail = value.split(":", 5)[-1] if value.startswith("arn:") else ""
    return tail if tail.startswith("alias/") else None


def _key_id(value: str) -> str:
    """`arn:...:kms:...:key/ID` -> ID (other values unchanged)."""
    tail = value.split(":", 5)[-1] if value.startswith("arn:") else value
    return tail.removeprefix("key/")


class Notifiers:
    """KMS keys and composite alarms by the values that name them; read-only once built."""

    def __init__(self, inv: Inventory) -> None:
        keys_by_value: dict[str, list[Key]] = {}
        for key in inv.keys:
            for value in (key.arn, key.key_id, *key.aliases):
                if isinstance(value, str):
                    name = _alias(value) or _key_id(value)
                    keys_by_value.setdefault(name, []).append(key)
        by_source: dict[str, list[CompositeAlarm]] = {}
        by_name: dict[str, list[CompositeAlarm]] = {}
        for comp in inv.composite_alarms:
            for source in comp.rule_sources:
                by_source.setdefault(source, []).append(comp)
            if isinstance(comp.rule, str) and len(comp.rule) <= rules.MAX_RULE:
                for name in rules.referenced(comp.rule):
                    by_name.setdefault(name, []).append(comp)
        self.keys_by_id: Mapping[str, Key] = MappingProxyType({k.id: k for k in inv.keys})
        self.keys_by_value: Mapping[str, tuple[Key, ...]] = _frozen(keys_by_value)
        self.stack_ids = frozenset(t.id for t in inv.topics) | frozenset(self.keys_by_id)
        self.composites_by_source: Mapping[str, tuple[CompositeAlarm, ...]] = _frozen(by_source)
        self.composites_by_name: Mapping[str, tuple[CompositeAlarm, ...]] = _frozen(by_name)

    def keys_of(self, topic: Topic) -> list[Key]:
        value = topic.kms_master_key_id
        if isinstance(value, str):
            return list(self.keys_by_value.get(_alias(value) or _key_id(value), ()))
        if value is UNKNOWN:
            return [self.keys_by_id[s] for s in sorted(topic.kms_key_sources) if s in self.keys_by_id]
        return []

    def composites_of(self, alarm: Alarm) -> list[CompositeAlarm]:
        found = list(self.composites_by_source.get(alarm.id, ()))
        for value in (alarm.name, alarm.arn):
            if isinstance(value, str):
                found += self.composites_by_name.get(value, ())
        return list({c.id: c for c in found}.values())


def _frozen(lists: Mapping[str, list[T]]) -> Mapping[str, tuple[T, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in lists.items()})


def publisher(alarm: Alarm | CompositeAlarm, metric: MetricTransformation) -> Publisher:
    """The alarm as the topic policy sees it (aws:SourceArn, aws:SourceAccount)."""

    def maybe(value: object) -> object:
        return value if isinstance(value, str) else UNKNOWN

    return Publisher(
        alarm.id, maybe(alarm.arn), maybe(alarm.name), maybe(alarm.account), maybe(metric.namespace), maybe(metric.name)
    )


def composite_problems(comp: CompositeAlarm, alarm: Alarm, control: Control | None = None) -> list[Problem]:
    """Why `comp` would not notify each time `alarm` goes to ALARM (empty: it would); the
    messages speak of `control`'s events (the primary control's by default)."""
    c = control or primary()
    problems = action_problems(comp)
    if comp.suppressor is UNKNOWN or isinstance(comp.suppressor, str):
        problems.append(
            Problem(
                "unknown",
                "composite-suppressed",
                "the composite alarm has an actions suppressor: while that alarm is in ALARM its "
                "notifications are suppressed, which trailwatch cannot rule out",
                "remove actions_suppressor from the composite alarm",
            )
        )
    fix = "alarm_rule=alarm.name.apply(lambda n: f'ALARM(\"{n}\")') (OR other alarms if needed)"
    if comp.rule is UNKNOWN:
        return problems + [
            Problem(
                "unknown",
                "composite-rule",
                "the composite alarm's rule is not known yet: whether it goes to ALARM when the "
                "alarm does cannot be told",
                fix,
            )
        ]
    if not isinstance(comp.rule, str):
        return problems + [Problem("fail", "composite-rule", "the composite alarm has no rule", fix)]
    mine = {v for v in (alarm.name, alarm.arn) if isinstance(v, str)}

    def when(ours: str, others: object) -> Callable[[str], object]:
        return lambda name: ours if name in mine else others

    try:
        fires = rules.evaluate(comp.rule, when("ALARM", UNKNOWN))
        stays = [rules.evaluate(comp.rule, when(state, "OK")) for state in ("OK", "INSUFFICIENT_DATA")]
    except rules.RuleError as error:
        return problems + [
            Problem("unknown", "composite-rule", f"trailwatch cannot read the composite alarm's rule: {error}", fix)
        ]
    if not mine:
        return problems + [
            Problem(
                "unknown",
                "composite-rule",
                "the alarm's name is not known yet, so whether the composite's rule names it cannot be told",
                fix,
            )
        ]
    if fires is not True:
        why = (
            "is not TRUE when the alarm is in ALARM"
            if fires is False
            else "is TRUE only if other alarms are in ALARM too"
        )
        problems.append(
            Problem(
                "fail",
                "composite-rule",
                f"the composite alarm's rule {comp.rule!r} {why}: {c.one} does not make it notify",
                fix,
            )
        )
    elif True in stays:
        problems.append(
            Problem(
                "fail",
                "composite-rule",
                f"the composite alarm's rule {comp.rule!r} stays TRUE when the alarm leaves ALARM: "
                f"the composite stays in ALARM and later {c.what} raise no new notification",
                fix,
            )
        )
    return problems
