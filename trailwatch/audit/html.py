"""`--format html`: one self-contained page (inline CSS; no script, font, image or link to fetch).

A matrix of accounts x controls with PASS / FAIL / UNKNOWN at a glance, then each account's
findings with the reason and the fix. Every text from an account (names, ARNs, messages,
fixes) is untrusted: all of it goes through `html.escape` (quotes too).
"""

from __future__ import annotations

from html import escape

from trailwatch_policy.controls import find

from .findings import findings_of, per_control
from .result import AccountResult, AuditFinding, Report

_WORD = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKNOWN"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#59636e;margin:0 0 16px}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}.matrix td.v{text-align:center;font-weight:700;min-width:64px}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}.unknown{background:#fff8c5;color:#7d4e00}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:700;font-size:12px}
.finding{border:1px solid #d0d7de;border-left-width:6px;border-radius:4px;padding:8px 12px;margin:8px 0}
.finding.fail{border-left-color:#cf222e;background:#fff;color:#1f2328}.finding.unknown{border-left-color:#bf8700;background:#fff;color:#1f2328}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:6px 8px;border-radius:4px;margin:4px 0}
.on{color:#59636e;word-break:break-all}.legend span{margin-right:10px}
"""


def to_html(report: Report) -> str:
    ids = report.control_ids
    counts = {s: sum(1 for a in report.accounts if a.status == s) for s in _WORD}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No fetch of any kind, even if a text slipped through: the page needs nothing outside itself.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>trailwatch audit</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>trailwatch audit: CIS AWS Foundations monitoring controls</h1>",
        (
            f'<p class="meta">result <span class="badge {report.status}">{_WORD[report.status]}</span> · '
            f"{len(report.accounts)} account(s): {counts['pass']} pass, {counts['fail']} fail, "
            f"{counts['unknown']} unknown · started {escape(report.started or '-')} · "
            f"trailwatch {escape(report.tool_version)}</p>"
        ),
    ]
    if report.missing_shards:
        parts.append(
            f'<p class="meta unknown">missing shard reports: {escape(", ".join(report.missing_shards))} '
            "(their accounts were not judged)</p>"
        )
    parts.append(_matrix(report, ids))
    parts.append("<h2>Findings</h2>")
    for account in report.accounts:
        parts.append(_account(account))
    if report.skipped:
        parts.append("<h2>Skipped accounts</h2><ul>")
        parts.extend(f"<li>{escape(s.account)} ({escape(s.name)}): {escape(s.status)}</li>" for s in report.skipped)
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _matrix(report: Report, ids: list[str]) -> str:
    head = "".join(
        f'<th title="{escape(find(c).what)}">{escape(c)}<br><small>{escape(find(c).securityhub or "")}</small></th>'
        for c in ids
    )
    out = [
        '<h2>Accounts × controls</h2><table class="matrix">',
        f"<thead><tr><th>account</th><th>status</th>{head}</tr></thead><tbody>",
    ]
    for account in report.accounts:
        verdicts = {c.id: r.status for c, r in per_control(account, report.control_ids)}
        cells = "".join(
            f'<td class="v {verdicts[c]}">{_WORD[verdicts[c]]}</td>' if c in verdicts else '<td class="v">–</td>'
            for c in ids
        )
        out.append(
            f'<tr><td><a href="#a-{escape(account.account)}">{escape(account.account)}</a></td>'
            f'<td class="v {account.status}">{_WORD[account.status]}</td>{cells}</tr>'
        )
    out.append("</tbody></table>")
    out.append(
        '<p class="legend"><span class="badge pass">PASS</span>monitored '
        '<span class="badge fail">FAIL</span>a link is broken '
        '<span class="badge unknown">UNKNOWN</span>could not be verified (never taken as a pass)</p>'
    )
    return "\n".join(out)


def _account(account: AccountResult) -> str:
    via = f" via <code>{escape(account.role_arn)}</code>" if account.role_arn else ""
    out = [
        (
            f'<h3 id="a-{escape(account.account)}">account {escape(account.account)}{via} '
            f'<span class="badge {account.status}">{_WORD[account.status]}</span></h3>'
        ),
        f"<p>{escape(account.summary)}</p>",
    ]
    for control, result in per_control(account):
        found = findings_of(result)
        if not found:
            continue
        out.append(
            f"<p><b>{escape(control.label())}</b> {escape(control.what)}: "
            f'<span class="badge {result.status}">{_WORD[result.status]}</span></p>'
        )
        out.extend(_finding(f) for f in found)
    return "\n".join(out)


def _finding(finding: AuditFinding) -> str:
    region = f" · {escape(finding.region)}" if finding.region else ""
    return (
        f'<div class="finding {finding.status}"><b>{_WORD[finding.status]}</b> '
        f"[{escape(finding.link)}] <code>{escape(finding.code)}</code>{region}"
        f"<div>{escape(finding.message)}</div>"
        f'<div class="on">on: <code>{escape(finding.resource)}</code></div>'
        f"<div>fix:</div><pre>{escape(finding.fix)}</pre></div>"
    )
