"""Issue 11 and the component half of issue 13, property by property, on what the program registers.

Each test reads the registrations (Pulumi mocks) or the one-line error a stack gets; the AWS
page behind each rule is cited where the rule is made (trailwatch/config/rules.py, topic.py, trail.py,
monitor.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pulumi
import pytest

from program_helpers import ACCOUNT, REGION, ROOT, ProgramRun, run_program, run_stack, stack_config
from trailwatch.component.patterns import CIS_1_2, CIS_2_0
from trailwatch.config import ConfigError, Subscription, parse_settings

FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PERMISSION = "aws:lambda/permission:Permission"
MONITOR = "trailwatch:index:UnauthorizedApiCallsMonitor"
EXISTING: dict[str, Any] = {
    "trailwatch:logGroupName": "aws-controltower/CloudTrailLogs",
    "trailwatch:emails": ["sec@acme.internal"],
}
#: How the wire form carries a secret value (Pulumi's secret signature).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
PAGERDUTY = "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"


def raises_run_error(config: dict[str, Any], **kwargs: Any) -> tuple[str, ProgramRun]:
    run = ProgramRun(resources=[])
    with pytest.raises(pulumi.RunError) as caught:
        run_program(config, run=run, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "; accepted: " in message
    assert caught.value.__cause__ is None
    return message, run


def aws_resources(run: ProgramRun) -> list[str]:
    return [r.type for r in run.resources if r.type.startswith("aws:")]


# --- secrets -------------------------------------------------------------------------------------


def secret_value(value: Any) -> Any:
    assert isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270", value
    return value["value"]


def test_an_https_endpoint_is_a_secret_in_state_and_logs() -> None:
    run = run_program({**EXISTING, "trailwatch:httpsEndpoints": [PAGERDUTY]})
    https = next(s for s in run.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "https")
    assert secret_value(https.inputs["endpoint"]) == PAGERDUTY
    assert https.additional_secret_outputs == ["endpoint"]
    email = next(s for s in run.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "email")
    assert email.inputs["endpoint"] == "sec@acme.internal" and email.additional_secret_outputs == []


def test_an_endpoint_key_set_as_secret_keeps_every_endpoint_secret() -> None:
    run = run_program(EXISTING, secret_keys=["trailwatch:emails"])
    (subscription,) = run.of_type(SUBSCRIPTION)
    assert secret_value(subscription.inputs["endpoint"]) == "sec@acme.internal"
    assert subscription.additional_secret_outputs == ["endpoint"]


def test_the_prod_stack_file_keeps_its_pagerduty_url_encrypted() -> None:
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    assert "pagerduty" not in text.lower().split("encryptionsalt")[1]  # only as `secure:` ciphertext
    assert "encryptionsalt: v1:" in text and "secure: v1:" in text
    prod = run_stack("prod")
    https = next(s for s in prod.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "https")
    assert secret_value(https.inputs["endpoint"]).startswith("https://events.pagerduty.com/")


def test_offline_the_secret_endpoint_is_left_out_with_a_warning_and_the_pack_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", ".", "--stack", "prod", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["diagnostics"] == []
    assert "trailwatch:httpsEndpoints is a secret this run cannot decrypt" in result.stderr
    subscriptions = [r for r in report["resources"] if r["type"] == SUBSCRIPTION]
    assert len(subscriptions) == 2  # the two emails


def test_a_secret_that_cannot_be_read_and_nothing_else_names_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"logGroupName": "g"}, project="p", stack="s", unreadable=frozenset({"httpsEndpoints"}))
    assert caught.value.key == "trailwatch:httpsEndpoints" and "--config trailwatch:httpsEndpoints=" in str(
        caught.value
    )


@pytest.mark.parametrize("url", ["https://user:pass@hooks.acme.internal/x", "https://token@hooks.acme.internal/x"])
def test_credentials_in_an_https_url_are_refused_without_echoing_them(url: str) -> None:
    message, run = raises_run_error({**EXISTING, "trailwatch:httpsEndpoints": [url]})
    assert message.startswith("invalid configuration trailwatch:httpsEndpoints: ")
    assert "no user:password@" in message and "pass" not in message.split(";")[0].replace("password", "")
    assert "token" not in message and aws_resources(run) == []


# --- endpoints AWS refuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "endpoint", "what"),
    [
        ("lambdaFunctionArns", "arn:aws:lambda:us-east-1:999988887777:function:pager", "Lambda function"),
        ("sqsQueueArns", "arn:aws:sqs:us-east-1:999988887777:alarms", "SQS queue"),
    ],
)
def test_an_endpoint_in_another_account_fails_before_any_aws_resource(key: str, endpoint: str, what: str) -> None:
    message, run = raises_run_error({**EXISTING, f"trailwatch:{key}": [endpoint]})
    assert message.startswith(
        f"invalid configuration trailwatch:{key}: the {what} {endpoint} is in account 999988887777, not {ACCOUNT}"
    )
    assert aws_resources(run) == []


def test_a_lambda_in_another_region_gets_its_permission_there() -> None:
    function = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:pager"
    run = run_program({**EXISTING, "trailwatch:lambdaFunctionArns": [function]})
    assert run.one(PERMISSION).inputs["region"] == "eu-west-1"


@pytest.mark.parametrize(
    ("config", "key", "text"),
    [
        (
            {
                "trailwatch:topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts.fifo",
                "trailwatch:emails": ["a@acme.internal"],
            },
            "emails",
            "FIFO topics deliver to SQS queues only",
        ),
        (
            {
                "trailwatch:topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts.fifo",
                "trailwatch:httpsEndpoints": ["https://hooks.acme.internal/a"],
            },
            "httpsEndpoints",
            "SQS queues only",
        ),
        (
            {"trailwatch:sqsQueueArns": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:alarms.fifo"]},
            "sqsQueueArns",
            "a standard SNS topic cannot deliver to it",
        ),
        (
            {"trailwatch:topicArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts", "aws:region": "us-east-1"},
            "topicArn",
            "a CloudWatch alarm notifies a topic in its own region only",
        ),
    ],
)
def test_fifo_and_cross_region_endpoints_are_refused_with_the_reason(
    config: dict[str, Any], key: str, text: str
) -> None:
    message, run = raises_run_error({"trailwatch:logGroupName": "g", **config})
    assert message.startswith(f"invalid configuration trailwatch:{key}: ") and text in message
    assert run.resources == []


def test_a_topic_in_another_region_is_refused_even_without_aws_region_in_the_stack() -> None:
    # The provider's region (getRegion) decides when the stack file does not say.
    message, run = raises_run_error(
        {"trailwatch:logGroupName": "g", "trailwatch:topicArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"}
    )
    assert f"deploys to {REGION}" in message and aws_resources(run) == []


# --- attach mode: the log group must be in the account ----------------------------------------------


def test_attaching_to_a_log_group_the_account_does_not_have_fails_early_with_one_line() -> None:
    message, run = raises_run_error(
        {**EXISTING, "trailwatch:logGroupName": "aws-controltower/CloudTrailLogs"}, log_groups=frozenset()
    )
    assert message.startswith(
        "invalid configuration trailwatch:logGroupName: log group "
        f"'aws-controltower/CloudTrailLogs' cannot be read in account {ACCOUNT}, region {REGION}"
    )
    assert "empty result" in message  # the provider's own words
    assert "management account" in message
    assert aws_resources(run) == []


# --- metric unique per stack; CIS names on request ------------------------------------------------


def test_metric_naming_cis_keeps_the_benchmark_name() -> None:
    run = run_program({**EXISTING, "trailwatch:metricNaming": "cis"})
    assert run.unauthorized(FILTER).inputs["metricTransformation"]["name"] == "UnauthorizedAPICalls"
    assert run.unauthorized(ALARM).inputs["metricName"] == "UnauthorizedAPICalls"


def test_metric_naming_and_metric_name_together_are_refused() -> None:
    message, _ = raises_run_error({**EXISTING, "trailwatch:metricNaming": "cis", "trailwatch:metricName": "X"})
    assert message.startswith("invalid configuration trailwatch:metricNaming: ")


# --- true to its word: the scanners that audit the account --------------------------------------------


@pytest.mark.parametrize(
    ("audited_by", "pattern", "profile"),
    [
        (["securityhub"], CIS_1_2, "cis-1.2"),
        (["securityhub", "prowler"], CIS_1_2, "cis-1.2"),
        (["steampipe"], CIS_2_0, "cis-2.0"),
        (["prowler"], CIS_2_0, "cis-2.0"),
    ],
)
def test_audited_by_chooses_a_pattern_every_named_scanner_accepts(
    audited_by: list[str], pattern: str, profile: str
) -> None:
    run = run_program({**EXISTING, "trailwatch:auditedBy": audited_by})
    assert run.unauthorized(FILTER).inputs["pattern"] == pattern
    assert run.outputs["patternProfile"] == profile


def test_no_pattern_for_securityhub_and_steampipe_fails_at_preview_with_the_reason() -> None:
    message, run = raises_run_error({**EXISTING, "trailwatch:auditedBy": ["securityhub", "steampipe"]}, preview=True)
    assert message.startswith(
        "invalid configuration trailwatch:auditedBy: no pattern text is accepted by all of securityhub, steampipe: "
    )
    assert "Security Hub CloudWatch.2 accepts only the CIS 1.2 text" in message
    assert run.resources == []


def test_a_profile_a_named_scanner_rejects_is_refused() -> None:
    message, _ = raises_run_error(
        {**EXISTING, "trailwatch:auditedBy": ["securityhub"], "trailwatch:patternProfile": "cis-2.0"}
    )
    assert message.startswith("invalid configuration trailwatch:patternProfile: cis-2.0 is rejected by securityhub")
    assert "cis-1.2" in message


def test_the_alarm_claims_security_hub_only_when_security_hub_accepts_the_pattern() -> None:
    default = run_program(EXISTING).unauthorized(ALARM).inputs["alarmDescription"]
    assert "Security Hub" not in default and "securityhub" not in default
    assert "prowler, steampipe" in default
    cis12 = (
        run_program({**EXISTING, "trailwatch:patternProfile": "cis-1.2"}).unauthorized(ALARM).inputs["alarmDescription"]
    )
    assert "prowler, securityhub" in cis12
    assert "CloudWatch.2" not in (ROOT / "Pulumi.yaml").read_text()


# --- retention -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "warned"), [(90, True), (180, True), (365, False), (0, False), (3653, False)])
def test_retention_below_a_year_warns_but_deploys(days: int, warned: bool) -> None:
    run = run_program({**stack_config("dev"), "trailwatch:logRetentionDays": days})
    assert run.one("aws:cloudwatch/logGroup:LogGroup").inputs.get("retentionInDays", 0) == days
    assert bool(run.warnings) is warned
    if warned:
        assert "Security Hub CloudWatch.16" in run.warnings[0] and str(days) in run.warnings[0]


# --- issue 13: the component validates like the stack config ----------------------------------------


def config_message(**raw: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"logGroupName": "g", "emails": "a@acme.internal", **raw}, project="p", stack="s")
    return str(caught.value)


def test_component_arguments_fail_at_construction_with_the_stack_configs_message() -> None:
    from trailwatch import AlarmTopicArgs, UnauthorizedApiCallsMonitorArgs

    topic = AlarmTopicArgs(subscriptions=[Subscription("email", "a@acme.internal")])
    with pytest.raises(ConfigError) as caught:
        UnauthorizedApiCallsMonitorArgs(topic=topic, log_group_name="g", alarm_period=7)
    assert str(caught.value) == config_message(alarmPeriod="7")
    with pytest.raises(ConfigError) as caught:
        AlarmTopicArgs(subscriptions=[Subscription("email", "bad@")])
    assert str(caught.value) == config_message(emails="bad@")
    with pytest.raises(ConfigError) as caught:
        UnauthorizedApiCallsMonitorArgs(topic=topic, log_group_name="g", alarm_threshold=0)
    assert str(caught.value) == config_message(alarmThreshold="0")
    with pytest.raises(ConfigError) as caught:
        UnauthorizedApiCallsMonitorArgs(topic=topic, log_group_name="g", pattern=CIS_2_0, audited_by=["securityhub"])
    assert caught.value.key == "trailwatch:auditedBy"


def test_component_trail_arguments_are_validated_too() -> None:
    from trailwatch import CloudTrailLoggingArgs

    with pytest.raises(ConfigError) as caught:
        CloudTrailLoggingArgs(trail_name="t", log_retention_days=42)
    assert caught.value.key == "trailwatch:trailName"
    with pytest.raises(ConfigError) as caught:
        CloudTrailLoggingArgs(trail_name="trail-a", log_retention_days=42)
    assert str(caught.value) == config_message(
        createTrail="true",
        logGroupName=None,  # type: ignore[arg-type]
        logRetentionDays="42",
    )
