"""The control itself: metric filter -> alarm -> topic on a CloudTrail log group.

`UnauthorizedApiCallsMonitor` creates the CIS AWS 4.1 / Security Hub CloudWatch.2
remediation with the values everyone uses (metric value 1, default 0, Sum over 300 s,
threshold 1, >=, one period, missing data not breaching) and the parts scanners do not
check but a working alarm needs (a topic CloudWatch can publish to, a subscriber).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from trailwatch.config import (DEFAULT_METRIC_NAME, DEFAULT_METRIC_NAMESPACE, DEFAULT_PERIOD,
                               Settings, default_name)
from trailwatch.patterns import CIS_2_0
from trailwatch.topic import AlarmTopic, AlarmTopicArgs
from trailwatch.trail import CloudTrailLogging, CloudTrailLoggingArgs

TYPE = "trailwatch:index:UnauthorizedApiCallsMonitor"


@dataclass
class UnauthorizedApiCallsMonitorArgs:
    """Set exactly one of `log_group_name` (an existing CloudTrail log group) or `trail`.

    `metric_filter_name` and `alarm_name` default to `Unauthorized_API_Calls-<project>-<stack>`
    so that several stacks in one account and region do not collide.
    """

    topic: AlarmTopicArgs
    log_group_name: pulumi.Input[str] | None = None
    trail: CloudTrailLoggingArgs | None = None
    pattern: str = CIS_2_0
    metric_namespace: str = DEFAULT_METRIC_NAMESPACE
    metric_name: str = DEFAULT_METRIC_NAME
    metric_filter_name: str | None = None
    alarm_name: str | None = None
    alarm_period: int = DEFAULT_PERIOD
    alarm_threshold: float = 1.0
    alarm_evaluation_periods: int = 1
    ok_actions: bool = False
    tags: Mapping[str, str] = field(default_factory=lambda: {"managed-by": "trailwatch"})

    def __post_init__(self) -> None:
        if (self.log_group_name is None) == (self.trail is None):
            raise ValueError("UnauthorizedApiCallsMonitorArgs: set exactly one of log_group_name "
                             "(existing CloudTrail log group) or trail (create one)")

    @classmethod
    def from_settings(cls, settings: Settings) -> "UnauthorizedApiCallsMonitorArgs":
        """The component arguments a validated stack configuration asks for."""
        tags = dict(settings.tags)
        return cls(
            topic=AlarmTopicArgs(subscriptions=settings.subscriptions, topic_arn=settings.topic_arn,
                                 encryption=settings.topic_encryption, kms_key_id=settings.kms_key_id,
                                 tags=tags),
            log_group_name=settings.log_group_name,
            trail=CloudTrailLoggingArgs(trail_name=settings.trail_name,
                                        log_retention_days=settings.log_retention_days, tags=tags)
            if settings.create_trail else None,
            pattern=settings.pattern,
            metric_namespace=settings.metric_namespace,
            metric_name=settings.metric_name,
            metric_filter_name=settings.metric_filter_name,
            alarm_name=settings.alarm_name,
            alarm_period=settings.alarm_period,
            alarm_threshold=settings.alarm_threshold,
            alarm_evaluation_periods=settings.alarm_evaluation_periods,
            ok_actions=settings.ok_actions,
            tags=tags,
        )


class UnauthorizedApiCallsMonitor(pulumi.ComponentResource):
    """Metric filter, alarm and alarm topic (and optionally the trail) for unauthorized API calls."""

    topic_arn: pulumi.Output[str]
    alarm_name: pulumi.Output[str]
    alarm_arn: pulumi.Output[str]
    metric_filter_name: pulumi.Output[str]
    metric_namespace: pulumi.Output[str]
    metric_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    trail_arn: pulumi.Output[str] | None
    topic: AlarmTopic
    trail: CloudTrailLogging | None

    def __init__(self, name: str, args: UnauthorizedApiCallsMonitorArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        unique = default_name(pulumi.get_project(), pulumi.get_stack())

        self.trail = None
        self.trail_arn = None
        if args.trail is not None:
            self.trail = CloudTrailLogging(f"{name}-cloudtrail", args.trail, opts=child)
            self.trail_arn = self.trail.trail_arn
            # The log group's output, not its name as text: the engine then records that the
            # filter's logGroupName comes from that resource.
            log_group_name: pulumi.Input[str] = self.trail.log_group_name
        else:
            assert args.log_group_name is not None  # __post_init__
            log_group_name = args.log_group_name

        self.topic = AlarmTopic(f"{name}-topic", args.topic, opts=child)

        metric_filter = aws.cloudwatch.LogMetricFilter(
            f"{name}-filter",
            name=args.metric_filter_name or unique,
            log_group_name=log_group_name,
            pattern=args.pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=args.metric_name, namespace=args.metric_namespace, value="1", default_value="0"),
            opts=child,
        )
        transformation = metric_filter.metric_transformation
        topic_actions = [self.topic.topic_arn]
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm",
            name=args.alarm_name or unique,
            alarm_description=pulumi.Output.concat(
                "CIS AWS 4.1 / Security Hub CloudWatch.2: unauthorized API calls recorded in ",
                log_group_name, " (trailwatch)"),
            # Read from the filter's outputs so the alarm provably watches the filter's metric.
            metric_name=transformation.name,
            namespace=transformation.namespace,
            statistic="Sum",
            period=args.alarm_period,
            threshold=args.alarm_threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            evaluation_periods=args.alarm_evaluation_periods,
            # One matching event must fire the alarm even over a longer evaluation window.
            datapoints_to_alarm=1 if args.alarm_evaluation_periods > 1 else None,
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=topic_actions,
            ok_actions=topic_actions if args.ok_actions else None,
            tags=tags,
            opts=child,
        )

        self.topic_arn = self.topic.topic_arn
        self.alarm_name = alarm.name
        self.alarm_arn = alarm.arn
        self.metric_filter_name = metric_filter.name
        self.metric_namespace = transformation.namespace
        self.metric_name = transformation.name
        self.log_group_name = metric_filter.log_group_name
        outputs = {
            "topicArn": self.topic_arn, "alarmName": self.alarm_name, "alarmArn": self.alarm_arn,
            "metricFilterName": self.metric_filter_name, "metricNamespace": self.metric_namespace,
            "metricName": self.metric_name, "logGroupName": self.log_group_name,
        }
        if self.trail_arn is not None:
            outputs["trailArn"] = self.trail_arn
        self.register_outputs(outputs)
