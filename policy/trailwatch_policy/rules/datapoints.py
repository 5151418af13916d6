"""What an alarm on a filter's metric sees in one period, and the state it goes to.

A metric filter publishes its metric value `v` for each matching log event, and, when it
has a `defaultValue` `d`, publishes `d` for every log event that does not match
("The value to emit if the pattern does not match a particular event"; without it no
metric is emitted for them):
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricTransformation.html
(and https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringPolicyExamples.html).
A CloudTrail log group receives many other events in every period, so a period with one
event of the control holds `v` once and `d` N times, for any N: trailwatch checks N in
`OTHERS` (0 to a million), and the statistic is computed on that multiset
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).

The alarm's state for one datapoint (one evaluation period, one datapoint to alarm):
ALARM when the comparison holds, OK otherwise; a period without any datapoint follows
`treatMissingData` -- `breaching` ALARM, `notBreaching` OK, `ignore` keeps the current
state, `missing` (the default) INSUFFICIENT_DATA
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
A percentile alarm with `evaluateLowSampleCountPercentile: ignore` keeps its state when a
period has too few datapoints to be statistically significant (same page,
#percentiles-with-low-samples); trailwatch treats one or two datapoints as too few.
Pure: no Pulumi imports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from trailwatch_policy.base.model import UNKNOWN, Unknown

OTHERS = (0, 1, 10, 1000, 1_000_000)  # other log events in the period
LOW_SAMPLES = 2  # at most this many datapoints: "too few" for a percentile


class NotModelled(ValueError):
    """A statistic trailwatch cannot compute here; the message says why."""


@dataclass(frozen=True)
class Period:
    """What one alarm period holds: the control's events counted and the other log events."""

    matching: int  # events of the control counted by the filter (0 or 1)
    others: int  # other log events in the log group

    def describe(self, event: str = "event of the control") -> str:
        """ "one <event> among 10 other log events in a period" (`event`: the control's, singular)."""
        calls = f"one {event}" if self.matching else f"no {event}"
        if not self.others:
            return f"{calls} and no other log event in a period"
        events = "event" if self.others == 1 else "events"
        return f"{calls} among {self.others:,} other log {events} in a period"


FIRE = tuple(Period(1, n) for n in OTHERS)
QUIET = tuple(Period(0, n) for n in OTHERS)

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100(?:\.0+)?)$", re.I)
_TRIMMED_MEAN = re.compile(r"^(?:tm|wm)\d{1,2}(?:\.\d+)?$|^iqm$|^(?:TM|WM)\(.*\)$", re.I)
BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

Value = float | None | Unknown


def is_percentile(stat: object) -> bool:
    return isinstance(stat, str) and bool(_PERCENTILE.match(stat))


def count(default: float | None, period: Period) -> int:
    """Datapoints the filter publishes in the period."""
    return period.matching + (period.others if default is not None else 0)


def statistic(stat: str, value: float, default: float | None, period: Period) -> float | None:
    """`stat` of the period's datapoints (`None`: no datapoint); `NotModelled` when unknown."""
    ones = period.matching
    zeros = period.others if default is not None else 0
    d = default if default is not None else 0.0
    n = ones + zeros
    if n == 0:
        return None
    if stat == "SampleCount":
        return float(n)
    if stat == "Sum":
        return ones * value + zeros * d
    if stat == "Average":
        return (ones * value + zeros * d) / n
    if stat in ("Minimum", "Maximum"):
        present = ([value] if ones else []) + ([d] if zeros else [])
        return min(present) if stat == "Minimum" else max(present)
    match = _PERCENTILE.match(stat)
    if match:
        # nearest rank on a multiset of two values: rank ceil(p% * n) in ascending order
        rank = max(1, math.ceil(float(match.group(1)) / 100 * n))
        low, high = sorted([(value, ones), (d, zeros)], key=lambda x: x[0])
        if low[1] == 0:
            low = high
        return low[0] if rank <= low[1] else high[0]
    if _TRIMMED_MEAN.match(stat):
        if zeros == 0 or d == value:
            return value  # every datapoint is the same value
        raise NotModelled(f"the statistic {stat} over the filter's defaultValue datapoints")
    raise NotModelled(f"the statistic {stat}")


def compare(comparison: str, value: float, threshold: float) -> bool:
    return {
        "GreaterThanOrEqualToThreshold": value >= threshold,
        "GreaterThanThreshold": value > threshold,
        "LessThanThreshold": value < threshold,
        "LessThanOrEqualToThreshold": value <= threshold,
    }[comparison]


SYMBOL = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def state(value: Value, comparison: str, threshold: float, missing: object) -> str | Unknown:
    """ALARM | OK | INSUFFICIENT_DATA | STAY (keeps the state it had) for one datapoint."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        if missing is UNKNOWN:
            return UNKNOWN
        return {"breaching": "ALARM", "notBreaching": "OK", "ignore": "STAY"}.get(
            missing if isinstance(missing, str) else "", "INSUFFICIENT_DATA"
        )
    assert isinstance(value, float)
    return "ALARM" if compare(comparison, value, threshold) else "OK"
