"""Which log groups receive CloudTrail events, and how references point at resources.

Linking must hold on stacks written in any style: a `Ref` points at a resource when its
sources (Pulumi property dependencies: the only link at preview, when ARNs are unknown)
contain the resource's id, or when its literal value is the resource's name, its ARN, or
its ARN + ":*" (a trail's `cloudWatchLogsGroupArn`). Everything is indexed by id/name/ARN
so linking stays linear in the stack size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, Protocol, TypeGuard, TypeVar

from trailwatch_policy.base.findings import unique
from trailwatch_policy.base.model import ANYWHERE, UNKNOWN, Inventory, LogGroup, Ref, Trail, Where
from trailwatch_policy.rules.metric_filter import attempts_a_control
from trailwatch_policy.rules.options import ChainOptions
from trailwatch_policy.rules.where import of_arn, placed, relation

_LOG_GROUP_ARN = re.compile(r"^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(?P<name>[^:]+)(?::\*)?$")
_SNS_ARN = re.compile(r"^arn:[^:]+:sns:[^:]*:[^:]*:(?P<name>[^:]+)$")
# Size first: no ARN is longer (log group names <= 512, topic names <= 256 characters).
MAX_ARN_LENGTH = 2048


def log_group_name_from_arn(value: str) -> str | None:
    """`arn:<partition>:logs:<region>:<acct>:log-group:<NAME>[:*]` -> NAME (else None)."""
    found = _LOG_GROUP_ARN.match(value) if len(value) <= MAX_ARN_LENGTH else None
    return found.group("name") if found else None


def sns_topic_name_from_arn(value: str) -> str | None:
    found = _SNS_ARN.match(value) if len(value) <= MAX_ARN_LENGTH else None
    return found.group("name") if found else None


def known(value: object) -> TypeGuard[str]:
    """A literal string we can compare (not absent, not UNKNOWN)."""
    return isinstance(value, str)


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_Identified)
NameFromArn = Callable[[str], "str | None"]  # log_group_name_from_arn, sns_topic_name_from_arn


@dataclass(frozen=True)
class Index(Generic[R]):
    """Resources of one kind by id, by name and by ARN (each value may map to several).
    Read-only once built (`of`)."""

    by_id: Mapping[str, R] = field(default_factory=lambda: MappingProxyType({}))
    by_name: Mapping[str, tuple[R, ...]] = field(default_factory=lambda: MappingProxyType({}))
    by_arn: Mapping[str, tuple[R, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, items: Iterable[R]) -> Index[R]:
        by_id: dict[str, R] = {}
        by_name: dict[str, list[R]] = {}
        by_arn: dict[str, list[R]] = {}
        for item in items:
            by_id[item.id] = item
            name = getattr(item, "name", None)
            if known(name):
                by_name.setdefault(name, []).append(item)
            arn = getattr(item, "arn", None)
            if known(arn):
                by_arn.setdefault(arn, []).append(item)
                if arn.endswith(":*"):
                    by_arn.setdefault(arn[:-2], []).append(item)
        return cls(
            MappingProxyType(by_id),
            MappingProxyType({k: tuple(v) for k, v in by_name.items()}),
            MappingProxyType({k: tuple(v) for k, v in by_arn.items()}),
        )

    def by_sources(self, ref: Ref) -> list[R]:
        return [self.by_id[s] for s in ref.sources if s in self.by_id]

    def by_value(self, value: str, name_from_arn: NameFromArn | None = None) -> list[R]:
        """Resources whose name or ARN is `value` (ARN with or without ":*")."""
        found = list(self.by_arn.get(value, ()))
        if not found and value.endswith(":*"):
            found = list(self.by_arn.get(value[:-2], ()))
        found += self.by_name.get(value, ())
        if not found and name_from_arn is not None:
            name = name_from_arn(value)
            if name is not None:
                # ARN known, resource ARN not (preview): compare the name inside the ARN.
                found = [r for r in self.by_name.get(name, ()) if not known(getattr(r, "arn", None))]
        return unique(found, id)  # the same resource reached through several keys

    def resolve(self, ref: Ref, name_from_arn: NameFromArn | None = None) -> list[R]:
        """Every indexed resource the reference points at (sources first, then value)."""
        found = self.by_sources(ref)
        if known(ref.value):
            found += self.by_value(ref.value, name_from_arn)
        return unique(found, id)  # the same resource reached through several keys


def ref_is_set(ref: Ref) -> bool:
    return ref.value is not None or bool(ref.sources)


@dataclass(frozen=True)
class CloudTrailLogGroup:
    """A log group CloudTrail writes to (or is configured to be CloudTrail's).

    `log_group` is the declared resource, None for a group outside the stack (an
    organisation trail's) or one whose identity cannot be known yet (`name` UNKNOWN).
    `trails` are the ids of the trails pointing at it; `by_name` says it was chosen by
    the configured names/patterns.
    """

    name: object  # str | UNKNOWN
    log_group: LogGroup | None
    trails: tuple[str, ...] = ()
    by_name: bool = False
    where: Where = ANYWHERE  # a group outside the stack: the account and Region its ARN names

    @property
    def id(self) -> str | None:
        return self.log_group.id if self.log_group is not None else None

    @property
    def report_id(self) -> str | None:
        """Where to report "no filter": the log group, else the first trail pointing at it."""
        if self.log_group is not None:
            return self.log_group.id
        return self.trails[0] if self.trails else None


# The AWS provider completes a `namePrefix` with Terraform's unique suffix: 26 characters,
# a UTC timestamp to the 1/10000 s and an 8-hex-digit counter (helper/id.PrefixedUniqueId).
_UNIQUE_SUFFIXES = ("20261130120000000000000001", "2026113012000000000000ffff")


def prefix_is_cloudtrail(prefix: object, options: ChainOptions) -> bool:
    """Whether every name a `namePrefix` can produce is a configured CloudTrail name."""
    if not known(prefix):
        return False
    return all(options.is_cloudtrail_name(prefix + suffix) for suffix in _UNIQUE_SUFFIXES)


def cloudtrail_log_groups(
    inv: Inventory, options: ChainOptions, index: Index[LogGroup] | None = None
) -> list[CloudTrailLogGroup]:
    """Declared groups a trail points at or the config names, and groups outside the stack:
    a trail's target, or (attach mode) a filter's target that the config names or whose
    filter is an attempt at any control of the table (`metric_filter.attempts_a_control`).

    A trail whose target is UNKNOWN and whose sources are no declared log group yields an
    entry with name UNKNOWN: its monitoring cannot be verified yet.
    """
    index = index or Index.of(inv.log_groups)
    trails_of: dict[str, list[str]] = {}  # declared log group id -> trail ids
    external: dict[tuple[str, Where], list[str]] = {}  # (name, place) outside the stack -> trails
    unresolved: list[Trail] = []
    for trail in inv.trails:
        ref = trail.log_group
        if not ref_is_set(ref):
            continue  # the trail does not deliver to CloudWatch Logs
        # A literal ARN naming another account or Region is another group of the same name.
        targets = [
            g
            for g in index.resolve(ref, log_group_name_from_arn)
            if placed(ref, trail.where, g.id, g.where, False) != "different"
        ]
        if targets:
            for group in targets:
                trails_of.setdefault(group.id, []).append(trail.id)
        elif known(ref.value):
            name = log_group_name_from_arn(ref.value) or ref.value
            external.setdefault((name, of_arn(ref.value) or trail.where), []).append(trail.id)
        elif ref.value is UNKNOWN or ref.sources:
            unresolved.append(trail)
    result: list[CloudTrailLogGroup] = []
    for group in inv.log_groups:
        trails = tuple(trails_of.get(group.id, ()))
        by_name = (known(group.name) and options.is_cloudtrail_name(group.name)) or (
            not known(group.name) and prefix_is_cloudtrail(group.name_prefix, options)
        )
        if trails or by_name:
            result.append(CloudTrailLogGroup(group.name, group, trails, bool(by_name)))
    # Attach mode: a group outside the stack is CloudTrail's when a trail points at it, or
    # when a filter of the stack targets it and the config names it or the filter is an
    # attempt at any control (docs/policy-pack.md). A stack declaring nothing on a
    # configured name owes nothing for it. The group is in the filter's account and Region.
    by_config: set[tuple[str, Where]] = set()
    places_of: dict[str, list[Where]] = {}
    for name, where in external:
        places_of.setdefault(name, []).append(where)
    for flt in inv.filters:
        ref = flt.log_group
        if not known(ref.value) or index.resolve(ref, log_group_name_from_arn):
            continue  # not a literal name, or a declared group (judged above)
        name = log_group_name_from_arn(ref.value) or ref.value
        key = (name, next((w for w in places_of.get(name, ()) if relation(w, flt.where) != "different"), flt.where))
        if options.is_cloudtrail_name(name):
            by_config.add(key)
        elif key not in external and attempts_a_control(flt) is None:
            continue
        external.setdefault(key, [])
    for key, trail_ids in external.items():
        result.append(CloudTrailLogGroup(key[0], None, tuple(trail_ids), key in by_config, where=key[1]))
    for trail in unresolved:
        result.append(CloudTrailLogGroup(UNKNOWN, None, (trail.id,)))
    return result
