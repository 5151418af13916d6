"""The stack policy's configuration: JSON schema, defaults, and validation in one place.

The Pulumi engine fills schema defaults before `Configure`, but the SDK does not, and a
pack run by other tools may get nothing: `options_from_config` applies the defaults itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trailwatch_policy.base.findings import clip, cut

# Profiles are defined by trailwatch_policy.controls.judge; "meaning" judges what a pattern matches.
DEFAULT_PROFILE = "meaning"

DEFAULT_PATTERNS = ("^aws-cloudtrail-logs-",)

# Sizes checked before any value meets a regular expression or a parser. A log group name
# has 1-512 characters (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html);
# a name pattern longer than a name, or thousands of patterns, is a mistake, not a need.
MAX_NAME_LENGTH = 512
MAX_PATTERN_LENGTH = 512
MAX_PATTERNS = 100


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

    # Derived in __post_init__: names as a set (100k names x 20k groups stay lookups) and
    # the patterns compiled to linear-time matchers.
    _names: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _matchers: tuple[Callable[[str], bool], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.log_group_patterns) > MAX_PATTERNS:
            raise ConfigError(
                f"logGroupNamePatterns has {len(self.log_group_patterns):,} "
                f"patterns; at most {MAX_PATTERNS} are accepted: merge them with '|'"
            )
        object.__setattr__(self, "_names", frozenset(self.log_group_names))
        object.__setattr__(self, "_matchers", tuple(_compiled(p) for p in self.log_group_patterns))

    def is_cloudtrail_name(self, name: str) -> bool:
        if len(name) > MAX_NAME_LENGTH:
            name = name[: MAX_NAME_LENGTH + 1]  # AWS rejects it anyway; never scan it whole
        return name in self._names or any(search(name) for search in self._matchers)


_CACHE: dict[str, Callable[[str], bool]] = {}


def _compiled(pattern: str) -> Callable[[str], bool]:
    found = _CACHE.get(pattern)
    if found is None:
        if len(_CACHE) > 1024:
            _CACHE.clear()
        found = _CACHE[pattern] = compile_name_pattern(pattern)
    return found


_OPERATORS = frozenset("\\.[]{}()*+?|^$")


def compile_name_pattern(pattern: str) -> Callable[[str], bool]:
    """A `logGroupNamePatterns` entry as a search function that runs in time linear in the
    name, whatever the pattern; ConfigError when it cannot be run so.

    Patterns use CloudWatch Logs' regular-expression subset (no parentheses, hence no
    nested quantifier like `(a+)+` that makes a backtracking engine take exponential
    time), matched by the filter-pattern engine's `filter_pattern.regex.compile_linear`.
    """
    fix = 'e.g. "^aws-cloudtrail-logs-" or "^org-trail-logs$"'
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"logGroupNamePatterns: {cut(pattern)} is not a pattern; {fix}")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ConfigError(
            f"logGroupNamePatterns: a pattern of {len(pattern):,} characters "
            f"({cut(pattern, 60)}); at most {MAX_PATTERN_LENGTH} are accepted "
            f"(a log group name has at most {MAX_NAME_LENGTH}); {fix}"
        )
    plain = (
        pattern.isascii()
        and pattern.isprintable()
        and _OPERATORS.isdisjoint(pattern.strip("^$"))
        and pattern.count("^") <= 1
        and pattern.count("$") <= 1
        and pattern.find("^") in (-1, 0)
        and pattern.find("$") in (-1, len(pattern) - 1)
    )
    if plain:  # the common case (the default): literal text, maybe anchored -- str methods
        text = pattern.strip("^$")
        ends = (text, text + "\n")  # `$` also matches before a final newline (as in regex.py)
        if pattern.startswith("^"):
            if pattern.endswith("$"):
                return lambda name: name in ends
            return lambda name: name.startswith(text)
        if pattern.endswith("$"):
            return lambda name: name.endswith(ends)
        return lambda name: text in name
    from trailwatch_policy.filter_pattern.regex import compile_linear

    try:
        return compile_linear(pattern, strict=False).search
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise ConfigError(
            f"logGroupNamePatterns: {cut(pattern)} cannot be used: {clip(str(exc), 200)}. "
            "Patterns are matched in linear time (CloudWatch Logs' regular-expression "
            f"subset: no parentheses or back-references); {fix}"
        ) from None


def canonical_record(record: Any) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


CONFIG_SCHEMA: dict[str, dict[str, Any]] = {
    "logGroupNamePatterns": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(DEFAULT_PATTERNS),
        "description": "Regular expressions (CloudWatch Logs' subset, no parentheses; "
        "matched anywhere in the name, in linear time) naming CloudTrail log "
        "groups even when no trail in the stack points at them.",
    },
    "logGroupNames": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Exact names of log groups that receive CloudTrail events (e.g. an organisation trail's group).",
    },
    "requireSubscription": {
        "type": "boolean",
        "default": True,
        "description": "A topic declared in the stack must have at least one subscription.",
    },
    "extraMustMatch": {
        "type": "array",
        "items": {"type": "object"},
        "default": [],
        "description": "Extra CloudTrail records the filter pattern must match.",
    },
    "extraMustNotMatch": {
        "type": "array",
        "items": {"type": "object"},
        "default": [],
        "description": "Extra CloudTrail records the filter pattern must not match.",
    },
    "acceptedPatternProfile": {
        "type": "string",
        "default": DEFAULT_PROFILE,
        "description": "How filter patterns are judged: by what they match (meaning), or "
        "also by what one text-based scanner accepts (securityhub, prowler, "
        "steampipe), or with the CIS 2.0 exclusions' meaning (cis-2.0).",
    },
}


def _strings(config: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'{key} must be a list of strings, got {cut(value)}; e.g. "{key}": ["aws-cloudtrail-logs-main"]'
        )
    return tuple(value)


def _records(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = config.get(key)
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{key} must be a list of CloudTrail records (JSON objects), got {cut(value)}")
    try:
        return tuple(canonical_record(dict(v)) for v in value)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ConfigError(
            f"{key}: a record cannot be used ({type(exc).__name__}: "
            f"{clip(str(exc), 200)}); give plain CloudTrail records "
            "(JSON objects as CloudTrail writes them)"
        ) from None


#: The properties the pack config gives under `all` (set by sdk.capture_all_config when the
#: engine configures the pack). Pulumi applies only `all`'s enforcement level to every policy
#: (pkg/resource/analyzer/config.go, applyConfig) and passes its other keys on as the config
#: of a policy named "all"; trailwatch applies them to every control policy (with_all).
ALL: dict[str, Any] = {}


def with_all(
    config: Mapping[str, Any] | None, everything: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A control policy's config with the keys set under `all` applied, and the errors of
    `all` (a key no control policy has). A value the policy sets itself wins unless it is the
    schema default (the engine fills schema defaults into every policy's config, so a default
    cannot be told from no value): `all` then applies."""
    everything = ALL if everything is None else everything
    merged = dict(config or {})
    errors = [
        f'"all" sets {cut(key, 60)}, which no control policy has; the keys are: '
        f'{", ".join(CONFIG_SCHEMA)} ("all" may also set enforcementLevel)'
        for key in everything
        if key not in CONFIG_SCHEMA and key != "enforcementLevel"
    ]
    for key, value in everything.items():
        if key not in CONFIG_SCHEMA:
            continue
        own = merged.get(key)
        if own is None or own == CONFIG_SCHEMA[key].get("default"):
            merged[key] = value
    return merged, errors


def options_from_config(config: Mapping[str, Any] | None) -> ChainOptions:
    """Config properties (camelCase, possibly partial) -> ChainOptions with defaults applied;
    ConfigError on the first value that cannot be used."""
    options, errors = options_and_errors(config)
    if errors:
        raise ConfigError(errors[0])
    return options


def options_and_errors(config: Mapping[str, Any] | None) -> tuple[ChainOptions, list[str]]:
    """Like `options_from_config`, but a value that cannot be used is reported (one message
    each) and left out -- its default applies, or for `logGroupNamePatterns` the patterns
    that can be used (the default when none can) -- so the pack still judges the stack."""
    config = dict(config or {})
    errors: list[str] = []

    def read(key: str, parse: Callable[[], Any], default: Any) -> Any:
        try:
            return parse()
        except ConfigError as exc:
            errors.append(str(exc))
            return default

    def require() -> bool:
        value = config.get("requireSubscription", True)
        if not isinstance(value, bool):
            raise ConfigError(f"requireSubscription must be true or false, got {cut(value)}")
        return value

    def profile() -> str:
        from trailwatch_policy.controls.profiles import PROFILES

        value = config.get("acceptedPatternProfile", DEFAULT_PROFILE)
        if not isinstance(value, str) or value not in PROFILES:
            raise ConfigError(f"acceptedPatternProfile must be one of {', '.join(PROFILES)}; got {cut(value)}")
        return value

    def patterns() -> tuple[str, ...]:
        given = _strings(config, "logGroupNamePatterns", DEFAULT_PATTERNS)
        if len(given) > MAX_PATTERNS:
            raise ConfigError(
                f"logGroupNamePatterns has {len(given):,} patterns; at most "
                f"{MAX_PATTERNS} are accepted: merge them with '|'"
            )
        usable = []
        for pattern in given:
            try:
                _compiled(pattern)
                usable.append(pattern)
            except ConfigError as exc:
                errors.append(str(exc))
        return tuple(usable) if usable or not given else DEFAULT_PATTERNS

    return ChainOptions(
        log_group_patterns=read("logGroupNamePatterns", patterns, DEFAULT_PATTERNS),
        log_group_names=read("logGroupNames", lambda: _strings(config, "logGroupNames", ()), ()),
        require_subscription=read("requireSubscription", require, True),
        extra_must_match=read("extraMustMatch", lambda: _records(config, "extraMustMatch"), ()),
        extra_must_not_match=read("extraMustNotMatch", lambda: _records(config, "extraMustNotMatch"), ()),
        pattern_profile=read("acceptedPatternProfile", profile, DEFAULT_PROFILE),
    ), errors
