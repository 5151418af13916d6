"""The Pulumi glue: PolicyResources built by the SDK's own deserialization and
unknown-checking proxy (reading an unknown raises there) -> the model, never raising."""

from __future__ import annotations

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

from policy_helpers import (
    ALARM,
    CIS_12,
    FILTER,
    LOG_GROUP,
    SUBSCRIPTION,
    TOPIC,
    TOPIC_POLICY,
    TRAIL,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    Spec,
    find,
    policy_resources,
    stack,
    topic_arn,
)
from trailwatch_policy.base.model import UNKNOWN, Ref
from trailwatch_policy.chain import evaluate
from trailwatch_policy.edge.resources import inventory


def test_the_sdk_proxy_raises_on_unknowns_this_module_must_survive():
    [lg] = policy_resources([Spec(LOG_GROUP, "lg", {"name": "x", "arn": UNKNOWN_STRING})])
    with pytest.raises(UnknownValueError):
        lg.props.get("arn")
    with pytest.raises(UnknownValueError):
        dict(lg.props)
    assert inventory([lg]).log_groups[0].arn is UNKNOWN


@pytest.mark.parametrize("style", ["deps", "literal"])
@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("component", [False, True])
def test_compliant_stacks_pass(style, preview, component):
    results = evaluate(inventory(policy_resources(stack(style, preview, component=component))))
    assert [(r.name, r.status) for r in results] == [("aws-cloudtrail-logs-main", "pass")]


def test_preview_links_come_from_property_dependencies():
    specs = stack("deps", preview=True)
    inv = inventory(policy_resources(specs))
    lg = find(specs, LOG_GROUP).urn
    assert inv.trails[0].log_group == Ref(UNKNOWN, frozenset({lg}))
    assert inv.alarms[0].alarm_actions == (Ref(UNKNOWN, frozenset({find(specs, TOPIC).urn})),)
    assert inv.filters[0].log_group == Ref("aws-cloudtrail-logs-main")


def test_values_are_typed_and_secrets_plain():
    inv = inventory(policy_resources(stack()))
    alarm = inv.alarms[0]
    assert (alarm.threshold, alarm.evaluation_periods, alarm.comparison) == (1.0, 1.0, "GreaterThanOrEqualToThreshold")
    assert inv.subscriptions[0].endpoint == "security@example.com"
    assert inv.filters[0].metrics[0].value == "1"


def test_every_kind_of_unknown_becomes_UNKNOWN():
    props = {
        "name": "a",
        "namespace": UNKNOWN_STRING,
        "metricName": "m",
        "threshold": UNKNOWN_NUMBER,
        "actionsEnabled": UNKNOWN_BOOL,
        "alarmActions": UNKNOWN_ARRAY,
        "dimensions": UNKNOWN_OBJECT,
        "metricQueries": [{"id": "m1", "metric": UNKNOWN_OBJECT}],
    }
    [alarm] = inventory(policy_resources([Spec(ALARM, "a", props)])).alarms
    assert alarm.namespace is UNKNOWN and alarm.threshold is UNKNOWN and alarm.actions_enabled is UNKNOWN
    assert alarm.alarm_actions == (Ref(UNKNOWN),) and alarm.dimensions is UNKNOWN
    metric = alarm.queries[0].metric
    assert metric is not None and metric.namespace is UNKNOWN


# What links the chain (trail -> log group -> filter) stays right; every other property of every
# resource of the chain gets the wrong type, so each rule reads a wrong-typed value.
LINKS = {TRAIL: {"cloudWatchLogsGroupArn"}, LOG_GROUP: {"name", "arn"}, FILTER: {"logGroupName"}}
WRONG = [
    5,
    2.5,
    True,
    None,
    "nope",
    ["x", 1],
    {"a": {"b": 1}},
    [{"name": 1, "namespace": None}],
    UNKNOWN_STRING,
    UNKNOWN_OBJECT,
    UNKNOWN_ARRAY,
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: type(w).__name__ + ":" + str(w)[:12])
@pytest.mark.parametrize("style", ["deps", "literal"])
def test_wrong_types_never_crash(wrong, style):
    """A real trail -> group -> filter chain whose every other value has the wrong type: the
    CloudTrail group is judged (its rules run), nothing crashes -- not even a crash the
    evaluation would contain as `evaluation-failed` -- and nothing passes."""
    specs = stack(style, preview=False)
    for spec in specs:
        spec.props = {k: (v if k in LINKS.get(spec.type, ()) else wrong) for k, v in spec.props.items()}
        if spec.type == FILTER:
            spec.props["metricTransformation"] = wrong
    specs += [
        Spec(TOPIC_POLICY, "tpp", {"arn": wrong, "policy": wrong}),
        Spec(
            "aws-native:logs:MetricFilter",
            "nf",
            {"logGroupName": "aws-cloudtrail-logs-main", "filterPattern": wrong, "metricTransformations": wrong},
        ),
        Spec("aws-native:cloudwatch:Alarm", "na", {"metricName": wrong, "alarmActions": wrong}),
        Spec("aws:s3/bucket:Bucket", "b", {"bucket": wrong}),
    ]
    results = evaluate(inventory(policy_resources(specs)))
    assert [r.name for r in results] == ["aws-cloudtrail-logs-main"]  # the group is found and judged
    codes = [f.code for r in results for f in r.findings]
    assert "evaluation-failed" not in codes, [f.message for r in results for f in r.findings]
    assert codes and results[0].status in ("fail", "unknown")


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"metricTransformation": "nope", "pattern": 5, "logGroupName": ["x"]},
        {"metricTransformation": [{"name": 1, "namespace": None, "value": True}]},
        {"metricTransformation": UNKNOWN_OBJECT, "pattern": UNKNOWN_STRING},
    ],
)
def test_wrong_typed_resources_outside_a_chain_are_not_judged(props):
    """Nothing to judge (no CloudTrail log group): no result, and reading the model does not raise."""
    specs = [
        Spec(FILTER, "f", props),
        Spec(ALARM, "a", props),
        Spec(TRAIL, "t", props),
        Spec(TOPIC, "tp", props),
        Spec(SUBSCRIPTION, "s", props),
        Spec(LOG_GROUP, "lg", props),
        Spec(TOPIC_POLICY, "tpp", props),
        Spec("aws:s3/bucket:Bucket", "b", props),
        Spec("aws-native:logs:MetricFilter", "nf", props),
        Spec("aws-native:cloudwatch:Alarm", "na", props),
    ]
    inv = inventory(policy_resources(specs))
    assert evaluate(inv) == []


def test_trail_selectors_and_defaults():
    props = {
        "cloudWatchLogsGroupArn": "arn:aws:logs:us-east-1:1:log-group:x:*",
        "eventSelectors": [{"readWriteType": "WriteOnly", "includeManagementEvents": True}],
    }
    [trail] = inventory(policy_resources([Spec(TRAIL, "t", props)])).trails
    assert (trail.multi_region, trail.logging, trail.management_events) == (None, None, "write")
    adv = {"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]}
    assert inventory(policy_resources([Spec(TRAIL, "t", adv)])).trails[0].management_events == "all"


def test_topic_policy_resource_decides_cloudwatch_publishing():
    specs = stack("deps")
    tp = find(specs, TOPIC)
    deny = '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish"}]}'
    specs.append(Spec(TOPIC_POLICY, "tp-policy", {"arn": UNKNOWN_STRING, "policy": deny}, {"arn": [tp.urn]}))
    [result] = evaluate(inventory(policy_resources(specs)))
    assert [f.code for f in result.findings] == ["topic-policy-blocks-cloudwatch"]
    allow = deny.replace("events.amazonaws.com", "cloudwatch.amazonaws.com")
    specs[-1] = Spec(TOPIC_POLICY, "tp-policy", {"arn": UNKNOWN_STRING, "policy": allow}, {"arn": [tp.urn]})
    assert evaluate(inventory(policy_resources(specs)))[0].status == "pass"


@pytest.mark.parametrize("preview", [True, False])
def test_topic_policy_linked_by_literal_arn_is_applied(preview):
    """A literal-style stack: at preview the topic's ARN is unknown, the policy names it."""
    specs = stack("literal", preview)
    tp = find(specs, TOPIC)
    arn = topic_arn(tp.props["name"])
    owner_only = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sns:Publish",
                    "Resource": arn,
                }
            ]
        }
    )
    specs.append(Spec(TOPIC_POLICY, "tp-policy", {"arn": arn, "policy": owner_only}))
    [result] = evaluate(inventory(policy_resources(specs)))
    assert [(f.code, f.resource_id) for f in result.findings] == [("topic-policy-blocks-cloudwatch", tp.urn)]


def test_aws_native_resources():
    group = "aws-cloudtrail-logs-native"
    arn = f"arn:aws:logs:us-east-1:1:log-group:{group}:*"
    topic_arn = "arn:aws:sns:us-east-1:1:t"
    specs = [
        Spec("aws-native:logs:LogGroup", "lg", {"logGroupName": group, "arn": arn}),
        Spec(
            "aws-native:cloudtrail:Trail",
            "t",
            {"cloudWatchLogsLogGroupArn": arn, "isLogging": True, "isMultiRegionTrail": True},
        ),
        Spec(
            "aws-native:logs:MetricFilter",
            "f",
            {
                "logGroupName": group,
                "filterPattern": CIS_12,
                "metricTransformations": [{"metricName": "U", "metricNamespace": "CIS", "metricValue": "1"}],
            },
        ),
        Spec(
            "aws-native:cloudwatch:Alarm",
            "a",
            {
                "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "threshold": 1.0,
                "evaluationPeriods": 1.0,
                "alarmActions": [topic_arn],
                "metrics": [
                    {
                        "id": "m1",
                        "returnData": True,
                        "metricStat": {
                            "metric": {"metricName": "U", "namespace": "CIS"},
                            "stat": "Sum",
                            "period": 300.0,
                        },
                    }
                ],
            },
        ),
        Spec("aws-native:sns:Topic", "tp", {"topicName": "t", "topicArn": topic_arn}),
        Spec("aws-native:sns:Subscription", "s", {"topicArn": topic_arn, "protocol": "email", "endpoint": "a@b.c"}),
    ]
    assert [r.status for r in evaluate(inventory(policy_resources(specs)))] == ["pass"]
    without = [s for s in specs if s.type != "aws-native:sns:Subscription"]
    [r] = evaluate(inventory(policy_resources(without)))
    assert [f.code for f in r.findings] == ["topic-no-subscription"]


# -- a TopicPolicy whose Resource is the topic's own ARN (issue 24): twins judged alike ---------
N_TOPIC, N_TOPIC_POLICY = "aws-native:sns:Topic", "aws-native:sns:TopicPolicy"
CLOUDWATCH_MAY_PUBLISH = {
    "Sid": "CloudWatchAlarms",
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": "sns:Publish",
}


def _topic_policy_twin(
    native: bool, preview: bool, statement: dict | None = None, also_from: str | None = None
) -> list[Spec]:
    """The deps-style chain with a topic policy granting `statement` (CloudWatch may publish)
    on the topic's own ARN: pulumi-aws's `TopicPolicy(arn=topic.arn, policy=<JSON built from
    topic.arn>)` or aws-native's `TopicPolicy(topics=[topic.topic_arn], policy_document={...
    "Resource": topic.topic_arn})`. At preview the ARN is unknown: pulumi-aws's whole JSON text
    is unknown, aws-native's object is known but for its Resource."""
    specs = stack("deps", preview)
    tp = find(specs, TOPIC)
    arn = topic_arn(tp.props["name"])
    if native:
        native_tp = Spec(
            N_TOPIC, tp.name, {"topicName": tp.props["name"], "topicArn": UNKNOWN_STRING if preview else arn}
        )
        for s in specs:
            s.deps = {k: [native_tp.urn if u == tp.urn else u for u in v] for k, v in s.deps.items()}
        specs[specs.index(tp)] = tp = native_tp
    resource = UNKNOWN_STRING if preview else arn
    document = {"Version": "2012-10-17", "Statement": [{**(statement or CLOUDWATCH_MAY_PUBLISH), "Resource": resource}]}
    sources = [tp.urn] + ([also_from] if also_from else [])
    if native:
        specs.append(
            Spec(
                N_TOPIC_POLICY,
                "alerts-policy",
                {"topics": [resource], "policyDocument": document},
                {"topics": [tp.urn], "policyDocument": sources},
            )
        )
    else:
        policy = UNKNOWN_STRING if preview else json.dumps(document)
        specs.append(
            Spec(
                TOPIC_POLICY, "alerts-policy", {"arn": resource, "policy": policy}, {"arn": [tp.urn], "policy": sources}
            )
        )
    return specs


@pytest.mark.parametrize("native", [False, True], ids=["pulumi-aws", "aws-native"])
@pytest.mark.parametrize("preview", [True, False])
def test_topic_policy_on_the_topics_own_arn_passes_in_both_providers(native, preview):
    [result] = evaluate(inventory(policy_resources(_topic_policy_twin(native, preview))))
    assert (result.status, result.findings) == ("pass", ())


def test_native_topic_policy_resource_from_another_resource_cannot_be_verified():
    """Only a Resource computed from the governed topic alone is read as its ARN: one that also
    depends on another resource (here the log group) may be any ARN."""
    specs = _topic_policy_twin(True, True, also_from=find(stack("deps"), LOG_GROUP).urn)
    [result] = evaluate(inventory(policy_resources(specs)))
    assert [(f.code, f.status) for f in result.findings] == [("topic-policy-unknown", "unknown")]


def test_native_topic_policy_on_its_own_arn_still_needs_cloudwatch():
    """The known rest of the aws-native document decides: a grant to the account only (no
    CloudWatch principal) blocks the alarm's notifications."""
    owner_only = {**CLOUDWATCH_MAY_PUBLISH, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}
    [result] = evaluate(inventory(policy_resources(_topic_policy_twin(True, True, owner_only))))
    assert [f.code for f in result.findings] == ["topic-policy-blocks-cloudwatch"]
