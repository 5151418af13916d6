"""Every finding code has a Pulumi fix (the rule's) and an AWS CLI fix (trailwatch_policy.base.codes),
and the CLI fix names the resource the finding is about."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from trailwatch_policy.base.codes import REGISTRY
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
from trailwatch_policy.chain import ChainOptions, evaluate
from trailwatch_policy.rules.fixes import FIXES, PREVIEW_ONLY, cli_fix, cli_fix_of, pulumi_fix
from trailwatch_policy.rules.metric_filter import CIS_PATTERN

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
REGION = "eu-west-1"
GROUP = "aws-cloudtrail-logs-main"
GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"
ALARM_ARN = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:Unauthorized"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:security-alerts"
FILTER_ID = f"{GROUP_ARN}:metric-filter:denied-calls"
LIVE = ChainOptions(log_group_patterns=(), preview=False, topics_complete=True)


def rule_codes() -> set[str]:
    """Codes the shared rules can emit: the registry's, less the audit's own and the contained
    internal error (tests/test_codes.py checks the registry against every Problem built)."""
    return set[str](REGISTRY) - audit_codes() - {"evaluation-failed"}


def audit_codes() -> set[str]:
    text = (ROOT / "trailwatch" / "audit" / "verdict.py").read_text()
    return set(re.findall(r'_own\(\s*"(?:fail|unknown)",\s*"([a-z0-9-]+)"', text))


def test_every_code_an_audit_can_emit_has_a_cli_fix() -> None:
    rules, own = rule_codes(), audit_codes()
    assert {"alarm-topic-missing", "topic-encryption-unknown"} <= rules
    assert own == {"no-trail", "trail-no-log-group", "trail-log-group-invalid", "log-group-missing"}
    assert PREVIEW_ONLY <= rules and not PREVIEW_ONLY & set(FIXES)
    assert (rules - PREVIEW_ONLY) | own == set(FIXES)
    # the audit's own codes carry their Pulumi fix in the table; the rules write theirs
    assert all(FIXES[c].pulumi for c in own)
    assert not any(FIXES[c].pulumi for c in rules - PREVIEW_ONLY)


@pytest.mark.parametrize("code", sorted(FIXES))
def test_every_template_fills_from_the_resource_arn(code: str) -> None:
    resource = {"trail": TRAIL_ARN, "no": TRAIL_ARN, "log": GROUP_ARN, "alarm": ALARM_ARN, "topic": TOPIC_ARN}.get(
        code.split("-")[0], FILTER_ID
    )
    text = cli_fix(code, resource, GROUP, (("topic", TOPIC_ARN),))
    assert text.startswith(("aws ", "confirm ")), text
    assert not re.search(r"\{[a-z_]+\}", text), text  # every placeholder filled
    assert "<region>" not in text and "<log group>" not in text  # from the ARN
    if FIXES[code].pulumi:
        pulumi = pulumi_fix(code, resource, GROUP)
        assert not re.search(r"\{(region|trail|log_group|alarm|topic)\}", pulumi), pulumi


def test_trail_fixes_name_the_trail_and_its_region() -> None:
    assert cli_fix("trail-not-multi-region", TRAIL_ARN) == (
        f"aws cloudtrail update-trail --region {REGION} --name {TRAIL_ARN} --is-multi-region-trail"
    )
    assert cli_fix("trail-not-logging", TRAIL_ARN) == (
        f"aws cloudtrail start-logging --region {REGION} --name {TRAIL_ARN}"
    )
    assert '[{"ReadWriteType": "All", "IncludeManagementEvents": true}]' in cli_fix(
        "trail-management-events", TRAIL_ARN
    )


def test_unknown_code_falls_back_to_the_given_fix() -> None:
    assert cli_fix("pattern-unknown", FILTER_ID, fallback="pattern=...") == "pattern=..."


def test_audit_only_pulumi_fix_keeps_python_braces() -> None:
    assert 'f"{a}:*"' in pulumi_fix("trail-no-log-group", TRAIL_ARN)
    assert f'name="{GROUP}"' in pulumi_fix("log-group-missing", GROUP_ARN, GROUP)


def live_inventory(**alarm_changes: Any) -> Inventory:
    """An account as the audit maps it: ARNs everywhere, a non-default metric name."""
    metric = MetricTransformation("DeniedCalls", "Security", "1")
    alarm = Alarm(
        ALARM_ARN,
        "Unauthorized",
        "Security",
        "DeniedCalls",
        statistic="Sum",
        period=300.0,
        threshold=1.0,
        comparison="GreaterThanOrEqualToThreshold",
        evaluation_periods=1.0,
        treat_missing_data="notBreaching",
        alarm_actions=(Ref(TOPIC_ARN),),
    )
    return Inventory(
        trails=(Trail(TRAIL_ARN, "main", Ref(GROUP_ARN + ":*"), True, True, region=REGION),),
        log_groups=(LogGroup(GROUP_ARN, GROUP, GROUP_ARN),),
        filters=(MetricFilter(FILTER_ID, "denied-calls", Ref(GROUP), CIS_PATTERN, (metric,)),),
        alarms=(replace(alarm, **alarm_changes),),
        topics=(Topic(TOPIC_ARN, "security-alerts", TOPIC_ARN),),
        subscriptions=(Subscription(TOPIC_ARN + ":1", Ref(TOPIC_ARN), "email", "a@b.c"),),
    )


def only_finding(inv: Inventory):
    [result] = evaluate(inv, LIVE)
    [finding] = result.findings
    return finding


def test_alarm_cli_fix_keeps_the_filter_metric_and_the_alarm_topic() -> None:
    finding = only_finding(live_inventory(threshold=5.0))
    assert finding.code == "alarm-threshold" and "threshold=1" in finding.fix  # Pulumi wording
    cli = cli_fix_of(finding)
    assert cli.startswith(f"aws cloudwatch put-metric-alarm --region {REGION} --alarm-name Unauthorized ")
    assert "--namespace Security --metric-name DeniedCalls" in cli
    assert f"--alarm-actions {TOPIC_ARN}" in cli and "--threshold 1 " in cli


def test_pattern_cli_fix_rewrites_the_same_filter() -> None:
    inv = live_inventory()
    inv = replace(inv, filters=(replace(inv.filters[0], pattern='{ $.errorCode = "AccessDenied" }'),))
    finding = only_finding(inv)
    assert finding.code == "pattern-rejected"
    assert cli_fix_of(finding) == (
        f"aws logs put-metric-filter --region {REGION} --log-group-name {GROUP} --filter-name "
        f"denied-calls --filter-pattern '{CIS_PATTERN}' --metric-transformations "
        "metricName=DeniedCalls,metricNamespace=Security,metricValue=1,defaultValue=0"
    )


def test_missing_topic_cli_fix_recreates_it() -> None:
    inv = live_inventory()
    inv = replace(inv, topics=(replace(inv.topics[0], exists=False),), subscriptions=())
    finding = only_finding(inv)
    assert finding.code == "alarm-topic-missing"
    assert cli_fix_of(finding).startswith(
        f"aws sns create-topic --region {REGION} --name security-alerts, "
        f"then aws sns subscribe --region {REGION} --topic-arn {TOPIC_ARN}"
    )


def test_topic_cli_fix_names_the_topic_not_the_alarm_action() -> None:
    inv = live_inventory()
    inv = replace(inv, topics=(replace(inv.topics[0], kms_master_key_id="alias/aws/sns"),))
    finding = only_finding(inv)
    assert finding.code == "topic-aws-managed-key"
    assert (
        f"aws sns set-topic-attributes --region {REGION} --topic-arn {TOPIC_ARN} "
        "--attribute-name KmsMasterKeyId" in cli_fix_of(finding)
    )
