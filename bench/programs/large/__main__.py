"""A large account baseline for `python -m bench check`: `resources` resources (default 1,000)
in total -- two monitored CloudTrail chains (trail, log group, metric filter, alarm, topic,
subscription) and, for the rest, what else an account holds: application log groups, queues,
buckets, roles and parameters, linked to each other as real programs link them."""

import json

import pulumi
import pulumi_aws as aws

TOTAL = int(pulumi.Config().get("resources") or "1000")
PATTERN = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
ASSUME = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

count = 0
for unit in ("platform", "payments"):
    logs = aws.cloudwatch.LogGroup(f"{unit}-trail-logs", retention_in_days=365)
    aws.cloudtrail.Trail(
        f"{unit}-trail",
        s3_bucket_name=f"acme-{unit}-trail",
        is_multi_region_trail=True,
        cloud_watch_logs_group_arn=logs.arn.apply(lambda arn: f"{arn}:*"),
        cloud_watch_logs_role_arn="arn:aws:iam::111122223333:role/trail-logs",
    )
    aws.cloudwatch.LogMetricFilter(
        f"{unit}-unauthorized",
        log_group_name=logs.name,
        pattern=PATTERN,
        metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
            name=f"{unit}UnauthorizedAPICalls", namespace="CISBenchmark", value="1", default_value="0"
        ),
    )
    topic = aws.sns.Topic(f"{unit}-alarms")
    aws.sns.TopicSubscription(
        f"{unit}-alarms-email", topic=topic.arn, protocol="email", endpoint="security@example.com"
    )
    aws.cloudwatch.MetricAlarm(
        f"{unit}-unauthorized",
        namespace="CISBenchmark",
        metric_name=f"{unit}UnauthorizedAPICalls",
        statistic="Sum",
        period=300,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        evaluation_periods=1,
        treat_missing_data="notBreaching",
        alarm_actions=[topic.arn],
    )
    count += 6

i = 0
while count < TOTAL:
    kind = i % 5
    if kind == 0:
        aws.cloudwatch.LogGroup(
            f"app-{i}", name=f"/app/service-{i}", retention_in_days=30, tags={"team": "apps", "service": f"service-{i}"}
        )
    elif kind == 1:
        queue = aws.sqs.Queue(f"queue-{i}", visibility_timeout_seconds=60, tags={"team": "apps"})
    elif kind == 2:
        aws.s3.Bucket(f"bucket-{i}", tags={"team": "data", "classification": "internal"})
    elif kind == 3:
        aws.iam.Role(f"role-{i}", assume_role_policy=ASSUME, tags={"team": "apps"})
    else:
        aws.ssm.Parameter(f"param-{i}", type="String", value=queue.url, name=f"/app/queue-{i}")
    count += 1
    i += 1
