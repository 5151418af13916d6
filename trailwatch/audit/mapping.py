"""AWS API responses (plain dicts, as boto3 returns them) -> the shared model.

Pure functions, no boto3: each is unit-tested on response shapes that moto cannot
produce (PendingConfirmation, advanced selectors without management events, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    CompositeAlarm,
    Key,
    Maybe,
    MetricFilter,
    MetricQuery,
    MetricStat,
    MetricTransformation,
    Ref,
    Subscription,
    Topic,
    Trail,
)
from trailwatch_policy.rules.topic import is_aws_managed_sns_key
from trailwatch_policy.rules.trail import excluded_event_sources, management_events

__all__ = [
    "management_events",
    "excluded_event_sources",
    "trail",
    "metric_filter",
    "alarm",
    "topic",
    "subscription",
    "key",
]

from . import arns


def trail(
    description: Mapping[str, Any],
    *,
    logging: Maybe[bool] | None,
    management: Maybe[str] | None,
    excluded: Maybe[tuple[str, ...]] = (),
) -> Trail:
    arn = description.get("TrailARN") or description.get("Name") or "?"
    parsed = arns.parse(arn)
    return Trail(
        id=arn,
        name=description.get("Name"),
        log_group=Ref(value=description.get("CloudWatchLogsLogGroupArn")),
        multi_region=bool(description.get("IsMultiRegionTrail", False)),
        logging=logging,
        management_events=management,
        excluded_sources=excluded,
        region=description.get("HomeRegion") or (parsed.region if parsed else None),
        account=parsed.account if parsed else None,
    )


def metric_filter(response: Mapping[str, Any], *, region: str, account: str) -> MetricFilter:
    group = response.get("logGroupName", "")
    name = response.get("filterName", "")
    return MetricFilter(
        id=f"arn:aws:logs:{region}:{account}:log-group:{group}:metric-filter:{name}",
        name=name,
        log_group=Ref(value=group),
        pattern=response.get("filterPattern", ""),
        metrics=tuple(
            MetricTransformation(
                name=t.get("metricName"),
                namespace=t.get("metricNamespace"),
                value=t.get("metricValue"),
                default_value=t.get("defaultValue"),
                dimensions=dict(t.get("dimensions") or {}),
                unit=t.get("unit"),
            )
            for t in response.get("metricTransformations") or []
        ),
    )


def _dimensions(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in items or [] if "Name" in d}


def alarm(response: Mapping[str, Any]) -> Alarm:
    queries = []
    for query in response.get("Metrics") or []:
        stat = query.get("MetricStat")
        metric = None
        if stat:
            inner = stat.get("Metric") or {}
            metric = MetricStat(
                namespace=inner.get("Namespace"),
                metric_name=inner.get("MetricName"),
                stat=stat.get("Stat"),
                period=stat.get("Period"),
                dimensions=_dimensions(inner.get("Dimensions")),
                unit=stat.get("Unit"),
            )
        queries.append(
            MetricQuery(
                id=query.get("Id"),
                metric=metric,
                expression=query.get("Expression"),
                return_data=query.get("ReturnData"),
                account_id=query.get("AccountId"),
            )
        )
    arn = response.get("AlarmArn")
    parsed = arns.parse(arn) if isinstance(arn, str) else None
    return Alarm(
        id=response.get("AlarmArn") or response.get("AlarmName", "?"),
        name=response.get("AlarmName"),
        namespace=response.get("Namespace"),
        metric_name=response.get("MetricName"),
        dimensions=_dimensions(response.get("Dimensions")),
        statistic=response.get("Statistic"),
        extended_statistic=response.get("ExtendedStatistic"),
        period=response.get("Period"),
        queries=tuple(queries),
        threshold=response.get("Threshold"),
        comparison=response.get("ComparisonOperator"),
        evaluation_periods=response.get("EvaluationPeriods"),
        datapoints_to_alarm=response.get("DatapointsToAlarm"),
        treat_missing_data=response.get("TreatMissingData"),
        actions_enabled=response.get("ActionsEnabled"),
        alarm_actions=tuple(Ref(value=a) for a in response.get("AlarmActions") or []),
        unit=response.get("Unit"),
        threshold_metric_id=response.get("ThresholdMetricId"),
        evaluate_low_sample_count_percentiles=response.get("EvaluateLowSampleCountPercentile"),
        arn=arn,
        account=parsed.account if parsed else None,
    )


def composite_alarm(response: Mapping[str, Any]) -> CompositeAlarm:
    """A composite alarm from `describe_alarms` (AlarmTypes CompositeAlarm)."""
    arn = response.get("AlarmArn")
    parsed = arns.parse(arn) if isinstance(arn, str) else None
    return CompositeAlarm(
        id=arn or response.get("AlarmName", "?"),
        name=response.get("AlarmName"),
        rule=response.get("AlarmRule"),
        actions_enabled=response.get("ActionsEnabled"),
        alarm_actions=tuple(Ref(value=a) for a in response.get("AlarmActions") or []),
        suppressor=response.get("ActionsSuppressor") or None,
        arn=arn,
        account=parsed.account if parsed else None,
    )


def sns_topics(alarm_: Alarm | CompositeAlarm) -> list[str]:
    """The SNS topic ARNs among an alarm's actions."""
    found: list[str] = []
    for ref in alarm_.alarm_actions:
        value = ref.value
        if not isinstance(value, str):
            continue
        parsed = arns.parse(value)
        if parsed is not None and parsed.service == "sns":
            found.append(value)
    return found


def topic(arn: str, attributes: Mapping[str, str] | None) -> Topic:
    """A topic from `get_topic_attributes`; `None` attributes = the auditor may not read them."""
    name = arn.rsplit(":", 1)[-1]
    if attributes is None:
        return Topic(id=arn, name=name, arn=arn, kms_master_key_id=UNKNOWN, cloudwatch_can_publish=UNKNOWN)
    policy = attributes.get("Policy") or None
    return Topic(
        id=arn,
        name=name,
        arn=arn,
        kms_master_key_id=attributes.get("KmsMasterKeyId") or None,
        fifo=str(attributes.get("FifoTopic", "false")).lower() == "true",
        policy=policy,  # evaluated per alarm (aws:SourceArn) by the shared rules
    )


def topic_key(topic_attributes: Mapping[str, str] | None) -> str | None:
    """The customer-managed KMS key a topic names, to read (None: none, or alias/aws/sns)."""
    value = (topic_attributes or {}).get("KmsMasterKeyId") or None
    return None if value is None or is_aws_managed_sns_key(value) else value


def key(
    reference: str, description: Mapping[str, Any] | None, policy: str | None, *, described: bool, policy_read: bool
) -> Key:
    """A KMS key from `DescribeKey` and `GetKeyPolicy` (`reference`: the topic's KmsMasterKeyId).

    `described`/`policy_read` False = the auditor may not read it: UNKNOWN, never a guess.
    A key DescribeKey does not find (deleted) is not enabled."""
    meta = (description or {}).get("KeyMetadata") or {}
    arn = meta.get("Arn") or (reference if reference.startswith("arn:") else None)
    aliases = (reference,) if reference.startswith("alias/") or ":alias/" in reference else ()
    enabled: Maybe[bool] = UNKNOWN
    if described:
        enabled = bool(meta.get("Enabled")) and meta.get("KeyState", "Enabled") == "Enabled"
    return Key(
        id=arn or reference,
        key_id=meta.get("KeyId") or None,
        arn=arn,
        aliases=aliases,
        enabled=enabled,
        aws_managed=(meta.get("KeyManager") == "AWS") if described and meta else (False if described else UNKNOWN),
        policy=policy if policy_read else UNKNOWN,
    )


def deleted_topic(arn: str) -> Topic:
    """A topic an alarm names that `get_topic_attributes` reports as NotFound."""
    return Topic(id=arn, name=arn.rsplit(":", 1)[-1], arn=arn, exists=False)


def subscription(
    response: Mapping[str, Any], attributes: Mapping[str, str] | None = None, *, unreadable: bool = False
) -> Subscription:
    """A subscription from `list_subscriptions_by_topic` and, when read,
    `get_subscription_attributes`
    (https://docs.aws.amazon.com/sns/latest/api/API_GetSubscriptionAttributes.html).

    Confirmed = the SubscriptionArn is an ARN (not `PendingConfirmation`/`Deleted`) and the
    attributes do not say `PendingConfirmation` true. The filter policy and its scope are
    the attributes' (`FilterPolicyScope` defaults to MessageAttributes when a policy is
    set); `unreadable` = the attributes could not be read: the filter policy is UNKNOWN
    (whether the subscription delivers an alarm cannot be verified), never "none"."""
    arn = response.get("SubscriptionArn") or ""
    confirmed: Maybe[bool] = arn.startswith("arn:")
    filter_policy: object = None
    scope: Maybe[str] | None = None
    authenticated: Maybe[bool] | None = None
    if unreadable and confirmed:
        filter_policy = scope = authenticated = UNKNOWN
    elif attributes is not None:
        if str(attributes.get("PendingConfirmation", "false")).lower() == "true":
            confirmed = False
        filter_policy = attributes.get("FilterPolicy") or None
        if filter_policy is not None:
            scope = attributes.get("FilterPolicyScope") or "MessageAttributes"
        if "ConfirmationWasAuthenticated" in attributes:
            authenticated = str(attributes["ConfirmationWasAuthenticated"]).lower() == "true"
    return Subscription(
        id=arn if arn.startswith("arn:") else f"{response.get('TopicArn')}/{response.get('Endpoint')}",
        topic=Ref(value=response.get("TopicArn")),
        protocol=response.get("Protocol"),
        endpoint=response.get("Endpoint"),
        confirmed=confirmed,
        filter_policy=filter_policy,
        filter_policy_scope=scope,
        confirmation_authenticated=authenticated,
    )


def unreadable_subscriptions(topic_arn: str) -> Subscription:
    """Stands for the subscriptions of a topic the auditor may not list: cannot be verified."""
    return Subscription(
        id=f"{topic_arn}/subscriptions",
        topic=Ref(value=topic_arn),
        protocol=UNKNOWN,
        endpoint=UNKNOWN,
        confirmed=UNKNOWN,
    )
