"""The audit's verdicts as a flat list of findings: what ASFF, OCSF and the HTML report render.

One `Row` per account x Region x control (the control's verdict for the account, on the
account), and one per broken (or unverifiable) resource a finding names, in the finding's
Region. Each row has an id made of what it is about (account, Region, control, resource,
code), never of the time, so a second run names the same findings with the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from trailwatch_policy.controls import CONTROLS, Control, find

from . import arns
from .result import AccountResult, AuditFinding, Report

#: Where a Region is needed and the account has none (an account that could not be reached
#: before its Regions were listed): the audit's own first Region, else this one.
FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class Row:
    """One line of a report, flat: a control's verdict for an account, or one finding."""

    account: str
    partition: str
    region: str
    control: Control
    status: str  # pass | fail | unknown
    resource: str  # ARN (or name) of the resource; the account's own for a verdict row
    resource_kind: str  # the link: account | region | trail | log-group | ... (finding rows)
    code: str | None  # the finding's code; None on a verdict row
    title: str
    message: str  # the reason
    fix: str  # AWS CLI wording; empty when nothing is to fix
    pulumi_fix: str = ""
    #: the account passes anyway (a broken legacy trail beside a working one): worth knowing
    account_passes: bool = False

    @property
    def severity(self) -> str:
        """Security Hub rates the CloudWatch monitoring controls Low, and a passed control
        finding Informational (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html);
        a broken link in an account that passes anyway is worth knowing, not a risk."""
        return "informational" if self.status == "pass" or self.account_passes else "low"

    @property
    def uid(self) -> str:
        """Stable across runs: account, Region, control, then (finding rows) code and resource."""
        base = f"trailwatch/{self.account}/{self.region}/{self.control.id}"
        if self.code is None:
            return base
        digest = hashlib.sha256(f"{self.code}|{self.resource}".encode()).hexdigest()[:20]
        return f"{base}/{self.code}/{digest}"


def partition_of(account: AccountResult) -> str:
    for text in (account.role_arn, *(t.arn for t in account.trails)):
        arn = arns.parse(text or "")
        if arn is not None:
            return arn.partition
    return "aws"


def account_id(account: AccountResult) -> str:
    """The 12-digit id, also of an account that could not be reached (named by its role ARN)."""
    arn = arns.parse(account.account)
    return arn.account if arn is not None and arn.account else account.account


def account_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root" if account.isdigit() else account


def per_control(account: AccountResult, audited: Sequence[str] = ()) -> list[tuple[Control, AccountResult]]:
    """Each control's verdict for the account (a one-control report: the account itself).
    An account that names no control (a report from before `controls`, or made by hand) is
    the control audited, else the table's first: the one the audit judged alone then."""
    if len(account.controls) > 1:
        return [(find(cid), result) for cid, result in account.controls.items()]
    only = next(iter(account.controls), None) or (audited[0] if audited else CONTROLS[0].id)
    return [(find(only), account)]


def findings_of(account: AccountResult) -> list[AuditFinding]:
    out = list(account.findings)
    for trail in account.trails:
        out.extend(trail.findings)
    return out


def rows(report: Report, base_region: str | None = None) -> list[Row]:
    out: list[Row] = []
    seen: set[str] = set()
    for top in report.accounts:
        partition = partition_of(top)
        account = account_id(top)
        regions = top.regions or [base_region or FALLBACK_REGION]
        for control, result in per_control(top, report.control_ids):
            what = f"{control.what[0].upper()}{control.what[1:]}"
            for region in regions:
                out.append(
                    Row(
                        account,
                        partition,
                        region,
                        control,
                        result.status,
                        account_arn(account, partition),
                        "account",
                        None,
                        f"{control.label()}: {what} monitored",
                        f"account {top.account}: {result.summary}",
                        _verdict_fix(result),
                    )
                )
                seen.add(out[-1].uid)
            for finding in findings_of(result):
                row = Row(
                    account,
                    partition,
                    finding.region or regions[0],
                    control,
                    finding.status,
                    finding.resource,
                    finding.link,
                    finding.code,
                    f"{control.label()}: {finding.message}",
                    finding.message,
                    finding.fix,
                    finding.pulumi_fix,
                    account_passes=result.status == "pass",
                )
                if row.uid not in seen:  # one resource can be on several trails' chains
                    seen.add(row.uid)
                    out.append(row)
    return out


def _verdict_fix(result: AccountResult) -> str:
    """The account's fix in one line: the first broken link's (the findings have each)."""
    found = findings_of(result)
    if result.status == "pass" or not found:
        return ""
    return found[0].fix + (f" (and {len(found) - 1} more finding(s), each with its fix)" if len(found) > 1 else "")
