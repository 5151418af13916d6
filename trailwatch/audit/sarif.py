"""SARIF 2.1.0 for GitHub code scanning: rules are finding codes, locations are logical.

Rules are per control: each finding code prefixed with the control's policy name
(`root-usage-monitored/no-metric-filter`, `unauthorized-api-calls-monitored/account-monitored`).

There is no source file behind a live account, so each result carries logical
locations (account > region > resource ARN) and, because GitHub code scanning displays a
result only at a repository path (and refuses URI schemes such as `arn:`), a stable
relative path made from the ARN: `aws/<account>/<region>/<service>/<resource>`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trailwatch_policy.base.codes import REGISTRY
from trailwatch_policy.controls import Control

from . import arns
from .findings import per_control
from .result import AccountResult, AuditFinding, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"fail": "error", "unknown": "warning", "pass": "note", "warning": "warning"}


def to_sarif(report: Report) -> str:
    return json.dumps(document(report), indent=2) + "\n"


def document(report: Report) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for top in report.accounts:
        for control, account in per_control(top, report.control_ids):
            prefix = control.policy + "/"
            for trail_arn, finding in [*_findings(account), *((None, w) for w in account.warnings)]:
                rule = rules.setdefault(prefix + finding.code, _rule(finding, prefix, control))
                results.append(_result(account, trail_arn, finding, list(rules).index(rule["id"]), rule["id"]))
            if account.status == "pass":
                rule = rules.setdefault(
                    prefix + "account-monitored",
                    {
                        "id": prefix + "account-monitored",
                        "name": _name(prefix) + "AccountMonitored",
                        "shortDescription": {
                            "text": f"{control.what[0].upper()}{control.what[1:]} are monitored "
                            f"in the account ({control.label()})"
                        },
                        "defaultConfiguration": {"level": "note"},
                    },
                )
                results.append(
                    {
                        "ruleId": rule["id"],
                        "ruleIndex": list(rules).index(rule["id"]),
                        "kind": "pass",
                        "level": "none",
                        "message": {"text": f"account {account.account}: {account.summary}"},
                        "locations": [{"logicalLocations": [logical(account.account, "module")]}],
                    }
                )
    return sarif_log(report.tool_version, list(rules.values()), results, f"trailwatch-audit/{report.started}")


def sarif_log(
    version: str, rules: list[dict[str, Any]], results: list[dict[str, Any]], automation_id: str
) -> dict[str, Any]:
    """One SARIF 2.1.0 log of one trailwatch run (the audit's and `trailwatch check`'s)."""
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "trailwatch", "version": version, "rules": rules}},
                "automationDetails": {"id": automation_id},
                "results": results,
            }
        ],
    }


def _name(prefix: str) -> str:
    return "".join(w.capitalize() for w in prefix.rstrip("/").split("-"))


def _findings(account: AccountResult) -> list[tuple[str | None, AuditFinding]]:
    out: list[tuple[str | None, AuditFinding]] = [(None, f) for f in account.findings]
    for trail in account.trails:
        out.extend((trail.arn, f) for f in trail.findings)
    return out


def _rule(finding: AuditFinding, prefix: str = "", control: Control | None = None) -> dict[str, Any]:
    words = finding.code.replace("audit.", "").replace("_", "-").split("-")
    about = f" ({control.label()}: {control.what})" if control is not None else ""
    known = REGISTRY.get(finding.code)  # type: ignore[call-overload]  # audit.* codes are not rules'
    summary = f" -- {known.summary}" if known else ""
    rule: dict[str, Any] = {
        "id": prefix + finding.code,
        "name": _name(prefix) + "".join(w.capitalize() for w in words),
        "shortDescription": {"text": f"{finding.link}: {finding.code}{summary}{about}"},
        "fullDescription": {"text": finding.message},
        "help": {"text": f"Fix: {finding.fix}"},
        "defaultConfiguration": {"level": _LEVEL[finding.status]},
    }
    if known:
        rule["properties"] = {"docs": f"docs/{known.anchor}", "previewOnly": known.preview_only}
    return rule


def artifact_path(account: str, finding: AuditFinding) -> str:
    """A repository-relative stand-in path for a cloud resource, stable across runs."""
    arn = arns.parse(finding.resource)
    if arn is not None:
        segments = [
            arn.account or account,
            arn.region or finding.region or "global",
            arn.service,
            *arn.resource.replace(":", "/").split("/"),
        ]
    else:
        segments = [account, finding.region or "global", *finding.resource.replace(":", "/").split("/")]
    safe = (re.sub(r"[^A-Za-z0-9._-]", "_", seg) for seg in segments if seg and seg != "*")
    return "aws/" + "/".join(safe)


def logical(name: str, kind: str, parent: int | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"name": name, "fullyQualifiedName": name, "kind": kind}
    if parent is not None:
        location["parentIndex"] = parent
    return location


def _level(account: AccountResult, finding: AuditFinding) -> str:
    """A broken link in an account that passes anyway (a legacy trail beside a working one)
    is worth knowing, not an error: the account is monitored."""
    if finding.status == "warning":  # a passing account's weak link is what a warning is for
        return "warning"
    return "note" if account.status == "pass" else _LEVEL[finding.status]


def _result(
    account: AccountResult, trail_arn: str | None, finding: AuditFinding, rule_index: int, rule_id: str | None = None
) -> dict[str, Any]:
    places = [logical(account.account, "module")]
    if finding.region:
        places.append(logical(f"{account.account}/{finding.region}", "namespace", 0))
    places.append(logical(finding.resource, "resource", len(places) - 1))
    text = f"account {account.account}: {finding.message} Fix: {finding.fix}"
    result: dict[str, Any] = {
        "ruleId": rule_id or finding.code,
        "ruleIndex": rule_index,
        "level": _level(account, finding),
        "kind": "fail",  # SARIF: any other kind requires level "none"
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": artifact_path(account.account, finding)}},
                "logicalLocations": places,
            }
        ],
        "partialFingerprints": {"trailwatch/v1": f"{account.account}|{finding.code}|{finding.resource}"},
        "properties": {"account": account.account, "link": finding.link, "status": finding.status},
    }
    if trail_arn:
        result["properties"]["trail"] = trail_arn
    return result
