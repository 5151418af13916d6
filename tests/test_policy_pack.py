"""The real pack process over the Analyzer gRPC protocol, configured as the engine does
(schema defaults + --policy-pack-config overrides), on preview-shaped stacks."""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import analyzer_pb2

from policy_helpers import (
    ALARM,
    CIS_12,
    CIS_14,
    CIS_20,
    FILTER,
    LOG_GROUP,
    SUBSCRIPTION,
    TOPIC,
    TRAIL,
    UNKNOWN_STRING,
    Spec,
    find,
    json_format_to_dict,
    stack,
)
from trailwatch_policy.edge.policies import policies

pytestmark = pytest.mark.slow
MONITORED = "unauthorized-api-calls-monitored"


def diags(pack, specs):
    return [(d.policyName, d.enforcementLevel, d.urn) for d in pack.analyze_stack(specs)]


def test_analyzer_info(pack):
    info = pack.info()
    assert info.name == "trailwatch"
    assert [(p.name, p.enforcementLevel, p.policy_type) for p in info.policies][:3] == [
        (MONITORED, analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_TYPE_STACK),
        ("metric-filter-pattern-valid", analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_TYPE_RESOURCE),
        ("cloudtrail-records-all-regions", analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_TYPE_RESOURCE),
    ]
    assert len(info.policies) == 17  # + one per other CIS monitoring control (test_controls_pack.py)
    schema = json_format_to_dict(info.policies[0].configSchema.properties)
    assert schema["logGroupNamePatterns"]["default"] == ["^aws-cloudtrail-logs-"]
    assert {
        "logGroupNames",
        "requireSubscription",
        "extraMustMatch",
        "extraMustNotMatch",
        "acceptedPatternProfile",
    } <= set(schema)


@pytest.mark.parametrize("style", ["deps", "literal"])
@pytest.mark.parametrize("pattern", [CIS_12, CIS_20])
def test_compliant_stack_passes(default, style, pattern):
    assert diags(default, stack(style, preview=True, pattern=pattern, component=True)) == []


def test_stack_without_cloudtrail_has_no_violation(default):
    assert diags(default, [Spec(LOG_GROUP, "app", {"name": "app-logs", "arn": UNKNOWN_STRING})]) == []


def test_missing_filter_is_reported_on_the_log_group(default):
    specs = [s for s in stack() if s.type != FILTER]
    [d] = default.analyze_stack(specs)
    assert (d.policyName, d.enforcementLevel, d.urn) == (MONITORED, analyzer_pb2.MANDATORY, find(specs, LOG_GROUP).urn)
    assert "no metric filter for unauthorized API calls" in d.message
    assert "aws.cloudwatch.LogMetricFilter(" in d.message


def test_cis_14_pattern_is_reported_on_the_filter(default):
    specs = stack(pattern=CIS_14)
    [d] = default.analyze_stack(specs)
    assert d.urn == find(specs, FILTER).urn and "[pattern-rejected]" in d.message


def test_alarm_problems_are_one_diagnostic_on_the_alarm(default):
    specs = stack(alarm={"evaluationPeriods": 3.0, "treatMissingData": "breaching"})
    [d] = default.analyze_stack(specs)
    assert d.urn == find(specs, ALARM).urn
    assert "[alarm-single-event]" in d.message and "[alarm-missing-data]" in d.message


def test_topic_without_subscription_is_reported_on_the_topic(default):
    specs = stack(subscription=False)
    [d] = default.analyze_stack(specs)
    assert d.urn == find(specs, TOPIC).urn and "[topic-no-subscription]" in d.message


def test_aws_managed_key_is_reported_on_the_topic(default):
    specs = stack(topic={"kmsMasterKeyId": "alias/aws/sns"})
    [d] = default.analyze_stack(specs)
    assert d.urn == find(specs, TOPIC).urn and "alias/aws/sns" in d.message


def test_unknown_pattern_is_mandatory_and_says_so(default):
    [d] = default.analyze_stack(stack(pattern=UNKNOWN_STRING))
    assert d.enforcementLevel == analyzer_pb2.MANDATORY
    assert "cannot be verified at preview" in d.message and "can't run policy" not in d.message


def test_organisation_trail_and_multiple_trails(default):
    org = [
        Spec(
            TRAIL,
            "org",
            {
                "name": "org",
                "isMultiRegionTrail": True,
                "cloudWatchLogsGroupArn": "arn:aws:logs:us-east-1:1:log-group:org-logs:*",
            },
        )
    ]
    [(name, level, urn)] = diags(default, org)
    assert urn == org[0].urn
    both = stack(suffix="a", group="aws-cloudtrail-logs-a") + stack(suffix="b", group="aws-cloudtrail-logs-b")
    assert diags(default, both) == []
    broken = [s for s in both if s.name != "unauthorizedb"]
    assert [u for _, _, u in diags(default, broken)] == [
        next(s.urn for s in broken if s.type == LOG_GROUP and s.name == "trail-logsb")
    ]


def test_invalid_pattern_fails_the_resource_policy(default):
    spec = Spec(FILTER, "f", {"pattern": '{ $.errorCode == "x" }', "logGroupName": "app"})
    [d] = default.analyze(spec)
    assert (d.policyName, d.enforcementLevel) == ("metric-filter-pattern-valid", analyzer_pb2.MANDATORY)
    assert "'==' is not an operator" in d.message
    assert default.analyze(Spec(FILTER, "f", {"pattern": UNKNOWN_STRING})) == []


def test_single_region_trail_is_advisory(default):
    trail = find(stack(), TRAIL)
    trail.props["isMultiRegionTrail"] = False
    [d] = default.analyze(trail)
    assert (d.policyName, d.enforcementLevel) == ("cloudtrail-records-all-regions", analyzer_pb2.ADVISORY)
    assert "[trail-not-multi-region]" in d.message


def test_config_all_advisory(pack):
    pack.configure({"all": "advisory"})
    assert {level for _, level, _ in diags(pack, stack(subscription=False))} == {analyzer_pb2.ADVISORY}


def test_config_policy_disabled(pack):
    pack.configure({MONITORED: "disabled"})
    assert diags(pack, stack(subscription=False)) == []


def test_config_custom_name_pattern_and_subscription(pack):
    specs = [Spec(LOG_GROUP, "audit", {"name": "audit-trail", "arn": UNKNOWN_STRING})]
    pack.configure()
    assert diags(pack, specs) == []
    pack.configure({MONITORED: {"logGroupNamePatterns": ["^audit-"]}})
    assert [u for _, _, u in diags(pack, specs)] == [specs[0].urn]
    pack.configure({MONITORED: {"enforcementLevel": "advisory", "requireSubscription": False}})
    assert diags(pack, stack(subscription=False)) == []


def test_config_error_is_one_clear_violation(pack):
    pack.configure({MONITORED: {"logGroupNamePatterns": ["("]}})
    [d] = pack.analyze_stack(stack())
    assert "logGroupNamePatterns" in d.message and d.enforcementLevel == analyzer_pb2.MANDATORY


def test_secret_endpoint_works(default):
    specs = stack()
    assert isinstance(find(specs, SUBSCRIPTION).props["endpoint"], dict)  # secret-wrapped
    assert diags(default, specs) == []


def test_a_bug_becomes_a_violation_not_a_crash():
    class Exploding:  # a log group: the stack has something to check, so its props are read
        resource_type = LOG_GROUP

        @property
        def props(self):
            raise RuntimeError("boom")

    class Args:
        resources = [Exploding()]

        def get_config(self):
            return {}

    reported = []
    policies()[0].validate(Args(), lambda message, urn=None: reported.append(message))
    [message] = reported
    assert message.startswith(f"trailwatch could not evaluate {MONITORED}: RuntimeError: boom")
