"""The CIS audit procedure's reads (steps 1-7), with boto3, into the shared model.

Reads run on a shared worker pool in three waves: trails in every region (shadow and
organisation trails included), then each trail's status and selectors in its home
region, then each log group's filters, alarms and topics in the log group's own region.
A read the auditor may not do becomes a `Gap` (an UNKNOWN with its reason), never a guess.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    CompositeAlarm,
    Inventory,
    Key,
    LogGroup,
    MetricFilter,
    Subscription,
    Topic,
    Trail,
)
from trailwatch_policy.rules.composite import referenced

from . import arns, mapping
from .accounts import Account

T = TypeVar("T")

DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnauthorizedAccess",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
}


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
    keys: list[Key] = field(default_factory=list)  # the topics' KMS keys
    composite_alarms: list[CompositeAlarm] = field(default_factory=list)  # naming those alarms
    gaps: list[Gap] = field(default_factory=list)  # gaps that make every log group here unknown

    def notifiers(self) -> list[Alarm | CompositeAlarm]:
        """The alarms and composite alarms whose actions are read (their SNS topics)."""
        return [*self.alarms, *self.composite_alarms]

    def inventory(self, trails: Iterable[Trail]) -> Inventory:
        return Inventory(
            trails=tuple(trails),
            log_groups=tuple(self.log_groups),
            filters=tuple(self.filters),
            alarms=tuple(self.alarms),
            topics=tuple(self.topics),
            subscriptions=tuple(self.subscriptions),
            keys=tuple(self.keys),
            composite_alarms=tuple(self.composite_alarms),
        )


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


def gap_from_error(error: Exception, *, resource_id: str, link: str, region: str | None, action: str) -> Gap:
    """A botocore error as an UNKNOWN reason naming the API call and the permission."""
    if isinstance(error, ClientError):
        code, text = error_code(error), error_text(error)
        if code in DENIED or http_status(error) == 403:
            return Gap(
                resource_id,
                link,
                region,
                "audit.access-denied",
                f"the auditor may not call {action} ({code}): {text}",
                f"grant {action} to the auditing role (the AWS managed policy "
                "SecurityAudit covers every call the audit makes)",
            )
        return Gap(
            resource_id,
            link,
            region,
            "audit.api-error",
            f"{action} failed ({code}): {text}",
            "retry the audit; if it persists, check the resource",
        )
    return Gap(
        resource_id,
        link,
        region,
        "audit.api-error",
        f"{action} failed: {_clip(str(error))}",
        "check the network path to the AWS endpoint and retry",
    )


def http_status(error: ClientError) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "ClientError")


def error_text(error: ClientError) -> str:
    """The service's own message, never a raw HTML page (proxies and load balancers answer
    with one): a message that is not AWS's is replaced by the HTTP status."""
    text = str(error.response.get("Error", {}).get("Message") or "")
    if not text or looks_like_markup(text):
        status = http_status(error)
        return f"HTTP {status} with a body that is not an AWS error" if status else "no message"
    return _clip(text)


def looks_like_markup(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype", "<html", "<head", "<body")) or "<html" in head


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class Collector:
    """Reads one account; every API call goes through `call` (counted, errors mapped)."""

    def __init__(self, account: Account, account_id: str, pool: Executor, tick: Callable[[str], None] = lambda _: None):
        self.account = account
        self.account_id = account_id
        self.pool = pool
        self.tick = tick
        self.calls = 0
        self._count_lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------------------
    def _paginate(self, service: str, region: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        client = self.account.client(service, region)
        items: list[Any] = []
        if not client.can_paginate(operation):
            return list(self._call(service, region, operation, **kwargs).get(key) or [])
        pages = iter(client.get_paginator(operation).paginate(**kwargs))
        while True:
            with self.account.limits.slot(self.account_id, service, region):
                page = next(pages, None)  # each page is one API call
            if page is None:
                return items
            self._count()
            items.extend(page.get(key) or [])

    def _count(self) -> None:
        with self._count_lock:
            self.calls += 1

    def _call(self, service: str, region: str, operation: str, **kwargs: Any) -> Any:
        self._count()
        client = self.account.client(service, region)
        with self.account.limits.slot(self.account_id, service, region):
            return getattr(client, operation)(**kwargs)

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
    # Three flat waves on the pool. No pool task ever waits for another (so a pool of one,
    # `--max-workers 1`, is a plain sequential scan and cannot deadlock), and every read
    # that does not depend on another runs in the same wave: with real network latency
    # the scan costs about three round trips plus pagination, whatever the region count.
    def run(self, regions: Iterable[str]) -> AccountScan:
        regions = tuple(regions)
        scan = AccountScan(self.account_id, self.account.role_arn, regions)
        described = self._trails(regions, scan)  # wave 1: step 1 in every region
        by_region = self._targets(described, scan)
        details = self._details(described, by_region, scan)  # wave 2: steps 2-5
        scan.trails = [self._trail(described[arn], details, scan) for arn in sorted(described)]
        scan.scopes = {region: self._scope(region, names, details) for region, names in sorted(by_region.items())}
        self._topics(scan.scopes)  # wave 3: steps 6-7 (wave 4: KMS keys, subscription attributes)
        scan.calls = self.calls
        return scan

    def _trails(self, regions: tuple[str, ...], scan: AccountScan) -> dict[str, dict[str, Any]]:
        """Step 1: every trail visible in each region, deduplicated by ARN."""

        def read(region: str) -> list[dict[str, Any]]:
            try:
                return (
                    self._call("cloudtrail", region, "describe_trails", includeShadowTrails=True).get("trailList") or []
                )
            finally:
                self.tick(f"trails {region}")

        found: dict[str, dict[str, Any]] = {}
        for region, trails, error in self._each(regions, read):
            if error is not None:
                scan.gaps.append(
                    gap_from_error(
                        error,
                        resource_id=f"cloudtrail:{region}",
                        link="region",
                        region=region,
                        action="cloudtrail:DescribeTrails",
                    )
                )
                continue
            for description in trails:
                key = description.get("TrailARN") or description.get("Name")
                if key and key not in found:
                    found[key] = {**description, "HomeRegion": description.get("HomeRegion") or region}
        return found

    def _targets(self, described: dict[str, dict[str, Any]], scan: AccountScan) -> dict[str, list[str]]:
        """The log groups trails deliver to, by region; other accounts' groups are gaps."""
        by_region: dict[str, list[str]] = defaultdict(list)
        for arn, description in sorted(described.items()):
            target = arns.log_group(description.get("CloudWatchLogsLogGroupArn"))
            if target is None:
                continue
            if target.account != self.account_id:
                scan.gaps.append(
                    Gap(
                        arn,
                        "log-group",
                        target.region,
                        "audit.log-group-other-account",
                        f"the trail sends its events to log group {target.name} in account "
                        f"{target.account} (an organisation or central logging trail); its filters, "
                        "alarms and topics are not readable from this account",
                        f"audit account {target.account} too (--assume-role "
                        f"arn:aws:iam::{target.account}:role/<auditor>), where the chain is judged",
                    )
                )
            elif target.name not in by_region[target.region]:
                by_region[target.region].append(target.name)
        return by_region

    def _details(
        self, described: dict[str, dict[str, Any]], by_region: dict[str, list[str]], scan: AccountScan
    ) -> dict[tuple[str, ...], tuple[Any, Exception | None]]:
        """Wave 2, all independent: each trail's status and selectors (home region), each
        log group and its metric filters, each log-group region's alarms."""
        jobs: list[tuple[str, ...]] = []
        for arn in sorted(described):
            jobs += [("status", arn), ("selectors", arn)]
        for region, names in sorted(by_region.items()):
            for name in names:
                jobs += [("group", region, name), ("filters", region, name)]
            jobs.append(("alarms", region))

        def read(job: tuple[str, ...]) -> Any:
            kind = job[0]
            try:
                if kind == "status":
                    home = described[job[1]]["HomeRegion"]
                    return bool(self._call("cloudtrail", home, "get_trail_status", Name=job[1]).get("IsLogging"))
                if kind == "selectors":
                    home = described[job[1]]["HomeRegion"]
                    return self._call("cloudtrail", home, "get_event_selectors", TrailName=job[1])
                if kind == "group":
                    return [
                        g
                        for g in self._paginate(
                            "logs", job[1], "describe_log_groups", "logGroups", logGroupNamePrefix=job[2]
                        )
                        if g.get("logGroupName") == job[2]
                    ]
                if kind == "filters":
                    return self._paginate(
                        "logs", job[1], "describe_metric_filters", "metricFilters", logGroupName=job[2]
                    )
                return self._alarms(job[1])
            finally:
                self.tick(" ".join(job[:1] + job[-1:]))

        return {job: (result, error) for job, result, error in self._each(jobs, read)}

    def _trail(
        self,
        description: dict[str, Any],
        details: dict[tuple[str, ...], tuple[Any, Exception | None]],
        scan: AccountScan,
    ) -> Trail:
        """Steps 2-3 into the model: IsLogging and the management events recorded."""
        arn = description.get("TrailARN") or description["Name"]
        home = description["HomeRegion"]
        logging: Any
        management: Any
        status, error = details[("status", arn)]
        logging = status
        if error is not None:
            logging = UNKNOWN
            scan.gaps.append(
                gap_from_error(error, resource_id=arn, link="trail", region=home, action="cloudtrail:GetTrailStatus")
            )
        selectors, error = details[("selectors", arn)]
        excluded: Any = UNKNOWN
        if error is not None:
            management = UNKNOWN
            scan.gaps.append(
                gap_from_error(error, resource_id=arn, link="trail", region=home, action="cloudtrail:GetEventSelectors")
            )
        else:
            management = mapping.management_events(
                selectors.get("EventSelectors") or [], selectors.get("AdvancedEventSelectors") or []
            )
            excluded = mapping.excluded_event_sources(
                selectors.get("EventSelectors") or [], selectors.get("AdvancedEventSelectors") or []
            )
        return mapping.trail(description, logging=logging, management=management, excluded=excluded)

    def _scope(
        self, region: str, names: list[str], details: dict[tuple[str, ...], tuple[Any, Exception | None]]
    ) -> Scope:
        """Steps 4-5 into the model: log groups, their filters, the alarms on their metrics."""
        scope = Scope(region, list(names))
        for name in names:
            groups, group_error = details[("group", region, name)]
            filters, filter_error = details[("filters", region, name)]
            error = group_error or (filter_error if groups else None)
            if error is not None:
                scope.gaps.append(
                    gap_from_error(
                        error,
                        resource_id=name,
                        link="log-group",
                        region=region,
                        action="logs:DescribeLogGroups" if group_error else "logs:DescribeMetricFilters",
                    )
                )
                continue
            if not groups:
                continue  # the log group does not exist (the verdict says so)
            # moto and AWS both return the ARN with a trailing ":*"; the model wants the group's.
            arn = (groups[0].get("arn") or "").removesuffix(
                ":*"
            ) or f"arn:aws:logs:{region}:{self.account_id}:log-group:{name}"
            scope.log_groups.append(LogGroup(id=arn, name=name, arn=arn, account=self.account_id))
            scope.filters.extend(mapping.metric_filter(f, region=region, account=self.account_id) for f in filters)
        alarms, error = details[("alarms", region)]
        if error is not None:
            scope.gaps.append(
                gap_from_error(
                    error, resource_id=region, link="alarm", region=region, action="cloudwatch:DescribeAlarms"
                )
            )
            return scope
        metric_alarms, composites = alarms
        metrics = {(t.namespace, t.name) for f in scope.filters for t in f.metrics}
        scope.alarms, scope.composite_alarms = on_metrics(
            [mapping.alarm(raw) for raw in metric_alarms], [mapping.composite_alarm(raw) for raw in composites], metrics
        )
        return scope

    def _alarms(self, region: str) -> tuple[list[Any], list[Any]]:
        """Metric alarms and composite alarms of a region, in one paginated read."""
        client = self.account.client("cloudwatch", region)
        metric: list[Any] = []
        composite: list[Any] = []
        for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
            self._count()
            metric.extend(page.get("MetricAlarms") or [])
            composite.extend(page.get("CompositeAlarms") or [])
        return metric, composite

    def _topics(self, scopes: dict[str, Scope]) -> None:
        """Wave 3, steps 6-7: each notified topic's attributes and subscriptions, in the
        topic's own region. A topic that does not exist is recorded as such (`exists=False`);
        reads the auditor may not do leave UNKNOWN values and a `Gap`. Wave 4: the topics'
        KMS keys and each listed subscription's attributes, together."""
        used = sorted({arn for scope in scopes.values() for a in scope.notifiers() for arn in mapping.sns_topics(a)})
        jobs = [(kind, arn) for arn in used for kind in ("attributes", "subscriptions")]

        def read(job: tuple[str, str]) -> Any:
            kind, arn = job
            region = arns.region_of(arn) or "us-east-1"
            try:
                if kind == "attributes":
                    return self._call("sns", region, "get_topic_attributes", TopicArn=arn).get("Attributes") or {}
                return self._paginate("sns", region, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
            finally:
                self.tick(f"{kind} {arn}")

        results = {job: (result, error) for job, result, error in self._each(jobs, read)}
        keys, attributes_of = self._wave4(
            sorted(
                {
                    (arns.region_of(arn) or "us-east-1", ref)
                    for (kind, arn), (attributes, error) in results.items()
                    if kind == "attributes" and error is None
                    for ref in [mapping.topic_key(attributes)]
                    if ref
                }
            ),
            sorted(
                {
                    s["SubscriptionArn"]
                    for (kind, _), (listed, error) in results.items()
                    if kind == "subscriptions" and error is None
                    for s in listed
                    if str(s.get("SubscriptionArn") or "").startswith("arn:")
                }
            ),
        )
        for scope in scopes.values():
            mine = sorted({arn for a in scope.notifiers() for arn in mapping.sns_topics(a)})
            for arn in mine:
                attributes, error = results[("attributes", arn)]
                if _not_found(error):
                    scope.topics.append(mapping.deleted_topic(arn))
                    continue
                if error is not None:
                    attributes = None
                    scope.gaps.append(
                        gap_from_error(
                            error,
                            resource_id=arn,
                            link="topic",
                            region=arns.region_of(arn),
                            action="sns:GetTopicAttributes",
                        )
                    )
                scope.topics.append(mapping.topic(arn, attributes))
                ref = mapping.topic_key(attributes)
                if ref is not None:
                    region = arns.region_of(arn) or "us-east-1"
                    key, gaps = keys[(region, ref)]
                    scope.keys.append(key)
                    scope.gaps.extend(replace(g, resource_id=arn) for g in gaps)
                subscriptions, error = results[("subscriptions", arn)]
                if error is not None:
                    scope.gaps.append(
                        gap_from_error(
                            error,
                            resource_id=arn,
                            link="subscription",
                            region=arns.region_of(arn),
                            action="sns:ListSubscriptionsByTopic",
                        )
                    )
                    scope.subscriptions.append(mapping.unreadable_subscriptions(arn))
                    continue
                for listed in subscriptions:
                    sub_arn = str(listed.get("SubscriptionArn") or "")
                    read_attributes, error = attributes_of.get(sub_arn, (None, None))
                    if error is not None and _not_found(error):
                        continue  # unsubscribed between the two reads: it delivers nothing
                    if error is not None:
                        # The filter policy is not known: whether the subscription delivers
                        # an alarm cannot be verified (the shared rule says UNKNOWN).
                        gap = gap_from_error(
                            error,
                            resource_id=sub_arn,
                            link="subscription",
                            region=arns.region_of(arn),
                            action="sns:GetSubscriptionAttributes",
                        )
                        if gap.code == "audit.access-denied":  # not in every copy of SecurityAudit
                            gap = replace(
                                gap,
                                fix="grant sns:GetSubscriptionAttributes to the auditing role "
                                "(beside SecurityAudit if your copy of it lacks the action)",
                            )
                        scope.gaps.append(gap)
                    scope.subscriptions.append(
                        mapping.subscription(listed, read_attributes, unreadable=error is not None)
                    )

    def _wave4(
        self, refs: list[tuple[str, str]], subscriptions: list[str]
    ) -> tuple[dict[tuple[str, str], tuple[Key, list[Gap]]], dict[str, tuple[Any, Exception | None]]]:
        """The topics' KMS keys (`_key`) and each confirmed subscription's attributes
        (sns:GetSubscriptionAttributes: FilterPolicy, FilterPolicyScope, PendingConfirmation,
        ConfirmationWasAuthenticated), in one wave on the pool."""
        jobs: list[tuple[str, ...]] = [("key", *ref) for ref in refs] + [("subscription", s) for s in subscriptions]

        def read(job: tuple[str, ...]) -> Any:
            if job[0] == "key":
                return self._key(job[1], job[2])
            try:
                region = arns.region_of(job[1]) or "us-east-1"
                return (
                    self._call("sns", region, "get_subscription_attributes", SubscriptionArn=job[1]).get("Attributes")
                    or {}
                )
            finally:
                self.tick(f"subscription {job[1]}")

        keys: dict[tuple[str, str], tuple[Key, list[Gap]]] = {}
        attributes: dict[str, tuple[Any, Exception | None]] = {}
        for job, result, error in self._each(jobs, read):
            if job[0] == "key":
                keys[(job[1], job[2])] = result
            else:
                attributes[job[1]] = (result, error)
        return keys, attributes

    def _key(self, region: str, ref: str) -> tuple[Key, list[Gap]]:
        """One topic's customer-managed KMS key, in the topic's region: kms:DescribeKey
        (enabled, AWS- or customer-managed) then kms:GetKeyPolicy (the `default` policy,
        the only one a key has), both in SecurityAudit."""
        gaps: list[Gap] = []
        description: Any = None
        described = policy_read = False
        policy = None
        try:
            try:
                description = self._call("kms", region, "describe_key", KeyId=ref)
                described = True
            except (ClientError, BotoCoreError) as error:
                if _not_found(error):
                    described = True  # gone: SNS cannot use it
                else:
                    gaps.append(
                        gap_from_error(error, resource_id=ref, link="topic", region=region, action="kms:DescribeKey")
                    )
            key_id = ((description or {}).get("KeyMetadata") or {}).get("KeyId")
            if key_id or not ref.startswith("alias/"):
                try:
                    policy = self._call("kms", region, "get_key_policy", KeyId=key_id or ref, PolicyName="default").get(
                        "Policy"
                    )
                    policy_read = True
                except (ClientError, BotoCoreError) as error:
                    if not _not_found(error):
                        gaps.append(
                            gap_from_error(
                                error, resource_id=ref, link="topic", region=region, action="kms:GetKeyPolicy"
                            )
                        )
            return mapping.key(ref, description, policy, described=described, policy_read=policy_read), gaps
        finally:
            self.tick(f"key {ref}")


def _not_found(error: Exception | None) -> bool:
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in (
        "NotFound",
        "NotFoundException",
    )


def on_metrics(
    alarms: Iterable[Alarm], composites: Iterable[CompositeAlarm], metrics: set[tuple[Any, Any]]
) -> tuple[list[Alarm], list[CompositeAlarm]]:
    """The alarms that may watch one of `metrics` (`watches`), and the composite alarms
    whose rule names one of them."""
    chosen = [a for a in alarms if watches(a, metrics)]
    named = {v for a in chosen for v in (a.name, a.arn) if isinstance(v, str)}
    return chosen, [c for c in composites if isinstance(c.rule, str) and referenced(c.rule) & named]


def watches(alarm: Alarm, metrics: set[tuple[Any, Any]]) -> bool:
    """Pre-selection (a superset): the alarm names one of the filters' metrics somewhere.

    Whether it *works* for that filter is the shared chain's decision, not this one's.
    """
    if (alarm.namespace, alarm.metric_name) in metrics:
        return True
    return any(q.metric is not None and (q.metric.namespace, q.metric.metric_name) in metrics for q in alarm.queries)
