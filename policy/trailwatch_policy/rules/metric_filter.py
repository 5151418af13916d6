"""Whether a metric filter counts what a control names (the primary control by default):
its pattern and its metric.

The pattern is judged by `trailwatch_policy.controls.judge` for the control (probe records, the
CloudWatch semantics of filter_pattern). Judgements are cached: a stack has few distinct
patterns. Pure: no Pulumi imports.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trailwatch_policy.base.findings import Problem
from trailwatch_policy.base.model import UNKNOWN, MetricFilter, MetricTransformation
from trailwatch_policy.controls import STANDARD, Control, primary, table
from trailwatch_policy.rules.alarm import SNIPPET, metric_value
from trailwatch_policy.rules.options import ChainOptions

#: compatibility: the primary control's fix text (the CIS 1.2 text for 4.1)
CIS_PATTERN = STANDARD.primary.fix_pattern


def filter_snippet(group: str | None, control: Control | None = None) -> str:
    """The Pulumi Python that adds the control's missing filter to `group`."""
    c = control or primary()
    target = repr(group) if group else "log_group.name"
    return (
        f'aws.cloudwatch.LogMetricFilter("{c.filter}", '
        f"log_group_name={target}, pattern={c.fix_pattern!r}, "
        "metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs("
        f'name="{c.metric}", namespace="CISBenchmark", value="1", '
        'default_value="0"))'
    )


_VERDICTS: dict[tuple[str, tuple[str, ...], tuple[str, ...], str, Control], Any] = {}


def verdict(pattern: str, options: ChainOptions, control: Control | None = None) -> Any:
    """judge() of a pattern for a control under the options' probes and profile, cached."""
    c = control or primary()
    key = (pattern, options.extra_must_match, options.extra_must_not_match, options.pattern_profile, c)
    found = _VERDICTS.get(key)
    if found is None:
        from trailwatch_policy.controls.judge import judge  # imported late: the pack loads cheaply

        found = judge(
            pattern,
            control=c,
            extra_must_match=tuple(json.loads(r) for r in options.extra_must_match),
            extra_must_not_match=tuple(json.loads(r) for r in options.extra_must_not_match),
            profile=options.pattern_profile,
        )
        if len(_VERDICTS) > 4096:
            _VERDICTS.clear()
        _VERDICTS[key] = found
    return found


_MARKS: dict[tuple[str, ...], tuple[re.Pattern[str], ...]] = {}


def _compiled(regexes: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    found = _MARKS.get(regexes)
    if found is None:
        found = _MARKS[regexes] = tuple(re.compile(r, re.IGNORECASE) for r in regexes)
    return found


def attempts(flt: MetricFilter, control: Control) -> bool:
    """Whether a filter is an attempt at `control`, whatever log group it targets: its pattern
    shows all of the control's marks (4.1: `errorCode` with a denial code; an API control:
    eventName and one of its APIs), or the filter or one of its metrics is named for it.
    Textual on purpose: a wrong or even unparsable attempt must still be judged -- catching
    those is the point."""
    pattern = flt.pattern
    if isinstance(pattern, str) and control.marks and all(m.search(pattern) for m in _compiled(control.marks)):
        return True
    names = [flt.name] + [m.name for m in flt.metrics]
    marks = _compiled(control.name_marks)
    return any(isinstance(n, str) and any(m.search(n) for m in marks) for n in names)


def attempts_a_control(flt: MetricFilter) -> Control | None:
    """The first control of the table in use that the filter is an attempt at (None: none)."""
    return next((c for c in table().rows if attempts(flt, c)), None)


def attempts_the_control(flt: MetricFilter) -> bool:
    """Compatibility: `attempts` for the primary control (4.1)."""
    return attempts(flt, primary())


def meant_for_another_control(flt: MetricFilter, options: ChainOptions, control: Control) -> bool:
    """The filter is no attempt at this control. It is one when it publishes the control's
    metric (trailwatch_policy.controls; trailwatch's programs suffix it with -<project>-<stack>)
    or counts an event only this control names (`judge.counts_its_events`) -- whatever else it
    counts and whatever metric it publishes: one filter for several controls is each one's
    (docs/controls.md, "One alarm for several controls"), and a filter that counts some of a
    control's events is judged for it, its shortfall named. It is another control's when it
    publishes another control's metric, or counts only events other controls name. A filter
    that is neither (an unlisted name counting nothing any control names) may be an attempt
    at any control and is judged for each."""
    names = [m.name for m in flt.metrics if isinstance(m.name, str)]

    def publishes(c: Control) -> bool:  # the CIS name, or trailwatch's per-stack `<name>-<project>-<stack>`
        return any(n == c.metric or n.startswith(c.metric + "-") for n in names)

    if publishes(control):
        return False
    from trailwatch_policy.controls.judge import counts_its_events  # imported late: the pack loads cheaply

    text = flt.pattern if isinstance(flt.pattern, str) and flt.pattern.strip() else None
    mine = counts_its_events(text, control.id) if text is not None else None
    if mine is True:
        return False
    others = [other for other in table().rows if other is not control]
    if any(publishes(other) for other in others):
        return True
    if text is None or mine is None:
        return False
    return any(counts_its_events(text, other.id) is True for other in others)


def fix_args(control: Control) -> tuple[tuple[str, str], ...]:
    """The values a control's AWS CLI fix needs (trailwatch_policy.rules.fixes): its names and pattern."""
    return (
        ("pattern", control.fix_pattern),
        ("metric", control.metric),
        ("filter", control.filter),
        ("alarm", control.alarm),
    )


def pattern_problems(flt: MetricFilter, options: ChainOptions, control: Control | None = None) -> list[Problem]:
    """Why the filter's pattern does not count exactly what the control names (empty: it does)."""
    control = control or primary()
    fix = f"pattern={control.fix_pattern!r}"
    args = (("pattern", control.fix_pattern),)  # the filter's own names come from the chain
    if flt.pattern is UNKNOWN:
        return [
            Problem("unknown", "pattern-unknown", "the filter pattern is computed from values not known yet", fix, args)
        ]
    if not isinstance(flt.pattern, str) or not flt.pattern.strip():
        return [
            Problem(
                "fail",
                "pattern-rejected",
                "the filter has an empty pattern: it counts every event, so the alarm "
                "fires on normal activity and is soon ignored",
                fix,
                args,
            )
        ]
    v = verdict(flt.pattern, options, control)
    reasons = "; ".join(v.reasons) if v.reasons else (v.error or v.summary())
    if v.status == "ok":
        return []
    if v.status == "indeterminate":
        return [
            Problem(
                "unknown",
                "pattern-indeterminate",
                f"trailwatch cannot decide what the pattern matches: {reasons}",
                fix,
                args,
            )
        ]
    return [
        Problem(
            "fail", "pattern-rejected", f"the pattern does not count exactly the {control.what}: {reasons}", fix, args
        )
    ]


def metric_problems(metric: MetricTransformation, control: Control | None = None) -> list[Problem]:
    """A metric an alarm can count one event of the control on: a positive constant value."""
    c = control or primary()
    value = metric_value(metric)
    if value is UNKNOWN:
        return [Problem("unknown", "metric-value-invalid", "the metric value is not known yet", 'value="1"')]
    if value is None:
        return [
            Problem(
                "fail",
                "metric-value-invalid",
                f"the metric value {metric.value!r} is not a positive number: {c.one} "
                "must add a known positive amount the alarm can "
                "compare with its threshold",
                'value="1" (default_value="0")',
            )
        ]
    return []


# -- the filter's place in the chain: its log group and its metric (chain.links) ------------


def no_filter(label: str | None, outside: bool, why: str, literal: str | None, control: Control) -> Problem:
    """A CloudTrail log group (`label`, `literal` its name when it may be shown) without a
    filter for the control; `why` it is CloudTrail's, `outside` the stack or not."""
    where = " (declared outside this stack)" if outside else ""
    return Problem(
        "fail",
        "no-metric-filter",
        f"CloudTrail log group {label!r}{where} has no metric filter for "
        f"{control.what} ({why}): "
        f"{control.what} are logged but nobody is told",
        filter_snippet(literal, control),
        fix_args(control),
    )


def log_group_unknown() -> Problem:
    """The filter's log group is not known yet: it may be any CloudTrail log group's."""
    return Problem(
        "unknown",
        "filter-log-group-unknown",
        "the filter's log group is not known yet: whether it monitors a CloudTrail log group cannot be told",
        "log_group_name=log_group.name of the CloudTrail log group (or its literal name)",
    )


def log_group_arn(value: str) -> Problem:
    """log_group_name is an ARN. PutMetricFilter's logGroupName matches [\\.\\-_/#A-Za-z0-9]+
    (no ":"): AWS refuses an ARN
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
    At preview `log_group.arn` is as unknown as `log_group.id` (the name: valid); the ARN is
    refused during `pulumi up`, loudly. A known ARN is refused here."""
    return Problem(
        "fail",
        "filter-log-group-arn",
        f"log_group_name is an ARN ({value}): CloudWatch Logs accepts only a log group "
        "name here and rejects the filter (InvalidParameterException), so it monitors "
        "nothing",
        "log_group_name=log_group.name (the name, not the ARN)",
    )


def no_metric(control: Control) -> Problem:
    """The filter publishes no metric at all."""
    return Problem(
        "fail",
        "no-alarm",
        "the filter publishes no metric, so no alarm can watch it",
        "metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs("
        f'name="{control.metric}", namespace="CISBenchmark", value="1")',
    )


def metric_unknown(control: Control) -> Problem:
    """The metric's namespace or name is not known yet: no alarm can be matched to it."""
    return Problem(
        "unknown",
        "metric-unknown",
        "the filter's metric namespace or name is not known yet, so no alarm can be matched to it",
        f'metric_transformation name="{control.metric}", namespace="CISBenchmark"',
    )


def unnamed_metric(control: Control) -> Problem:
    """The metric has no namespace or no name."""
    return Problem(
        "fail",
        "no-alarm",
        "the filter publishes no named metric",
        f'metric_transformation name="{control.metric}", namespace="CISBenchmark"',
    )


def unwatched_metric(namespace: str, name: str, control: Control) -> Problem:
    """No alarm of the stack watches the filter's metric."""
    return Problem(
        "fail",
        "no-alarm",
        f"no alarm watches the filter's metric {namespace}/{name}: {control.what} are counted but nobody is notified",
        SNIPPET.format(alarm=control.filter, ns=namespace, name=name),
    )
