"""Issue 21 item 3: every filter on a log group is judged against every control.

A filter that counts a control's events is that control's filter, whatever metric it publishes:
one filter (and one alarm) for several controls serves each of them (docs/controls.md, "One
alarm for several controls"), a filter that counts part of a control's events is judged for it
with the shortfall named, and "no metric filter" is said only when no filter counts its events.
The exception is CIS 4.1: denied calls are routine, so an alarm shared with them is in ALARM too
often to notify another control's event (alarm actions run on state changes only).
"""

from __future__ import annotations

from typing import Any

import pytest

from moto_server import Chain, Endpoint, audit, build
from trailwatch_policy import controls as t
from trailwatch_policy.base.model import (
    Alarm,
    Inventory,
    LogGroup,
    MetricFilter,
    MetricTransformation,
    Ref,
    Subscription,
    Topic,
    Trail,
)
from trailwatch_policy.chain import evaluate
from trailwatch_policy.controls import CONTROLS, find
from trailwatch_policy.controls.judge import judge

IDS = [c.id for c in CONTROLS]
RARE = [c.id for c in CONTROLS if not c.frequent]
LG_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:trail-logs:*"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def either(*patterns: str) -> str:
    """One pattern counting what each of `patterns` counts."""
    return "{ " + " || ".join("(" + p.strip()[1:-1].strip() + ")" for p in patterns) + " }"


def stack(*filters: tuple[str, str]) -> Inventory:
    """trail -> log group -> the filters (pattern, metric), each with its alarm -> one topic -> email."""
    flts, alarms = [], []
    for i, (pattern, metric) in enumerate(filters):
        flts.append(
            MetricFilter(
                f"f{i}", f"filter{i}", Ref("trail-logs"), pattern, (MetricTransformation(metric, "CISBenchmark", "1"),)
            )
        )
        alarms.append(
            Alarm(
                f"a{i}",
                metric,
                "CISBenchmark",
                metric,
                statistic="Sum",
                period=300.0,
                threshold=1.0,
                comparison="GreaterThanOrEqualToThreshold",
                evaluation_periods=1.0,
                treat_missing_data="notBreaching",
                alarm_actions=(Ref(TOPIC),),
            )
        )
    return Inventory(
        trails=(Trail("trail", "main", Ref(LG_ARN), True, True),),
        log_groups=(LogGroup("lg", "trail-logs", LG_ARN),),
        filters=tuple(flts),
        alarms=tuple(alarms),
        topics=(Topic("tp", "alerts", TOPIC),),
        subscriptions=(Subscription("s", Ref(TOPIC), "email", "security@example.com"),),
    )


def verdict(inv: Inventory, control: str) -> tuple[str, set[str], list[str]]:
    [result] = evaluate(inv, control=control)
    return result.status, {f.code for f in result.findings}, [f.message for f in result.findings]


NETWORK = either(t._names(*t.SG_APIS), t._names(*t.NACL_APIS), t._names(*t.GATEWAY_APIS))


@pytest.mark.parametrize("metric", ["NetworkGatewayChanges", "SecurityGroupChanges", "NetworkChanges"])
@pytest.mark.parametrize("control", IDS)
def test_one_filter_for_three_controls_is_each_ones(control: str, metric: str) -> None:
    """The issue's case: one filter for 4.10+4.11+4.12 -- whatever metric it publishes, the
    three pass, and every other control has no filter (said in its words)."""
    status, codes, messages = verdict(stack((NETWORK, metric)), control)
    if control in ("4.10", "4.11", "4.12"):
        assert (status, codes) == ("pass", set()), messages
    else:
        assert (status, codes) == ("fail", {"no-metric-filter"}), messages
        assert f"has no metric filter for {find(control).what}" in messages[0]


@pytest.mark.parametrize("control", RARE)
def test_a_filter_shared_with_another_rare_control_satisfies_both(control: str) -> None:
    """Every control whose events are rare, paired with the next one (whose pattern fits with
    its own in CloudWatch's 1024 characters): one filter, one alarm,
    published under the partner's metric, passes both (and the partner's own judge)."""
    at = RARE.index(control)
    pairs = [
        (find(RARE[(at + k) % len(RARE)]), either(find(control).pattern, find(RARE[(at + k) % len(RARE)]).pattern))
        for k in range(1, len(RARE))
    ]
    partner, pattern = next((p, text) for p, text in pairs if len(text) <= 1024)  # CloudWatch's limit
    assert judge(pattern, control=control).ok and judge(pattern, control=partner.id).ok
    inv = stack((pattern, partner.metric))
    assert verdict(inv, control)[:2] == ("pass", set())
    assert verdict(inv, partner.id)[:2] == ("pass", set())


@pytest.mark.parametrize("control", RARE)
def test_sharing_with_the_frequent_denials_of_4_1_is_refused(control: str) -> None:
    """4.1 itself may count another control's events; the other control may not share 4.1's denials."""
    pattern = either(find("4.1").pattern, find(control).pattern)
    assert judge(pattern, control="4.1").ok
    v = judge(pattern, control=control)
    assert v.status == "not_ok"
    assert any("denied API calls (CIS 4.1's events" in r for r in v.reasons), v.reasons
    inv = stack((pattern, find(control).metric))
    assert verdict(inv, "4.1")[:2] == ("pass", set())
    status, codes, _ = verdict(inv, control)
    assert (status, codes) == ("fail", {"pattern-rejected"})


def test_a_filter_counting_part_of_a_controls_events_is_judged_for_it_with_the_shortfall_named() -> None:
    partial = either(t._names(*t.SG_APIS), t._names(*t.NACL_APIS[1:]))  # no CreateNetworkAcl
    inv = stack((partial, "SecurityGroupChanges"))
    assert verdict(inv, "4.10")[:2] == ("pass", set())
    status, codes, messages = verdict(inv, "4.11")
    assert (status, codes) == ("fail", {"pattern-rejected"}), messages
    assert any("CreateNetworkAcl" in m and "network ACL changes" in m for m in messages), messages


def test_a_filter_that_only_overlaps_a_control_is_not_its_filter() -> None:
    """4.1's filter counts the root user's denied calls and 4.8's the root user's PutBucketPolicy:
    neither is 4.3's filter, so 4.3 has no metric filter."""
    inv = stack((find("4.1").pattern, "UnauthorizedAPICalls"), (find("4.8").pattern, "S3BucketPolicyChanges"))
    status, codes, _ = verdict(inv, "4.3")
    assert (status, codes) == ("fail", {"no-metric-filter"})


def test_the_4_2_filter_is_not_4_6s_a_failed_mfa_challenge_carries_mfa_used_yes() -> None:
    """A wrong password is recorded with MFAUsed "No" (the sign-in events page), so CIS 4.2's pattern
    counts it; a failure at the MFA challenge carries "Yes" and is not counted: the 4.2 filter
    counts part of 4.6's events, none only 4.6 names, and is not 4.6's filter."""
    status, codes, messages = verdict(stack((find("4.2").pattern, "ConsoleSigninWithoutMFA")), "4.6")
    assert (status, codes) == ("fail", {"no-metric-filter"}), messages
    both = stack((find("4.2").pattern, "ConsoleSigninWithoutMFA"), (find("4.6").pattern, "ConsoleSigninFailures"))
    assert verdict(both, "4.6")[:2] == verdict(both, "4.2")[:2] == ("pass", set())


# -- the audit: one filter and one alarm for 4.10 + 4.11 + 4.12 --------------------------------------


def deploy(endpoint: Endpoint, filters: dict[str, tuple[str, str]]) -> dict[str, Any]:
    made = build(endpoint, Chain())
    logs, cloudwatch = endpoint.client("logs", "us-east-1"), endpoint.client("cloudwatch", "us-east-1")
    for name, (pattern, metric) in filters.items():
        logs.put_metric_filter(
            logGroupName="aws-cloudtrail-logs-main",
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1", "defaultValue": 0}
            ],
        )
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName=metric,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[made["topic"]],
        )
    return made


@pytest.mark.slow
def test_the_audit_passes_each_control_of_a_shared_filter(moto: Endpoint) -> None:
    filters = {c.metric: (c.pattern, c.metric) for c in CONTROLS[1:] if c.id not in ("4.10", "4.11", "4.12")}
    filters["network-changes"] = (NETWORK, "NetworkGatewayChanges")
    deploy(moto, filters)
    code, report, _ = audit(moto, "--controls", "all")
    [account] = report["accounts"]
    got = {
        cid: (c["status"], {f["code"] for tr in c["trails"] for f in tr["findings"]})
        for cid, c in account["controls"].items()
    }
    assert got == {cid: ("pass", set()) for cid in IDS}, got
    assert (code, report["status"]) == (0, "pass")
