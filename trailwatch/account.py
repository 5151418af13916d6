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

    @staticmethod
    def lookup(parent: pulumi.Resource) -> Account:
        """Ask the provider (through `parent`'s provider) who and where we are."""
        opts = pulumi.InvokeOutputOptions(parent=parent)
        return Account(
            account_id=aws.get_caller_identity_output(opts=opts).account_id,
            partition=aws.get_partition_output(opts=opts).partition,
            region=aws.get_region_output(opts=opts).region,
        )


@dataclass(frozen=True)
class Placement:
    """The deploying account and region as plain text, for checks made before any resource exists."""

    account_id: str
    region: str

    @staticmethod
    def lookup(parent: pulumi.Resource) -> Placement:
        """The same provider answers as `Account.lookup`, read synchronously (also in preview)."""
        opts = pulumi.InvokeOptions(parent=parent)
        return Placement(account_id=aws.get_caller_identity(opts=opts).account_id,
                         region=aws.get_region(opts=opts).region)
