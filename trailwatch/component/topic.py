"""The SNS topic the alarm notifies, built so that CloudWatch can actually deliver to it.

Two silent failure modes drive this module: a topic encrypted with `alias/aws/sns`
drops alarm notifications (CloudWatch may not use that key), and a topic policy that
does not let `cloudwatch.amazonaws.com` publish drops them too. So the topic gets a
customer-managed key whose policy admits CloudWatch alarms of this account, and a topic
policy that admits CloudWatch alarms of this account only. Endpoints marked secret (https
URLs carry integration keys) stay secret in the state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from trailwatch.component.account import Account
from trailwatch.config import Subscription, TopicEncryption, check_subscriptions, check_topic

TYPE = "trailwatch:index:AlarmTopic"
KMS_USE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]


@dataclass
class AlarmTopicArgs:
    """What the alarm topic delivers to, and how it is protected.

    `topic_arn` names an existing topic: then no topic, key or policy is created (its
    owner keeps them) and only the subscriptions are added. `kms_key_id` names an
    existing customer-managed key instead of creating one.
    """

    subscriptions: Sequence[Subscription] = ()
    topic_arn: str | None = None
    encryption: TopicEncryption = "cmk"
    kms_key_id: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: {"managed-by": "trailwatch"})

    def __post_init__(self) -> None:
        # The stack config's rules (the region is checked by the component, which knows it).
        check_topic(topic_arn=self.topic_arn, encryption=self.encryption, kms_key_id=self.kms_key_id, region=None)
        check_subscriptions(self.subscriptions, topic_arn=self.topic_arn)


def _root(account: Account) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:", account.partition, ":iam::", account.account_id, ":root")


def alarms_of(account: Account) -> pulumi.Output[str]:
    """`arn:<partition>:cloudwatch:<region>:<account>:alarm:*`: this account's alarms in this region."""
    return pulumi.Output.concat(
        "arn:", account.partition, ":cloudwatch:", account.region, ":", account.account_id, ":alarm:*"
    )


def _from_alarms_of(account: Account) -> dict[str, Any]:
    # Confused-deputy guard: CloudWatch uses the key only for this account's alarms.
    return {"StringEquals": {"aws:SourceAccount": account.account_id}, "ArnLike": {"aws:SourceArn": alarms_of(account)}}


def key_policy(account: Account) -> pulumi.Output[str]:
    """Account root administers the key; CloudWatch may use it for this account's alarms only.

    A CloudWatch alarm publishing to an encrypted topic needs kms:Decrypt and
    kms:GenerateDataKey* on the topic's key; that is the only service grant SNS's guide
    lists for CloudWatch (no statement for sns.amazonaws.com is needed: SNS uses the key
    on the publisher's behalf).
    https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Id": "trailwatch-alarm-topic-key",
            "Statement": [
                {
                    "Sid": "AllowAccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": _root(account)},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "AllowCloudWatchAlarmsToUseTheKey",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": KMS_USE_ACTIONS,
                    "Resource": "*",
                    "Condition": _from_alarms_of(account),
                },
            ],
        }
    )


def topic_policy(topic_arn: pulumi.Input[str], account: Account) -> pulumi.Output[str]:
    """CloudWatch may publish only for this account's alarms; the account administers; TLS only."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Id": "trailwatch-alarm-topic",
            "Statement": [
                {
                    "Sid": "AllowAccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": _root(account)},
                    "Action": [
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:AddPermission",
                        "sns:RemovePermission",
                        "sns:DeleteTopic",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                        "sns:Publish",
                    ],
                    "Resource": topic_arn,
                },
                {
                    "Sid": "AllowCloudWatchAlarmsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": _from_alarms_of(account),
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


def alias_name(name: str) -> str:
    """`alias/trailwatch/<project>/<stack>/<name>`, so people find the key; unique per stack."""
    raw = f"trailwatch/{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
    return "alias/" + re.sub(r"[^A-Za-z0-9/_-]", "-", raw)[:250]


def _digest_name(prefix: str, subscription: Subscription) -> str:
    digest = hashlib.sha256(f"{subscription.protocol}:{subscription.endpoint}".encode()).hexdigest()[:8]
    return f"{prefix}-{subscription.protocol}-{digest}"


def subscription_names(prefix: str, subscriptions: Sequence[Subscription]) -> list[tuple[str, str | None]]:
    """Each subscription's logical name, and the name an earlier version gave it (None: unchanged).

    A plain endpoint is named by a digest of its text (`<prefix>-<protocol>-<8 hex>`), which
    survives reordering the config lists. A secret endpoint must not be: a name is in every URN,
    and an unsalted digest confirms a guessed address or ARN. It is named by its place among
    the secret endpoints of its protocol (`<prefix>-<protocol>-secret-<n>`, n from 1, in
    configuration order), with the digest name as an alias, so a stack deployed by an earlier
    version keeps its subscription (docs/configuration.md, "Secrets").
    """
    names: list[tuple[str, str | None]] = []
    counts: dict[str, int] = {}
    for subscription in subscriptions:
        if not subscription.secret:
            names.append((_digest_name(prefix, subscription), None))
            continue
        counts[subscription.protocol] = counts.get(subscription.protocol, 0) + 1
        names.append(
            (
                f"{prefix}-{subscription.protocol}-secret-{counts[subscription.protocol]}",
                _digest_name(prefix, subscription),
            )
        )
    return names


def subscription_name(prefix: str, subscription: Subscription) -> str:
    """A plain endpoint's logical name (see `subscription_names`; refused for a secret one)."""
    if subscription.secret:
        raise ValueError("a secret endpoint is named by its place: use subscription_names()")
    return _digest_name(prefix, subscription)


class AlarmTopic(pulumi.ComponentResource):
    """An SNS topic (new or existing) with subscriptions that CloudWatch alarms can reach."""

    topic_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str] | None
    subscription_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.key_arn = None
        account = Account.lookup(self)

        if args.topic_arn is not None:
            self.topic_arn = pulumi.Output.from_input(args.topic_arn)
        else:
            kms_key_id: pulumi.Input[str] | None = args.kms_key_id
            if args.encryption == "cmk" and kms_key_id is None:
                key = aws.kms.Key(
                    f"{name}-key",
                    description=f"Encrypts the trailwatch alarm topic {name}; usable by this account's alarms",
                    enable_key_rotation=True,
                    deletion_window_in_days=30,
                    policy=key_policy(account),
                    tags=tags,
                    opts=child,
                )
                aws.kms.Alias(f"{name}-key-alias", name=alias_name(name), target_key_id=key.key_id, opts=child)
                self.key_arn = key.arn
                kms_key_id = key.arn
            topic = aws.sns.Topic(
                f"{name}",
                kms_master_key_id=kms_key_id if args.encryption == "cmk" else None,
                tags=tags,
                opts=child,
            )
            # The topic's ARN built from its (autonamed, so already known) name: the policy,
            # the subscriptions and the alarm actions are then readable in preview, when
            # topic.arn is not. The value is the same once the topic exists.
            known_arn = pulumi.Output.concat(
                "arn:", account.partition, ":sns:", account.region, ":", account.account_id, ":", topic.name
            )
            aws.sns.TopicPolicy(f"{name}-policy", arn=known_arn, policy=topic_policy(known_arn, account), opts=child)
            self.topic_arn = known_arn

        def endpoint_opts(old: str | None, secret_outputs: list[str]) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self,
                aliases=[pulumi.Alias(name=old)] if old is not None else None,
                additional_secret_outputs=secret_outputs or None,
            )

        self.subscription_arns = []
        for subscription, (logical, earlier) in zip(
            args.subscriptions, subscription_names(name, args.subscriptions), strict=True
        ):
            # A secret endpoint stays secret in every resource that carries it: encrypted in the
            # state, masked in logs, and the provider's copies (outputs) marked secret too.
            endpoint: pulumi.Input[str] = (
                pulumi.Output.secret(subscription.endpoint) if subscription.secret else subscription.endpoint
            )
            if subscription.protocol == "lambda":
                aws.lambda_.Permission(
                    f"{logical}-invoke",
                    action="lambda:InvokeFunction",
                    function=endpoint,
                    principal="sns.amazonaws.com",
                    source_arn=self.topic_arn,
                    # The permission lives with the function, which may be in another region.
                    region=subscription.endpoint.split(":")[3],
                    opts=endpoint_opts(
                        None if earlier is None else f"{earlier}-invoke", ["function"] if subscription.secret else []
                    ),
                )
            created = aws.sns.TopicSubscription(
                logical,
                topic=self.topic_arn,
                protocol=subscription.protocol,
                endpoint=endpoint,
                opts=endpoint_opts(earlier, ["endpoint"] if subscription.secret else []),
            )
            self.subscription_arns.append(created.arn)

        outputs: dict[str, Any] = {"topicArn": self.topic_arn, "subscriptionArns": self.subscription_arns}
        if self.key_arn is not None:
            outputs["keyArn"] = self.key_arn
        self.register_outputs(outputs)
