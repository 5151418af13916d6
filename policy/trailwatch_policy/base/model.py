"""The control's resources as plain facts, whoever read them.

The policy pack reads them from Pulumi resources at preview, the audit from AWS APIs.
Both turn what they read into these types and hand them to the same pure evaluation
(`trailwatch_policy.chain`), so "a working alarm" means one thing everywhere.

A value that cannot be known yet (an ARN at preview) is `UNKNOWN`, never a guess:
rules that need it report "cannot be verified" instead of passing or failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias, TypeVar


class Unknown:
    """A value the engine will only know after `pulumi up` (or the auditor may not read)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown must never be mistaken for a decision
        raise TypeError("UNKNOWN has no truth value; test `is UNKNOWN` first")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()
T = TypeVar("T")
Maybe: TypeAlias = T | Unknown
"""A value, or UNKNOWN. `None` keeps its own meaning: the property is absent."""


@dataclass(frozen=True)
class Ref:
    """How one resource points at another.

    `value` is the literal text (a name or an ARN, `None` when absent); `sources` are the
    ids (URNs) of the resources it was computed from (Pulumi property dependencies).
    At preview the value is often UNKNOWN while the sources still tell where it came from.
    """

    value: Maybe[str] | None = None
    sources: frozenset[str] = frozenset()
    # The resources a *known* value was computed from. Never used to link (a value built
    # from a name may name another resource); only to place an ARN built from its own
    # resource's name, e.g. "arn:...:<account from getCallerIdentity>:" + topic.name.
    derived: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Where:
    """The account and Region a resource is created in; see `trailwatch_policy.rules.where`.

    Each is a literal, a `~symbol` (provably shared but not written down), UNKNOWN, or
    None (not modelled: the audit reads one account and Region at a time).
    """

    account: Maybe[str] | None = None
    region: Maybe[str] | None = None


ANYWHERE: Final = Where()


@dataclass(frozen=True)
class Trail:
    """A CloudTrail trail: where it delivers (its CloudWatch Logs group) and which management events it records."""

    id: str  # where findings about the trail are reported (URN or trail ARN)
    name: Maybe[str] | None
    log_group: Ref  # cloudWatchLogsGroupArn / CloudWatchLogsLogGroupArn
    multi_region: Maybe[bool] | None = None
    logging: Maybe[bool] | None = None
    # "all" | "read" | "write" | "none": management events the selectors record.
    management_events: Maybe[str] | None = "all"
    region: str | None = None  # home region (audit)
    account: str | None = None  # owning account (audit)
    # Management event sources the selectors exclude (e.g. "kms.amazonaws.com").
    excluded_sources: Maybe[tuple[str, ...]] = ()
    where: Where = ANYWHERE


@dataclass(frozen=True)
class LogGroup:
    """A CloudWatch Logs log group, declared (pack) or read (audit)."""

    id: str
    name: Maybe[str] | None
    arn: Maybe[str] | None = None
    account: str | None = None
    where: Where = ANYWHERE
    # `namePrefix`: the provider completes the name at create time (unknown at preview).
    name_prefix: Maybe[str] | None = None
    autonamed: bool = False  # `name` is `<logical>-<7 hex>`, chosen by the provider


@dataclass(frozen=True)
class MetricTransformation:
    """What a metric filter publishes for each matching event: a metric, its value and dimensions."""

    name: Maybe[str] | None
    namespace: Maybe[str] | None
    value: Maybe[str] | None  # "1", "$.count", ... (CloudWatch takes a string)
    default_value: Maybe[float] | None = None
    dimensions: Maybe[Mapping[str, str]] = field(default_factory=dict)
    unit: Maybe[str] | None = None  # None: published with unit "None"


@dataclass(frozen=True)
class MetricFilter:
    """A metric filter on a log group: its pattern and the metrics it publishes."""

    id: str
    name: Maybe[str] | None
    log_group: Ref  # logGroupName
    pattern: Maybe[str] | None
    metrics: tuple[MetricTransformation, ...] = ()
    where: Where = ANYWHERE


@dataclass(frozen=True)
class MetricStat:
    """One metric and the statistic an alarm's metric query reads from it."""

    namespace: Maybe[str] | None
    metric_name: Maybe[str] | None
    stat: Maybe[str] | None
    period: Maybe[float] | None = None
    dimensions: Maybe[Mapping[str, str]] = field(default_factory=dict)
    unit: Maybe[str] | None = None


@dataclass(frozen=True)
class MetricQuery:
    """One query of a metric-math alarm: a metric statistic or an expression over others."""

    id: Maybe[str] | None
    metric: MetricStat | None = None
    expression: Maybe[str] | None = None
    return_data: Maybe[bool] | None = None  # absent = returned when it is the only query
    account_id: Maybe[str] | None = None  # a cross-account metric query (accountId)


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch metric alarm: the metric (or metric math) it watches, when it fires, whom it notifies."""

    id: str
    name: Maybe[str] | None
    namespace: Maybe[str] | None = None
    metric_name: Maybe[str] | None = None
    dimensions: Maybe[Mapping[str, str]] = field(default_factory=dict)
    statistic: Maybe[str] | None = None
    extended_statistic: Maybe[str] | None = None
    period: Maybe[float] | None = None
    queries: tuple[MetricQuery, ...] = ()
    threshold: Maybe[float] | None = None
    comparison: Maybe[str] | None = None
    evaluation_periods: Maybe[float] | None = None
    datapoints_to_alarm: Maybe[float] | None = None
    treat_missing_data: Maybe[str] | None = None
    actions_enabled: Maybe[bool] | None = None
    alarm_actions: tuple[Ref, ...] = ()
    unit: Maybe[str] | None = None
    threshold_metric_id: Maybe[str] | None = None  # an anomaly-detection band alarm
    evaluate_low_sample_count_percentiles: Maybe[str] | None = None
    arn: Maybe[str] | None = None  # aws:SourceArn of its SNS publishes
    account: Maybe[str] | None = None  # the account it lives in, when known
    where: Where = ANYWHERE


@dataclass(frozen=True)
class CompositeAlarm:
    """An `aws:cloudwatch/compositeAlarm:CompositeAlarm`: notifies when its rule is TRUE."""

    id: str
    name: Maybe[str] | None
    rule: Maybe[str] | None  # alarmRule, e.g. 'ALARM("unauthorized-api-calls")'
    rule_sources: frozenset[str] = frozenset()  # URNs the rule was computed from
    actions_enabled: Maybe[bool] | None = None
    alarm_actions: tuple[Ref, ...] = ()
    suppressor: Maybe[str] | None = None  # actionsSuppressor
    arn: Maybe[str] | None = None
    account: Maybe[str] | None = None
    where: Where = ANYWHERE


@dataclass(frozen=True)
class Key:
    """A KMS key an SNS topic is encrypted with (a stack's `aws:kms/key:Key`, or read by the audit)."""

    id: str
    key_id: Maybe[str] | None = None
    arn: Maybe[str] | None = None
    aliases: tuple[str, ...] = ()  # "alias/name"
    enabled: Maybe[bool] | None = True
    aws_managed: Maybe[bool] | None = False
    policy: object = None  # the key policy (dict/JSON text), UNKNOWN, or None = the default policy
    policy_sources: frozenset[str] = frozenset()  # URNs the policy was computed from


@dataclass(frozen=True)
class Topic:
    """An SNS topic alarms notify: its encryption, its policy and whether it exists."""

    id: str
    name: Maybe[str] | None
    arn: Maybe[str] | None = None
    kms_master_key_id: Maybe[str] | None = None
    # Whether the topic policy lets cloudwatch.amazonaws.com publish: True, False, or
    # None when the default policy applies (the owner account only: CloudWatch alarms
    # of the same account can publish).
    cloudwatch_can_publish: Maybe[bool] | None = None
    # False: a reader looked the topic up and it does not exist (deleted): the alarm's
    # notifications go nowhere. A declared topic (pack) always exists.
    exists: bool = True
    fifo: Maybe[bool] | None = None
    # The topic policy document itself (dict/JSON text, UNKNOWN; None = the default policy),
    # evaluated per alarm (aws:SourceArn) by `topic.topic_problems`; when set it wins over
    # `cloudwatch_can_publish`.
    policy: object = None
    policy_sources: frozenset[str] = frozenset()  # URNs the policy was computed from
    kms_key_sources: frozenset[str] = frozenset()  # URNs KmsMasterKeyId was computed from
    where: Where = ANYWHERE


@dataclass(frozen=True)
class Subscription:
    """A subscription to a topic: who receives its messages, and which ones (its filter policy)."""

    id: str
    topic: Ref
    protocol: Maybe[str] | None
    endpoint: Maybe[str] | None = None
    confirmed: Maybe[bool] | None = True  # the audit knows; a declared subscription is expected to be
    filter_policy: object = None  # JSON text/dict, UNKNOWN, or None (every message)
    filter_policy_scope: Maybe[str] | None = None  # "MessageAttributes" (default) | "MessageBody"
    # ConfirmationWasAuthenticated, as a reader found it (the audit); None: not known (the pack).
    # False: anyone holding the unsubscribe link of a notification can unsubscribe it.
    confirmation_authenticated: Maybe[bool] | None = None
    where: Where = ANYWHERE


@dataclass(frozen=True)
class Inventory:
    """Everything relevant in one stack (pack) or one account and region (audit)."""

    trails: tuple[Trail, ...] = ()
    log_groups: tuple[LogGroup, ...] = ()
    filters: tuple[MetricFilter, ...] = ()
    alarms: tuple[Alarm, ...] = ()
    topics: tuple[Topic, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    composite_alarms: tuple[CompositeAlarm, ...] = ()
    keys: tuple[Key, ...] = ()
