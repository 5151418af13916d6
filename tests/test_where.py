"""Where resources live (trailwatch_policy.rules.where), the trail's excluded event sources, log
group name prefixes, and the offline engine's lookups, aws-native names and invoke results:
the pure pieces, without subprocesses (the end-to-end runs are in test_guardrail_where.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from trailwatch.cli.inputs import InputError
from trailwatch.engine import autoname, invokes
from trailwatch.engine.cli import load_invoke_results
from trailwatch.engine.errors import EngineError
from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    Inventory,
    LogGroup,
    MetricFilter,
    MetricTransformation,
    Ref,
    Subscription,
    Topic,
    Trail,
    Where,
)
from trailwatch_policy.chain import ChainOptions, evaluate
from trailwatch_policy.edge.resources import autonamed, provider_where
from trailwatch_policy.rules.log_group import prefix_is_cloudtrail
from trailwatch_policy.rules.trail import excluded_event_sources, trail_problems
from trailwatch_policy.rules.where import bind_accounts, of_arn, placed, relation, symbol

CREDS = symbol("of the deployment's credentials")
PATTERN = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'


# --- relations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (Where("111122223333", "us-east-1"), Where("111122223333", "us-east-1"), "same"),
        (Where("111122223333", "us-east-1"), Where("111122223333", "eu-west-1"), "different"),
        (Where("111122223333", "us-east-1"), Where("444455556666", "us-east-1"), "different"),
        (Where(CREDS, "us-east-1"), Where(CREDS, "us-east-1"), "same"),  # one set of credentials
        (Where(CREDS, "us-east-1"), Where("111122223333", "us-east-1"), "unknown"),
        (Where(CREDS, "us-east-1"), Where("111122223333", "eu-west-1"), "different"),  # Region decides
        (Where(CREDS, symbol("from the environment")), Where(CREDS, "us-east-1"), "unknown"),
        (Where(UNKNOWN, "us-east-1"), Where(UNKNOWN, "us-east-1"), "unknown"),  # never provably equal
        (Where(), Where("111122223333", "us-east-1"), "same"),  # not modelled (the audit)
    ],
)
def test_relation(a: Where, b: Where, expected: str) -> None:
    assert relation(a, b) == relation(b, a) == expected


def test_an_arn_names_its_own_place_and_a_name_the_referrers() -> None:
    topic_here = Where("111122223333", "us-east-1")
    arn = "arn:aws:sns:us-east-1:999988887777:alarms"
    assert of_arn(arn) == Where("999988887777", "us-east-1")
    assert of_arn("alarms") is None and of_arn("arn:aws:iam::111122223333:role/x") == Where("111122223333", None)
    assert placed(Ref(arn), topic_here, "t", topic_here, by_name=False) == "different"
    # computed from the topic itself: its own ARN, wherever the alarm is
    assert placed(Ref(UNKNOWN, frozenset({"t"})), Where("1", "eu-west-1"), "t", topic_here, False) == "same"
    # a log group name resolves in the filter's own account and Region
    assert (
        placed(Ref("grp", frozenset({"g"})), Where("111122223333", "eu-west-1"), "g", topic_here, by_name=True)
        == "different"
    )


# --- providers -----------------------------------------------------------------------------------


def _provider(**props: object) -> SimpleNamespace:
    return SimpleNamespace(props=props, urn="urn:pulumi:s::p::pulumi:providers:aws::p", name="p")


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"region": "eu-west-1"}, Where(CREDS, "eu-west-1")),
        # provider config arrives as strings: objects and lists as JSON text
        (
            {"region": "us-east-1", "assumeRoles": json.dumps([{"roleArn": "arn:aws:iam::444455556666:role/d"}])},
            Where("444455556666", "us-east-1"),
        ),
        (
            {"region": "us-east-1", "assumeRole": {"roleArn": "arn:aws:iam::444455556666:role/d"}},
            Where("444455556666", "us-east-1"),
        ),
        ({"region": "us-east-1", "allowedAccountIds": '["111122223333"]'}, Where("111122223333", "us-east-1")),
        ({"region": "us-east-1", "allowedAccountIds": '["1", "2"]'}, Where(CREDS, "us-east-1")),
        ({"region": "us-east-1", "assumeRoles": [{"roleArn": UNKNOWN}]}, Where(UNKNOWN, "us-east-1")),
        ({"region": UNKNOWN}, Where(CREDS, UNKNOWN)),
        ({}, Where(CREDS, symbol("from the environment of provider p"))),
        (
            {"region": "us-east-1", "profile": "audit"},
            Where(symbol("of the deployment's credentials (profile=audit)"), "us-east-1"),
        ),
    ],
)
def test_provider_where(props: dict, expected: Where) -> None:
    assert provider_where(_provider(**props)) == expected
    assert provider_where(None) == Where()


def test_autonames_are_recognised() -> None:
    urn = "urn:pulumi:dev::p::aws:cloudwatch/logGroup:LogGroup::trail-logs"
    assert autonamed(urn, "trail-logs-1a2b3c4") and autonamed(urn, "trail-logs-1a2b3c4.fifo")
    assert (
        not autonamed(urn, "trail-logs") and not autonamed(urn, "security/trail-logs") and not autonamed(urn, UNKNOWN)
    )


# --- the chain, per account and Region -------------------------------------------------------------


def _region_stack(alarm_region: str, sub_topic: str | None = None) -> Inventory:
    here, alarm_where = Where(CREDS, "eu-west-1"), Where(CREDS, alarm_region)
    return Inventory(
        log_groups=(LogGroup("g", "aws-cloudtrail-logs-main", where=here),),
        filters=(
            MetricFilter(
                "f",
                "f",
                Ref("aws-cloudtrail-logs-main"),
                PATTERN,
                (MetricTransformation("UnauthorizedAPICalls", "CIS", "1"),),
                where=here,
            ),
        ),
        alarms=(
            Alarm(
                "a",
                "a",
                "CIS",
                "UnauthorizedAPICalls",
                statistic="Sum",
                period=300.0,
                threshold=1.0,
                comparison="GreaterThanOrEqualToThreshold",
                evaluation_periods=1.0,
                treat_missing_data="notBreaching",
                alarm_actions=(Ref(UNKNOWN, frozenset({"t"})),),
                where=alarm_where,
            ),
        ),
        topics=(Topic("t", "alarms", where=alarm_where),),
        subscriptions=(
            Subscription(
                "s",
                Ref(sub_topic) if sub_topic else Ref(UNKNOWN, frozenset({"t"})),
                "email",
                "x@example.com",
                where=alarm_where,
            ),
        ),
    )


def test_alarm_in_the_filters_region_passes_and_elsewhere_fails() -> None:
    [ok] = evaluate(_region_stack("eu-west-1"))
    assert ok.status == "pass"
    [bad] = evaluate(_region_stack("us-east-1"))
    assert bad.status == "fail"
    assert {(f.resource_id, f.code) for f in bad.findings} == {("a", "other-account-or-region")}


def test_subscription_to_another_accounts_topic_of_the_same_name_does_not_count() -> None:
    [same] = evaluate(_region_stack("eu-west-1", "arn:aws:sns:eu-west-1:111122223333:alarms"))
    assert same.status == "unknown"  # the stack's account is not written down: fail closed
    assert {f.code for f in same.findings} == {"place-unknown"}
    inv = _region_stack("eu-west-1", "arn:aws:sns:eu-west-1:111122223333:alarms")
    # a trail's log group ARN tells which account the credentials are in
    inv = Inventory(
        trails=(
            Trail(
                "tr",
                "main",
                Ref("arn:aws:logs:eu-west-1:999988887777:log-group:aws-cloudtrail-logs-main:*"),
                where=Where(CREDS, "eu-west-1"),
            ),
        ),
        **{k: getattr(inv, k) for k in ("log_groups", "filters", "alarms", "topics", "subscriptions")},
    )
    assert bind_accounts(inv).topics[0].where == Where("999988887777", "eu-west-1")
    [other] = evaluate(inv)
    assert other.status == "fail"
    assert {(f.resource_id, f.code) for f in other.findings} == {("t", "topic-no-subscription")}


def test_filter_on_a_literal_log_group_arn_is_rejected_by_aws() -> None:
    arn = "arn:aws:logs:eu-west-1:111122223333:log-group:aws-cloudtrail-logs-main"
    inv = _region_stack("eu-west-1")
    inv = Inventory(
        log_groups=inv.log_groups,
        filters=(
            MetricFilter(
                "f",
                "f",
                Ref(arn),
                PATTERN,
                (MetricTransformation("UnauthorizedAPICalls", "CIS", "1"),),
                where=Where(CREDS, "eu-west-1"),
            ),
        ),
        alarms=inv.alarms,
        topics=inv.topics,
        subscriptions=inv.subscriptions,
    )
    [result] = evaluate(inv)
    assert result.status == "fail" and {f.code for f in result.findings} == {"filter-log-group-arn"}


# --- the log group's name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix, expected",
    [
        ("aws-cloudtrail-logs-", True),
        ("aws-cloudtrail-logs-org-", True),
        ("aws-cloudtrail-", False),
        ("security/", False),
        (UNKNOWN, False),
        (None, False),
    ],
)
def test_a_name_prefix_counts_when_every_name_it_makes_is_cloudtrails(prefix: object, expected: bool) -> None:
    assert prefix_is_cloudtrail(prefix, ChainOptions()) is expected


def test_a_prefixed_group_without_a_filter_fails_and_shows_no_invented_name() -> None:
    inv = Inventory(
        log_groups=(
            LogGroup(
                "urn:pulumi:s::p::aws:cloudwatch/logGroup:LogGroup::console",
                UNKNOWN,
                name_prefix="aws-cloudtrail-logs-",
            ),
        )
    )
    [result] = evaluate(inv)
    assert result.status == "fail"
    [finding] = result.findings
    assert finding.code == "no-metric-filter" and "log_group_name=log_group.name" in finding.fix
    assert "console (name_prefix 'aws-cloudtrail-logs-')" in finding.message


# --- the trail's excluded management event sources -------------------------------------------------


@pytest.mark.parametrize(
    "basic, advanced, expected",
    [
        ([], [], ()),
        (
            [{"includeManagementEvents": True, "excludeManagementEventSources": ["kms.amazonaws.com"]}],
            [],
            ("kms.amazonaws.com",),
        ),
        (
            [{"IncludeManagementEvents": True, "ExcludeManagementEventSources": ["kms.amazonaws.com"]}],
            [],
            ("kms.amazonaws.com",),
        ),  # the AWS API's spelling (audit)
        # any selector that records the source is enough
        ([{"excludeManagementEventSources": ["kms.amazonaws.com"]}, {"readWriteType": "All"}], [], ()),
        ([{"includeManagementEvents": False, "excludeManagementEventSources": ["kms.amazonaws.com"]}], [], ()),
        (
            [],
            [
                {
                    "fieldSelectors": [
                        {"field": "eventCategory", "equals": ["Management"]},
                        {"field": "eventSource", "notEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]},
                    ]
                }
            ],
            ("kms.amazonaws.com", "rdsdata.amazonaws.com"),
        ),
        ([{"excludeManagementEventSources": UNKNOWN}], [], UNKNOWN),
    ],
)
def test_excluded_event_sources(basic: list, advanced: list, expected: object) -> None:
    assert excluded_event_sources(basic, advanced) == expected


def test_excluded_kms_is_a_trail_problem() -> None:
    problems = trail_problems(Trail("t", "t", Ref("g"), True, True, "all", excluded_sources=("kms.amazonaws.com",)))
    assert [(p.status, p.code) for p in problems] == [("fail", "trail-excludes-event-sources")]


# --- the offline engine --------------------------------------------------------------------------

CTX = invokes.AwsContext(account_id="111122223333", region="eu-west-1")


def test_lookups_answer_as_for_an_existing_resource() -> None:
    group = invokes.answer("aws:cloudwatch/getLogGroup:getLogGroup", {"name": "aws-cloudtrail-logs-x"}, CTX)
    assert group["arn"] == "arn:aws:logs:eu-west-1:111122223333:log-group:aws-cloudtrail-logs-x"
    assert group["name"] == group["id"] == "aws-cloudtrail-logs-x"
    topic = invokes.answer("aws:sns/getTopic:getTopic", {"name": "alarms"}, CTX)
    assert topic["arn"] == "arn:aws:sns:eu-west-1:111122223333:alarms"
    managed = invokes.answer("aws:kms/getKey:getKey", {"keyId": "alias/aws/sns"}, CTX)
    custom = invokes.answer("aws:kms/getKey:getKey", {"keyId": "alias/security"}, CTX)
    assert (managed["keyManager"], custom["keyManager"]) == ("AWS", "CUSTOMER")
    assert custom["arn"] == f"arn:aws:kms:eu-west-1:111122223333:key/{custom['keyId']}"
    assert invokes.answer("aws-native:index:getAccountId", {}, CTX) == {"accountId": "111122223333"}
    assert invokes.answer("aws-native:index:getRegion", {}, CTX) == {"region": "eu-west-1"}
    assert invokes.answer("aws-native:index:getPartition", {}, CTX)["partition"] == "aws"
    read = invokes.read_outputs("aws:cloudwatch/logGroup:LogGroup", "security/trail", {}, CTX)
    assert read["arn"] == "arn:aws:logs:eu-west-1:111122223333:log-group:security/trail"


@pytest.mark.parametrize(
    "token", ["aws:ssm/getParameter:getParameter", "aws-native:index:getSsmParameterString", "aws:ec2/getVpc:getVpc"]
)
def test_unanswerable_invokes_name_themselves_and_the_way_out(token: str) -> None:
    with pytest.raises(invokes.UnknownInvokeError) as caught:
        invokes.answer(token, {"name": "/x"}, CTX)
    assert token in str(caught.value) and f"--invoke-result {token}=FILE" in str(caught.value)
    assert invokes.answer(token, {"name": "/x"}, CTX, {token: {"value": "v"}}) == {"value": "v"}


def test_aws_native_autonames_like_the_provider() -> None:
    urn = "urn:pulumi:dev::p::aws-native:logs:LogGroup::trail-logs"
    assert autoname.autoname_field("aws-native:logs:LogGroup", set()) == "logGroupName"
    assert autoname.autoname_field("aws-native:sns:Topic", set()) == "topicName"
    name = autoname.provider_name("aws-native:logs:LogGroup", "trail-logs", urn, {})
    assert name.startswith("trail-logs-") and len(name) == len("trail-logs-") + 7
    fifo = autoname.provider_name("aws-native:sns:Topic", "alarms", urn, {"fifoTopic": True})
    assert fifo.endswith(".fifo")
    long = autoname.provider_name("aws-native:iam:Role", "r" * 62, urn, {})
    assert len(long) == 64  # cut to the property's maximum length


def test_invoke_result_files(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"value": "x"}', encoding="utf-8")
    assert load_invoke_results([f"aws:ssm/getParameter:getParameter={good}"]) == {
        "aws:ssm/getParameter:getParameter": {"value": "x"}
    }
    bad = tmp_path / "bad.json"
    bad.write_text("[1]", encoding="utf-8")
    for item, text in [
        ("getParameter=x.json", "'getParameter' is not an invoke token"),
        ("x.json", "expected TOKEN=FILE"),
        (f"aws:ssm/getParameter:getParameter={tmp_path / 'none.json'}", "none.json: no such file"),
        (f"aws:ssm/getParameter:getParameter={bad}", "holds a JSON list"),
    ]:
        with pytest.raises((EngineError, InputError), match=text):
            load_invoke_results([item])


def test_an_arn_built_from_the_resource_itself_names_it() -> None:
    """`"arn:...:" + account_id + ":" + topic.name` (account from get_caller_identity), as
    trailwatch's own component builds it: derived from the topic, it names the topic unless a
    literal account or Region in it differs from the topic's."""
    arn = "arn:aws:sns:us-east-1:123456789012:alarms"
    built = Ref(arn, derived=frozenset({"t"}))
    assert placed(built, Where(CREDS, "us-east-1"), "t", Where(CREDS, "us-east-1"), False) == "same"
    assert placed(Ref(arn), Where(CREDS, "us-east-1"), "t", Where(CREDS, "us-east-1"), False) == "unknown"
    assert placed(built, Where(CREDS, "us-east-1"), "t", Where("444455556666", "us-east-1"), False) == "different"
    assert built == Ref(arn)  # derivation never changes what a reference is
