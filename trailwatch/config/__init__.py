"""Stack configuration: the raw `trailwatch:*` strings turned into typed, validated settings.

Pure (no Pulumi import) so that every rule is unit-tested without an engine, and so
that a bad value fails before the program registers a single resource. Each error names
the key as the user writes it (`trailwatch:alarmThreshold`) and what it accepts.

`model` holds the vocabulary (keys, defaults, `ConfigError`, `Subscription`, `Settings`),
`rules` the checks on typed values (shared with the components' arguments), `parse` the
reading of the raw strings.
"""
from __future__ import annotations

from trailwatch.config.model import (
                                     CREATE_ONLY,
                                     DEFAULT_METRIC_NAME,
                                     DEFAULT_METRIC_NAMESPACE,
                                     DEFAULT_PERIOD,
                                     DEFAULT_RETENTION_DAYS,
                                     EMAIL,
                                     KEYS,
                                     KMS_KEY,
                                     LAMBDA_ARN,
                                     LOG_GROUP_NAME,
                                     MANAGED_BY_TAG,
                                     METRIC_NAMESPACE,
                                     MIN_RECOMMENDED_RETENTION_DAYS,
                                     NAMESPACE,
                                     RETENTION_DAYS,
                                     SEED_ALARM_NAME,
                                     SQS_ARN,
                                     TOPIC_ARN,
                                     TRAIL_NAME,
                                     ConfigError,
                                     LogEncryption,
                                     MetricNaming,
                                     OnDestroy,
                                     Protocol,
                                     Settings,
                                     Subscription,
                                     TopicEncryption,
                                     default_name,
                                     metric_name_for,
                                     misspelt_namespace,
)
from trailwatch.config.parse import parse_settings
from trailwatch.config.rules import (
                                     ENDPOINT_KEYS,
                                     check_alarm,
                                     check_log_group_name,
                                     check_names,
                                     check_pattern,
                                     check_placeholders,
                                     check_placement,
                                     check_retention,
                                     check_subscriptions,
                                     check_topic,
                                     check_trail_name,
                                     choose_profile,
                                     infer_protocol,
                                     local_emulator,
)

__all__ = [
    "CREATE_ONLY", "DEFAULT_METRIC_NAME", "DEFAULT_METRIC_NAMESPACE", "DEFAULT_PERIOD", "DEFAULT_RETENTION_DAYS",
    "EMAIL", "ENDPOINT_KEYS", "KEYS", "KMS_KEY", "LAMBDA_ARN", "LOG_GROUP_NAME", "MANAGED_BY_TAG",
    "METRIC_NAMESPACE", "MIN_RECOMMENDED_RETENTION_DAYS", "NAMESPACE", "RETENTION_DAYS", "SEED_ALARM_NAME",
    "SQS_ARN", "TOPIC_ARN", "TRAIL_NAME", "ConfigError", "LogEncryption", "MetricNaming", "OnDestroy", "Protocol",
    "Settings", "Subscription", "TopicEncryption", "check_alarm", "check_log_group_name", "check_names",
    "check_pattern", "check_placeholders", "check_placement", "check_retention", "check_subscriptions", "check_topic",
    "check_trail_name", "choose_profile", "default_name", "infer_protocol", "local_emulator", "metric_name_for",
    "misspelt_namespace",
    "parse_settings",
]
