"""trailwatch: the CIS AWS unauthorized-API-calls control (CIS 4.1; Security Hub CloudWatch.2 with the CIS 1.2 text) end to end.

Components are exported lazily: `python -m trailwatch pattern` imports this package and
must not pay for importing Pulumi and pulumi_aws. `from trailwatch import
UnauthorizedApiCallsMonitor` still works; the import happens on first access.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "UnauthorizedApiCallsMonitor": "trailwatch.monitor",
    "UnauthorizedApiCallsMonitorArgs": "trailwatch.monitor",
    "AlarmTopic": "trailwatch.topic",
    "AlarmTopicArgs": "trailwatch.topic",
    "CloudTrailLogging": "trailwatch.trail",
    "CloudTrailLoggingArgs": "trailwatch.trail",
    "Settings": "trailwatch.config",
    "Subscription": "trailwatch.config",
    "ConfigError": "trailwatch.config",
    "parse_settings": "trailwatch.config",
}

# A literal list, so that type checkers and `from trailwatch import *` see the names
# (tests/test_program_package.py checks it names exactly _EXPORTS).
__all__ = [
    "AlarmTopic", "AlarmTopicArgs", "CloudTrailLogging", "CloudTrailLoggingArgs", "ConfigError", "Settings",
    "Subscription", "UnauthorizedApiCallsMonitor", "UnauthorizedApiCallsMonitorArgs", "parse_settings",
]

if TYPE_CHECKING:
    from trailwatch.config import ConfigError, Settings, Subscription, parse_settings
    from trailwatch.monitor import UnauthorizedApiCallsMonitor, UnauthorizedApiCallsMonitorArgs
    from trailwatch.topic import AlarmTopic, AlarmTopicArgs
    from trailwatch.trail import CloudTrailLogging, CloudTrailLoggingArgs


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trailwatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
