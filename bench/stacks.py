"""Synthetic stacks of any size for the AnalyzeStack benchmark: a realistic mix.

Per 1,000 resources: 2 trails with their log groups, filters, alarms, topics and
subscriptions (half linked by property dependencies with unknown ARNs, as at preview; half
by literal names), the rest ordinary resources with typical properties and some unknowns.
"""

from __future__ import annotations

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PATTERN = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") '
    '&& ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)
ACCOUNT = "123456789012"


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:bench::bench::{type_}::{name}"


_PROVIDER_PROPS = struct_pb2.Struct()
_PROVIDER_PROPS.update({"region": "us-east-1", "version": "7.51.1"})
# The engine sends every resource's provider: the default one, configured by aws:region.
_PROVIDER = analyzer_pb2.AnalyzerProviderResource(
    type="pulumi:providers:aws",
    urn=_urn("pulumi:providers:aws", "default_7_51_1"),
    name="default_7_51_1",
    properties=_PROVIDER_PROPS,
)


def _add(
    req: analyzer_pb2.AnalyzeStackRequest, type_: str, name: str, props: dict, deps: dict[str, list[str]] | None = None
) -> str:
    urn = _urn(type_, name)
    s = struct_pb2.Struct()
    s.update(props)
    item = req.resources.add(type=type_, urn=urn, name=name, properties=s)
    item.provider.CopyFrom(_PROVIDER)
    for key, urns in (deps or {}).items():
        item.propertyDependencies[key].urns.extend(urns)
        item.dependencies.extend(urns)
    return urn


def _chain(req: analyzer_pb2.AnalyzeStackRequest, i: int) -> int:
    """One monitored CloudTrail log group: 7 resources."""
    by_deps = i % 2 == 0
    lg_name = f"aws-cloudtrail-logs-{i}"
    lg = _add(
        req,
        "aws:cloudwatch/logGroup:LogGroup",
        f"trail-logs-{i}",
        {
            "name": lg_name,
            "retentionInDays": 365.0,
            "arn": UNKNOWN if by_deps else f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{lg_name}",
            "tags": {"team": "sec"},
        },
    )
    _add(
        req,
        "aws:cloudtrail/trail:Trail",
        f"trail-{i}",
        {
            "name": f"trail-{i}",
            "isMultiRegionTrail": True,
            "enableLogging": True,
            "s3BucketName": f"trail-bucket-{i}",
            "includeGlobalServiceEvents": True,
            "cloudWatchLogsGroupArn": UNKNOWN if by_deps else f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{lg_name}:*",
            "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True}],
        },
        {"cloudWatchLogsGroupArn": [lg]} if by_deps else None,
    )
    topic_arn = f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms-{i}"
    topic = _add(
        req,
        "aws:sns/topic:Topic",
        f"alarms-{i}",
        {
            "name": f"alarms-{i}",
            "kmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k{i}",
            "arn": UNKNOWN if by_deps else topic_arn,
        },
    )
    _add(
        req,
        "aws:sns/topicSubscription:TopicSubscription",
        f"sub-{i}",
        {"topic": UNKNOWN if by_deps else topic_arn, "protocol": "email", "endpoint": f"sec{i}@example.com"},
        {"topic": [topic]} if by_deps else None,
    )
    _add(
        req,
        "aws:sns/topicPolicy:TopicPolicy",
        f"policy-{i}",
        {
            "arn": UNKNOWN if by_deps else topic_arn,
            "policy": (
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
                '"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}'
            ),
        },
        {"arn": [topic]} if by_deps else None,
    )
    _add(
        req,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        f"filter-{i}",
        {
            "name": f"filter-{i}",
            "logGroupName": lg_name,
            "pattern": PATTERN,
            "metricTransformation": {
                "name": f"Unauthorized{i}",
                "namespace": "CISBenchmark",
                "value": "1",
                "defaultValue": "0",
            },
        },
        {"logGroupName": [lg]} if by_deps else None,
    )
    _add(
        req,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        f"alarm-{i}",
        {
            "name": f"alarm-{i}",
            "metricName": f"Unauthorized{i}",
            "namespace": "CISBenchmark",
            "statistic": "Sum",
            "period": 300.0,
            "threshold": 1.0,
            "evaluationPeriods": 1.0,
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            "treatMissingData": "notBreaching",
            "alarmActions": [UNKNOWN if by_deps else topic_arn],
        },
        {"alarmActions": [topic]} if by_deps else None,
    )
    return 7


def _ordinary(req: analyzer_pb2.AnalyzeStackRequest, i: int) -> None:
    kind = i % 4
    tags = {"team": f"team-{i % 17}", "env": "prod", "cost-center": str(4000 + i % 50)}
    if kind == 0:
        _add(
            req,
            "aws:ec2/instance:Instance",
            f"web-{i}",
            {
                "ami": "ami-0123456789abcdef0",
                "instanceType": "t3.micro",
                "tags": tags,
                "id": UNKNOWN,
                "vpcSecurityGroupIds": [UNKNOWN],
                "rootBlockDevice": {"volumeSize": 20.0, "encrypted": True},
                "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
            },
        )
    elif kind == 1:
        _add(
            req,
            "aws:s3/bucketV2:BucketV2",
            f"data-{i}",
            {"bucket": f"data-{i}-abc1234", "tags": tags, "arn": UNKNOWN, "forceDestroy": False},
        )
    elif kind == 2:
        _add(
            req,
            "aws:iam/role:Role",
            f"role-{i}",
            {
                "name": f"role-{i}-def5678",
                "tags": tags,
                "arn": UNKNOWN,
                "assumeRolePolicy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
                '{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
            },
        )
    else:
        _add(
            req,
            "aws:lambda/function:Function",
            f"fn-{i}",
            {
                "runtime": "python3.12",
                "handler": "app.handler",
                "memorySize": 256.0,
                "timeout": 30.0,
                "role": UNKNOWN,
                "tags": tags,
                "environment": {"variables": {"LOG_LEVEL": "info", "TABLE": f"t{i}"}},
            },
        )


def _other_controls(req: analyzer_pb2.AnalyzeStackRequest, i: int) -> int:
    """The filters and alarms of the other 14 CIS monitoring controls on chain i's log group."""
    from trailwatch_policy.controls import CONTROLS

    lg_name, topic_arn = f"aws-cloudtrail-logs-{i}", f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms-{i}"
    for c in CONTROLS[1:]:
        _add(
            req,
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            f"{c.metric}-{i}",
            {
                "name": f"{c.metric}-{i}",
                "logGroupName": lg_name,
                "pattern": c.pattern,
                "metricTransformation": {
                    "name": c.metric,
                    "namespace": "CISBenchmark",
                    "value": "1",
                    "defaultValue": "0",
                },
            },
        )
        _add(
            req,
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            f"{c.metric}-alarm-{i}",
            {
                "name": f"{c.metric}-{i}",
                "metricName": c.metric,
                "namespace": "CISBenchmark",
                "statistic": "Sum",
                "period": 300.0,
                "threshold": 1.0,
                "evaluationPeriods": 1.0,
                "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "treatMissingData": "notBreaching",
                "alarmActions": [topic_arn],
            },
        )
    return 2 * (len(CONTROLS) - 1)


def stack(size: int, all_controls: bool = False) -> analyzer_pb2.AnalyzeStackRequest:
    """`size` resources; `all_controls`: each trail's log group monitored for all 15 controls."""
    req = analyzer_pb2.AnalyzeStackRequest()
    chains = max(1, size // 500)
    count = sum(_chain(req, i) + (_other_controls(req, i) if all_controls else 0) for i in range(chains))
    for i in range(size - count):
        _ordinary(req, i)
    return req
