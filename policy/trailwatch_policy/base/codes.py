"""Every finding code, once: its link, statuses, summary, fixes, and where the docs explain it.

The bottom of the pack's import graph (standard library only). A rule writes
`Problem("fail", "alarm-threshold", ...)`: `Problem.code` is typed `Code`, so mypy rejects a
misspelt code at the call site, and `Problem` checks its code against `REGISTRY` when it is
built. `trailwatch_policy.rules.fixes` fills the CLI templates; the SARIF rules of the audit, the
code table of docs/codes.md and tests/test_codes.py read this table.

`cli` is the AWS CLI fix of a code an audit can emit (a `str.format` template filled from the
finding's resource ARN and the rule's values: `trailwatch_policy.rules.fixes.values`); "" for a
code only the pack emits (preview-only) or one with no command (`evaluation-failed`).
`pulumi` is the Pulumi fix of a code no rule writes (the audit's own); the rules write theirs
beside the problem, with the stack's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

Code = Literal[
    # trail
    "trail-not-logging",
    "trail-not-multi-region",
    "trail-management-events",
    "trail-excludes-event-sources",
    "trail-log-group-unknown",
    # log group and metric filter
    "no-metric-filter",
    "pattern-rejected",
    "pattern-indeterminate",
    "pattern-unknown",
    "metric-value-invalid",
    "metric-unknown",
    "no-alarm",
    "filter-log-group-unknown",
    "filter-log-group-arn",
    # alarm
    "alarm-not-on-metric",
    "alarm-dimensions",
    "alarm-no-statistic",
    "alarm-threshold",
    "alarm-single-event",
    "alarm-missing-data",
    "alarm-fires-without-event",
    "alarm-expression",
    "alarm-unit",
    "alarm-cross-account",
    "alarm-anomaly-band",
    "alarm-actions-disabled",
    "alarm-no-actions",
    "alarm-no-topic",
    "alarm-action-unknown",
    "alarm-metric-unknown",
    "alarm-topic-missing",
    "alarm-topic-unread",
    # composite alarm
    "composite-rule",
    "composite-suppressed",
    # topic and subscription
    "topic-no-subscription",
    "topic-subscription-pending",
    "topic-subscription-unknown",
    "topic-aws-managed-key",
    "topic-fifo",
    "topic-subscription-filtered",
    "topic-key-disabled",
    "topic-key-policy-blocks-cloudwatch",
    "topic-key-policy-unknown",
    "topic-key-unread",
    "topic-encryption-unknown",
    "topic-policy-blocks-cloudwatch",
    "topic-policy-unknown",
    # place (pack only)
    "place-unknown",
    "other-account-or-region",
    # any link
    "input-unreadable",
    "evaluation-failed",
    # the audit's own (a live reader's facts)
    "no-trail",
    "trail-no-log-group",
    "trail-log-group-invalid",
    "log-group-missing",
]

CodeLink = Literal["account", "trail", "log-group", "metric-filter", "alarm", "topic", "subscription", "any"]


@dataclass(frozen=True)
class Entry:
    """One finding code. `link`: the link of the chain it is placed on ("any": wherever the
    input was; place codes sit on the filter, alarm or subscription they are about)."""

    link: CodeLink
    statuses: tuple[Literal["fail", "unknown"], ...]
    summary: str
    cli: str = ""
    pulumi: str = ""
    preview_only: bool = False  # only the pack emits it: a value not known before `pulumi up`
    anchor: str = "policy-pack.md#diagnostics"  # where docs/ explains it


_ALARM = (
    "aws cloudwatch put-metric-alarm --region {region} --alarm-name {alarm} "
    "--namespace {namespace} --metric-name {metric} --statistic Sum --period 300 "
    "--threshold 1 --comparison-operator GreaterThanOrEqualToThreshold "
    "--evaluation-periods 1 --treat-missing-data notBreaching --alarm-actions {topic}"
)
_REPLACES = " (put-metric-alarm replaces the whole alarm: repeat any other setting it has)"
_FILTER = (
    "aws logs put-metric-filter --region {region} --log-group-name {log_group} "
    "--filter-name {filter} --filter-pattern '{pattern}' --metric-transformations "
    "metricName={metric},metricNamespace={namespace},metricValue=1,defaultValue=0"
)
_SUBSCRIBE = (
    "aws sns subscribe --region {topic_region} --topic-arn {topic} --protocol email "
    "--notification-endpoint security@example.com (then confirm from the email)"
)
_READ_TOPIC = "aws sns get-topic-attributes --region {topic_region} --topic-arn {topic}"
_CLOUDWATCH_STATEMENT = (
    '{{"Effect": "Allow", "Principal": {{"Service": '
    '"cloudwatch.amazonaws.com"}}, "Action": "sns:Publish", '
    '"Resource": "{topic}"}}'
)

_KEY_STATEMENT = (
    '{{"Effect": "Allow", "Principal": {{"Service": "cloudwatch.amazonaws.com"}}, '
    '"Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}}'
)

_F: Final = ("fail",)
_U: Final = ("unknown",)
_FU: Final = ("fail", "unknown")
_RULES = "policy-pack.md#alarm-and-topic-rules"
_PLACE = "policy-pack.md#where-resources-live-one-account-one-region"
_TRAIL = "policy-pack.md#the-trails-event-selectors"
_AUDIT = "audit.md#pass-fail-unknown"
_LIMITS = "policy-pack.md#limits-and-containment-hostile-or-huge-stacks"

REGISTRY: Final[Mapping[Code, Entry]] = {
    # trail (CIS audit steps 1-3)
    "trail-not-logging": Entry(
        "trail",
        _FU,
        "the trail is not logging: no API call is recorded",
        "aws cloudtrail start-logging --region {region} --name {trail}",
    ),
    "trail-not-multi-region": Entry(
        "trail",
        _FU,
        "the trail records one Region only",
        "aws cloudtrail update-trail --region {region} --name {trail} --is-multi-region-trail",
    ),
    "trail-management-events": Entry(
        "trail",
        _FU,
        "the trail's event selectors drop management events (or their writes or reads)",
        "aws cloudtrail put-event-selectors --region {region} --trail-name {trail} "
        '--event-selectors \'[{{"ReadWriteType": "All", "IncludeManagementEvents": true}}]\'',
        anchor=_TRAIL,
    ),
    "trail-excludes-event-sources": Entry(
        "trail",
        _FU,
        "the trail excludes management event sources the control watches",
        "aws cloudtrail put-event-selectors --region {region} --trail-name {trail} "
        '--event-selectors \'[{{"ReadWriteType": "All", "IncludeManagementEvents": true, '
        '"ExcludeManagementEventSources": []}}]\' (repeat any data event selectors it has)',
        anchor=_TRAIL,
    ),
    "trail-log-group-unknown": Entry(
        "log-group", _U, "the trail's log group is not known before `pulumi up`", preview_only=True
    ),
    # metric filter (step 4)
    "no-metric-filter": Entry(
        "log-group",
        _F,
        "no metric filter of the CloudTrail log group counts the control's events",
        _FILTER + "; then an alarm on it: " + _ALARM,
    ),
    "pattern-rejected": Entry(
        "metric-filter",
        _F,
        "the filter pattern misses events the control must count",
        _FILTER,
        anchor="filter-pattern.md",
    ),
    "pattern-indeterminate": Entry(
        "metric-filter",
        _U,
        "whether the filter pattern counts every event cannot be decided",
        _FILTER,
        anchor="filter-pattern.md",
    ),
    "pattern-unknown": Entry(
        "metric-filter", _U, "the filter pattern is not known before `pulumi up`", preview_only=True
    ),
    "metric-value-invalid": Entry(
        "metric-filter", _FU, "the filter's metric value does not count one per event", _FILTER
    ),
    "metric-unknown": Entry(
        "metric-filter", _U, "the filter's metric name or namespace is not known before `pulumi up`", preview_only=True
    ),
    "no-alarm": Entry("metric-filter", _F, "no alarm watches the filter's metric", _ALARM),
    "filter-log-group-unknown": Entry(
        "metric-filter", _U, "the filter's log group is not known before `pulumi up`", preview_only=True
    ),
    "filter-log-group-arn": Entry(
        "metric-filter",
        _F,
        "the filter names its log group by ARN, which AWS refuses",
        preview_only=True,
        anchor=_PLACE,
    ),
    # alarm (steps 5-6)
    "alarm-not-on-metric": Entry(
        "alarm", _FU, "the alarm does not read the filter's metric", _ALARM + _REPLACES, anchor=_RULES
    ),
    "alarm-dimensions": Entry(
        "alarm",
        _FU,
        "the alarm's dimensions differ from those the filter publishes",
        _ALARM
        + " --dimensions <the filter metric's dimensions, Name=...,Value=...>"
        + _REPLACES
        + ", or drop the dimensions from the filter's metric transformation",
        anchor=_RULES,
    ),
    "alarm-no-statistic": Entry("alarm", _F, "the alarm has no statistic", _ALARM + _REPLACES, anchor=_RULES),
    "alarm-threshold": Entry(
        "alarm", _FU, "one event does not put the alarm in ALARM", _ALARM + _REPLACES, anchor=_RULES
    ),
    "alarm-single-event": Entry(
        "alarm", _FU, "the alarm needs more than one datapoint to fire", _ALARM + _REPLACES, anchor=_RULES
    ),
    "alarm-missing-data": Entry(
        "alarm", _FU, "missing data keeps the alarm in ALARM or hides the next event", _ALARM + _REPLACES, anchor=_RULES
    ),
    "alarm-fires-without-event": Entry(
        "alarm",
        _F,
        "the alarm is in ALARM without any event, so later events do not notify",
        _ALARM + _REPLACES,
        anchor=_RULES,
    ),
    "alarm-expression": Entry(
        "alarm",
        _U,
        "the alarm's metric-math expression cannot be shown to fire on one event",
        _ALARM + _REPLACES + ", or put-metric-alarm --metrics with an expression of + - * / "
        "FILL(m, 0) IF SUM/MAX/MIN/AVG(METRICS())",
        anchor=_RULES,
    ),
    "alarm-unit": Entry(
        "alarm",
        _FU,
        "the alarm's unit differs from the filter metric's",
        _ALARM + " (no --unit)" + _REPLACES,
        anchor=_RULES,
    ),
    "alarm-cross-account": Entry(
        "alarm",
        _FU,
        "the alarm reads the metric of another account",
        _ALARM + _REPLACES + " (no AccountId in --metrics)",
        anchor=_RULES,
    ),
    "alarm-anomaly-band": Entry(
        "alarm",
        _F,
        "the alarm compares with an anomaly band, which one event does not cross",
        _ALARM + _REPLACES,
        anchor=_RULES,
    ),
    "alarm-actions-disabled": Entry(
        "alarm",
        _FU,
        "the alarm's actions are disabled",
        "aws cloudwatch enable-alarm-actions --region {region} --alarm-names {alarm}",
    ),
    "alarm-no-actions": Entry("alarm", _F, "the alarm notifies no one on ALARM", _ALARM + _REPLACES),
    "alarm-no-topic": Entry("alarm", _F, "no alarm action is an SNS topic", _ALARM + _REPLACES),
    "alarm-action-unknown": Entry("alarm", _U, "the alarm's action is not known before `pulumi up`", preview_only=True),
    "alarm-metric-unknown": Entry("alarm", _U, "the alarm's metric is not known before `pulumi up`", preview_only=True),
    "alarm-topic-missing": Entry(
        "alarm",
        _F,
        "the topic the alarm notifies does not exist (audit)",
        "aws sns create-topic --region {topic_region} --name {topic_name}, then "
        + _SUBSCRIBE
        + "; or point the alarm at an existing topic: "
        + _ALARM.replace("{topic}", "<topic arn>"),
        anchor=_AUDIT,
    ),
    "alarm-topic-unread": Entry(
        "alarm",
        _U,
        "the topic the alarm notifies could not be read (audit)",
        _READ_TOPIC + " with sns:GetTopicAttributes and sns:ListSubscriptionsByTopic (audit that "
        "account too), or notify a topic of this account",
        anchor=_AUDIT,
    ),
    # composite alarm
    "composite-rule": Entry(
        "alarm",
        _FU,
        "the composite alarm's rule does not go to ALARM with the control's alarm",
        "aws cloudwatch put-composite-alarm --region {region} --alarm-name {alarm} --alarm-rule "
        "'ALARM(\"<the name of the alarm on {metric}>\")' --alarm-actions {topic} "
        "(put-composite-alarm replaces the whole alarm)",
        anchor=_RULES,
    ),
    "composite-suppressed": Entry(
        "alarm",
        _U,
        "an actions suppressor may silence the composite alarm",
        "aws cloudwatch put-composite-alarm --region {region} --alarm-name {alarm} without "
        "--actions-suppressor (repeat its --alarm-rule and --alarm-actions)",
        anchor=_RULES,
    ),
    # topic and subscription (steps 6-7)
    "topic-no-subscription": Entry("topic", _FU, "the topic has no subscription", _SUBSCRIBE),
    "topic-subscription-pending": Entry(
        "topic",
        _F,
        "the topic's subscriptions are all pending confirmation (audit)",
        "confirm from the endpoint (the link in the email), or aws sns confirm-subscription "
        "--region {topic_region} --topic-arn {topic} --token <token from the confirmation message>",
    ),
    "topic-subscription-unknown": Entry(
        "topic",
        _U,
        "the topic's subscriptions could not be read",
        "aws sns list-subscriptions-by-topic --region {topic_region} --topic-arn {topic} with "
        "sns:ListSubscriptionsByTopic: one SubscriptionArn must be an ARN (not "
        "PendingConfirmation); otherwise " + _SUBSCRIBE,
    ),
    "topic-aws-managed-key": Entry(
        "topic",
        _F,
        "the topic is encrypted with alias/aws/sns, which CloudWatch cannot use",
        "aws sns set-topic-attributes --region {topic_region} --topic-arn {topic} "
        "--attribute-name KmsMasterKeyId --attribute-value <customer-managed key whose policy "
        "lets cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey*> "
        "(or --attribute-value '' for no encryption)",
        anchor=_RULES,
    ),
    "topic-fifo": Entry(
        "topic",
        _FU,
        "the topic is FIFO, which CloudWatch alarms cannot notify",
        "aws sns create-topic --region {topic_region} --name <a name without .fifo> (a standard "
        "topic), subscribe to it, and point the alarm at it: " + _ALARM.replace("{topic}", "<new topic arn>"),
        anchor=_RULES,
    ),
    "topic-subscription-filtered": Entry(
        "subscription",
        _FU,
        "the subscription's filter policy drops the alarm's notification",
        "aws sns set-subscription-attributes --region {topic_region} --subscription-arn "
        "<subscription arn> --attribute-name FilterPolicy --attribute-value '{{}}' (or "
        'FilterPolicyScope MessageBody with {{"NewStateValue": ["ALARM"]}}); see aws sns '
        "list-subscriptions-by-topic --region {topic_region} --topic-arn {topic}",
        anchor=_RULES,
    ),
    "topic-key-disabled": Entry(
        "topic",
        _F,
        "the topic's KMS key is disabled",
        "aws kms enable-key --region {topic_region} --key-id <the topic's KmsMasterKeyId> (see " + _READ_TOPIC + ")",
        anchor=_RULES,
    ),
    "topic-key-policy-blocks-cloudwatch": Entry(
        "topic",
        _F,
        "the topic key's policy does not let CloudWatch use the key",
        "aws kms put-key-policy --region {topic_region} --key-id <the topic's KmsMasterKeyId> "
        "--policy-name default --policy file://key-policy.json, a policy that keeps its "
        "statements and adds " + _KEY_STATEMENT,
        anchor=_RULES,
    ),
    "topic-key-policy-unknown": Entry(
        "topic",
        _U,
        "whether the topic key's policy lets CloudWatch use the key is not known",
        "aws kms get-key-policy --region {topic_region} --key-id <the topic's KmsMasterKeyId> "
        "--policy-name default with kms:GetKeyPolicy: it must let cloudwatch.amazonaws.com "
        "kms:Decrypt and kms:GenerateDataKey* without conditions trailwatch cannot evaluate",
        anchor=_RULES,
    ),
    "topic-key-unread": Entry(
        "topic",
        _U,
        "the topic's KMS key could not be read (audit)",
        "aws kms describe-key --region {topic_region} --key-id <the topic's KmsMasterKeyId> and "
        "aws kms get-key-policy ... --policy-name default with kms:DescribeKey and "
        "kms:GetKeyPolicy (both in SecurityAudit)",
        anchor=_RULES,
    ),
    "topic-encryption-unknown": Entry(
        "topic",
        _U,
        "the topic's encryption key is not known",
        _READ_TOPIC + " with sns:GetTopicAttributes: KmsMasterKeyId must not be alias/aws/sns",
        anchor=_RULES,
    ),
    "topic-policy-blocks-cloudwatch": Entry(
        "topic",
        _F,
        "the topic policy does not let CloudWatch publish",
        "aws sns set-topic-attributes --region {topic_region} --topic-arn {topic} "
        "--attribute-name Policy --attribute-value file://topic-policy.json, a policy with the "
        "statement " + _CLOUDWATCH_STATEMENT + " and no Deny for CloudWatch",
        anchor=_RULES,
    ),
    "topic-policy-unknown": Entry(
        "topic",
        _U,
        "whether the topic policy lets CloudWatch publish is not known",
        _READ_TOPIC + " with sns:GetTopicAttributes: its Policy must let cloudwatch.amazonaws.com sns:Publish",
        anchor=_RULES,
    ),
    # place (pack only): a stack mixes accounts and Regions, the audit reads one at a time
    "place-unknown": Entry(
        "any", _U, "the account or Region of a link is not known before `pulumi up`", preview_only=True, anchor=_PLACE
    ),
    "other-account-or-region": Entry(
        "any",
        _F,
        "a link is in another account or Region than the log group it needs",
        preview_only=True,
        anchor=_PLACE,
    ),
    # any link
    "input-unreadable": Entry(
        "any", _U, "the resource's properties could not be read", preview_only=True, anchor=_LIMITS
    ),
    "evaluation-failed": Entry(
        "any", _U, "the log group's chain could not be judged (an internal error, contained)", anchor=_LIMITS
    ),
    # the audit's own (a live reader's facts)
    "no-trail": Entry(
        "account",
        _FU,
        "no CloudTrail trail is visible (audit)",
        "aws cloudtrail create-trail --name main --s3-bucket-name <bucket> "
        "--is-multi-region-trail --cloud-watch-logs-log-group-arn <log group arn>:* "
        "--cloud-watch-logs-role-arn <role that can write to it>, then aws cloudtrail "
        "start-logging --name main",
        'aws.cloudtrail.Trail("main", s3_bucket_name=bucket.id, is_multi_region_trail=True, '
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda a: f"{{a}}:*"), '
        "cloud_watch_logs_role_arn=role.arn) (or trailwatch's Pulumi component)",
        anchor=_AUDIT,
    ),
    "trail-no-log-group": Entry(
        "trail",
        _F,
        "the trail does not deliver to CloudWatch Logs (audit)",
        "aws cloudtrail update-trail --region {region} --name {trail} "
        "--cloud-watch-logs-log-group-arn <log group arn>:* "
        "--cloud-watch-logs-role-arn <role that can write to it>",
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda a: f"{{a}}:*"), cloud_watch_logs_role_arn=role.arn',
        anchor=_AUDIT,
    ),
    "trail-log-group-invalid": Entry(
        "trail",
        _F,
        "the trail's CloudWatchLogsLogGroupArn is not a log group ARN (audit)",
        "aws cloudtrail update-trail --region {region} --name {trail} "
        "--cloud-watch-logs-log-group-arn arn:aws:logs:<log group region>:<account>:log-group:<name>:*",
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda a: f"{{a}}:*")',
        anchor=_AUDIT,
    ),
    "log-group-missing": Entry(
        "log-group",
        _F,
        "the trail's log group does not exist (audit)",
        "aws logs create-log-group --region {region} --log-group-name {log_group}, then "
        + _FILTER
        + "; or point the trail at an "
        "existing group",
        'aws.cloudwatch.LogGroup("trail-logs", name="{log_group}") with its filter, alarm and topic',
        anchor=_AUDIT,
    ),
}

CODES: Final[frozenset[str]] = frozenset(get_args(Code))


def entry(code: str) -> Entry:
    """The registry's entry for `code`; a ValueError naming the known codes when it is none."""
    found = REGISTRY.get(code)  # type: ignore[call-overload]
    if found is None:
        raise ValueError(
            f"unknown finding code {code!r}: add it to trailwatch_policy.base.codes (known: {', '.join(sorted(REGISTRY))})"
        )
    return found
