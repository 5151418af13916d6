"""The controls themselves: metric filter -> alarm -> topic on a CloudTrail log group.

`UnauthorizedApiCallsMonitor` creates the CIS AWS Foundations monitoring section's
remediation -- 4.1 (unauthorized API calls, Security Hub CloudWatch.2) and, selected by
`controls=` (default: all), the other 14 controls (docs/controls.md): one filter and one
alarm per control, one shared topic -- with the values everyone uses (metric value 1,
default 0, Sum over 300 s, threshold 1, >=, one period, missing data not breaching) and the
parts scanners do not check but a working alarm needs (a topic CloudWatch can publish to, a
subscriber). 4.1's resources, names and outputs are those of earlier versions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from trailwatch.config import (DEFAULT_METRIC_NAME, DEFAULT_METRIC_NAMESPACE, DEFAULT_PERIOD,
                               Settings, default_name)
from trailwatch.patterns import ALL_CONTROLS, CIS_2_0, CONTROLS, Control, ControlId, find_control
from trailwatch.topic import AlarmTopic, AlarmTopicArgs
from trailwatch.trail import CloudTrailLogging, CloudTrailLoggingArgs

TYPE = "trailwatch:index:UnauthorizedApiCallsMonitor"


@dataclass
class UnauthorizedApiCallsMonitorArgs:
    """Set exactly one of `log_group_name` (an existing CloudTrail log group) or `trail`.

    `metric_filter_name` and `alarm_name` (4.1's) default to `Unauthorized_API_Calls-<project>-<stack>`
    so that several stacks in one account and region do not collide; the other controls'
    filters and alarms are named `<metric>-<project>-<stack>` (e.g. `RootAccountUsage-app-prod`).
    `controls`: the CIS 1.4 ids to deploy (Security Hub ids and policy names are accepted too);
    None deploys the whole section.
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
    controls: Sequence[ControlId] | None = None

    def __post_init__(self) -> None:
        if (self.log_group_name is None) == (self.trail is None):
            raise ValueError("UnauthorizedApiCallsMonitorArgs: set exactly one of log_group_name "
                             "(existing CloudTrail log group) or trail (create one)")
        if self.controls is not None:
            if isinstance(self.controls, str) or not self.controls:
                raise ValueError("UnauthorizedApiCallsMonitorArgs: controls is a non-empty list of control "
                                 "ids such as [\"4.1\", \"4.3\"] (None: all 15)")
            for ident in self.controls:
                if not isinstance(ident, str) or find_control(ident) is None:
                    raise ValueError(f"UnauthorizedApiCallsMonitorArgs: unknown control {ident!r}; give CIS "
                                     "1.4 ids 4.1 .. 4.15 (or Security Hub ids, policy names); see docs/controls.md")

    def selected(self) -> tuple[Control, ...]:
        """The controls to deploy, in table order."""
        if self.controls is None:
            return CONTROLS
        chosen = {c.id for c in (find_control(i) for i in self.controls) if c is not None}
        return tuple(c for c in CONTROLS if c.id in chosen)

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
            controls=None if settings.controls == ALL_CONTROLS else list(settings.controls),  # type: ignore[arg-type]
        )


class UnauthorizedApiCallsMonitor(pulumi.ComponentResource):
    """Metric filter, alarm and alarm topic (and optionally the trail) for unauthorized API calls."""

    topic_arn: pulumi.Output[str]
    alarm_name: pulumi.Output[str] | None  # 4.1's (None when 4.1 is not selected)
    alarm_arn: pulumi.Output[str] | None
    metric_filter_name: pulumi.Output[str] | None
    metric_namespace: pulumi.Output[str] | None
    metric_name: pulumi.Output[str] | None
    log_group_name: pulumi.Output[str]
    #: per deployed control (CIS 1.4 id): its alarm's name
    control_alarm_names: dict[str, pulumi.Output[str]]
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

        selected = args.selected()
        self.control_alarm_names = {}
        first: tuple[aws.cloudwatch.LogMetricFilter, aws.cloudwatch.MetricAlarm] | None = None
        for control in selected:
            made = self._control(name, control, args, log_group_name, unique, tags, child)
            self.control_alarm_names[control.id] = made[1].name
            if control.id == "4.1":
                first = made

        self.topic_arn = self.topic.topic_arn
        self.log_group_name = pulumi.Output.from_input(log_group_name)
        self.alarm_name = self.alarm_arn = self.metric_filter_name = None
        self.metric_namespace = self.metric_name = None
        if first is not None:
            metric_filter, alarm = first
            self.alarm_name = alarm.name
            self.alarm_arn = alarm.arn
            self.metric_filter_name = metric_filter.name
            self.metric_namespace = metric_filter.metric_transformation.namespace
            self.metric_name = metric_filter.metric_transformation.name
            self.log_group_name = metric_filter.log_group_name
        outputs: dict[str, object] = {
            "topicArn": self.topic_arn, "alarmName": self.alarm_name, "alarmArn": self.alarm_arn,
            "metricFilterName": self.metric_filter_name, "metricNamespace": self.metric_namespace,
            "metricName": self.metric_name, "logGroupName": self.log_group_name,
            "controlAlarmNames": self.control_alarm_names,
        }
        if self.trail_arn is not None:
            outputs["trailArn"] = self.trail_arn
        self.register_outputs(outputs)

    def _control(self, name: str, control: Control, args: UnauthorizedApiCallsMonitorArgs,
                 log_group_name: pulumi.Input[str], unique: str, tags: dict[str, str],
                 child: pulumi.ResourceOptions) -> tuple[aws.cloudwatch.LogMetricFilter, aws.cloudwatch.MetricAlarm]:
        """One control's filter and alarm on the log group, notifying the shared topic.
        4.1 keeps its historical resource names, metric name and pattern profile."""
        legacy = control.id == "4.1"
        slug = "" if legacy else "-" + control.policy.removesuffix("-monitored")
        own_name = f"{control.metric}-{unique.split('-', 1)[1]}" if not legacy else None
        metric_filter = aws.cloudwatch.LogMetricFilter(
            f"{name}{slug}-filter",
            name=(args.metric_filter_name or unique) if legacy else own_name,
            log_group_name=log_group_name,
            pattern=args.pattern if legacy else control.pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=args.metric_name if legacy else control.metric, namespace=args.metric_namespace,
                value="1", default_value="0"),
            opts=child,
        )
        transformation = metric_filter.metric_transformation
        topic_actions = [self.topic.topic_arn]
        label = f"CIS AWS {control.id}" + (f" / Security Hub {control.securityhub}" if control.securityhub else "")
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}{slug}-alarm",
            name=(args.alarm_name or unique) if legacy else own_name,
            alarm_description=pulumi.Output.concat(
                f"{label}: {control.what} recorded in ", log_group_name, " (trailwatch)"),
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
        return metric_filter, alarm
