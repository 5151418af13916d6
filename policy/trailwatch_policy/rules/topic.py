"""When an SNS topic delivers an alarm to someone.

A topic delivers a CloudWatch alarm when:
- it is a standard topic: CloudWatch alarm actions cannot publish to FIFO topics, whose
  publishers must send a message group id
  (https://docs.aws.amazon.com/sns/latest/dg/sns-fifo-topics.html) and which deliver only to
  SQS (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html);
- its policy, evaluated as AWS evaluates resource policies (`iam_policy`), lets
  `cloudwatch.amazonaws.com` call sns:Publish with the alarm's aws:SourceArn/aws:SourceAccount
  over TLS (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger);
  no policy = the default one, which lets the owner account's alarms publish;
- it is not encrypted with the AWS-managed key alias/aws/sns, and a customer-managed key
  lets `cloudwatch.amazonaws.com` call kms:Decrypt and kms:GenerateDataKey*; the default key
  policy does not (it delegates to IAM policies, which a service principal has none of)
  (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns,
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html);
- a subscription can carry the alarm: confirmed, and its filter policy (`sns_filter`) does
  not drop CloudWatch alarm messages.
A topic or key outside the stack (a literal ARN) cannot be inspected by the pack and is
accepted; the audit reads them. Pure: no Pulumi imports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trailwatch_policy.base.findings import Problem
from trailwatch_policy.base.model import UNKNOWN, Key, Maybe, Subscription, Topic
from trailwatch_policy.rules import iam_policy
from trailwatch_policy.rules.sns_filter import delivers

CLOUDWATCH = "cloudwatch.amazonaws.com"
SUBSCRIPTION_SNIPPET = (
    'aws.sns.TopicSubscription("security-email", topic=topic.arn, protocol="email", endpoint="security@example.com")'
)
PUBLISH_STATEMENT = (
    f'{{"Effect": "Allow", "Principal": {{"Service": "{CLOUDWATCH}"}}, '
    '"Action": "sns:Publish", "Resource": <topic.arn>}'
)
KEY_STATEMENT = (
    f'{{"Effect": "Allow", "Principal": {{"Service": "{CLOUDWATCH}"}}, '
    '"Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}'
)
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class Publisher:
    """The alarm (or composite alarm) whose notification the topic must take."""

    id: str = ""
    arn: object = UNKNOWN  # aws:SourceArn; a str, or UNKNOWN
    name: object = UNKNOWN
    account: object = UNKNOWN  # aws:SourceAccount
    namespace: object = UNKNOWN
    metric: object = UNKNOWN

    def context(self) -> dict[str, object]:
        arn = iam_policy.arn_parts(
            self.arn,
            service="cloudwatch",
            account=self.account,
            resource=f"alarm:{self.name}" if isinstance(self.name, str) else UNKNOWN,
        )
        return {
            "aws:sourcearn": arn,
            "aws:sourceaccount": self.account,
            "aws:sourceowner": self.account,
            "aws:securetransport": "true",
        }

    def body(self) -> dict[str, Any]:
        """The alarm JSON CloudWatch publishes (the fields trailwatch knows)."""
        return {
            "AlarmName": self.name,
            "AlarmArn": self.arn,
            "AWSAccountId": self.account,
            "NewStateValue": "ALARM",
            "OldStateValue": UNKNOWN,
            "AlarmDescription": UNKNOWN,
            "NewStateReason": UNKNOWN,
            "StateChangeTime": UNKNOWN,
            "Region": UNKNOWN,
            "AlarmConfigurationUpdatedTimestamp": UNKNOWN,
            "AlarmActions": UNKNOWN,
            "OKActions": UNKNOWN,
            "InsufficientDataActions": UNKNOWN,
            "Trigger": {
                "MetricName": self.metric,
                "Namespace": self.namespace,
                **{
                    k: UNKNOWN
                    for k in (
                        "StatisticType",
                        "Statistic",
                        "Unit",
                        "Dimensions",
                        "Period",
                        "EvaluationPeriods",
                        "DatapointsToAlarm",
                        "ComparisonOperator",
                        "Threshold",
                        "TreatMissingData",
                        "EvaluateLowSampleCountPercentile",
                    )
                },
            },
        }


def is_aws_managed_sns_key(key: object) -> bool:
    return isinstance(key, str) and (key == "alias/aws/sns" or key.endswith(":alias/aws/sns"))


def cloudwatch_can_publish(policy: object) -> Maybe[bool] | None:
    """Whether a topic policy document (JSON text or dict) lets CloudWatch publish, for an
    alarm whose ARN and account are not known: True/False, UNKNOWN, None when absent (the
    default policy). `topic_problems` evaluates `Topic.policy` per alarm instead."""
    if policy is None or (isinstance(policy, str) and not policy.strip()):
        return None
    decision = iam_policy.evaluate(policy, _request(Publisher(), None, None))
    return decision.allowed if isinstance(decision.allowed, bool) else UNKNOWN


def read_policy(document: object) -> object:
    """A policy document decoded once: a dict, UNKNOWN (not known, not valid JSON) or None
    (blank). A document Python cannot decode at all (RecursionError) raises, for the caller
    to contain to the resources it governs."""
    if isinstance(document, str):
        if not document.strip():
            return None
        try:
            return json.loads(document)
        except ValueError:
            return UNKNOWN
    return document


def _request(publisher: Publisher, arn: object, name: object) -> iam_policy.Request:
    return iam_policy.Request(
        CLOUDWATCH, ("sns:Publish",), arn if isinstance(arn, str) else UNKNOWN, name, publisher.context()
    )


def _label(resource_id: str) -> str:
    """A subscription's logical name (URN) or ARN, for messages."""
    return resource_id.rsplit("::", 1)[-1] if "::" in resource_id else resource_id


def _policy_problems(topic: Topic, publisher: Publisher, preview: bool, stack_ids: frozenset[str]) -> list[Problem]:
    document = topic.policy
    if document is None:
        can = topic.cloudwatch_can_publish
        if can is False:
            return [
                Problem(
                    "fail",
                    "topic-policy-blocks-cloudwatch",
                    "the topic policy does not let CloudWatch publish: alarm notifications are dropped",
                    f"a statement {PUBLISH_STATEMENT}",
                )
            ]
        if can is UNKNOWN and not preview:
            return [
                Problem(
                    "unknown",
                    "topic-policy-unknown",
                    "the topic policy could not be read: whether it lets CloudWatch publish is not known",
                    f"a statement {PUBLISH_STATEMENT}; and let the auditor read the topic",
                )
            ]
        return []
    if document is UNKNOWN:
        # Preview exception: a policy computed only from this stack's own topic (its ARN) is
        # judged on the stack's outputs when the update completes.
        if preview and topic.policy_sources and topic.policy_sources <= stack_ids:
            return []
        return [
            Problem(
                "unknown",
                "topic-policy-unknown",
                "the topic policy is computed from values not known yet (not only from "
                "this stack's own topic): whether it lets CloudWatch publish cannot be "
                "verified",
                f"a literal policy, or one built from topic.arn, with a statement {PUBLISH_STATEMENT}",
            )
        ]
    decision = iam_policy.evaluate(document, _request(publisher, topic.arn, topic.name))
    if decision.allowed is True:
        return []
    if decision.allowed is False:
        return [
            Problem(
                "fail",
                "topic-policy-blocks-cloudwatch",
                f"the topic policy does not let CloudWatch publish ({decision.reason}): "
                "SNS refuses the alarm's notification",
                f"a statement {PUBLISH_STATEMENT}, and no Deny that matches cloudwatch.amazonaws.com",
            )
        ]
    if decision.context_only and preview:
        return []  # only the alarm's own ARN/account are unknown: judged on the outputs
    return [
        Problem(
            "unknown",
            "topic-policy-unknown",
            f"whether the topic policy lets CloudWatch publish cannot be verified: {decision.reason}",
            f"a statement {PUBLISH_STATEMENT} whose conditions use "
            "only aws:SourceArn, aws:SourceAccount or aws:SecureTransport",
        )
    ]


def key_problems(
    topic: Topic,
    keys: Sequence[Key],
    preview: bool,
    keys_complete: bool,
    stack_ids: frozenset[str],
    publisher: Publisher | None = None,
) -> list[Problem]:
    """The topic's KMS key lets CloudWatch use it (see module docs). `keys` are the keys
    `topic.kms_master_key_id` resolved to (stack keys, or the audit's reads); `publisher`
    gives aws:SourceArn / aws:SourceAccount, the global keys present when a service principal
    acts for a resource (confused-deputy conditions in key policies:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn)."""
    key_id = topic.kms_master_key_id
    if key_id is None:
        return []
    if is_aws_managed_sns_key(key_id):
        return [
            Problem(
                "fail",
                "topic-aws-managed-key",
                "the topic is encrypted with the AWS-managed key alias/aws/sns, which CloudWatch "
                "cannot use: alarm notifications are silently dropped",
                "kms_master_key_id=key.arn with an aws.kms.Key whose policy has the statement "
                f"{KEY_STATEMENT}, or no encryption",
            )
        ]
    if not keys:
        if key_id is UNKNOWN:
            if not preview:
                return [
                    Problem(
                        "unknown",
                        "topic-encryption-unknown",
                        "the topic's encryption key (KmsMasterKeyId) could not be read: whether "
                        "CloudWatch can use it is not known",
                        "kms_master_key_id=key.arn with a customer-managed aws.kms.Key that lets "
                        f"{CLOUDWATCH} use it, or no encryption; and let the auditor read the topic",
                    )
                ]
            if not topic.kms_key_sources or not topic.kms_key_sources <= stack_ids:
                return [
                    Problem(
                        "unknown",
                        "topic-encryption-unknown",
                        "the topic's KMS key is computed from values not known yet and is no key of "
                        "this stack: whether its policy lets CloudWatch use it cannot be verified",
                        "kms_master_key_id=key.arn with an aws.kms.Key of this stack whose policy has "
                        f"the statement {KEY_STATEMENT}, or a literal key ARN",
                    )
                ]
            return []
        if keys_complete:
            return [
                Problem(
                    "unknown",
                    "topic-key-unread",
                    f"the topic's KMS key {key_id} could not be read (kms:DescribeKey, "
                    "kms:GetKeyPolicy): whether CloudWatch can use it is not known",
                    "let the auditor call kms:DescribeKey and kms:GetKeyPolicy on the key (SecurityAudit has both)",
                )
            ]
        return []  # a key outside the stack: not inspectable here (the audit reads it)
    problems: list[Problem] = []
    for key in keys:
        problems += _one_key(key, preview, stack_ids, publisher or Publisher())
    return problems


def _one_key(key: Key, preview: bool, stack_ids: frozenset[str], publisher: Publisher) -> list[Problem]:
    where = key.arn if isinstance(key.arn, str) else "the topic's KMS key (key.arn)"
    if key.enabled is False:
        return [
            Problem(
                "fail",
                "topic-key-disabled",
                f"{where} is not enabled (disabled, pending deletion or deleted): SNS "
                "cannot encrypt the alarm's notification, so it is dropped",
                "enable the key (is_enabled=True) or point kms_master_key_id at an enabled key, or no encryption",
            )
        ]
    if key.aws_managed is True:
        return [
            Problem(
                "fail",
                "topic-aws-managed-key",
                f"{where} is an AWS-managed key, whose policy CloudWatch cannot use: alarm "
                "notifications are silently dropped",
                "kms_master_key_id=key.arn with a "
                f"customer-managed aws.kms.Key whose policy has the statement {KEY_STATEMENT}",
            )
        ]
    problems: list[Problem] = []
    if key.enabled is UNKNOWN and not preview:
        problems.append(
            Problem(
                "unknown",
                "topic-key-unread",
                f"whether {where} is enabled could not be read",
                "let the auditor call kms:DescribeKey (SecurityAudit has it)",
            )
        )
    if key.policy is None:
        return problems + [
            Problem(
                "fail",
                "topic-key-policy-blocks-cloudwatch",
                f"{where} has the default key policy, which only lets IAM policies of the account use "
                f"the key: the service principal {CLOUDWATCH} has none, so kms:GenerateDataKey fails "
                "and the alarm's notification is dropped",
                f"policy=json.dumps(...) on the aws.kms.Key with the statement {KEY_STATEMENT}",
            )
        ]
    if key.policy is UNKNOWN:
        if preview and key.policy_sources and key.policy_sources <= stack_ids:
            return problems  # built from this stack's own topic/key: judged on the outputs
        return problems + [
            Problem(
                "unknown",
                "topic-key-policy-unknown",
                f"the key policy of {where} is not known (not built only from this stack's own "
                "topic or key, or not readable): whether CloudWatch can use the key cannot be verified",
                f"a key policy with the statement {KEY_STATEMENT}; and let the auditor call kms:GetKeyPolicy",
            )
        ]
    context = {k: v for k, v in publisher.context().items() if k != "aws:sourceowner"}
    decision = iam_policy.evaluate(key.policy, iam_policy.Request(CLOUDWATCH, KEY_ACTIONS, context=context))
    if decision.allowed is False:
        problems.append(
            Problem(
                "fail",
                "topic-key-policy-blocks-cloudwatch",
                f"the key policy of {where} does not let {CLOUDWATCH} call kms:Decrypt and "
                f"kms:GenerateDataKey ({decision.reason}): the alarm's notification is dropped",
                f"add the statement {KEY_STATEMENT} to the key policy",
            )
        )
    elif decision.allowed is UNKNOWN and not (decision.context_only and preview):
        problems.append(
            Problem(
                "unknown",
                "topic-key-policy-unknown",
                f"whether the key policy of {where} lets {CLOUDWATCH} use the key cannot be "
                f"verified: {decision.reason}",
                f"a key policy statement {KEY_STATEMENT} without conditions",
            )
        )
    return problems


def _subscription_problems(subs: list[Subscription], maybe: list[Subscription], publisher: Publisher) -> list[Problem]:
    # confirmed None = a declared subscription (pack): expected to be confirmed.
    confirmed = [s for s in subs if s.confirmed is True or s.confirmed is None]
    body: dict[str, Any] = {}

    def verdict(s: Subscription) -> object:
        if s.filter_policy is None:
            return True
        body.update(body or publisher.body())
        return delivers(s.filter_policy, s.filter_policy_scope, body)

    verdicts = [(s, verdict(s)) for s in confirmed]
    if any(v is True for _, v in verdicts):
        return []
    unsure = [s for s, v in verdicts if v is UNKNOWN]
    dropped = [s for s, v in verdicts if v is False]
    if unsure:
        return [
            Problem(
                "unknown",
                "topic-subscription-filtered",
                f"whether the filter policy of subscription {_label(unsure[0].id)} lets the alarm "
                "through cannot be verified (not known yet, or a rule trailwatch does not model)",
                "remove filter_policy from the subscription, or match a field of the alarm JSON "
                'with filter_policy_scope="MessageBody", e.g. {"NewStateValue": ["ALARM"]}',
                on=unsure[0].id if len(unsure) == 1 else None,
            )
        ]
    if dropped:
        names = ", ".join(_label(s.id) for s in dropped)
        return [
            Problem(
                "fail",
                "topic-subscription-filtered",
                f"the filter policy of subscription {names} drops CloudWatch alarm notifications "
                "(they carry no message attributes; with filterPolicyScope MessageBody the body is "
                "the alarm JSON): no subscriber receives the alarm",
                "remove filter_policy from the subscription, or use filter_policy_scope="
                '"MessageBody" with {"NewStateValue": ["ALARM"]}',
                on=dropped[0].id if len(dropped) == 1 else None,
            )
        ]
    unread = [s for s in subs if s.confirmed is UNKNOWN]
    if maybe:
        return [
            Problem(
                "unknown",
                "topic-no-subscription",
                "the topic has no subscription whose topic is known yet "
                f"({len(maybe)} subscription(s) point at a topic not known at preview)",
                SUBSCRIPTION_SNIPPET,
            )
        ]
    if unread:
        return [
            Problem(
                "unknown",
                "topic-subscription-unknown",
                "the topic's subscriptions could not be read (or their confirmation is not "
                "known): whether anyone receives the alarm is not known",
                f"{SUBSCRIPTION_SNIPPET}, confirmed from its endpoint; and let the auditor "
                "list the topic's subscriptions",
            )
        ]
    if subs:
        return [
            Problem(
                "fail",
                "topic-subscription-pending",
                "the topic's subscriptions are not confirmed (PendingConfirmation): no one receives the alarm",
                "confirm the subscription from its endpoint",
            )
        ]
    return [
        Problem(
            "fail",
            "topic-no-subscription",
            "the alarm's topic has no subscription: the alarm notifies no one",
            SUBSCRIPTION_SNIPPET,
        )
    ]


def topic_problems(
    topic: Topic,
    subscriptions: Iterable[Subscription],
    maybe_subscriptions: Iterable[Subscription] = (),
    require_subscription: bool = True,
    preview: bool = True,
    publisher: Publisher | None = None,
    keys: Sequence[Key] = (),
    keys_complete: bool = False,
    stack_ids: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Why alarm notifications sent to `topic` would reach no one (empty: they would).

    `subscriptions` point at the topic; `maybe_subscriptions` point at a topic not known
    yet (preview) and may be on this one. `publisher` is the alarm publishing (its ARN and
    account are the policy's aws:SourceArn/aws:SourceAccount). `keys`: the KMS keys the
    topic's KmsMasterKeyId resolves to; `stack_ids`: ids of this stack's topics and keys
    (the preview exceptions hold only for values built from them). With `preview`, values
    not known until `pulumi up` and built from the stack's own topic/key are not reported.
    """
    publisher = publisher or Publisher()
    problems: list[Problem] = []
    fifo = topic.fifo is True or (isinstance(topic.name, str) and topic.name.endswith(".fifo"))
    if fifo:
        problems.append(
            Problem(
                "fail",
                "topic-fifo",
                "the topic is a FIFO topic: CloudWatch alarms can only notify standard topics, so "
                "the alarm's notification is never published",
                "a standard topic: fifo_topic=False and a name without the .fifo suffix",
            )
        )
    elif topic.fifo is UNKNOWN:
        problems.append(
            Problem(
                "unknown",
                "topic-fifo",
                "whether the topic is FIFO is not known yet",
                "fifo_topic=False (or leave it unset)",
            )
        )
    problems += key_problems(topic, keys, preview, keys_complete, stack_ids, publisher)
    problems += _policy_problems(topic, publisher, preview, stack_ids)
    if require_subscription:
        problems += _subscription_problems(list(subscriptions), list(maybe_subscriptions), publisher)
    return problems
