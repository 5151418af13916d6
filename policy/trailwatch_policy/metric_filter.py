"""Whether a metric filter counts unauthorized API calls: its pattern and its metric.

The pattern is judged by `trailwatch_policy.judge` (probe records, the CloudWatch
semantics of filter_pattern). Judgements are cached: a stack has few distinct patterns.
Pure: no Pulumi imports.
"""
from __future__ import annotations

import json
import re
from typing import Any

from trailwatch_policy.alarm import metric_value
from trailwatch_policy.findings import Problem
from trailwatch_policy.model import UNKNOWN, MetricFilter, MetricTransformation
from trailwatch_policy.options import ChainOptions

CIS_PATTERN = ('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }')


def filter_snippet(group: str | None) -> str:
    """The Pulumi Python that adds the missing filter to `group`."""
    target = repr(group) if group else "log_group.name"
    return ('aws.cloudwatch.LogMetricFilter("unauthorized-api-calls", '
            f'log_group_name={target}, pattern={CIS_PATTERN!r}, '
            'metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs('
            'name="UnauthorizedAPICalls", namespace="CISBenchmark", value="1", '
            'default_value="0"))')

_VERDICTS: dict[tuple[str, tuple[str, ...], tuple[str, ...], str], Any] = {}


def verdict(pattern: str, options: ChainOptions) -> Any:
    """judge() of a pattern under the options' probes and profile, cached."""
    key = (pattern, options.extra_must_match, options.extra_must_not_match, options.pattern_profile)
    found = _VERDICTS.get(key)
    if found is None:
        from trailwatch_policy.judge import judge  # imported late: the pack loads cheaply
        found = judge(pattern,
                      extra_must_match=tuple(json.loads(r) for r in options.extra_must_match),
                      extra_must_not_match=tuple(json.loads(r) for r in options.extra_must_not_match),
                      profile=options.pattern_profile)
        if len(_VERDICTS) > 4096:
            _VERDICTS.clear()
        _VERDICTS[key] = found
    return found


_ERROR_CODE = re.compile(r"errorcode", re.IGNORECASE)
_DENIAL = re.compile(r"accessdenied|unauthori[sz]ed", re.IGNORECASE)


def attempts_the_control(flt: MetricFilter) -> bool:
    """Whether a filter is an attempt at this control, whatever log group it targets.

    True when its pattern mentions `errorCode` together with a denial code (AccessDenied,
    UnauthorizedOperation), or when the filter or one of its metrics is named for
    unauthorized calls (CIS's `UnauthorizedAPICalls`). Textual on purpose: a wrong or even
    unparsable attempt must still be judged -- catching those is the point. Filters for
    other CIS controls (root usage, console sign-in failures, ...) do not mention both.
    """
    pattern = flt.pattern
    if isinstance(pattern, str) and _ERROR_CODE.search(pattern) and _DENIAL.search(pattern):
        return True
    names = [flt.name] + [m.name for m in flt.metrics]
    return any(isinstance(n, str) and _DENIAL.search(n) for n in names)


def pattern_problems(flt: MetricFilter, options: ChainOptions) -> list[Problem]:
    """Why the filter's pattern does not count exactly the unauthorized calls (empty: it does)."""
    fix = f"pattern={CIS_PATTERN!r}"
    if flt.pattern is UNKNOWN:
        return [Problem("unknown", "pattern-unknown",
                        "the filter pattern is computed from values not known yet", fix)]
    if not isinstance(flt.pattern, str) or not flt.pattern.strip():
        return [Problem("fail", "pattern-rejected",
                        "the filter has an empty pattern: it counts every event, so the alarm "
                        "fires on normal activity and is soon ignored", fix)]
    v = verdict(flt.pattern, options)
    reasons = "; ".join(v.reasons) if v.reasons else (v.error or v.summary())
    if v.status == "ok":
        return []
    if v.status == "indeterminate":
        return [Problem("unknown", "pattern-indeterminate",
                        f"trailwatch cannot decide what the pattern matches: {reasons}", fix)]
    return [Problem("fail", "pattern-rejected",
                    f"the pattern does not count exactly the unauthorized API calls: {reasons}",
                    fix)]


def metric_problems(metric: MetricTransformation) -> list[Problem]:
    """A metric an alarm can count one event on: a positive constant value."""
    value = metric_value(metric)
    if value is UNKNOWN:
        return [Problem("unknown", "metric-value-invalid",
                        "the metric value is not known yet", 'value="1"')]
    if value is None:
        return [Problem("fail", "metric-value-invalid",
                        f"the metric value {metric.value!r} is not a positive number: one "
                        "unauthorized call must add a known positive amount the alarm can "
                        "compare with its threshold", 'value="1" (default_value="0")')]
    return []
