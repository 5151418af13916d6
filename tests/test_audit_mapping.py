"""AWS responses -> the shared model, and denied reads -> UNKNOWN (no server needed).

Covers what moto cannot produce: a PendingConfirmation subscription, an auditor denied
some reads (botocore's Stubber returns the real AccessDenied error shape).
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.session import Session
from botocore.stub import Stubber

from trailwatch.audit import arns, mapping
from trailwatch.audit.accounts import Account, Connection
from trailwatch.audit.collect import Collector
from trailwatch.audit.verdict import judge
from trailwatch_policy import chain
from trailwatch_policy.base.model import UNKNOWN, Inventory, LogGroup

ACCOUNT = "123456789012"
GROUP = "aws-cloudtrail-logs-main"
GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{GROUP}:*"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:security-alerts"
# GetSubscriptionAttributes of a confirmed email subscription without a filter policy
CONFIRMED = {
    "SubscriptionArn": TOPIC + ":1",
    "TopicArn": TOPIC,
    "Protocol": "email",
    "PendingConfirmation": "false",
    "ConfirmationWasAuthenticated": "true",
}
TRAIL = {
    "Name": "main",
    "TrailARN": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main",
    "HomeRegion": "us-east-1",
    "IsMultiRegionTrail": True,
    "CloudWatchLogsLogGroupArn": GROUP_ARN,
}
FILTER = {
    "filterName": "unauthorized",
    "logGroupName": GROUP,
    "filterPattern": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    "metricTransformations": [
        {
            "metricName": "UnauthorizedAPICalls",
            "metricNamespace": "CISBenchmark",
            "metricValue": "1",
            "defaultValue": 0.0,
        }
    ],
}
ALARM = {
    "AlarmName": "Unauthorized_API_Calls",
    "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:u",
    "Namespace": "CISBenchmark",
    "MetricName": "UnauthorizedAPICalls",
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ActionsEnabled": True,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "AlarmActions": [TOPIC],
}


def inventory(subscription: dict[str, Any]) -> Inventory:
    return Inventory(
        trails=(mapping.trail(TRAIL, logging=True, management="all"),),
        log_groups=(LogGroup(id=GROUP_ARN[:-2], name=GROUP, arn=GROUP_ARN[:-2]),),
        filters=(mapping.metric_filter(FILTER, region="us-east-1", account=ACCOUNT),),
        alarms=(mapping.alarm(ALARM),),
        topics=(mapping.topic(TOPIC, {"TopicArn": TOPIC}),),
        subscriptions=(mapping.subscription(subscription),),
    )


def test_confirmed_subscription_passes_the_shared_chain() -> None:
    sub = {"SubscriptionArn": TOPIC + ":0b1c", "TopicArn": TOPIC, "Protocol": "email", "Endpoint": "a@b.c"}
    [result] = chain.evaluate(inventory(sub))
    assert result.status == "pass"


def test_pending_confirmation_is_not_a_subscriber() -> None:
    sub = {"SubscriptionArn": "PendingConfirmation", "TopicArn": TOPIC, "Protocol": "email", "Endpoint": "a@b.c"}
    assert mapping.subscription(sub).confirmed is False
    [result] = chain.evaluate(inventory(sub))
    assert result.status == "fail"
    assert [f.code for f in result.findings] == ["topic-subscription-pending"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GROUP_ARN, arns.LogGroupArn("us-east-1", ACCOUNT, GROUP)),
        (GROUP_ARN[:-2], arns.LogGroupArn("us-east-1", ACCOUNT, GROUP)),
        ("arn:aws-cn:logs:cn-north-1:111:log-group:/org/trail:*", arns.LogGroupArn("cn-north-1", "111", "/org/trail")),
        ("arn:aws:s3:::bucket", None),
        ("not an arn", None),
        (None, None),
    ],
)
def test_log_group_arn(text: str | None, expected: arns.LogGroupArn | None) -> None:
    assert arns.log_group(text) == expected


def test_metric_math_alarm_mapping() -> None:
    alarm = mapping.alarm(
        {
            "AlarmName": "m",
            "Metrics": [
                {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
                {
                    "Id": "m1",
                    "ReturnData": False,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "CISBenchmark",
                            "MetricName": "X",
                            "Dimensions": [{"Name": "k", "Value": "v"}],
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                },
            ],
        }
    )
    assert alarm.namespace is None and len(alarm.queries) == 2
    assert alarm.queries[1].metric is not None and alarm.queries[1].metric.dimensions == {"k": "v"}
    assert alarm.queries[0].expression == "m1 * 2"


def test_unreadable_topic_is_unknown_not_absent() -> None:
    topic = mapping.topic(TOPIC, None)
    assert topic.kms_master_key_id is UNKNOWN and topic.cloudwatch_can_publish is UNKNOWN
    assert mapping.topic(TOPIC, {"KmsMasterKeyId": "alias/aws/sns"}).kms_master_key_id == "alias/aws/sns"


def test_event_selectors_use_the_shared_rule() -> None:
    assert mapping.management_events([], []) == "all"
    assert mapping.management_events([{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}], []) == "read"
    advanced = [{"Name": "data only", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]
    assert mapping.management_events([], advanced) == "none"


# -- denied reads, through real botocore clients with the Stubber ------------------------
class StubbedAccount(Account):
    """An Account whose clients are stubbed: responses queued per (service, region)."""

    def __init__(self) -> None:
        session = Session()
        session.set_config_variable("region", "us-east-1")
        super().__init__(session, Connection(), credentials={"aws_access_key_id": "t", "aws_secret_access_key": "t"})
        self.stubs: dict[tuple[str, str], Stubber] = {}

    def stub(self, service: str, region: str = "us-east-1") -> Stubber:
        key = (service, region)
        if key not in self.stubs:
            self.stubs[key] = Stubber(super().client(service, region))
            self.stubs[key].activate()
        return self.stubs[key]


def denied(stub: Stubber, method: str, code: str = "AccessDeniedException") -> None:
    stub.add_client_error(
        method, service_error_code=code, service_message="User is not authorized", http_status_code=400
    )


def scan(account: StubbedAccount) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return judge(Collector(account, ACCOUNT, pool).run(["us-east-1"]))


def healthy_trail(account: StubbedAccount) -> None:
    trails = account.stub("cloudtrail")
    trails.add_response("describe_trails", {"trailList": [TRAIL]})
    trails.add_response("get_trail_status", {"IsLogging": True})
    trails.add_response("get_event_selectors", {"TrailARN": TRAIL["TrailARN"]})


def one_confirmed_subscription(sns: Stubber) -> None:
    """The topic's one email subscription, listed and then read (confirmed, authenticated)."""
    subscription = {
        "SubscriptionArn": TOPIC + ":1",
        "TopicArn": TOPIC,
        "Protocol": "email",
        "Endpoint": "a@b.c",
        "Owner": ACCOUNT,
    }
    sns.add_response("list_subscriptions_by_topic", {"Subscriptions": [subscription]})
    sns.add_response("get_subscription_attributes", {"Attributes": CONFIRMED})


def test_denied_metric_filters_make_the_account_unknown() -> None:
    account = StubbedAccount()
    healthy_trail(account)
    logs = account.stub("logs")
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP, "arn": GROUP_ARN}]})
    denied(logs, "describe_metric_filters")
    account.stub("cloudwatch").add_response("describe_alarms", {"MetricAlarms": []})
    result = scan(account)
    assert result.status == "unknown"
    [trail] = result.trails
    assert [f.code for f in trail.findings] == ["audit.access-denied"]
    assert "logs:DescribeMetricFilters" in trail.findings[0].message


def test_denied_trail_status_is_unknown_not_pass() -> None:
    account = StubbedAccount()
    trails = account.stub("cloudtrail")
    trails.add_response("describe_trails", {"trailList": [TRAIL]})
    denied(trails, "get_trail_status", "AccessDenied")
    trails.add_response("get_event_selectors", {"TrailARN": TRAIL["TrailARN"]})
    logs = account.stub("logs")
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP, "arn": GROUP_ARN}]})
    logs.add_response("describe_metric_filters", {"metricFilters": [FILTER]})
    account.stub("cloudwatch").add_response("describe_alarms", {"MetricAlarms": [ALARM]})
    sns = account.stub("sns")
    sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}})
    one_confirmed_subscription(sns)
    result = scan(account)
    assert result.status == "unknown"
    assert {f.code for f in result.trails[0].findings} == {"trail-not-logging", "audit.access-denied"}
    assert all(f.status == "unknown" for f in result.trails[0].findings)


def test_denied_subscriptions_cannot_pass() -> None:
    account = StubbedAccount()
    healthy_trail(account)
    logs = account.stub("logs")
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP, "arn": GROUP_ARN}]})
    logs.add_response("describe_metric_filters", {"metricFilters": [FILTER]})
    account.stub("cloudwatch").add_response("describe_alarms", {"MetricAlarms": [ALARM]})
    sns = account.stub("sns")
    sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}})
    denied(sns, "list_subscriptions_by_topic", "AuthorizationError")
    result = scan(account)
    assert result.status == "unknown"
    findings = result.trails[0].findings
    assert [(f.code, f.link) for f in findings] == [
        ("topic-subscription-unknown", "topic"),
        ("audit.access-denied", "subscription"),
    ]
    assert all(f.status == "unknown" and f.resource == TOPIC for f in findings)
    assert "sns:ListSubscriptionsByTopic" in findings[1].message


def test_denied_topic_attributes_make_only_that_topic_unknown() -> None:
    account = StubbedAccount()
    healthy_trail(account)
    logs = account.stub("logs")
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP, "arn": GROUP_ARN}]})
    logs.add_response("describe_metric_filters", {"metricFilters": [FILTER]})
    account.stub("cloudwatch").add_response("describe_alarms", {"MetricAlarms": [ALARM]})
    sns = account.stub("sns")
    denied(sns, "get_topic_attributes", "AuthorizationError")
    one_confirmed_subscription(sns)
    result = scan(account)
    assert result.status == "unknown"
    assert {f.code for f in result.trails[0].findings} == {
        "topic-encryption-unknown",
        "topic-policy-unknown",
        "audit.access-denied",
    }


def test_an_unreadable_topic_does_not_hide_a_working_chain() -> None:
    """A second alarm's topic is unreadable; the first chain works: PASS (no region-wide doubt)."""
    other = TOPIC.replace("security-alerts", "another")
    account = StubbedAccount()
    healthy_trail(account)
    logs = account.stub("logs")
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP, "arn": GROUP_ARN}]})
    logs.add_response("describe_metric_filters", {"metricFilters": [FILTER]})
    second = {**ALARM, "AlarmName": "second", "AlarmArn": f"{ALARM['AlarmArn']}2", "AlarmActions": [other]}
    account.stub("cloudwatch").add_response("describe_alarms", {"MetricAlarms": [ALARM, second]})
    sns = account.stub("sns")
    denied(sns, "get_topic_attributes", "AuthorizationError")  # `another` sorts first
    denied(sns, "list_subscriptions_by_topic", "AuthorizationError")
    sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}})
    one_confirmed_subscription(sns)
    result = scan(account)
    assert result.status == "pass", result
    assert result.trails[0].findings == []


def test_denied_describe_trails_in_a_region_is_unknown() -> None:
    account = StubbedAccount()
    denied(account.stub("cloudtrail"), "describe_trails")
    result = scan(account)
    assert result.status == "unknown"
    assert {f.code for f in result.findings} == {"no-trail", "audit.access-denied"}


def test_role_that_cannot_be_assumed_is_an_unknown_account() -> None:
    from trailwatch.audit.run import Plan, Progress, _audit_account
    from trailwatch.audit.targets import Target
    from trailwatch.audit.verdict import AUDIT_OPTIONS

    base = StubbedAccount()
    base.account_id = "111111111111"
    denied(base.stub("sts"), "assume_role", "AccessDenied")
    role = "arn:aws:iam::444455556666:role/SecurityAudit"
    plan = Plan(base, "us-east-1", ["us-east-1"], [], [], AUDIT_OPTIONS)
    with ThreadPoolExecutor(1) as pool:
        result = _audit_account(plan, Target("444455556666", role), pool, Progress(io.StringIO(), enabled=False))
    assert (result.account, result.status, result.role_arn) == ("444455556666", "unknown", role)
    [finding] = result.findings
    assert finding.code == "audit.account-unreachable" and "sts:AssumeRole" in finding.message
    assert "trust policy" in finding.fix


def test_composite_alarm_is_read_and_notifies_for_an_alarm_without_actions() -> None:
    """describe_alarms returns both kinds; a composite naming the alarm is a notifier (moto's
    server cannot store composite alarms, so the Stubber answers)."""

    def run(rule: str) -> Any:
        account = StubbedAccount()
        healthy_trail(account)
        logs = account.stub("logs")
        logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP, "arn": GROUP_ARN}]})
        logs.add_response("describe_metric_filters", {"metricFilters": [FILTER]})
        composite = {
            "AlarmName": "rollup",
            "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:rollup",
            "AlarmRule": rule,
            "ActionsEnabled": True,
            "AlarmActions": [TOPIC],
        }
        account.stub("cloudwatch").add_response(
            "describe_alarms", {"MetricAlarms": [{**ALARM, "AlarmActions": []}], "CompositeAlarms": [composite]}
        )
        sns = account.stub("sns")
        sns.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}})
        one_confirmed_subscription(sns)
        return scan(account)

    assert run('ALARM("Unauthorized_API_Calls") OR ALARM(other)').status == "pass"
    failed = run('ALARM("Unauthorized_API_Calls") AND ALARM(other)')
    assert failed.status == "fail"
    assert "composite-rule" in {f.code for f in failed.trails[0].findings}
