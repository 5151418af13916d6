"""The pack's policies (their names are part of the interface): one stack policy per control
of the CIS monitoring section (`trailwatch_policy.controls`; 4.1's is
`unauthorized-api-calls-monitored`), the pattern-syntax and the trail policies.

The control policies share one evaluation per preview: the inventory is read and indexed
once and each policy judges its control on it (`chain.Evaluation`); `trailwatch_policy.sdk`
makes the SDK deserialize the stack once for all of them (docs/controls.md, "Cost").

Each validate is wrapped by `_guarded`: whatever goes wrong inside (a trailwatch bug, an
input nobody foresaw, an `UnknownValueError`) becomes a violation at the policy's own
enforcement level saying trailwatch could not evaluate -- never a crash, and never the
SDK's silent downgrade to an advisory "can't run policy during preview".

The evaluation is imported when a policy first needs it, not at start-up: the pack starts
on every preview of every stack, and most stacks have no trail or log group at all.
"""
from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any, Callable

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation,
                           ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs,
                           StackValidationPolicy)

from trailwatch_policy.controls import CONTROLS, Control
from trailwatch_policy.options import CONFIG_SCHEMA, ChainOptions, ConfigError, options_from_config
from trailwatch_policy.types import CLOUDTRAIL_SIGNS, METRIC_FILTER_TYPES, TRAIL_TYPES

if TYPE_CHECKING:
    from trailwatch_policy.chain import Evaluation
    from trailwatch_policy.findings import Finding

MONITORED = "unauthorized-api-calls-monitored"
PATTERN_VALID = "metric-filter-pattern-valid"
ALL_REGIONS = "cloudtrail-records-all-regions"

_KIND = {"log-group": "log group", "metric-filter": "metric filter", "alarm": "alarm",
         "topic": "SNS topic", "subscription": "subscription", "trail": "trail"}


def _guarded(policy: str, validate: Callable[[Any, ReportViolation], None]):
    def run(args: Any, report_violation: ReportViolation) -> None:
        try:
            validate(args, report_violation)
        except Exception as exc:  # noqa: BLE001 -- a guardrail must fail loudly, not crash
            where = traceback.extract_tb(exc.__traceback__)[-1]
            report_violation(
                f"trailwatch could not evaluate {policy}: {type(exc).__name__}: {exc} "
                f"(at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}). The stack is not "
                "known to be compliant; please report this with the resource's properties.",
                getattr(args, "urn", None))
    return run


def _profile_enum() -> list[str]:
    from trailwatch_policy.profiles import PROFILES
    return list(PROFILES)


def _schema() -> PolicyConfigSchema:
    properties = {k: dict(v) for k, v in CONFIG_SCHEMA.items()}
    properties["acceptedPatternProfile"]["enum"] = _profile_enum()
    return PolicyConfigSchema(properties=properties)


def messages_by_resource(findings: list[Finding]) -> list[tuple[str, str]]:
    """One diagnostic per broken link: (resource id, text) with every problem found on it."""
    from trailwatch_policy.findings import unique
    order: list[str] = []
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.resource_id not in grouped:
            order.append(finding.resource_id)
            grouped[finding.resource_id] = []
        grouped[finding.resource_id].append(finding)
    out = []
    for resource_id in order:
        every = grouped[resource_id]
        groups = sorted({f.log_group for f in every if f.log_group})
        # The same problem met through several log groups is said once.
        items = unique(every, lambda f: (f.status, f.code, f.message))
        kind = _KIND.get(items[0].link, items[0].link)
        about = (f" (monitoring of CloudTrail log group {', '.join(repr(g) for g in groups)})"
                 if groups else "")
        lines = [f"{kind} {_short(resource_id)}{about}:"]
        for f in items:
            lines.append(f"- [{f.code}] {f.text()}")
        out.append((resource_id, "\n".join(lines)))
    return out


def _short(urn: str) -> str:
    return repr(urn.rsplit("::", 1)[-1]) if urn.startswith("urn:") else repr(urn)


# The last evaluation, keyed by the resources list it read (kept alive so its id stays
# unique) and the options: the per-control policies of one preview share it.
_LAST: list[tuple[Any, ChainOptions, "Evaluation"]] = []


def _evaluation(resources: Any, options: ChainOptions) -> "Evaluation":
    for seen, seen_options, evaluation in _LAST:
        if seen is resources and seen_options == options:
            return evaluation
    from trailwatch_policy.chain import Evaluation
    from trailwatch_policy.resources import inventory
    evaluation = Evaluation(inventory(resources), options)
    if _LAST and _LAST[0][0] is not resources:
        _LAST.clear()  # a new preview: forget the last stack
    _LAST.append((resources, options, evaluation))
    return evaluation


def _monitored_for(control: Control) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def monitored(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        try:
            options = options_from_config(args.get_config())
        except ConfigError as exc:
            report_violation(f"trailwatch configuration error in policy {control.policy}: {exc}", None)
            return
        if not any(r.resource_type in CLOUDTRAIL_SIGNS for r in args.resources):
            return  # no trail and no log group: no CloudTrail log group to monitor
        results = _evaluation(args.resources, options).control(control)
        findings = [f for r in results if r.status != "pass" for f in r.findings]
        for resource_id, text in messages_by_resource(findings):
            report_violation(text, resource_id or None)
    return monitored


_monitored = _monitored_for(CONTROLS[0])


def _pattern_valid(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in METRIC_FILTER_TYPES:
        return
    from trailwatch_policy.model import UNKNOWN
    from trailwatch_policy.resources import metric_filter_pattern
    pattern = metric_filter_pattern(args.resource_type, args.props)
    if pattern is UNKNOWN or pattern is None:
        return  # unknown: checked again on the update; absent: the provider requires it
    from trailwatch_policy.filter_pattern import FilterPatternError, parse
    try:
        parse(pattern)
    except FilterPatternError as exc:
        report_violation(
            f"metric filter pattern {pattern!r} is not valid CloudWatch Logs syntax: {exc}. "
            "AWS rejects it (InvalidParameterException) during `pulumi up`, after part of the "
            "stack was already changed.\n  fix: correct the pattern, e.g. pattern="
            "'{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }'",
            None)


def _all_regions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TRAIL_TYPES:
        return
    from trailwatch_policy.chain import trail_findings
    from trailwatch_policy.model import Inventory
    from trailwatch_policy.resources import trail_of
    findings = trail_findings(Inventory(trails=(trail_of(args.resource_type, args.urn, args.props),)))
    if not findings:
        return
    report_violation("\n".join(
        ["this trail delivers to CloudWatch Logs, but CIS audit steps 1-3 expect more:"]
        + [f"- [{f.code}] {f.text()}" for f in findings]), None)


def _control_policy(control: Control) -> StackValidationPolicy:
    """A control other than 4.1: off until enabled in the pack config (an upgrade does not
    start blocking stacks that were built for 4.1 only); set it to advisory or mandatory."""
    return StackValidationPolicy(
        name=control.policy,
        description=(f"Every CloudTrail log group has a metric filter for {control.what}, an alarm "
                     "that fires on one such event, and an SNS topic with a subscriber "
                     f"({control.label()})."),
        validate=_guarded(control.policy, _monitored_for(control)),
        enforcement_level=EnforcementLevel.DISABLED,
        config_schema=_schema())


def policies() -> list:
    """The pack's policies, in the order they are listed to users."""
    return [
        StackValidationPolicy(
            name=MONITORED,
            description=("Every CloudTrail log group has a metric filter for unauthorized API "
                         "calls, an alarm that fires on one such call, and an SNS topic with a "
                         "subscriber (CIS AWS 4.1 / Security Hub CloudWatch.2)."),
            validate=_guarded(MONITORED, _monitored),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=_schema()),
        ResourceValidationPolicy(
            name=PATTERN_VALID,
            description=("A metric filter pattern must be valid CloudWatch Logs syntax (AWS "
                         "rejects it only during the update)."),
            validate=_guarded(PATTERN_VALID, _pattern_valid),
            enforcement_level=EnforcementLevel.MANDATORY),
        ResourceValidationPolicy(
            name=ALL_REGIONS,
            description=("A trail that feeds CloudWatch Logs should be multi-region, logging, and "
                         "record management events read and write (CIS audit steps 1-3)."),
            validate=_guarded(ALL_REGIONS, _all_regions),
            enforcement_level=EnforcementLevel.ADVISORY),
        *(_control_policy(c) for c in CONTROLS[1:]),
    ]
