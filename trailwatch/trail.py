"""A complete CloudTrail trail that delivers to a CloudWatch Logs group.

Used when the account has no organisation or Control Tower trail to attach to. The trail
is what the benchmark's audit looks for first: multi-region, logging, management events
read and write, and a log group a metric filter can watch.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from trailwatch.account import Account

TYPE = "trailwatch:index:CloudTrailLogging"


@dataclass
class CloudTrailLoggingArgs:
    """The trail's name (fixed, because the bucket policy names the trail ARN) and log retention."""

    trail_name: str
    log_retention_days: int = 365
    tags: Mapping[str, str] = field(default_factory=lambda: {"managed-by": "trailwatch"})


def trail_arn(account: Account, trail_name: str) -> pulumi.Output[str]:
    """The ARN the trail will have: known before the trail exists, so policies can name it."""
    return pulumi.Output.concat("arn:", account.partition, ":cloudtrail:", account.region, ":",
                                account.account_id, ":trail/", trail_name)


def bucket_policy(bucket_arn: pulumi.Input[str], account: Account, trail_name: str) -> pulumi.Output[str]:
    """CloudTrail may check the ACL and write under AWSLogs/<account>/ for this trail only; TLS only."""
    source = {"aws:SourceArn": trail_arn(account, trail_name)}
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
             "Resource": bucket_arn, "Condition": {"StringEquals": source}},
            {"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": pulumi.Output.concat(bucket_arn, "/AWSLogs/", account.account_id, "/*"),
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    })


def assume_role_policy(account: Account, trail_name: str) -> pulumi.Output[str]:
    """Only CloudTrail, acting for this trail, may assume the delivery role."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudTrailAssumeRole", "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn(account, trail_name)}},
        }],
    })


def delivery_policy(log_group_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """The two calls CloudTrail makes to deliver events, on this log group's streams only."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudTrailDeliverToLogGroup", "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": pulumi.Output.concat(log_group_arn, ":log-stream:*"),
        }],
    })


class CloudTrailLogging(pulumi.ComponentResource):
    """Bucket, log group, delivery role and a multi-region trail logging management events."""

    trail_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: CloudTrailLoggingArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account = Account.lookup(self)

        bucket = aws.s3.Bucket(f"{name}-bucket", tags=tags, opts=child)
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-bucket-public-access", bucket=bucket.bucket,
            block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-bucket-encryption", bucket=bucket.bucket,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"),
                bucket_key_enabled=True)],
            opts=child)
        # ARNs are built from names (autonamed, hence known in preview) rather than read from
        # the `arn` outputs, so policies and the trail are fully readable by `pulumi preview`
        # and the policy pack before anything exists.
        bucket_arn = pulumi.Output.concat("arn:", account.partition, ":s3:::", bucket.bucket)
        policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy", bucket=bucket.bucket,
            policy=bucket_policy(bucket_arn, account, args.trail_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]))

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group", name=f"/aws/cloudtrail/{args.trail_name}",
            retention_in_days=args.log_retention_days, tags=tags, opts=child)
        role = aws.iam.Role(f"{name}-delivery-role",
                            assume_role_policy=assume_role_policy(account, args.trail_name),
                            description=f"Lets CloudTrail trail {args.trail_name} deliver to CloudWatch Logs",
                            tags=tags, opts=child)
        log_group_arn = pulumi.Output.concat("arn:", account.partition, ":logs:", account.region, ":",
                                             account.account_id, ":log-group:", log_group.name)
        role_arn = pulumi.Output.concat("arn:", account.partition, ":iam::", account.account_id, ":role/",
                                        role.name)
        role_policy = aws.iam.RolePolicy(f"{name}-delivery-policy", role=role.name,
                                         policy=delivery_policy(log_group_arn), opts=child)

        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=bucket.bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            event_selectors=[aws.cloudtrail.TrailEventSelectorArgs(
                read_write_type="All", include_management_events=True)],
            cloud_watch_logs_group_arn=pulumi.Output.concat(log_group_arn, ":*"),
            cloud_watch_logs_role_arn=role_arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, role_policy]),
        )

        self.trail_arn = trail.arn
        self.log_group_name = log_group.name
        self.log_group_arn = log_group.arn
        self.bucket_name = bucket.bucket
        self.register_outputs({"trailArn": self.trail_arn, "logGroupName": self.log_group_name,
                               "logGroupArn": self.log_group_arn, "bucketName": self.bucket_name})
