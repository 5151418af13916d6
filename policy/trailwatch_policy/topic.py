"""When an SNS topic delivers an alarm to someone.

A topic declared in the stack needs a subscription (configurable), must not be encrypted
with the AWS-managed key `alias/aws/sns` (CloudWatch cannot use it: notifications are
silently dropped), and its policy must let CloudWatch publish. A topic outside the stack
(a literal ARN) cannot be inspected and is accepted. Pure: no Pulumi imports.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from trailwatch_policy.findings import Problem
from trailwatch_policy.model import UNKNOWN, Maybe, Subscription, Topic

CLOUDWATCH = "cloudwatch.amazonaws.com"
SUBSCRIPTION_SNIPPET = ('aws.sns.TopicSubscription("security-email", topic=topic.arn, '
                        'protocol="email", endpoint="security@example.com")')


def is_aws_managed_sns_key(key: object) -> bool:
    return isinstance(key, str) and (key == "alias/aws/sns" or key.endswith(":alias/aws/sns"))


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants_publish(actions: Any) -> bool:
    return any(isinstance(a, str) and a.lower() in ("sns:publish", "sns:*", "*")
               for a in _listify(actions))


def _names_cloudwatch(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    services = _listify(principal.get("Service", []))
    aws = _listify(principal.get("AWS", []))
    return CLOUDWATCH in services or "*" in aws


def cloudwatch_can_publish(policy: object) -> Maybe[bool] | None:
    """Whether a topic policy document (JSON text or dict) lets CloudWatch publish.

    True/False, UNKNOWN when the document is not known, None when absent (the default
    policy: same-account CloudWatch alarms can publish). Conditions are not evaluated:
    an Allow naming CloudWatch (or everyone) counts; a Deny naming it blocks.
    """
    if policy is None:
        return None
    if policy is UNKNOWN:
        return UNKNOWN
    if isinstance(policy, str):
        if not policy.strip():
            return None
        try:
            policy = json.loads(policy)
        except ValueError:
            return UNKNOWN
    if not isinstance(policy, dict):
        return UNKNOWN
    allowed = False
    for statement in _listify(policy.get("Statement", [])):
        if not isinstance(statement, dict) or not _grants_publish(statement.get("Action")):
            continue
        if not _names_cloudwatch(statement.get("Principal")):
            continue
        if statement.get("Effect") == "Deny" and not statement.get("Condition"):
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def topic_problems(topic: Topic, subscriptions: Iterable[Subscription],
                   maybe_subscriptions: Iterable[Subscription] = (),
                   require_subscription: bool = True, preview: bool = True) -> list[Problem]:
    """Why alarm notifications sent to `topic` would reach no one (empty: they would).

    `subscriptions` point at the topic; `maybe_subscriptions` point at a topic not known
    yet (preview) and may be on this one. With `preview`, an unknown KMS key or topic
    policy is not reported (see `ChainOptions.preview`); without, it makes the topic unknown.
    """
    problems: list[Problem] = []
    if topic.kms_master_key_id is UNKNOWN and not preview:
        problems.append(Problem(
            "unknown", "topic-encryption-unknown",
            "the topic's encryption key (KmsMasterKeyId) could not be read: whether CloudWatch "
            "can publish to it (not alias/aws/sns) is not known",
            "kms_master_key_id=key.id with a customer-managed aws.kms.Key that lets "
            f"{CLOUDWATCH} use it, or no encryption; and let the auditor read the topic"))
    if is_aws_managed_sns_key(topic.kms_master_key_id):
        problems.append(Problem(
            "fail", "topic-aws-managed-key",
            "the topic is encrypted with the AWS-managed key alias/aws/sns, which CloudWatch "
            "cannot use: alarm notifications are silently dropped",
            "kms_master_key_id=key.id with an aws.kms.Key whose policy lets "
            f"{CLOUDWATCH} call kms:Decrypt and kms:GenerateDataKey*, or no encryption"))
    can_publish = topic.cloudwatch_can_publish
    if can_publish is False:
        problems.append(Problem(
            "fail", "topic-policy-blocks-cloudwatch",
            "the topic policy does not let CloudWatch publish: alarm notifications are dropped",
            f'a statement {{"Effect": "Allow", "Principal": {{"Service": "{CLOUDWATCH}"}}, '
            '"Action": "sns:Publish", "Resource": <topic arn>}'))
    elif can_publish is UNKNOWN and not preview:
        problems.append(Problem(
            "unknown", "topic-policy-unknown",
            "the topic policy could not be read: whether it lets CloudWatch publish is not known",
            f'a statement {{"Effect": "Allow", "Principal": {{"Service": "{CLOUDWATCH}"}}, '
            '"Action": "sns:Publish", "Resource": <topic arn>}; and let the auditor read the topic'))
    # At preview an UNKNOWN topic policy (built from the topic's own ARN) is not reported:
    # it is evaluated again on the stack's outputs when the update completes.
    if require_subscription:
        subs = list(subscriptions)
        # confirmed None = a declared subscription (pack): expected to be confirmed.
        confirmed = [s for s in subs if s.confirmed is True or s.confirmed is None]
        if not confirmed:
            maybe = list(maybe_subscriptions)
            unread = [s for s in subs if s.confirmed is UNKNOWN]
            if maybe:
                problems.append(Problem(
                    "unknown", "topic-no-subscription",
                    "the topic has no subscription whose topic is known yet "
                    f"({len(maybe)} subscription(s) point at a topic not known at preview)",
                    SUBSCRIPTION_SNIPPET))
            elif unread:
                problems.append(Problem(
                    "unknown", "topic-subscription-unknown",
                    "the topic's subscriptions could not be read (or their confirmation is not "
                    "known): whether anyone receives the alarm is not known",
                    f"{SUBSCRIPTION_SNIPPET}, confirmed from its endpoint; and let the auditor "
                    "list the topic's subscriptions"))
            elif subs:
                problems.append(Problem(
                    "fail", "topic-subscription-pending",
                    "the topic's subscriptions are not confirmed (PendingConfirmation): "
                    "no one receives the alarm", "confirm the subscription from its endpoint"))
            else:
                problems.append(Problem(
                    "fail", "topic-no-subscription",
                    "the alarm's topic has no subscription: the alarm notifies no one",
                    SUBSCRIPTION_SNIPPET))
    return problems
