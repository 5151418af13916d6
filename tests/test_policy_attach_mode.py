"""Attach mode: a stack whose filter targets a CloudTrail log group it does not declare.

The rule (docs/policy-pack.md, "Which log groups are CloudTrail's"): a group outside the stack
is judged when a metric filter of the stack targets it and either the pack config names it
(`logGroupNames`, `logGroupNamePatterns`) or the filter is an attempt at any control (for
4.1: its pattern mentions errorCode with a denial code, or it is named for unauthorized calls).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from policy_helpers import CIS_12, CIS_20
from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    Inventory,
    MetricFilter,
    MetricTransformation,
    Ref,
    Subscription,
    Topic,
    Trail,
)
from trailwatch_policy.chain import ChainOptions, evaluate
from trailwatch_policy.rules.metric_filter import attempts_the_control
from trailwatch_policy.rules.options import options_from_config

SNS_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"
LG_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:"
CONTROL_TOWER = "aws-controltower/CloudTrailLogs"
ROOT_USAGE = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'


def attached(
    group: str = CONTROL_TOWER,
    pattern: Any = CIS_20,
    metric: str = "UnauthorizedAPICalls",
    threshold: float = 1.0,
    name: str = "Unauthorized_API_Calls",
) -> Inventory:
    """What the component registers in attach mode: no trail, no log group, a literal name."""
    return Inventory(
        filters=(MetricFilter("f", name, Ref(group), pattern, (MetricTransformation(metric, "CISBenchmark", "1"),)),),
        alarms=(
            Alarm(
                "a",
                "a",
                "CISBenchmark",
                metric,
                statistic="Sum",
                period=300.0,
                threshold=threshold,
                comparison="GreaterThanOrEqualToThreshold",
                evaluation_periods=1.0,
                treat_missing_data="notBreaching",
                alarm_actions=(Ref(UNKNOWN, frozenset({"tp"})),),
            ),
        ),
        topics=(Topic("tp", "alerts", UNKNOWN),),
        subscriptions=(Subscription("s", Ref(UNKNOWN, frozenset({"tp"})), "email", "x@example.com"),),
    )


def results(inv: Inventory, options: ChainOptions | None = None) -> list[tuple[object, str, list[str]]]:
    return [(r.name, r.status, [f.code for f in r.findings]) for r in evaluate(inv, options)]


def test_a_working_attached_chain_passes_and_is_judged():
    assert results(attached()) == [(CONTROL_TOWER, "pass", [])]


def test_a_broken_alarm_behind_an_attempt_fails_without_any_config():
    assert results(attached(threshold=5)) == [(CONTROL_TOWER, "fail", ["alarm-threshold"])]


def test_a_pattern_that_misses_denials_fails():
    [(name, status, codes)] = results(attached(pattern='{ $.errorCode = "AccessDenied" }'))
    assert (name, status, codes) == (CONTROL_TOWER, "fail", ["pattern-rejected"])


def test_configured_name_makes_any_filter_on_it_judged():
    inv = attached(group="org-logs", pattern=ROOT_USAGE, metric="RootUsage", name="root")
    # Issue 21 (was: not judged): a filter written for any control -- here 4.3's -- marks the
    # group as CloudTrail's, so it owes every control; 4.1 finds no filter of its own there.
    assert results(inv) == [("org-logs", "fail", ["no-metric-filter"])]
    assert [r.name for r in evaluate(inv, control="4.3")] == ["org-logs"]
    # Configured: the group owes 4.1; the root-usage filter is CIS 4.3's (judged by its own
    # policy, root-usage-monitored), so for 4.1 the group has no filter at all.
    named = options_from_config({"logGroupNames": ["org-logs"]})
    assert results(inv, named) == [("org-logs", "fail", ["no-metric-filter"])]
    patterned = options_from_config({"logGroupNamePatterns": ["^org-"]})
    assert results(inv, patterned) == [("org-logs", "fail", ["no-metric-filter"])]


def test_default_pattern_names_the_consoles_groups():
    inv = attached(group="aws-cloudtrail-logs-123-abc", pattern=ROOT_USAGE, metric="RootUsage", name="root")
    assert results(inv) == [("aws-cloudtrail-logs-123-abc", "fail", ["no-metric-filter"])]


def test_a_stack_declaring_nothing_on_a_configured_group_owes_nothing():
    assert evaluate(Inventory(), options_from_config({"logGroupNames": [CONTROL_TOWER]})) == []
    alarm_only = replace(attached(), filters=())
    assert evaluate(alarm_only, options_from_config({"logGroupNames": [CONTROL_TOWER]})) == []


def test_a_filter_by_arn_is_the_same_group_and_one_working_filter_is_enough():
    # The same group, but AWS refuses an ARN as logGroupName (PutMetricFilter: a name
    # matching [.-_/#A-Za-z0-9]+), so that filter monitors nothing.
    by_arn = replace(attached(), filters=(replace(attached().filters[0], log_group=Ref(LG_ARN + CONTROL_TOWER)),))
    assert results(by_arn) == [(CONTROL_TOWER, "fail", ["filter-log-group-arn"])]
    broken = replace(attached().filters[0], id="f2", pattern='{ $.errorCode = "AccessDenied" }')
    both = replace(attached(), filters=attached().filters + (broken,))
    assert results(both) == [(CONTROL_TOWER, "pass", [])]


def test_an_organisation_trail_and_a_filter_on_its_group_give_one_result():
    inv = replace(attached(threshold=5), trails=(Trail("trail", "org", Ref(LG_ARN + CONTROL_TOWER + ":*")),))
    [result] = evaluate(inv)
    assert (result.name, result.id, result.status, result.trails) == (CONTROL_TOWER, None, "fail", ("trail",))
    assert [f.code for f in result.findings] == ["alarm-threshold"]


def test_a_filter_on_a_declared_group_is_not_attach_mode():
    from trailwatch_policy.base.model import LogGroup

    inv = replace(attached(group="app-logs"), log_groups=(LogGroup("lg", "app-logs"),))
    assert evaluate(inv) == []  # a declared group that is not CloudTrail's: nothing owed


@pytest.mark.parametrize(
    "pattern, name, metric, attempt",
    [
        (CIS_20, "x", "x", True),
        (CIS_12, "x", "x", True),
        ('{ $.errorCode = "AccessDenied" }', "x", "x", True),
        ('{ $.errorcode = "*unauthorizedoperation" }', "x", "x", True),
        ('{ ($.errorCode = "AccessDenied"', "x", "x", True),  # does not parse: still an attempt, and it fails
        (ROOT_USAGE, "x", "RootUsage", False),
        ('{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }', "x", "x", False),
        ('{ $.errorCode = "ThrottlingException" }', "x", "x", False),
        ('{ $.eventName = "x" }', "Unauthorized_API_Calls", "x", True),
        ('{ $.eventName = "x" }', "x", "UnauthorizedAPICalls", True),
        (UNKNOWN, "x", "x", False),
        (UNKNOWN, "x", "UnauthorisedCalls", True),
    ],
)
def test_what_counts_as_an_attempt_at_the_control(pattern, name, metric, attempt):
    flt = MetricFilter("f", name, Ref("g"), pattern, (MetricTransformation(metric, "ns", "1"),))
    assert attempts_the_control(flt) is attempt


def test_an_unknown_pattern_on_an_attempt_cannot_be_verified():
    [(name, status, codes)] = results(attached(pattern=UNKNOWN))
    assert (name, status, codes) == (CONTROL_TOWER, "unknown", ["pattern-unknown"])


def test_an_attempt_with_nothing_behind_it_fails_on_the_filter():
    alone = replace(attached(), alarms=(), topics=(), subscriptions=())
    [(name, status, codes)] = results(alone)
    assert (name, status, codes) == (CONTROL_TOWER, "fail", ["no-alarm"])
    [finding] = evaluate(alone)[0].findings
    assert finding.resource_id == "f" and finding.log_group == CONTROL_TOWER


def test_a_group_is_cloudtrails_whatever_controls_filter_sits_on_it():
    """Issue 21: the same group with fourteen controls' filters and no 4.1 filter is judged,
    for 4.1 (no filter) and for a broken 4.9 (its pattern misses a call)."""
    from trailwatch_policy.controls import CONTROLS, find

    filters = tuple(
        MetricFilter(
            f"f{c.id}", c.filter, Ref("org-logs"), c.pattern, (MetricTransformation(c.metric, "CISBenchmark", "1"),)
        )
        for c in CONTROLS[1:]
    )
    alarms = tuple(
        Alarm(
            f"a{c.id}",
            c.alarm,
            "CISBenchmark",
            c.metric,
            statistic="Sum",
            period=300.0,
            threshold=1.0,
            comparison="GreaterThanOrEqualToThreshold",
            evaluation_periods=1.0,
            treat_missing_data="notBreaching",
            alarm_actions=(Ref(UNKNOWN, frozenset({"tp"})),),
        )
        for c in CONTROLS[1:]
    )
    inv = replace(attached(), filters=filters, alarms=alarms)
    assert results(inv) == [("org-logs", "fail", ["no-metric-filter"])]
    assert [r.status for r in evaluate(inv, control="4.3")] == ["pass"]
    broken = find("4.9").pattern.replace("||($.eventName=PutConfigurationRecorder)", "")
    assert broken != find("4.9").pattern
    inv = replace(inv, filters=tuple(replace(f, pattern=broken) if f.id == "f4.9" else f for f in filters))
    [result] = evaluate(inv, control="4.9")
    assert (result.name, result.status, [f.code for f in result.findings]) == ("org-logs", "fail", ["pattern-rejected"])


@pytest.mark.parametrize("control", [c.id for c in __import__("trailwatch_policy.controls", fromlist=["x"]).CONTROLS])
def test_each_controls_own_pattern_is_an_attempt_at_it(control):
    from trailwatch_policy.controls import find
    from trailwatch_policy.rules.metric_filter import attempts, attempts_a_control

    c = find(control)
    flt = MetricFilter("f", "x", Ref("g"), c.pattern, (MetricTransformation("x", "ns", "1"),))
    assert attempts(flt, c) and attempts_a_control(flt) is not None
    named = MetricFilter("f", "x", Ref("g"), UNKNOWN, (MetricTransformation(c.metric + "-proj-dev", "ns", "1"),))
    assert attempts(named, c)
