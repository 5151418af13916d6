"""The alarm rules of issue 14/16 on model objects (chain.evaluate): one unauthorized call puts
the alarm in ALARM and no call takes it out, on the datapoints the filter really publishes;
what it reads (unit, dimensions, account, expression); composite alarms; non-SNS actions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from test_policy_chain import LIVE, SNS_ARN, codes, good, query_alarm, statuses, with_alarm
from trailwatch_policy.base.model import UNKNOWN, CompositeAlarm, Inventory, MetricQuery, MetricStat, Ref
from trailwatch_policy.chain import evaluate

GE, GT = "GreaterThanOrEqualToThreshold", "GreaterThanThreshold"


def with_metric(inv: Inventory, **changes: Any) -> Inventory:
    flt = inv.filters[0]
    return replace(inv, filters=(replace(flt, metrics=(replace(flt.metrics[0], **changes),)),))


def message(inv: Inventory) -> str:
    return " | ".join(f.message for r in evaluate(inv) for f in r.findings)


ZERO = with_metric(good(), default_value=0.0)  # the CIS remediation: value 1, defaultValue 0


# -- one call fires, no call does not (issue 16's false pass) ---------------------------------
@pytest.mark.parametrize(("threshold", "comparison"), [(0.0, GE), (-1.0, GT), (0.5, "LessThanThreshold")])
def test_a_threshold_that_no_event_already_crosses_keeps_the_alarm_in_alarm(threshold, comparison):
    inv = with_alarm(ZERO, threshold=threshold, comparison=comparison)
    expected = "alarm-fires-without-event" if comparison != "LessThanThreshold" else "alarm-threshold"
    assert codes(inv) == [("a", "fail", expected)]
    if expected == "alarm-fires-without-event":
        # issue 21: the messages use the control's own words ("unauthorized API call" for 4.1)
        assert "is true: the alarm is in ALARM without any unauthorized API call" in message(inv)


def test_threshold_zero_without_default_value_fires_only_on_events():
    """No defaultValue: periods without a call have no datapoint (notBreaching -> OK)."""
    assert statuses(with_alarm(good(), threshold=0.0, comparison=GE)) == ["pass"]
    assert statuses(with_alarm(ZERO, threshold=0.0, comparison=GT)) == ["pass"]  # Sum 1 > 0, 0 > 0 false


@pytest.mark.parametrize(
    ("stat", "code", "words"),
    [
        ("Average", "alarm-threshold", "in a busy log group one unauthorized API call never fires it"),
        ("SampleCount", "alarm-fires-without-event", "SampleCount = 1"),
        ("Minimum", "alarm-threshold", "Minimum = 0"),
    ],
)
def test_statistic_against_the_filters_default_value(stat, code, words):
    inv = with_alarm(ZERO, statistic=stat)
    assert codes(inv) == [("a", "fail", code)]
    assert words in message(inv) and "defaultValue 0" in message(inv)
    assert statuses(with_alarm(ZERO, statistic="Maximum")) == ["pass"]
    assert statuses(with_alarm(good(), statistic=stat)) == ["pass"]  # no defaultValue: v only


def test_percentiles_on_the_default_value_and_low_sample_counts():
    p99 = {"statistic": None, "extended_statistic": "p99"}
    assert codes(with_alarm(ZERO, **p99)) == [("a", "fail", "alarm-threshold")]
    assert statuses(with_alarm(ZERO, statistic=None, extended_statistic="p100")) == ["pass"]
    ignore = with_alarm(good(), evaluate_low_sample_count_percentiles="ignore", **p99)
    assert codes(ignore) == [("a", "fail", "alarm-threshold")]
    assert "too few datapoints" in message(ignore)
    assert statuses(with_alarm(good(), evaluate_low_sample_count_percentiles="evaluate", **p99)) == ["pass"]


def test_treat_missing_data_that_leaves_the_alarm_stuck_in_alarm():
    ignore = with_alarm(good(), treat_missing_data="ignore")
    assert codes(ignore) == [("a", "fail", "alarm-missing-data")]
    assert "stays in ALARM" in message(ignore)
    # with defaultValue 0 every period with log events has a datapoint: the alarm goes back to OK
    assert statuses(with_alarm(ZERO, treat_missing_data="ignore")) == ["pass"]
    for mode in ("missing", "notBreaching", None):
        assert statuses(with_alarm(good(), treat_missing_data=mode)) == ["pass"], mode
    assert codes(with_alarm(ZERO, treat_missing_data="breaching")) == [("a", "fail", "alarm-missing-data")]
    assert codes(with_metric(good(), default_value=UNKNOWN)) == [("a", "unknown", "alarm-threshold")]


# -- metric math ------------------------------------------------------------------------------
M1 = MetricQuery("m1", MetricStat("CISBenchmark", "Calls", "Sum", 300.0), return_data=False)


def math_alarm(inv: Inventory, expression: str, *more: MetricQuery) -> Inventory:
    return with_alarm(inv, **query_alarm(M1, *more, MetricQuery("e1", expression=expression, return_data=True)))


@pytest.mark.parametrize(
    "expression",
    [
        "m1",
        "FILL(m1, 0)",
        "m1 * 2",
        "m1 + 0",
        "SUM(METRICS())",
        "MAX([m1, 0])",
        "IF(m1 > 0, 1, 0)",
        "IF(m1 >= 1, m1)",
        "m1 / PERIOD(m1) * 300",
        "(m1 + m1) / 2",
    ],
)
def test_expressions_that_fire_on_one_call_and_not_without(expression):
    assert statuses(math_alarm(ZERO, expression)) == ["pass"], expression


@pytest.mark.parametrize(
    ("expression", "status", "code"),
    [
        ("m1 - 1", "fail", "alarm-threshold"),  # one call gives 0
        ("m1 / 2", "fail", "alarm-threshold"),
        ("m1 + 1", "fail", "alarm-fires-without-event"),  # no call gives 1 (defaultValue 0)
        ("IF(m1 > 0, 0, 1)", "fail", "alarm-threshold"),
        ("FILL(m1, 1)", "fail", "alarm-fires-without-event"),
        ("RATE(m1)", "unknown", "alarm-expression"),
        ("DIFF(m1)", "unknown", "alarm-expression"),
        ("SUM(m1)", "unknown", "alarm-expression"),
        ("LOG(m1)", "unknown", "alarm-expression"),
    ],
)
def test_expressions_that_do_not(expression, status, code):
    assert codes(math_alarm(ZERO, expression)) == [("a", status, code)], expression


def test_an_expression_over_another_metric_cannot_be_verified():
    other = MetricQuery("m2", MetricStat("AWS/EC2", "CPUUtilization", "Average", 300.0), return_data=False)
    assert codes(math_alarm(ZERO, "m1 + m2", other)) == [("a", "unknown", "alarm-threshold")]
    assert statuses(math_alarm(ZERO, "IF(m1 > 0, m1, m2)", other)) == ["unknown"]  # no call: m2 decides


def test_rate_refusal_names_the_reason():
    assert "depends on the periods before it" in message(math_alarm(ZERO, "RATE(m1)"))


# -- what the alarm reads -----------------------------------------------------------------------
def test_unit_must_be_the_one_the_filter_publishes():
    assert codes(with_alarm(good(), unit="Count")) == [("a", "fail", "alarm-unit")]
    assert "publishes the metric with unit 'None'" in message(with_alarm(good(), unit="Count"))
    assert statuses(with_alarm(good(), unit="None")) == ["pass"]
    counted = with_metric(good(), unit="Count")
    assert statuses(with_alarm(counted, unit="Count")) == ["pass"]
    assert codes(with_alarm(counted, unit="Seconds")) == [("a", "fail", "alarm-unit")]
    assert codes(with_alarm(good(), unit=UNKNOWN)) == [("a", "unknown", "alarm-unit")]


@pytest.mark.parametrize(
    ("alarm_dims", "words"),
    [
        ({}, "an alarm without them sees no data"),
        ({"User": "$.userIdentity.arn"}, "field selector"),
        ({"Other": "x"}, "another combination"),
        ({"User": "arn:aws:iam::1:user/a"}, "sees one combination only"),
    ],
)
def test_dimensions_the_filter_publishes_cannot_all_be_watched(alarm_dims, words):
    inv = with_alarm(with_metric(good(), dimensions={"User": "$.userIdentity.arn"}), dimensions=alarm_dims)
    assert codes(inv) == [("a", "fail", "alarm-dimensions")]
    assert words in message(inv)


def test_cross_account_metric_query():
    query = replace(M1, return_data=True, account_id="999999999999")
    inv = with_alarm(good(), **query_alarm(query))
    assert codes(inv) == [("a", "unknown", "alarm-cross-account")]  # the alarm's account is not known
    assert codes(with_alarm(inv, account="123456789012")) == [("a", "fail", "alarm-cross-account")]
    assert statuses(with_alarm(inv, account="999999999999")) == ["pass"]


def test_anomaly_detection_band_is_not_a_threshold():
    band = MetricQuery("ad1", expression="ANOMALY_DETECTION_BAND(m1, 2)", return_data=True)
    inv = with_alarm(
        good(),
        threshold=None,
        threshold_metric_id="ad1",
        comparison="GreaterThanUpperThreshold",
        **query_alarm(M1, band),
    )
    assert codes(inv) == [("a", "fail", "alarm-anomaly-band")]
    assert "learns from the metric's own history" in message(inv)


# -- actions -----------------------------------------------------------------------------------
def test_actions_that_are_not_sns_notify_no_person():
    lam = "arn:aws:lambda:us-east-1:123456789012:function:page"
    ec2 = "arn:aws:automate:us-east-1:ec2:stop"
    inv = with_alarm(good("literal"), alarm_actions=(Ref(lam), Ref(ec2)))
    assert codes(inv) == [("a", "fail", "alarm-no-topic")]
    text = message(inv)
    assert "a Lambda function (runs code; it notifies no one by itself)" in text and "EC2 action" in text


def composite(rule: Any, **changes: Any) -> CompositeAlarm:
    return replace(CompositeAlarm("c", "any-security", rule, alarm_actions=(Ref(SNS_ARN + "alerts"),)), **changes)


@pytest.mark.parametrize("rule", ['ALARM("a")', "ALARM(a) OR ALARM(other)", 'ALARM("a") OR NOT OK(b)'])
def test_composite_alarm_notifies_for_an_alarm_without_actions(rule):
    inv = with_alarm(good("literal"), alarm_actions=(), actions_enabled=False)
    assert codes(inv) == [("a", "fail", "alarm-actions-disabled"), ("a", "fail", "alarm-no-actions")]
    assert statuses(replace(inv, composite_alarms=(composite(rule),))) == ["pass"], rule


@pytest.mark.parametrize(
    ("comp", "status", "code"),
    [
        (composite('ALARM("a") AND ALARM(other)'), "fail", "composite-rule"),  # needs another alarm too
        (composite('OK("a")'), "fail", "composite-rule"),
        (composite('ALARM("a") OR TRUE'), "fail", "composite-rule"),  # never leaves ALARM
        (composite('ALARM("a")', actions_enabled=False), "fail", "alarm-actions-disabled"),
        (composite('ALARM("a")', alarm_actions=()), "fail", "alarm-no-actions"),
        (composite('ALARM("a")', suppressor="maintenance"), "unknown", "composite-suppressed"),
        (composite(UNKNOWN, rule_sources=frozenset({"a"})), "unknown", "composite-rule"),
        (composite('ALARM("a"'), "unknown", "composite-rule"),
    ],
)
def test_composite_alarms_that_do_not_notify(comp, status, code):
    inv = replace(with_alarm(good("literal"), alarm_actions=()), composite_alarms=(comp,))
    found = {(s, c) for rid, s, c in codes(inv) if rid == "c"}
    assert (status, code) in found
    assert statuses(inv) == [status]


def test_composite_topics_are_judged_like_the_alarms():
    inv = replace(
        with_alarm(good("literal"), alarm_actions=()), composite_alarms=(composite('ALARM("a")'),), subscriptions=()
    )
    assert ("tp", "fail", "topic-no-subscription") in codes(inv, LIVE)
