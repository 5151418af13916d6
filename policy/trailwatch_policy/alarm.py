"""When an alarm on a filter's metric "works": one unauthorized call makes it notify.

The rules of control.md ("what an alarm that works means"): it watches the metric (a
returned metric, same dimensions), the statistic of ONE event in one period crosses the
threshold with `>=`/`>`, one datapoint is enough, missing data is not breaching, and its
actions are enabled. Which alarm actions are SNS topics is decided by `chain` (it needs
the stack). Pure: no Pulumi imports.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from trailwatch_policy.findings import Problem
from trailwatch_policy.model import UNKNOWN, Alarm, Maybe, MetricTransformation, Unknown

SNIPPET = ('aws.cloudwatch.MetricAlarm("unauthorized-api-calls", namespace={ns!r}, '
           'metric_name={name!r}, statistic="Sum", period=300, threshold=1, '
           'comparison_operator="GreaterThanOrEqualToThreshold", evaluation_periods=1, '
           'treat_missing_data="notBreaching", alarm_actions=[topic.arn])')

FIRES_ON = ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold")


@dataclass(frozen=True)
class Watch:
    """One metric an alarm reads: directly, or through a `metricQueries` entry."""

    namespace: object
    metric_name: object
    stat: object  # statistic / extendedStatistic / query stat
    dimensions: object = field(default_factory=dict)
    returned: object = True  # the alarm evaluates this metric (not another query)
    query_id: object = None


def watches(alarm: Alarm) -> list[Watch]:
    """The metrics an alarm reads, with whether each one is what it alarms on."""
    if not alarm.queries:
        stat = alarm.statistic if alarm.statistic is not None else alarm.extended_statistic
        return [Watch(alarm.namespace, alarm.metric_name, stat, alarm.dimensions)]
    only = len(alarm.queries) == 1
    passed_through = {_passes_through(q.expression) for q in alarm.queries
                      if q.metric is None and q.return_data is True}
    out = []
    for query in alarm.queries:
        if query.metric is None:
            continue
        returned = query.return_data if query.return_data is not None else only
        if returned is not True and isinstance(query.id, str) and query.id in passed_through:
            returned = True  # the returned expression is this metric, unchanged for one event
        out.append(Watch(query.metric.namespace, query.metric.metric_name, query.metric.stat,
                         query.metric.dimensions, returned, query.id))
    return out


# `m1` or `FILL(m1, 0)`: one event's value passes unchanged, and periods without events
# become 0 (a positive fill value could fire the alarm with no event at all).
_PASS_THROUGH = re.compile(r"^\s*(?:FILL\(\s*(\w+)\s*,\s*0+(?:\.0*)?\s*\)|(\w+))\s*$")


def _passes_through(expression: object) -> str | None:
    """The query id an expression returns unchanged, if it is that simple."""
    match = _PASS_THROUGH.match(expression) if isinstance(expression, str) else None
    return (match.group(1) or match.group(2)) if match else None


def metric_value(metric: MetricTransformation) -> Maybe[float] | None:
    """The filter's metric value as a positive float, UNKNOWN, or None (not a positive constant)."""
    value = metric.value
    if isinstance(value, Unknown):
        return UNKNOWN
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


_TIMES_VALUE = re.compile(r"^(p|tm|wm|ts)\d+(\.\d+)?$|^(iqm)$|^(tm|wm|ts|p)\(.*\)$", re.I)
_TIMES_ONE = re.compile(r"^tc\d+(\.\d+)?$|^tc\(.*\)$", re.I)


def one_event_statistic(stat: object, value: object) -> Maybe[float] | None:
    """The statistic of one event with metric value `value` in one period.

    v for Sum/Average/Minimum/Maximum/percentiles/trimmed means, 1 for counts;
    UNKNOWN when the statistic or value is not known; None for a statistic trailwatch
    does not model (e.g. percentile rank).
    """
    if stat is UNKNOWN:
        return UNKNOWN
    if not isinstance(stat, str):
        return None
    if stat == "SampleCount" or _TIMES_ONE.match(stat):
        return 1.0
    if stat in ("Sum", "Average", "Minimum", "Maximum") or _TIMES_VALUE.match(stat):
        if isinstance(value, float):
            return value
        return UNKNOWN if value is UNKNOWN else None
    return None


def _dims(value: object) -> Maybe[dict[Any, Any]]:
    if value is UNKNOWN:
        return UNKNOWN
    return dict(value) if isinstance(value, Mapping) else {}


def alarm_problems(alarm: Alarm, metric: MetricTransformation) -> list[Problem]:
    """Why `alarm` would not notify on one event counted by `metric` (empty: it would).

    `alarm` is assumed to read `metric` (same namespace and name, checked by the caller).
    Alarm actions are checked here only for presence; their targets are the chain's job.
    """
    problems: list[Problem] = []
    candidates = [w for w in watches(alarm)
                  if w.namespace == metric.namespace and w.metric_name == metric.name] or [
        w for w in watches(alarm) if w.namespace is UNKNOWN or w.metric_name is UNKNOWN]
    if not candidates:
        return [Problem("fail", "alarm-not-on-metric",
                        f"the alarm does not read the filter's metric {metric.namespace}/{metric.name}",
                        f"namespace={metric.namespace!r}, metric_name={metric.name!r}")]
    watch = next((w for w in candidates if w.returned is True), None) or \
        next((w for w in candidates if w.returned is UNKNOWN), None) or candidates[0]
    if watch.returned is UNKNOWN:
        problems.append(Problem("unknown", "alarm-not-on-metric",
                                f"whether the alarm evaluates query {watch.query_id!r} (returnData) "
                                "is not known yet", "return_data=True on the metric query"))
    elif watch.returned is not True:
        problems.append(Problem(
            "fail", "alarm-not-on-metric",
            f"the alarm reads {metric.namespace}/{metric.name} in query {watch.query_id!r} but "
            "alarms on another query's result (returnData is not true), so it does not "
            "fire on the filter's count",
            f"return_data=True on query {watch.query_id!r} (and False on the others), or alarm "
            "on the metric directly"))

    filter_dims, alarm_dims = _dims(metric.dimensions), _dims(watch.dimensions)
    if isinstance(filter_dims, Unknown) or isinstance(alarm_dims, Unknown):  # `is UNKNOWN`, narrowed
        problems.append(Problem("unknown", "alarm-dimensions",
                                "the metric's or the alarm's dimensions are not known yet",
                                "no dimensions on the filter's metric nor on the alarm"))
    elif filter_dims != alarm_dims:
        if filter_dims:
            why = (f"the filter publishes the metric with dimensions {sorted(filter_dims)}: an "
                   f"alarm {'without them sees no data' if not alarm_dims else 'sees one dimension combination only'}"
                   ", so unauthorized calls would not all reach it")
            fix = "remove `dimensions` from the filter's metric_transformation (and from the alarm)"
        else:
            why = (f"the alarm filters on dimensions {sorted(alarm_dims)} the filter never "
                   "publishes, so it sees no data")
            fix = "remove `dimensions` from the alarm"
        problems.append(Problem("fail", "alarm-dimensions", why, fix))

    value = metric_value(metric)
    one = one_event_statistic(watch.stat, value)
    threshold, comparison = alarm.threshold, alarm.comparison
    fix_threshold = ('statistic="Sum", threshold=1, '
                     'comparison_operator="GreaterThanOrEqualToThreshold"')
    if watch.stat is None:
        problems.append(Problem("fail", "alarm-no-statistic",
                                "the alarm names no statistic for the metric", 'statistic="Sum"'))
    elif comparison is UNKNOWN or threshold is UNKNOWN or isinstance(one, Unknown):
        problems.append(Problem("unknown", "alarm-threshold",
                                "whether one unauthorized call crosses the threshold depends on "
                                "values not known yet (statistic, threshold, comparison or the "
                                "filter's metric value)", fix_threshold))
    elif comparison not in FIRES_ON:
        problems.append(Problem(
            "fail", "alarm-threshold",
            f"comparison {comparison!r} does not fire when unauthorized calls appear: only "
            "GreaterThanOrEqualToThreshold or GreaterThanThreshold do", fix_threshold))
    elif not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        problems.append(Problem("fail", "alarm-threshold",
                                "the alarm has no static threshold (anomaly-band alarms are not "
                                "counted)", fix_threshold))
    elif one is None:
        if value is None and watch.stat != "SampleCount":
            pass  # the filter's metric value is reported on the filter
        else:
            problems.append(Problem(
                "unknown", "alarm-threshold",
                f"trailwatch does not model the statistic {watch.stat!r}; it cannot tell whether "
                "one event crosses the threshold", fix_threshold))
    else:
        fires = one >= threshold if comparison == FIRES_ON[0] else one > threshold
        if not fires:
            op = ">=" if comparison == FIRES_ON[0] else ">"
            problems.append(Problem(
                "fail", "alarm-threshold",
                f"one unauthorized call gives {watch.stat} = {one:g} in a period, and "
                f"{one:g} {op} {threshold:g} is false: the alarm stays quiet until several calls "
                "happen in the same period", fix_threshold))

    needed = alarm.datapoints_to_alarm if alarm.datapoints_to_alarm is not None \
        else alarm.evaluation_periods
    if needed is UNKNOWN:
        problems.append(Problem("unknown", "alarm-single-event",
                                "the number of datapoints the alarm needs is not known yet",
                                "evaluation_periods=1 (and datapoints_to_alarm=1 or unset)"))
    elif not isinstance(needed, (int, float)) or isinstance(needed, bool) or needed != 1:
        shown = "unset" if needed is None else f"{needed:g}" if isinstance(needed, float) else repr(needed)
        problems.append(Problem(
            "fail", "alarm-single-event",
            f"the alarm needs {shown} breaching datapoints (datapointsToAlarm, else "
            "evaluationPeriods): a single unauthorized call in one period never fires it",
            "evaluation_periods=1 and datapoints_to_alarm=1 (or leave datapoints_to_alarm unset)"))

    if alarm.treat_missing_data is UNKNOWN:
        problems.append(Problem("unknown", "alarm-missing-data",
                                "treatMissingData is not known yet", 'treat_missing_data="notBreaching"'))
    elif alarm.treat_missing_data == "breaching":
        problems.append(Problem(
            "fail", "alarm-missing-data",
            'treatMissingData is "breaching": with no events the alarm is in ALARM all the time, '
            "so a real unauthorized call raises no new notification",
            'treat_missing_data="notBreaching"'))

    if alarm.actions_enabled is UNKNOWN:
        problems.append(Problem("unknown", "alarm-actions-disabled",
                                "actionsEnabled is not known yet", "actions_enabled=True"))
    elif alarm.actions_enabled is False:
        problems.append(Problem(
            "fail", "alarm-actions-disabled",
            "actionsEnabled is false: the alarm changes state but notifies no one",
            "actions_enabled=True (or leave it unset)"))

    if not alarm.alarm_actions:
        problems.append(Problem(
            "fail", "alarm-no-actions",
            "the alarm has no alarm actions: it changes state but notifies no one",
            "alarm_actions=[topic.arn] with an aws.sns.Topic that has a subscription"))
    return problems
