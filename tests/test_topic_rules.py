"""The topic rules of issue 14: resource policies evaluated as AWS does (iam_policy), KMS key
policies, FIFO topics, subscription filter policies (sns_filter); the preview exceptions."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from test_policy_chain import LIVE, SNS_ARN, codes, good, statuses
from trailwatch_policy.base.model import UNKNOWN, Inventory, Key, Subscription
from trailwatch_policy.chain import evaluate
from trailwatch_policy.rules import iam_policy
from trailwatch_policy.rules.sns_filter import delivers
from trailwatch_policy.rules.topic import CLOUDWATCH, Publisher

ACCOUNT = "123456789012"
TOPIC = SNS_ARN + "alerts"
ALARM_ARN = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:a"
ALLOW = {"Effect": "Allow", "Principal": {"Service": CLOUDWATCH}, "Action": "sns:Publish", "Resource": TOPIC}


def publish(*statements: dict, arn: object = ALARM_ARN, account: object = ACCOUNT) -> iam_policy.Decision:
    request = iam_policy.Request(
        CLOUDWATCH, ("sns:Publish",), TOPIC, "alerts", Publisher("a", arn, "a", account).context()
    )
    return iam_policy.evaluate({"Statement": list(statements)}, request)


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([ALLOW], True),
        ([], False),  # implicit deny
        ([{**ALLOW, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}], False),  # not the service
        ([{**ALLOW, "Principal": "*"}], True),
        ([{**ALLOW, "Principal": {"AWS": "*"}}], True),
        ([{**ALLOW, "Action": "sns:*"}], True),
        ([{**ALLOW, "Action": "SNS:Publish"}], True),
        ([{**ALLOW, "Action": "sns:Subscribe"}], False),
        ([{**ALLOW, "Resource": SNS_ARN + "other"}], False),
        ([{**ALLOW, "Resource": SNS_ARN + "*"}], True),
        ([ALLOW, {**ALLOW, "Effect": "Deny"}], False),  # explicit deny wins
        (
            [
                ALLOW,
                {"Effect": "Deny", "NotPrincipal": {"Service": CLOUDWATCH}, "Action": "sns:Publish", "Resource": "*"},
            ],
            True,
        ),  # the deny is for everyone else
        (
            [
                ALLOW,
                {
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sns:Publish",
                    "Resource": "*",
                },
            ],
            False,
        ),
        ([{**ALLOW, "Action": None, "NotAction": "sns:DeleteTopic"}], True),
        ([ALLOW, {"Effect": "Deny", "Principal": "*", "NotAction": "sns:Publish", "Resource": "*"}], True),
        ([{**ALLOW, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}], True),
        ([{**ALLOW, "Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}}}], False),
        ([{**ALLOW, "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:*:{ACCOUNT}:alarm:*"}}}], True),
        ([{**ALLOW, "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudwatch:*:*:alarm:other"}}}], False),
        ([{**ALLOW, "Condition": {"StringLike": {"AWS:SourceOwner": ACCOUNT}}}], True),
        (
            [
                ALLOW,
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": TOPIC,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
            True,
        ),
        ([{**ALLOW, "Condition": {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}}], False),
        ([{**ALLOW, "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}}], True),
        ([{**ALLOW, "Condition": {"Null": {"aws:SourceArn": "false"}}}], True),
        ([{**ALLOW, "Condition": {"ForAnyValue:StringEquals": {"aws:SourceAccount": [ACCOUNT, "1"]}}}], True),
    ],
)
def test_topic_policies_evaluated_like_aws(statements, allowed):
    statements = [{k: v for k, v in s.items() if v is not None} for s in statements]
    assert publish(*statements).allowed is allowed


def test_unmodelled_condition_keys_and_unknown_values_cannot_be_verified():
    decision = publish({**ALLOW, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    assert decision.allowed is UNKNOWN and not decision.context_only
    assert "aws:SourceIp is not modelled" in decision.reason
    deny = {**ALLOW, "Effect": "Deny", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}
    assert publish(ALLOW, deny).allowed is UNKNOWN  # a deny that may apply
    at_preview = publish(
        {**ALLOW, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}, arn=UNKNOWN, account=UNKNOWN
    )
    assert at_preview.allowed is UNKNOWN and at_preview.context_only
    wildcard = publish(
        {**ALLOW, "Condition": {"ArnLike": {"aws:SourceArn": "arn:*:cloudwatch:*:*:alarm:a"}}},
        arn=UNKNOWN,
        account=UNKNOWN,
    )
    assert wildcard.allowed is True  # only wildcards where the ARN is not known yet
    assert iam_policy.evaluate('{"Statement": [', iam_policy.Request(CLOUDWATCH, ())).allowed is UNKNOWN


def with_topic(inv: Inventory, **changes: Any) -> Inventory:
    return replace(inv, topics=(replace(inv.topics[0], **changes),))


def test_topic_policy_on_the_chain_and_the_preview_exception():
    literal = good("literal")
    blocked = with_topic(literal, policy={"Statement": [{**ALLOW, "Effect": "Deny"}]})
    assert codes(blocked) == [("tp", "fail", "topic-policy-blocks-cloudwatch")]
    assert "explicitly denies it" in evaluate(blocked)[0].findings[0].message
    conditional = with_topic(
        literal,
        policy=json.dumps({"Statement": [{**ALLOW, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]}),
    )
    assert statuses(conditional) == ["pass"]  # preview: only the alarm's own account is unknown
    assert codes(conditional, LIVE) == [("tp", "unknown", "topic-policy-unknown")]
    own = with_topic(literal, policy=UNKNOWN, policy_sources=frozenset({"tp"}))
    assert statuses(own) == ["pass"]  # built from the stack's own topic: judged on the outputs
    other = with_topic(literal, policy=UNKNOWN, policy_sources=frozenset({"urn:some-lookup"}))
    assert codes(other) == [("tp", "unknown", "topic-policy-unknown")]


def test_fifo_topics_are_refused():
    assert codes(with_topic(good(), fifo=True)) == [("tp", "fail", "topic-fifo")]
    assert codes(with_topic(good(), name="alerts.fifo")) == [("tp", "fail", "topic-fifo")]
    assert codes(with_topic(good(), fifo=UNKNOWN)) == [("tp", "unknown", "topic-fifo")]


KEY_OK = {
    "Statement": [
        {
            "Sid": "Admin",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": CLOUDWATCH},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        },
    ]
}
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd"


def encrypted(key: Key, value: object = "alias/alarms") -> Inventory:
    return replace(with_topic(good(), kms_master_key_id=value), keys=(key,))


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        (Key("k", "1234abcd", KEY_ARN, ("alias/alarms",), policy=KEY_OK), "pass", None),
        (
            Key("k", "1234abcd", KEY_ARN, ("alias/alarms",), policy=None),
            "fail",
            "topic-key-policy-blocks-cloudwatch",
        ),  # the default key policy
        (
            Key("k", "1234abcd", KEY_ARN, ("alias/alarms",), policy={"Statement": KEY_OK["Statement"][:1]}),
            "fail",
            "topic-key-policy-blocks-cloudwatch",
        ),  # "enable IAM policies" only
        (
            Key(
                "k",
                "1234abcd",
                KEY_ARN,
                ("alias/alarms",),
                policy={"Statement": [{**KEY_OK["Statement"][1], "Action": "kms:Decrypt"}]},
            ),
            "fail",
            "topic-key-policy-blocks-cloudwatch",
        ),
        (Key("k", "1234abcd", KEY_ARN, ("alias/alarms",), enabled=False, policy=KEY_OK), "fail", "topic-key-disabled"),
        (
            Key(
                "k",
                "1234abcd",
                KEY_ARN,
                ("alias/alarms",),
                policy={
                    "Statement": [
                        {
                            **KEY_OK["Statement"][1],
                            "Condition": {"StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}},
                        }
                    ]
                },
            ),
            "unknown",
            "topic-key-policy-unknown",
        ),
        (Key("k", "1234abcd", KEY_ARN, ("alias/alarms",), aws_managed=True), "fail", "topic-aws-managed-key"),
    ],
)
def test_customer_managed_key_policy_must_let_cloudwatch_use_the_key(key, status, code):
    for value in ("alias/alarms", KEY_ARN, "1234abcd", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/alarms"):
        inv = encrypted(key, value)
        assert statuses(inv) == [status], value
        if code:
            assert codes(inv) == [("tp", status, code)], value


def test_key_policy_conditions_on_the_alarms_account_and_arn():
    statement = {
        **KEY_OK["Statement"][1],
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"},
        },
    }
    inv = encrypted(Key("k", "1234abcd", KEY_ARN, ("alias/alarms",), policy={"Statement": [statement]}))
    assert statuses(inv) == ["pass"]  # preview: only the alarm's own ARN/account are unknown
    alarm = replace(inv.alarms[0], arn=f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:a", account=ACCOUNT)
    assert statuses(replace(inv, alarms=(alarm,)), LIVE) == ["pass"]
    other = replace(alarm, account="999999999999", arn="arn:aws:cloudwatch:us-east-1:999999999999:alarm:a")
    assert codes(replace(inv, alarms=(other,)), LIVE) == [("tp", "fail", "topic-key-policy-blocks-cloudwatch")]


def test_key_policy_unknown_at_preview_only_when_built_from_the_stack():
    own = Key("k", policy=UNKNOWN, policy_sources=frozenset({"tp"}))
    inv = replace(with_topic(good(), kms_master_key_id=UNKNOWN, kms_key_sources=frozenset({"k"})), keys=(own,))
    assert statuses(inv) == ["pass"]
    foreign = replace(own, policy_sources=frozenset({"urn:elsewhere"}))
    assert codes(replace(inv, keys=(foreign,))) == [("tp", "unknown", "topic-key-policy-unknown")]
    assert codes(replace(inv, keys=(own,)), LIVE) == [("tp", "unknown", "topic-key-policy-unknown")]


def test_a_key_outside_the_stack_is_accepted_by_the_pack_and_unknown_when_unread_by_the_audit():
    inv = with_topic(good("literal"), kms_master_key_id=KEY_ARN)
    assert statuses(inv) == ["pass"]
    assert codes(inv, LIVE) == [("tp", "unknown", "topic-key-unread")]


BODY = Publisher("a", ALARM_ARN, "a", ACCOUNT, "CISBenchmark", "Calls").body()


@pytest.mark.parametrize(
    ("policy", "scope", "expected"),
    [
        (None, None, True),
        ({}, None, True),
        ({"severity": ["high"]}, None, False),  # alarm messages carry no attributes
        ({"severity": [{"exists": False}]}, None, True),
        ({"severity": [{"anything-but": "low"}]}, "MessageAttributes", False),
        ({"NewStateValue": ["ALARM"]}, "MessageBody", True),
        ({"NewStateValue": ["OK"]}, "MessageBody", False),
        ({"Trigger": {"MetricName": [{"prefix": "Cal"}]}}, "MessageBody", True),
        ({"AlarmName": [{"anything-but": ["a"]}]}, "MessageBody", False),
        ({"AWSAccountId": [ACCOUNT]}, "MessageBody", True),
        ({"detail-type": ["CloudWatch Alarm State Change"]}, "MessageBody", False),  # an EventBridge shape
        ({"OldStateValue": ["OK"]}, "MessageBody", UNKNOWN),  # OK or INSUFFICIENT_DATA
        ({"$or": [{"NewStateValue": ["ALARM"]}, {"x": ["y"]}]}, "MessageBody", True),
        ("{not json", "MessageBody", UNKNOWN),
        ({"severity": ["high"]}, UNKNOWN, UNKNOWN),
    ],
)
def test_subscription_filter_policies_on_alarm_messages(policy, scope, expected):
    assert delivers(policy, scope, BODY) is expected


def test_a_subscription_whose_filter_drops_alarms_does_not_count():
    inv = good("literal")
    sub = inv.subscriptions[0]
    dropped = replace(inv, subscriptions=(replace(sub, filter_policy='{"severity": ["high"]}'),))
    assert codes(dropped) == [("s", "fail", "topic-subscription-filtered")]  # the resource to edit
    assert "they carry no message attributes" in evaluate(dropped)[0].findings[0].message
    other = Subscription("s2", sub.topic, "sqs", "arn:aws:sqs:us-east-1:1:q")
    assert statuses(replace(dropped, subscriptions=dropped.subscriptions + (other,))) == ["pass"]
    unsure = replace(inv, subscriptions=(replace(sub, filter_policy=UNKNOWN),))
    assert codes(unsure) == [("s", "unknown", "topic-subscription-filtered")]


def test_iam_wildcards_mean_the_same_cached_or_not() -> None:
    """`_glob` translates a wildcard once (the same policy is read for every control), except a
    very long one (a hostile policy's), which is translated each time and never kept."""
    from trailwatch_policy.rules.iam_policy import _CACHED_GLOB, _glob, _glob_regex

    _glob_regex.cache_clear()
    assert _glob("arn:aws:sns:*:123456789012:alarm?", "arn:aws:sns:us-east-1:123456789012:alarms")
    assert not _glob("arn:aws:sns:*:123456789012:alarm?", "arn:aws:sns:us-east-1:123456789012:alarm")
    assert _glob("SNS:Publish", "sns:publish") and not _glob("SNS:Publish", "sns:publish", ignore_case=False)
    long = "arn:aws:sns:*:" + "x" * _CACHED_GLOB + "*"
    assert _glob(long, "arn:aws:sns:eu-west-1:" + "x" * _CACHED_GLOB + "-topic")
    assert not _glob(long, "arn:aws:sns:eu-west-1:" + "x" * (_CACHED_GLOB - 1))
    assert _glob_regex.cache_info().currsize == 3  # the short patterns (one twice: case) only
