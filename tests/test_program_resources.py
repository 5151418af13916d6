"""The program under Pulumi's mocks: what each configuration registers, property by property."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from program_helpers import ACCOUNT, REGION, UNKNOWN, ProgramRun, run_program, run_stack, stack_config
from trailwatch.component.patterns import CIS_1_2, CIS_2_0

FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PERMISSION = "aws:lambda/permission:Permission"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
MONITOR = "trailwatch:index:UnauthorizedApiCallsMonitor"
ALARM_TOPIC = "trailwatch:index:AlarmTopic"
LOGGING = "trailwatch:index:CloudTrailLogging"
TAGGABLE = {KEY, TOPIC, ALARM, TRAIL, LOG_GROUP, BUCKET, ROLE}

EXISTING: dict[str, Any] = {
    "trailwatch:logGroupName": "aws-controltower/CloudTrailLogs",
    "trailwatch:emails": ["sec@acme.internal"],
}
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:trailwatch-topic-1a2b3c4"


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_stack("dev")


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_stack("prod")


def topic_key(run: ProgramRun) -> Any:
    return next(r for r in run.of_type(KEY) if r.name == "trailwatch-topic-key")


def trail_key(run: ProgramRun) -> Any:
    return next(r for r in run.of_type(KEY) if r.name == "trailwatch-cloudtrail-key")


def trail_bucket(run: ProgramRun) -> Any:
    return next(r for r in run.of_type(BUCKET) if r.name == "trailwatch-cloudtrail-bucket")


def statements(policy: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


# --- the stack files ---------------------------------------------------------------------------


def test_dev_stack_creates_a_complete_trail_and_the_monitor(dev: ProgramRun) -> None:
    assert dev.types() == sorted(
        [
            MONITOR,
            ALARM_TOPIC,
            LOGGING,
            BUCKET,
            PUBLIC_ACCESS,
            ENCRYPTION,
            BUCKET_POLICY,
            VERSIONING,
            BUCKET,
            PUBLIC_ACCESS,
            ENCRYPTION,
            BUCKET_POLICY,
            BUCKET_LOGGING,
            KEY,
            LOG_GROUP,
            ROLE,
            ROLE_POLICY,
            TRAIL,
            KEY,
            ALIAS,
            TOPIC,
            TOPIC_POLICY,
            SUBSCRIPTION,
        ]
        + [FILTER, ALARM] * 15
    )
    assert dev.one(SUBSCRIPTION).inputs["endpoint"] == "security-dev@acme.internal"
    # Security Hub CloudWatch.16 expects a year; the dev stack keeps the default.
    assert dev.one(LOG_GROUP).inputs["retentionInDays"] == 365
    assert dev.warnings == []


def test_prod_stack_attaches_to_control_tower_log_group_with_several_subscriptions(prod: ProgramRun) -> None:
    assert prod.types() == sorted(
        [MONITOR, ALARM_TOPIC, KEY, ALIAS, TOPIC, TOPIC_POLICY] + [FILTER, ALARM] * 15 + [SUBSCRIPTION] * 3
    )
    assert prod.unauthorized(FILTER).inputs["logGroupName"] == "aws-controltower/CloudTrailLogs"
    assert sorted(s.inputs["protocol"] for s in prod.of_type(SUBSCRIPTION)) == ["email", "email", "https"]
    # The log group was looked up in the account before anything was registered.
    assert ("aws:cloudwatch/getLogGroup:getLogGroup", {"name": "aws-controltower/CloudTrailLogs"}) in [
        (token, {k: v for k, v in args.items() if v is not None}) for token, args in prod.calls
    ]
    assert prod.unauthorized(ALARM).inputs["okActions"] == [TOPIC_ARN]
    assert prod.unauthorized(ALARM).inputs["tags"]["data-classification"] == "confidential"
    assert not prod.of_type(TRAIL) and not prod.of_type(LOG_GROUP)


def test_stack_outputs(dev: ProgramRun, prod: ProgramRun) -> None:
    from trailwatch_policy.controls import CONTROLS

    def alarms(stack: str) -> dict[str, str]:
        return {
            c.id: (f"Unauthorized_API_Calls-trailwatch-{stack}" if c.id == "4.1" else f"{c.metric}-trailwatch-{stack}")
            for c in CONTROLS
        }

    assert dev.outputs.pop("controlAlarmNames") == alarms("dev")
    assert prod.outputs.pop("controlAlarmNames") == alarms("prod")
    common = {"topicArn": TOPIC_ARN, "metricNamespace": "CISBenchmark", "patternProfile": "cis-2.0"}
    assert dev.outputs == {
        **common,
        "metricName": "UnauthorizedAPICalls-trailwatch-dev",
        "alarmName": "Unauthorized_API_Calls-trailwatch-dev",
        "alarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:Unauthorized_API_Calls-trailwatch-dev",
        "metricFilterName": "Unauthorized_API_Calls-trailwatch-dev",
        "logGroupName": "/aws/cloudtrail/trailwatch-trailwatch-dev",
        "trailArn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/trailwatch-trailwatch-dev",
    }
    assert prod.outputs == {
        **common,
        "metricName": "UnauthorizedAPICalls-trailwatch-prod",
        "alarmName": "Unauthorized_API_Calls-trailwatch-prod",
        "alarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:Unauthorized_API_Calls-trailwatch-prod",
        "metricFilterName": "Unauthorized_API_Calls-trailwatch-prod",
        "logGroupName": "aws-controltower/CloudTrailLogs",
    }


# --- the metric filter and the alarm -----------------------------------------------------------


def test_metric_filter_pattern_and_transformation(prod: ProgramRun) -> None:
    metric_filter = prod.unauthorized(FILTER).inputs
    assert metric_filter["pattern"] == CIS_2_0
    assert metric_filter["name"] == "Unauthorized_API_Calls-trailwatch-prod"
    assert metric_filter["metricTransformation"] == {
        "name": "UnauthorizedAPICalls-trailwatch-prod",
        "namespace": "CISBenchmark",
        "value": "1",
        "defaultValue": "0",
    }


def test_cis_1_2_profile_uses_the_security_hub_text() -> None:
    run = run_program({**EXISTING, "trailwatch:patternProfile": "cis-1.2"})
    assert run.unauthorized(FILTER).inputs["pattern"] == CIS_1_2
    assert run.outputs["patternProfile"] == "cis-1.2"


def test_alarm_has_the_cis_settings_and_notifies_the_topic(prod: ProgramRun) -> None:
    alarm = prod.unauthorized(ALARM).inputs
    assert {
        k: alarm[k]
        for k in (
            "name",
            "metricName",
            "namespace",
            "statistic",
            "period",
            "threshold",
            "comparisonOperator",
            "evaluationPeriods",
            "treatMissingData",
            "actionsEnabled",
            "alarmActions",
        )
    } == {
        "name": "Unauthorized_API_Calls-trailwatch-prod",
        "metricName": "UnauthorizedAPICalls-trailwatch-prod",
        "namespace": "CISBenchmark",
        "statistic": "Sum",
        "period": 300,
        "threshold": 1,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "evaluationPeriods": 1,
        "treatMissingData": "notBreaching",
        "actionsEnabled": True,
        "alarmActions": [TOPIC_ARN],
    }
    assert "datapointsToAlarm" not in alarm
    assert "extendedStatistic" not in alarm and "dimensions" not in alarm


def test_alarm_reads_metric_from_the_filter_outputs(prod: ProgramRun) -> None:
    alarm, metric_filter = prod.unauthorized(ALARM), prod.unauthorized(FILTER)
    assert alarm.property_dependencies["metricName"] == [metric_filter.urn]
    assert alarm.property_dependencies["namespace"] == [metric_filter.urn]
    topic = prod.one(TOPIC)
    assert alarm.property_dependencies["alarmActions"] == [topic.urn]


def test_ok_actions_off_by_default_and_tunable_alarm() -> None:
    run = run_program(
        {
            **EXISTING,
            "trailwatch:alarmPeriod": 600,
            "trailwatch:alarmThreshold": 3,
            "trailwatch:alarmEvaluationPeriods": 4,
            "trailwatch:metricNamespace": "Sec",
            "trailwatch:metricName": "Denied",
            "trailwatch:alarmName": "denied",
        }
    )
    alarm = run.unauthorized(ALARM).inputs
    assert "okActions" not in alarm
    assert (alarm["period"], alarm["threshold"], alarm["evaluationPeriods"]) == (600, 3, 4)
    assert alarm["datapointsToAlarm"] == 1  # one event still fires over a longer window
    assert (alarm["name"], alarm["namespace"], alarm["metricName"]) == ("denied", "Sec", "Denied")
    assert run.unauthorized(FILTER).inputs["metricTransformation"]["namespace"] == "Sec"


def test_names_do_not_collide_across_two_stacks_in_one_account() -> None:
    runs = [run_program(EXISTING, stack=stack) for stack in ("staging", "prod")]
    alarm_names = {run.unauthorized(ALARM).inputs["name"] for run in runs}
    metrics = {
        (
            run.unauthorized(FILTER).inputs["metricTransformation"]["namespace"],
            run.unauthorized(FILTER).inputs["metricTransformation"]["name"],
        )
        for run in runs
    }
    assert metrics == {
        ("CISBenchmark", "UnauthorizedAPICalls-trailwatch-staging"),
        ("CISBenchmark", "UnauthorizedAPICalls-trailwatch-prod"),
    }
    # The alarm reads exactly the metric its own filter publishes (no dimension on either).
    for run in runs:
        transformation = run.unauthorized(FILTER).inputs["metricTransformation"]
        assert run.unauthorized(ALARM).inputs["metricName"] == transformation["name"]
        assert "dimensions" not in transformation and "dimensions" not in run.unauthorized(ALARM).inputs
    filter_names = {run.unauthorized(FILTER).inputs["name"] for run in runs}
    aliases = {run.one(ALIAS).inputs["name"] for run in runs}
    assert alarm_names == {"Unauthorized_API_Calls-trailwatch-staging", "Unauthorized_API_Calls-trailwatch-prod"}
    assert len(filter_names) == 2 and len(aliases) == 2
    trails = [
        run_program({"trailwatch:createTrail": True, "trailwatch:emails": "a@acme.internal"}, stack=s)
        for s in ("dev", "test")
    ]
    assert {t.one(TRAIL).inputs["name"] for t in trails} == {"trailwatch-trailwatch-dev", "trailwatch-trailwatch-test"}
    assert len({t.one(LOG_GROUP).inputs["name"] for t in trails}) == 2


# --- the topic ---------------------------------------------------------------------------------


def test_topic_is_encrypted_with_a_rotating_customer_managed_key(prod: ProgramRun) -> None:
    key, topic = topic_key(prod), prod.one(TOPIC)
    assert key.inputs["enableKeyRotation"] is True
    assert topic.inputs["kmsMasterKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b5b2a3e-1111-2222-3333-444455556666"
    assert topic.property_dependencies["kmsMasterKeyId"] == [key.urn]
    assert "alias/aws/sns" not in json.dumps([r.inputs for r in prod.resources])
    assert prod.one(ALIAS).inputs["name"] == "alias/trailwatch/trailwatch/prod/trailwatch-topic"


def test_key_policy_lets_root_administer_and_only_this_accounts_alarms_use_it(prod: ProgramRun) -> None:
    policy = statements(topic_key(prod).inputs["policy"])
    assert set(policy) == {"AllowAccountAdministration", "AllowCloudWatchAlarmsToUseTheKey"}  # no SNS grant
    assert policy["AllowAccountAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert policy["AllowAccountAdministration"]["Action"] == "kms:*"
    cloudwatch = policy["AllowCloudWatchAlarmsToUseTheKey"]
    assert cloudwatch["Effect"] == "Allow"
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # Confused-deputy conditions: CloudWatch may use the key for this account's alarms only.
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
    }


def test_topic_policy_admits_cloudwatch_of_this_account_only_over_tls(prod: ProgramRun) -> None:
    topic_policy = prod.one(TOPIC_POLICY)
    assert topic_policy.inputs["arn"] == TOPIC_ARN
    policy = statements(topic_policy.inputs["policy"])
    cloudwatch = policy["AllowCloudWatchAlarmsOfThisAccount"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == "sns:Publish" and cloudwatch["Resource"] == TOPIC_ARN
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
    }
    deny = policy["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"], deny["Condition"]) == (
        "Deny",
        "*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    assert policy["AllowAccountAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert all(s["Principal"] != "*" for s in policy.values() if s["Effect"] == "Allow")


def test_subscriptions_point_at_the_topic(prod: ProgramRun) -> None:
    topic = prod.one(TOPIC)
    for subscription in prod.of_type(SUBSCRIPTION):
        assert subscription.inputs["topic"] == TOPIC_ARN
        assert subscription.property_dependencies["topic"] == [topic.urn]
        assert subscription.parent == prod.one(ALARM_TOPIC).urn


def test_lambda_subscription_gets_an_invoke_permission_for_sns() -> None:
    function = "arn:aws:lambda:us-east-1:111122223333:function:page-oncall"
    run = run_program({**EXISTING, "trailwatch:lambdaFunctionArns": [function]})
    permission = run.one(PERMISSION).inputs
    assert permission == {
        "action": "lambda:InvokeFunction",
        "function": function,
        "principal": "sns.amazonaws.com",
        "sourceArn": TOPIC_ARN,
        "region": "us-east-1",
    }
    assert {(s.inputs["protocol"], s.inputs["endpoint"]) for s in run.of_type(SUBSCRIPTION)} == {
        ("email", "sec@acme.internal"),
        ("lambda", function),
    }


def test_existing_topic_creates_no_topic_key_or_policy() -> None:
    existing = "arn:aws:sns:us-east-1:111122223333:org-security-alerts"
    run = run_program({"trailwatch:logGroupName": "g", "trailwatch:topicArn": existing})
    assert run.types() == sorted([MONITOR, ALARM_TOPIC] + [FILTER, ALARM] * 15)
    assert run.unauthorized(ALARM).inputs["alarmActions"] == [existing]
    assert run.outputs["topicArn"] == existing
    with_subscriber = run_program(
        {
            "trailwatch:logGroupName": "g",
            "trailwatch:topicArn": existing,
            "trailwatch:httpsEndpoints": "https://hooks.acme.internal/a",
        }
    )
    assert with_subscriber.one(SUBSCRIPTION).inputs["topic"] == existing


def test_existing_kms_key_and_unencrypted_topic() -> None:
    key_arn = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    run = run_program({**EXISTING, "trailwatch:kmsKeyId": key_arn})
    assert not run.of_type(KEY) and not run.of_type(ALIAS)
    assert run.one(TOPIC).inputs["kmsMasterKeyId"] == key_arn
    plain = run_program({**EXISTING, "trailwatch:topicEncryption": "none"})
    assert not plain.of_type(KEY)
    assert "kmsMasterKeyId" not in plain.one(TOPIC).inputs
    assert plain.of_type(TOPIC_POLICY)


# --- the trail ---------------------------------------------------------------------------------


def test_trail_settings(dev: ProgramRun) -> None:
    trail = dev.one(TRAIL)
    inputs = trail.inputs
    assert inputs["name"] == "trailwatch-trailwatch-dev"
    assert inputs["isMultiRegionTrail"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogFileValidation"] is True
    assert inputs["enableLogging"] is True
    assert inputs["eventSelectors"] == [{"readWriteType": "All", "includeManagementEvents": True}]
    log_group, role, bucket = dev.one(LOG_GROUP), dev.one(ROLE), trail_bucket(dev)
    assert (
        inputs["cloudWatchLogsGroupArn"]
        == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cloudtrail/trailwatch-trailwatch-dev:*"
    )
    assert trail.property_dependencies["cloudWatchLogsGroupArn"] == [log_group.urn]
    assert inputs["cloudWatchLogsRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/trailwatch-cloudtrail-delivery-role-1a2b3c4"
    assert trail.property_dependencies["cloudWatchLogsRoleArn"] == [role.urn]
    assert trail.property_dependencies["s3BucketName"] == [bucket.urn]
    assert (
        next(r for r in dev.of_type(BUCKET_POLICY) if r.name == "trailwatch-cloudtrail-bucket-policy").urn
        in trail.dependencies
    )
    assert dev.one(ROLE_POLICY).urn in trail.dependencies
    assert inputs["tags"] == {"managed-by": "trailwatch", "environment": "dev", "owner": "platform-security"}
    # Security Hub CloudTrail.2: the trail's files are encrypted with the customer-managed key.
    assert inputs["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b5b2a3e-1111-2222-3333-444455556666"
    assert trail.property_dependencies["kmsKeyId"] == [trail_key(dev).urn]


def named(run: ProgramRun, type_: str, name: str) -> Any:
    return next(r for r in run.of_type(type_) if r.name == name)


def test_bucket_is_private_encrypted_and_admits_only_this_trail(dev: ProgramRun) -> None:
    name = "trailwatch-cloudtrail-bucket-1a2b3c4"  # autonamed by the (fake) provider
    assert "bucket" not in trail_bucket(dev).inputs  # globally unique names come from autonaming
    for public_access in dev.of_type(PUBLIC_ACCESS):  # the trail's bucket and the access-log bucket
        assert {
            k: public_access.inputs[k]
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        } == dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
    for encryption in dev.of_type(ENCRYPTION):
        (rule,) = encryption.inputs["rules"]
        # SSE-S3, and no bucketKeyEnabled: S3 Bucket Keys only work with SSE-KMS.
        assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    bucket_policy = named(dev, BUCKET_POLICY, "trailwatch-cloudtrail-bucket-policy")
    assert named(dev, PUBLIC_ACCESS, "trailwatch-cloudtrail-bucket-public-access").urn in bucket_policy.dependencies
    policy = statements(bucket_policy.inputs["policy"])
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/trailwatch-trailwatch-dev"
    acl, write, deny = policy["AWSCloudTrailAclCheck"], policy["AWSCloudTrailWrite"], policy["DenyInsecureTransport"]
    assert acl["Principal"] == write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert (acl["Action"], acl["Resource"]) == ("s3:GetBucketAcl", f"arn:aws:s3:::{name}")
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    assert (write["Action"], write["Resource"]) == ("s3:PutObject", f"arn:aws:s3:::{name}/AWSLogs/{ACCOUNT}/*")
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
    }
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Resource"] == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_trail_bucket_is_versioned_and_logs_its_access_to_a_second_bucket(dev: ProgramRun) -> None:
    bucket = trail_bucket(dev)
    versioning = dev.one(VERSIONING)
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert versioning.property_dependencies["bucket"] == [bucket.urn]
    # Security Hub CloudTrail.7: server access logging on the CloudTrail bucket.
    log_bucket = named(dev, BUCKET, "trailwatch-cloudtrail-access-logs")
    logging = dev.one(BUCKET_LOGGING)
    assert logging.inputs["bucket"] == "trailwatch-cloudtrail-bucket-1a2b3c4"
    assert logging.inputs["targetBucket"] == "trailwatch-cloudtrail-access-logs-1a2b3c4"
    assert logging.inputs["targetPrefix"] == "trailwatch-cloudtrail-bucket-1a2b3c4/"
    assert logging.property_dependencies["targetBucket"] == [log_bucket.urn]
    log_policy = named(dev, BUCKET_POLICY, "trailwatch-cloudtrail-access-logs-policy")
    assert log_policy.urn in logging.dependencies
    policy = statements(log_policy.inputs["policy"])
    delivery = policy["S3ServerAccessLogsPolicy"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert (delivery["Action"], delivery["Resource"]) == (
        "s3:PutObject",
        "arn:aws:s3:::trailwatch-cloudtrail-access-logs-1a2b3c4/*",
    )
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::trailwatch-cloudtrail-bucket-1a2b3c4"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert policy["DenyInsecureTransport"]["Effect"] == "Deny"


def test_log_group_is_encrypted_with_a_key_cloudwatch_logs_may_use_for_it_only(dev: ProgramRun) -> None:
    key, log_group = trail_key(dev), dev.one(LOG_GROUP)
    assert key.inputs["enableKeyRotation"] is True
    assert log_group.inputs["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b5b2a3e-1111-2222-3333-444455556666"
    assert log_group.property_dependencies["kmsKeyId"] == [key.urn]
    policy = statements(key.inputs["policy"])
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cloudtrail/trailwatch-trailwatch-dev"
    logs = policy["AllowCloudWatchLogsForTheTrailLogGroup"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}  # the regional principal
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group_arn}}
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/trailwatch-trailwatch-dev"
    encrypt = policy["AllowCloudTrailToEncryptLogs"]
    assert (encrypt["Principal"], encrypt["Action"]) == (
        {"Service": "cloudtrail.amazonaws.com"},
        "kms:GenerateDataKey*",
    )
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": trail_arn},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
    }
    assert policy["AllowCloudTrailToDescribeKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    assert policy["AllowAccountAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert all(s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in policy.values())


KEEPERS = {
    "trailwatch-cloudtrail-bucket",
    "trailwatch-cloudtrail-access-logs",
    "trailwatch-cloudtrail-log-group",
    "trailwatch-cloudtrail-key",
    # and what protects the kept buckets (tests/test_program_edges.py checks each by type)
    "trailwatch-cloudtrail-bucket-public-access",
    "trailwatch-cloudtrail-bucket-encryption",
    "trailwatch-cloudtrail-bucket-versioning",
    "trailwatch-cloudtrail-bucket-policy",
    "trailwatch-cloudtrail-bucket-logging",
    "trailwatch-cloudtrail-access-logs-public-access",
    "trailwatch-cloudtrail-access-logs-encryption",
    "trailwatch-cloudtrail-access-logs-policy",
}


def test_what_holds_the_audit_record_is_retained_on_destroy_by_default(dev: ProgramRun) -> None:
    kept = {r.name for r in dev.resources if r.retain_on_delete}
    assert kept == KEEPERS
    assert not any(r.protect for r in dev.resources)


@pytest.mark.parametrize(
    ("on_destroy", "retained", "protected"),
    [("protect", set(), KEEPERS), ("delete", set(), set()), ("retain", KEEPERS, set())],
)
def test_on_destroy_is_configurable(on_destroy: str, retained: set[str], protected: set[str]) -> None:
    run = run_program({**stack_config("dev"), "trailwatch:onDestroy": on_destroy})
    assert {r.name for r in run.resources if r.retain_on_delete} == retained
    assert {r.name for r in run.resources if r.protect} == protected


def test_create_mode_protections_can_be_turned_off() -> None:
    run = run_program(
        {
            **stack_config("dev"),
            "trailwatch:logEncryption": "none",
            "trailwatch:accessLogging": False,
            "trailwatch:bucketVersioning": False,
        }
    )
    assert [k.name for k in run.of_type(KEY)] == ["trailwatch-topic-key"]
    assert "kmsKeyId" not in run.one(TRAIL).inputs and "kmsKeyId" not in run.one(LOG_GROUP).inputs
    assert not run.of_type(VERSIONING) and not run.of_type(BUCKET_LOGGING)
    assert [b.name for b in run.of_type(BUCKET)] == ["trailwatch-cloudtrail-bucket"]


def test_delivery_role_trust_policy_is_the_documented_one(dev: ProgramRun) -> None:
    trust = json.loads(dev.one(ROLE).inputs["assumeRolePolicy"])["Statement"]
    # No aws:SourceArn / aws:SourceAccount: CloudTrail's guide says the CloudWatch Logs role
    # policy does not support them (creation fails or delivery stops).
    assert trust == [
        {
            "Sid": "CloudTrailAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    role_policy = dev.one(ROLE_POLICY)
    assert role_policy.property_dependencies["role"] == [dev.one(ROLE).urn]
    assert role_policy.property_dependencies["policy"] == [dev.one(LOG_GROUP).urn]
    (statement,) = json.loads(role_policy.inputs["policy"])["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
        f"/aws/cloudtrail/trailwatch-trailwatch-dev:log-stream:{ACCOUNT}_CloudTrail_*"
    )


def test_filter_is_linked_to_the_created_log_group(dev: ProgramRun) -> None:
    metric_filter, log_group = dev.unauthorized(FILTER), dev.one(LOG_GROUP)
    assert (
        metric_filter.inputs["logGroupName"] == log_group.inputs["name"] == "/aws/cloudtrail/trailwatch-trailwatch-dev"
    )
    assert metric_filter.property_dependencies["logGroupName"] == [log_group.urn]


def test_retention_and_trail_name_from_config() -> None:
    run = run_program(
        {
            "trailwatch:createTrail": True,
            "trailwatch:emails": "a@acme.internal",
            "trailwatch:trailName": "audit-trail",
            "trailwatch:logRetentionDays": 0,
        }
    )
    assert run.one(TRAIL).inputs["name"] == "audit-trail"
    assert run.one(LOG_GROUP).inputs["name"] == "/aws/cloudtrail/audit-trail"
    assert run.one(LOG_GROUP).inputs.get("retentionInDays", 0) == 0
    default = run_program({"trailwatch:createTrail": True, "trailwatch:emails": "a@acme.internal"})
    assert default.one(LOG_GROUP).inputs["retentionInDays"] == 365


# --- structure and tags ------------------------------------------------------------------------


def test_every_resource_is_parented_under_its_component(dev: ProgramRun) -> None:
    monitor = dev.one(MONITOR)
    assert monitor.parent.endswith("pulumi:pulumi:Stack::trailwatch-dev")
    parents = {r.type: dev.by_urn(r.parent).type for r in dev.resources if r.type != MONITOR}
    assert parents[FILTER] == parents[ALARM] == parents[ALARM_TOPIC] == parents[LOGGING] == MONITOR
    assert parents[TOPIC] == parents[TOPIC_POLICY] == parents[SUBSCRIPTION] == ALARM_TOPIC
    assert dev.by_urn(topic_key(dev).parent).type == ALARM_TOPIC
    assert dev.by_urn(trail_key(dev).parent).type == LOGGING
    for child in (
        BUCKET,
        PUBLIC_ACCESS,
        ENCRYPTION,
        BUCKET_POLICY,
        LOG_GROUP,
        ROLE,
        ROLE_POLICY,
        TRAIL,
        VERSIONING,
        BUCKET_LOGGING,
    ):
        assert all(dev.by_urn(r.parent).type == LOGGING for r in dev.of_type(child)), child


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_everything_taggable_carries_config_tags_and_managed_by(stack: str) -> None:
    run = run_stack(stack)
    expected_tags = json.loads(stack_config(stack)["trailwatch:tags"])
    taggable = [r for r in run.resources if r.type in TAGGABLE]
    assert taggable
    for resource in taggable:
        assert resource.inputs["tags"] == {"managed-by": "trailwatch", **expected_tags}, resource.name


# --- bad configuration -------------------------------------------------------------------------


def test_bad_config_raises_run_error_before_any_resource() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program({**EXISTING, "trailwatch:alarmThreshold": 0})
    assert str(caught.value).startswith("invalid configuration trailwatch:alarmThreshold: ")
    assert "a number >= 1" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    "config",
    [
        {"trailwatch:createTrail": True, "trailwatch:logGroupName": "g", "trailwatch:emails": "a@acme.internal"},
        {**EXISTING, "trailwatch:patternProfile": "cis-1.4"},
        {**EXISTING, "trailwatch:alarmTreshold": 1},
        {"trailwatch:createTrail": True, "trailwatch:emails": "a@acme.internal", "trailwatch:logRetentionDays": 42},
    ],
    ids=["both-modes", "unknown-profile", "typo-key", "retention"],
)
def test_no_resource_is_registered_on_bad_config(config: dict[str, Any]) -> None:
    run = ProgramRun(resources=[])
    with pytest.raises(pulumi.RunError, match=r"^invalid configuration trailwatch:\w+: .*; accepted: "):
        run_program(config, run=run)
    assert run.resources == []


def test_a_good_config_after_a_bad_one_still_runs() -> None:
    with pytest.raises(pulumi.RunError):
        run_program({**EXISTING, "trailwatch:okActions": "maybe"})
    assert run_program(EXISTING).unauthorized(ALARM).inputs["alarmActions"] == [TOPIC_ARN]


# --- preview: what `pulumi preview` and the policy pack can read on a new stack ------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_in_preview_only_the_kms_key_reference_is_unknown(stack: str) -> None:
    run = run_stack(stack, preview=True)
    unknown = sorted(
        (r.type, key) for r in run.resources for key, value in r.inputs.items() if UNKNOWN in json.dumps(value)
    )
    key_references = [(ALIAS, "targetKeyId"), (TOPIC, "kmsMasterKeyId")]
    if stack == "dev":  # the trail's key: its ARN is known once the key exists
        key_references += [(LOG_GROUP, "kmsKeyId"), (TRAIL, "kmsKeyId")]
    assert unknown == sorted(key_references)
    alarm = run.unauthorized(ALARM).inputs
    assert alarm["alarmActions"] == [f"arn:aws:sns:{REGION}:{ACCOUNT}:trailwatch-topic-1a2b3c4"]
    assert run.one(TOPIC).property_dependencies["kmsMasterKeyId"] == [topic_key(run).urn]
    assert run.outputs["alarmArn"] == UNKNOWN and run.outputs["alarmName"].startswith("Unauthorized_API_Calls-")


def test_in_preview_the_trail_names_the_watched_log_group(dev: ProgramRun) -> None:
    preview = run_stack("dev", preview=True)
    trail = preview.one(TRAIL)
    assert (
        trail.inputs["cloudWatchLogsGroupArn"]
        == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{preview.unauthorized(FILTER).inputs['logGroupName']}:*"
    )
    assert trail.property_dependencies["cloudWatchLogsGroupArn"] == [preview.one(LOG_GROUP).urn]
    # All but the key reference (a key's ARN exists once the key does) is known in preview.
    assert trail.inputs["kmsKeyId"] == UNKNOWN
    assert trail.property_dependencies["kmsKeyId"] == [trail_key(preview).urn]
    assert {k: v for k, v in trail.inputs.items() if k != "kmsKeyId"} == {
        k: v for k, v in dev.one(TRAIL).inputs.items() if k != "kmsKeyId"
    }


# --- the CIS monitoring section: trailwatch:controls ---------------------------------------


def test_every_control_gets_its_filter_and_alarm_on_the_log_group_and_the_shared_topic() -> None:
    from trailwatch_policy.controls import CONTROLS

    run = run_program({"trailwatch:logGroupName": "g", "trailwatch:emails": "a@acme.internal"}, stack="prod")
    filters = {f.inputs["metricTransformation"]["name"]: f.inputs for f in run.of_type(FILTER)}
    assert set(filters) == {f"{c.metric}-trailwatch-prod" for c in CONTROLS}
    for c in CONTROLS[1:]:
        own = filters[f"{c.metric}-trailwatch-prod"]  # metric unique per stack (metricNaming)
        assert own["pattern"] == c.pattern and own["logGroupName"] == "g"
        assert own["name"] == f"{c.metric}-trailwatch-prod"
    alarms = {a.inputs["metricName"]: a.inputs for a in run.of_type(ALARM)}
    assert set(alarms) == set(filters)
    assert len({tuple(a["alarmActions"]) for a in alarms.values()}) == 1  # one shared topic
    assert alarms["RootAccountUsage-trailwatch-prod"]["alarmDescription"].startswith(
        "CIS AWS Foundations: uses of the root user recorded in"
    )
    assert run.unauthorized(FILTER).inputs["name"] == "Unauthorized_API_Calls-trailwatch-prod"  # 4.1 unchanged


@pytest.mark.parametrize(
    "value, metrics",
    [
        ('["4.1", "CloudWatch.1"]', {"UnauthorizedAPICalls", "RootAccountUsage"}),
        ("4.3,vpc-changes-monitored", {"RootAccountUsage", "VPCChanges"}),
        ("all", None),
    ],
)
def test_trailwatch_controls_selects_the_controls(value: str, metrics: set[str] | None) -> None:
    from trailwatch_policy.controls import CONTROLS

    run = run_program(
        {"trailwatch:logGroupName": "g", "trailwatch:emails": "a@acme.internal", "trailwatch:controls": value}
    )
    got = {f.inputs["metricTransformation"]["name"].removesuffix("-trailwatch-dev") for f in run.of_type(FILTER)}
    assert got == (metrics or {c.metric for c in CONTROLS})


def test_unknown_control_is_a_config_error_naming_the_key() -> None:
    from trailwatch.config import ConfigError, parse_settings

    with pytest.raises(ConfigError, match="trailwatch:controls: unknown control '4.99'"):
        parse_settings(
            {"logGroupName": "g", "emails": "a@acme.internal", "controls": "4.1,4.99"}, project="p", stack="s"
        )
    with pytest.raises(ConfigError, match="trailwatch:controls: empty"):
        parse_settings({"logGroupName": "g", "emails": "a@acme.internal", "controls": "[]"}, project="p", stack="s")


def test_the_component_takes_typed_controls() -> None:
    from trailwatch.component.monitor import UnauthorizedApiCallsMonitorArgs
    from trailwatch.component.topic import AlarmTopicArgs

    TOPIC_ARGS = AlarmTopicArgs(topic_arn="arn:aws:sns:us-east-1:111122223333:security-alarms")
    args = UnauthorizedApiCallsMonitorArgs(topic=TOPIC_ARGS, log_group_name="g", controls=["4.3", "CloudWatch.2"])
    assert [c.id for c in args.selected()] == ["4.1", "4.3"]
    assert len(UnauthorizedApiCallsMonitorArgs(topic=TOPIC_ARGS, log_group_name="g").selected()) == 15
    with pytest.raises(ValueError, match="unknown control '9.9'"):  # ConfigError is a ValueError
        UnauthorizedApiCallsMonitorArgs(topic=TOPIC_ARGS, log_group_name="g", controls=["9.9"])
