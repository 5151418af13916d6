"""Which property the AWS provider's Check autonames, and the `<logical>-<7 hex>` value it assigns.

pulumi-aws applies `SetAutonaming` to every resource whose `name` input is optional (the bridge
makes it optional precisely because it fills it in), plus a few resources whose physical name
lives elsewhere (S3's `bucket`). A `namePrefix`/`bucketPrefix` makes the name the provider's
business at create time: unknown at preview. The 7 hex digits are random in the real provider;
here they are derived from the URN so that output is stable run to run.
"""

from __future__ import annotations

import hashlib
from typing import Any

from trailwatch.engine.sentinels import UNKNOWN_STRING

# Resources whose autonamed property is not `name`, and how the name is shaped.
SPECIAL_FIELDS: dict[str, str] = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
}
LOWERCASE = {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}
# FIFO queues and topics must end in `.fifo`; the provider keeps the suffix when it autonames.
FIFO_FLAGS = {"aws:sns/topic:Topic": "fifoTopic", "aws:sqs/queue:Queue": "fifoQueue"}
PREFIX_FIELDS = ("namePrefix", "bucketPrefix")

# pulumi-aws-native autonames the property its metadata's `autoNamingSpec` names (the
# CloudFormation name property) with `<logical>-<7 random hex>`, cut to the property's
# maxLength, plus "naming trivia" such as a FIFO topic's ".fifo"
# (pulumi-aws-native provider/pkg/autonaming/application.go, getDefaultName).
# The resources the guardrail reads and their usual neighbours: (property, max length).
NATIVE_FIELDS: dict[str, tuple[str, int]] = {
    "aws-native:logs:LogGroup": ("logGroupName", 512),
    "aws-native:logs:MetricFilter": ("filterName", 512),
    "aws-native:cloudwatch:Alarm": ("alarmName", 255),
    "aws-native:cloudwatch:CompositeAlarm": ("alarmName", 255),
    "aws-native:sns:Topic": ("topicName", 256),
    "aws-native:cloudtrail:Trail": ("trailName", 128),
    "aws-native:iam:Role": ("roleName", 64),
    "aws-native:s3:Bucket": ("bucketName", 63),
    "aws-native:kms:Alias": ("aliasName", 256),
}
NATIVE_FIFO_FLAGS = {"aws-native:sns:Topic": "fifoTopic", "aws-native:sqs:Queue": "fifoQueue"}


def autoname_field(type_token: str, optional_inputs: set[str]) -> str | None:
    if type_token in NATIVE_FIELDS:
        return NATIVE_FIELDS[type_token][0]
    if not type_token.startswith("aws:"):
        return None
    if type_token in SPECIAL_FIELDS:
        return SPECIAL_FIELDS[type_token]
    return "name" if "name" in optional_inputs else None


def has_prefix(inputs: dict[str, Any]) -> bool:
    return any(inputs.get(key) not in (None, "") for key in PREFIX_FIELDS)


def provider_name(type_token: str, logical: str, urn: str, inputs: dict[str, Any]) -> str:
    suffix = hashlib.sha256(urn.encode("utf-8")).hexdigest()[:7]
    if type_token in NATIVE_FIELDS:
        return _native_name(type_token, logical, suffix, inputs)
    name = f"{logical}-{suffix}"
    if type_token in LOWERCASE:
        name = name.lower()
    flag = FIFO_FLAGS.get(type_token)
    if flag and inputs.get(flag) is True:
        name += ".fifo"
    return name


def _native_name(type_token: str, logical: str, suffix: str, inputs: dict[str, Any]) -> str:
    """aws-native's name: `<logical>-<hex>` within the maximum length, trivia appended."""
    _, max_length = NATIVE_FIELDS[type_token]
    flag = NATIVE_FIFO_FLAGS.get(type_token)
    trivia = ".fifo" if flag and inputs.get(flag) is True else ""
    prefix = logical + "-"
    room = max_length - len(prefix) - len(trivia)
    name = prefix + suffix[: max(1, min(7, room))]
    if type_token == "aws-native:s3:Bucket":
        name = name.lower()
    return name + trivia


def apply(
    type_token: str, logical: str, urn: str, inputs: dict[str, Any], optional_inputs: set[str], mode: str = "provider"
) -> dict[str, Any]:
    """`inputs` as the provider's Check returns them: the autonamed property filled in unless the
    program set it or a prefix; `mode` "unknown" leaves it unknown (the sentinel) instead."""
    field = autoname_field(type_token, optional_inputs)
    if not field or field in inputs or has_prefix(inputs):
        return inputs
    checked = dict(inputs)
    checked[field] = UNKNOWN_STRING if mode == "unknown" else provider_name(type_token, logical, urn, inputs)
    return checked
