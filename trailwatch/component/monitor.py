"""The controls themselves: metric filter -> alarm -> topic on a CloudTrail log group.

`UnauthorizedApiCallsMonitor` creates the CIS AWS unauthorized-API-calls monitor (CIS 1.2
§3.1, 1.4-2.0 §4.1) and, selected by `controls=` (default: all), the other 14 controls of
the CIS monitoring section (docs/controls.md) -- one filter and one alarm per control, one
shared topic; 4.1's resources, names and outputs are those of earlier versions -- with the
values everyone uses (metric value 1, default 0, Sum over
300 s, threshold 1, >=, one period, missing data not breaching) and the parts scanners do
not check but a working alarm needs (a topic CloudWatch can publish to, a subscriber).
Its arguments are validated at construction by the same rules, and with the same
one-line messages, as the stack configuration (`trailwatch.config`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from trailwatch.component.account import Placement
from trailwatch.component.patterns import CIS_2_0, ControlId, accepting_scanners, find_control
from trailwatch.component.topic import AlarmTopic, AlarmTopicArgs
from trailwatch.component.trail import CloudTrailLogging, CloudTrailLoggingArgs
from trailwatch.config import (
    DEFAULT_METRIC_NAMESPACE,
    DEFAULT_PERIOD,
    ConfigError,
    MetricNaming,
    Settings,
    check_alarm,
    check_log_group_name,
    check_names,
    check_pattern,
    check_placement,
    check_topic,
    metric_name_for,
)
from trailwatch_policy.controls import Control as Row
from trailwatch_policy.controls import table

TYPE = "trailwatch:index:UnauthorizedApiCallsMonitor"


@dataclass(frozen=True)
class Control:
    """One CIS monitoring control: a filter pattern, the metric it publishes, the alarm on it.

    `metric_base` and `alarm_base` are the benchmark's names; the stack makes them unique
    (`metric_name_for`, `default_name`). Further controls (CIS 4.2-4.15) are more `Control`s
    watched by `watch()` with the same topic.
    """

    key: str
    title: str
    pattern: str
    metric_base: str
    alarm_base: str

    @classmethod
    def of(cls, row: Row, pattern: str | None = None) -> Control:
        """What the component deploys for a row of the control table (trailwatch_policy.controls)."""
        return cls(row.filter, row.what, row.pattern if pattern is None else pattern, row.metric, row.alarm)


UNAUTHORIZED_API_CALLS = Control.of(table().primary, CIS_2_0)  # compatibility name: the primary control


@dataclass
class UnauthorizedApiCallsMonitorArgs:
    """Set exactly one of `log_group_name` (an existing CloudTrail log group) or `trail`.

    `metric_filter_name` and `alarm_name` default to `Unauthorized_API_Calls-<project>-<stack>`
    and `metric_name` to `UnauthorizedAPICalls-<project>-<stack>` (`metric_naming="cis"`: the
    bare CIS name) so that several stacks in one account and region do not collide.
    `audited_by` names the scanners that audit the account: the pattern must be a text all of
    them accept. Invalid values raise `ConfigError` here, with the stack config's message.
    """

    topic: AlarmTopicArgs
    log_group_name: pulumi.Input[str] | None = None
    trail: CloudTrailLoggingArgs | None = None
    pattern: str = CIS_2_0
    audited_by: Sequence[str] = ()
    metric_namespace: str = DEFAULT_METRIC_NAMESPACE
    metric_naming: MetricNaming = "stack"
    metric_name: str | None = None
    metric_filter_name: str | None = None
    alarm_name: str | None = None
    alarm_period: int = DEFAULT_PERIOD
    alarm_threshold: float = 1.0
    alarm_evaluation_periods: int = 1
    ok_actions: bool = False
    tags: Mapping[str, str] = field(default_factory=lambda: {"managed-by": "trailwatch"})
    #: CIS 1.4 ids of the monitoring controls to deploy (Security Hub ids and the pack's policy
    #: names are accepted too); None: all 15. 4.1 uses the arguments above; the others the
    #: benchmark's patterns, `<Metric>-<project>-<stack>` names and the same alarm settings.
    controls: Sequence[ControlId | str] | None = None

    def selected(self) -> tuple[Row, ...]:
        """The controls to deploy (rows of the control table in use), in table order."""
        return table().select(None if self.controls is None else list(self.controls))

    def __post_init__(self) -> None:
        if self.controls is not None:
            rule = 'None (all 15) or a non-empty list of control ids such as ["4.1", "4.3"] (docs/controls.md)'
            if isinstance(self.controls, str) or not self.controls:
                raise ConfigError("controls", f"{self.controls!r} is not a non-empty list", rule)
            for ident in self.controls:
                if not isinstance(ident, str) or find_control(ident) is None:
                    raise ConfigError("controls", f"unknown control {ident!r}", rule)
        if (self.log_group_name is None) == (self.trail is None):
            raise ConfigError(
                "logGroupName",
                "both or neither of log_group_name and trail are set",
                "exactly one of log_group_name (an existing CloudTrail log group) or trail (create one)",
            )
        if isinstance(self.log_group_name, str):
            check_log_group_name(self.log_group_name)
        check_pattern(self.pattern, self.audited_by)
        if self.metric_naming not in ("stack", "cis"):
            raise ConfigError("metricNaming", f"unknown value {self.metric_naming!r}", "stack or cis")
        placeholder = "x"  # names left to their per-stack default are checked when built
        check_names(
            metric_namespace=self.metric_namespace,
            metric_name=placeholder if self.metric_name is None else self.metric_name,
            metric_filter_name=placeholder if self.metric_filter_name is None else self.metric_filter_name,
            alarm_name=placeholder if self.alarm_name is None else self.alarm_name,
        )
        check_alarm(
            period=self.alarm_period, threshold=self.alarm_threshold, evaluation_periods=self.alarm_evaluation_periods
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> UnauthorizedApiCallsMonitorArgs:
        """The component arguments a validated stack configuration asks for."""
        tags = dict(settings.tags)
        return cls(
            topic=AlarmTopicArgs(
                subscriptions=settings.subscriptions,
                topic_arn=settings.topic_arn,
                encryption=settings.topic_encryption,
                kms_key_id=settings.kms_key_id,
                tags=tags,
            ),
            log_group_name=settings.log_group_name,
            trail=CloudTrailLoggingArgs(
                trail_name=settings.trail_name,
                log_retention_days=settings.log_retention_days,
                log_encryption=settings.log_encryption,
                access_logging=settings.access_logging,
                bucket_versioning=settings.bucket_versioning,
                on_destroy=settings.on_destroy,
                tags=tags,
            )
            if settings.create_trail
            else None,
            pattern=settings.pattern,
            audited_by=settings.audited_by,
            metric_namespace=settings.metric_namespace,
            metric_naming=settings.metric_naming,
            metric_name=settings.metric_name,
            metric_filter_name=settings.metric_filter_name,
            alarm_name=settings.alarm_name,
            alarm_period=settings.alarm_period,
            alarm_threshold=settings.alarm_threshold,
            alarm_evaluation_periods=settings.alarm_evaluation_periods,
            ok_actions=settings.ok_actions,
            tags=tags,
            controls=None if len(settings.controls) == len(table()) else list(settings.controls),
        )


def require_log_group(name: str, placement: Placement, parent: pulumi.Resource) -> None:
    """Stop before anything is created when the log group to attach to is not in this account and region.

    AWS Control Tower (landing zone 3.0 and later) runs one organization trail from the
    management account; its log group aws-controltower/CloudTrailLogs is in that account,
    not in the member accounts.
    https://docs.aws.amazon.com/controltower/latest/userguide/about-logging.html
    """
    try:
        aws.cloudwatch.get_log_group(name=name, opts=pulumi.InvokeOptions(parent=parent))
    except Exception as error:  # noqa: BLE001 - the provider's error, shown on one line
        said = " ".join(str(error).split())[:300]
        raise ConfigError(
            "logGroupName",
            f"log group {name!r} cannot be read in account {placement.account_id}, region {placement.region} "
            f"(the provider said: {said})",
            "the name of a CloudTrail log group in the account and region the stack deploys to; "
            "Control Tower's aws-controltower/CloudTrailLogs is in the management account",
        ) from None


class UnauthorizedApiCallsMonitor(pulumi.ComponentResource):
    """Metric filter, alarm and alarm topic (and optionally the trail) for unauthorized API calls."""

    topic_arn: pulumi.Output[str]
    alarm_name: pulumi.Output[str] | None  # 4.1's (None when 4.1 is not selected), and below
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

    def __init__(
        self, name: str, args: UnauthorizedApiCallsMonitorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._args = args
        self._tags = dict(args.tags)

        # Checked before any resource: what only the deploying account and region can tell.
        placement = Placement.lookup(self)
        check_topic(
            topic_arn=args.topic.topic_arn,
            encryption=args.topic.encryption,
            kms_key_id=args.topic.kms_key_id,
            region=placement.region,
        )
        check_placement(args.topic.subscriptions, account_id=placement.account_id)
        if isinstance(args.log_group_name, str):
            require_log_group(args.log_group_name, placement, self)

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
        self._log_group_name = log_group_name

        self.topic = AlarmTopic(f"{name}-topic", args.topic, opts=child)

        self.topic_arn = self.topic.topic_arn
        self.log_group_name = pulumi.Output.from_input(log_group_name)
        self.alarm_name = self.alarm_arn = self.metric_filter_name = None
        self.metric_namespace = self.metric_name = None
        self.control_alarm_names = {}
        primary = table().primary
        for listed in args.selected():
            if listed is primary:  # the control the arguments' pattern and names are for
                metric_filter, alarm = self.watch(
                    name,
                    Control.of(listed, args.pattern),
                    metric_name=args.metric_name,
                    filter_name=args.metric_filter_name,
                    alarm_name=args.alarm_name,
                )
                transformation = metric_filter.metric_transformation
                self.alarm_name = alarm.name
                self.alarm_arn = alarm.arn
                self.metric_filter_name = metric_filter.name
                self.metric_namespace = transformation.namespace
                self.metric_name = transformation.name
                self.log_group_name = metric_filter.log_group_name
            else:
                _, alarm = self.watch(f"{name}-{listed.filter}", Control.of(listed))
            self.control_alarm_names[listed.id] = alarm.name
        outputs: dict[str, object] = {
            "topicArn": self.topic_arn,
            "alarmName": self.alarm_name,
            "alarmArn": self.alarm_arn,
            "metricFilterName": self.metric_filter_name,
            "metricNamespace": self.metric_namespace,
            "metricName": self.metric_name,
            "logGroupName": self.log_group_name,
            "controlAlarmNames": self.control_alarm_names,
        }
        if self.trail_arn is not None:
            outputs["trailArn"] = self.trail_arn
        self.register_outputs(outputs)

    def watch(
        self,
        logical: str,
        control: Control,
        *,
        metric_name: str | None = None,
        filter_name: str | None = None,
        alarm_name: str | None = None,
    ) -> tuple[aws.cloudwatch.LogMetricFilter, aws.cloudwatch.MetricAlarm]:
        """One control's metric filter and alarm on this monitor's log group and topic.

        Logical names are `<logical>-filter` / `<logical>-alarm`; names in AWS default to the
        control's CIS names made unique per stack (project and stack in each), so stacks and
        controls never share a metric.
        """
        args = self._args
        project, stack = pulumi.get_project(), pulumi.get_stack()
        metric = metric_name or metric_name_for(control.metric_base, args.metric_naming, project, stack)
        unique = f"{control.alarm_base}-{project}-{stack}"  # default_name() for this control
        check_names(
            metric_namespace=args.metric_namespace,
            metric_name=metric,
            metric_filter_name=filter_name or unique,
            alarm_name=alarm_name or unique,
        )
        child = pulumi.ResourceOptions(parent=self)
        metric_filter = aws.cloudwatch.LogMetricFilter(
            f"{logical}-filter",
            name=filter_name or unique,
            log_group_name=self._log_group_name,
            pattern=control.pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=metric, namespace=args.metric_namespace, value="1", default_value="0"
            ),
            opts=child,
        )
        transformation = metric_filter.metric_transformation
        topic_actions = [self.topic.topic_arn]
        scanners = sorted(accepting_scanners(control.pattern))
        # Say which scanners accept the text only when it is true (Security Hub CloudWatch.2
        # accepts the CIS 1.2 text only).
        accepted = f"; pattern accepted by {', '.join(scanners)}" if scanners else ""
        alarm = aws.cloudwatch.MetricAlarm(
            f"{logical}-alarm",
            name=alarm_name or unique,
            alarm_description=pulumi.Output.concat(
                f"CIS AWS Foundations: {control.title} recorded in ", self._log_group_name, f" (trailwatch{accepted})"
            ),
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
            tags=self._tags,
            opts=child,
        )
        return metric_filter, alarm
