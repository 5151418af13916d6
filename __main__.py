"""The trailwatch Pulumi program: one stack = the CIS monitoring controls on one CloudTrail log
group (trailwatch:controls, default all; 4.1's outputs and keys as before).

Configuration is read once, here, and validated before any resource is registered; a bad
value stops the run with one message naming the key (a RunError prints without a traceback).
"""
from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from trailwatch.config import KEYS, NAMESPACE, ConfigError, parse_settings


def read_raw_config() -> dict[str, str | None]:
    """Every `trailwatch:*` key the stack sets (known or not, so typos are reported)."""
    config = pulumi.Config(NAMESPACE)
    prefix = NAMESPACE + ":"
    present = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    keys = set(KEYS) | {k[len(prefix):] for k in present if k.startswith(prefix)}
    return {key: config.get(key) for key in sorted(keys)}


try:
    settings = parse_settings(read_raw_config(), project=pulumi.get_project(), stack=pulumi.get_stack())
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

# Imported after validation so a bad configuration fails fast, before pulumi_aws loads.
from trailwatch.monitor import UnauthorizedApiCallsMonitor, UnauthorizedApiCallsMonitorArgs  # noqa: E402

monitor = UnauthorizedApiCallsMonitor("trailwatch", UnauthorizedApiCallsMonitorArgs.from_settings(settings))

pulumi.export("topicArn", monitor.topic_arn)
pulumi.export("alarmName", monitor.alarm_name)
pulumi.export("alarmArn", monitor.alarm_arn)
pulumi.export("metricFilterName", monitor.metric_filter_name)
pulumi.export("metricNamespace", monitor.metric_namespace)
pulumi.export("metricName", monitor.metric_name)
pulumi.export("logGroupName", monitor.log_group_name)
pulumi.export("patternProfile", settings.pattern_profile)
pulumi.export("controlAlarmNames", monitor.control_alarm_names)  # CIS 1.4 id -> alarm name
if monitor.trail_arn is not None:
    pulumi.export("trailArn", monitor.trail_arn)
