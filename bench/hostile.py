"""Benchmark: the pack under hostile and huge stacks (issue 16), each attack at 10x the
size that hurt before (where the SDK itself allows it, see SIZES), beside a canary.

Each row is the one AnalyzeStack call (plus, for the pattern, the resource policy's Analyze
call on the filter) of a freshly started pack, as in a preview, against a no-op pack on the
same request (the SDK's own cost: deserializing every resource). Targets per attack: answered
in under 10 s, policy output under 5 MB, and the canary -- a CloudTrail log group that lacks
a metric filter, first in the stack -- still named in a mandatory violation.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import analyzer_pb2

from trailwatch_policy.controls.scanners import CIS_1_2 as CIS

from .common import Result
from .packs import NOOP, TRAILWATCH, running
from .stacks import _add, _urn

TARGET_SECONDS = 10.0
TARGET_BYTES = 5 * 1024 * 1024
MONITORED = "unauthorized-api-calls-monitored"
CANARY = "aws-cloudtrail-logs-canary"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

# Before -> here. The SDK turns every resource into Python objects (~75 us each here), so the
# floods of resources are sized to what a no-op pack answers in the time budget.
SIZES = {
    "pattern": 10_000_000,  # 1 MB took ~45 s
    "unresolved filters": 10_000,  # x the same number of groups; 1,000 x 1,000 took ~45 s
    "unresolved alarms": 10_000,  # x the same number of metrics
    "flood": 50_000,  # 30k groups without a filter gave 25 MB (300k: the SDK alone takes > 20 s)
    "regex": 400,  # characters of the names (a+)+$ meets; 40 hung past a minute
    "names": 1_000_000,  # logGroupNames (x 20k groups); 100k x 20k took 26 s
    "deep": 2_000,  # levels; ~200 exceeded Python's limit
    "deeper": 20_000,  # levels; 5,000 crashed protobuf; ~21,000 is protobuf's own ceiling
}


def _with_canary() -> analyzer_pb2.AnalyzeStackRequest:
    req = analyzer_pb2.AnalyzeStackRequest()
    _add(req, LOG_GROUP, "canary", {"name": CANARY, "arn": UNKNOWN})
    return req


def _chain(
    req: analyzer_pb2.AnalyzeStackRequest, i: int, pattern: str = CIS, topic_policy: str | None = None, tags: Any = None
) -> dict[str, str]:
    """A compliant trail -> group -> filter -> alarm -> topic -> subscription chain."""
    group = f"aws-cloudtrail-logs-{i}"
    lg = _add(req, LOG_GROUP, f"trail-logs-{i}", {"name": group, "arn": UNKNOWN, **({"tags": tags} if tags else {})})
    _add(
        req,
        TRAIL,
        f"trail-{i}",
        {"name": f"t{i}", "isMultiRegionTrail": True, "enableLogging": True, "cloudWatchLogsGroupArn": UNKNOWN},
        {"cloudWatchLogsGroupArn": [lg]},
    )
    flt = _add(
        req,
        FILTER,
        f"filter-{i}",
        {
            "name": f"f{i}",
            "logGroupName": group,
            "pattern": pattern,
            "metricTransformation": {"name": f"U{i}", "namespace": "CIS", "value": "1", "defaultValue": "0"},
        },
        {"logGroupName": [lg]},
    )
    topic = _add(req, TOPIC, f"alerts-{i}", {"name": f"alerts-{i}", "arn": UNKNOWN})
    _add(
        req,
        SUBSCRIPTION,
        f"sub-{i}",
        {"topic": UNKNOWN, "protocol": "email", "endpoint": "sec@example.com"},
        {"topic": [topic]},
    )
    if topic_policy is not None:
        _add(req, TOPIC_POLICY, f"policy-{i}", {"arn": UNKNOWN, "policy": topic_policy}, {"arn": [topic]})
    _add(
        req,
        ALARM,
        f"alarm-{i}",
        {
            "name": f"a{i}",
            "metricName": f"U{i}",
            "namespace": "CIS",
            "statistic": "Sum",
            "period": 300.0,
            "threshold": 1.0,
            "evaluationPeriods": 1.0,
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            "treatMissingData": "notBreaching",
            "alarmActions": [UNKNOWN],
        },
        {"alarmActions": [topic]},
    )
    return {"filter": flt}


Attack = tuple[analyzer_pb2.AnalyzeStackRequest, dict, list[analyzer_pb2.AnalyzeRequest]]


def pattern(size: int) -> Attack:
    req = _with_canary()
    huge = ('{ ($.errorCode = "*UnauthorizedOperation") || ' * (size // 46 + 1))[:size]
    _chain(req, 0, pattern=huge)
    flt = next(r for r in req.resources if r.type == FILTER)
    analyze = analyzer_pb2.AnalyzeRequest(type=flt.type, urn=flt.urn, name=flt.name, properties=flt.properties)
    return req, {}, [analyze]


def unresolved_filters(n: int) -> Attack:
    req = _with_canary()
    for i in range(n):
        _add(req, LOG_GROUP, f"g{i}", {"name": f"aws-cloudtrail-logs-{i}", "arn": UNKNOWN})
        _add(
            req,
            FILTER,
            f"f{i}",
            {
                "name": f"f{i}",
                "logGroupName": UNKNOWN,
                "pattern": CIS,
                "metricTransformation": {"name": f"U{i}", "namespace": "CIS", "value": "1"},
            },
            {"logGroupName": [_urn("other", f"x{i}")]},
        )
    return req, {}, []


def unresolved_alarms(n: int) -> Attack:
    req = _with_canary()
    for i in range(n):
        group = f"aws-cloudtrail-logs-{i}"
        _add(req, LOG_GROUP, f"g{i}", {"name": group, "arn": UNKNOWN})
        _add(
            req,
            FILTER,
            f"f{i}",
            {
                "name": f"f{i}",
                "logGroupName": group,
                "pattern": CIS,
                "metricTransformation": {"name": f"U{i}", "namespace": "CIS", "value": "1"},
            },
        )
        _add(
            req,
            ALARM,
            f"a{i}",
            {
                "name": f"a{i}",
                "metricName": UNKNOWN,
                "namespace": "CIS",
                "statistic": "Sum",
                "period": 300.0,
                "threshold": 1.0,
                "evaluationPeriods": 1.0,
                "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "alarmActions": [UNKNOWN],
            },
            {"metricName": [_urn("other", f"m{i}")]},
        )
    return req, {}, []


def flood(n: int) -> Attack:
    req = _with_canary()
    for i in range(n):
        _add(req, LOG_GROUP, f"g{i}", {"name": f"aws-cloudtrail-logs-{i}", "arn": UNKNOWN})
    return req, {}, []


def regex(length: int) -> Attack:
    req = _with_canary()
    for i in range(1_000):
        _add(req, LOG_GROUP, f"g{i}", {"name": "a" * (length - 1) + "!", "arn": UNKNOWN})
    return req, {MONITORED: {"logGroupNamePatterns": ["(a+)+$"]}}, []


def names(n: int) -> Attack:
    req = _with_canary()
    for i in range(20_000):
        _add(req, LOG_GROUP, f"g{i}", {"name": f"app-logs-{i}", "arn": UNKNOWN})
    return req, {MONITORED: {"logGroupNames": [f"org-trail-{i}" for i in range(n)]}}, []


def deep(levels: int) -> Attack:
    """A compliant chain whose log group has a property and whose topic policy has a
    condition nested `levels` deep: judged (it passes), the canary reported."""
    value: Any = "leaf"
    for _ in range(levels):
        value = {"k": value}
    condition = '{"k": ' * levels + '"leaf"' + "}" * levels
    policy = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
        '{"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": "*", '
        '"Condition": {"StringEquals": ' + condition + "}}]}"
    )
    req = _with_canary()
    _chain(req, 0, topic_policy=policy, tags=value)
    return req, {}, []


ATTACKS: dict[str, tuple[Callable[[int], Attack], str]] = {
    "pattern": (pattern, "{:,}-character metric filter pattern"),
    "unresolved filters": (unresolved_filters, "{0:,} groups x {0:,} filters, log group unknown"),
    "unresolved alarms": (unresolved_alarms, "{0:,} metrics x {0:,} alarms, metric unknown"),
    "flood": (flood, "{:,} CloudTrail-named groups without a filter"),
    "regex": (regex, "logGroupNamePatterns (a+)+$ on 1,000 names of {:,} characters"),
    "names": (names, "{:,} logGroupNames x 20,000 groups"),
    "deep": (deep, "documents nested {:,} deep"),
    "deeper": (deep, "documents nested {:,} deep"),
}


def _call(
    pack: Path,
    req: analyzer_pb2.AnalyzeStackRequest,
    config: Mapping[str, Mapping[str, Any]],
    analyze: Sequence[analyzer_pb2.AnalyzeRequest],
) -> tuple[float, list[Any]]:
    with running(pack, config) as (stub, _):
        started = time.perf_counter()
        diags = list(stub.AnalyzeStack(req, timeout=300).diagnostics)
        for one in analyze:
            diags += stub.Analyze(one, timeout=300).diagnostics
        return time.perf_counter() - started, diags


def _canary_reported(diags: list[Any]) -> bool:
    return any(
        d.enforcementLevel == analyzer_pb2.MANDATORY and d.policyName == MONITORED and CANARY in d.message
        for d in diags
    )


def _deep_capable(fn: Callable[[], Any]) -> Any:
    """Run `fn` where protobuf can build and send deeply nested values (this process
    recurses as the pack does: a big thread stack and a high recursion limit)."""
    out: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the caller
            error.append(exc)

    before = sys.getrecursionlimit()
    threading.stack_size(512 * 1024 * 1024)
    sys.setrecursionlimit(200_000)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(before)
    if error:
        raise error[0]
    return out[0]


def _measure(key: str) -> Result:
    build, label = ATTACKS[key]
    size = SIZES[key]
    req, config, analyze = build(size)
    took, diags = _call(TRAILWATCH, req, config, analyze)
    try:
        base: float | None = _call(NOOP, req, {}, analyze)[0]
    except grpc.RpcError:  # the SDK itself fails without the pack's tuning (deep values)
        base = None
    output = sum(len(d.message.encode()) for d in diags)
    canary = _canary_reported(diags)
    return Result(
        name=f"hostile: {label.format(size)}",
        measured=took,
        baseline=base,
        target=f"< {TARGET_SECONDS:g} s, output < 5 MB, canary reported",
        ok=took < TARGET_SECONDS and output < TARGET_BYTES and canary,
        details={
            "output_bytes": output,
            "diagnostics": len(diags),
            "canary": canary,
            "noop_failed": base is None,
            "resources": len(req.resources),
            "request_bytes": req.ByteSize(),
        },
    )


def run() -> list[Result]:
    results = []
    for key in ATTACKS:
        print(f"  {key} ...", file=sys.stderr, flush=True)
        # built, sent, measured and freed where deep values can be (see _deep_capable)
        results.append(_deep_capable(functools.partial(_measure, key)))
    return results
