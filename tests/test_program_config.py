"""parse_settings: every stack configuration rule, without Pulumi (the module is pure)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from trailwatch.component.patterns import CIS_1_2, CIS_2_0
from trailwatch.config import KEYS, RETENTION_DAYS, ConfigError, Subscription, parse_settings

EXISTING = {"logGroupName": "aws-controltower/CloudTrailLogs", "emails": "sec@example.com"}
CREATE = {"createTrail": "true", "emails": '["sec@example.com"]'}


def parse(**raw: str | None):
    return parse_settings(raw, project="trailwatch", stack="dev")


def test_defaults_are_the_cis_remediation_values_with_stack_unique_names() -> None:
    settings = parse(**EXISTING)
    assert settings.log_group_name == "aws-controltower/CloudTrailLogs"
    assert settings.create_trail is False
    assert settings.pattern_profile == "cis-2.0" and settings.pattern == CIS_2_0
    # Unique per stack by default: two stacks in one account and region must not count each other's events.
    assert (settings.metric_namespace, settings.metric_name) == ("CISBenchmark", "UnauthorizedAPICalls-trailwatch-dev")
    assert settings.alarm_name == "Unauthorized_API_Calls-trailwatch-dev"
    assert settings.metric_filter_name == "Unauthorized_API_Calls-trailwatch-dev"
    assert (settings.alarm_period, settings.alarm_threshold, settings.alarm_evaluation_periods) == (300, 1.0, 1)
    assert settings.ok_actions is False
    assert settings.topic_arn is None and settings.topic_encryption == "cmk" and settings.kms_key_id is None
    assert settings.subscriptions == (Subscription("email", "sec@example.com"),)
    assert settings.tags == {"managed-by": "trailwatch"}


def test_create_mode_defaults_trail_name_and_retention() -> None:
    settings = parse(**CREATE)
    assert settings.create_trail and settings.log_group_name is None
    assert settings.trail_name == "trailwatch-trailwatch-dev"
    assert settings.log_retention_days == 365


def test_names_differ_between_stacks_and_projects() -> None:
    names = {
        (s.alarm_name, s.metric_filter_name, s.trail_name)
        for s in (
            parse_settings(CREATE, project=p, stack=st) for p in ("trailwatch", "payments") for st in ("dev", "prod")
        )
    }
    assert len(names) == 4
    assert len({n[0] for n in names}) == 4


def test_every_key_parsed_when_set() -> None:
    settings = parse(
        createTrail="true",
        trailName="org-audit",
        logRetentionDays="731",
        patternProfile="cis-1.2",
        metricNamespace="Security/CIS",
        metricName="Denied",
        metricFilterName="denied-filter",
        alarmName="denied-alarm",
        alarmPeriod="600",
        alarmThreshold="2.5",
        alarmEvaluationPeriods="3",
        okActions="True",
        topicEncryption="cmk",
        kmsKeyId="arn:aws:kms:us-east-1:111122223333:key/0b5b2a3e-1111-2222-3333-444455556666",
        emails='["a@example.com", "b@example.org"]',
        httpsEndpoints='["https://hooks.example.com/x?a=1"]',
        sqsQueueArns='["arn:aws:sqs:eu-west-1:111122223333:alarms"]',
        lambdaFunctionArns='["arn:aws:lambda:us-east-1:111122223333:function:notify:live"]',
        subscriptions=json.dumps(
            [
                "c@example.com",
                {"protocol": "https", "endpoint": "https://h.example.com"},
                {"endpoint": "arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q"},
            ]
        ),
        tags='{"team": "security", "cost-center": "4711"}',
    )
    assert settings.trail_name == "org-audit" and settings.log_retention_days == 731
    assert settings.pattern == CIS_1_2
    assert (settings.metric_namespace, settings.metric_name) == ("Security/CIS", "Denied")
    assert (settings.metric_filter_name, settings.alarm_name) == ("denied-filter", "denied-alarm")
    assert (settings.alarm_period, settings.alarm_threshold, settings.alarm_evaluation_periods) == (600, 2.5, 3)
    assert settings.ok_actions is True
    assert settings.kms_key_id.endswith("key/0b5b2a3e-1111-2222-3333-444455556666")
    assert [(s.protocol, s.endpoint) for s in settings.subscriptions] == [
        ("email", "a@example.com"),
        ("email", "b@example.org"),
        ("https", "https://hooks.example.com/x?a=1"),
        ("sqs", "arn:aws:sqs:eu-west-1:111122223333:alarms"),
        ("lambda", "arn:aws:lambda:us-east-1:111122223333:function:notify:live"),
        ("email", "c@example.com"),
        ("https", "https://h.example.com"),
        ("sqs", "arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q"),
    ]
    assert settings.tags == {"managed-by": "trailwatch", "team": "security", "cost-center": "4711"}


def test_a_plain_string_is_a_one_item_list_and_duplicates_collapse() -> None:
    settings = parse(logGroupName="g", emails="x@example.com", subscriptions='["x@example.com"]')
    assert settings.subscriptions == (Subscription("email", "x@example.com"),)


def test_existing_topic_needs_no_subscription() -> None:
    settings = parse(logGroupName="g", topicArn="arn:aws:sns:us-east-1:111122223333:security-alerts")
    assert settings.topic_arn == "arn:aws:sns:us-east-1:111122223333:security-alerts"
    assert settings.subscriptions == ()


@pytest.mark.parametrize("days", RETENTION_DAYS)
def test_every_cloudwatch_retention_value_is_accepted(days: int) -> None:
    assert parse(**CREATE, logRetentionDays=str(days)).log_retention_days == days


BAD: list[tuple[dict[str, str], str, str]] = [
    # (raw config, key named in the message, text the message must contain)
    ({"createTrail": "true", "logGroupName": "g", "emails": "a@example.com"}, "logGroupName", "not both"),
    ({"emails": "a@example.com"}, "logGroupName", "createTrail: true"),
    ({"createTrail": "false", "emails": "a@example.com"}, "logGroupName", "no trail mode"),
    (
        {**EXISTING, "logGroupName": "arn:aws:logs:us-east-1:111122223333:log-group:x:*"},
        "logGroupName",
        "the log group name",
    ),
    ({**EXISTING, "logGroupName": "bad name with spaces"}, "logGroupName", "1-512"),
    ({**EXISTING, "createTrail": "yes"}, "createTrail", "true or false"),
    ({**EXISTING, "logRetentionDays": "30"}, "logRetentionDays", "only with createTrail: true"),
    ({**EXISTING, "trailName": "t"}, "trailName", "only with createTrail: true"),
    ({**CREATE, "logRetentionDays": "42"}, "logRetentionDays", "3653"),
    ({**CREATE, "logRetentionDays": "a year"}, "logRetentionDays", "0 = never expire"),
    ({**CREATE, "trailName": "-bad"}, "trailName", "starting and ending with a letter or digit"),
    ({**CREATE, "trailName": "a..b"}, "trailName", "no adjacent"),
    ({**CREATE, "trailName": "10.0.0.1"}, "trailName", "3-128"),
    ({**EXISTING, "patternProfile": "cis-1.4"}, "patternProfile", "cis-2.0 (default"),
    ({**EXISTING, "patternProfile": "cis-1.4"}, "patternProfile", "cis-1.2"),
    ({**EXISTING, "metricNamespace": "AWS/Logs"}, "metricNamespace", "not starting with AWS/"),
    ({**EXISTING, "metricNamespace": "bad|ns"}, "metricNamespace", "default CISBenchmark"),
    ({**EXISTING, "metricName": ""}, "metricName", "1-255"),
    ({**EXISTING, "metricFilterName": "a:b"}, "metricFilterName", "without ':'"),
    ({**EXISTING, "alarmName": "x" * 256}, "alarmName", "1-255"),
    ({**EXISTING, "alarmName": "tab\there"}, "alarmName", "printable"),
    ({**EXISTING, "alarmThreshold": "0"}, "alarmThreshold", "a number >= 1"),
    ({**EXISTING, "alarmThreshold": "0.5"}, "alarmThreshold", "a number >= 1"),
    ({**EXISTING, "alarmThreshold": "one"}, "alarmThreshold", "a number >= 1"),
    ({**EXISTING, "alarmThreshold": "nan"}, "alarmThreshold", "a number >= 1"),
    ({**EXISTING, "alarmEvaluationPeriods": "0"}, "alarmEvaluationPeriods", "an integer >= 1"),
    ({**EXISTING, "alarmEvaluationPeriods": "1.5"}, "alarmEvaluationPeriods", "an integer >= 1"),
    ({**EXISTING, "alarmEvaluationPeriods": "300"}, "alarmEvaluationPeriods", "<= 86400"),
    ({**EXISTING, "alarmPeriod": "90"}, "alarmPeriod", "a multiple of 60"),
    ({**EXISTING, "alarmPeriod": "30"}, "alarmPeriod", "a multiple of 60"),
    ({**EXISTING, "alarmPeriod": "0"}, "alarmPeriod", "from 60 to 86400"),
    ({**EXISTING, "alarmPeriod": "five minutes"}, "alarmPeriod", "a multiple of 60"),
    ({**EXISTING, "okActions": "1"}, "okActions", "true or false"),
    ({**EXISTING, "topicArn": "arn:aws:sqs:us-east-1:111122223333:q"}, "topicArn", "an SNS topic ARN"),
    ({**EXISTING, "topicArn": "arn:aws:sns:us-east-1:1234:t"}, "topicArn", "an SNS topic ARN"),
    (
        {**EXISTING, "topicArn": "arn:aws:sns:us-east-1:111122223333:t", "kmsKeyId": "alias/x"},
        "kmsKeyId",
        "existing topic keeps its own encryption",
    ),
    (
        {**EXISTING, "topicArn": "arn:aws:sns:us-east-1:111122223333:t", "topicEncryption": "none"},
        "topicEncryption",
        "existing topic",
    ),
    ({**EXISTING, "topicEncryption": "aws-managed"}, "topicEncryption", "cmk (default"),
    ({**EXISTING, "kmsKeyId": "alias/aws/sns"}, "kmsKeyId", "customer-managed key"),
    ({**EXISTING, "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:alias/aws/sns"}, "kmsKeyId", "silently dropped"),
    ({**EXISTING, "kmsKeyId": "my key"}, "kmsKeyId", "a KMS key ARN"),
    ({**EXISTING, "kmsKeyId": "alias/mine", "topicEncryption": "none"}, "kmsKeyId", "topicEncryption: cmk"),
    ({"logGroupName": "g"}, "emails", "at least one of"),
    ({"logGroupName": "g", "emails": "[]"}, "emails", "at least one of"),
    ({**EXISTING, "emails": "not-an-email"}, "emails", "email address"),
    ({**EXISTING, "emails": '["ok@example.com", "bad@"]'}, "emails", "email address"),
    ({**EXISTING, "emails": "[1]"}, "emails", "email address"),
    ({**EXISTING, "emails": "[not json"}, "emails", "a list of"),
    ({**EXISTING, "httpsEndpoints": "http://hooks.example.com"}, "httpsEndpoints", "https:// URL"),
    ({**EXISTING, "httpsEndpoints": "https://"}, "httpsEndpoints", "https:// URL"),
    ({**EXISTING, "sqsQueueArns": "arn:aws:sqs:us-east-1:111122223333"}, "sqsQueueArns", "SQS queue ARN"),
    ({**EXISTING, "sqsQueueArns": "arn:aws:sns:us-east-1:111122223333:t"}, "sqsQueueArns", "SQS queue ARN"),
    (
        {**EXISTING, "lambdaFunctionArns": "arn:aws:lambda:us-east-1:111122223333:notify"},
        "lambdaFunctionArns",
        "Lambda function ARN",
    ),
    ({**EXISTING, "subscriptions": '["ftp://x"]'}, "subscriptions", "cannot tell the protocol"),
    (
        {**EXISTING, "subscriptions": '[{"protocol": "sms", "endpoint": "+15550100"}]'},
        "subscriptions",
        "email, https, sqs, lambda",
    ),
    (
        {**EXISTING, "subscriptions": '[{"protocol": "email", "endpoint": "https://x.example"}]'},
        "subscriptions",
        "email address",
    ),
    ({**EXISTING, "subscriptions": '[{"url": "https://x.example"}]'}, "subscriptions", "objects"),
    # A protocol given as a list or an object is unhashable: a config error, not a TypeError.
    (
        {**EXISTING, "subscriptions": '[{"protocol": ["email"], "endpoint": "a@example.com"}]'},
        "subscriptions",
        "email, https, sqs, lambda",
    ),
    (
        {**EXISTING, "subscriptions": '[{"protocol": {"p": "sqs"}, "endpoint": "a@example.com"}]'},
        "subscriptions",
        "email, https, sqs, lambda",
    ),
    ({**EXISTING, "tags": '["a"]'}, "tags", "a map of strings"),
    ({**EXISTING, "tags": '{"cost-center": 4711}'}, "tags", "quote numbers"),
    ({**EXISTING, "tags": '{"aws:owner": "x"}'}, "tags", "not starting with aws:"),
    ({**EXISTING, "tags": "team=security"}, "tags", "not valid JSON"),
    ({**EXISTING, "alarmTreshold": "1"}, "alarmTreshold", "alarmThreshold"),
]


@pytest.mark.parametrize(("raw", "key", "text"), BAD, ids=[f"{k}-{i}" for i, (_, k, _) in enumerate(BAD)])
def test_bad_config_names_the_key_and_the_accepted_values(raw: dict[str, str], key: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(**raw)
    message = str(caught.value)
    assert caught.value.key == f"trailwatch:{key}"
    assert message.startswith(f"invalid configuration trailwatch:{key}: ")
    assert "; accepted: " in message
    assert text in message
    assert "\n" not in message


def test_unknown_key_lists_every_known_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(**EXISTING, alarmTreshold="1")
    for key in KEYS:
        assert key in caught.value.accepted


def test_config_module_imports_no_pulumi() -> None:
    code = (
        "import sys, trailwatch.config, trailwatch.component.patterns; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'grpc', 'boto3')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
