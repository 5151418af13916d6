"""The CIS audit procedure's reads (steps 1-7), with boto3, into the shared model.

Reads run on a shared worker pool in three waves: trails in every region (shadow and
organisation trails included), then each trail's status and selectors in its home
region, then each log group's filters, alarms and topics in the log group's own region.
A read the auditor may not do becomes a `Gap` (an UNKNOWN with its reason), never a guess.
"""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from trailwatch_policy.model import (
    UNKNOWN, Alarm, Inventory, LogGroup, MetricFilter, Ref, Subscription, Topic, Trail,
)

from . import arns, mapping
from .accounts import Account

T = TypeVar("T")

DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
          "UnauthorizedAccess", "UnrecognizedClientException", "InvalidClientTokenId"}


@dataclass(frozen=True)
class Gap:
    """A read the auditor could not do; the link it concerns is UNKNOWN, with this reason."""

    resource_id: str
    link: str  # trail | log-group | metric-filter | alarm | topic | subscription | region
    region: str | None
    code: str
    message: str
    fix: str


@dataclass
class Scope:
    """What was read in one region for the log groups trails send there."""

    region: str
    log_group_names: list[str] = field(default_factory=list)
    log_groups: list[LogGroup] = field(default_factory=list)
    filters: list[MetricFilter] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)  # gaps that make every log group here unknown

    def inventory(self, trails: Iterable[Trail]) -> Inventory:
        return Inventory(trails=tuple(trails), log_groups=tuple(self.log_groups),
                         filters=tuple(self.filters), alarms=tuple(self.alarms),
                         topics=tuple(self.topics), subscriptions=tuple(self.subscriptions))


@dataclass
class AccountScan:
    """Everything read in one account."""

    account_id: str
    role_arn: str | None
    regions: tuple[str, ...]
    trails: list[Trail] = field(default_factory=list)
    scopes: dict[str, Scope] = field(default_factory=dict)  # by log-group region
    gaps: list[Gap] = field(default_factory=list)  # region-wide and per-trail gaps
    calls: int = 0


def gap_from_error(error: Exception, *, resource_id: str, link: str, region: str | None,
                   action: str) -> Gap:
    """A botocore error as an UNKNOWN reason naming the API call and the permission."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "ClientError")
        text = error.response.get("Error", {}).get("Message", "") or str(error)
        if code in DENIED:
            return Gap(resource_id, link, region, "audit.access-denied",
                       f"the auditor may not call {action} ({code}): {text}",
                       f"grant {action} to the auditing role (the AWS managed policy "
                       "SecurityAudit covers every call the audit makes)")
        return Gap(resource_id, link, region, "audit.api-error",
                   f"{action} failed ({code}): {text}", "retry the audit; if it persists, check the resource")
    return Gap(resource_id, link, region, "audit.api-error",
               f"{action} failed: {error}", "check the network path to the AWS endpoint and retry")


class Collector:
    """Reads one account; every API call goes through `call` (counted, errors mapped)."""

    def __init__(self, account: Account, account_id: str, pool: Executor,
                 tick: Callable[[str], None] = lambda _: None):
        self.account = account
        self.account_id = account_id
        self.pool = pool
        self.tick = tick
        self.calls = 0

    # -- plumbing -------------------------------------------------------------------------
    def _paginate(self, service: str, region: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        client = self.account.client(service, region)
        items: list[Any] = []
        if client.can_paginate(operation):
            for page in client.get_paginator(operation).paginate(**kwargs):
                self.calls += 1
                items.extend(page.get(key) or [])
        else:
            self.calls += 1
            items.extend(getattr(client, operation)(**kwargs).get(key) or [])
        return items

    def _call(self, service: str, region: str, operation: str, **kwargs: Any) -> Any:
        self.calls += 1
        return getattr(self.account.client(service, region), operation)(**kwargs)

    def _each(self, items: Iterable[T], work: Callable[[T], Any]) -> list[tuple[T, Any, Exception | None]]:
        """Run `work` on every item on the pool; (item, result, error) in input order.

        Only the account's own thread calls this (never a pool task): waiting on the pool
        from inside it could deadlock a small pool.
        """
        futures: list[tuple[T, Future[Any]]] = [(item, self.pool.submit(work, item)) for item in items]
        out: list[tuple[T, Any, Exception | None]] = []
        for item, future in futures:
            try:
                out.append((item, future.result(), None))
            except (ClientError, BotoCoreError) as error:
                out.append((item, None, error))
        return out

    # -- the procedure ----------------------------------------------------------------------
    def run(self, regions: Iterable[str]) -> AccountScan:
        regions = tuple(regions)
        scan = AccountScan(self.account_id, self.account.role_arn, regions)
        described = self._trails(regions, scan)
        scan.trails = self._trail_details(described, scan)
        by_region: dict[str, list[str]] = defaultdict(list)
        for trail in scan.trails:
            target = arns.log_group(trail.log_group.value if isinstance(trail.log_group.value, str) else None)
            if target is None:
                continue
            if target.account != self.account_id:
                scan.gaps.append(Gap(
                    trail.id, "log-group", target.region, "audit.log-group-other-account",
                    f"the trail sends its events to log group {target.name} in account "
                    f"{target.account} (an organisation or central logging trail); its filters, "
                    "alarms and topics are not readable from this account",
                    f"audit account {target.account} too (--assume-role "
                    f"arn:aws:iam::{target.account}:role/<auditor>), where the chain is judged"))
                continue
            if target.name not in by_region[target.region]:
                by_region[target.region].append(target.name)
        scan.scopes = self._scopes(by_region)
        scan.calls = self.calls
        return scan

    def _trails(self, regions: tuple[str, ...], scan: AccountScan) -> dict[str, dict[str, Any]]:
        """Step 1: every trail visible in each region, deduplicated by ARN."""
        def read(region: str) -> list[dict[str, Any]]:
            try:
                return self._call("cloudtrail", region, "describe_trails",
                                  includeShadowTrails=True).get("trailList") or []
            finally:
                self.tick(f"trails {region}")
        found: dict[str, dict[str, Any]] = {}
        for region, trails, error in self._each(regions, read):
            if error is not None:
                scan.gaps.append(gap_from_error(error, resource_id=f"cloudtrail:{region}", link="region",
                                                region=region, action="cloudtrail:DescribeTrails"))
                continue
            for description in trails:
                key = description.get("TrailARN") or description.get("Name")
                if key and key not in found:
                    found[key] = {**description, "HomeRegion": description.get("HomeRegion") or region}
        return found

    def _trail_details(self, described: dict[str, dict[str, Any]], scan: AccountScan) -> list[Trail]:
        """Steps 2-3: IsLogging and the event selectors, asked in the trail's home region."""
        def read(arn: str) -> Trail:
            description = described[arn]
            home = description["HomeRegion"]
            logging: Any
            management: Any
            try:
                logging = bool(self._call("cloudtrail", home, "get_trail_status", Name=arn).get("IsLogging"))
            except (ClientError, BotoCoreError) as error:
                logging = UNKNOWN
                scan.gaps.append(gap_from_error(error, resource_id=arn, link="trail", region=home,
                                                action="cloudtrail:GetTrailStatus"))
            try:
                selectors = self._call("cloudtrail", home, "get_event_selectors", TrailName=arn)
                management = mapping.management_events(selectors.get("EventSelectors") or [],
                                                       selectors.get("AdvancedEventSelectors") or [])
            except (ClientError, BotoCoreError) as error:
                management = UNKNOWN
                scan.gaps.append(gap_from_error(error, resource_id=arn, link="trail", region=home,
                                                action="cloudtrail:GetEventSelectors"))
            self.tick(f"trail {description.get('Name')}")
            return mapping.trail(description, logging=logging, management=management)
        return [trail for _, trail, _ in self._each(sorted(described), read)]

    def _scopes(self, by_region: dict[str, list[str]]) -> dict[str, Scope]:
        """Steps 4-7 in each log group's region: groups, filters, alarms, then topics.

        Two flat waves on the pool (never a task waiting for another task of the same
        pool, so `--max-workers 1` cannot deadlock): every log group and every region's
        alarms at once, then every topic the relevant alarms notify.
        """
        scopes = {region: Scope(region, list(names)) for region, names in sorted(by_region.items())}
        jobs: list[tuple[str, str | None]] = [(r, n) for r, names in by_region.items() for n in names]
        jobs += [(r, None) for r in scopes]  # None: the region's alarms

        def read(job: tuple[str, str | None]) -> Any:
            region, name = job
            return self._alarms(region) if name is None else self._group(region, name)

        all_alarms: dict[str, list[Alarm]] = {}
        for (region, name), result, error in self._each(jobs, read):
            scope = scopes[region]
            if error is not None:
                if name is None:
                    scope.gaps.append(gap_from_error(error, resource_id=region, link="alarm", region=region,
                                                     action="cloudwatch:DescribeAlarms"))
                else:
                    scope.gaps.append(gap_from_error(error, resource_id=name, link="log-group", region=region,
                                                     action="logs:DescribeLogGroups/DescribeMetricFilters"))
            elif name is None:
                all_alarms[region] = result
            elif result[0] is not None:
                scope.log_groups.append(result[0])
                scope.filters.extend(result[1])
        topic_arns: set[str] = set()
        for region, scope in scopes.items():
            metrics = {(t.namespace, t.name) for f in scope.filters for t in f.metrics}
            scope.alarms = [a for a in all_alarms.get(region, []) if _watches(a, metrics)]
            topic_arns |= {arn for a in scope.alarms for arn in mapping.sns_topics(a)}
        topics: dict[str, tuple[Topic | None, list[Subscription], list[Gap]]] = {}
        for arn, result, error in self._each(sorted(topic_arns), self._topic):
            if error is not None:
                gap = gap_from_error(error, resource_id=arn, link="topic", region=arns.region_of(arn),
                                     action="sns:GetTopicAttributes")
                result = (mapping.topic(arn, None), [mapping.unreadable_subscriptions(arn)], [gap])
            topics[arn] = result
        for scope in scopes.values():
            used = sorted({arn for a in scope.alarms for arn in mapping.sns_topics(a)})
            missing = {arn for arn in used if topics[arn][0] is None}
            for arn in used:
                topic_, subscriptions, gaps = topics[arn]
                scope.gaps.extend(gaps)
                if topic_ is not None:
                    scope.topics.append(topic_)
                    scope.subscriptions.extend(subscriptions)
            if missing:
                scope.alarms = [_without_topics(a, missing) for a in scope.alarms]
        return scopes

    def _group(self, region: str, name: str) -> tuple[LogGroup | None, list[MetricFilter]]:
        """One log group (exact name) and its metric filters."""
        groups = self._paginate("logs", region, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
        exact = [g for g in groups if g.get("logGroupName") == name]
        self.tick(f"log group {name}")
        if not exact:
            return None, []
        # moto and AWS both return the ARN with a trailing ":*"; the model wants the group's ARN.
        arn = (exact[0].get("arn") or "").removesuffix(":*") or \
            f"arn:aws:logs:{region}:{self.account_id}:log-group:{name}"
        filters = self._paginate("logs", region, "describe_metric_filters", "metricFilters", logGroupName=name)
        return (LogGroup(id=arn, name=name, arn=arn, account=self.account_id),
                [mapping.metric_filter(f, region=region, account=self.account_id) for f in filters])

    def _alarms(self, region: str) -> list[Alarm]:
        """Every metric alarm of the region (metric-math ones included)."""
        found = self._paginate("cloudwatch", region, "describe_alarms", "MetricAlarms",
                               AlarmTypes=["MetricAlarm"])
        self.tick(f"alarms {region}")
        return [mapping.alarm(a) for a in found]

    def _topic(self, arn: str) -> tuple[Topic | None, list[Subscription], list[Gap]]:
        """Step 7: the topic's key and policy, and its subscriptions (in the topic's region).

        A topic that does not exist is left out (no topic behind the alarm: FAIL); reads
        the auditor may not do leave UNKNOWN properties and a `Gap` saying why.
        """
        region = arns.region_of(arn) or "us-east-1"
        gaps: list[Gap] = []
        attributes: dict[str, str] | None
        try:
            attributes = self._call("sns", region, "get_topic_attributes", TopicArn=arn).get("Attributes") or {}
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NotFound", "NotFoundException"):
                return None, [], []
            attributes = None
            gaps.append(gap_from_error(error, resource_id=arn, link="topic", region=region,
                                       action="sns:GetTopicAttributes"))
        try:
            subscriptions = [mapping.subscription(s) for s in self._paginate(
                "sns", region, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)]
        except ClientError as error:
            subscriptions = [mapping.unreadable_subscriptions(arn)]
            gaps.append(gap_from_error(error, resource_id=arn, link="subscription", region=region,
                                       action="sns:ListSubscriptionsByTopic"))
        self.tick(f"topic {arn}")
        return mapping.topic(arn, attributes), subscriptions, gaps


def _without_topics(alarm: Alarm, missing: set[str]) -> Alarm:
    """Mark actions naming a topic that does not exist so the chain cannot count them.

    The shared chain accepts a topic ARN it has no record of (a topic outside a Pulumi
    stack cannot be inspected); the audit read the topic and knows it is gone, so the
    action is turned into a non-topic value naming the reason.
    """
    actions = tuple(Ref(value=f"{r.value}:does-not-exist") if r.value in missing else r
                    for r in alarm.alarm_actions)
    return replace(alarm, alarm_actions=actions)


def _watches(alarm: Alarm, metrics: set[tuple[Any, Any]]) -> bool:
    """Pre-selection (a superset): the alarm names one of the filters' metrics somewhere.

    Whether it *works* for that filter is the shared chain's decision, not this one's.
    """
    if (alarm.namespace, alarm.metric_name) in metrics:
        return True
    return any(q.metric is not None and (q.metric.namespace, q.metric.metric_name) in metrics
               for q in alarm.queries)
