"""The chain resolves once, then judges (trailwatch_policy.chain): the index is built once per
evaluation and nothing writes to it while the links judge; a place is decided per link, the
same whichever link is judged first; a finding's code is checked when it is built."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from test_policy_chain import SNS_ARN, good, merge
from trailwatch_policy.base.findings import Finding
from trailwatch_policy.base.model import UNKNOWN, Ref, Where
from trailwatch_policy.chain import Evaluation, evaluate
from trailwatch_policy.chain.index import StackIndex
from trailwatch_policy.controls import table
from trailwatch_policy.rules.where import symbol

CREDS = symbol("credentials")


def _snapshot(index: StackIndex) -> dict[str, object]:
    """Every field of the index, its mappings copied (a write would show as a difference)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(index):
        value = getattr(index, f.name)
        out[f.name] = dict(value) if hasattr(value, "keys") else value
    return out


def test_the_index_is_frozen_and_judging_every_control_leaves_it_as_built() -> None:
    inv = merge(good(n="1", group="g1"), good(style="literal", n="2", group="g2"))
    # a subscription whose place is unsure and an alarm whose metric is unknown: the links
    # judging them must not record anything in the index
    inv = replace(
        inv,
        subscriptions=inv.subscriptions
        + (replace(inv.subscriptions[1], id="s-away", where=Where(CREDS, "us-east-1")),),
        alarms=inv.alarms + (replace(inv.alarms[0], id="a-unknown", metric_name=UNKNOWN),),
    )
    evaluation = Evaluation(inv)
    index = evaluation._index
    before = _snapshot(index)
    for control in table().rows:
        evaluation.control(control)
    assert _snapshot(index) == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        index.unreadable = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        index.alarms_of_metric[("x", "y")] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        index.topics.by_id["x"] = index.topics.by_id["tp1"]  # type: ignore[index]
    assert isinstance(index.filters_unresolved, tuple) and isinstance(index.targets, tuple)


def test_a_proven_alarm_action_is_not_made_unsure_by_another_action_on_the_same_topic() -> None:
    """The alarm names its topic twice: by an ARN whose account is not provably the topic's
    (place unknown) and by the topic's own output (provably the same). The proven action
    notifies; the verdict does not depend on which action comes first."""
    inv = good()  # linked by sources: the alarm's action is the topic's own ARN output
    topic = replace(inv.topics[0], where=Where(CREDS, "us-east-1"))
    alarm = inv.alarms[0]
    unsure = Ref(SNS_ARN + "alerts")  # a literal ARN of account 123456789012, resolved by name
    proven = alarm.alarm_actions[0]
    for actions in ((unsure, proven), (proven, unsure)):
        changed = replace(inv, topics=(topic,), alarms=(replace(alarm, alarm_actions=actions),))
        [result] = evaluate(changed)
        assert (result.status, result.findings) == ("pass", ()), actions
    [result] = evaluate(replace(inv, topics=(topic,), alarms=(replace(alarm, alarm_actions=(unsure,)),)))
    assert result.status == "unknown" and [f.code for f in result.findings] == ["place-unknown"]


def test_a_finding_checks_its_code_when_it_is_built() -> None:
    with pytest.raises(ValueError, match="unknown finding code 'alarm-treshold'"):
        Finding("urn:a", "alarm", "fail", "alarm-treshold", "m", "f")  # type: ignore[arg-type]
    assert Finding("urn:a", "alarm", "fail", "alarm-threshold", "m", "f").code == "alarm-threshold"
