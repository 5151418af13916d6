"""The raw `trailwatch:*` strings (as the language host hands them over) turned into `Settings`.

Values are strings, lists and maps as JSON text; every rule on the typed values is in
`trailwatch.config.rules`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from trailwatch.component.patterns import ALL_CONTROLS, PROFILES, SCANNERS, find_control
from trailwatch.config.model import (
    CREATE_ONLY,
    DEFAULT_METRIC_NAME,
    DEFAULT_METRIC_NAMESPACE,
    DEFAULT_PERIOD,
    DEFAULT_RETENTION_DAYS,
    KEYS,
    MANAGED_BY_TAG,
    NAMESPACE,
    ConfigError,
    Settings,
    Subscription,
    default_name,
    metric_name_for,
)
from trailwatch.config.rules import (
    _ENDPOINT_RULES,
    _LIST_KEYS,
    _PERIOD_RULE,
    _PERIODS_RULE,
    _RETENTION_RULE,
    _is_encryption,
    _is_protocol,
    _valid_endpoint,
    check_alarm,
    check_log_group_name,
    check_names,
    check_retention,
    check_subscriptions,
    check_topic,
    check_trail_name,
    choose_profile,
    infer_protocol,
)

_TRUE, _FALSE = ("true", "True"), ("false", "False")


def parse_settings(
    raw: Mapping[str, str | None],
    *,
    project: str,
    stack: str,
    region: str | None = None,
    secret_keys: frozenset[str] = frozenset(),
    unreadable: frozenset[str] = frozenset(),
) -> Settings:
    """Validate the raw config strings (keys without the `trailwatch:` prefix).

    Values are what the Pulumi language host hands the program: strings, with lists and
    objects as JSON text. `region` is the stack's `aws:region` when set (an existing topic
    must be in it); `secret_keys` are the keys set as secrets (their endpoints stay secret);
    `unreadable` are endpoint keys set as secrets that this run cannot decrypt (offline).
    Raises ConfigError on the first problem; the message of a secret key's problem shows
    none of its text (at most the host of a URL in it).
    """
    try:
        return _parse_settings(
            raw, project=project, stack=stack, region=region, secret_keys=secret_keys, unreadable=unreadable
        )
    except ConfigError as error:
        key = error.key.removeprefix(NAMESPACE + ":")
        text = raw.get(key)
        if key in secret_keys and text is not None:
            raise _redacted(error, text) from None
        raise


def _fragments(value: object) -> list[str]:
    """The texts a message could quote from a (parsed) secret value: every leaf and container."""
    found = [repr(value), json.dumps(value)]
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, list):
        for item in value:
            found.extend(_fragments(item))
    elif isinstance(value, dict):
        for name, item in value.items():
            found.extend(_fragments(name) + _fragments(item))
    return found


def _redacted(error: ConfigError, text: str) -> ConfigError:
    """`error` about the secret value `text`, with every piece of the value replaced."""
    try:
        parsed: object = json.loads(text)
    except json.JSONDecodeError:
        parsed = text
    pieces = {p for p in _fragments(text) + _fragments(parsed) if len(p) >= 3}
    hosts = sorted(set(re.findall(r"https://([A-Za-z0-9.-]+)", text)))
    shown = "the secret value (its text is kept secret" + (f"; host {', '.join(hosts)}" if hosts else "") + ")"
    problem = error.problem
    for piece in sorted(pieces, key=len, reverse=True):  # longest first; \0 marks what was replaced
        problem = problem.replace(piece, "\0")
    problem = re.sub(r"\0(?:[\s,:]*\0)*", lambda _: shown, problem)
    return ConfigError(error.key.removeprefix(NAMESPACE + ":"), problem, error.accepted)


def _parse_settings(
    raw: Mapping[str, str | None],
    *,
    project: str,
    stack: str,
    region: str | None,
    secret_keys: frozenset[str],
    unreadable: frozenset[str],
) -> Settings:
    values = {k: v for k, v in raw.items() if v is not None}
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {NAMESPACE}:{close[0]}?" if close else "a typo?"
        raise ConfigError(unknown[0], f"unknown key ({hint})", "one of " + ", ".join(KEYS))

    create_trail = _bool(values, "createTrail", False)
    log_group_name = values.get("logGroupName")
    if create_trail and log_group_name is not None:
        raise ConfigError(
            "logGroupName",
            "set together with trailwatch:createTrail=true (both trail modes)",
            "either logGroupName (attach to an existing CloudTrail log group) "
            "or createTrail: true (create a trail), not both",
        )
    if not create_trail and log_group_name is None:
        raise ConfigError(
            "logGroupName",
            "not set and trailwatch:createTrail is not true (no trail mode)",
            "either logGroupName: <existing CloudTrail log group name> or createTrail: true",
        )
    if log_group_name is not None:
        check_log_group_name(log_group_name)
    if not create_trail:
        for only_create in CREATE_ONLY:
            if only_create in values:
                raise ConfigError(
                    only_create,
                    "set while attaching to an existing log group",
                    "only with createTrail: true (remove the key)",
                )

    trail_name = values.get("trailName", f"trailwatch-{project}-{stack}")
    retention = _int(values, "logRetentionDays", DEFAULT_RETENTION_DAYS, _RETENTION_RULE)
    warnings: list[str] = []
    if create_trail:
        check_trail_name(trail_name)
        check_retention(retention)  # its advice (below a year) is the component's to give
    log_encryption = _choice(
        values,
        "logEncryption",
        ("cmk", "none"),
        "cmk (default: a customer-managed KMS key for the trail's files and the log "
        "group, Security Hub CloudTrail.2) or none",
    )
    on_destroy = _choice(
        values,
        "onDestroy",
        ("retain", "protect", "delete"),
        "retain (default: `pulumi destroy` leaves the bucket, log group and key in the "
        "account), protect (destroy refuses) or delete",
    )

    audited_by = _scanners(values)
    profile = values.get("patternProfile")
    if profile is not None and profile not in PROFILES:
        raise ConfigError(
            "patternProfile",
            f"unknown profile {profile!r}",
            "cis-2.0 (default, the CIS 2.0+ text) or cis-1.2 (the text AWS Security Hub CloudWatch.2 accepts)",
        )
    profile = choose_profile(profile, audited_by)

    naming = _choice(
        values,
        "metricNaming",
        ("stack", "cis"),
        "stack (default: <metricName>-<project>-<stack>, unique per stack) or cis "
        "(the benchmark's bare name; one stack per account and region)",
    )
    if "metricName" in values and "metricNaming" in values:
        raise ConfigError(
            "metricNaming",
            "set together with trailwatch:metricName (which names the metric)",
            "one of them: metricName: <exact name>, or metricNaming: stack|cis",
        )
    namespace = values.get("metricNamespace", DEFAULT_METRIC_NAMESPACE)
    metric_name = values.get("metricName", metric_name_for(DEFAULT_METRIC_NAME, naming, project, stack))
    filter_name = values.get("metricFilterName", default_name(project, stack))
    alarm_name = values.get("alarmName", default_name(project, stack))
    check_names(
        metric_namespace=namespace, metric_name=metric_name, metric_filter_name=filter_name, alarm_name=alarm_name
    )

    period = _int(values, "alarmPeriod", DEFAULT_PERIOD, _PERIOD_RULE)
    threshold = _number(values, "alarmThreshold", 1.0)
    evaluation_periods = _int(values, "alarmEvaluationPeriods", 1, _PERIODS_RULE)
    check_alarm(period=period, threshold=threshold, evaluation_periods=evaluation_periods)
    ok_actions = _bool(values, "okActions", False)

    topic_arn = values.get("topicArn")
    encryption = values.get("topicEncryption", "cmk")
    if not _is_encryption(encryption):
        raise ConfigError(
            "topicEncryption",
            f"unknown value {encryption!r}",
            "cmk (default: a customer-managed KMS key CloudWatch may use) or none",
        )
    kms_key_id = values.get("kmsKeyId")
    if topic_arn is not None:
        for topic_only in ("topicEncryption", "kmsKeyId"):
            if topic_only in values:
                raise ConfigError(
                    topic_only,
                    "set together with trailwatch:topicArn (an existing topic)",
                    "remove it: an existing topic keeps its own encryption",
                )
    check_topic(topic_arn=topic_arn, encryption=encryption, kms_key_id=kms_key_id, region=region)

    subscriptions = _subscriptions(values, secret_keys)
    for key in sorted(unreadable):
        warnings.append(
            f"{NAMESPACE}:{key} is a secret this run cannot decrypt (the offline engine does not "
            "decrypt `secure:` values): its endpoints are left out of this run; pass a stand-in "
            f"with --config {NAMESPACE}:{key}=... to include one"
        )
    if unreadable and topic_arn is None and not subscriptions:
        raise ConfigError(
            sorted(unreadable)[0],
            "a secret this run cannot decrypt, and no other endpoint is set",
            f"a stand-in value with --config {NAMESPACE}:{sorted(unreadable)[0]}=... "
            "(the offline engine does not decrypt secure: values)",
        )
    check_subscriptions(subscriptions, topic_arn=topic_arn)

    return Settings(
        project=project,
        stack=stack,
        log_group_name=log_group_name,
        create_trail=create_trail,
        trail_name=trail_name,
        log_retention_days=retention,
        pattern_profile=profile,
        metric_namespace=namespace,
        metric_name=metric_name,
        metric_filter_name=filter_name,
        alarm_name=alarm_name,
        alarm_period=period,
        alarm_threshold=threshold,
        alarm_evaluation_periods=evaluation_periods,
        ok_actions=ok_actions,
        topic_arn=topic_arn,
        topic_encryption=encryption,
        kms_key_id=kms_key_id,
        subscriptions=subscriptions,
        tags=_tags(values),
        audited_by=audited_by,
        metric_naming=naming,
        log_encryption=log_encryption,
        access_logging=_bool(values, "accessLogging", True),
        bucket_versioning=_bool(values, "bucketVersioning", True),
        on_destroy=on_destroy,
        warnings=tuple(warnings),
        controls=_controls(values),
    )


def _scanners(values: Mapping[str, str]) -> tuple[str, ...]:
    rule = "a list of scanners that audit the account: " + ", ".join(SCANNERS)
    found: list[str] = []
    for item in _list(values, "auditedBy", rule):
        if not isinstance(item, str) or item not in SCANNERS:
            raise ConfigError("auditedBy", f"unknown scanner {item!r}", rule)
        found.append(item)
    return tuple(dict.fromkeys(found))


def _subscriptions(values: Mapping[str, str], secret_keys: frozenset[str]) -> tuple[Subscription, ...]:
    found: list[Subscription] = []
    for key, protocol in _LIST_KEYS.items():
        secret = key in secret_keys
        for endpoint in _list(values, key, _ENDPOINT_RULES[protocol]):
            if not isinstance(endpoint, str):
                shown = "an item of the secret value" if secret else repr(endpoint)
                raise ConfigError(key, f"{shown} is malformed", "a list, each item " + _ENDPOINT_RULES[protocol])
            # Well-formed or not is for check_subscriptions (the components' rule, same message).
            found.append(Subscription(protocol, endpoint, secret or protocol == "https"))
    generic_rule = (
        "a list of endpoints (email, https URL without credentials, SQS or Lambda ARN) or "
        '{"protocol": "email|https|sqs|lambda", "endpoint": "..."} objects'
    )
    secret = "subscriptions" in secret_keys
    for item in _list(values, "subscriptions", generic_rule):
        shown = "an item of the secret value" if secret else repr(item)
        if isinstance(item, str):
            inferred = infer_protocol(item)
            if inferred is None or not _valid_endpoint(inferred, item):
                raise ConfigError("subscriptions", f"cannot tell the protocol of {shown}", generic_rule)
            found.append(Subscription(inferred, item, secret or inferred == "https"))
            continue
        if not isinstance(item, dict) or set(item) - {"protocol", "endpoint"} or "endpoint" not in item:
            raise ConfigError("subscriptions", f"{shown} is not an endpoint", generic_rule)
        endpoint, given = item["endpoint"], item.get("protocol")
        chosen = infer_protocol(endpoint) if given is None and isinstance(endpoint, str) else given
        if not _is_protocol(chosen):
            raise ConfigError(
                "subscriptions", f"protocol {given!r} of {shown}", "protocol one of email, https, sqs, lambda"
            )
        if not isinstance(endpoint, str) or not _valid_endpoint(chosen, endpoint):
            raise ConfigError("subscriptions", f"{shown} is malformed for protocol {chosen}", _ENDPOINT_RULES[chosen])
        found.append(Subscription(chosen, endpoint, secret or chosen == "https"))
    # One subscription per endpoint; secret if any of its sources is.
    merged: dict[Subscription, Subscription] = {}
    for subscription in found:
        seen = merged.get(subscription)
        if seen is None or (subscription.secret and not seen.secret):
            merged[subscription] = subscription if seen is None else Subscription(seen.protocol, seen.endpoint, True)
    return tuple(merged.values())


def _tags(values: Mapping[str, str]) -> dict[str, str]:
    rule = 'a map of strings, e.g. {"team": "security"} (quote numbers); keys 1-128 chars not starting with aws:'
    tags = dict([MANAGED_BY_TAG])
    text = values.get("tags")
    if text is None:
        return tags
    parsed = _json(text, "tags", rule)
    if not isinstance(parsed, dict):
        raise ConfigError("tags", f"{text!r} is not a map", rule)
    for key, value in parsed.items():
        if not isinstance(value, str):
            raise ConfigError("tags", f"tag {key!r} has the non-string value {json.dumps(value)}", rule)
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:") or len(value) > 256:
            raise ConfigError("tags", f"tag {key!r} is not a valid AWS tag", rule + "; values up to 256 chars")
        tags[key] = value
    return tags


def _json(text: str, key: str, rule: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(key, f"{text!r} is not valid JSON", rule) from None


def _list(values: Mapping[str, str], key: str, item_rule: str) -> list[object]:
    text = values.get(key)
    if text is None:
        return []
    if not text.lstrip().startswith("["):
        return [text]  # `pulumi config set trailwatch:emails a@b.example` stores a plain string
    parsed = _json(text, key, "a list of " + item_rule)
    if not isinstance(parsed, list):
        raise ConfigError(key, f"{text!r} is not a list", "a list of " + item_rule)
    return parsed


def _bool(values: Mapping[str, str], key: str, default: bool) -> bool:
    text = values.get(key)
    if text is None:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(key, f"{text!r} is not a boolean", f"true or false (default {str(default).lower()})")


def _int(values: Mapping[str, str], key: str, default: int, rule: str) -> int:
    text = values.get(key)
    if text is None:
        return default
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(key, f"{text!r} is not an integer", rule) from None


def _number(values: Mapping[str, str], key: str, default: float) -> float:
    text = values.get(key)
    if text is None:
        return default
    try:
        number = float(text.strip())
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(key, f"{text!r} is not a number", "a number >= 1 (default 1)")
    return number


def _choice(values: Mapping[str, str], key: str, choices: tuple[str, ...], rule: str) -> Any:
    text = values.get(key, choices[0])
    if text not in choices:
        raise ConfigError(key, f"unknown value {text!r}", rule)
    return text


_CONTROLS_RULE = (
    '"all" (default) or a list of controls: CIS 1.4 ids 4.1 .. 4.15, Security Hub ids '
    'CloudWatch.1 .. CloudWatch.14 or policy names, e.g. ["4.1", "4.3"] (docs/controls.md)'
)


def _controls(values: Mapping[str, str]) -> tuple[str, ...]:
    """`trailwatch:controls`: which CIS monitoring controls this stack deploys."""
    text = values.get("controls")
    if text is None:
        return ALL_CONTROLS
    items: list[object] = (
        _list(values, "controls", "control ids")
        if text.lstrip().startswith("[")
        else [p for p in re.split(r"[,\s]+", text) if p]
    )
    if items in (["all"], ["ALL"]):
        return ALL_CONTROLS
    if not items:
        raise ConfigError("controls", "empty: no control would be deployed", _CONTROLS_RULE)
    chosen: set[str] = set()
    for item in items:
        control = find_control(item) if isinstance(item, str) else None
        if control is None:
            raise ConfigError("controls", f"unknown control {item!r}", _CONTROLS_RULE)
        chosen.add(control.id)
    return tuple(c for c in ALL_CONTROLS if c in chosen)
