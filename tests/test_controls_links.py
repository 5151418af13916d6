"""No control is special (issue 21): every link of every control's chain, broken on its own, is
reported by that control's policy only, in that control's words, with a fix naming that
control's resources. Parametrized over the control table; the pack's policies run in-process
through the SDK's own resource objects (policy_helpers.policy_resources)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from control_cases import CASES
from policy_helpers import (
    ALARM,
    FILTER,
    SUBSCRIPTION,
    TOPIC,
    Spec,
    literal_trail_and_topic,
    policy_resources,
    topic_arn,
)
from trailwatch_policy.controls import CONTROLS, Control

GROUP = "aws-cloudtrail-logs-main"
SHARED = "alerts-1a2b3c4"


def chain(c: Control, own_topic: bool = False) -> list[Spec]:
    """The filter and the alarm of control `c`, on the trail's group, notifying the shared
    topic (or a topic of its own)."""
    topic = f"{c.filter}-topic" if own_topic else SHARED
    specs = [
        Spec(
            FILTER,
            c.filter,
            {
                "name": c.filter,
                "logGroupName": GROUP,
                "pattern": c.pattern,
                "metricTransformation": {
                    "name": c.metric,
                    "namespace": "CISBenchmark",
                    "value": "1",
                    "defaultValue": "0",
                },
            },
        ),
        Spec(
            ALARM,
            c.alarm,
            {
                "name": c.alarm,
                "namespace": "CISBenchmark",
                "metricName": c.metric,
                "statistic": "Sum",
                "period": 300.0,
                "threshold": 1.0,
                "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "evaluationPeriods": 1.0,
                "treatMissingData": "notBreaching",
                "actionsEnabled": True,
                "alarmActions": [topic_arn(topic)],
            },
        ),
    ]
    if own_topic:
        specs += [
            Spec(TOPIC, topic, {"name": topic, "arn": topic_arn(topic)}),
            Spec(
                SUBSCRIPTION,
                f"{topic}-email",
                {"topic": topic_arn(topic), "protocol": "email", "endpoint": "security@example.com"},
            ),
        ]
    return specs


def stack(
    change: Callable[[Control, list[Spec]], list[Spec]] | None = None,
    target: Control | None = None,
    rows: tuple[Control, ...] = CONTROLS,
) -> list[Spec]:
    specs = literal_trail_and_topic(GROUP, SHARED)
    for c in rows:
        own = copy.deepcopy(chain(c))
        specs += change(c, own) if change is not None and c is target else own
    return specs


def said(specs: list[Spec]) -> dict[str, list[str]]:
    """Policy name -> its diagnostics (only the control policies that said something)."""
    from pulumi_policy import StackValidationArgs, StackValidationPolicy

    from trailwatch_policy.edge.policies import policies

    args = StackValidationArgs(policy_resources(specs), {})
    out: dict[str, list[str]] = {}
    for policy in policies():
        if isinstance(policy, StackValidationPolicy):
            messages: list[str] = []

            def report(message: str, urn: str | None = None, messages: list[str] = messages) -> None:
                messages.append(message)

            policy.validate(args, report)
            if messages:
                out[policy.name] = messages
    return out


def props(specs: list[Spec], type_: str) -> dict[str, Any]:
    return next(s for s in specs if s.type == type_).props


def set_alarm(**changes: Any) -> Callable[[Control, list[Spec]], list[Spec]]:
    def change(c: Control, specs: list[Spec]) -> list[Spec]:
        props(specs, ALARM).update(changes)
        return specs

    return change


def set_metric(**changes: Any) -> Callable[[Control, list[Spec]], list[Spec]]:
    def change(c: Control, specs: list[Spec]) -> list[Spec]:
        props(specs, FILTER)["metricTransformation"].update(changes)
        return specs

    return change


def no_filter(c: Control, specs: list[Spec]) -> list[Spec]:
    return [s for s in specs if s.type != FILTER]


def noisy_pattern(c: Control, specs: list[Spec]) -> list[Spec]:
    props(specs, FILTER)["pattern"] = CASES[c.id].noisy
    return specs


def own_topic(subscription: dict[str, Any] | None) -> Callable[[Control, list[Spec]], list[Spec]]:
    """The control's alarm notifies a topic of its own, whose only subscription is `subscription`
    (None: no subscription at all)."""

    def change(c: Control, specs: list[Spec]) -> list[Spec]:
        out = [s for s in chain(c, own_topic=True) if s.type != SUBSCRIPTION]
        if subscription is not None:
            topic = f"{c.filter}-topic"
            out.append(Spec(SUBSCRIPTION, f"{topic}-sub", {"topic": topic_arn(topic), **subscription}))
        return out

    return change


#: link -> (how to break it, the code, words the message must say for control c)
LINKS: dict[str, tuple[Callable[[Control, list[Spec]], list[Spec]], str, Callable[[Control], list[str]]]] = {
    "filter": (
        no_filter,
        "no-metric-filter",
        lambda c: [f"has no metric filter for {c.what}", f'LogMetricFilter("{c.filter}"', c.metric],
    ),
    "pattern": (noisy_pattern, "pattern-rejected", lambda c: [f"does not count exactly the {c.what}"]),
    "metric value": (set_metric(value="0"), "metric-value-invalid", lambda c: [f"{c.one} must add"]),
    "alarm threshold": (
        set_alarm(threshold=2.0),
        "alarm-threshold",
        lambda c: [f"{c.one} gives Sum = 1 in a period, and 1 >= 2 is false", f"until several {c.what} happen"],
    ),
    "alarm statistic": (
        set_alarm(statistic="Average"),
        "alarm-threshold",
        lambda c: [f"in a busy log group {c.one} never fires it"],
    ),
    "alarm periods": (
        set_alarm(evaluationPeriods=2.0),
        "alarm-single-event",
        lambda c: [f"a single {c.event} in one period never fires it"],
    ),
    "alarm actions": (set_alarm(actionsEnabled=False), "alarm-actions-disabled", lambda c: [c.alarm]),
    "alarm no actions": (set_alarm(alarmActions=[]), "alarm-no-actions", lambda c: [c.alarm]),
    "topic": (own_topic(None), "topic-no-subscription", lambda c: [f"{c.filter}-topic"]),
    "subscription": (
        own_topic(
            {"protocol": "email", "endpoint": "security@example.com", "filterPolicy": '{"severity": ["critical"]}'}
        ),
        "topic-subscription-filtered",
        lambda c: [f"{c.filter}-topic"],
    ),
}


def test_the_whole_stack_passes_every_control_policy() -> None:
    assert said(stack()) == {}


@pytest.mark.parametrize("link", list(LINKS))
@pytest.mark.parametrize("control", [c.id for c in CONTROLS])
def test_each_link_of_each_control_speaks_of_that_control(control: str, link: str) -> None:
    c = next(c for c in CONTROLS if c.id == control)
    change, code, words = LINKS[link]
    got = said(stack(change, c))
    assert list(got) == [c.policy], got  # that control's policy only
    text = "\n".join(got[c.policy])
    assert f"[{code}]" in text, text
    for w in words(c):
        assert w in text, (w, text)
    others = [o for o in CONTROLS if o is not c]
    for o in others:  # never another control's words or names
        assert o.what not in text and f'"{o.filter}"' not in text and o.metric not in text, (o.id, text)
