"""The audit reads what the alarm and topic rules need (issue 14) from a real AWS API (moto's
server): the topic's KMS key (kms:DescribeKey, kms:GetKeyPolicy), its policy evaluated with
the alarm's own ARN and account, FIFO topics, and the alarm settings (threshold 0 with a
defaultValue, units, treatMissingData ignore). A denied KMS read is UNKNOWN: moto enforces
IAM (`/moto-api/reset-auth`) and the audit runs as a user whose policy denies kms:*.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from moto_server import Chain, Endpoint, build
from moto_server import audit as run_audit

pytestmark = pytest.mark.slow

CLOUDWATCH_USES_KEY = {
    "Sid": "CloudWatchAlarms",
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
}


def key_policy(account: str, *extra: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EnableIAMPolicies",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                *extra,
            ],
        }
    )


def audit(endpoint: Endpoint, **credentials: str) -> tuple[int, dict[str, Any]]:
    code, report, stderr = run_audit(endpoint, env=credentials)
    assert report is not None, stderr
    return code, report


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for a in report["accounts"] for t in a["trails"] for f in t["findings"]}


def encrypt(
    endpoint: Endpoint, made: dict[str, str], policy: str | None, *, enabled: bool = True, alias: bool = True
) -> str:
    kms = endpoint.client("kms")
    args = {"Policy": policy} if policy is not None else {}
    key = kms.create_key(Description="alarm topic key", **args)["KeyMetadata"]
    if not enabled:
        kms.disable_key(KeyId=key["KeyId"])
    reference = key["Arn"]
    if alias:
        reference = "alias/alarm-topic"
        kms.create_alias(AliasName=reference, TargetKeyId=key["KeyId"])
    endpoint.client("sns").set_topic_attributes(
        TopicArn=made["topic"], AttributeName="KmsMasterKeyId", AttributeValue=reference
    )
    return reference


def test_a_key_whose_policy_lets_cloudwatch_use_it_passes(moto: Endpoint) -> None:
    made = build(moto, Chain())
    encrypt(moto, made, key_policy(made["account"], CLOUDWATCH_USES_KEY))
    code, report = audit(moto)
    assert (code, report["status"]) == (0, "pass"), findings(report)


@pytest.mark.parametrize(
    ("policy", "enabled", "expected"),
    [
        pytest.param("default", True, "topic-key-policy-blocks-cloudwatch", id="default-key-policy"),
        pytest.param("iam-only", True, "topic-key-policy-blocks-cloudwatch", id="enable-iam-policies-only"),
        pytest.param("ok", False, "topic-key-disabled", id="disabled-key"),
    ],
)
def test_a_key_cloudwatch_cannot_use_fails(moto: Endpoint, policy: str, enabled: bool, expected: str) -> None:
    made = build(moto, Chain())
    document = {
        "default": None,
        "iam-only": key_policy(made["account"]),
        "ok": key_policy(made["account"], CLOUDWATCH_USES_KEY),
    }[policy]
    encrypt(moto, made, document, enabled=enabled, alias=policy != "iam-only")
    code, report = audit(moto)
    assert (code, report["status"]) == (1, "fail")
    found = findings(report)
    assert expected in found, found
    assert found[expected]["fix"].startswith("aws kms ")
    assert found[expected]["resource"] == made["topic"]


def test_a_denied_key_read_is_unknown(moto: Endpoint) -> None:
    made = build(moto, Chain())
    encrypt(moto, made, key_policy(made["account"], CLOUDWATCH_USES_KEY))
    code, report = audit(moto, **moto.auditor_denied("kms:*"))
    assert report["status"] == "unknown", report
    found = findings(report)
    assert "audit.access-denied" in found and "kms:DescribeKey" in found["audit.access-denied"]["message"]
    assert {"topic-key-unread", "topic-key-policy-unknown"} & set(found), found


def test_topic_policy_is_evaluated_with_the_alarms_own_arn(moto: Endpoint) -> None:
    made = build(moto, Chain())
    sns = moto.client("sns")
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": made["topic"],
    }

    def policy(condition: dict[str, Any]) -> None:
        sns.set_topic_attributes(
            TopicArn=made["topic"],
            AttributeName="Policy",
            AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Condition": condition}]}),
        )

    policy({"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{made['account']}:alarm:*"}})
    assert audit(moto)[1]["status"] == "pass"
    policy({"ArnEquals": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{made['account']}:alarm:other"}})
    code, report = audit(moto)
    assert code == 1 and "topic-policy-blocks-cloudwatch" in findings(report)
    policy({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    code, report = audit(moto)
    assert report["status"] == "unknown" and "topic-policy-unknown" in findings(report)


def put_alarm(endpoint: Endpoint, topic: str, **changes: Any) -> None:
    args: dict[str, Any] = dict(
        AlarmName="Unauthorized_API_Calls",
        MetricName="UnauthorizedAPICalls",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    endpoint.client("cloudwatch").put_metric_alarm(**{**args, **changes})


def test_fifo_topic_fails(moto: Endpoint) -> None:
    build(moto, Chain(alarm=False))
    sns = moto.client("sns")
    fifo = sns.create_topic(Name="security-alerts.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:alerts.fifo")
    put_alarm(moto, fifo)
    code, report = audit(moto)
    assert code == 1 and "topic-fifo" in findings(report)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"Threshold": 0.0}, "alarm-fires-without-event", id="threshold-0-with-default-value"),
        pytest.param({"Unit": "Seconds"}, "alarm-unit", id="unit-the-filter-does-not-publish"),
        pytest.param({"Statistic": "Average"}, "alarm-threshold", id="average-over-default-values"),
    ],
)
def test_alarm_settings_read_from_describe_alarms(moto: Endpoint, changes: dict[str, Any], expected: str) -> None:
    made = build(moto, Chain(alarm=False))
    put_alarm(moto, made["topic"], **changes)
    code, report = audit(moto)
    assert code == 1 and expected in findings(report), findings(report)
