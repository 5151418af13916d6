"""From what was read to PASS/FAIL/UNKNOWN, with the policy pack's own rules.

The chain (filter pattern, alarm, topic, subscription) and the trail rules are judged
only by `trailwatch_policy.chain` (shared with the pack). This module adds what only a
live reader knows: a log group or topic that does not exist, a trail that delivers to no
log group, a log group in another account, and reads the auditor was denied (UNKNOWN).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from trailwatch_policy import chain
from trailwatch_policy.base.findings import Finding, best, unique, worst
from trailwatch_policy.base.model import Alarm, CompositeAlarm, Inventory, Subscription, Trail
from trailwatch_policy.controls import CONTROLS, Control, find
from trailwatch_policy.rules import fixes
from trailwatch_policy.rules.metric_filter import meant_for_another_control
from trailwatch_policy.rules.options import ChainOptions

from . import arns, mapping
from .collect import AccountScan, Gap, on_metrics
from .result import AccountResult, AuditFinding, TrailResult

# The audit's CloudTrail log groups are the ones trails deliver to; no name patterns.
# Live values: a topic setting the auditor could not read is "unknown" (not the pack's
# preview exception), and every topic an alarm names was looked up (a missing one fails).
AUDIT_OPTIONS = ChainOptions(log_group_patterns=(), preview=False, topics_complete=True)


def from_gap(gap: Gap, control: Control) -> AuditFinding:
    """A read the auditor could not do, said of the control it leaves unverified."""
    return AuditFinding(
        "unknown",
        gap.code,
        gap.link,
        gap.resource_id,
        f"{gap.message}; so whether {control.what} are monitored cannot be verified",
        gap.fix,
        gap.region,
    )


def from_finding(finding: Finding, region: str | None) -> AuditFinding:
    """A shared rule's finding: the AWS CLI fix leads, the rule's Pulumi fix rides along."""
    return AuditFinding(
        finding.status,
        finding.code,
        finding.link,
        finding.resource_id,
        finding.message,
        fixes.cli_fix_of(finding),
        region,
        pulumi_fix=finding.fix,
    )


def _own(
    status: str, code: str, link: str, resource: str, message: str, region: str | None, log_group: str | None = None
) -> AuditFinding:
    """An audit-only finding, its fixes from the shared table (trailwatch_policy.rules.fixes)."""
    return AuditFinding(
        status,
        code,
        link,
        resource,
        message,
        fixes.cli_fix(code, resource, log_group),
        region,
        pulumi_fix=fixes.pulumi_fix(code, resource, log_group),
    )


class Judgement:
    """One account's reads, prepared once for any number of controls: per region, the shared
    chain's `Evaluation` (the inventory indexed, each alarm and topic judged once).
    `control(c)` is the account's verdict for one control."""

    def __init__(self, scan: AccountScan, options: ChainOptions = AUDIT_OPTIONS):
        self.scan, self.options = scan, options
        self.gaps_of: dict[str, list[Gap]] = defaultdict(list)
        for gap in scan.gaps:
            self.gaps_of[gap.resource_id].append(gap)
        self.region_gaps = [g for g in scan.gaps if g.link == "region"]
        self.inventories: dict[str, Inventory] = {}
        self.evaluations: dict[str, chain.Evaluation] = {}
        for region, scope in scan.scopes.items():
            inventory = scope.inventory(t for t in scan.trails if _target_in(t, scan.account_id, region))
            self.inventories[region] = inventory
            self.evaluations[region] = chain.Evaluation(inventory, options)

    def control(self, control: str | Control) -> AccountResult:
        """The account's verdict for one control: one compliant trail is enough."""
        c = control if isinstance(control, Control) else find(control)
        scan = self.scan
        result = AccountResult(
            account=scan.account_id,
            status="fail",
            role_arn=scan.role_arn,
            regions=list(scan.regions),
            api_calls=scan.calls,
        )
        group_results: dict[tuple[str, str], chain.LogGroupResult] = {}
        trail_problems: dict[str, list[Finding]] = defaultdict(list)
        for region, evaluation in self.evaluations.items():
            for group in evaluation.control(c):
                if isinstance(group.name, str):
                    group_results[(region, group.name)] = group
            # an excluded event source matters only to the controls whose events come from it
            for finding in chain.trail_findings(self.inventories[region], c):
                trail_problems[finding.resource_id].append(finding)
        for trail in scan.trails:
            result.trails.append(
                _trail(trail, scan, group_results, trail_problems[trail.id], self.gaps_of[trail.id], c)
            )
        if not scan.trails:
            unread = sorted({g.region for g in self.region_gaps if g.region})
            read = [r for r in scan.regions if r not in unread]
            if unread:
                # Trails could not be listed somewhere: "no trail" is not known (never a FAIL).
                result.findings.append(
                    _own(
                        "unknown",
                        "no-trail",
                        "account",
                        f"arn:aws:cloudtrail::{scan.account_id}:trail/*",
                        f"no CloudTrail trail is visible in {', '.join(read) or 'any region'}, and trails could "
                        f"not be listed in {', '.join(unread)}: whether API calls are recorded, and so "
                        f"whether {c.what} are monitored, is not known",
                        None,
                    )
                )
            else:
                result.findings.append(
                    _own(
                        "fail",
                        "no-trail",
                        "account",
                        f"arn:aws:cloudtrail::{scan.account_id}:trail/*",
                        f"no CloudTrail trail is visible in {', '.join(scan.regions)}: API calls are not "
                        f"recorded, so {c.what} cannot be monitored",
                        None,
                    )
                )
        result.status = best(t.status for t in result.trails) if result.trails else "fail"
        result.warnings = self.warnings(c)
        if result.status != "pass" and self.region_gaps:
            result.status = "unknown"
            result.findings.extend(from_gap(g, c) for g in self.region_gaps)
        return result

    def warnings(self, c: Control) -> list[AuditFinding]:
        """What works today but anyone can break: a subscription of a topic this control's
        alarms notify, confirmed without authentication (ConfirmationWasAuthenticated false).
        Its every notification carries an unsubscribe link, which works without AWS
        credentials unless the subscription was confirmed with AuthenticateOnUnsubscribe
        (https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html,
        https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
        https://repost.aws/knowledge-center/prevent-unsubscribe-all-sns-topic). A warning,
        never a FAIL: the alarm is delivered until someone follows the link."""
        out: list[AuditFinding] = []
        for region, scope in self.scan.scopes.items():
            groups = set(scope.log_group_names)
            filters = [
                f
                for f in scope.filters
                if f.log_group.value in groups and not meant_for_another_control(f, self.options, c)
            ]
            metrics = {(m.namespace, m.name) for f in filters for m in f.metrics}
            alarms, composites = on_metrics(scope.alarms, scope.composite_alarms, metrics)
            notifiers: list[Alarm | CompositeAlarm] = [*alarms, *composites]
            topics = {arn for a in notifiers for arn in mapping.sns_topics(a)}
            for sub in scope.subscriptions:
                if sub.topic.value in topics and sub.confirmed is True and sub.confirmation_authenticated is False:
                    out.append(_unauthenticated(sub, c, region))
        return unique(out, lambda f: f.resource)


def _unauthenticated(sub: Subscription, c: Control, region: str) -> AuditFinding:
    email = sub.protocol in ("email", "email-json")
    link = (
        ("the unsubscribe link at the foot of every alarm mail (a forwarded mail, a mailing list, a link scanner)")
        if email
        else "the UnsubscribeURL every notification carries"
    )
    topic = sub.topic.value if isinstance(sub.topic.value, str) else "<topic arn>"
    endpoint = sub.endpoint if isinstance(sub.endpoint, str) and sub.endpoint else "<endpoint>"
    return AuditFinding(
        "warning",
        "subscription-unauthenticated-unsubscribe",
        "subscription",
        sub.id,
        f"the {sub.protocol} subscription was confirmed without authentication "
        f"(ConfirmationWasAuthenticated false): anyone who gets {link} can unsubscribe it "
        f"without AWS credentials, and then "
        f"no one is told of {c.what}",
        f"confirm it with authentication: aws sns subscribe --topic-arn {topic} --protocol "
        f"{sub.protocol} --notification-endpoint {endpoint}, copy the token from the confirmation "
        "link (do not open it), then aws sns confirm-subscription --topic-arn "
        f"{topic} --token <token> --authenticate-on-unsubscribe true (docs/audit.md)",
        region,
    )


def judge(scan: AccountScan, options: ChainOptions = AUDIT_OPTIONS, control: str | None = None) -> AccountResult:
    """The account's verdict for one control (the table's first when none is named)."""
    return Judgement(scan, options).control(control or CONTROLS[0].id)


def judge_controls(scan: AccountScan, options: ChainOptions, controls: Sequence[str]) -> AccountResult:
    """The account's verdict for each control, the account's reads prepared once (`Judgement`),
    combined (see `combine`)."""
    judgement = Judgement(scan, options)
    return combine({c: judgement.control(c) for c in controls})


def combine(per_control: dict[str, AccountResult]) -> AccountResult:
    """One account, several controls: its status is the worst control's (fail, then unknown);
    its trails and findings are the first control's, for readers of the one-control report;
    `controls` keeps every control's own verdict."""
    first = next(iter(per_control.values()))
    if len(per_control) == 1:
        first.controls = {next(iter(per_control)): _copy(first)}
        return first
    statuses = [r.status for r in per_control.values()]
    status = "fail" if "fail" in statuses else "unknown" if "unknown" in statuses else "pass"
    return AccountResult(
        account=first.account,
        status=status,
        role_arn=first.role_arn,
        regions=first.regions,
        trails=first.trails,
        findings=first.findings,
        api_calls=first.api_calls,
        controls=dict(per_control),
        warnings=first.warnings,
    )


def _copy(result: AccountResult) -> AccountResult:
    return AccountResult(
        account=result.account,
        status=result.status,
        role_arn=result.role_arn,
        regions=result.regions,
        trails=result.trails,
        findings=result.findings,
        api_calls=result.api_calls,
        warnings=result.warnings,
    )


def recombine(account: AccountResult) -> None:
    """After organisation trails were resolved per control: the account's status again."""
    if len(account.controls) > 1:
        statuses = [r.status for r in account.controls.values()]
        account.status = "fail" if "fail" in statuses else "unknown" if "unknown" in statuses else "pass"
    elif account.controls:
        only = next(iter(account.controls.values()))
        only.status = account.status


def _target_in(trail: Trail, account: str, region: str) -> bool:
    target = arns.log_group(trail.log_group.value if isinstance(trail.log_group.value, str) else None)
    return target is not None and target.account == account and target.region == region


def _trail(
    trail: Trail,
    scan: AccountScan,
    group_results: dict[tuple[str, str], chain.LogGroupResult],
    problems: list[Finding],
    gaps: list[Gap],
    c: Control,
) -> TrailResult:
    value = trail.log_group.value if isinstance(trail.log_group.value, str) else None
    out = TrailResult(
        arn=trail.id,
        name=trail.name if isinstance(trail.name, str) else None,
        home_region=trail.region,
        status="pass",
        log_group=value,
        multi_region=trail.multi_region if isinstance(trail.multi_region, bool) else None,
        organization=trail.account is not None and trail.account != scan.account_id,
    )
    findings: list[AuditFinding] = [from_finding(f, trail.region) for f in problems]
    findings.extend(from_gap(g, c) for g in gaps)
    target = arns.log_group(value)
    if value is None:
        findings.append(
            _own(
                "fail",
                "trail-no-log-group",
                "trail",
                trail.id,
                f"the trail does not deliver to CloudWatch Logs: no metric filter can count {c.what}",
                trail.region,
            )
        )
    elif target is None:
        findings.append(
            _own(
                "fail",
                "trail-log-group-invalid",
                "trail",
                trail.id,
                f"CloudWatchLogsLogGroupArn {value!r} is not a log group ARN: no metric filter can "
                f"count {c.what} from this trail",
                trail.region,
            )
        )
    elif target.account == scan.account_id:
        scope = scan.scopes.get(target.region)
        group = group_results.get((target.region, target.name))
        scope_gaps = [
            g
            for g in (scope.gaps if scope else [])
            if g.resource_id in (target.name, target.region) or g.link in ("topic", "subscription", "alarm")
        ]
        names_read = {g.name for g in scope.log_groups} if scope else set()
        blocking = [g for g in scope_gaps if g.link in ("log-group", "alarm")]
        if blocking:  # filters or alarms unreadable: the chain cannot be judged at all
            findings.extend(from_gap(g, c) for g in blocking)
        elif target.name not in names_read:
            findings.append(
                _own(
                    "fail",
                    "log-group-missing",
                    "log-group",
                    value,
                    f"the trail delivers to log group {target.name} in {target.region}, which does "
                    f"not exist: no event is delivered, so no filter can count {c.what}",
                    target.region,
                    target.name,
                )
            )
        elif group is not None:
            findings.extend(from_finding(f, target.region) for f in group.findings)
            # The chain says "unknown" exactly where an unread topic or subscription list
            # decides; the gap beside it names the call and the permission.
            involved = {f.resource_id for f in group.findings}
            findings.extend(
                from_gap(g, c)
                for g in scope_gaps
                if g.link in ("topic", "subscription") and (g.resource_id in involved or _topic_of(g) in involved)
            )
            if group.status != "pass" and not group.findings:
                findings.append(
                    AuditFinding(
                        group.status,
                        "chain",
                        "log-group",
                        value,
                        f"the log group's chain for {c.what} does not work",
                        "see the policy pack",
                        target.region,
                    )
                )
    out.findings = unique(findings, lambda f: (f.resource, f.code, f.message))
    out.status = worst(f.status for f in out.findings)
    return out


def _topic_of(gap: Gap) -> str | None:
    """The topic of a subscription's gap (a subscription ARN is its topic's ARN + ":<id>")."""
    return (
        gap.resource_id.rsplit(":", 1)[0]
        if gap.link == "subscription" and gap.resource_id.startswith("arn:aws") and gap.resource_id.count(":") >= 6
        else None
    )


def resolve_across_accounts(results: list[AccountResult]) -> None:
    """An organisation trail's log group lives in another account: when that account is
    audited in the same run, its judgement of the log group's chain replaces the member's
    UNKNOWN (the member's own trail checks still apply)."""

    def key(arn: str | None) -> str | None:
        target = arns.log_group(arn)
        return f"{target.account}:{target.region}:{target.name}" if target else None

    judged: dict[str, TrailResult] = {}
    for account in results:
        for trail in account.trails:
            k = key(trail.log_group)
            owner = arns.log_group(trail.log_group)
            if k and owner and owner.account == account.account:
                best_so_far = judged.get(k)
                if best_so_far is None or best([best_so_far.status, trail.status]) == trail.status:
                    judged[k] = trail
    for account in results:
        changed = False
        for trail in account.trails:
            k = key(trail.log_group)
            owner_trail = judged.get(k) if k else None
            if owner_trail is None or not any(f.code == "audit.log-group-other-account" for f in trail.findings):
                continue
            chain_findings = [f for f in owner_trail.findings if f.link != "trail"]
            trail.findings = [f for f in trail.findings if f.code != "audit.log-group-other-account"]
            trail.findings.extend(chain_findings)
            trail.status = worst(
                [
                    worst(f.status for f in trail.findings),
                    "pass" if not chain_findings else worst(f.status for f in chain_findings),
                ]
            )
            changed = True
        if changed:
            status = best(t.status for t in account.trails)
            region_unknown = any(f.link == "region" for f in account.findings)
            account.status = "unknown" if status != "pass" and region_unknown else status
