"""CIS audit steps 1-3 for a trail that feeds CloudWatch Logs: multi-region, logging,
management events read and write. Pure: no Pulumi imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trailwatch_policy.base.findings import Problem
from trailwatch_policy.base.model import UNKNOWN, Maybe, Trail, Unknown
from trailwatch_policy.controls import ANY_SOURCE, Control, table


def _get(item: Mapping[str, Any], key: str) -> Any:
    """camelCase (Pulumi) or PascalCase (AWS API) key."""
    if key in item:
        return item[key]
    return item.get(key[:1].upper() + key[1:])


def _advanced(selectors: Any) -> Maybe[list[list[Mapping[str, Any]]]]:
    """Each advanced selector's field selectors; UNKNOWN when a selector is not known."""
    out: list[list[Mapping[str, Any]]] = []
    for selector in selectors if isinstance(selectors, list) else []:
        if not isinstance(selector, Mapping):
            return UNKNOWN
        fields = _get(selector, "fieldSelectors") or []
        if fields is UNKNOWN:
            return UNKNOWN
        out.append([fs for fs in fields if isinstance(fs, Mapping)] if isinstance(fields, list) else [])
    return out


def _merge(kinds: set[str]) -> str:
    if "all" in kinds or {"read", "write"} <= kinds:
        return "all"
    if kinds:
        return next(iter(kinds))
    return "none"


def management_events(event_selectors: Any, advanced_event_selectors: Any) -> Maybe[str]:
    """Which management events the selectors record: "all" | "read" | "write" | "none".

    No selectors at all = all management events. UNKNOWN when a selector is not known.
    Classic selectors: includeManagementEvents (default true) with readWriteType (default
    All). Advanced: a selector whose eventCategory equals Management, narrowed by readOnly.
    """
    if event_selectors is UNKNOWN or advanced_event_selectors is UNKNOWN:
        return UNKNOWN
    if advanced_event_selectors:
        kinds: set[str] = set()
        advanced = _advanced(advanced_event_selectors)
        if isinstance(advanced, Unknown):
            return UNKNOWN
        for fields in advanced:
            category, read_only = None, "all"
            for fs in fields:
                field = _get(fs, "field")
                equals = _get(fs, "equals") or []
                if field is UNKNOWN or equals is UNKNOWN:
                    return UNKNOWN
                if field == "eventCategory":
                    category = "Management" if "Management" in equals else "other"
                elif field == "readOnly" and isinstance(equals, list) and len(equals) == 1:
                    read_only = {"true": "read", "false": "write"}.get(str(equals[0]).lower(), "all")
            if category == "Management":
                kinds.add(read_only)
        return _merge(kinds)
    if event_selectors:
        kinds = set()
        for selector in event_selectors if isinstance(event_selectors, list) else []:
            if not isinstance(selector, Mapping):
                return UNKNOWN
            include = _get(selector, "includeManagementEvents")
            rw = _get(selector, "readWriteType")
            if include is UNKNOWN or rw is UNKNOWN:
                return UNKNOWN
            if include is False:
                continue
            kinds.add({"ReadOnly": "read", "WriteOnly": "write"}.get(rw or "All", "all"))
        return _merge(kinds)
    return "all"


def _sources(value: Any) -> Maybe[frozenset[str]]:
    if value is UNKNOWN:
        return UNKNOWN
    items = value if isinstance(value, list) else []
    if any(v is UNKNOWN for v in items):
        return UNKNOWN
    return frozenset(v for v in items if isinstance(v, str))


def excluded_event_sources(event_selectors: Any, advanced_event_selectors: Any) -> Maybe[tuple[str, ...]]:
    """Management event sources no selector records (e.g. ("kms.amazonaws.com",)).

    An event is logged when it matches any selector
    (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html):
    a source is excluded only when every selector recording management events excludes it
    -- `ExcludeManagementEventSources` of a classic selector, an `eventSource` field with
    `NotEquals` (or `Equals` naming other sources) of an advanced one
    (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html).
    No selectors record every source.
    """
    if event_selectors is UNKNOWN or advanced_event_selectors is UNKNOWN:
        return UNKNOWN
    excluded: list[Maybe[frozenset[str]]] = []
    if advanced_event_selectors:
        advanced = _advanced(advanced_event_selectors)
        if isinstance(advanced, Unknown):
            return UNKNOWN
        for fields in advanced:
            management, out, only = False, frozenset[str](), None
            for fs in fields:
                field = _get(fs, "field")
                if field is UNKNOWN:
                    return UNKNOWN
                if field == "eventCategory":
                    management = "Management" in (_get(fs, "equals") or [])
                elif field == "eventSource":
                    not_equals = _sources(_get(fs, "notEquals"))
                    equals = _get(fs, "equals")
                    if not isinstance(not_equals, frozenset) or equals is UNKNOWN:
                        return UNKNOWN
                    out = out | not_equals
                    if equals:
                        only = _sources(equals)
            if management:
                if isinstance(only, Unknown):
                    return UNKNOWN
                if only is not None:  # only the listed sources: every other one is out
                    out = out | {"every source but " + ", ".join(sorted(only))}
                excluded.append(out)
    elif event_selectors:
        for selector in event_selectors if isinstance(event_selectors, list) else []:
            if not isinstance(selector, Mapping):
                return UNKNOWN
            if _get(selector, "includeManagementEvents") is False:
                continue
            excluded.append(_sources(_get(selector, "excludeManagementEventSources")))
    if not excluded:
        return ()
    if any(e is UNKNOWN for e in excluded):
        return UNKNOWN
    common = frozenset.intersection(*(e for e in excluded if isinstance(e, frozenset)))
    return tuple(sorted(common))


ONLY = "every source but "  # excluded_event_sources' word for an advanced selector's eventSource Equals


def lost_sources(control: Control, excluded: Sequence[str]) -> tuple[str, ...]:
    """The excluded management event sources a control's events come from (empty: the
    control loses nothing). A control whose events come from any source (its row says
    ANY_SOURCE, or names none) loses events to every exclusion."""
    sources = control.event_sources
    if not sources or ANY_SOURCE in sources:
        return tuple(excluded)
    out: list[str] = []
    for item in excluded:
        if item.startswith(ONLY):
            kept = {s.strip() for s in item[len(ONLY) :].split(",")}
            if any(s not in kept for s in sources):
                out.append(item)
        elif item in sources:
            out.append(item)
    return tuple(out)


def _excluded_problem(sources: tuple[str, ...], control: Control | None) -> Problem | None:
    """The trail excludes management event sources: the controls whose events come from them
    lose events (one control: about it; None: naming every control of the table that does)."""
    shown = ", ".join(sources)
    fix = (
        "remove exclude_management_event_sources from the trail's event selectors (or "
        "set it to []); with advanced selectors, drop the eventSource not_equals field"
    )
    them = "that service" if len(sources) == 1 else "those services"
    if control is not None:
        lost = lost_sources(control, sources)
        if not lost:
            return None
        return Problem(
            "fail",
            "trail-excludes-event-sources",
            f"the trail's event selectors exclude the management events of {', '.join(lost)}: "
            f"{control.what} recorded by {them} are never logged, so the metric filter never "
            f"counts them ({control.label()})",
            fix,
        )
    losing = [c for c in table().rows if lost_sources(c, sources)]
    return Problem(
        "fail",
        "trail-excludes-event-sources",
        f"the trail's event selectors exclude the management events of {shown}: events of "
        f"{them} are never logged, so the metric filters of "
        + "; ".join(f"CIS {c.id} ({c.what})" for c in losing)
        + " never count them",
        fix,
    )


def trail_problems(trail: Trail, control: Control | None = None) -> list[Problem]:
    """Why a trail feeding CloudWatch Logs misses events a control needs (empty: none).

    With a control, an excluded event source is a problem only when the control's events
    come from it (`Control.event_sources`); without one, it is reported naming the controls
    that lose events. `None` means unset: multi-region defaults to false, logging to true
    (the AWS and provider defaults).
    """
    problems: list[Problem] = []
    if trail.multi_region is UNKNOWN:
        problems.append(
            Problem(
                "unknown", "trail-not-multi-region", "isMultiRegionTrail is not known yet", "is_multi_region_trail=True"
            )
        )
    elif trail.multi_region is not True:
        problems.append(
            Problem(
                "fail",
                "trail-not-multi-region",
                "the trail records one region only: unauthorized calls in other regions never reach the log group",
                "is_multi_region_trail=True",
            )
        )
    if trail.logging is UNKNOWN:
        problems.append(
            Problem("unknown", "trail-not-logging", "enableLogging is not known yet", "enable_logging=True")
        )
    elif trail.logging is False:
        problems.append(
            Problem(
                "fail",
                "trail-not-logging",
                "the trail is not logging: no event reaches the log group",
                "enable_logging=True (or leave it unset)",
            )
        )
    events = trail.management_events
    if isinstance(events, Unknown):  # `is UNKNOWN`, in the form mypy narrows
        problems.append(
            Problem(
                "unknown",
                "trail-management-events",
                "the trail's event selectors are not known yet",
                'no event selectors, or include_management_events=True with read_write_type="All"',
            )
        )
    elif events not in ("all", None):
        problems.append(
            Problem(
                "fail",
                "trail-management-events",
                f"the trail records {'no' if events == 'none' else events + '-only'} management "
                "events: denied API calls are management events, so some never reach the log group",
                "event_selectors=[aws.cloudtrail.TrailEventSelectorArgs(include_management_events=True, "
                'read_write_type="All")] (or no selectors)',
            )
        )
    sources = trail.excluded_sources
    if isinstance(sources, Unknown):
        problems.append(
            Problem(
                "unknown",
                "trail-excludes-event-sources",
                "which management event sources the trail's selectors exclude is not known yet",
                "exclude_management_event_sources=[] (or leave it unset)",
            )
        )
    elif sources:
        problem = _excluded_problem(tuple(sources), control)
        if problem is not None:
            problems.append(problem)
    return problems


def log_group_unknown() -> Problem:
    """The trail's log group is not known yet and is no log group of the stack."""
    return Problem(
        "unknown",
        "trail-log-group-unknown",
        "the log group this trail delivers to is not known yet and is no log group "
        "of this stack, so its monitoring cannot be checked",
        'cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*") with '
        "an aws.cloudwatch.LogGroup of this stack, or a literal ARN",
    )
