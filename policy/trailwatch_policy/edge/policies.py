"""The pack's policies (their names are part of the interface): one stack policy per control
of the CIS monitoring section (`trailwatch_policy.controls`; 4.1's is
`unauthorized-api-calls-monitored`), the pattern-syntax and the trail policies.

The control policies share one evaluation per preview: the inventory is read and indexed
once and each policy judges its control on it (`chain.Evaluation`); `trailwatch_policy.edge.sdk`
makes the SDK deserialize the stack once for all of them (docs/controls.md, "Cost").

Each validate is wrapped by `_guarded`: whatever goes wrong inside (a trailwatch bug, an
input nobody foresaw, an `UnknownValueError`) becomes a violation at the policy's own
enforcement level saying trailwatch could not evaluate -- never a crash, and never the
SDK's silent downgrade to an advisory "can't run policy during preview".

The evaluation is imported when a policy first needs it, not at start-up: the pack starts
on every preview of every stack, and most stacks have no trail or log group at all.

Output is bounded whatever the stack (docs/policy-pack.md, "Limits"): every message is cut
at MESSAGE_LIMIT characters, user values in it are cut with an ellipsis, and past
PER_CODE diagnostics with one problem code the rest are counted in one summary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from trailwatch_policy.base.findings import clip, cut, failure
from trailwatch_policy.base.types import CLOUDTRAIL_SIGNS, METRIC_FILTER_TYPES, TRAIL_TYPES
from trailwatch_policy.controls import STANDARD, Control, table
from trailwatch_policy.rules.options import CONFIG_SCHEMA, ChainOptions, options_and_errors, with_all

if TYPE_CHECKING:
    from trailwatch_policy.base.findings import Finding
    from trailwatch_policy.base.model import Inventory
    from trailwatch_policy.chain import Evaluation, LogGroupResult

MONITORED = STANDARD.primary.policy  # "unauthorized-api-calls-monitored"
PATTERN_VALID = "metric-filter-pattern-valid"
ALL_REGIONS = "cloudtrail-records-all-regions"

_KIND = {
    "log-group": "log group",
    "metric-filter": "metric filter",
    "alarm": "alarm",
    "topic": "SNS topic",
    "subscription": "subscription",
    "trail": "trail",
}

#: full diagnostics per problem code; the rest are counted in one summary diagnostic
PER_CODE = 10
#: characters of one diagnostic message (longer ones are cut with an ellipsis)
MESSAGE_LIMIT = 4000
#: CloudTrail log group names listed in a diagnostic's heading (then "and N more")
GROUPS_SHOWN = 5
#: resources named in a summary diagnostic
SUMMARY_NAMES = 20
#: characters of diagnostics all the control policies together print for one preview; past
#: it each policy still reports its violation, in one line (docs/policy-pack.md, "Limits")
STACK_TEXT_LIMIT = 20_000


#: What judging a stack imports the first time the pack meets a trail or a log group (~0.1 s):
#: the pack's start imports only its config schema. `edge.sdk.warm_on_configure` imports these
#: ahead, on a thread, once the engine has configured the pack.
EVALUATION_MODULES = (
    "trailwatch_policy.chain",
    "trailwatch_policy.edge.resources",
    "trailwatch_policy.filter_pattern",
    "trailwatch_policy.controls.profiles",
    "trailwatch_policy.rules.log_group",
)


def _guarded(policy: str, validate: Callable[[Any, ReportViolation], None]) -> Callable[[Any, ReportViolation], None]:
    def run(args: Any, report_violation: ReportViolation) -> None:
        def report(message: str, urn: str | None = None) -> None:
            report_violation(clip(message, MESSAGE_LIMIT), urn)

        try:
            validate(args, report)
        except Exception as exc:  # noqa: BLE001 -- a guardrail must fail loudly, not crash
            report(
                f"trailwatch could not evaluate {policy}: {failure(exc)}. The stack is not "
                "known to be compliant; please report this with the resource's properties.",
                getattr(args, "urn", None),
            )

    return run


def _profile_enum() -> list[str]:
    from trailwatch_policy.controls.profiles import PROFILES

    return list(PROFILES)


def _schema() -> PolicyConfigSchema:
    properties = {k: dict(v) for k, v in CONFIG_SCHEMA.items()}
    properties["acceptedPatternProfile"]["enum"] = _profile_enum()
    return PolicyConfigSchema(properties=properties)


def messages_by_resource(results: Iterable[LogGroupResult]) -> Iterator[tuple[str, list[str], Callable[[], str]]]:
    """One diagnostic per broken link: (resource id, its problem codes, its text when
    called -- only the diagnostics shown are rendered).

    Linear in the findings: a shared finding (a link any group may use) is met once, with
    a reference to the list of groups it concerns, never copied per group.
    """
    from trailwatch_policy.base.findings import unique
    from trailwatch_policy.rules.log_group import known

    grouped: dict[str, list[Finding]] = {}  # in order of first appearance
    own: dict[str, dict[str, None]] = {}  # resource -> names of its own groups (ordered)
    lists: dict[str, dict[int, list[str]]] = {}  # resource -> shared lists of group names
    shared: dict[int, tuple[Any, list[str]]] = {}

    def add(finding: Finding) -> None:
        rid = finding.resource_id
        if rid not in grouped:
            grouped[rid], own[rid], lists[rid] = [], {}, {}
        grouped[rid].append(finding)

    for result in results:
        if result.status == "pass":
            continue
        for f in result.own:
            add(f)
            if f.log_group:
                own[f.resource_id][f.log_group] = None
        for s in result.shared:
            shared.setdefault(id(s), (s, []))[1].append(result.name if known(result.name) else "(not known yet)")
    for s, names in shared.values():
        for f in s.findings:
            add(f)
            lists[f.resource_id][id(names)] = names

    def render(resource_id: str, items: list[Finding]) -> str:
        kind = _KIND.get(items[0].link, items[0].link)
        about = _about(list(own[resource_id]), list(lists[resource_id].values()))
        lines = [f"{kind} {_short(resource_id)}{about}:"]
        for f in items:
            lines.append(f"- [{f.code}] {f.text()}")
        return "\n".join(lines)

    for resource_id, every in grouped.items():
        # The same problem met through several log groups is said once.
        items = unique(every, lambda f: (f.status, f.code, f.message))
        yield resource_id, [f.code for f in items], functools.partial(render, resource_id, items)


def _about(own: list[str], lists: list[list[str]]) -> str:
    """ "(monitoring of CloudTrail log group(s) 'a', 'b' and N more)", names cut.

    `own` are a resource's own groups, `lists` the (shared, possibly long) lists of groups
    its shared findings concern; each list holds distinct names.
    """
    if len(lists) > 1:  # rare (a topic of alarms in several shared lists): merge exactly
        lists = [list(dict.fromkeys(n for names in lists for n in names))]
    if lists:
        base = lists[0]
        extra = [n for n in own if n not in _as_set(base)] if own else []
        names = (extra + base)[:GROUPS_SHOWN] if extra else base[:GROUPS_SHOWN]
        total = len(base) + len(extra)
    else:
        names, total = own[:GROUPS_SHOWN], len(own)
    if not names:
        return ""
    text = ", ".join(cut(n, 100) for n in names)
    if total > len(names):
        return f" (monitoring of CloudTrail log groups {text} and {total - len(names):,} more)"
    return f" (monitoring of CloudTrail log group{'s' if len(names) > 1 else ''} {text})"


_SETS: dict[int, tuple[list[str], frozenset[str]]] = {}


def _as_set(names: list[str]) -> frozenset[str]:
    """A set of a shared list, made once per list (not once per resource that meets it)."""
    found = _SETS.get(id(names))
    if found is None or found[0] is not names:
        if len(_SETS) > 64:
            _SETS.clear()
        found = _SETS[id(names)] = (names, frozenset(names))
    return found[1]


def bounded(
    messages: Iterable[tuple[str, list[str], Callable[[], str]]],
) -> Iterator[tuple[str | None, list[str], Callable[[], str]]]:
    """The first PER_CODE diagnostics of each problem code in full, then one summary per
    code counting the rest (and naming the first SUMMARY_NAMES): a stack with 30,000
    unmonitored log groups gets a readable, bounded answer -- and still a violation."""
    seen: dict[str, int] = {}
    rest: dict[str, list[str]] = {}
    for resource_id, codes, text in messages:
        if any(seen.get(c, 0) < PER_CODE for c in codes):
            for c in codes:
                seen[c] = seen.get(c, 0) + 1
            yield resource_id, codes, text
        else:
            rest.setdefault(codes[0], []).append(resource_id)
    for code, ids in rest.items():
        names = ", ".join(_short(i) for i in ids[:SUMMARY_NAMES])
        more = f" and {len(ids) - SUMMARY_NAMES:,} others" if len(ids) > SUMMARY_NAMES else ""
        yield (
            None,
            [code],
            functools.partial(
                str,
                (
                    f"{len(ids):,} more resources have [{code}] (only the first {PER_CODE} "
                    f"diagnostics per problem are shown in full): {names}{more}.\n"
                    f"- [{code}] the same problem on {len(ids):,} more resources; each is a "
                    f"violation\n  fix: the fix shown above for [{code}], on each of them"
                ),
            ),
        )


def _short(urn: str) -> str:
    return cut(urn.rsplit("::", 1)[-1] if urn.startswith("urn:") else urn, 200)


# The last evaluation, keyed by the resources list it read (kept alive so its identity
# stays unique) and the options: the per-control policies of one preview share it, and the
# inventory it was made from.
_LAST: list[tuple[Any, ChainOptions, Evaluation, Inventory]] = []


def _evaluated(resources: Any, options: ChainOptions) -> tuple[Evaluation, Inventory]:
    for seen, seen_options, evaluation, inv in _LAST:
        if seen is resources and seen_options == options:
            return evaluation, inv
    from trailwatch_policy.chain import Evaluation
    from trailwatch_policy.edge.resources import inventory

    unreadable: dict[str, str] = {}  # resources whose input could not be read, and why
    # In URN order, not the order they arrive in: the engine hands AnalyzeStack the stack in no
    # fixed order (pulumi/pulumi pkg/v3 resource/deploy/step_generator.go, AnalyzeResources ranges
    # over a sync.Map), and which findings the caps show (PER_CODE, STACK_TEXT_LIMIT, the groups
    # named) must not change from one preview of the same stack to the next.
    ordered = sorted(resources, key=lambda r: str(getattr(r, "urn", "") or ""))
    inv = inventory(ordered, unreadable)
    evaluation = Evaluation(inv, options, unreadable)
    if _LAST and _LAST[0][0] is not resources:
        _LAST.clear()  # a new preview: forget the last stack
    _LAST.append((resources, options, evaluation, inv))
    return evaluation, inv


def excluded_sources(inv: Inventory, control: Control) -> list[LogGroupResult]:
    """The trails whose event selectors exclude a management event source this control's
    events come from (`Control.event_sources`), as the audit fails them: a FAIL of the
    control's own policy, in its words (`chain.trail_findings` for the control). Only a known
    exclusion: selectors not known yet are said by the advisory trail policy
    (cloudtrail-records-all-regions), which names every control that loses events."""
    from trailwatch_policy.chain import LogGroupResult, trail_findings

    findings = [
        f for f in trail_findings(inv, control) if f.code == "trail-excludes-event-sources" and f.status == "fail"
    ]
    return [LogGroupResult(None, None, "fail", tuple(findings))] if findings else []


def _monitored_for(control: Control) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def monitored(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        # A value that cannot be used is a violation of its own; the stack is still judged
        # with the rest of the configuration, so every other finding stands.
        config, wrong = with_all(args.get_config())
        options, errors = options_and_errors(config)
        preview = _preview(args.resources, control.policy)
        if wrong and not preview.said_all:  # said once per preview, by the first control policy
            preview.said_all = True
            errors = wrong + errors
        for error in errors[:PER_CODE]:
            report_violation(f"trailwatch configuration error in policy {control.policy}: {error}", None)
        if len(errors) > PER_CODE:
            report_violation(
                f"trailwatch configuration error in policy {control.policy}: "
                f"{len(errors) - PER_CODE:,} more values cannot be used",
                None,
            )
        if not any(r.resource_type in CLOUDTRAIL_SIGNS for r in args.resources):
            return  # no trail and no log group: no CloudTrail log group to monitor
        evaluation, inv = _evaluated(args.resources, options)
        results = excluded_sources(inv, control) + evaluation.control(control)
        held: dict[str, int] = {}  # problem code -> resources not shown
        for resource_id, codes, text in bounded(messages_by_resource(results)):
            shown = text() if preview.printed < STACK_TEXT_LIMIT else None
            if shown is None or preview.printed + len(shown) > STACK_TEXT_LIMIT:
                for code in codes:
                    held[code] = held.get(code, 0) + 1
                continue
            preview.printed += len(shown)
            report_violation(shown, resource_id or None)
        if held:
            report_violation(
                f"more findings of {control.policy} ({control.what}) not shown: trailwatch prints at "
                f"most {STACK_TEXT_LIMIT:,} characters of findings per preview, all policies together; "
                "fix those shown and preview again (each is a violation)\n"
                + "\n".join(f"- [{code}] on {n:,} resource{'s' if n > 1 else ''}" for code, n in held.items()),
                None,
            )

    return monitored


class _Preview:
    """What the control policies of one preview said together: characters printed, and
    whether the errors of the `all` config were said."""

    def __init__(self, resources: Any) -> None:
        self.resources = resources
        self.policies: set[str] = set()
        self.printed = 0
        self.said_all = False


# Keyed by the resources list the policies of one preview share (one deserialization per
# preview: sdk.py); a policy met again means a new preview of the same list.
_PREVIEWS: list[_Preview] = []


def _preview(resources: Any, policy: str) -> _Preview:
    for found in _PREVIEWS:
        if found.resources is resources and policy not in found.policies:
            found.policies.add(policy)
            return found
    _PREVIEWS.clear()
    found = _Preview(resources)
    found.policies.add(policy)
    _PREVIEWS.append(found)
    return found


_monitored = _monitored_for(STANDARD.primary)


def _pattern_valid(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in METRIC_FILTER_TYPES:
        return
    from trailwatch_policy.base.model import UNKNOWN
    from trailwatch_policy.edge.resources import metric_filter_pattern

    pattern = metric_filter_pattern(args.resource_type, args.props)
    if pattern is UNKNOWN or pattern is None:
        return  # unknown: checked again on the update; absent: the provider requires it
    from trailwatch_policy.filter_pattern import FilterPatternError, parse

    try:
        parse(pattern)
    except FilterPatternError as exc:
        report_violation(
            f"metric filter pattern {cut(pattern, 200)} is not valid CloudWatch Logs syntax: {exc}. "
            "AWS rejects it (InvalidParameterException) during `pulumi up`, after part of the "
            "stack was already changed.\n  fix: correct the pattern, e.g. pattern="
            f"{table().primary.fix_pattern!r}",
            None,
        )


def _all_regions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TRAIL_TYPES:
        return
    from trailwatch_policy.base.model import Inventory
    from trailwatch_policy.chain import trail_findings
    from trailwatch_policy.edge.resources import trail_of

    findings = trail_findings(Inventory(trails=(trail_of(args.resource_type, args.urn, args.props),)))
    if not findings:
        return
    report_violation(
        "\n".join(
            ["this trail delivers to CloudWatch Logs, but CIS audit steps 1-3 expect more:"]
            + [f"- [{f.code}] {f.text()}" for f in findings]
        ),
        None,
    )


_LEVELS = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}


def _control_policy(control: Control) -> StackValidationPolicy:
    """A control's stack policy, at its row's default enforcement level (4.1 mandatory, the
    others advisory: visible on every preview, blocking nothing; policy/configs/strict.json
    makes them all mandatory)."""
    return StackValidationPolicy(
        name=control.policy,
        description=(
            f"Every CloudTrail log group has a metric filter for {control.what}, an alarm "
            f"that fires on {control.one}, and an SNS topic with a subscriber "
            f"({control.label()})."
        ),
        validate=_guarded(control.policy, _monitored_for(control)),
        enforcement_level=_LEVELS[control.enforcement],
        config_schema=_schema(),
    )


def policies() -> list:
    """The pack's policies, in the order they are listed to users: the primary control's,
    the pattern-syntax and trail policies, then the other controls' (the table in use)."""
    first, *rest = table().rows
    return [
        _control_policy(first),
        ResourceValidationPolicy(
            name=PATTERN_VALID,
            description=(
                "A metric filter pattern must be valid CloudWatch Logs syntax (AWS rejects it only during the update)."
            ),
            validate=_guarded(PATTERN_VALID, _pattern_valid),
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name=ALL_REGIONS,
            description=(
                "A trail that feeds CloudWatch Logs should be multi-region, logging, and "
                "record management events read and write (CIS audit steps 1-3)."
            ),
            validate=_guarded(ALL_REGIONS, _all_regions),
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
        *(_control_policy(c) for c in rest),
    ]
