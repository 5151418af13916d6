"""The AWS CLI fix of every finding code an audit can emit: one table.

A rule's `Problem.fix` is the Pulumi wording (values to set, a Python snippet): what the
pack shows beside a resource of the stack. A live audit reports resources by ARN, where a
command fixes them faster: `cli_fix` fills the code's template below from the finding's
resource ARN (region, trail, alarm, topic, log group, filter names) and the values the
rule knew (`Problem.args`: the filter's metric, the alarm's topic...). A value nobody
knows stays a visible `<placeholder>`. Pure: no boto3.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from trailwatch_policy.metric_filter import CIS_PATTERN


@dataclass(frozen=True)
class Fix:
    """How to fix one code: `cli` always; `pulumi` only for codes no rule writes (the
    audit's own: a missing trail or log group); the rules write their own, with values."""

    cli: str
    pulumi: str = ""


_ALARM = ("aws cloudwatch put-metric-alarm --region {region} --alarm-name {alarm} "
          "--namespace {namespace} --metric-name {metric} --statistic Sum --period 300 "
          "--threshold 1 --comparison-operator GreaterThanOrEqualToThreshold "
          "--evaluation-periods 1 --treat-missing-data notBreaching --alarm-actions {topic}")
_REPLACES = " (put-metric-alarm replaces the whole alarm: repeat any other setting it has)"
_FILTER = ("aws logs put-metric-filter --region {region} --log-group-name {log_group} "
           "--filter-name {filter} --filter-pattern '{pattern}' --metric-transformations "
           "metricName={metric},metricNamespace={namespace},metricValue=1,defaultValue=0")
_SUBSCRIBE = ("aws sns subscribe --region {topic_region} --topic-arn {topic} --protocol email "
              "--notification-endpoint security@example.com (then confirm from the email)")
_READ_TOPIC = "aws sns get-topic-attributes --region {topic_region} --topic-arn {topic}"
_CLOUDWATCH_STATEMENT = ('{{"Effect": "Allow", "Principal": {{"Service": '
                         '"cloudwatch.amazonaws.com"}}, "Action": "sns:Publish", '
                         '"Resource": "{topic}"}}')

_KEY_STATEMENT = ('{{"Effect": "Allow", "Principal": {{"Service": "cloudwatch.amazonaws.com"}}, '
                  '"Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}}')

FIXES: Final[Mapping[str, Fix]] = {
    # trail (CIS audit steps 1-3)
    "trail-not-logging": Fix("aws cloudtrail start-logging --region {region} --name {trail}"),
    "trail-not-multi-region": Fix(
        "aws cloudtrail update-trail --region {region} --name {trail} --is-multi-region-trail"),
    "trail-management-events": Fix(
        "aws cloudtrail put-event-selectors --region {region} --trail-name {trail} "
        "--event-selectors '[{{\"ReadWriteType\": \"All\", \"IncludeManagementEvents\": true}}]'"),
    "trail-excludes-event-sources": Fix(
        "aws cloudtrail put-event-selectors --region {region} --trail-name {trail} "
        "--event-selectors '[{{\"ReadWriteType\": \"All\", \"IncludeManagementEvents\": true, "
        "\"ExcludeManagementEventSources\": []}}]' (repeat any data event selectors it has)"),
    # metric filter (step 4)
    "no-metric-filter": Fix(_FILTER + "; then an alarm on it: " + _ALARM),
    "pattern-rejected": Fix(_FILTER),
    "pattern-indeterminate": Fix(_FILTER),
    "metric-value-invalid": Fix(_FILTER),
    "no-alarm": Fix(_ALARM),
    # alarm (steps 5-6)
    "alarm-not-on-metric": Fix(_ALARM + _REPLACES),
    "alarm-dimensions": Fix(_ALARM + " --dimensions <the filter metric's dimensions, "
                            "Name=...,Value=...>" + _REPLACES +
                            ", or drop the dimensions from the filter's metric transformation"),
    "alarm-no-statistic": Fix(_ALARM + _REPLACES),
    "alarm-threshold": Fix(_ALARM + _REPLACES),
    "alarm-single-event": Fix(_ALARM + _REPLACES),
    "alarm-missing-data": Fix(_ALARM + _REPLACES),
    "alarm-fires-without-event": Fix(_ALARM + _REPLACES),
    "alarm-expression": Fix(_ALARM + _REPLACES + ", or put-metric-alarm --metrics with an "
                            "expression of + - * / FILL(m, 0) IF SUM/MAX/MIN/AVG(METRICS())"),
    "alarm-unit": Fix(_ALARM + " (no --unit)" + _REPLACES),
    "alarm-cross-account": Fix(_ALARM + _REPLACES + " (no AccountId in --metrics)"),
    "alarm-anomaly-band": Fix(_ALARM + _REPLACES),
    "composite-rule": Fix("aws cloudwatch put-composite-alarm --region {region} --alarm-name "
                          "{alarm} --alarm-rule 'ALARM(\"<the unauthorized-API-calls alarm name>\")' "
                          "--alarm-actions {topic} (put-composite-alarm replaces the whole alarm)"),
    "composite-suppressed": Fix("aws cloudwatch put-composite-alarm --region {region} --alarm-name "
                                "{alarm} without --actions-suppressor (repeat its --alarm-rule and "
                                "--alarm-actions)"),
    "alarm-actions-disabled": Fix("aws cloudwatch enable-alarm-actions --region {region} "
                                  "--alarm-names {alarm}"),
    "alarm-no-actions": Fix(_ALARM + _REPLACES),
    "alarm-no-topic": Fix(_ALARM + _REPLACES),
    "alarm-topic-missing": Fix(
        "aws sns create-topic --region {topic_region} --name {topic_name}, then " + _SUBSCRIBE +
        "; or point the alarm at an existing topic: " + _ALARM.replace("{topic}", "<topic arn>")),
    "alarm-topic-unread": Fix(_READ_TOPIC + " with sns:GetTopicAttributes and "
                              "sns:ListSubscriptionsByTopic (audit that account too), or notify "
                              "a topic of this account"),
    # topic and subscription (steps 6-7)
    "topic-no-subscription": Fix(_SUBSCRIBE),
    "topic-subscription-pending": Fix(
        "confirm from the endpoint (the link in the email), or aws sns confirm-subscription "
        "--region {topic_region} --topic-arn {topic} --token <token from the confirmation message>"),
    "topic-subscription-unknown": Fix(
        "aws sns list-subscriptions-by-topic --region {topic_region} --topic-arn {topic} with "
        "sns:ListSubscriptionsByTopic: one SubscriptionArn must be an ARN (not "
        "PendingConfirmation); otherwise " + _SUBSCRIBE),
    "topic-aws-managed-key": Fix(
        "aws sns set-topic-attributes --region {topic_region} --topic-arn {topic} "
        "--attribute-name KmsMasterKeyId --attribute-value <customer-managed key whose policy "
        "lets cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey*> "
        "(or --attribute-value '' for no encryption)"),
    "topic-fifo": Fix(
        "aws sns create-topic --region {topic_region} --name <a name without .fifo> (a standard "
        "topic), subscribe to it, and point the alarm at it: " + _ALARM.replace("{topic}", "<new topic arn>")),
    "topic-subscription-filtered": Fix(
        "aws sns set-subscription-attributes --region {topic_region} --subscription-arn "
        "<subscription arn> --attribute-name FilterPolicy --attribute-value '{{}}' (or "
        "FilterPolicyScope MessageBody with {{\"NewStateValue\": [\"ALARM\"]}}); see aws sns "
        "list-subscriptions-by-topic --region {topic_region} --topic-arn {topic}"),
    "topic-key-disabled": Fix(
        "aws kms enable-key --region {topic_region} --key-id <the topic's KmsMasterKeyId> (see "
        + _READ_TOPIC + ")"),
    "topic-key-policy-blocks-cloudwatch": Fix(
        "aws kms put-key-policy --region {topic_region} --key-id <the topic's KmsMasterKeyId> "
        "--policy-name default --policy file://key-policy.json, a policy that keeps its "
        "statements and adds " + _KEY_STATEMENT),
    "topic-key-policy-unknown": Fix(
        "aws kms get-key-policy --region {topic_region} --key-id <the topic's KmsMasterKeyId> "
        "--policy-name default with kms:GetKeyPolicy: it must let cloudwatch.amazonaws.com "
        "kms:Decrypt and kms:GenerateDataKey* without conditions trailwatch cannot evaluate"),
    "topic-key-unread": Fix(
        "aws kms describe-key --region {topic_region} --key-id <the topic's KmsMasterKeyId> and "
        "aws kms get-key-policy ... --policy-name default with kms:DescribeKey and "
        "kms:GetKeyPolicy (both in SecurityAudit)"),
    "topic-encryption-unknown": Fix(
        _READ_TOPIC + " with sns:GetTopicAttributes: KmsMasterKeyId must not be alias/aws/sns"),
    "topic-policy-blocks-cloudwatch": Fix(
        "aws sns set-topic-attributes --region {topic_region} --topic-arn {topic} "
        "--attribute-name Policy --attribute-value file://topic-policy.json, a policy with the "
        "statement " + _CLOUDWATCH_STATEMENT + " and no Deny for CloudWatch"),
    "topic-policy-unknown": Fix(
        _READ_TOPIC + " with sns:GetTopicAttributes: its Policy must let "
        "cloudwatch.amazonaws.com sns:Publish"),
    # the audit's own (a live reader's facts)
    "no-trail": Fix(
        "aws cloudtrail create-trail --name main --s3-bucket-name <bucket> "
        "--is-multi-region-trail --cloud-watch-logs-log-group-arn <log group arn>:* "
        "--cloud-watch-logs-role-arn <role that can write to it>, then aws cloudtrail "
        "start-logging --name main",
        'aws.cloudtrail.Trail("main", s3_bucket_name=bucket.id, is_multi_region_trail=True, '
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda a: f"{{a}}:*"), '
        "cloud_watch_logs_role_arn=role.arn) (or trailwatch's Pulumi component)"),
    "trail-no-log-group": Fix(
        "aws cloudtrail update-trail --region {region} --name {trail} "
        "--cloud-watch-logs-log-group-arn <log group arn>:* "
        "--cloud-watch-logs-role-arn <role that can write to it>",
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda a: f"{{a}}:*"), '
        "cloud_watch_logs_role_arn=role.arn"),
    "trail-log-group-invalid": Fix(
        "aws cloudtrail update-trail --region {region} --name {trail} "
        "--cloud-watch-logs-log-group-arn arn:aws:logs:<log group region>:<account>:log-group:<name>:*",
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda a: f"{{a}}:*")'),
    "log-group-missing": Fix(
        "aws logs create-log-group --region {region} --log-group-name {log_group}, then " +
        _FILTER.replace("{filter}", "unauthorized-api-calls") + "; or point the trail at an "
        "existing group",
        'aws.cloudwatch.LogGroup("trail-logs", name="{log_group}") with its filter, alarm and topic'),
}

# Codes only the pack emits: a value not known before `pulumi up` (or, input-unreadable, one
# the pack could not read). AWS always answers
# with values, so an audit never sees them and they need no command.
PREVIEW_ONLY: Final = frozenset({
    "pattern-unknown", "metric-unknown", "filter-log-group-unknown", "alarm-action-unknown",
    "alarm-metric-unknown", "trail-log-group-unknown", "input-unreadable",
    # A stack mixes accounts and Regions; the audit reads one account and Region at a time,
    # and AWS refuses a metric filter on a log group ARN.
    "place-unknown", "other-account-or-region", "filter-log-group-arn",
})

_DEFAULTS: Final[Mapping[str, str]] = {
    "namespace": "CISBenchmark", "metric": "UnauthorizedAPICalls",
    "filter": "unauthorized-api-calls", "alarm": "Unauthorized_API_Calls",
    "pattern": CIS_PATTERN, "topic": "<sns topic arn>",
}


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key.replace('_', ' ')}>"


def _from_arn(arn: str) -> dict[str, str]:
    """The names a command needs, from the ARN (or `arn:...:metric-filter:` id) of a resource."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return {}
    service, region, resource = parts[2], parts[3], parts[5]
    out = {"region": region} if region else {}
    if service == "cloudtrail" and resource.startswith("trail/"):
        out["trail"] = arn
    elif service == "cloudwatch" and resource.startswith("alarm:"):
        out["alarm"] = resource[len("alarm:"):]
    elif service == "sns":
        out.update(topic=arn)
    elif service == "logs" and resource.startswith("log-group:"):
        group, _, rest = resource[len("log-group:"):].partition(":metric-filter:")
        out["log_group"] = group.removesuffix(":*")
        if rest:
            out["filter"] = rest
    return out


def values(resource_id: str, log_group: str | None = None,
           args: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Template values: defaults < what the rule knew < the resource's own ARN."""
    out: dict[str, str] = _Values(_DEFAULTS)
    out.update({k: v for k, v in args if v})
    if log_group:
        out["log_group"] = log_group
    out.update(_from_arn(resource_id))
    topic = out["topic"]
    if topic.startswith("arn:"):
        parsed = _from_arn(topic)
        out.setdefault("topic_region", parsed.get("region", "<region>"))
        out.setdefault("topic_name", topic.rsplit(":", 1)[-1])
    return out


def cli_fix(code: str, resource_id: str, log_group: str | None = None,
            args: Iterable[tuple[str, str]] = (), fallback: str = "") -> str:
    """The AWS CLI fix of `code` for `resource_id`; `fallback` when the table has none."""
    fix = FIXES.get(code)
    if fix is None:
        return fallback
    return fix.cli.format_map(values(resource_id, log_group, args))


def pulumi_fix(code: str, resource_id: str, log_group: str | None = None) -> str:
    """The table's Pulumi fix (only the audit's own codes have one here; rules write theirs)."""
    fix = FIXES.get(code)
    return fix.pulumi.format_map(values(resource_id, log_group)) if fix and fix.pulumi else ""
