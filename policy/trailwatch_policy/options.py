"""The stack policy's configuration: JSON schema, defaults, and validation in one place.

The Pulumi engine fills schema defaults before `Configure`, but the SDK does not, and a
pack run by other tools may get nothing: `options_from_config` applies the defaults itself.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

# Profiles are defined by trailwatch_policy.judge; "meaning" judges what a pattern matches.
DEFAULT_PROFILE = "meaning"

DEFAULT_PATTERNS = ("^aws-cloudtrail-logs-",)


class ConfigError(ValueError):
    """A configuration value the pack cannot use; the message names it and the fix."""


@dataclass(frozen=True)
class ChainOptions:
    """What counts as a CloudTrail log group and what a working chain must have.

    `extra_must_match` / `extra_must_not_match` hold probe records (CloudTrail events) as
    canonical JSON text so options stay hashable (judge results are cached per options).
    """

    log_group_patterns: tuple[str, ...] = DEFAULT_PATTERNS
    log_group_names: tuple[str, ...] = ()
    require_subscription: bool = True
    extra_must_match: tuple[str, ...] = ()
    extra_must_not_match: tuple[str, ...] = ()
    pattern_profile: str = "meaning"
    # True (the pack): a topic policy or KMS key not known yet is not reported, so a first
    # deploy (policy built from the topic's own ARN) is not blocked; the stack policy runs
    # again on the outputs. False (the audit): an unreadable one makes the topic "unknown".
    preview: bool = True
    # True (the audit): the reader looked up every SNS topic the alarms name, so an action
    # ARN with no Topic in the inventory was not read ("unknown"). False (the pack): it is a
    # topic outside the stack, uninspectable and accepted.
    topics_complete: bool = False

    def __post_init__(self) -> None:
        for pattern in self.log_group_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"logGroupNamePatterns: {pattern!r} is not a valid regular expression ({exc}); "
                    "fix the pattern, e.g. \"^aws-cloudtrail-logs-\"") from None

    def is_cloudtrail_name(self, name: str) -> bool:
        return name in self.log_group_names or any(
            _compiled(p).search(name) for p in self.log_group_patterns)


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _CACHE.get(pattern)
    if found is None:
        found = _CACHE[pattern] = re.compile(pattern)
    return found


def canonical_record(record: Any) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


CONFIG_SCHEMA: dict[str, dict[str, Any]] = {
    "logGroupNamePatterns": {
        "type": "array", "items": {"type": "string"}, "default": list(DEFAULT_PATTERNS),
        "description": "Regular expressions (Python re.search) naming CloudTrail log groups "
                       "even when no trail in the stack points at them.",
    },
    "logGroupNames": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": "Exact names of log groups that receive CloudTrail events "
                       "(e.g. an organisation trail's group).",
    },
    "requireSubscription": {
        "type": "boolean", "default": True,
        "description": "A topic declared in the stack must have at least one subscription.",
    },
    "extraMustMatch": {
        "type": "array", "items": {"type": "object"}, "default": [],
        "description": "Extra CloudTrail records the filter pattern must match.",
    },
    "extraMustNotMatch": {
        "type": "array", "items": {"type": "object"}, "default": [],
        "description": "Extra CloudTrail records the filter pattern must not match.",
    },
    "acceptedPatternProfile": {
        "type": "string", "default": DEFAULT_PROFILE,
        "description": "How filter patterns are judged: by what they match (meaning), or "
                       "also by what one text-based scanner accepts (securityhub, prowler, "
                       "steampipe), or with the CIS 2.0 exclusions' meaning (cis-2.0).",
    },
}


def _strings(config: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
            isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings, got {value!r}; "
                          f"e.g. \"{key}\": [\"aws-cloudtrail-logs-main\"]")
    return tuple(value)


def _records(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = config.get(key)
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{key} must be a list of CloudTrail records (JSON objects), got {value!r}")
    return tuple(canonical_record(dict(v)) for v in value)


def options_from_config(config: Mapping[str, Any] | None) -> ChainOptions:
    """Config properties (camelCase, possibly partial) -> ChainOptions with defaults applied."""
    config = dict(config or {})
    require = config.get("requireSubscription", True)
    if not isinstance(require, bool):
        raise ConfigError(f"requireSubscription must be true or false, got {require!r}")
    profile = config.get("acceptedPatternProfile", DEFAULT_PROFILE)
    from trailwatch_policy.profiles import PROFILES

    if profile not in PROFILES:
        raise ConfigError(f"acceptedPatternProfile must be one of {', '.join(PROFILES)}; "
                          f"got {profile!r}")
    return ChainOptions(
        log_group_patterns=_strings(config, "logGroupNamePatterns", DEFAULT_PATTERNS),
        log_group_names=_strings(config, "logGroupNames", ()),
        require_subscription=require,
        extra_must_match=_records(config, "extraMustMatch"),
        extra_must_not_match=_records(config, "extraMustNotMatch"),
        pattern_profile=profile,
    )
