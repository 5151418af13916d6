"""What the audit concludes, per account and per trail: the shape every format renders.

Status words are the shared ones ("pass" | "fail" | "unknown"); the JSON form of these
classes is the documented, stable schema (docs/audit.md, `SCHEMA_VERSION`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
EXIT_CODES = {"pass": 0, "fail": 1, "unknown": 2}


@dataclass(frozen=True)
class AuditFinding:
    """One broken (or unverifiable) link, on the resource to fix, with the fix."""

    status: str  # fail | unknown | warning (works today, anyone can break it: never a verdict)
    code: str
    link: str  # account | region | trail | log-group | metric-filter | alarm | topic | subscription
    resource: str  # ARN (or name) of the resource to change
    message: str
    fix: str  # AWS CLI / console wording (trailwatch_policy.rules.fixes)
    region: str | None = None
    pulumi_fix: str = ""  # the same fix for a Pulumi program, when there is one


@dataclass
class TrailResult:
    """One trail's chain: trail -> log group -> filter -> alarm -> topic -> subscriber."""

    arn: str
    name: str | None
    home_region: str | None
    status: str
    log_group: str | None = None  # CloudWatchLogsLogGroupArn, as the trail names it
    multi_region: bool | None = None
    organization: bool = False
    findings: list[AuditFinding] = field(default_factory=list)


@dataclass
class AccountResult:
    """One audited account: its verdict, per control, and what it rests on."""

    account: str  # account id, or the role ARN when the account could not be reached
    status: str
    role_arn: str | None = None
    regions: list[str] = field(default_factory=list)
    trails: list[TrailResult] = field(default_factory=list)
    findings: list[AuditFinding] = field(default_factory=list)  # account-wide (no trail, region gaps)
    api_calls: int = 0
    seconds: float = 0.0
    #: per control (CIS 1.4 id -> this account's verdict for it); trails/findings above are
    #: the first control's (4.1 when audited), status is the worst of them (verdict.combine)
    controls: dict[str, AccountResult] = field(default_factory=dict)
    #: "warning" findings: links that work but anyone can break (verdict.Judgement.warnings);
    #: they never change a status or the exit code
    warnings: list[AuditFinding] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if len(self.controls) > 1:
            failing = [c for c, r in self.controls.items() if r.status == "fail"]
            unverified = [c for c, r in self.controls.items() if r.status == "unknown"]
            text = f"{len(self.controls) - len(failing) - len(unverified)} of {len(self.controls)} controls monitored"
            if failing:
                text += f"; failing: {', '.join(failing)}"
            if unverified:
                text += f"; not verified: {', '.join(unverified)}"
            return text
        if self.status == "pass":
            passing = [t.name or t.arn for t in self.trails if t.status == "pass"]
            return f"monitored through trail {passing[0]}" if passing else "monitored"
        if not self.trails:
            reasons = [f.message for f in self.findings]
            return reasons[0] if reasons else "no trail"
        unknown = sum(1 for t in self.trails if t.status == "unknown")
        if self.status == "unknown" and unknown:
            return f"no trail is known to work; {unknown} of {len(self.trails)} trail(s) could not be verified"
        return f"no trail has a working chain ({len(self.trails)} trail(s) checked)"


@dataclass(frozen=True)
class SkippedAccount:
    """An organisation account the run did not audit (suspended, closing), with its state."""

    account: str
    name: str
    status: str


@dataclass
class Report:
    """A whole run: every audited account and the run's own facts (version, time, shard)."""

    accounts: list[AccountResult]
    tool_version: str = "0.1.0"
    started: str = ""
    seconds: float = 0.0
    skipped: list[SkippedAccount] = field(default_factory=list)
    shard: tuple[int, int] | None = None  # (index, count) of a sharded run; None: the whole set
    missing_shards: list[str] = field(default_factory=list)  # a merge without every shard
    audited: list[str] = field(default_factory=list)  # the controls asked for (CIS 1.4 ids)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def control_ids(self) -> list[str]:
        """The controls audited (CIS 1.4 ids, table order as first met; those asked for
        when no account was judged)."""
        ids: list[str] = []
        for cid in [c for account in self.accounts for c in account.controls] + self.audited:
            if cid not in ids:
                ids.append(cid)
        return ids

    @property
    def status(self) -> str:
        statuses = {a.status for a in self.accounts}
        if self.missing_shards:  # a merge without every shard is never a verdict
            return "unknown"
        if not statuses:  # an empty shard owes nothing; an empty run judged nothing
            return "pass" if self.shard else "unknown"
        if "unknown" in statuses:
            return "unknown"
        return "fail" if "fail" in statuses else "pass"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "trailwatch-audit",
            "schemaVersion": SCHEMA_VERSION,
            "tool": {"name": "trailwatch", "version": self.tool_version},
            "control": _title(self.control_ids),
            "controls": self.control_ids,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "status": self.status,
            "shard": {"index": self.shard[0], "count": self.shard[1]} if self.shard else None,
            "missingShards": self.missing_shards,
            "skippedAccounts": [asdict(s) for s in self.skipped],
            "accounts": [_account_json(a) for a in self.accounts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """The inverse of `to_json` (for `trailwatch audit merge`); KeyError/TypeError on a
        document that is not one."""
        shard = data.get("shard")
        return cls(
            accounts=[_account_from(a) for a in data["accounts"]],
            tool_version=str(data["tool"]["version"]),
            started=str(data.get("started") or ""),
            seconds=float(data.get("seconds") or 0.0),
            skipped=[
                SkippedAccount(str(s["account"]), str(s.get("name") or ""), str(s["status"]))
                for s in data.get("skippedAccounts") or []
            ],
            shard=(int(shard["index"]), int(shard["count"])) if shard else None,
            missing_shards=[str(m) for m in data.get("missingShards") or []],
            audited=[str(c) for c in data.get("controls") or []],
        )


def _title(ids: list[str]) -> str:
    """The report's title, in the words of the control's row when there is one control."""
    if len(ids) == 1:
        from trailwatch_policy.controls import UnknownControl, find

        try:
            c = find(ids[0])
        except UnknownControl:
            return f"CIS AWS Foundations {ids[0]}"
        return (
            f"CIS AWS Foundations {c.id}"
            + (f" / Security Hub {c.securityhub}" if c.securityhub else "")
            + f": {c.what} monitored"
        )
    return "CIS AWS Foundations monitoring section: " + (", ".join(ids) or "no control")


def _finding_from(data: dict[str, Any]) -> AuditFinding:
    return AuditFinding(
        status=data["status"],
        code=data["code"],
        link=data["link"],
        resource=data["resource"],
        message=data["message"],
        fix=data["fix"],
        region=data.get("region"),
        pulumi_fix=data.get("pulumiFix") or "",
    )


def _account_from(data: dict[str, Any], top: dict[str, Any] | None = None) -> AccountResult:
    top = top or data
    result = AccountResult(
        account=top["account"],
        status=data["status"],
        role_arn=top.get("roleArn"),
        regions=list(top.get("regions") or []),
        trails=[
            TrailResult(
                arn=t["arn"],
                name=t.get("name"),
                home_region=t.get("homeRegion"),
                status=t["status"],
                log_group=t.get("logGroup"),
                multi_region=t.get("multiRegion"),
                organization=bool(t.get("organization")),
                findings=[_finding_from(f) for f in t.get("findings") or []],
            )
            for t in data.get("trails") or []
        ],
        findings=[_finding_from(f) for f in data.get("findings") or []],
        api_calls=int(top.get("apiCalls") or 0),
        seconds=float(top.get("seconds") or 0.0),
        warnings=[_finding_from(f) for f in data.get("warnings") or []],
    )
    if top is data:
        result.controls = {cid: _account_from(c, data) for cid, c in (data.get("controls") or {}).items()}
        if result.controls:  # the first control's trails are the account's (verdict.combine)
            first = next(iter(result.controls.values()))
            result.trails, result.findings, result.warnings = first.trails, first.findings, first.warnings
    return result


def _account_json(account: AccountResult) -> dict[str, Any]:
    out = _verdict_json(account)
    out["controls"] = {
        cid: {k: v for k, v in _verdict_json(c).items() if k in _PER_CONTROL} for cid, c in account.controls.items()
    }
    return out


_PER_CONTROL = ("status", "summary", "findings", "trails", "warnings")


def _verdict_json(account: AccountResult) -> dict[str, Any]:
    return {
        "account": account.account,
        "roleArn": account.role_arn,
        "status": account.status,
        "summary": account.summary,
        "regions": account.regions,
        "apiCalls": account.api_calls,
        "seconds": round(account.seconds, 3),
        "findings": [_finding_json(f) for f in account.findings],
        "warnings": [_finding_json(f) for f in account.warnings],
        "trails": [
            {
                "arn": t.arn,
                "name": t.name,
                "homeRegion": t.home_region,
                "status": t.status,
                "logGroup": t.log_group,
                "multiRegion": t.multi_region,
                "organization": t.organization,
                "findings": [_finding_json(f) for f in t.findings],
            }
            for t in account.trails
        ],
    }


def _finding_json(finding: AuditFinding) -> dict[str, Any]:
    out = asdict(finding)
    out["pulumiFix"] = out.pop("pulumi_fix") or None
    return out
