"""When an alarm on a filter's metric "works": one event of its control makes it notify, again.

The rules of control.md ("what an alarm that works means"), decided from the whole alarm:
it reads the filter's metric (directly, or in the metric-math expression it returns,
evaluated by `metric_math`), with the dimensions, unit and account the filter publishes in;
ONE event of the control (an unauthorized API call, a use of the root user...; the messages
name the control's own events, `controls.Control.event`) in a period puts it in ALARM, and a period without one takes it out
of ALARM (so the next call notifies again) -- both checked on the datapoints the filter
really publishes (`datapoints`: its value and its defaultValue for every other event); one
datapoint is enough; and it notifies (actions enabled, actions present). Which actions are
SNS topics, and composite alarms that notify for it, are decided by `chain` (it needs the
stack). Pure: no Pulumi imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from trailwatch_policy.base.findings import Problem
from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    CompositeAlarm,
    Maybe,
    MetricQuery,
    MetricTransformation,
    Unknown,
)
from trailwatch_policy.controls import Control, primary
from trailwatch_policy.rules import datapoints as dp
from trailwatch_policy.rules import metric_math as mm

SNIPPET = (
    'aws.cloudwatch.MetricAlarm("{alarm}", namespace={ns!r}, '
    'metric_name={name!r}, statistic="Sum", period=300, threshold=1, '
    'comparison_operator="GreaterThanOrEqualToThreshold", evaluation_periods=1, '
    'treat_missing_data="notBreaching", alarm_actions=[topic.arn])'
)
FIX_THRESHOLD = 'statistic="Sum", threshold=1, comparison_operator="GreaterThanOrEqualToThreshold"'
FIX_EXPRESSION = (
    "alarm on the metric directly (" + FIX_THRESHOLD + "), or return an expression "
    "of + - * / with constants, FILL(m, 0), IF, or SUM/MAX/MIN/AVG(METRICS())"
)

FIRES_ON = ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold")
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Anomaly_Detection.html
ANOMALY_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")


@dataclass(frozen=True)
class Watch:
    """One metric an alarm reads: directly, or through a `metricQueries` entry."""

    namespace: object
    metric_name: object
    stat: object  # statistic / extendedStatistic / query stat
    dimensions: object = field(default_factory=dict)
    returned: object = True  # the alarm evaluates this metric (not another query)
    query_id: object = None
    unit: object = None
    account_id: object = None


def _returned(alarm: Alarm) -> MetricQuery | Unknown | None:
    """The query the alarm alarms on (returnData true; the only query when unset)."""
    true = [q for q in alarm.queries if q.return_data is True]
    if true:
        return true[0]
    if any(q.return_data is UNKNOWN for q in alarm.queries):
        return UNKNOWN
    if len(alarm.queries) == 1 and alarm.queries[0].return_data is None:
        return alarm.queries[0]
    return None


def watches(alarm: Alarm) -> list[Watch]:
    """The metrics an alarm reads, with whether each one is what it alarms on."""
    if not alarm.queries:
        stat = alarm.statistic if alarm.statistic is not None else alarm.extended_statistic
        return [Watch(alarm.namespace, alarm.metric_name, stat, alarm.dimensions, True, None, alarm.unit)]
    returned = _returned(alarm)
    used: set[str] = set()
    if isinstance(returned, MetricQuery) and isinstance(returned.expression, str):
        try:
            node = mm.parse(returned.expression)
            used = mm.ids(node) | (
                {q.id for q in alarm.queries if isinstance(q.id, str)} if mm.uses_all_metrics(node) else set()
            )
        except mm.MathError:
            pass
    used = _closure(alarm, used)
    out = []
    for query in alarm.queries:
        if query.metric is None:
            continue
        flag: object = query is returned or query.id in used
        if not flag and returned is UNKNOWN:
            flag = UNKNOWN
        out.append(
            Watch(
                query.metric.namespace,
                query.metric.metric_name,
                query.metric.stat,
                query.metric.dimensions,
                flag,
                query.id,
                query.metric.unit,
                query.account_id,
            )
        )
    return out


def _closure(alarm: Alarm, ids: set[str]) -> set[str]:
    """Ids an expression reads, through the expressions it names."""
    by_id = {q.id: q for q in alarm.queries if isinstance(q.id, str)}
    todo, seen = list(ids), set(ids)
    while todo:
        query = by_id.get(todo.pop())
        if query is None or not isinstance(query.expression, str):
            continue
        try:
            node = mm.parse(query.expression)
        except mm.MathError:
            continue
        for name in mm.ids(node) - seen:
            seen.add(name)
            todo.append(name)
    return seen


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


def _dims(value: object) -> Maybe[dict[Any, Any]]:
    if value is UNKNOWN:
        return UNKNOWN
    return dict(value) if isinstance(value, Mapping) else {}


def _on_metric(watch: Watch, metric: MetricTransformation) -> bool:
    return watch.namespace == metric.namespace and watch.metric_name == metric.name


# -- what the alarm reads -----------------------------------------------------------------
def _dimension_problems(watch: Watch, metric: MetricTransformation, c: Control) -> list[Problem]:
    """https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension
    (each dimension combination is a separate metric) and
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
    (a filter's dimension value is the event's field, e.g. `$.eventName`)."""
    filter_dims, alarm_dims = _dims(metric.dimensions), _dims(watch.dimensions)
    if isinstance(filter_dims, Unknown) or isinstance(alarm_dims, Unknown):
        return [
            Problem(
                "unknown",
                "alarm-dimensions",
                "the metric's or the alarm's dimensions are not known yet",
                "no dimensions on the filter's metric nor on the alarm",
            )
        ]
    if not filter_dims and not alarm_dims:
        return []
    fix = "remove `dimensions` from the filter's metric_transformation and from the alarm"
    if not filter_dims:
        return [
            Problem(
                "fail",
                "alarm-dimensions",
                f"the alarm filters on dimensions {sorted(alarm_dims)} the filter never publishes, so it sees no data",
                "remove `dimensions` from the alarm",
            )
        ]
    names = sorted(filter_dims)
    if not alarm_dims:
        why = "an alarm without them sees no data"
    elif set(alarm_dims) != set(filter_dims):
        why = f"the alarm asks for dimensions {sorted(alarm_dims)}, another combination, so it sees no data"
    elif any(isinstance(v, str) and v.startswith("$") for v in alarm_dims.values()):
        why = (
            "the alarm's dimension value is the filter's field selector (e.g. "
            f"{next(v for v in alarm_dims.values() if str(v).startswith('$'))!r}), a value no "
            "event publishes: the metric's dimension value is each event's field value, so it "
            "sees no data"
        )
    else:
        why = (
            f"the alarm sees one combination only ({dict(sorted(alarm_dims.items()))}), so "
            f"{c.what} with other values are missed"
        )
    return [Problem("fail", "alarm-dimensions", f"the filter publishes the metric with dimensions {names}: {why}", fix)]


def _unit_problems(watch: Watch, metric: MetricTransformation) -> list[Problem]:
    """PutMetricAlarm `Unit`: with a unit set, the alarm only sees datapoints published with
    it; a metric filter without `unit` publishes with unit None.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricTransformation.html"""
    if watch.unit is None:
        return []
    if watch.unit is UNKNOWN or metric.unit is UNKNOWN:
        return [
            Problem(
                "unknown",
                "alarm-unit",
                "the alarm's or the filter's unit is not known yet",
                "remove `unit` from the alarm",
            )
        ]
    published = metric.unit if metric.unit is not None else "None"
    if watch.unit == published:
        return []
    return [
        Problem(
            "fail",
            "alarm-unit",
            f"the alarm asks for unit {watch.unit!r} but the filter publishes the metric "
            f"with unit {published!r}: CloudWatch gives the alarm no datapoint, so it never "
            "fires",
            "remove `unit` from the alarm (or set the same unit on the filter's metric_transformation)",
        )
    ]


def _account_problems(watch: Watch, alarm: Alarm) -> list[Problem]:
    """A metric query's `accountId` reads that account's metric
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Cross-Account-Cross-Region.html),
    not the one this filter publishes in the alarm's account."""
    if watch.account_id is None:
        return []
    fix = "remove account_id from the metric query (an alarm reads its own account's metric)"
    if watch.account_id is UNKNOWN:
        return [
            Problem(
                "unknown",
                "alarm-cross-account",
                f"query {watch.query_id!r} reads the metric of an account not known yet",
                fix,
            )
        ]
    if isinstance(alarm.account, str) and watch.account_id == alarm.account:
        return []
    if isinstance(alarm.account, str):
        return [
            Problem(
                "fail",
                "alarm-cross-account",
                f"query {watch.query_id!r} reads the metric in account {watch.account_id}, "
                f"not in the alarm's account {alarm.account} where the filter publishes it: "
                "the alarm watches another account's metric",
                fix,
            )
        ]
    return [
        Problem(
            "unknown",
            "alarm-cross-account",
            f"query {watch.query_id!r} reads the metric in account {watch.account_id}; "
            "whether that is the account the filter publishes in is not known",
            fix,
        )
    ]


# -- what one period does to the alarm ----------------------------------------------------
class _Values(Mapping[str, mm.Value]):
    """Each query id's value in one period, computed when an expression reads it."""

    def __init__(self, alarm: Alarm, ours: set[str], period: dp.Period, value: float, default: float | None) -> None:
        self.by_id = {q.id: q for q in alarm.queries if isinstance(q.id, str)}
        self.ours, self.period, self.value, self.default = ours, period, value, default
        self.memo: dict[str, mm.Value] = {}
        self.busy: set[str] = set()

    def __getitem__(self, key: str) -> mm.Value:
        if key in self.memo:
            return self.memo[key]
        query = self.by_id[key]
        if key in self.busy:
            raise mm.MathError(f"query {key!r} refers to itself")
        self.busy.add(key)
        try:
            result = self._compute(query)
        finally:
            self.busy.discard(key)
        self.memo[key] = result
        return result

    def _compute(self, query: MetricQuery) -> mm.Value:
        if query.metric is not None:
            if query.id not in self.ours:
                return UNKNOWN  # another metric: its value is not known
            if not isinstance(query.metric.stat, str):
                return UNKNOWN
            return dp.statistic(query.metric.stat, self.value, self.default, self.period)
        if query.expression is UNKNOWN:
            return UNKNOWN
        if not isinstance(query.expression, str):
            raise mm.MathError(f"query {query.id!r} has neither a metric nor an expression")
        return mm.evaluate(mm.parse(query.expression), self.env())

    def env(self) -> mm.Env:
        metrics = tuple(i for i, q in self.by_id.items() if q.metric is not None)
        periods = {
            i: float(q.metric.period)
            for i, q in self.by_id.items()
            if q.metric is not None and isinstance(q.metric.period, (int, float))
        }
        return mm.Env(self, metrics, periods)

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_id)

    def __len__(self) -> int:
        return len(self.by_id)


def _datapoint(
    alarm: Alarm,
    returned: MetricQuery | None,
    ours: set[str],
    period: dp.Period,
    value: float,
    default: float | None,
    stat: object,
) -> mm.Value:
    if returned is None:
        if not isinstance(stat, str):
            return UNKNOWN
        return dp.statistic(stat, value, default, period)
    values = _Values(alarm, ours, period, value, default)
    return values[returned.id] if isinstance(returned.id, str) else values._compute(returned)


def _what(returned: MetricQuery | None, stat: object) -> str:
    if returned is None or returned.metric is not None:
        return str(stat)
    return f"the expression {returned.expression!r}"


def _periods_problems(
    alarm: Alarm, metric: MetricTransformation, returned: MetricQuery | None, ours: set[str], stat: object, c: Control
) -> list[Problem]:
    """One event must put the alarm in ALARM; no event must take it out of ALARM."""
    event = c.event
    value = metric_value(metric)
    if value is None:
        return []  # the filter's metric value is reported on the filter
    default = metric.default_value
    comparison, threshold = alarm.comparison, alarm.threshold
    if value is UNKNOWN or default is UNKNOWN or comparison is UNKNOWN or threshold is UNKNOWN:
        return [
            Problem(
                "unknown",
                "alarm-threshold",
                f"whether {c.one} crosses the threshold depends on values not "
                "known yet (statistic, threshold, comparison or the filter's metric value "
                "or defaultValue)",
                FIX_THRESHOLD,
            )
        ]
    assert isinstance(value, float) and isinstance(threshold, (int, float)) and isinstance(comparison, str)
    threshold = float(threshold)
    d = float(default) if isinstance(default, (int, float)) else None
    what = _what(returned, stat)
    op = dp.SYMBOL[comparison]
    percentile_ignores = dp.is_percentile(stat) and alarm.evaluate_low_sample_count_percentiles == "ignore"
    defaulted = f" (the filter publishes its defaultValue {d:g} for every other log event)" if d is not None else ""

    def run(period: dp.Period) -> tuple[mm.Value, object]:
        x = _datapoint(alarm, returned, ours, period, value, d, stat)
        st = dp.state(x, comparison, threshold, alarm.treat_missing_data)
        if percentile_ignores and dp.count(d, period) <= dp.LOW_SAMPLES:
            st = "STAY"
        return x, st

    try:
        for period in dp.FIRE:
            x, st = run(period)
            if st is UNKNOWN:
                return [
                    Problem(
                        "unknown",
                        "alarm-threshold",
                        f"with {period.describe(event)}, {what} depends on another metric or a "
                        f"value not known yet: whether {c.one} fires the alarm cannot be told",
                        FIX_THRESHOLD,
                    )
                ]
            if st == "ALARM":
                continue
            if st == "STAY":
                why = (
                    f'{what} is a percentile and evaluateLowSampleCountPercentile is "ignore": '
                    f"with {period.describe(event)} there are too few datapoints, so the alarm keeps "
                    f"its state and never fires on {c.one}"
                )
                fix = 'evaluate_low_sample_count_percentiles="evaluate", or ' + FIX_THRESHOLD
            elif x is None:
                why = (
                    f"{period.describe(event)} gives {what} no datapoint{defaulted}, so the alarm "
                    f"does not fire (treatMissingData {alarm.treat_missing_data or 'missing'!s})"
                )
                fix = FIX_THRESHOLD
            else:
                assert isinstance(x, float)
                why = (
                    f"{c.one} gives {what} = {x:g} in a period, and {x:g} {op} "
                    f"{threshold:g} is false: the alarm stays quiet until several {c.what} happen "
                    "in the same period"
                    if period.others == 0 or d is None
                    else f"{period.describe(event)} gives {what} = {x:g}{defaulted}, and {x:g} {op} "
                    f"{threshold:g} is false: in a busy log group {c.one} never fires it"
                )
                fix = FIX_THRESHOLD
            return [Problem("fail", "alarm-threshold", why, fix)]
        for period in dp.QUIET:
            x, st = run(period)
            if st is UNKNOWN and x is None:
                return [
                    Problem(
                        "unknown",
                        "alarm-missing-data",
                        f"with {period.describe(event)} the alarm has no datapoint, and "
                        "treatMissingData is not known yet",
                        'treat_missing_data="notBreaching"',
                    )
                ]
            if st is UNKNOWN:
                return [
                    Problem(
                        "unknown",
                        "alarm-threshold",
                        f"with {period.describe(event)}, {what} depends on another metric or a "
                        "value not known yet: whether the alarm stays out of ALARM cannot "
                        "be told",
                        FIX_THRESHOLD,
                    )
                ]
            if st == "ALARM" and x is None:
                return [
                    Problem(
                        "fail",
                        "alarm-missing-data",
                        f'treatMissingData is "breaching": with {period.describe(event)} {what} has no '
                        f"datapoint, so the alarm is in ALARM without events and a real {event} "
                        "raises no new notification",
                        'treat_missing_data="notBreaching"',
                    )
                ]
            if st == "ALARM":
                assert isinstance(x, float)
                return [
                    Problem(
                        "fail",
                        "alarm-fires-without-event",
                        f"{period.describe(event)} gives {what} = {x:g}{defaulted}, and {x:g} {op} "
                        f"{threshold:g} is true: the alarm is in ALARM without any {event}, "
                        "so it stays there and a real one raises no new notification",
                        FIX_THRESHOLD,
                    )
                ]
            if st == "STAY" and period.others > 0:
                cause = 'treatMissingData is "ignore"' if x is None else "the percentile ignores low sample counts"
                return [
                    Problem(
                        "fail",
                        "alarm-missing-data",
                        f"with {period.describe(event)} {what} has no datapoint{defaulted} and {cause}"
                        f": after the first {event} the alarm stays in ALARM, so later {c.what} "
                        "raise no new notification",
                        'treat_missing_data="notBreaching" (or default_value="0" on the filter\'s metric)'
                        if x is None
                        else 'evaluate_low_sample_count_percentiles="evaluate"',
                    )
                ]
    except (mm.MathError, dp.NotModelled) as error:
        return [
            Problem(
                "unknown",
                "alarm-expression",
                f"trailwatch cannot evaluate {what}: {error}; whether {c.one} "
                f"fires the alarm (and no {event} does not) cannot be verified",
                FIX_EXPRESSION,
            )
        ]
    return []


def _threshold_problems(alarm: Alarm, stat: object, c: Control) -> list[Problem] | None:
    """Problems that make the period evaluation moot (None: evaluate the periods)."""
    if stat is None:
        return [Problem("fail", "alarm-no-statistic", "the alarm names no statistic for the metric", 'statistic="Sum"')]
    if alarm.threshold_metric_id is not None or alarm.comparison in ANOMALY_OPERATORS:
        return [
            Problem(
                "fail",
                "alarm-anomaly-band",
                "the alarm compares the metric with an anomaly-detection band, which CloudWatch learns "
                f"from the metric's own history: nothing guarantees that {c.one} leaves "
                f"the band (a burst of {c.what} widens it), so trailwatch cannot count it as firing on "
                f"{c.one}",
                "a static threshold: " + FIX_THRESHOLD,
            )
        ]
    if alarm.comparison is UNKNOWN or alarm.threshold is UNKNOWN:
        return None
    if alarm.comparison not in dp.SYMBOL:
        return [
            Problem(
                "fail",
                "alarm-threshold",
                f"comparison {alarm.comparison!r} does not fire when {c.what} "
                "appear: only GreaterThanOrEqualToThreshold or GreaterThanThreshold do",
                FIX_THRESHOLD,
            )
        ]
    if not isinstance(alarm.threshold, (int, float)) or isinstance(alarm.threshold, bool):
        return [Problem("fail", "alarm-threshold", "the alarm has no static threshold", FIX_THRESHOLD)]
    return None


def state_problems(alarm: Alarm, metric: MetricTransformation, control: Control | None = None) -> list[Problem]:
    """Why one event of `control` (the primary control by default) counted by `metric` would
    not move `alarm` to ALARM (and back) -- everything but its actions. `alarm` reads `metric`
    (checked by the caller)."""
    c = control or primary()
    problems: list[Problem] = []
    all_watches = watches(alarm)
    candidates = [w for w in all_watches if _on_metric(w, metric)] or [
        w for w in all_watches if w.namespace is UNKNOWN or w.metric_name is UNKNOWN
    ]
    if not candidates:
        return [
            Problem(
                "fail",
                "alarm-not-on-metric",
                f"the alarm does not read the filter's metric {metric.namespace}/{metric.name}",
                f"namespace={metric.namespace!r}, metric_name={metric.name!r}",
            )
        ]
    returned = _returned(alarm) if alarm.queries else None
    used = [w for w in candidates if w.returned is True]
    if not used:
        watch = next((w for w in candidates if w.returned is UNKNOWN), None)
        if watch is not None:
            return [
                Problem(
                    "unknown",
                    "alarm-not-on-metric",
                    f"whether the alarm evaluates query {watch.query_id!r} (returnData) is not known yet",
                    "return_data=True on the metric query",
                )
            ]
        watch = candidates[0]
        how = (
            "alarms on another query's result (returnData is not true)"
            if not isinstance(returned, MetricQuery) or returned.metric is not None
            else f"alarms on the expression {returned.expression!r}, which does not use it"
        )
        if isinstance(returned, MetricQuery) and isinstance(returned.expression, str):
            try:
                mm.parse(returned.expression)
            except mm.MathError as error:
                return [
                    Problem(
                        "unknown",
                        "alarm-expression",
                        f"trailwatch cannot read the alarm's expression {returned.expression!r}: {error}",
                        FIX_EXPRESSION,
                    )
                ]
        return [
            Problem(
                "fail",
                "alarm-not-on-metric",
                f"the alarm reads {metric.namespace}/{metric.name} in query {watch.query_id!r} but "
                f"{how}, so it does not fire on the filter's count",
                f"return_data=True on query {watch.query_id!r} (and False on the others), or alarm "
                "on the metric directly",
            )
        ]
    for watch in used:
        problems += _dimension_problems(watch, metric, c)
        problems += _unit_problems(watch, metric)
        problems += _account_problems(watch, alarm)
    stats = [w.stat for w in used]
    stat = next((s for s in stats if s is None), stats[0])
    moot = _threshold_problems(alarm, stat, c)
    if moot is not None:
        problems += moot
    elif stat is UNKNOWN:
        problems.append(Problem("unknown", "alarm-threshold", "the alarm's statistic is not known yet", FIX_THRESHOLD))
    else:
        ours = {w.query_id for w in used if isinstance(w.query_id, str)}
        query = returned if isinstance(returned, MetricQuery) else None
        problems += _periods_problems(alarm, metric, query, ours, stat, c)
    problems += _datapoints_problems(alarm, c)
    return _unique(problems)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.code, p.message) not in seen:
            seen.add((p.code, p.message))
            out.append(p)
    return out


def _datapoints_problems(alarm: Alarm, c: Control) -> list[Problem]:
    needed = alarm.datapoints_to_alarm if alarm.datapoints_to_alarm is not None else alarm.evaluation_periods
    if needed is UNKNOWN:
        return [
            Problem(
                "unknown",
                "alarm-single-event",
                "the number of datapoints the alarm needs is not known yet",
                "evaluation_periods=1 (and datapoints_to_alarm=1 or unset)",
            )
        ]
    if not isinstance(needed, (int, float)) or isinstance(needed, bool) or needed != 1:
        shown = "unset" if needed is None else f"{needed:g}" if isinstance(needed, float) else repr(needed)
        return [
            Problem(
                "fail",
                "alarm-single-event",
                f"the alarm needs {shown} breaching datapoints (datapointsToAlarm, else "
                f"evaluationPeriods): a single {c.event} in one period never fires it",
                "evaluation_periods=1 and datapoints_to_alarm=1 (or leave datapoints_to_alarm unset)",
            )
        ]
    return []


def action_problems(alarm: Alarm | CompositeAlarm) -> list[Problem]:
    """Why the alarm's own actions would notify no one (their targets are the chain's job)."""
    problems: list[Problem] = []
    if alarm.actions_enabled is UNKNOWN:
        problems.append(
            Problem("unknown", "alarm-actions-disabled", "actionsEnabled is not known yet", "actions_enabled=True")
        )
    elif alarm.actions_enabled is False:
        problems.append(
            Problem(
                "fail",
                "alarm-actions-disabled",
                "actionsEnabled is false: the alarm changes state but notifies no one",
                "actions_enabled=True (or leave it unset)",
            )
        )
    if not alarm.alarm_actions:
        problems.append(
            Problem(
                "fail",
                "alarm-no-actions",
                "the alarm has no alarm actions: it changes state but notifies no one",
                "alarm_actions=[topic.arn] with an aws.sns.Topic that has a subscription",
            )
        )
    return problems


def alarm_problems(alarm: Alarm, metric: MetricTransformation, control: Control | None = None) -> list[Problem]:
    """Why `alarm` would not notify on one event of `control` counted by `metric` (empty: it would)."""
    return state_problems(alarm, metric, control) + action_problems(alarm)


# -- actions that are not SNS ---------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions
_ACTION_KINDS = (
    (":lambda:", "a Lambda function (runs code; it notifies no one by itself)"),
    (
        ":ssm-incidents:",
        ("an Incident Manager response plan (opens an incident; trailwatch cannot tell whether it engages a person)"),
    ),
    (":ssm:", "a Systems Manager OpsItem (recorded in OpsCenter; nobody is notified)"),
    (":autoscaling:", "an Auto Scaling policy (scales a group; nobody is notified)"),
    (":automate:", ("an EC2 action (stops, terminates, reboots or recovers an instance; nobody is notified)")),
    (":swf:", "an EC2 action (nobody is notified)"),
)


def describe_action(arn: str) -> str:
    """What a non-SNS alarm action does, for the diagnostic."""
    for marker, text in _ACTION_KINDS:
        if marker in arn:
            return f"{arn}: {text}"
    return f"{arn}: not an SNS topic"


# -- where the actions lead (the chain resolves them against the stack: chain.links.actions) --


def no_topic(others: Iterable[str]) -> Problem:
    """No alarm action is an SNS topic (`others`: the known actions that are not)."""
    shown = "; ".join(describe_action(a) for a in others) or "none"
    return Problem(
        "fail",
        "alarm-no-topic",
        f"none of the alarm actions is an SNS topic ({shown}): no person is notified",
        "alarm_actions=[topic.arn] with an aws.sns.Topic that has a subscription (keep the other actions beside it)",
    )


def topic_missing(topic: str, name: str) -> Problem:
    """The alarm names a topic (ARN `topic`, name `name`) the reader found gone."""
    return Problem(
        "fail",
        "alarm-topic-missing",
        f"the alarm notifies SNS topic {topic}, which does not exist (deleted?): its notifications go nowhere",
        f'alarm_actions=[topic.arn] with an aws.sns.Topic("{name}") that has a subscription',
        (("topic", topic),),
    )


def topic_unread(topic: str) -> Problem:
    """The alarm notifies a topic the auditor did not read (another account or Region)."""
    return Problem(
        "unknown",
        "alarm-topic-unread",
        f"the alarm notifies SNS topic {topic}, which was not read (another "
        "account or region, or no permission): whether anyone receives the "
        "alarm is not known",
        "alarm_actions=[topic.arn] with a topic the auditor can read",
    )


def actions_unknown(count: int) -> Problem:
    """`count` actions not known yet and built from no topic of the stack."""
    return Problem(
        "unknown",
        "alarm-action-unknown",
        f"{count} alarm action(s) are not known yet and come from no SNS topic of this "
        "stack, so whether the alarm notifies a topic is not known",
        "alarm_actions=[topic.arn] with an aws.sns.Topic declared in the stack",
    )


def metric_unknown(control: Control) -> Problem:
    """The alarm's metric is not known yet: it may watch any filter's metric."""
    return Problem(
        "unknown",
        "alarm-metric-unknown",
        "the alarm's namespace or metric name is not known yet: "
        "whether it watches a CloudTrail log group's filter metric "
        "cannot be told",
        f'namespace="CISBenchmark", metric_name="{control.metric}" (the filter\'s metric, as literals)',
    )
