"""Text for people and JSON for machines, from one `Report`."""

from __future__ import annotations

import json

from .result import AccountResult, AuditFinding, Report

_WORD = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKNOWN", "warning": "WARNING"}
_VERDICTS = ("pass", "fail", "unknown")


def to_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"


def to_text(report: Report) -> str:
    title = "trailwatch audit: " + _title(report.control_ids)
    if report.shard:
        title += f", shard {report.shard[0]}/{report.shard[1]}"
    lines = [title, ""]
    for account in report.accounts:
        lines.extend(_account(account))
        lines.append("")
    for skipped in report.skipped:
        lines.append(f"account {skipped.account} ({skipped.name}): skipped, {skipped.status} in the organisation")
    if report.skipped:
        lines.append("")
    if report.missing_shards:
        lines.append(f"missing shard reports: {', '.join(report.missing_shards)} (their accounts were not judged)")
        lines.append("")
    counts = {s: sum(1 for a in report.accounts if a.status == s) for s in _VERDICTS}
    lines.append(
        f"result: {_WORD[report.status]} ({len(report.accounts)} account(s): "
        f"{counts['pass']} pass, {counts['fail']} fail, {counts['unknown']} unknown"
        + (f", {len(report.skipped)} skipped" if report.skipped else "")
        + "; "
        f"{report.seconds:.1f}s)"
    )
    return "\n".join(lines) + "\n"


def _title(ids: list[str]) -> str:
    """One control: its ids and words from its row; several: the section and the ids."""
    if len(ids) == 1:
        from trailwatch_policy.controls import UnknownControl, find

        try:
            c = find(ids[0])
        except UnknownControl:
            return f"CIS {ids[0]}"
        return f"CIS {c.id}" + (f" / {c.securityhub}" if c.securityhub else "") + f" ({c.what} monitored)"
    return "CIS AWS Foundations monitoring controls " + (", ".join(ids) or "(none)")


def _account(account: AccountResult) -> list[str]:
    via = f" via {account.role_arn}" if account.role_arn else ""
    regions = ",".join(account.regions) if len(account.regions) <= 4 else f"{len(account.regions)} regions"
    out = [f"account {account.account}{via} [{regions}]: {_WORD[account.status]} - {account.summary}"]
    if len(account.controls) > 1:
        from trailwatch_policy.controls import find

        for cid, result in account.controls.items():
            control = find(cid)
            out.append(f"  control {control.label()} {control.what}: {_WORD[result.status]} - {result.summary}")
            out.extend("  " + line for line in _body(result))
        return out
    return out + _body(account)


def _body(account: AccountResult) -> list[str]:
    out: list[str] = []
    for finding in account.findings:
        out.extend(_finding(finding, "  "))
    for trail in account.trails:
        where = f"{trail.home_region}" + (", multi-region" if trail.multi_region else ", single-region")
        if trail.organization:
            where += ", organization"
        out.append(f"  trail {trail.name} ({where}): {_WORD[trail.status]}")
        out.append(f"    {trail.arn}")
        if trail.log_group:
            out.append(f"    log group {trail.log_group}")
        for finding in trail.findings:
            out.extend(_finding(finding, "    "))
    for finding in account.warnings:  # works today, anyone can break it: never a verdict
        out.extend(_finding(finding, "  "))
    return out


def _finding(finding: AuditFinding, indent: str) -> list[str]:
    return [
        f"{indent}- {_WORD[finding.status]} [{finding.link}] {finding.code}: {finding.message}",
        f"{indent}  on:  {finding.resource}",
        f"{indent}  fix: {finding.fix}",
    ]
