"""Where the stack runs (account, partition, region), looked up once per component.

The ARNs in key, topic and bucket policies must name the deploying account and partition
(aws, aws-cn, aws-us-gov), so they are read from the provider, never hard-coded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Account:
    """The deploying account's id, partition and region as outputs."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]
    #: the partition's DNS suffix: amazonaws.com (aws, aws-us-gov), amazonaws.com.cn (aws-cn)
    dns_suffix: pulumi.Output[str]

    @staticmethod
    def lookup(parent: pulumi.Resource) -> Account:
        """Ask the provider (through `parent`'s provider) who and where we are."""
        opts = pulumi.InvokeOutputOptions(parent=parent)
        partition = aws.get_partition_output(opts=opts)
        return Account(
            account_id=aws.get_caller_identity_output(opts=opts).account_id,
            partition=partition.partition,
            region=aws.get_region_output(opts=opts).region,
            dns_suffix=partition.dns_suffix,
        )

    def logs_principal(self) -> pulumi.Output[str]:
        """CloudWatch Logs' regional service principal, `logs.<region>.<dns suffix>`.

        The one principal of this program whose name follows the partition: in the China
        Regions it is `logs.<region>.amazonaws.com.cn`, elsewhere `logs.<region>.amazonaws.com`.
        The global principals the program names (cloudtrail.amazonaws.com,
        cloudwatch.amazonaws.com, logging.s3.amazonaws.com, sns.amazonaws.com) keep their
        names in every partition (docs/configuration.md, "Partitions").
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        https://docs.amazonaws.cn/en_us/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        """
        return pulumi.Output.concat("logs.", self.region, ".", self.dns_suffix)


@dataclass(frozen=True)
class Placement:
    """The deploying account and region as plain text, for checks made before any resource exists."""

    account_id: str
    region: str

    @staticmethod
    def lookup(parent: pulumi.Resource) -> Placement:
        """The same provider answers as `Account.lookup`, read synchronously (also in preview)."""
        opts = pulumi.InvokeOptions(parent=parent)
        return Placement(
            account_id=aws.get_caller_identity(opts=opts).account_id, region=aws.get_region(opts=opts).region
        )
