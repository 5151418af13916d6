"""The preview role docs/ci.md ships (docs/iam/preview-role-policy.json): metadata reads, no data.

Any branch of the repository with a pull request can assume the preview role, so it may read
what `pulumi preview` (with `--refresh`) of this program needs and nothing that holds data.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from program_helpers import ACCOUNT, ROOT, run_program

POLICY = ROOT / "docs" / "iam" / "preview-role-policy.json"

#: Actions that return data rather than configuration (object contents, secrets, plaintext,
#: log events, messages, query results, function code).
DATA_READS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectTorrent",
    "s3-object-lambda:GetObject",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StartLiveTail",
    "sqs:ReceiveMessage",
    "lambda:GetFunction",
    "cloudtrail:LookupEvents",
    "cloudtrail:GetQueryResults",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)

#: The calls the AWS provider makes to read each resource type the program creates (its Read,
#: which `pulumi refresh` and `preview --refresh` run), as IAM actions of the Service
#: Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/
READS: dict[str, set[str]] = {
    "aws:kms/key:Key": {"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"},
    "aws:kms/alias:Alias": {"kms:ListAliases"},
    "aws:sns/topic:Topic": {"sns:GetTopicAttributes", "sns:ListTagsForResource"},
    "aws:sns/topicPolicy:TopicPolicy": {"sns:GetTopicAttributes"},
    "aws:sns/topicSubscription:TopicSubscription": {"sns:GetSubscriptionAttributes"},
    "aws:lambda/permission:Permission": {"lambda:GetPolicy"},
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": {"logs:DescribeMetricFilters"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"},
    "aws:cloudwatch/logGroup:LogGroup": {"logs:DescribeLogGroups", "logs:ListTagsForResource"},
    "aws:cloudtrail/trail:Trail": {
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",
        "cloudtrail:ListTags",
    },
    "aws:iam/role:Role": {"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
    "aws:iam/rolePolicy:RolePolicy": {"iam:GetRolePolicy"},
    # HeadBucket is authorized by s3:ListBucket (key names, not contents)
    "aws:s3/bucket:Bucket": {
        "s3:ListBucket",
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketTagging",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketLocation",
    },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {"s3:GetBucketPublicAccessBlock"},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "s3:GetEncryptionConfiguration"
    },
    "aws:s3/bucketVersioning:BucketVersioning": {"s3:GetBucketVersioning"},
    "aws:s3/bucketPolicy:BucketPolicy": {"s3:GetBucketPolicy"},
    "aws:s3/bucketLogging:BucketLogging": {"s3:GetBucketLogging"},
}
#: The invokes the program makes, and what they need (getCallerIdentity needs no permission).
INVOKE_READS = {"aws:cloudwatch/getLogGroup:getLogGroup": {"logs:DescribeLogGroups"}}


def actions() -> list[str]:
    document: dict[str, Any] = json.loads(POLICY.read_text(encoding="utf-8"))
    found: list[str] = []
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        listed = statement["Action"]
        found.extend([listed] if isinstance(listed, str) else listed)
    return found


def test_the_preview_role_reads_no_data() -> None:
    granted = actions()
    assert granted and len(granted) == len(set(granted))
    for action in granted:
        service, _, name = action.partition(":")
        assert name and service != "*" and name != "*", f"{action} grants a whole service"
        covered = [data for data in DATA_READS if fnmatch.fnmatchcase(data.lower(), action.lower())]
        assert not covered, f"{action} grants data reads: {covered}"
        assert name.startswith(("Describe", "Get", "List")), f"{action} is not a metadata read"


def test_docs_ci_ships_the_file_and_no_longer_recommends_read_only_access() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "(iam/preview-role-policy.json)" in text
    assert "(`ReadOnlyAccess` or" not in text and "Not\n  `ReadOnlyAccess`" in text


@pytest.mark.parametrize(
    "config",
    [
        {"trailwatch:createTrail": True, "trailwatch:emails": ["secops@acme.internal"]},
        {
            "trailwatch:logGroupName": "aws-controltower/CloudTrailLogs",
            "trailwatch:emails": ["secops@acme.internal"],
            "trailwatch:httpsEndpoints": ["https://events.pagerduty.com/integration/0123/enqueue"],
            "trailwatch:sqsQueueArns": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:alarms"],
            "trailwatch:lambdaFunctionArns": [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:pager"],
        },
    ],
    ids=["create", "attach"],
)
def test_every_resource_type_the_program_creates_can_be_read(config: dict[str, Any]) -> None:
    run = run_program(config)
    types = {r.type for r in run.resources if r.type.startswith("aws:")}
    assert types <= set(READS), f"no documented reads for {types - set(READS)}: add them to READS and the policy"
    invoked = {token for token, _ in run.calls} & set(INVOKE_READS)
    needed = set().union(*(READS[t] for t in types), *(INVOKE_READS[t] for t in invoked))
    assert needed - set(actions()) == set()
