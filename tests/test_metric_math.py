"""The metric-math evaluator (trailwatch_policy.rules.metric_math) and the per-period statistics
(trailwatch_policy.rules.datapoints) the alarm rules are decided on."""

from __future__ import annotations

import pytest

from trailwatch_policy.base.model import UNKNOWN, Unknown
from trailwatch_policy.rules import datapoints as dp
from trailwatch_policy.rules import metric_math as mm


def value(expression: str, **values: float | Unknown | None) -> object:
    metrics = tuple(k for k in values if k.startswith("m"))
    return mm.evaluate(mm.parse(expression), mm.Env(values, metrics, {"m1": 300.0}))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("m1", 1.0),
        ("m1 * 2 + 1", 3.0),
        ("(m1 + 1) * 2", 4.0),
        ("-m1 + 3", 2.0),
        ("m1 / 4", 0.25),
        ("2 ^ 3", 8.0),
        ("m1 / 0", None),
        ("FILL(m1, 0)", 1.0),
        ("FILL(m3, 0)", 0.0),
        ("FILL(m3, 7)", 7.0),
        ("m3 + 1", None),
        ("SUM(METRICS())", 1.0),
        ("MAX([m1, 5])", 5.0),
        ("AVG([m1, 3])", 2.0),
        ('MIN(METRICS("m1"))', 1.0),
        ("IF(m1 > 0, 10, 20)", 10.0),
        ("IF(m1 >= 2, 10)", None),
        ("IF(m1 > 0 AND m1 < 2, 1, 0)", 1.0),
        ("IF(NOT m1 == 1 || m1 != 1, 1, 0)", 0.0),
        ("ABS(-m1)", 1.0),
        ("CEIL(m1 / 3)", 1.0),
        ("FLOOR(m1 / 3)", 0.0),
        ("PERIOD(m1)", 300.0),
        ("m1 * 1e2", 100.0),
    ],
)
def test_expressions_evaluate_at_one_timestamp(expression: str, expected: object) -> None:
    assert value(expression, m1=1.0, m3=None) == expected


def test_another_metric_is_unknown_unless_the_expression_does_not_need_it() -> None:
    assert value("m1 + m2", m1=1.0, m2=UNKNOWN) is UNKNOWN
    assert value("IF(m1 > 0, m1, m2)", m1=1.0, m2=UNKNOWN) == 1.0
    assert value("m1 > 0 OR m2 > 0", m1=1.0, m2=UNKNOWN) == 1.0
    assert value("SUM(METRICS())", m1=1.0, m2=UNKNOWN) is UNKNOWN


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("RATE(m1)", "previous datapoint"),
        ("DIFF(m1)", "previous datapoint"),
        ("RUNNING_SUM(m1)", "earlier datapoint"),
        ("FILL(m1, REPEAT)", "datapoints around it"),
        ("FILL(m1, LINEAR)", "datapoints around it"),
        ("SUM(m1)", "whole time range"),
        ("SEARCH('{AWS/EC2} x', 'Sum')", "cannot read"),
        ("ANOMALY_DETECTION_BAND(m1, 2)", "does not evaluate"),
        ("FOO(m1)", "unknown or unsupported"),
        ("m1 +", "expected"),
        ("m9", "no query"),
        ("METRICS()", "array"),
        ("x" * 3000, "longer than 2048"),
    ],
)
def test_what_cannot_be_evaluated_is_refused_with_a_reason(expression: str, reason: str) -> None:
    with pytest.raises(mm.MathError, match=reason):
        value(expression, m1=1.0)


def test_ids_and_metrics_use() -> None:
    node = mm.parse("IF(e1 > 0, m1 + m2, FILL(m3, 0))")
    assert mm.ids(node) == {"e1", "m1", "m2", "m3"}
    assert mm.uses_all_metrics(mm.parse("SUM(METRICS()) * 2")) and not mm.uses_all_metrics(node)


# -- statistics of a period -----------------------------------------------------------------
ONE, BUSY = dp.Period(1, 0), dp.Period(1, 1000)


@pytest.mark.parametrize(
    ("stat", "default", "period", "expected"),
    [
        ("Sum", None, BUSY, 1.0),
        ("Sum", 0.0, BUSY, 1.0),
        ("SampleCount", None, BUSY, 1.0),
        ("SampleCount", 0.0, BUSY, 1001.0),  # the filter publishes 0 for each other event
        ("Average", None, BUSY, 1.0),
        ("Average", 0.0, BUSY, 1 / 1001),
        ("Minimum", 0.0, BUSY, 0.0),
        ("Maximum", 0.0, BUSY, 1.0),
        ("p99", None, BUSY, 1.0),
        ("p99", 0.0, BUSY, 0.0),
        ("p100", 0.0, BUSY, 1.0),
        ("p50", 0.0, ONE, 1.0),
        ("tm90", None, BUSY, 1.0),
        ("Sum", 0.0, dp.Period(0, 1000), 0.0),
        ("Sum", None, dp.Period(0, 1000), None),
        ("Sum", 0.0, dp.Period(0, 0), None),  # no log event at all: no datapoint
    ],
)
def test_statistics_on_the_datapoints_a_filter_publishes(stat, default, period, expected) -> None:
    assert (
        dp.statistic(stat, 1.0, default, period) == pytest.approx(expected)
        if expected
        else dp.statistic(stat, 1.0, default, period) == expected
    )


def test_unmodelled_statistics_are_refused() -> None:
    with pytest.raises(dp.NotModelled):
        dp.statistic("tm90", 1.0, 0.0, BUSY)
    with pytest.raises(dp.NotModelled):
        dp.statistic("PR(1:)", 1.0, None, ONE)


def test_missing_data_states() -> None:
    assert [
        dp.state(None, "GreaterThanOrEqualToThreshold", 1.0, m)
        for m in ("breaching", "notBreaching", "ignore", "missing", None)
    ] == ["ALARM", "OK", "STAY", "INSUFFICIENT_DATA", "INSUFFICIENT_DATA"]
    assert dp.state(None, "GreaterThanThreshold", 1.0, UNKNOWN) is UNKNOWN
    assert dp.state(2.0, "LessThanThreshold", 1.0, None) == "OK"
