"""The trailwatch Pulumi program: one stack = the CIS monitoring controls on one CloudTrail log
group (trailwatch:controls, default all; 4.1's outputs and keys as before).

Configuration is read once, here, and validated before any resource is registered; a bad
value stops the run with one message naming the key (a RunError prints without a traceback).
Keys set as secrets (`pulumi config set --secret`) keep their endpoints secret.
"""

from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from trailwatch.config import (
    ENDPOINT_KEYS,
    KEYS,
    NAMESPACE,
    ConfigError,
    check_placeholders,
    local_emulator,
    misspelt_namespace,
    parse_settings,
)


def _present() -> set[str]:
    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def read_raw_config() -> tuple[dict[str, str | None], frozenset[str], frozenset[str]]:
    """Every `trailwatch:*` key the stack sets (known or not, so typos are reported), the secret
    ones, and the endpoint keys whose secret value this run cannot read.

    The Pulumi CLI decrypts `secure:` values before the program starts. The offline engine
    (`trailwatch check`) cannot, and refuses to hand one over: an endpoint list it cannot read
    is left out of that run (with a warning), any other such key stops it.
    """
    config = pulumi.Config(NAMESPACE)
    prefix = NAMESPACE + ":"
    keys = set(KEYS) | {k[len(prefix) :] for k in _present() if k.startswith(prefix)}
    secret = frozenset(k for k in keys if runtime_config.is_config_secret(prefix + k))
    raw: dict[str, str | None] = {}
    unreadable: set[str] = set()
    for key in sorted(keys):
        try:
            raw[key] = config.get(key)
        except pulumi.RunError:
            if key not in ENDPOINT_KEYS:
                raise
            raw[key] = None
            unreadable.add(key)
    return raw, secret | unreadable, frozenset(unreadable)


def _aws_endpoints() -> object:
    """The AWS provider's `aws:endpoints` (None when unset or not JSON)."""
    try:
        return pulumi.Config("aws").get_object("endpoints")
    except (pulumi.ConfigTypeError, ValueError):
        return None


misspelt = misspelt_namespace(_present())
if misspelt:
    raise pulumi.RunError(misspelt)
try:
    raw, secret_keys, unreadable = read_raw_config()
    settings = parse_settings(
        raw,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        region=pulumi.Config("aws").get("region"),
        secret_keys=secret_keys,
        unreadable=unreadable,
    )
    # A stand-in endpoint (example.com, REPLACE-WITH-...): `pulumi up` refuses it; a preview (and
    # `trailwatch check`, which previews) or an update of a local emulator warns, so that the
    # shipped examples stay runnable.
    deploying = not pulumi.runtime.is_dry_run() and not local_emulator(_aws_endpoints())
    placeholders = check_placeholders(settings.subscriptions, deploying=deploying)
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None
for warning in (*settings.warnings, *placeholders):
    pulumi.log.warn(warning)

# Imported after validation so a bad configuration fails fast, before pulumi_aws loads.
from trailwatch.component.monitor import UnauthorizedApiCallsMonitor, UnauthorizedApiCallsMonitorArgs  # noqa: E402

try:
    monitor = UnauthorizedApiCallsMonitor("trailwatch", UnauthorizedApiCallsMonitorArgs.from_settings(settings))
except ConfigError as error:  # what only the account can tell: where the log group and endpoints are
    raise pulumi.RunError(str(error)) from None

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
