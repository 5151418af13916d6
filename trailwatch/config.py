"""Stack configuration: the raw `trailwatch:*` strings turned into typed, validated settings.

Pure (no Pulumi import) so that every rule is unit-tested without an engine, and so
that a bad value fails before the program registers a single resource. Each error names
the key as the user writes it (`trailwatch:alarmThreshold`) and what it accepts.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeGuard
from urllib.parse import urlsplit

from trailwatch.patterns import ALL_CONTROLS, DEFAULT_PROFILE, PROFILES, find_control

NAMESPACE: Final = "trailwatch"

Protocol = Literal["email", "https", "sqs", "lambda"]
TopicEncryption = Literal["cmk", "none"]

DEFAULT_METRIC_NAMESPACE: Final = "CISBenchmark"
DEFAULT_METRIC_NAME: Final = "UnauthorizedAPICalls"
SEED_ALARM_NAME: Final = "Unauthorized_API_Calls"
DEFAULT_RETENTION_DAYS: Final = 365
DEFAULT_PERIOD: Final = 300
MANAGED_BY_TAG: Final = ("managed-by", "trailwatch")

#: CloudWatch Logs' accepted retention values; 0 means "never expire" (the provider's convention).
RETENTION_DAYS: Final = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                         1096, 1827, 2192, 2557, 2922, 3288, 3653)

#: Every key the program reads, in documentation order.
KEYS: Final = (
    "logGroupName", "createTrail", "trailName", "logRetentionDays", "controls",
    "patternProfile", "metricNamespace", "metricName", "metricFilterName",
    "alarmName", "alarmPeriod", "alarmThreshold", "alarmEvaluationPeriods", "okActions",
    "topicArn", "topicEncryption", "kmsKeyId",
    "emails", "httpsEndpoints", "sqsQueueArns", "lambdaFunctionArns", "subscriptions",
    "tags",
)

_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ACCOUNT = r"\d{12}"
SQS_ARN: Final = re.compile(rf"arn:{_PARTITION}:sqs:{_REGION}:{_ACCOUNT}:[A-Za-z0-9_-]{{1,80}}(?:\.fifo)?")
LAMBDA_ARN: Final = re.compile(
    rf"arn:{_PARTITION}:lambda:{_REGION}:{_ACCOUNT}:function:[A-Za-z0-9_-]{{1,64}}(?::[A-Za-z0-9$_-]{{1,128}})?")
TOPIC_ARN: Final = re.compile(rf"arn:{_PARTITION}:sns:{_REGION}:{_ACCOUNT}:[A-Za-z0-9_-]{{1,256}}(?:\.fifo)?")
KMS_KEY: Final = re.compile(
    rf"(?:arn:{_PARTITION}:kms:{_REGION}:{_ACCOUNT}:(?:key/[0-9a-f-]{{36}}|key/mrk-[0-9a-f]{{32}}|alias/[A-Za-z0-9/_-]+)"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)")
EMAIL: Final = re.compile(r"[^@\s\"'<>,;]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
LOG_GROUP_NAME: Final = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
TRAIL_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]")
METRIC_NAMESPACE: Final = re.compile(r"[A-Za-z0-9 .\-_/#:]{1,255}")
_TRUE, _FALSE = ("true", "True"), ("false", "False")


class ConfigError(ValueError):
    """A stack configuration value the program cannot use: names the key and what it accepts."""

    def __init__(self, key: str, problem: str, accepted: str) -> None:
        self.key = f"{NAMESPACE}:{key}"
        self.problem = problem
        self.accepted = accepted
        super().__init__(f"invalid configuration {self.key}: {problem}; accepted: {accepted}")


@dataclass(frozen=True)
class Subscription:
    """One endpoint the alarm topic delivers to."""

    protocol: Protocol
    endpoint: str


@dataclass(frozen=True)
class Settings:
    """Everything one stack needs, validated; defaults are the CIS remediation values."""

    project: str
    stack: str
    log_group_name: str | None
    create_trail: bool
    trail_name: str
    log_retention_days: int
    pattern_profile: str
    metric_namespace: str
    metric_name: str
    metric_filter_name: str
    alarm_name: str
    alarm_period: int
    alarm_threshold: float
    alarm_evaluation_periods: int
    ok_actions: bool
    topic_arn: str | None
    topic_encryption: TopicEncryption
    kms_key_id: str | None
    subscriptions: tuple[Subscription, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    #: CIS 1.4 ids of the monitoring controls to deploy (default: the whole section)
    controls: tuple[str, ...] = ALL_CONTROLS

    @property
    def pattern(self) -> str:
        """The filter pattern text of the chosen profile."""
        return PROFILES[self.pattern_profile]


def default_name(project: str, stack: str) -> str:
    """`Unauthorized_API_Calls-<project>-<stack>`: the seed name, unique per stack in an account."""
    return f"{SEED_ALARM_NAME}-{project}-{stack}"


def parse_settings(raw: Mapping[str, str | None], *, project: str, stack: str) -> Settings:
    """Validate the raw config strings (keys without the `trailwatch:` prefix).

    Values are what the Pulumi language host hands the program: strings, with lists and
    objects as JSON text. Raises ConfigError on the first problem.
    """
    values = {k: v for k, v in raw.items() if v is not None}
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ConfigError(unknown[0], "unknown key (a typo?)", "one of " + ", ".join(KEYS))

    create_trail = _bool(values, "createTrail", False)
    log_group_name = values.get("logGroupName")
    if create_trail and log_group_name is not None:
        raise ConfigError("logGroupName", "set together with trailwatch:createTrail=true (both trail modes)",
                          "either logGroupName (attach to an existing CloudTrail log group) "
                          "or createTrail: true (create a trail), not both")
    if not create_trail and log_group_name is None:
        raise ConfigError("logGroupName", "not set and trailwatch:createTrail is not true (no trail mode)",
                          "either logGroupName: <existing CloudTrail log group name> "
                          "or createTrail: true")
    if log_group_name is not None:
        if log_group_name.startswith("arn:"):
            raise ConfigError("logGroupName", f"{log_group_name!r} is an ARN",
                              "the log group name, e.g. aws-controltower/CloudTrailLogs")
        _match(LOG_GROUP_NAME, log_group_name, "logGroupName",
               "a CloudWatch Logs group name: 1-512 of A-Z a-z 0-9 . - _ / #")
    if not create_trail:
        for only_create in ("trailName", "logRetentionDays"):
            if only_create in values:
                raise ConfigError(only_create, "set while attaching to an existing log group",
                                  "only with createTrail: true (remove the key)")

    trail_name = values.get("trailName", f"trailwatch-{project}-{stack}")
    if create_trail:
        _check_trail_name(trail_name)
    retention = _int(values, "logRetentionDays", DEFAULT_RETENTION_DAYS,
                     "one of " + ", ".join(map(str, RETENTION_DAYS)) + " (0 = never expire; default 365)")
    if retention not in RETENTION_DAYS:
        raise ConfigError("logRetentionDays", f"{retention} is not a CloudWatch Logs retention period",
                          "one of " + ", ".join(map(str, RETENTION_DAYS)) + " (0 = never expire; default 365)")

    profile = values.get("patternProfile", DEFAULT_PROFILE)
    if profile not in PROFILES:
        raise ConfigError("patternProfile", f"unknown profile {profile!r}",
                          "cis-2.0 (default, the CIS 2.0+ text) or cis-1.2 "
                          "(the text AWS Security Hub CloudWatch.2 accepts)")

    namespace = values.get("metricNamespace", DEFAULT_METRIC_NAMESPACE)
    _match(METRIC_NAMESPACE, namespace, "metricNamespace",
           "1-255 of A-Z a-z 0-9 space . - _ / # : (default CISBenchmark)")
    if namespace.startswith("AWS/"):
        raise ConfigError("metricNamespace", f"{namespace!r} is reserved for AWS services",
                          "a namespace not starting with AWS/ (default CISBenchmark)")
    metric_name = _name(values, "metricName", DEFAULT_METRIC_NAME, 255)
    filter_name = _name(values, "metricFilterName", default_name(project, stack), 512)
    if ":" in filter_name or "*" in filter_name:
        raise ConfigError("metricFilterName", f"{filter_name!r} contains ':' or '*'",
                          "1-512 characters without ':' and '*'")
    alarm_name = _name(values, "alarmName", default_name(project, stack), 255)

    period_rule = "a multiple of 60 from 60 to 86400 seconds (default 300)"
    period = _int(values, "alarmPeriod", DEFAULT_PERIOD, period_rule)
    if period < 60 or period % 60 or period > 86400:
        raise ConfigError("alarmPeriod", f"{period} seconds", period_rule)
    threshold = _number(values, "alarmThreshold", 1.0)
    if threshold < 1:
        raise ConfigError("alarmThreshold", f"{_fmt(threshold)} is below 1",
                          "a number >= 1 (default 1: one unauthorized call fires the alarm)")
    periods_rule = "an integer >= 1 (default 1)"
    evaluation_periods = _int(values, "alarmEvaluationPeriods", 1, periods_rule)
    if evaluation_periods < 1:
        raise ConfigError("alarmEvaluationPeriods", f"{evaluation_periods} is below 1", periods_rule)
    limit = 86400 if period < 3600 else 604800
    if period * evaluation_periods > limit:
        raise ConfigError("alarmEvaluationPeriods",
                          f"{evaluation_periods} x {period} s exceeds CloudWatch's {limit} s evaluation range",
                          f"alarmEvaluationPeriods x alarmPeriod <= {limit}")
    ok_actions = _bool(values, "okActions", False)

    topic_arn = values.get("topicArn")
    if topic_arn is not None:
        _match(TOPIC_ARN, topic_arn, "topicArn", "an SNS topic ARN arn:aws:sns:<region>:<account>:<name>")
    encryption = values.get("topicEncryption", "cmk")
    if not _is_encryption(encryption):
        raise ConfigError("topicEncryption", f"unknown value {encryption!r}",
                          "cmk (default: a customer-managed KMS key CloudWatch may use) or none")
    kms_key_id = values.get("kmsKeyId")
    if topic_arn is not None:
        for topic_only in ("topicEncryption", "kmsKeyId"):
            if topic_only in values:
                raise ConfigError(topic_only, "set together with trailwatch:topicArn (an existing topic)",
                                  "remove it: an existing topic keeps its own encryption")
    if kms_key_id is not None:
        if encryption == "none":
            raise ConfigError("kmsKeyId", "set while trailwatch:topicEncryption is none",
                              "remove kmsKeyId, or set topicEncryption: cmk")
        if re.search(r"(^|:)alias/aws/", kms_key_id):
            raise ConfigError("kmsKeyId", f"{kms_key_id!r} is an AWS-managed key: CloudWatch cannot use it, "
                              "so alarm notifications are silently dropped",
                              "a customer-managed key whose policy lets cloudwatch.amazonaws.com use it, "
                              "or leave unset to create one")
        _match(KMS_KEY, kms_key_id, "kmsKeyId", "a KMS key ARN, key id, alias ARN or alias/<name>")

    subscriptions = _subscriptions(values)
    if topic_arn is None and not subscriptions:
        raise ConfigError("emails", "no subscription for the new alarm topic: nobody would be notified",
                          "at least one of trailwatch:emails, httpsEndpoints, sqsQueueArns, "
                          "lambdaFunctionArns, subscriptions (or an existing trailwatch:topicArn)")

    return Settings(
        project=project, stack=stack, log_group_name=log_group_name, create_trail=create_trail,
        trail_name=trail_name, log_retention_days=retention, pattern_profile=profile,
        metric_namespace=namespace, metric_name=metric_name, metric_filter_name=filter_name,
        alarm_name=alarm_name, alarm_period=period, alarm_threshold=threshold,
        alarm_evaluation_periods=evaluation_periods, ok_actions=ok_actions, topic_arn=topic_arn,
        topic_encryption=encryption,
        kms_key_id=kms_key_id, subscriptions=subscriptions, tags=_tags(values),
        controls=_controls(values),
    )


_CONTROLS_RULE = ('"all" (default) or a list of controls: CIS 1.4 ids 4.1 .. 4.15, Security Hub ids '
                  'CloudWatch.1 .. CloudWatch.14 or policy names, e.g. ["4.1", "4.3"] (docs/controls.md)')


def _controls(values: Mapping[str, str]) -> tuple[str, ...]:
    """`trailwatch:controls`: which CIS monitoring controls this stack deploys."""
    text = values.get("controls")
    if text is None:
        return ALL_CONTROLS
    items: list[object] = (_list(values, "controls", "control ids") if text.lstrip().startswith("[")
                           else [p for p in re.split(r"[,\s]+", text) if p])
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


def infer_protocol(endpoint: str) -> Protocol | None:
    """The SNS protocol an endpoint implies, or None when it matches none."""
    if endpoint.startswith("https://"):
        return "https"
    if SQS_ARN.fullmatch(endpoint):
        return "sqs"
    if LAMBDA_ARN.fullmatch(endpoint):
        return "lambda"
    if EMAIL.fullmatch(endpoint):
        return "email"
    return None


_ENDPOINT_RULES: Final[dict[Protocol, str]] = {
    "email": "an email address like security@example.com",
    "https": "an https:// URL with a host",
    "sqs": "an SQS queue ARN arn:aws:sqs:<region>:<account>:<queue>",
    "lambda": "a Lambda function ARN arn:aws:lambda:<region>:<account>:function:<name>",
}
_LIST_KEYS: Final[dict[str, Protocol]] = {
    "emails": "email", "httpsEndpoints": "https", "sqsQueueArns": "sqs", "lambdaFunctionArns": "lambda",
}


def _is_protocol(value: object) -> TypeGuard[Protocol]:
    # A str test first: a protocol given as a JSON list or object is unhashable.
    return isinstance(value, str) and value in _ENDPOINT_RULES


def _is_encryption(value: object) -> TypeGuard[TopicEncryption]:
    return value in ("cmk", "none")


def _valid_endpoint(protocol: Protocol, endpoint: str) -> bool:
    if protocol == "https":
        parts = urlsplit(endpoint)
        return parts.scheme == "https" and bool(parts.hostname) and not re.search(r"\s", endpoint)
    return infer_protocol(endpoint) == protocol


def _subscriptions(values: Mapping[str, str]) -> tuple[Subscription, ...]:
    found: list[Subscription] = []
    for key, protocol in _LIST_KEYS.items():
        for endpoint in _list(values, key, _ENDPOINT_RULES[protocol]):
            if not isinstance(endpoint, str) or not _valid_endpoint(protocol, endpoint):
                raise ConfigError(key, f"{endpoint!r} is malformed", "a list, each item " + _ENDPOINT_RULES[protocol])
            found.append(Subscription(protocol, endpoint))
    generic_rule = ('a list of endpoints (email, https URL, SQS or Lambda ARN) or '
                    '{"protocol": "email|https|sqs|lambda", "endpoint": "..."} objects')
    for item in _list(values, "subscriptions", generic_rule):
        if isinstance(item, str):
            inferred = infer_protocol(item)
            if inferred is None or not _valid_endpoint(inferred, item):
                raise ConfigError("subscriptions", f"cannot tell the protocol of {item!r}", generic_rule)
            found.append(Subscription(inferred, item))
            continue
        if not isinstance(item, dict) or set(item) - {"protocol", "endpoint"} or "endpoint" not in item:
            raise ConfigError("subscriptions", f"{item!r} is not an endpoint", generic_rule)
        endpoint, given = item["endpoint"], item.get("protocol")
        chosen = infer_protocol(endpoint) if given is None and isinstance(endpoint, str) else given
        if not _is_protocol(chosen):
            raise ConfigError("subscriptions", f"protocol {given!r} of {endpoint!r}",
                              "protocol one of email, https, sqs, lambda")
        if not isinstance(endpoint, str) or not _valid_endpoint(chosen, endpoint):
            raise ConfigError("subscriptions", f"{endpoint!r} is malformed for protocol {chosen}",
                              _ENDPOINT_RULES[chosen])
        found.append(Subscription(chosen, endpoint))
    unique = tuple(dict.fromkeys(found))
    return unique


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


def _name(values: Mapping[str, str], key: str, default: str, max_len: int) -> str:
    name = values.get(key, default)
    if not 1 <= len(name) <= max_len or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ConfigError(key, f"{name!r} is empty, too long or has control characters",
                          f"1-{max_len} printable characters (default {default})")
    return name


def _match(pattern: re.Pattern[str], value: str, key: str, rule: str) -> None:
    if not pattern.fullmatch(value):
        raise ConfigError(key, f"{value!r} is malformed", rule)


def _check_trail_name(name: str) -> None:
    rule = ("3-128 of letters, digits, . _ -, starting and ending with a letter or digit, "
            "no adjacent . _ - (default trailwatch-<project>-<stack>)")
    if not TRAIL_NAME.fullmatch(name) or re.search(r"[._-]{2}", name) \
            or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        raise ConfigError("trailName", f"{name!r} is not a valid trail name", rule)


def _fmt(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)
