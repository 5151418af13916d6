"""A complete CloudTrail trail that delivers to a CloudWatch Logs group.

Used when the account has no organisation or Control Tower trail to attach to. The trail
is what the benchmark's audit looks for first: multi-region, logging, management events
read and write, and a log group a metric filter can watch. By default its files and its
log group are encrypted with a customer-managed key (Security Hub CloudTrail.2), its
bucket is versioned and logs its access to a second bucket (CloudTrail.7), and
`pulumi destroy` leaves the bucket, the log group and the key in the account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from trailwatch.component.account import Account
from trailwatch.config import LogEncryption, OnDestroy, check_retention, check_trail_name

TYPE = "trailwatch:index:CloudTrailLogging"


@dataclass
class CloudTrailLoggingArgs:
    """The trail's name (fixed, because policies name the trail ARN), retention and protections.

    `log_encryption="cmk"` creates one customer-managed key for the trail's S3 files and the
    log group; `access_logging` sends the bucket's server access logs to a second bucket;
    `on_destroy` is what `pulumi destroy` does to the bucket(s), log group and key: "retain"
    leaves them in the account (removed from the stack), "protect" refuses, "delete" deletes.
    """

    trail_name: str
    log_retention_days: int = 365
    log_encryption: LogEncryption = "cmk"
    access_logging: bool = True
    bucket_versioning: bool = True
    on_destroy: OnDestroy = "retain"
    tags: Mapping[str, str] = field(default_factory=lambda: {"managed-by": "trailwatch"})

    def __post_init__(self) -> None:
        check_trail_name(self.trail_name)
        check_retention(self.log_retention_days)


def trail_arn(account: Account, trail_name: str) -> pulumi.Output[str]:
    """The ARN the trail will have: known before the trail exists, so policies can name it."""
    return pulumi.Output.concat(
        "arn:", account.partition, ":cloudtrail:", account.region, ":", account.account_id, ":trail/", trail_name
    )


def _tls_only(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(bucket_arn: pulumi.Input[str], account: Account, trail_name: str) -> pulumi.Output[str]:
    """CloudTrail may check the ACL and write under AWSLogs/<account>/ for this trail only; TLS only."""
    source = {"aws:SourceArn": trail_arn(account, trail_name)}
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": {"StringEquals": source},
                },
                {
                    "Sid": "AWSCloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, "/AWSLogs/", account.account_id, "/*"),
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
                },
                _tls_only(bucket_arn),
            ],
        }
    )


def access_log_bucket_policy(
    log_bucket_arn: pulumi.Input[str], source_bucket_arn: pulumi.Input[str], account: Account
) -> pulumi.Output[str]:
    """S3's logging service may write the trail bucket's access logs, for that bucket only; TLS only.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "S3ServerAccessLogsPolicy",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(log_bucket_arn, "/*"),
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": source_bucket_arn},
                        "StringEquals": {"aws:SourceAccount": account.account_id},
                    },
                },
                _tls_only(log_bucket_arn),
            ],
        }
    )


def assume_role_policy() -> pulumi.Output[str]:
    """CloudTrail may assume the delivery role: the documented trust policy, with no conditions.

    CloudTrail's guide: "Confused deputy prevention is not applicable to the role policy for
    CloudWatch Logs monitoring. The role policy doesn't support the use of aws:SourceArn and
    aws:SourceAccount." A condition here makes creation fail ("Access denied. Check the trust
    relationships for your role") or delivery stop.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudTrailAssumeRole",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def delivery_policy(log_group_arn: pulumi.Input[str], account: Account) -> pulumi.Output[str]:
    """The two calls CloudTrail makes to deliver events, on this log group's CloudTrail streams only.

    CloudTrail's documented role policy names the streams `log-stream:<account>_CloudTrail_<region>*`
    ("Role policy document for CloudTrail to use CloudWatch Logs for monitoring"), and CloudTrail
    names each stream `<account>_CloudTrail_<source region>`: a multi-region trail delivers events
    from every region, each to a stream of its source region, so the region part is a wildcard
    here and the account prefix (`<account>_CloudTrail_*`) is what scopes the role.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-log-group-log-stream-naming-for-cloudtrail.html
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudTrailDeliverToLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(
                        log_group_arn, ":log-stream:", account.account_id, "_CloudTrail_*"
                    ),
                }
            ],
        }
    )


def log_key_policy(account: Account, trail_name: str, log_group_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """The account administers; CloudTrail encrypts this trail's files; CloudWatch Logs this log group.

    CloudTrail: kms:GenerateDataKey* for this trail (aws:SourceArn and the encryption
    context of the account's trails) and kms:DescribeKey.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    CloudWatch Logs: the regional principal logs.<region>.amazonaws.com (logs.<region>.amazonaws.com.cn
    in the China Regions: `Account.logs_principal`), limited by the encryption context to this log group.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    Reading the files back (kms:Decrypt) is left to IAM policies through the root statement.
    """
    source = {"aws:SourceArn": trail_arn(account, trail_name)}
    trails = pulumi.Output.concat("arn:", account.partition, ":cloudtrail:*:", account.account_id, ":trail/*")
    root = pulumi.Output.concat("arn:", account.partition, ":iam::", account.account_id, ":root")
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Id": "trailwatch-trail-logs-key",
            "Statement": [
                {
                    "Sid": "AllowAccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "AllowCloudTrailToEncryptLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:GenerateDataKey*",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": source,
                        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails},
                    },
                },
                {
                    "Sid": "AllowCloudTrailToDescribeKey",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                    "Condition": {"StringEquals": source},
                },
                {
                    "Sid": "AllowCloudWatchLogsForTheTrailLogGroup",
                    "Effect": "Allow",
                    "Principal": {"Service": account.logs_principal()},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
                },
            ],
        }
    )


def _sse_s3(name: str, bucket: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
    # SSE-S3 (AES256). No bucket_key_enabled: S3 Bucket Keys only apply to SSE-KMS. The trail's
    # own files are SSE-KMS when log_encryption is cmk (the trail's kms_key_id).
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
        opts=opts,
    )


def _private(name: str, bucket: pulumi.Input[str], opts: pulumi.ResourceOptions) -> aws.s3.BucketPublicAccessBlock:
    return aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )


class CloudTrailLogging(pulumi.ComponentResource):
    """Bucket, log group, delivery role and a multi-region trail logging management events."""

    trail_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    key_arn: pulumi.Output[str] | None
    access_log_bucket_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: CloudTrailLoggingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # What holds the audit record outlives `pulumi destroy` unless asked otherwise, and so does
        # everything that protects it: a kept bucket stripped of its public-access block, TLS-only
        # policy, encryption, versioning (deleting a BucketVersioning suspends versioning) or access
        # logging is an unprotected bucket of audit records.
        def keep(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self,
                retain_on_delete=args.on_destroy == "retain" or None,
                protect=args.on_destroy == "protect" or None,
                depends_on=list(depends_on) or None,
            )

        tags = dict(args.tags)
        account = Account.lookup(self)
        for advice in check_retention(args.log_retention_days):  # below Security Hub CloudWatch.16's year
            pulumi.log.warn(advice, resource=self)

        log_group_name = f"/aws/cloudtrail/{args.trail_name}"

        # ARNs are built from names (autonamed, hence known in preview) rather than read from
        # the `arn` outputs, so policies and the trail are fully readable by `pulumi preview`
        # and the policy pack before anything exists.
        def group_arn(group_name: pulumi.Input[str]) -> pulumi.Output[str]:
            return pulumi.Output.concat(
                "arn:", account.partition, ":logs:", account.region, ":", account.account_id, ":log-group:", group_name
            )

        self.key_arn = None
        if args.log_encryption == "cmk":
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts CloudTrail trail {args.trail_name}'s files and its log group",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=log_key_policy(account, args.trail_name, group_arn(log_group_name)),
                tags=tags,
                opts=keep(),
            )
            self.key_arn = key.arn

        bucket = aws.s3.Bucket(f"{name}-bucket", tags=tags, opts=keep())
        public_access = _private(f"{name}-bucket-public-access", bucket.bucket, keep())
        _sse_s3(f"{name}-bucket-encryption", bucket.bucket, keep())
        bucket_arn = pulumi.Output.concat("arn:", account.partition, ":s3:::", bucket.bucket)
        if args.bucket_versioning:
            aws.s3.BucketVersioning(
                f"{name}-bucket-versioning",
                bucket=bucket.bucket,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                opts=keep(),
            )
        self.access_log_bucket_name = None
        if args.access_logging:
            # Security Hub CloudTrail.7: server access logging on the trail's bucket, to a
            # bucket of its own (SSE-S3: access logs cannot be delivered to SSE-KMS buckets).
            log_bucket = aws.s3.Bucket(f"{name}-access-logs", tags=tags, opts=keep())
            log_public = _private(f"{name}-access-logs-public-access", log_bucket.bucket, keep())
            _sse_s3(f"{name}-access-logs-encryption", log_bucket.bucket, keep())
            log_bucket_arn = pulumi.Output.concat("arn:", account.partition, ":s3:::", log_bucket.bucket)
            log_policy = aws.s3.BucketPolicy(
                f"{name}-access-logs-policy",
                bucket=log_bucket.bucket,
                policy=access_log_bucket_policy(log_bucket_arn, bucket_arn, account),
                opts=keep(log_public),
            )
            aws.s3.BucketLogging(
                f"{name}-bucket-logging",
                bucket=bucket.bucket,
                target_bucket=log_bucket.bucket,
                target_prefix=pulumi.Output.concat(bucket.bucket, "/"),
                opts=keep(log_policy),
            )
            self.access_log_bucket_name = log_bucket.bucket

        policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=bucket.bucket,
            policy=bucket_policy(bucket_arn, account, args.trail_name),
            opts=keep(public_access),
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=self.key_arn,
            tags=tags,
            opts=keep(),
        )
        # From the log group's output: the trail and the role provably point at this log group.
        log_group_arn = group_arn(log_group.name)
        role = aws.iam.Role(
            f"{name}-delivery-role",
            assume_role_policy=assume_role_policy(),
            description=f"Lets CloudTrail trail {args.trail_name} deliver to CloudWatch Logs",
            tags=tags,
            opts=child,
        )
        role_arn = pulumi.Output.concat("arn:", account.partition, ":iam::", account.account_id, ":role/", role.name)
        role_policy = aws.iam.RolePolicy(
            f"{name}-delivery-policy", role=role.name, policy=delivery_policy(log_group_arn, account), opts=child
        )

        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=bucket.bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=self.key_arn,
            event_selectors=[
                aws.cloudtrail.TrailEventSelectorArgs(read_write_type="All", include_management_events=True)
            ],
            cloud_watch_logs_group_arn=pulumi.Output.concat(log_group_arn, ":*"),
            cloud_watch_logs_role_arn=role_arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, role_policy, log_group]),
        )

        self.trail_arn = trail.arn
        self.log_group_name = log_group.name
        self.log_group_arn = log_group.arn
        self.bucket_name = bucket.bucket
        outputs: dict[str, Any] = {
            "trailArn": self.trail_arn,
            "logGroupName": self.log_group_name,
            "logGroupArn": self.log_group_arn,
            "bucketName": self.bucket_name,
        }
        if self.key_arn is not None:
            outputs["keyArn"] = self.key_arn
        if self.access_log_bucket_name is not None:
            outputs["accessLogBucketName"] = self.access_log_bucket_name
        self.register_outputs(outputs)
