"""The rules on typed values, shared by the stack configuration and the components' arguments.

Each raises `ConfigError` naming the config key (`trailwatch:alarmPeriod`) and what it
accepts, so a library user of `UnauthorizedApiCallsMonitorArgs` gets the message a stack gets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, TypeGuard
from urllib.parse import urlsplit

from trailwatch.component.patterns import (
    ACCEPTED_BY,
    DEFAULT_PROFILE,
    NEEDS,
    PROFILES,
    SCANNERS,
    accepting_scanners,
    profiles_accepted_by,
)
from trailwatch.config.model import (
    DEFAULT_METRIC_NAME,
    EMAIL,
    KMS_KEY,
    LAMBDA_ARN,
    LOG_GROUP_NAME,
    METRIC_NAMESPACE,
    MIN_RECOMMENDED_RETENTION_DAYS,
    NAMESPACE,
    RETENTION_DAYS,
    SQS_ARN,
    TOPIC_ARN,
    TRAIL_NAME,
    ConfigError,
    Protocol,
    Subscription,
    TopicEncryption,
)

_RETENTION_RULE: Final = "one of " + ", ".join(map(str, RETENTION_DAYS)) + " (0 = never expire; default 365)"
_PERIOD_RULE: Final = "a multiple of 60 from 60 to 86400 seconds (default 300)"
_PERIODS_RULE: Final = "an integer >= 1 (default 1)"


def check_log_group_name(name: object) -> None:
    """An existing log group's name (not its ARN)."""
    if not isinstance(name, str):
        raise ConfigError("logGroupName", f"{name!r} is not a string", "a CloudWatch Logs group name")
    if name.startswith("arn:"):
        raise ConfigError(
            "logGroupName", f"{name!r} is an ARN", "the log group name, e.g. aws-controltower/CloudTrailLogs"
        )
    _match(LOG_GROUP_NAME, name, "logGroupName", "a CloudWatch Logs group name: 1-512 of A-Z a-z 0-9 . - _ / #")


def check_trail_name(name: str) -> None:
    rule = (
        "3-128 of letters, digits, . _ -, starting and ending with a letter or digit, "
        "no adjacent . _ - (default trailwatch-<project>-<stack>)"
    )
    if (
        not isinstance(name, str)
        or not TRAIL_NAME.fullmatch(name)
        or re.search(r"[._-]{2}", name)
        or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name)
    ):
        raise ConfigError("trailName", f"{name!r} is not a valid trail name", rule)


def check_retention(days: int) -> list[str]:
    """Reject what CloudWatch Logs refuses; return a warning below Security Hub CloudWatch.16's 365 days."""
    if isinstance(days, bool) or days not in RETENTION_DAYS:
        raise ConfigError("logRetentionDays", f"{days} is not a CloudWatch Logs retention period", _RETENTION_RULE)
    if 0 < days < MIN_RECOMMENDED_RETENTION_DAYS:
        return [
            (
                f"{NAMESPACE}:logRetentionDays is {days}: CloudTrail events leave the log group after {days} days, "
                f"below the {MIN_RECOMMENDED_RETENTION_DAYS} days Security Hub CloudWatch.16 and AWS Config "
                "cw-loggroup-retention-period-check expect (set 365 or more, or 0 = never expire)"
            )
        ]
    return []


def check_names(*, metric_namespace: str, metric_name: str, metric_filter_name: str, alarm_name: str) -> None:
    _match(
        METRIC_NAMESPACE,
        metric_namespace,
        "metricNamespace",
        "1-255 of A-Z a-z 0-9 space . - _ / # : (default CISBenchmark)",
    )
    if metric_namespace.startswith("AWS/"):
        raise ConfigError(
            "metricNamespace",
            f"{metric_namespace!r} is reserved for AWS services",
            "a namespace not starting with AWS/ (default CISBenchmark)",
        )
    _printable(metric_name, "metricName", f"{DEFAULT_METRIC_NAME}-<project>-<stack>", 255)
    _printable(metric_filter_name, "metricFilterName", "Unauthorized_API_Calls-<project>-<stack>", 512)
    if ":" in metric_filter_name or "*" in metric_filter_name:
        raise ConfigError(
            "metricFilterName", f"{metric_filter_name!r} contains ':' or '*'", "1-512 characters without ':' and '*'"
        )
    _printable(alarm_name, "alarmName", "Unauthorized_API_Calls-<project>-<stack>", 255)


def check_alarm(*, period: int, threshold: float, evaluation_periods: int) -> None:
    if isinstance(period, bool) or not isinstance(period, int) or period < 60 or period % 60 or period > 86400:
        raise ConfigError("alarmPeriod", f"{period} seconds", _PERIOD_RULE)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or threshold != threshold
        or threshold in (float("inf"), float("-inf"))
    ):
        raise ConfigError("alarmThreshold", f"{threshold!r} is not a number", "a number >= 1 (default 1)")
    if threshold < 1:
        raise ConfigError(
            "alarmThreshold",
            f"{_fmt(float(threshold))} is below 1",
            "a number >= 1 (default 1: one unauthorized call fires the alarm)",
        )
    if isinstance(evaluation_periods, bool) or not isinstance(evaluation_periods, int):
        raise ConfigError("alarmEvaluationPeriods", f"{evaluation_periods!r} is not an integer", _PERIODS_RULE)
    if evaluation_periods < 1:
        raise ConfigError("alarmEvaluationPeriods", f"{evaluation_periods} is below 1", _PERIODS_RULE)
    limit = 86400 if period < 3600 else 604800
    if period * evaluation_periods > limit:
        raise ConfigError(
            "alarmEvaluationPeriods",
            f"{evaluation_periods} x {period} s exceeds CloudWatch's {limit} s evaluation range",
            f"alarmEvaluationPeriods x alarmPeriod <= {limit}",
        )


def check_topic(*, topic_arn: str | None, encryption: str, kms_key_id: object, region: str | None) -> None:
    """An existing topic's ARN (in the stack's region), or how a new topic is encrypted."""
    if topic_arn is not None:
        _match(TOPIC_ARN, topic_arn, "topicArn", "an SNS topic ARN arn:aws:sns:<region>:<account>:<name>")
        topic_region = topic_arn.split(":")[3]
        # Alarm actions name a topic in the alarm's own region; a topic elsewhere is refused.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
        if region is not None and topic_region != region:
            raise ConfigError(
                "topicArn",
                f"the topic is in {topic_region} but the stack deploys to {region}: "
                "a CloudWatch alarm notifies a topic in its own region only",
                f"an SNS topic in {region}, or leave unset to create one",
            )
    if not _is_encryption(encryption):
        raise ConfigError(
            "topicEncryption",
            f"unknown value {encryption!r}",
            "cmk (default: a customer-managed KMS key CloudWatch may use) or none",
        )
    if isinstance(kms_key_id, str):
        if encryption == "none":
            raise ConfigError(
                "kmsKeyId",
                "set while trailwatch:topicEncryption is none",
                "remove kmsKeyId, or set topicEncryption: cmk",
            )
        if re.search(r"(^|:)alias/aws/", kms_key_id):
            raise ConfigError(
                "kmsKeyId",
                f"{kms_key_id!r} is an AWS-managed key: CloudWatch cannot use it, "
                "so alarm notifications are silently dropped",
                "a customer-managed key whose policy lets cloudwatch.amazonaws.com use it, "
                "or leave unset to create one",
            )
        _match(KMS_KEY, kms_key_id, "kmsKeyId", "a KMS key ARN, key id, alias ARN or alias/<name>")


def check_subscriptions(subscriptions: Sequence[Subscription], *, topic_arn: str | None) -> None:
    """Each endpoint well-formed, and one the topic can deliver to; someone is notified."""
    for subscription in subscriptions:
        if not _is_protocol(subscription.protocol):
            raise ConfigError(
                "subscriptions", f"protocol {subscription.protocol!r}", "protocol one of email, https, sqs, lambda"
            )
        key = _KEY_OF[subscription.protocol]
        if not isinstance(subscription.endpoint, str) or not _valid_endpoint(
            subscription.protocol, subscription.endpoint
        ):
            raise ConfigError(key, f"{_shown(subscription)} is malformed", _ENDPOINT_RULES[subscription.protocol])
    fifo_topic = topic_arn is not None and topic_arn.endswith(".fifo")
    for subscription in subscriptions:
        key = _KEY_OF[subscription.protocol]
        # SNS FIFO topics deliver to SQS queues only; standard topics (the one trailwatch creates)
        # cannot deliver to SQS FIFO queues. https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html
        if fifo_topic and subscription.protocol != "sqs":
            raise ConfigError(
                key,
                f"{_shown(subscription)} on the FIFO topic {topic_arn}: SNS FIFO topics deliver to SQS queues only",
                "an SQS queue, or a standard (non-.fifo) topicArn",
            )
        if not fifo_topic and subscription.protocol == "sqs" and subscription.endpoint.endswith(".fifo"):
            raise ConfigError(
                key,
                f"{_named(subscription)} is a FIFO queue: a standard SNS topic cannot deliver to it",
                "a standard SQS queue (no .fifo suffix)",
            )
    if topic_arn is None and not subscriptions:
        raise ConfigError(
            "emails",
            "no subscription for the new alarm topic: nobody would be notified",
            "at least one of trailwatch:emails, httpsEndpoints, sqsQueueArns, "
            "lambdaFunctionArns, subscriptions (or an existing trailwatch:topicArn)",
        )


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
            # A secret ARN's account is part of the secret: the message says "another account".
            elsewhere = "another account" if subscription.secret else f"account {owner}"
            raise ConfigError(
                _KEY_OF[subscription.protocol],
                f"the {what} {_named(subscription)} is in {elsewhere}, not {account_id} "
                "where the stack deploys: only its owner can let this topic deliver to it",
                f"a {what} in account {account_id}, or subscribe it from {elsewhere} (output topicArn)",
            )


#: Domains reserved for documentation and testing: mail or a webhook to them reaches nobody.
#: RFC 2606 (example.com/.net/.org; .example, .test, .invalid, .localhost) and RFC 6761.
#: https://www.rfc-editor.org/rfc/rfc2606  https://www.rfc-editor.org/rfc/rfc6761
_RESERVED_DOMAINS: Final = ("example.com", "example.net", "example.org")
_RESERVED_TLDS: Final = ("example", "test", "invalid", "localhost")
#: The stand-in marker the shipped stacks use (`REPLACE-WITH-YOUR-INTEGRATION-KEY`).
_STAND_IN: Final = re.compile(r"replace[-_]with", re.IGNORECASE)


def _placeholder_reason(subscription: Subscription) -> str | None:
    endpoint = subscription.endpoint
    if _STAND_IN.search(endpoint):
        return "it contains the stand-in marker REPLACE-WITH"
    host = None
    if subscription.protocol == "email":
        host = endpoint.rpartition("@")[2]
    elif subscription.protocol == "https":
        try:
            host = urlsplit(endpoint).hostname
        except ValueError:
            host = None
    if not host:
        return None
    host = host.lower().rstrip(".")
    reserved = next((d for d in _RESERVED_DOMAINS if host == d or host.endswith("." + d)), None)
    if reserved is None and host.rpartition(".")[2] in _RESERVED_TLDS:
        reserved = "." + host.rpartition(".")[2]
    if reserved is None:
        return None
    return f"{reserved} is reserved for documentation by RFC 2606: nothing sent there reaches anyone"


def local_emulator(endpoints: object) -> bool:
    """Whether the AWS provider's `aws:endpoints` send every service to this machine (a local
    emulator such as the moto server of docs/local-emulation.md): nothing is delivered there."""
    if not isinstance(endpoints, list) or not endpoints:
        return False
    urls = [url for block in endpoints if isinstance(block, dict) for url in block.values()]
    if not urls or len(urls) != sum(len(b) for b in endpoints if isinstance(b, dict)):
        return False
    try:
        return all(isinstance(url, str) and urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1") for url in urls)
    except ValueError:
        return False


def check_placeholders(subscriptions: Sequence[Subscription], *, deploying: bool) -> list[str]:
    """Endpoints that are stand-ins (an example.com address, a REPLACE-WITH-... URL).

    A deployment (`pulumi up`) is refused on the first one, naming its key: an alarm that
    notifies nobody is the silent failure this project exists to prevent. A preview (and
    `trailwatch check`), or a deployment to a local emulator (`local_emulator`), returns one
    warning per stand-in, so the shipped examples stay runnable.
    """
    warnings: list[str] = []
    for subscription in subscriptions:
        reason = _placeholder_reason(subscription)
        if reason is None:
            continue
        key = _KEY_OF[subscription.protocol]
        if deploying:
            raise ConfigError(
                key,
                f"{_shown(subscription)} is a placeholder ({reason}); `pulumi up` does not "
                "deploy an alarm that notifies nobody",
                f"a real {subscription.protocol} endpoint (pulumi config set "
                f"{'--secret ' if subscription.secret else ''}{NAMESPACE}:{key} ...); "
                "`pulumi preview` and `trailwatch check` only warn",
            )
        warnings.append(
            f"{NAMESPACE}:{key}: {_shown(subscription)} is a placeholder ({reason}); `pulumi up` "
            "refuses it: set a real endpoint before deploying"
        )
    return warnings


def choose_profile(profile: str | None, audited_by: Sequence[str]) -> str:
    """The pattern profile: the one named, else the first every auditing scanner accepts."""
    if not audited_by:
        return profile or DEFAULT_PROFILE
    if profile is not None:
        rejecting = sorted(set(audited_by) - ACCEPTED_BY[profile])
        if rejecting:
            raise ConfigError(
                "patternProfile",
                f"{profile} is rejected by {', '.join(rejecting)} named in trailwatch:auditedBy "
                f"({'; '.join(NEEDS[s] for s in rejecting)})",
                "a profile all of them accept: " + _profiles_for(audited_by),
            )
        return profile
    candidates = profiles_accepted_by(audited_by)
    if not candidates:
        raise ConfigError(
            "auditedBy",
            f"no pattern text is accepted by all of {', '.join(audited_by)}: "
            + "; ".join(NEEDS[s] for s in audited_by),
            "scanners one profile satisfies: "
            + "; ".join(f"{name} ({', '.join(sorted(ACCEPTED_BY[name]))})" for name in PROFILES),
        )
    return candidates[0]


def check_pattern(pattern: str, audited_by: Sequence[str]) -> None:
    """A component's pattern text against the scanners said to audit the account."""
    unknown = sorted(set(audited_by) - set(SCANNERS))
    if unknown:
        raise ConfigError("auditedBy", f"unknown scanner {unknown[0]!r}", "a list of " + ", ".join(SCANNERS))
    rejecting = sorted(set(audited_by) - accepting_scanners(pattern))
    if rejecting:
        raise ConfigError(
            "auditedBy",
            f"the pattern is not known to be accepted by {', '.join(rejecting)}",
            "the text of a profile all of them accept: " + _profiles_for(audited_by),
        )


def _profiles_for(scanners: Sequence[str]) -> str:
    names = profiles_accepted_by(scanners)
    return ", ".join(names) if names else "none exists (" + "; ".join(NEEDS[s] for s in scanners) + ")"


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
    "emails": "email",
    "httpsEndpoints": "https",
    "sqsQueueArns": "sqs",
    "lambdaFunctionArns": "lambda",
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
        return (
            parts.scheme == "https"
            and bool(parts.hostname)
            and not re.search(r"\s", endpoint)
            and parts.username is None
            and parts.password is None
            and "@" not in parts.netloc
        )
    return infer_protocol(endpoint) == protocol


def _shown(subscription: Subscription) -> str:
    """An endpoint as error messages may show it: a secret one by its scheme and host only."""
    if not subscription.secret:
        return repr(subscription.endpoint)
    try:
        host = urlsplit(subscription.endpoint).hostname if isinstance(subscription.endpoint, str) else None
    except ValueError:
        host = None
    return f"the {subscription.protocol} endpoint" + (f" on host {host}" if host else "") + " (its text is kept secret)"


def _named(subscription: Subscription) -> str:
    """An endpoint in running text: its text when plain, its scheme and host only when secret."""
    return _shown(subscription) if subscription.secret else subscription.endpoint


def _printable(name: object, key: str, default: str, max_len: int) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= max_len or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ConfigError(
            key,
            f"{name!r} is empty, too long or has control characters",
            f"1-{max_len} printable characters (default {default})",
        )


def _match(pattern: re.Pattern[str], value: str, key: str, rule: str) -> None:
    if not pattern.fullmatch(value):
        raise ConfigError(key, f"{value!r} is malformed", rule)


def _fmt(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)
