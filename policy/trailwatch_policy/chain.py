"""The control, end to end: every CloudTrail log group -> filter -> alarm -> topic -> someone.

`evaluate(inventory, options)` is the one judgement shared by the policy pack (resources
read at preview) and the audit (resources read from AWS). It is pure: the callers map their
inputs into `trailwatch_policy.base.model` and findings back to their own reports.

A log group passes when at least one chain through it works; otherwise every broken link
of every candidate chain is reported once, on the resource a user edits to fix it. A link
that depends on a value not known yet makes the chain "unknown" (cannot be verified),
never a pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    Inventory,
    LogGroup,
    MetricFilter,
    MetricTransformation,
    Subscription,
    Topic,
)
from trailwatch_policy.controls import Control, find, primary
from trailwatch_policy.rules import alarm as alarm_rules
from trailwatch_policy.rules import notifiers
from trailwatch_policy.rules import where as places
from trailwatch_policy.rules.findings import Finding, Link, Problem, Shared, best, cut, failure, unique, worst
from trailwatch_policy.rules.log_group import (
    CloudTrailLogGroup,
    Index,
    cloudtrail_log_groups,
    known,
    log_group_name_from_arn,
    ref_is_set,
    sns_topic_name_from_arn,
)
from trailwatch_policy.rules.metric_filter import (
    filter_snippet,
    fix_args,
    meant_for_another_control,
    metric_problems,
    pattern_problems,
)
from trailwatch_policy.rules.options import ChainOptions, ConfigError, options_from_config
from trailwatch_policy.rules.topic import Publisher, topic_problems
from trailwatch_policy.rules.trail import trail_problems

__all__ = [
    "ChainOptions",
    "ConfigError",
    "Evaluation",
    "Finding",
    "LogGroupResult",
    "CloudTrailLogGroup",
    "cloudtrail_log_groups",
    "evaluate",
    "trail_findings",
    "options_from_config",
]


@dataclass(frozen=True)
class LogGroupResult:
    """The verdict for one CloudTrail log group.

    `id` is None when the group is not declared (an organisation trail's group, or a
    trail target not known yet); `trails` are the ids of the trails writing to it.
    `own` are the findings of this group's chains; `shared` hold the findings of links
    that may belong to any group (a filter whose log group, an alarm whose metric is not
    known yet), judged once and the same objects in every result that meets them (report
    each once: see `findings.Shared`). `findings` is both, for small inventories.
    """

    name: object  # str | UNKNOWN
    id: str | None
    status: str  # "pass" | "fail" | "unknown"
    own: tuple[Finding, ...]
    trails: tuple[str, ...] = ()
    shared: tuple[Shared, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Own and shared findings, the shared ones labelled with this group's name."""
        if not self.shared:
            return self.own
        name = self.name if known(self.name) else None
        extra = (f if f.log_group is not None else replace(f, log_group=name) for f in Shared(self.shared).findings)
        return _dedupe(itertools.chain(self.own, extra))


Outcome = tuple[str, list["Finding | Shared"]]


def _alternatives(outcomes: Iterable[Outcome]) -> Outcome:
    """Any one working alternative is enough (evaluation stops there); otherwise all
    their findings matter."""
    seen: list[Outcome] = []
    for outcome in outcomes:
        if outcome[0] == "pass":
            return "pass", []
        seen.append(outcome)
    return best(s for s, _ in seen), [f for _, fs in seen for f in fs]


def _sequence(outcomes: Iterable[Outcome]) -> Outcome:
    """Every link must work: the weakest decides, all findings add up."""
    outcomes = list(outcomes)
    return worst(s for s, _ in outcomes), [f for _, fs in outcomes for f in fs]


def _problems(problems: Sequence[Problem], resource_id: str, link: Link, group: str | None) -> Outcome:
    findings: list[Finding | Shared] = [Finding.of(p, resource_id, link, group) for p in problems]
    return worst(p.status for p in problems), findings


def _with_args(outcome: Outcome, **args: object) -> Outcome:
    """Give findings the known values their AWS CLI fix needs (trailwatch_policy.rules.fixes);
    values already set by a deeper link win."""
    extra = tuple((k, v) for k, v in args.items() if isinstance(v, str) and v)
    status, findings = outcome
    if not extra or not findings:
        return outcome
    out: list[Finding | Shared] = []
    for f in findings:
        if isinstance(f, Shared):  # judged without this chain's values: left as they are
            out.append(f)
            continue
        have = {k for k, _ in f.args}
        add = tuple((k, v) for k, v in extra if k not in have)
        out.append(replace(f, args=f.args + add) if add else f)
    return status, out


def _dedupe(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(unique(findings, lambda f: (f.resource_id, f.code, f.message)))


class _Stack:
    """The inventory indexed once, so linking is linear in the number of resources."""

    def __init__(self, inv: Inventory, options: ChainOptions, unreadable: Mapping[str, str] | None = None) -> None:
        self.inv, self.options = inv, options
        self.unreadable = dict(unreadable or {})  # resource id -> why its input was not read
        self.groups: Index[LogGroup] = Index.of(inv.log_groups)
        self.filters_of_group: dict[str, list[MetricFilter]] = {}
        self.filters_of_name: dict[str, list[MetricFilter]] = {}
        self.filters_unresolved: list[MetricFilter] = []
        # A filter reaches a log group of its own account and Region only (trailwatch_policy.rules.where).
        self.misplaced: dict[str, list[MetricFilter]] = {}  # group id -> filters elsewhere
        self.uncertain: dict[tuple[str, str], str] = {}  # (referrer, target) -> why unknown
        for flt in inv.filters:
            targets = self.groups.resolve(flt.log_group, log_group_name_from_arn)
            for group in targets:
                rel = places.placed(flt.log_group, flt.where, group.id, group.where, True)
                if rel == "different":
                    self.misplaced.setdefault(group.id, []).append(flt)
                    continue
                if rel == "unknown":
                    self.uncertain[(flt.id, group.id)] = places.unsure(
                        "the filter", flt.where, f"log group {places.short(group.id)}", group.where
                    )
                self.filters_of_group.setdefault(group.id, []).append(flt)
            value = flt.log_group.value
            if known(value):
                name = log_group_name_from_arn(value) or value
                self.filters_of_name.setdefault(name, []).append(flt)
            elif not targets and ref_is_set(flt.log_group):
                self.filters_unresolved.append(flt)
        self.alarms_of_metric: dict[tuple[str, str], list[Alarm]] = {}
        self.alarms_unresolved: list[Alarm] = []
        for alarm in inv.alarms:
            keys = set()
            unresolved = False
            for watch in alarm_rules.watches(alarm):
                if known(watch.namespace) and known(watch.metric_name):
                    keys.add((watch.namespace, watch.metric_name))
                elif watch.namespace is UNKNOWN or watch.metric_name is UNKNOWN:
                    unresolved = True
            for key in keys:
                self.alarms_of_metric.setdefault(key, []).append(alarm)
            if unresolved and not keys:
                self.alarms_unresolved.append(alarm)
        self.topics: Index[Topic] = Index.of(inv.topics)
        self.subs_of_topic: dict[str, list[Subscription]] = {}
        self.subs_unresolved: list[Subscription] = []
        for sub in inv.subscriptions:
            topics = self.topics.resolve(sub.topic, sns_topic_name_from_arn)
            for topic in topics:
                rel = places.placed(sub.topic, sub.where, topic.id, topic.where, False)
                if rel == "different":
                    continue  # a same-named topic of another account or Region
                if rel == "unknown":
                    self.uncertain[(sub.id, topic.id)] = places.unsure(
                        f"the subscription's topic {sub.topic.value or ''}".rstrip(),
                        places.ref_where(sub.topic, sub.where),
                        f"topic {places.short(topic.id)}",
                        topic.where,
                    )
                self.subs_of_topic.setdefault(topic.id, []).append(sub)
            if not topics and not known(sub.topic.value) and ref_is_set(sub.topic):
                self.subs_unresolved.append(sub)
        self.notifiers = notifiers.Notifiers(inv)  # KMS keys and composite alarms
        self._topic_outcomes: dict[tuple[str, str], Outcome] = {}
        # Many filters may publish the same metric (one per trail log group): the alarms
        # on it are judged once per metric, not once per filter.
        self._metric_outcomes: dict[tuple, Outcome] = {}
        # Links not resolved yet are judged once, not once per chain that may use them.
        self._unresolved_filters: dict[str, Outcome] = {}  # per control
        self._unresolved_alarms: dict[tuple, Outcome] = {}

    def cannot_read(self, resource_id: str, link: Link, group: str | None) -> Outcome | None:
        """The resource's own input could not be read (see resources.inventory): it cannot
        be verified, and only it -- every other link is judged as usual."""
        why = self.unreadable.get(resource_id)
        if why is None:
            return None
        return _problems(
            [
                Problem(
                    "unknown",
                    "input-unreadable",
                    f"trailwatch could not read this resource's input ({why}), so whether this link "
                    "works cannot be verified; every other finding of the stack stands",
                    "check the property named above (e.g. a document nested thousands of levels "
                    "deep); if it is valid AWS input, please report it with the resource's properties",
                )
            ],
            resource_id,
            link,
            group,
        )

    # -- links, from the end of the chain back to the log group --------------------------
    def topic(self, topic: Topic, group: str | None, publisher: Publisher | None = None) -> Outcome:
        publisher = publisher or Publisher()
        found = self._topic_outcomes.get((topic.id, publisher.id))
        if found is None:
            unreadable = self.cannot_read(topic.id, "topic", group) or next(
                (
                    self.cannot_read(s.id, "subscription", group)
                    for s in self.subs_of_topic.get(topic.id, ())
                    if s.id in self.unreadable
                ),
                None,
            )
            if unreadable is not None:
                found = self._topic_outcomes[(topic.id, publisher.id)] = unreadable
                return found
            subs = self.subs_of_topic.get(topic.id, ())
            problems = topic_problems(
                topic,
                subs,
                self.subs_unresolved,
                self.options.require_subscription,
                self.options.preview,
                publisher,
                self.notifiers.keys_of(topic),
                self.options.topics_complete,
                self.notifiers.stack_ids,
            )
            found = _problems(problems, topic.id, "topic", group)
            if subs and all((s.id, topic.id) in self.uncertain for s in subs):
                found = _sequence(
                    [
                        found,
                        *(
                            self.place_unknown(s.id, "subscription", (s.id, topic.id), "topic=topic.arn", group)
                            for s in subs
                        ),
                    ]
                )
            self._topic_outcomes[(topic.id, publisher.id)] = found
        return found

    def place_unknown(self, resource_id: str, link: Link, key: tuple[str, str], fix: str, group: str | None) -> Outcome:
        """A link whose account or Region cannot be shown to match: cannot be verified."""
        return _problems(
            [
                Problem(
                    "unknown",
                    "place-unknown",
                    f"{self.uncertain[key]}: the link cannot be verified",
                    f"{fix}, or {places.PLACE_FIX}; for an account written in an ARN, set "
                    "aws:allowedAccountIds (or the provider's allowed_account_ids / assume_roles) to it",
                )
            ],
            resource_id,
            link,
            group,
        )

    def elsewhere(self, resource_id: str, link: Link, text: str, group: str | None) -> Outcome:
        return _problems([Problem("fail", "other-account-or-region", text, places.PLACE_FIX)], resource_id, link, group)

    def missing_topic(self, alarm: Alarm | notifiers.CompositeAlarm, topic: str, group: str | None) -> Outcome:
        """The alarm names a topic the reader found gone: notifications go nowhere."""
        name = sns_topic_name_from_arn(topic) or topic
        return _problems(
            [
                Problem(
                    "fail",
                    "alarm-topic-missing",
                    f"the alarm notifies SNS topic {topic}, which does not exist (deleted?): "
                    "its notifications go nowhere",
                    f'alarm_actions=[topic.arn] with an aws.sns.Topic("{name}") that has a subscription',
                    (("topic", topic),),
                )
            ],
            alarm.id,
            "alarm",
            group,
        )

    def actions(
        self, alarm: Alarm | notifiers.CompositeAlarm, group: str | None, publisher: Publisher | None = None
    ) -> Outcome:
        if not alarm.alarm_actions:
            return "fail", []  # reported by alarm_problems as alarm-no-actions
        outcomes: list[Outcome] = []
        unknown = 0
        others: list[str] = []
        for ref in alarm.alarm_actions:
            topics = []  # a same-named topic of another account or Region is not this one
            for t in self.topics.resolve(ref, sns_topic_name_from_arn):
                rel = places.placed(ref, alarm.where, t.id, t.where, False)
                if rel == "unknown":
                    self.uncertain[(alarm.id, t.id)] = places.unsure(
                        f"the alarm's action {ref.value or ''}".rstrip(),
                        places.ref_where(ref, alarm.where),
                        f"topic {places.short(t.id)}",
                        t.where,
                    )
                if rel != "different":
                    topics.append(t)
            if topics:
                outcomes.extend(
                    _sequence(
                        [
                            self.place_unknown(alarm.id, "alarm", (alarm.id, t.id), "alarm_actions=[topic.arn]", group)
                            if (alarm.id, t.id) in self.uncertain
                            else ("pass", []),
                            self.topic(t, group, publisher)
                            if t.exists
                            else self.missing_topic(alarm, t.arn if known(t.arn) else t.id, group),
                        ]
                    )
                    for t in topics
                )
            elif known(ref.value):
                if not sns_topic_name_from_arn(ref.value):
                    others.append(ref.value)
                elif self.options.topics_complete:  # the reader should have read it
                    outcomes.append(
                        _problems(
                            [
                                Problem(
                                    "unknown",
                                    "alarm-topic-unread",
                                    f"the alarm notifies SNS topic {ref.value}, which was not read (another "
                                    "account or region, or no permission): whether anyone receives the "
                                    "alarm is not known",
                                    "alarm_actions=[topic.arn] with a topic the auditor can read",
                                )
                            ],
                            alarm.id,
                            "alarm",
                            group,
                        )
                    )
                else:
                    outcomes.append(("pass", []))  # a topic outside the stack: not inspectable
            elif ref_is_set(ref):
                unknown += 1
        if unknown:
            outcomes.append(
                _problems(
                    [
                        Problem(
                            "unknown",
                            "alarm-action-unknown",
                            f"{unknown} alarm action(s) are not known yet and come from no SNS topic of this "
                            "stack, so whether the alarm notifies a topic is not known",
                            "alarm_actions=[topic.arn] with an aws.sns.Topic declared in the stack",
                        )
                    ],
                    alarm.id,
                    "alarm",
                    group,
                )
            )
        if not outcomes:
            shown = "; ".join(alarm_rules.describe_action(a) for a in others) or "none"
            return _problems(
                [
                    Problem(
                        "fail",
                        "alarm-no-topic",
                        f"none of the alarm actions is an SNS topic ({shown}): no person is notified",
                        "alarm_actions=[topic.arn] with an aws.sns.Topic that has a subscription "
                        "(keep the other actions beside it)",
                    )
                ],
                alarm.id,
                "alarm",
                group,
            )
        return _alternatives(outcomes)

    def alarm(
        self, alarm: Alarm, metric: MetricTransformation, group: str | None, control: Control | None = None
    ) -> Outcome:
        unreadable = self.cannot_read(alarm.id, "alarm", group)
        if unreadable is not None:
            return unreadable
        topic = next(
            (r.value for r in alarm.alarm_actions if known(r.value) and sns_topic_name_from_arn(r.value)), None
        )
        own = _sequence(
            [
                _problems(alarm_rules.action_problems(alarm), alarm.id, "alarm", group),
                self.actions(alarm, group, notifiers.publisher(alarm, metric)),
            ]
        )
        return _with_args(
            _sequence(
                [
                    _problems(alarm_rules.state_problems(alarm, metric, control), alarm.id, "alarm", group),
                    # its own actions, or a composite alarm that notifies when it is in ALARM
                    _alternatives(
                        itertools.chain(
                            [own],
                            (
                                self.composite(c, alarm, metric, group, control)
                                for c in self.notifiers.composites_of(alarm)
                            ),
                        )
                    ),
                ]
            ),
            namespace=metric.namespace,
            metric=metric.name,
            topic=topic,
        )

    def composite(
        self,
        composite: notifiers.CompositeAlarm,
        alarm: Alarm,
        metric: MetricTransformation,
        group: str | None,
        control: Control | None = None,
    ) -> Outcome:
        rule = _problems(notifiers.composite_problems(composite, alarm, control), composite.id, "alarm", group)
        if rule[0] == "fail":
            return rule
        return _sequence([rule, self.actions(composite, group, notifiers.publisher(composite, metric))])

    def metric(self, flt: MetricFilter, metric: MetricTransformation, group: str | None, control: Control) -> Outcome:
        value = _problems(metric_problems(metric, control), flt.id, "metric-filter", group)
        ns, name = metric.namespace, metric.name
        if ns is UNKNOWN or name is UNKNOWN:
            return _sequence(
                [
                    value,
                    _problems(
                        [
                            Problem(
                                "unknown",
                                "metric-unknown",
                                "the filter's metric namespace or name is not known yet, so no alarm can be "
                                "matched to it",
                                f'metric_transformation name="{control.metric}", namespace="CISBenchmark"',
                            )
                        ],
                        flt.id,
                        "metric-filter",
                        group,
                    ),
                ]
            )
        if not known(ns) or not known(name):
            return _sequence(
                [
                    value,
                    _problems(
                        [
                            Problem(
                                "fail",
                                "no-alarm",
                                "the filter publishes no named metric",
                                f'metric_transformation name="{control.metric}", namespace="CISBenchmark"',
                            )
                        ],
                        flt.id,
                        "metric-filter",
                        group,
                    ),
                ]
            )
        if (ns, name) not in self.alarms_of_metric and not self.alarms_unresolved:
            return _sequence(
                [
                    value,
                    _problems(
                        [
                            Problem(
                                "fail",
                                "no-alarm",
                                f"no alarm watches the filter's metric {ns}/{name}: {control.what} are "
                                "counted but nobody is notified",
                                alarm_rules.SNIPPET.format(alarm=control.filter, ns=ns, name=name),
                            )
                        ],
                        flt.id,
                        "metric-filter",
                        group,
                    ),
                ]
            )
        dims = metric.dimensions
        # per control too: the messages speak of the control's events
        key = (
            ns,
            name,
            metric.value,
            "?" if dims is UNKNOWN else tuple(sorted(dims.items())) if isinstance(dims, dict) else (),
            flt.where,
            control,
        )
        found = self._metric_outcomes.get(key)
        if found is None:  # findings below the filter carry no group: log_group() labels them
            found = self._metric_outcomes[key] = self.alarms_on(metric, None, flt, control)
        return _sequence([value, found])

    def alarms_on(
        self,
        metric: MetricTransformation,
        group: str | None = None,
        flt: MetricFilter | None = None,
        control: Control | None = None,
    ) -> Outcome:
        """The alarms on one metric, as alternatives (judged once per distinct metric)."""
        ns, name = metric.namespace, metric.name
        alarms = self.alarms_of_metric.get((ns, name), []) if known(ns) and known(name) else []
        if flt is not None:  # metrics exist only in their own account and Region
            rel = {a.id: places.relation(flt.where, a.where) for a in alarms}
            away = [a for a in alarms if rel[a.id] == "different"]
            alarms = [a for a in alarms if rel[a.id] != "different"]
            if away and not alarms and not self.alarms_unresolved:
                return _alternatives(
                    self.elsewhere(
                        a.id,
                        "alarm",
                        (
                            f"the alarm watches {ns}/{name} in {places.describe(a.where, flt.where)}, "
                            f"but the metric filter {places.short(flt.id)} publishes it in "
                            f"{places.describe(flt.where, a.where)}: a CloudWatch metric exists only "
                            "in the account and Region it is published in, so this alarm watches "
                            "nothing"
                        ),
                        group,
                    )
                    for a in away
                )
            for a in alarms:
                if rel[a.id] == "unknown":
                    self.uncertain[(a.id, flt.id)] = places.unsure(
                        "the alarm",
                        a.where,
                        f"the metric filter {places.short(flt.id)} publishing its metric",
                        flt.where,
                    )
        outcomes: Iterable[Outcome] = (
            _sequence(
                [
                    self.place_unknown(
                        a.id, "alarm", (a.id, flt.id), "the alarm and the filter with one provider", group
                    )
                    if flt is not None and (a.id, flt.id) in self.uncertain
                    else ("pass", []),
                    self.alarm(a, metric, group, control),
                ]
            )
            for a in alarms
        )
        if self.alarms_unresolved:
            outcomes = itertools.chain(outcomes, [self.unresolved_alarms(metric, control)])
        return _alternatives(outcomes)

    def unresolved_alarms(self, metric: MetricTransformation, control: Control | None = None) -> Outcome:
        """Alarms whose metric is not known yet, each judged once per kind of metric (value,
        default, dimensions) -- not once per metric -- as one shared alternative."""
        dims = metric.dimensions
        key = (
            metric.value,
            metric.default_value,
            "?" if dims is UNKNOWN else tuple(sorted(dims.items())) if isinstance(dims, dict) else (),
            control,
        )
        found = self._unresolved_alarms.get(key)
        if found is None:
            c = control or primary()
            anonymous = replace(metric, namespace=UNKNOWN, name=UNKNOWN)
            status, items = _alternatives(
                _sequence(
                    [
                        _problems(
                            [
                                Problem(
                                    "unknown",
                                    "alarm-metric-unknown",
                                    "the alarm's namespace or metric name is not known yet: "
                                    "whether it watches a CloudTrail log group's filter metric "
                                    "cannot be told",
                                    f'namespace="CISBenchmark", metric_name="{c.metric}" '
                                    "(the filter's metric, as literals)",
                                )
                            ],
                            alarm.id,
                            "alarm",
                            None,
                        ),
                        self.alarm(alarm, anonymous, None, control),
                    ]
                )
                for alarm in self.alarms_unresolved
            )
            found = self._unresolved_alarms[key] = (status, [Shared(items)])
        return found

    def filter(self, flt: MetricFilter, group: str | None, control: Control) -> Outcome:
        unreadable = self.cannot_read(flt.id, "metric-filter", group)
        if unreadable is not None:
            return unreadable
        pattern = _problems(pattern_problems(flt, self.options, control), flt.id, "metric-filter", group)
        value = flt.log_group.value
        # At preview `log_group.arn` is as unknown as `log_group.id` (the name: valid); the
        # ARN is refused during `pulumi up`, loudly. A known ARN is refused here.
        if known(value) and value.startswith("arn:"):
            # PutMetricFilter's logGroupName matches [\.\-_/#A-Za-z0-9]+ (no ":"): AWS refuses
            # an ARN (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
            pattern = _sequence(
                [
                    pattern,
                    _problems(
                        [
                            Problem(
                                "fail",
                                "filter-log-group-arn",
                                f"log_group_name is an ARN ({value}): CloudWatch Logs accepts only a log group "
                                "name here and rejects the filter (InvalidParameterException), so it monitors "
                                "nothing",
                                "log_group_name=log_group.name (the name, not the ARN)",
                            )
                        ],
                        flt.id,
                        "metric-filter",
                        group,
                    ),
                ]
            )
        if not flt.metrics:
            return _sequence(
                [
                    pattern,
                    _problems(
                        [
                            Problem(
                                "fail",
                                "no-alarm",
                                "the filter publishes no metric, so no alarm can watch it",
                                "metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs("
                                f'name="{control.metric}", namespace="CISBenchmark", value="1")',
                            )
                        ],
                        flt.id,
                        "metric-filter",
                        group,
                    ),
                ]
            )
        first = flt.metrics[0]
        own = _with_args(
            _sequence([pattern, _alternatives(self.metric(flt, m, group, control) for m in flt.metrics)]),
            namespace=first.namespace,
            metric=first.name,
            filter=flt.name,
        )
        return _with_args(own, **dict(fix_args(control)))  # the control's names where the filter has none

    def candidates(self, filters: Sequence[MetricFilter], control: Control) -> list[MetricFilter]:
        """The filters that may be meant for this control: all but those meant for another
        control of the section, so a log group with a filter per control is not told the
        other 14 count the wrong thing."""
        return [f for f in filters if not meant_for_another_control(f, self.options, control)]

    def log_group(self, group: CloudTrailLogGroup, control: Control | None = None) -> LogGroupResult:
        control = control or primary()
        name = group.name if known(group.name) else None
        where = group.report_id or ""
        # A name the provider invents (autoname) is never shown: it changes on replacement
        # and the offline engine's is not the one AWS will get. Say which resource instead.
        label, literal = name, name
        declared = group.log_group
        if declared is not None and (declared.autonamed or name is None):
            prefix = declared.name_prefix
            label = places.short(declared.id)[1:-1] + (
                f" (name_prefix {prefix!r})" if known(prefix) and name is None else " (autonamed)"
            )
            literal = None
        link: Link = "log-group" if group.log_group is not None else "trail"
        if group.name is UNKNOWN and group.log_group is None:
            status, findings = _problems(
                [
                    Problem(
                        "unknown",
                        "trail-log-group-unknown",
                        "the log group this trail delivers to is not known yet and is no log group "
                        "of this stack, so its monitoring cannot be checked",
                        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*") with '
                        "an aws.cloudwatch.LogGroup of this stack, or a literal ARN",
                    )
                ],
                where,
                "trail",
                None,
            )
            return LogGroupResult(
                UNKNOWN, None, status, _dedupe(f for f in findings if isinstance(f, Finding)), group.trails
            )
        if group.log_group is not None:
            filters = self.filters_of_group.get(group.log_group.id, [])
            gid = group.log_group.id
        else:  # a group outside the stack: in the account and Region its ARN names
            gid = where
            filters = []
            for f in self.filters_of_name.get(name or "", []):
                rel = places.relation(f.where, group.where)
                if rel == "unknown":
                    self.uncertain[(f.id, gid)] = places.unsure(
                        "the filter", f.where, f"log group {name!r}", group.where
                    )
                if rel != "different":
                    filters.append(f)
        outcomes = [
            _sequence(
                [
                    self.place_unknown(f.id, "metric-filter", (f.id, gid), "log_group_name=log_group.name", label)
                    if (f.id, gid) in self.uncertain
                    else ("pass", []),
                    self.filter(f, label, control),
                ]
            )
            for f in self.candidates(filters, control)
        ]
        if self.filters_unresolved:
            outcomes.append(self.unresolved_filters(control))
        if not outcomes:
            why = "a trail delivers to it" if group.trails else "its name marks it as a CloudTrail log group"
            where_text = "" if group.log_group is not None else " (declared outside this stack)"
            outcomes.append(
                _problems(
                    [
                        Problem(
                            "fail",
                            "no-metric-filter",
                            f"CloudTrail log group {label!r}{where_text} has no metric filter for "
                            f"{control.what} ({why}): "
                            f"{control.what} are logged but nobody is told",
                            filter_snippet(literal, control),
                            fix_args(control),
                        )
                    ],
                    where,
                    link,
                    label,
                )
            )
            gwhere = group.log_group.where if group.log_group is not None else group.where
            outcomes.extend(
                self.elsewhere(
                    f.id,
                    "metric-filter",
                    (
                        f"the filter is created in {places.describe(f.where, gwhere)}, where its "
                        f"log_group_name names another log group than {label!r} (in "
                        f"{places.describe(gwhere, f.where)}): "
                        "CloudWatch Logs resolves the name in the filter's own account and Region, so "
                        "this group is not monitored"
                    ),
                    label,
                )
                # this control's filters only: another control's misplaced filter is its own
                # policy's finding (one misplaced component: one finding per control, not 15)
                for f in self.candidates(self.misplaced.get(gid or "", []), control)
            )
        if group.log_group is not None:
            unreadable = self.cannot_read(group.log_group.id, "log-group", label)
            if unreadable is not None:
                outcomes = [_sequence([unreadable, _alternatives(outcomes)])]
        status, items = _alternatives(outcomes)
        shared = tuple(unique((i for i in items if isinstance(i, Shared)), id))
        labelled = (f if f.log_group == label else replace(f, log_group=label) for f in items if isinstance(f, Finding))
        return LogGroupResult(group.name, group.id, status, _dedupe(labelled), group.trails, shared)

    def unresolved_filters(self, control: Control) -> Outcome:
        """Filters whose log group is not known yet, judged once per control: any of them may
        be the filter of any CloudTrail log group (one shared alternative for every group)."""
        found = self._unresolved_filters.get(control.id)
        if found is None:
            status, items = _alternatives(
                _sequence(
                    [
                        _problems(
                            [
                                Problem(
                                    "unknown",
                                    "filter-log-group-unknown",
                                    "the filter's log group is not known yet: whether it "
                                    "monitors a CloudTrail log group cannot be told",
                                    "log_group_name=log_group.name of the CloudTrail log group (or its literal name)",
                                )
                            ],
                            flt.id,
                            "metric-filter",
                            None,
                        ),
                        self.filter(flt, None, control),
                    ]
                )
                for flt in self.candidates(self.filters_unresolved, control)
            )
            found = self._unresolved_filters[control.id] = (status, [Shared(items)])
        return found

    def contained(self, group: CloudTrailLogGroup, control: Control | None = None) -> LogGroupResult:
        """`log_group`, with a failure kept to this group: it cannot be verified, every
        other group's verdict stands."""
        try:
            return self.log_group(group, control)
        except Exception as exc:  # noqa: BLE001 -- a guardrail reports, it does not crash
            name = group.name if known(group.name) else None
            return LogGroupResult(
                group.name,
                group.id,
                "unknown",
                (
                    Finding(
                        group.report_id or "",
                        "log-group" if group.log_group is not None else "trail",
                        "unknown",
                        "evaluation-failed",
                        f"trailwatch could not evaluate the monitoring of CloudTrail log group "
                        f"{cut(name)}: {failure(exc)}; it is not known to be monitored",
                        "please report this with the properties of the resources of this chain",
                        name,
                    ),
                ),
                group.trails,
            )


def evaluate(
    inv: Inventory,
    options: ChainOptions | None = None,
    unreadable: Mapping[str, str] | None = None,
    control: str | Control | None = None,
) -> list[LogGroupResult]:
    """One result per CloudTrail log group for one control (none: the stack owes no monitoring).

    `unreadable`: ids of resources whose input could not be read, with why; each is
    "cannot be verified" on its own link (see `resources.inventory`).
    """
    return Evaluation(inv, options, unreadable).control(control)


def evaluate_controls(
    inv: Inventory, options: ChainOptions | None, controls: Sequence[Control]
) -> dict[str, list[LogGroupResult]]:
    """`evaluate` for several controls, the inventory indexed and the alarms judged once."""
    evaluation = Evaluation(inv, options)
    return {c.id: evaluation.control(c) for c in controls}


class Evaluation:
    """One inventory indexed once, judged for any number of controls (the pack keeps one
    per preview, shared by its per-control policies)."""

    def __init__(
        self, inv: Inventory, options: ChainOptions | None = None, unreadable: Mapping[str, str] | None = None
    ) -> None:
        self.options = options or ChainOptions()
        inv = places.bind_accounts(inv)
        self._stack = _Stack(inv, self.options, unreadable)
        self._groups = cloudtrail_log_groups(inv, self.options, self._stack.groups)

    def control(self, control: str | Control | None = None) -> list[LogGroupResult]:
        """The results for one control (a row, any of its ids; None: the primary control)."""
        c = control if isinstance(control, Control) else primary() if control is None else find(control)
        return [self._stack.contained(g, c) for g in self._groups]


def trail_findings(inv: Inventory, control: str | Control | None = None) -> list[Finding]:
    """Problems of trails that feed CloudWatch Logs (CIS audit steps 1-3) for one control: an
    excluded event source only when the control's events come from it. Without a control,
    an excluded source is reported naming the controls that lose events."""
    c = control if isinstance(control, Control) or control is None else find(control)
    out: list[Finding] = []
    for trail in inv.trails:
        if not ref_is_set(trail.log_group):
            continue
        out.extend(Finding.of(p, trail.id, "trail", None) for p in trail_problems(trail, c))
    return out
