"""Stack configuration: the raw `trailwatch:*` strings turned into typed, validated settings.

Pure (no Pulumi import) so that every rule is unit-tested without an engine, and so
that a bad value fails before the program registers a single resource. Each error names
the key as the user writes it (`trailwatch:alarmThreshold`) and what it accepts.
"""
from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeGuard
from urllib.parse import urlsplit

from trailwatch.patterns import (ACCEPTED_BY, ALL_CONTROLS, DEFAULT_PROFILE, NEEDS, PROFILES, SCANNERS,
                                 accepting_scanners, find_control, profiles_accepted_by)

NAMESPACE: Final = "trailwatch"

Protocol = Literal["email", "https", "sqs", "lambda"]
TopicEncryption = Literal["cmk", "none"]
LogEncryption = Literal["cmk", "none"]
MetricNaming = Literal["stack", "cis"]
OnDestroy = Literal["retain", "protect", "delete"]

DEFAULT_METRIC_NAMESPACE: Final = "CISBenchmark"
DEFAULT_METRIC_NAME: Final = "UnauthorizedAPICalls"
SEED_ALARM_NAME: Final = "Unauthorized_API_Calls"
DEFAULT_RETENTION_DAYS: Final = 365
#: Security Hub CloudWatch.16 / AWS Config cw-loggroup-retention-period-check: at least 365 days
#: ("Never expire" passes). https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html
MIN_RECOMMENDED_RETENTION_DAYS: Final = 365
DEFAULT_PERIOD: Final = 300
MANAGED_BY_TAG: Final = ("managed-by", "trailwatch")

#: CloudWatch Logs' accepted retention values; 0 means "never expire" (the provider's convention).
RETENTION_DAYS: Final = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                         1096, 1827, 2192, 2557, 2922, 3288, 3653)

#: Every key the program reads, in documentation order.
KEYS: Final = (
    "logGroupName", "createTrail", "trailName", "logRetentionDays", "controls",
    "logEncryption", "accessLogging", "bucketVersioning", "onDestroy",
    "patternProfile", "auditedBy", "metricNamespace", "metricNaming", "metricName", "metricFilterName",
    "alarmName", "alarmPeriod", "alarmThreshold", "alarmEvaluationPeriods", "okActions",
    "topicArn", "topicEncryption", "kmsKeyId",
    "emails", "httpsEndpoints", "sqsQueueArns", "lambdaFunctionArns", "subscriptions",
    "tags",
)
#: Keys that only mean something when the stack creates the trail.
CREATE_ONLY: Final = ("trailName", "logRetentionDays", "logEncryption", "accessLogging", "bucketVersioning",
                      "onDestroy")

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


def misspelt_namespace(keys: Iterable[str]) -> str | None:
    """The error for a config key whose namespace is nearly `trailwatch` (`trailwach:emails`),
    which the program would otherwise never read; None when there is none."""
    for key in sorted(keys):
        namespace, sep, rest = key.partition(":")
        if sep and namespace != NAMESPACE and difflib.get_close_matches(namespace, [NAMESPACE], cutoff=0.75):
            return (f"invalid configuration {key}: unknown namespace {namespace!r} (did you mean "
                    f"{NAMESPACE}:{rest}?); accepted: {NAMESPACE}:<key>, the only namespace this program reads")
    return None


class ConfigError(ValueError):
    """A stack configuration value the program cannot use: names the key and what it accepts."""

    def __init__(self, key: str, problem: str, accepted: str) -> None:
        self.key = f"{NAMESPACE}:{key}"
        self.problem = problem
        self.accepted = accepted
        super().__init__(f"invalid configuration {self.key}: {problem}; accepted: {accepted}")


@dataclass(frozen=True)
class Subscription:
    """One endpoint the alarm topic delivers to.

    `secret`: the endpoint is kept secret (an `Output.secret`, encrypted in state). It is
    set for every https endpoint (such URLs carry integration keys, e.g. PagerDuty's) and
    for any endpoint read from a config key set with `pulumi config set --secret`. It does
    not take part in equality: one endpoint is one subscription.
    """

    protocol: Protocol
    endpoint: str
    secret: bool = field(default=False, compare=False)


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
    audited_by: tuple[str, ...] = ()
    metric_naming: MetricNaming = "stack"
    log_encryption: LogEncryption = "cmk"
    access_logging: bool = True
    bucket_versioning: bool = True
    on_destroy: OnDestroy = "retain"
    #: Advice that does not stop the run (`pulumi.log.warn` in the program).
    warnings: tuple[str, ...] = ()
    #: CIS 1.4 ids of the monitoring controls to deploy (default: the whole section)
    controls: tuple[str, ...] = ALL_CONTROLS

    @property
    def pattern(self) -> str:
        """The filter pattern text of the chosen profile."""
        return PROFILES[self.pattern_profile]


def default_name(project: str, stack: str) -> str:
    """`Unauthorized_API_Calls-<project>-<stack>`: the seed name, unique per stack in an account."""
    return f"{SEED_ALARM_NAME}-{project}-{stack}"


def metric_name_for(base: str, naming: MetricNaming, project: str, stack: str) -> str:
    """The metric a control's filter publishes: `<base>-<project>-<stack>` by default.

    Metric filters publish to the account and region's metric namespace: two stacks that
    publish the same name with no dimension add up each other's events, so each alarm fires
    on the other's denials. `cis` keeps the benchmark's bare name (one stack per account and
    region only). One scheme for every control: `metric_name_for("RootAccountUsage", ...)`.
    """
    return base if naming == "cis" else f"{base}-{project}-{stack}"


def parse_settings(raw: Mapping[str, str | None], *, project: str, stack: str,
                   region: str | None = None, secret_keys: frozenset[str] = frozenset(),
                   unreadable: frozenset[str] = frozenset()) -> Settings:
    """Validate the raw config strings (keys without the `trailwatch:` prefix).

    Values are what the Pulumi language host hands the program: strings, with lists and
    objects as JSON text. `region` is the stack's `aws:region` when set (an existing topic
    must be in it); `secret_keys` are the keys set as secrets (their endpoints stay secret);
    `unreadable` are endpoint keys set as secrets that this run cannot decrypt (offline).
    Raises ConfigError on the first problem.
    """
    values = {k: v for k, v in raw.items() if v is not None}
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {NAMESPACE}:{close[0]}?" if close else "a typo?"
        raise ConfigError(unknown[0], f"unknown key ({hint})", "one of " + ", ".join(KEYS))

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
        check_log_group_name(log_group_name)
    if not create_trail:
        for only_create in CREATE_ONLY:
            if only_create in values:
                raise ConfigError(only_create, "set while attaching to an existing log group",
                                  "only with createTrail: true (remove the key)")

    trail_name = values.get("trailName", f"trailwatch-{project}-{stack}")
    retention = _int(values, "logRetentionDays", DEFAULT_RETENTION_DAYS, _RETENTION_RULE)
    warnings: list[str] = []
    if create_trail:
        check_trail_name(trail_name)
        warnings += check_retention(retention)
    log_encryption = _choice(values, "logEncryption", ("cmk", "none"),
                             "cmk (default: a customer-managed KMS key for the trail's files and the log "
                             "group, Security Hub CloudTrail.2) or none")
    on_destroy = _choice(values, "onDestroy", ("retain", "protect", "delete"),
                         "retain (default: `pulumi destroy` leaves the bucket, log group and key in the "
                         "account), protect (destroy refuses) or delete")

    audited_by = _scanners(values)
    profile = values.get("patternProfile")
    if profile is not None and profile not in PROFILES:
        raise ConfigError("patternProfile", f"unknown profile {profile!r}",
                          "cis-2.0 (default, the CIS 2.0+ text) or cis-1.2 "
                          "(the text AWS Security Hub CloudWatch.2 accepts)")
    profile = choose_profile(profile, audited_by)

    naming = _choice(values, "metricNaming", ("stack", "cis"),
                     "stack (default: <metricName>-<project>-<stack>, unique per stack) or cis "
                     "(the benchmark's bare name; one stack per account and region)")
    if "metricName" in values and "metricNaming" in values:
        raise ConfigError("metricNaming", "set together with trailwatch:metricName (which names the metric)",
                          "one of them: metricName: <exact name>, or metricNaming: stack|cis")
    namespace = values.get("metricNamespace", DEFAULT_METRIC_NAMESPACE)
    metric_name = values.get("metricName", metric_name_for(DEFAULT_METRIC_NAME, naming, project, stack))
    filter_name = values.get("metricFilterName", default_name(project, stack))
    alarm_name = values.get("alarmName", default_name(project, stack))
    check_names(metric_namespace=namespace, metric_name=metric_name, metric_filter_name=filter_name,
                alarm_name=alarm_name)

    period = _int(values, "alarmPeriod", DEFAULT_PERIOD, _PERIOD_RULE)
    threshold = _number(values, "alarmThreshold", 1.0)
    evaluation_periods = _int(values, "alarmEvaluationPeriods", 1, _PERIODS_RULE)
    check_alarm(period=period, threshold=threshold, evaluation_periods=evaluation_periods)
    ok_actions = _bool(values, "okActions", False)

    topic_arn = values.get("topicArn")
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
    check_topic(topic_arn=topic_arn, encryption=encryption, kms_key_id=kms_key_id, region=region)

    subscriptions = _subscriptions(values, secret_keys)
    for key in sorted(unreadable):
        warnings.append(f"{NAMESPACE}:{key} is a secret this run cannot decrypt (the offline engine does not "
                        "decrypt `secure:` values): its endpoints are left out of this run; pass a stand-in "
                        f"with --config {NAMESPACE}:{key}=... to include one")
    if unreadable and topic_arn is None and not subscriptions:
        raise ConfigError(sorted(unreadable)[0], "a secret this run cannot decrypt, and no other endpoint is set",
                          f"a stand-in value with --config {NAMESPACE}:{sorted(unreadable)[0]}=... "
                          "(the offline engine does not decrypt secure: values)")
    check_subscriptions(subscriptions, topic_arn=topic_arn)

    return Settings(
        project=project, stack=stack, log_group_name=log_group_name, create_trail=create_trail,
        trail_name=trail_name, log_retention_days=retention, pattern_profile=profile,
        metric_namespace=namespace, metric_name=metric_name, metric_filter_name=filter_name,
        alarm_name=alarm_name, alarm_period=period, alarm_threshold=threshold,
        alarm_evaluation_periods=evaluation_periods, ok_actions=ok_actions, topic_arn=topic_arn,
        topic_encryption=encryption,
        kms_key_id=kms_key_id, subscriptions=subscriptions, tags=_tags(values),
        audited_by=audited_by, metric_naming=naming, log_encryption=log_encryption,
        access_logging=_bool(values, "accessLogging", True),
        bucket_versioning=_bool(values, "bucketVersioning", True),
        on_destroy=on_destroy, warnings=tuple(warnings), controls=_controls(values),
    )


# --- the rules, on typed values: shared by parse_settings and the components' arguments ----------

_RETENTION_RULE: Final = ("one of " + ", ".join(map(str, RETENTION_DAYS))
                          + " (0 = never expire; default 365)")
_PERIOD_RULE: Final = "a multiple of 60 from 60 to 86400 seconds (default 300)"
_PERIODS_RULE: Final = "an integer >= 1 (default 1)"


def check_log_group_name(name: object) -> None:
    """An existing log group's name (not its ARN)."""
    if not isinstance(name, str):
        raise ConfigError("logGroupName", f"{name!r} is not a string", "a CloudWatch Logs group name")
    if name.startswith("arn:"):
        raise ConfigError("logGroupName", f"{name!r} is an ARN",
                          "the log group name, e.g. aws-controltower/CloudTrailLogs")
    _match(LOG_GROUP_NAME, name, "logGroupName", "a CloudWatch Logs group name: 1-512 of A-Z a-z 0-9 . - _ / #")


def check_trail_name(name: str) -> None:
    rule = ("3-128 of letters, digits, . _ -, starting and ending with a letter or digit, "
            "no adjacent . _ - (default trailwatch-<project>-<stack>)")
    if not isinstance(name, str) or not TRAIL_NAME.fullmatch(name) or re.search(r"[._-]{2}", name) \
            or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        raise ConfigError("trailName", f"{name!r} is not a valid trail name", rule)


def check_retention(days: int) -> list[str]:
    """Reject what CloudWatch Logs refuses; return a warning below Security Hub CloudWatch.16's 365 days."""
    if isinstance(days, bool) or days not in RETENTION_DAYS:
        raise ConfigError("logRetentionDays", f"{days} is not a CloudWatch Logs retention period", _RETENTION_RULE)
    if 0 < days < MIN_RECOMMENDED_RETENTION_DAYS:
        return [f"{NAMESPACE}:logRetentionDays is {days}: CloudTrail events leave the log group after {days} days, "
                f"below the {MIN_RECOMMENDED_RETENTION_DAYS} days Security Hub CloudWatch.16 and AWS Config "
                "cw-loggroup-retention-period-check expect (set 365 or more, or 0 = never expire)"]
    return []


def check_names(*, metric_namespace: str, metric_name: str, metric_filter_name: str, alarm_name: str) -> None:
    _match(METRIC_NAMESPACE, metric_namespace, "metricNamespace",
           "1-255 of A-Z a-z 0-9 space . - _ / # : (default CISBenchmark)")
    if metric_namespace.startswith("AWS/"):
        raise ConfigError("metricNamespace", f"{metric_namespace!r} is reserved for AWS services",
                          "a namespace not starting with AWS/ (default CISBenchmark)")
    _printable(metric_name, "metricName", f"{DEFAULT_METRIC_NAME}-<project>-<stack>", 255)
    _printable(metric_filter_name, "metricFilterName", "Unauthorized_API_Calls-<project>-<stack>", 512)
    if ":" in metric_filter_name or "*" in metric_filter_name:
        raise ConfigError("metricFilterName", f"{metric_filter_name!r} contains ':' or '*'",
                          "1-512 characters without ':' and '*'")
    _printable(alarm_name, "alarmName", "Unauthorized_API_Calls-<project>-<stack>", 255)


def check_alarm(*, period: int, threshold: float, evaluation_periods: int) -> None:
    if isinstance(period, bool) or not isinstance(period, int) or period < 60 or period % 60 or period > 86400:
        raise ConfigError("alarmPeriod", f"{period} seconds", _PERIOD_RULE)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold != threshold \
            or threshold in (float("inf"), float("-inf")):
        raise ConfigError("alarmThreshold", f"{threshold!r} is not a number", "a number >= 1 (default 1)")
    if threshold < 1:
        raise ConfigError("alarmThreshold", f"{_fmt(float(threshold))} is below 1",
                          "a number >= 1 (default 1: one unauthorized call fires the alarm)")
    if isinstance(evaluation_periods, bool) or not isinstance(evaluation_periods, int):
        raise ConfigError("alarmEvaluationPeriods", f"{evaluation_periods!r} is not an integer", _PERIODS_RULE)
    if evaluation_periods < 1:
        raise ConfigError("alarmEvaluationPeriods", f"{evaluation_periods} is below 1", _PERIODS_RULE)
    limit = 86400 if period < 3600 else 604800
    if period * evaluation_periods > limit:
        raise ConfigError("alarmEvaluationPeriods",
                          f"{evaluation_periods} x {period} s exceeds CloudWatch's {limit} s evaluation range",
                          f"alarmEvaluationPeriods x alarmPeriod <= {limit}")


def check_topic(*, topic_arn: str | None, encryption: str, kms_key_id: object, region: str | None) -> None:
    """An existing topic's ARN (in the stack's region), or how a new topic is encrypted."""
    if topic_arn is not None:
        _match(TOPIC_ARN, topic_arn, "topicArn", "an SNS topic ARN arn:aws:sns:<region>:<account>:<name>")
        topic_region = topic_arn.split(":")[3]
        # Alarm actions name a topic in the alarm's own region; a topic elsewhere is refused.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
        if region is not None and topic_region != region:
            raise ConfigError("topicArn", f"the topic is in {topic_region} but the stack deploys to {region}: "
                              "a CloudWatch alarm notifies a topic in its own region only",
                              f"an SNS topic in {region}, or leave unset to create one")
    if not _is_encryption(encryption):
        raise ConfigError("topicEncryption", f"unknown value {encryption!r}",
                          "cmk (default: a customer-managed KMS key CloudWatch may use) or none")
    if isinstance(kms_key_id, str):
        if encryption == "none":
            raise ConfigError("kmsKeyId", "set while trailwatch:topicEncryption is none",
                              "remove kmsKeyId, or set topicEncryption: cmk")
        if re.search(r"(^|:)alias/aws/", kms_key_id):
            raise ConfigError("kmsKeyId", f"{kms_key_id!r} is an AWS-managed key: CloudWatch cannot use it, "
                              "so alarm notifications are silently dropped",
                              "a customer-managed key whose policy lets cloudwatch.amazonaws.com use it, "
                              "or leave unset to create one")
        _match(KMS_KEY, kms_key_id, "kmsKeyId", "a KMS key ARN, key id, alias ARN or alias/<name>")


def check_subscriptions(subscriptions: Sequence[Subscription], *, topic_arn: str | None) -> None:
    """Each endpoint well-formed, and one the topic can deliver to; someone is notified."""
    for subscription in subscriptions:
        if not _is_protocol(subscription.protocol):
            raise ConfigError("subscriptions", f"protocol {subscription.protocol!r}",
                              "protocol one of email, https, sqs, lambda")
        key = _KEY_OF[subscription.protocol]
        if not isinstance(subscription.endpoint, str) or not _valid_endpoint(subscription.protocol,
                                                                             subscription.endpoint):
            raise ConfigError(key, f"{_shown(subscription)} is malformed", _ENDPOINT_RULES[subscription.protocol])
    fifo_topic = topic_arn is not None and topic_arn.endswith(".fifo")
    for subscription in subscriptions:
        key = _KEY_OF[subscription.protocol]
        # SNS FIFO topics deliver to SQS queues only; standard topics (the one trailwatch creates)
        # cannot deliver to SQS FIFO queues. https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html
        if fifo_topic and subscription.protocol != "sqs":
            raise ConfigError(key, f"{_shown(subscription)} on the FIFO topic {topic_arn}: SNS FIFO topics "
                              "deliver to SQS queues only", "an SQS queue, or a standard (non-.fifo) topicArn")
        if not fifo_topic and subscription.protocol == "sqs" and subscription.endpoint.endswith(".fifo"):
            raise ConfigError(key, f"{subscription.endpoint} is a FIFO queue: a standard SNS topic cannot "
                              "deliver to it", "a standard SQS queue (no .fifo suffix)")
    if topic_arn is None and not subscriptions:
        raise ConfigError("emails", "no subscription for the new alarm topic: nobody would be notified",
                          "at least one of trailwatch:emails, httpsEndpoints, sqsQueueArns, "
                          "lambdaFunctionArns, subscriptions (or an existing trailwatch:topicArn)")


def check_placement(subscriptions: Sequence[Subscription], *, account_id: str) -> None:
    """Endpoints the deploying account cannot wire up alone are refused before anything is created.

    A Lambda function in another account: only its owner can add the permission that lets SNS
    invoke it (and must subscribe it). An SQS queue in another account: the subscription must be
    created with the queue owner's credentials (else it is re-created at every update).
    https://docs.aws.amazon.com/lambda/latest/dg/with-sns-example.html
    https://docs.aws.amazon.com/sns/latest/dg/sns-send-message-to-sqs-cross-account.html
    https://www.pulumi.com/registry/packages/aws/api-docs/sns/topicsubscription/
    """
    for subscription in subscriptions:
        if subscription.protocol not in ("lambda", "sqs"):
            continue
        owner = subscription.endpoint.split(":")[4]
        if owner != account_id:
            what = "Lambda function" if subscription.protocol == "lambda" else "SQS queue"
            raise ConfigError(_KEY_OF[subscription.protocol],
                              f"the {what} {subscription.endpoint} is in account {owner}, not {account_id} "
                              "where the stack deploys: only its owner can let this topic deliver to it",
                              f"a {what} in account {account_id}, or subscribe it from account {owner} "
                              "(output topicArn)")


def choose_profile(profile: str | None, audited_by: Sequence[str]) -> str:
    """The pattern profile: the one named, else the first every auditing scanner accepts."""
    if not audited_by:
        return profile or DEFAULT_PROFILE
    if profile is not None:
        rejecting = sorted(set(audited_by) - ACCEPTED_BY[profile])
        if rejecting:
            raise ConfigError("patternProfile",
                              f"{profile} is rejected by {', '.join(rejecting)} named in trailwatch:auditedBy "
                              f"({'; '.join(NEEDS[s] for s in rejecting)})",
                              "a profile all of them accept: " + _profiles_for(audited_by))
        return profile
    candidates = profiles_accepted_by(audited_by)
    if not candidates:
        raise ConfigError("auditedBy",
                          f"no pattern text is accepted by all of {', '.join(audited_by)}: "
                          + "; ".join(NEEDS[s] for s in audited_by),
                          "scanners one profile satisfies: "
                          + "; ".join(f"{name} ({', '.join(sorted(ACCEPTED_BY[name]))})" for name in PROFILES))
    return candidates[0]


def check_pattern(pattern: str, audited_by: Sequence[str]) -> None:
    """A component's pattern text against the scanners said to audit the account."""
    unknown = sorted(set(audited_by) - set(SCANNERS))
    if unknown:
        raise ConfigError("auditedBy", f"unknown scanner {unknown[0]!r}", "a list of " + ", ".join(SCANNERS))
    rejecting = sorted(set(audited_by) - accepting_scanners(pattern))
    if rejecting:
        raise ConfigError("auditedBy", f"the pattern is not known to be accepted by {', '.join(rejecting)}",
                          "the text of a profile all of them accept: " + _profiles_for(audited_by))


def _profiles_for(scanners: Sequence[str]) -> str:
    names = profiles_accepted_by(scanners)
    return ", ".join(names) if names else "none exists (" + "; ".join(NEEDS[s] for s in scanners) + ")"


def _scanners(values: Mapping[str, str]) -> tuple[str, ...]:
    rule = "a list of scanners that audit the account: " + ", ".join(SCANNERS)
    found: list[str] = []
    for item in _list(values, "auditedBy", rule):
        if not isinstance(item, str) or item not in SCANNERS:
            raise ConfigError("auditedBy", f"unknown scanner {item!r}", rule)
        found.append(item)
    return tuple(dict.fromkeys(found))


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
    "https": "an https:// URL with a host and no user:password@",
    "sqs": "an SQS queue ARN arn:aws:sqs:<region>:<account>:<queue>",
    "lambda": "a Lambda function ARN arn:aws:lambda:<region>:<account>:function:<name>",
}
_LIST_KEYS: Final[dict[str, Protocol]] = {
    "emails": "email", "httpsEndpoints": "https", "sqsQueueArns": "sqs", "lambdaFunctionArns": "lambda",
}
#: The keys that name subscription endpoints.
ENDPOINT_KEYS: Final = (*_LIST_KEYS, "subscriptions")
#: The config key that names endpoints of a protocol, for messages about an endpoint.
_KEY_OF: Final[dict[str, str]] = {protocol: key for key, protocol in _LIST_KEYS.items()}


def _is_protocol(value: object) -> TypeGuard[Protocol]:
    # A str test first: a protocol given as a JSON list or object is unhashable.
    return isinstance(value, str) and value in _ENDPOINT_RULES


def _is_encryption(value: object) -> TypeGuard[TopicEncryption]:
    return value in ("cmk", "none")


def _valid_endpoint(protocol: Protocol, endpoint: str) -> bool:
    if protocol == "https":
        try:
            parts = urlsplit(endpoint)
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            return False
        # Credentials in the URL (https://user:pass@host/) would sit in the subscription's
        # attributes for anyone who may list them: refused.
        return (parts.scheme == "https" and bool(parts.hostname) and not re.search(r"\s", endpoint)
                and parts.username is None and parts.password is None and "@" not in parts.netloc)
    return infer_protocol(endpoint) == protocol


def _shown(subscription: Subscription) -> str:
    """An endpoint as error messages may show it: a secret one by its scheme and host only."""
    if not subscription.secret:
        return repr(subscription.endpoint)
    try:
        host = urlsplit(subscription.endpoint).hostname if isinstance(subscription.endpoint, str) else None
    except ValueError:
        host = None
    return f"the {subscription.protocol} endpoint" + (f" on host {host}" if host else "") + \
        " (its text is kept secret)"


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
    generic_rule = ('a list of endpoints (email, https URL without credentials, SQS or Lambda ARN) or '
                    '{"protocol": "email|https|sqs|lambda", "endpoint": "..."} objects')
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
            raise ConfigError("subscriptions", f"protocol {given!r} of {shown}",
                              "protocol one of email, https, sqs, lambda")
        if not isinstance(endpoint, str) or not _valid_endpoint(chosen, endpoint):
            raise ConfigError("subscriptions", f"{shown} is malformed for protocol {chosen}",
                              _ENDPOINT_RULES[chosen])
        found.append(Subscription(chosen, endpoint, secret or chosen == "https"))
    # One subscription per endpoint; secret if any of its sources is.
    merged: dict[Subscription, Subscription] = {}
    for subscription in found:
        seen = merged.get(subscription)
        if seen is None or (subscription.secret and not seen.secret):
            merged[subscription] = subscription if seen is None else Subscription(
                seen.protocol, seen.endpoint, True)
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


def _printable(name: object, key: str, default: str, max_len: int) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= max_len \
            or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ConfigError(key, f"{name!r} is empty, too long or has control characters",
                          f"1-{max_len} printable characters (default {default})")


def _choice(values: Mapping[str, str], key: str, choices: tuple[str, ...], rule: str) -> Any:
    text = values.get(key, choices[0])
    if text not in choices:
        raise ConfigError(key, f"unknown value {text!r}", rule)
    return text


def _match(pattern: re.Pattern[str], value: str, key: str, rule: str) -> None:
    if not pattern.fullmatch(value):
        raise ConfigError(key, f"{value!r} is malformed", rule)


def _fmt(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


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

