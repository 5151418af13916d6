"""Pulumi resources (as a CrossGuard policy sees them) -> the pure model.

At preview, reading an unknown from `PolicyResource.props` raises `UnknownValueError`
(even `in`, `.get()`, `dict(props)`): every read here goes item by item through
`plain()`, which turns unknowns into `UNKNOWN` and never lets the error escape. Numbers
arrive as floats, secrets plain (or as `Secret` in other SDK paths: unwrapped). A missing
or wrong-typed property becomes `None`, never an exception.

Only resources of the types below are read (`TYPES`), so large stacks cost little.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence  # isinstance: 10x typing's
from dataclasses import replace
from typing import Any

from pulumi_policy import Secret
from pulumi_policy.proxy import UnknownValueError

from trailwatch_policy.base.model import (
    ANYWHERE,
    UNKNOWN,
    Alarm,
    CompositeAlarm,
    Inventory,
    Key,
    LogGroup,
    MetricFilter,
    MetricQuery,
    MetricStat,
    MetricTransformation,
    Ref,
    Subscription,
    Topic,
    Trail,
    Where,
)
from trailwatch_policy.base.types import (
    ALARM,
    COMPOSITE_ALARM,
    KMS_ALIAS,
    KMS_KEY,
    KMS_KEY_POLICY,
    LOG_GROUP,
    METRIC_FILTER,
    N_ALARM,
    N_COMPOSITE_ALARM,
    N_KMS_ALIAS,
    N_KMS_KEY,
    N_LOG_GROUP,
    N_METRIC_FILTER,
    N_SUBSCRIPTION,
    N_TOPIC,
    N_TOPIC_POLICY,
    N_TRAIL,
    SUBSCRIPTION,
    TOPIC,
    TOPIC_POLICY,
    TRAIL,
)
from trailwatch_policy.rules.log_group import Index, sns_topic_name_from_arn
from trailwatch_policy.rules.topic import read_policy
from trailwatch_policy.rules.trail import excluded_event_sources, management_events
from trailwatch_policy.rules.where import of_arn, symbol

# The engine's sentinels for values not known during preview (pulumi_policy.proxy).
SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


# -- reading values safely -------------------------------------------------------------
def _item(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN
    except (KeyError, IndexError, TypeError):
        return None


def plain(value: Any) -> Any:
    """A props value as plain dicts/lists/scalars, with UNKNOWN for unknowns."""
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, str):
        return UNKNOWN if value in SENTINELS else value
    if isinstance(value, Mapping):
        return {k: plain(_item(value, k)) for k in list(iter(value))}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_item(value, i)) for i in range(len(value))]
    return value


def _str(value: Any) -> Any:
    if value is UNKNOWN or value is None:
        return value
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return None


def _num(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _bool(value: Any) -> Any:
    if value is UNKNOWN or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]  # a single object where a list is allowed
    return []


def _dimensions(value: Any) -> Any:
    """{name: value} from a map (aws) or a list of {name|key, value} (aws-native)."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        if any(v is UNKNOWN for v in value.values()):
            return UNKNOWN
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        out = {}
        for entry in value:
            if entry is UNKNOWN:
                return UNKNOWN
            entry = _dict(entry)
            key, val = entry.get("name", entry.get("key")), entry.get("value")
            if key is UNKNOWN or val is UNKNOWN:
                return UNKNOWN
            if key is not None:
                out[str(key)] = str(val)
        return out
    return {}


class _Res:
    """One resource: plain props and the URNs each property was computed from.

    Properties are read when asked for, one by one: a property the control does not use
    (tags nested 5,000 deep) is never converted, and one that fails to convert fails
    only the reads that need it.
    """

    def __init__(self, resource: Any) -> None:
        self.type: str = getattr(resource, "resource_type", "")
        self.urn: str = getattr(resource, "urn", "")
        raw = getattr(resource, "props", None)
        self._raw = raw if isinstance(raw, Mapping) else None
        # The keys present: an absent one is None without asking the SDK's proxy (which
        # raises KeyError through two layers for each).
        self._keys = frozenset(iter(self._raw)) if self._raw is not None else frozenset()
        self._props: dict[str, Any] = {}
        self._deps = getattr(resource, "property_dependencies", None) or {}
        self.last = ""  # the property read last (the likely culprit when reading fails)

    def __getitem__(self, key: str) -> Any:
        self.last = key
        if key not in self._props:
            raw = self._raw
            self._props[key] = None if key not in self._keys else plain(_item(raw, key))
        return self._props[key]

    def sources(self, key: str) -> frozenset[str]:
        deps = _item(self._deps, key) if isinstance(self._deps, Mapping) else None
        urns = set()
        for dep in deps or ():
            urn = dep if isinstance(dep, str) else getattr(dep, "urn", None)
            if isinstance(urn, str) and urn:
                urns.add(urn)
        return frozenset(urns)

    def ref(self, key: str) -> Ref:
        value = _str(self[key])
        if value is UNKNOWN or value is None:
            return Ref(value, self.sources(key))
        return Ref(value, derived=self.sources(key))

    def refs(self, key: str) -> tuple[Ref, ...]:
        """One Ref per list element; dependencies are per property, so only unknown
        elements take them (a literal element is decided by its value)."""
        raw = self[key]
        sources = self.sources(key)
        if raw is UNKNOWN:
            return (Ref(UNKNOWN, sources),)
        out = []
        for element in raw if isinstance(raw, list) else []:
            value = _str(element)
            if value is not None:
                out.append(Ref(value, sources) if value is UNKNOWN else Ref(value, derived=sources))
        return tuple(out)


# -- where a resource lives -------------------------------------------------------------
def _config_value(value: Any) -> Any:
    """Provider config arrives as strings: a list or object is JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _provider_account(props: dict[str, Any], label: str) -> Any:
    """The account a provider acts in: its (last) assumed role's, a single allowed account,
    else the account of its credentials (a symbol: the same for every provider with the same
    credentials settings, not known as a number)."""
    roles = _config_value(props.get("assumeRoles", props.get("assumeRole")))
    if roles is UNKNOWN:
        return UNKNOWN
    role = roles[-1] if isinstance(roles, list) and roles else roles
    if role is UNKNOWN:
        return UNKNOWN
    if isinstance(role, dict) and role.get("roleArn") is not None:
        arn = role.get("roleArn")
        if arn is UNKNOWN:
            return UNKNOWN
        named = of_arn(arn)
        return named.account if named is not None and named.account else UNKNOWN
    allowed = _config_value(props.get("allowedAccountIds"))
    if allowed is UNKNOWN:
        return UNKNOWN
    if isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str):
        return allowed[0]  # the provider refuses to run in any other account
    creds = [
        f"{k}={props[k]}" for k in ("profile", "accessKey", "sharedCredentialsFiles") if isinstance(props.get(k), str)
    ]
    if any(props.get(k) is UNKNOWN for k in ("profile", "accessKey")):
        return UNKNOWN
    return symbol("of the deployment's credentials" + (f" ({', '.join(creds)})" if creds else ""))


def provider_where(provider: Any) -> Where:
    """The account and Region of a provider resource (`pulumi:providers:aws` or aws-native).

    Its `region` (the default provider's comes from the stack's `aws:region`); a provider
    without one takes it from the environment when it runs: the same for every resource of
    that provider, otherwise not known.
    """
    if provider is None:
        return ANYWHERE
    props = _dict(plain(getattr(provider, "props", None) or {}))
    label = str(getattr(provider, "name", "") or getattr(provider, "urn", "") or "?")
    region = props.get("region")
    if not (isinstance(region, str) and region) and region is not UNKNOWN:
        region = symbol(f"from the environment of provider {label}")
    return Where(_provider_account(props, label), region)


def _where(resource: Any, r: _Res, providers: dict[str, Where]) -> Where:
    provider = getattr(resource, "provider", None)
    key = str(getattr(provider, "urn", "") or id(provider))
    base = providers.get(key)
    if base is None:
        base = providers[key] = provider_where(provider)
    if r.type.startswith("aws:"):  # pulumi-aws 7: a per-resource `region` overrides the provider's
        own = r["region"]
        if own is UNKNOWN or (isinstance(own, str) and own):
            return Where(base.account, own)
    return base


# -- one converter per resource type ---------------------------------------------------
def _trail(r: _Res, native: bool) -> Trail:
    key = "cloudWatchLogsLogGroupArn" if native else "cloudWatchLogsGroupArn"
    ref = r.ref(key)
    if ref.value is None and ref.sources:
        ref = Ref(UNKNOWN, ref.sources)
    return Trail(
        id=r.urn,
        name=_str(r["trailName" if native else "name"]),
        log_group=ref,
        multi_region=_bool(r["isMultiRegionTrail"]),
        logging=_bool(r["isLogging" if native else "enableLogging"]),
        management_events=management_events(r["eventSelectors"], r["advancedEventSelectors"]),
        excluded_sources=excluded_event_sources(r["eventSelectors"], r["advancedEventSelectors"]),
    )


def autonamed(urn: str, name: object) -> bool:
    """Whether `name` is the provider's autoname for the resource: `<logical name>-<7 hex>`
    (pulumi-aws and aws-native alike; a FIFO topic keeps ".fifo")."""
    if not isinstance(name, str) or not urn.startswith("urn:"):
        return False
    logical = urn.rsplit("::", 1)[-1]
    return bool(re.fullmatch(re.escape(logical) + r"-[0-9a-f]{1,7}(\.fifo)?", name, re.IGNORECASE))


def _log_group(r: _Res, native: bool) -> LogGroup:
    name = _str(r["logGroupName" if native else "name"])
    return LogGroup(
        id=r.urn,
        name=name,
        arn=_str(r["arn"]),
        name_prefix=None if native else _str(r["namePrefix"]),
        autonamed=autonamed(r.urn, name),
    )


def _transformation(m: Any, native: bool) -> MetricTransformation:
    if m is UNKNOWN:
        return MetricTransformation(UNKNOWN, UNKNOWN, UNKNOWN, dimensions=UNKNOWN)
    m = _dict(m)
    # aws-native spells the three names metricName/metricNamespace/metricValue; the rest is shared
    name, namespace, value = (
        ("metricName", "metricNamespace", "metricValue") if native else ("name", "namespace", "value")
    )
    return MetricTransformation(
        _str(m.get(name)),
        _str(m.get(namespace)),
        _str(m.get(value)),
        _num(m.get("defaultValue")),
        _dimensions(m.get("dimensions")),
        _str(m.get("unit")),
    )


def _metric_filter(r: _Res, native: bool) -> MetricFilter:
    raw = r["metricTransformations" if native else "metricTransformation"]
    metrics = (
        (_transformation(UNKNOWN, native),) if raw is UNKNOWN else tuple(_transformation(m, native) for m in _list(raw))
    )
    pattern = r["filterPattern" if native else "pattern"]
    return MetricFilter(
        id=r.urn,
        name=_str(r["filterName" if native else "name"]),
        log_group=r.ref("logGroupName"),
        pattern=pattern if pattern is UNKNOWN or isinstance(pattern, str) else None,
        metrics=metrics,
    )


def _query(q: Any, native: bool) -> MetricQuery:
    if q is UNKNOWN:
        return MetricQuery(UNKNOWN, MetricStat(UNKNOWN, UNKNOWN, UNKNOWN), return_data=UNKNOWN)
    q = _dict(q)
    metric = None
    if native:
        stat = q.get("metricStat")
        if stat is UNKNOWN:
            metric = MetricStat(UNKNOWN, UNKNOWN, UNKNOWN)
        elif isinstance(stat, dict):
            inner = stat.get("metric")
            inner = (
                {"metricName": UNKNOWN, "namespace": UNKNOWN, "dimensions": UNKNOWN}
                if inner is UNKNOWN
                else _dict(inner)
            )
            metric = MetricStat(
                _str(inner.get("namespace")),
                _str(inner.get("metricName")),
                _str(stat.get("stat")),
                _num(stat.get("period")),
                _dimensions(inner.get("dimensions")),
                _str(stat.get("unit")),
            )
    else:
        m = q.get("metric")
        if m is UNKNOWN:
            metric = MetricStat(UNKNOWN, UNKNOWN, UNKNOWN)
        elif isinstance(m, dict):
            metric = MetricStat(
                _str(m.get("namespace")),
                _str(m.get("metricName")),
                _str(m.get("stat")),
                _num(m.get("period")),
                _dimensions(m.get("dimensions")),
                _str(m.get("unit")),
            )
    return MetricQuery(
        _str(q.get("id")), metric, _str(q.get("expression")), _bool(q.get("returnData")), _str(q.get("accountId"))
    )


def _alarm(r: _Res, native: bool) -> Alarm:
    raw_queries = r["metrics" if native else "metricQueries"]
    queries = (
        (_query(UNKNOWN, native),) if raw_queries is UNKNOWN else tuple(_query(q, native) for q in _list(raw_queries))
    )
    return Alarm(
        id=r.urn,
        name=_str(r["alarmName" if native else "name"]),
        namespace=_str(r["namespace"]),
        metric_name=_str(r["metricName"]),
        dimensions=_dimensions(r["dimensions"]),
        statistic=_str(r["statistic"]),
        extended_statistic=_str(r["extendedStatistic"]),
        period=_num(r["period"]),
        queries=queries,
        threshold=_num(r["threshold"]),
        comparison=_str(r["comparisonOperator"]),
        evaluation_periods=_num(r["evaluationPeriods"]),
        datapoints_to_alarm=_num(r["datapointsToAlarm"]),
        treat_missing_data=_str(r["treatMissingData"]),
        actions_enabled=_bool(r["actionsEnabled"]),
        alarm_actions=r.refs("alarmActions"),
        unit=_str(r["unit"]),
        threshold_metric_id=_str(r["thresholdMetricId"]),
        evaluate_low_sample_count_percentiles=_str(
            r["evaluateLowSampleCountPercentile" if native else "evaluateLowSampleCountPercentiles"]
        ),
        arn=_str(r["arn"]),
        account=_account(r["arn"]),
    )


def _account(arn: Any) -> Any:
    """The account in a known ARN (an alarm's, once it exists), else None."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    return parts[4] if len(parts) == 6 and parts[4] else None


def _composite(r: _Res, native: bool) -> CompositeAlarm:
    rule = r.ref("alarmRule")
    return CompositeAlarm(
        id=r.urn,
        name=_str(r["alarmName"]),
        rule=rule.value,
        rule_sources=r.sources("alarmRule"),
        actions_enabled=_bool(r["actionsEnabled"]),
        alarm_actions=r.refs("alarmActions"),
        suppressor=_str(r["actionsSuppressor"]),
        arn=_str(r["arn"]),
        account=_account(r["arn"]),
    )


def _document(r: _Res, key: str) -> tuple[Any, frozenset[str]]:
    """A policy property: the document (None when unset), with the URNs it was built from.
    An unknown value without dependencies is one the provider computes (the default)."""
    value = r[key]
    sources = r.sources(key)
    if value is UNKNOWN and not sources:
        return None, sources
    return value, sources


def _key(r: _Res, native: bool) -> Key:
    policy, sources = _document(r, "keyPolicy" if native else "policy")
    enabled = _bool(r["enabled" if native else "isEnabled"])
    return Key(
        id=r.urn,
        key_id=_str(r["keyId"]),
        arn=_str(r["arn"]),
        enabled=True if enabled is None else enabled,
        policy=policy,
        policy_sources=sources,
    )


def _topic(r: _Res, native: bool) -> Topic:
    # An unset policy is computed by the provider (unknown at preview): the default one.
    policy, sources = (None, frozenset()) if native else _document(r, "policy")
    key = r.ref("kmsMasterKeyId")
    return Topic(
        id=r.urn,
        name=_str(r["topicName" if native else "name"]),
        arn=_str(r["topicArn" if native else "arn"]),
        kms_master_key_id=key.value,
        fifo=_bool(r["fifoTopic"]),
        policy=policy or None,
        policy_sources=sources,
        kms_key_sources=key.sources,
    )


def _subscription(r: _Res, native: bool) -> Subscription:
    filter_policy, _ = _document(r, "filterPolicy")
    return Subscription(
        id=r.urn,
        topic=r.ref("topicArn" if native else "topic"),
        protocol=_str(r["protocol"]),
        endpoint=_str(r["endpoint"]),
        filter_policy=filter_policy or None,
        filter_policy_scope=_str(r["filterPolicyScope"]),
    )


def _inline_subscriptions(r: _Res, where: Where) -> list[Subscription]:
    """CloudFormation creates a subscription per entry of the topic's `Subscription` property
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html)."""
    raw = r["subscription"]
    if raw is UNKNOWN:
        return [
            Subscription(id=r.urn, topic=Ref(None, frozenset({r.urn})), protocol=UNKNOWN, endpoint=UNKNOWN, where=where)
        ]
    out = []
    for entry in _list(raw):
        entry = {"protocol": UNKNOWN, "endpoint": UNKNOWN} if entry is UNKNOWN else _dict(entry)
        out.append(
            Subscription(
                id=r.urn,
                topic=Ref(None, frozenset({r.urn})),
                protocol=_str(entry.get("protocol")),
                endpoint=_str(entry.get("endpoint")),
                where=where,
            )
        )
    return out


_CONVERTERS = {
    TRAIL: (_trail, False),
    N_TRAIL: (_trail, True),
    LOG_GROUP: (_log_group, False),
    N_LOG_GROUP: (_log_group, True),
    METRIC_FILTER: (_metric_filter, False),
    N_METRIC_FILTER: (_metric_filter, True),
    ALARM: (_alarm, False),
    N_ALARM: (_alarm, True),
    TOPIC: (_topic, False),
    N_TOPIC: (_topic, True),
    SUBSCRIPTION: (_subscription, False),
    N_SUBSCRIPTION: (_subscription, True),
    COMPOSITE_ALARM: (_composite, False),
    N_COMPOSITE_ALARM: (_composite, True),
    KMS_KEY: (_key, False),
    N_KMS_KEY: (_key, True),
}
_ATTACHED = frozenset({TOPIC_POLICY, N_TOPIC_POLICY, KMS_ALIAS, N_KMS_ALIAS, KMS_KEY_POLICY})
TYPES = frozenset(_CONVERTERS) | _ATTACHED


def _apply_topic_policies(topics: list[Topic], policies: list[_Res], unreadable: dict[str, str]) -> list[Topic]:
    """A TopicPolicy replaces its topic's policy: decide whether CloudWatch may publish.

    The policy points at its topic like any reference: by dependency, or by a literal ARN,
    which at preview (topic ARN unknown) is matched by the topic name inside it.
    """
    if not policies:
        return topics
    index = Index.of(topics)
    position = {t.id: i for i, t in enumerate(topics)}
    for pol in policies:
        native = pol.type == N_TOPIC_POLICY
        refs = pol.refs("topics") if native else (pol.ref("arn"),)
        key = "policyDocument" if native else "policy"
        why: str | None = None
        document, sources = _document(pol, key)
        try:
            document = read_policy(document)
        except Exception as exc:  # noqa: BLE001 -- the topics it governs cannot be verified
            from trailwatch_policy.base.findings import cut, failure

            why = f"property {key!r} of its TopicPolicy {cut(pol.urn.rsplit('::', 1)[-1])}: {failure(exc)}"
            document = UNKNOWN
        for ref in refs:
            for topic in index.resolve(ref, sns_topic_name_from_arn):
                i = position[topic.id]
                governed = _own_arn(document, sources, topics[i])
                topics[i] = replace(topics[i], policy=UNKNOWN if governed is None else governed, policy_sources=sources)
                if why is not None:
                    unreadable[topic.id] = why
    return topics


def _own_arn(document: Any, sources: frozenset[str], topic: Topic) -> Any:
    """The document with each `Resource` not known yet that is computed from this topic
    alone read as the topic's own ARN.

    At preview a statement written `"Resource": topic.topic_arn` (aws-native's policy is a
    JSON object, so the unknown sits inside it) depends on the topic and nothing else: it is
    the topic's ARN, as a pulumi-aws policy built from `topic.arn` is judged on the stack's
    own outputs (`topic._policy_problems`). A Resource computed from anything else stays
    unknown ("cannot be verified").
    """
    if not isinstance(document, dict) or not sources or sources != frozenset({topic.id}):
        return document
    statements = document.get("Statement")
    if not isinstance(statements, (list, dict)):
        return document
    # The ARN itself, else a pattern the policy evaluation matches by the topic's name
    # (iam_policy: an unknown ARN is judged by its last segment, or as unknown context).
    own = (
        topic.arn
        if isinstance(topic.arn, str)
        else (f"arn:*:sns:*:*:{topic.name}" if isinstance(topic.name, str) else "arn:*:sns:*:*:*")
    )

    def resolved(statement: Any) -> Any:
        if not isinstance(statement, dict) or "Resource" not in statement:
            return statement
        value = statement["Resource"]
        if value is UNKNOWN:
            return {**statement, "Resource": own}
        if isinstance(value, list) and UNKNOWN in value:
            return {**statement, "Resource": [own if v is UNKNOWN else v for v in value]}
        return statement

    if isinstance(statements, dict):
        return {**document, "Statement": resolved(statements)}
    return {**document, "Statement": [resolved(s) for s in statements]}


def _apply_key_extras(keys: list[Key], extras: list[_Res]) -> list[Key]:
    """Aliases name their key (`targetKeyId`); a KeyPolicy replaces its key's policy."""
    if not extras:
        return keys
    by_value: dict[str, int] = {}
    for i, key in enumerate(keys):
        by_value[key.id] = i
        for value in (key.key_id, key.arn):
            if isinstance(value, str):
                by_value[value] = i
    for extra in extras:
        field = "keyId" if extra.type == KMS_KEY_POLICY else "targetKeyId"
        value = extra[field]
        targets = {by_value[s] for s in extra.sources(field) if s in by_value}
        if isinstance(value, str) and value in by_value:
            targets.add(by_value[value])
        for i in targets:
            if extra.type == KMS_KEY_POLICY:
                policy, sources = _document(extra, "policy")
                keys[i] = replace(keys[i], policy=UNKNOWN if policy is None else policy, policy_sources=sources)
            else:
                name = _str(extra["aliasName" if extra.type == N_KMS_ALIAS else "name"])
                if isinstance(name, str):
                    keys[i] = replace(keys[i], aliases=keys[i].aliases + (name,))
    return keys


def _identity(r: _Res, kind: str, native: bool) -> Any:
    """What links a resource whose properties could not be read: its URN, and its name,
    ARN and references where those still read; every other value UNKNOWN (so no rule
    passes it: the chain reports it "cannot be verified", see chain.evaluate)."""

    def safe(read: Any, default: Any = UNKNOWN) -> Any:
        try:
            return read()
        except Exception:  # noqa: BLE001 -- this one value stays unknown
            return default

    name = safe(
        lambda: _str(
            r[
                {
                    TRAIL: "name",
                    N_TRAIL: "trailName",
                    LOG_GROUP: "name",
                    N_LOG_GROUP: "logGroupName",
                    METRIC_FILTER: "name",
                    N_METRIC_FILTER: "filterName",
                    ALARM: "name",
                    N_ALARM: "alarmName",
                    TOPIC: "name",
                    N_TOPIC: "topicName",
                }.get(kind, "name")
            ]
        )
    )
    unknown_ref = Ref(UNKNOWN, safe(lambda: frozenset().union(*(r.sources(k) for k in r._deps)), frozenset()))
    if kind in (TRAIL, N_TRAIL):
        key = "cloudWatchLogsLogGroupArn" if native else "cloudWatchLogsGroupArn"
        return Trail(
            id=r.urn,
            name=name,
            log_group=safe(lambda: r.ref(key), unknown_ref),
            multi_region=UNKNOWN,
            logging=UNKNOWN,
            management_events=UNKNOWN,
        )
    if kind in (LOG_GROUP, N_LOG_GROUP):
        return LogGroup(id=r.urn, name=name, arn=safe(lambda: _str(r["arn"])))
    if kind in (METRIC_FILTER, N_METRIC_FILTER):
        return MetricFilter(
            id=r.urn,
            name=name,
            log_group=safe(lambda: r.ref("logGroupName"), unknown_ref),
            pattern=UNKNOWN,
            metrics=(_transformation(UNKNOWN, native),),
        )
    if kind in (ALARM, N_ALARM):
        return Alarm(
            id=r.urn,
            name=name,
            namespace=UNKNOWN,
            metric_name=UNKNOWN,
            alarm_actions=safe(lambda: r.refs("alarmActions"), (unknown_ref,)),
        )
    if kind in (TOPIC, N_TOPIC):
        return Topic(
            id=r.urn,
            name=name,
            arn=safe(lambda: _str(r["topicArn" if native else "arn"])),
            kms_master_key_id=UNKNOWN,
            cloudwatch_can_publish=UNKNOWN,
        )
    return Subscription(
        id=r.urn,
        topic=safe(lambda: r.ref("topicArn" if native else "topic"), unknown_ref),
        protocol=UNKNOWN,
        endpoint=UNKNOWN,
    )


def inventory(resources: Iterable[Any], unreadable: dict[str, str] | None = None) -> Inventory:
    """The control's resources of a stack, in registration order.

    A resource whose properties cannot be read (a document nested too deep to decode, an
    input nobody foresaw) does not sink the stack's verdict: it is kept by its identity
    (`_identity`) and its URN goes into `unreadable` with the reason, for
    `chain.evaluate` to report it alone as "cannot be verified".
    """
    from trailwatch_policy.base.findings import failure

    unreadable = {} if unreadable is None else unreadable
    buckets: dict[type, list[Any]] = {
        t: [] for t in (Trail, LogGroup, MetricFilter, Alarm, Topic, Subscription, CompositeAlarm, Key)
    }
    policies: list[_Res] = []
    providers: dict[str, Where] = {}
    key_extras: list[_Res] = []
    for resource in resources:
        kind = getattr(resource, "resource_type", None)
        if kind not in TYPES:
            continue  # never touch the props of unrelated resources
        r = _Res(resource)
        if kind in (TOPIC_POLICY, N_TOPIC_POLICY):
            policies.append(r)
            continue
        if kind in _ATTACHED:
            key_extras.append(r)
            continue
        convert, native = _CONVERTERS[kind]
        try:
            item = convert(r, native)
        except Exception as exc:  # noqa: BLE001 -- contained to this resource
            unreadable[r.urn] = f"property {r.last!r}: {failure(exc)}"
            item = _identity(r, kind, native)
        try:
            where = _where(resource, r, providers)
            inline = _inline_subscriptions(r, where) if kind == N_TOPIC else []
        except Exception:  # noqa: BLE001 -- contained: its place is then not known
            where, inline = Where(UNKNOWN, UNKNOWN), []
        if where is not ANYWHERE and "where" in getattr(type(item), "__dataclass_fields__", {}):
            item = replace(item, where=where)  # type: ignore[type-var]
        buckets[type(item)].append(item)
        # AWS::SNS::Topic's inline `Subscription` list: real subscriptions
        buckets[Subscription].extend(inline)
    return Inventory(
        trails=tuple(buckets[Trail]),
        log_groups=tuple(buckets[LogGroup]),
        filters=tuple(buckets[MetricFilter]),
        alarms=tuple(buckets[Alarm]),
        topics=tuple(_apply_topic_policies(buckets[Topic], policies, unreadable)),
        subscriptions=tuple(buckets[Subscription]),
        composite_alarms=tuple(buckets[CompositeAlarm]),
        keys=tuple(_apply_key_extras(buckets[Key], key_extras)),
    )


def metric_filter_pattern(resource_type: str, props: Any) -> Any:
    """The pattern of a metric filter resource (str, UNKNOWN, None or a wrong type), read safely."""
    key = "filterPattern" if resource_type == N_METRIC_FILTER else "pattern"
    return plain(_item(props, key))


def trail_of(resource_type: str, urn: str, props: Any) -> Trail:
    """A trail read from resource-policy args (no property dependencies there)."""

    class _Args:
        pass

    args = _Args()
    args.resource_type, args.urn, args.props = resource_type, urn, props  # type: ignore[attr-defined]
    return _trail(_Res(args), resource_type == N_TRAIL)
