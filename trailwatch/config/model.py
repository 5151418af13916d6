"""The configuration's vocabulary: keys, defaults, AWS name shapes, the error and the settings.

Pure (no Pulumi import), like the whole `trailwatch.config` package.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from trailwatch.component.patterns import ALL_CONTROLS, PROFILES
from trailwatch_policy.controls import STANDARD

NAMESPACE: Final = "trailwatch"

Protocol = Literal["email", "https", "sqs", "lambda"]
TopicEncryption = Literal["cmk", "none"]
LogEncryption = Literal["cmk", "none"]
MetricNaming = Literal["stack", "cis"]
OnDestroy = Literal["retain", "protect", "delete"]

DEFAULT_METRIC_NAMESPACE: Final = "CISBenchmark"
DEFAULT_METRIC_NAME: Final = STANDARD.primary.metric  # "UnauthorizedAPICalls" (the control table's)
SEED_ALARM_NAME: Final = STANDARD.primary.alarm  # "Unauthorized_API_Calls"
DEFAULT_RETENTION_DAYS: Final = 365
#: Security Hub CloudWatch.16 / AWS Config cw-loggroup-retention-period-check: at least 365 days
#: ("Never expire" passes). https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html
MIN_RECOMMENDED_RETENTION_DAYS: Final = 365
DEFAULT_PERIOD: Final = 300
MANAGED_BY_TAG: Final = ("managed-by", "trailwatch")

#: CloudWatch Logs' accepted retention values; 0 means "never expire" (the provider's convention).
RETENTION_DAYS: Final = (
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

#: Every key the program reads, in documentation order.
KEYS: Final = (
    "logGroupName",
    "createTrail",
    "trailName",
    "logRetentionDays",
    "controls",
    "logEncryption",
    "accessLogging",
    "bucketVersioning",
    "onDestroy",
    "patternProfile",
    "auditedBy",
    "metricNamespace",
    "metricNaming",
    "metricName",
    "metricFilterName",
    "alarmName",
    "alarmPeriod",
    "alarmThreshold",
    "alarmEvaluationPeriods",
    "okActions",
    "topicArn",
    "topicEncryption",
    "kmsKeyId",
    "emails",
    "httpsEndpoints",
    "sqsQueueArns",
    "lambdaFunctionArns",
    "subscriptions",
    "tags",
)
#: Keys that only mean something when the stack creates the trail.
CREATE_ONLY: Final = (
    "trailName",
    "logRetentionDays",
    "logEncryption",
    "accessLogging",
    "bucketVersioning",
    "onDestroy",
)

_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ACCOUNT = r"\d{12}"
SQS_ARN: Final = re.compile(rf"arn:{_PARTITION}:sqs:{_REGION}:{_ACCOUNT}:[A-Za-z0-9_-]{{1,80}}(?:\.fifo)?")
LAMBDA_ARN: Final = re.compile(
    rf"arn:{_PARTITION}:lambda:{_REGION}:{_ACCOUNT}:function:[A-Za-z0-9_-]{{1,64}}(?::[A-Za-z0-9$_-]{{1,128}})?"
)
TOPIC_ARN: Final = re.compile(rf"arn:{_PARTITION}:sns:{_REGION}:{_ACCOUNT}:[A-Za-z0-9_-]{{1,256}}(?:\.fifo)?")
KMS_KEY: Final = re.compile(
    rf"(?:arn:{_PARTITION}:kms:{_REGION}:{_ACCOUNT}:(?:key/[0-9a-f-]{{36}}|key/mrk-[0-9a-f]{{32}}|alias/[A-Za-z0-9/_-]+)"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)"
)
EMAIL: Final = re.compile(r"[^@\s\"'<>,;]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
LOG_GROUP_NAME: Final = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
TRAIL_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]")
METRIC_NAMESPACE: Final = re.compile(r"[A-Za-z0-9 .\-_/#:]{1,255}")


def misspelt_namespace(keys: Iterable[str]) -> str | None:
    """The error for a config key whose namespace is nearly `trailwatch` (`trailwach:emails`),
    which the program would otherwise never read; None when there is none."""
    for key in sorted(keys):
        namespace, sep, rest = key.partition(":")
        if sep and namespace != NAMESPACE and difflib.get_close_matches(namespace, [NAMESPACE], cutoff=0.75):
            return (
                f"invalid configuration {key}: unknown namespace {namespace!r} (did you mean "
                f"{NAMESPACE}:{rest}?); accepted: {NAMESPACE}:<key>, the only namespace this program reads"
            )
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
