"""trailwatch: the CIS AWS unauthorized-API-calls control (CIS 4.1; Security Hub CloudWatch.2 with the CIS 1.2 text) end to end.

Components are exported lazily: `python -m trailwatch pattern` imports this package and
must not pay for importing Pulumi and pulumi_aws. `from trailwatch import
UnauthorizedApiCallsMonitor` still works; the import happens on first access.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any


def _pack_on_path() -> None:
    """Make the pack's pure modules (`trailwatch_policy`, in the pack folder `policy/`)
    importable. An installed wheel ships them as a top-level package; a checkout run by
    `pulumi up` has only the repository root on the path, so the pack folder is added -- here,
    once, and only when `trailwatch_policy` cannot be imported otherwise. The program reads
    its controls from the same table as the pack (trailwatch.component.patterns)."""
    if importlib.util.find_spec("trailwatch_policy") is None:
        folder = Path(__file__).resolve().parent.parent / "policy"
        if (folder / "trailwatch_policy" / "__init__.py").is_file():
            sys.path.append(str(folder))


_pack_on_path()

_EXPORTS: dict[str, str] = {
    "UnauthorizedApiCallsMonitor": "trailwatch.component.monitor",
    "UnauthorizedApiCallsMonitorArgs": "trailwatch.component.monitor",
    "AlarmTopic": "trailwatch.component.topic",
    "AlarmTopicArgs": "trailwatch.component.topic",
    "CloudTrailLogging": "trailwatch.component.trail",
    "CloudTrailLoggingArgs": "trailwatch.component.trail",
    "Settings": "trailwatch.config",
    "Subscription": "trailwatch.config",
    "ConfigError": "trailwatch.config",
    "parse_settings": "trailwatch.config",
}

# A literal list, so that type checkers and `from trailwatch import *` see the names
# (tests/test_program_package.py checks it names exactly _EXPORTS).
__all__ = [
    "AlarmTopic",
    "AlarmTopicArgs",
    "CloudTrailLogging",
    "CloudTrailLoggingArgs",
    "ConfigError",
    "Settings",
    "Subscription",
    "UnauthorizedApiCallsMonitor",
    "UnauthorizedApiCallsMonitorArgs",
    "parse_settings",
]

if TYPE_CHECKING:
    from trailwatch.component.monitor import UnauthorizedApiCallsMonitor, UnauthorizedApiCallsMonitorArgs
    from trailwatch.component.topic import AlarmTopic, AlarmTopicArgs
    from trailwatch.component.trail import CloudTrailLogging, CloudTrailLoggingArgs
    from trailwatch.config import ConfigError, Settings, Subscription, parse_settings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trailwatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
