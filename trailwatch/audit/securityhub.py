"""`trailwatch audit --security-hub`: the ASFF findings imported into each audited account's
own Security Hub, with `BatchImportFindings`, under the account's default product ARN.

From the Security Hub documentation
(https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html,
https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html):
- the call is made by the account the findings belong to (`AwsAccountId`), with the default
  product ARN `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`;
- at most 100 findings per call, 240 KB per finding, 6 MB per call;
- 10 calls per second per account and Region (burst 30): throttled calls
  (`LimitExceededException`, `TooManyRequestsException`, HTTP 429) are retried by botocore's
  adaptive retry mode (`--max-attempts`), which also slows the client down;
- a finding with an `Id` already imported is updated when its `UpdatedAt` is later;
- `FailedFindings` lists the findings a call could not import (`Id`, `ErrorCode`, `ErrorMessage`).

A finding of an earlier run that this run no longer raises (the resource was fixed, or is gone)
would stay FAILED in Security Hub: it is looked up (`GetFindings`, this product, account and
Region, ACTIVE) and imported again as PASSED with `RecordState` ARCHIVED. Only findings of the
controls and Regions this run audited are touched.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from trailwatch_policy.controls import primary

from .result import Report

if TYPE_CHECKING:
    from .run import Plan

MAX_FINDINGS = 100
MAX_FINDING_BYTES = 240 * 1024
MAX_BATCH_BYTES = 6 * 1024 * 1024
#: the keys trailwatch writes (asff.finding): a stale finding is re-imported with these only
OWN_KEYS = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "ProductName",
    "CompanyName",
    "GeneratorId",
    "AwsAccountId",
    "Region",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
    "Compliance",
    "RecordState",
    "ProductFields",
    "Remediation",
)


@dataclass
class Failure:
    """A finding Security Hub refused, and why."""

    account: str
    region: str
    finding_id: str
    code: str
    message: str


@dataclass
class ImportResult:
    """What an import into Security Hub did: findings imported and archived, and the refusals."""

    imported: int = 0
    archived: int = 0
    failures: list[Failure] = field(default_factory=list)

    def add(self, other: ImportResult) -> None:
        self.imported += other.imported
        self.archived += other.archived
        self.failures.extend(other.failures)

    def summary(self, accounts: int) -> str:
        text = f"security hub: {self.imported} finding(s) imported into {accounts} account(s)" + (
            f", {self.archived} earlier finding(s) now passing archived" if self.archived else ""
        )
        if self.failures:
            text += f"; {len(self.failures)} NOT imported:"
            for f in self.failures[:20]:
                text += f"\n  {f.account} {f.region} {f.finding_id}: {f.code}: {f.message}"
            if len(self.failures) > 20:
                text += f"\n  ... and {len(self.failures) - 20} more"
        return text


def size(finding: dict[str, Any]) -> int:
    return len(json.dumps(finding, separators=(",", ":")).encode())


def batches(findings: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive batches of at most MAX_FINDINGS findings and MAX_BATCH_BYTES bytes."""
    batch: list[dict[str, Any]] = []
    total = 0
    for finding in findings:
        n = size(finding)
        if batch and (len(batch) == MAX_FINDINGS or total + n > MAX_BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(finding)
        total += n
    if batch:
        yield batch


def _error(error: Exception) -> tuple[str, str]:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        err = response.get("Error") or {}
        return str(err.get("Code") or type(error).__name__), str(err.get("Message") or error)
    return type(error).__name__, str(error)


def send(client: Any, account: str, region: str, findings: list[dict[str, Any]]) -> ImportResult:
    """Import `findings` (one account, one Region) in batches; every finding not imported is a Failure."""
    result = ImportResult()
    fits = []
    for f in findings:
        if size(f) > MAX_FINDING_BYTES:
            result.failures.append(
                Failure(
                    account,
                    region,
                    f["Id"],
                    "FindingTooLarge",
                    f"{size(f)} bytes; Security Hub takes at most {MAX_FINDING_BYTES}",
                )
            )
        else:
            fits.append(f)
    for batch in batches(fits):
        try:
            response = client.batch_import_findings(Findings=batch)
        except Exception as error:  # noqa: BLE001 - reported per finding, the run goes on
            code, message = _error(error)
            result.failures.extend(Failure(account, region, f["Id"], code, message) for f in batch)
            continue
        failed = response.get("FailedFindings") or []
        result.failures.extend(
            Failure(account, region, str(f.get("Id")), str(f.get("ErrorCode")), str(f.get("ErrorMessage")))
            for f in failed
        )
        result.imported += int(response.get("SuccessCount", len(batch) - len(failed)))
    return result


def stale(
    client: Any, product_arn: str, account: str, prefixes: tuple[str, ...], current: set[str]
) -> list[dict[str, Any]]:
    """Active trailwatch findings of this account and Region, of the audited controls (id
    prefixes), that this run did not raise again."""
    out: list[dict[str, Any]] = []
    filters = {
        "ProductArn": [{"Value": product_arn, "Comparison": "EQUALS"}],
        "AwsAccountId": [{"Value": account, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    token = None
    while True:
        kwargs: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        page = client.get_findings(**kwargs)
        for found in page.get("Findings") or []:
            fid = str(found.get("Id", ""))
            active = found.get("RecordState", "ACTIVE") == "ACTIVE"  # the filter, checked again
            if active and fid not in current and fid.startswith(prefixes):
                out.append(found)
        token = page.get("NextToken")
        if not token:
            return out


def passed(found: dict[str, Any], now: str) -> dict[str, Any]:
    """An earlier finding that no longer fails: PASSED, archived, updated now."""
    out = {k: copy.deepcopy(v) for k, v in found.items() if k in OWN_KEYS}
    # Security Hub adds its own "aws/securityhub/..." product fields; a provider sends only its own.
    out["ProductFields"] = {k: v for k, v in (out.get("ProductFields") or {}).items() if not k.startswith("aws/")}
    compliance = out.setdefault("Compliance", {})
    compliance["Status"] = "PASSED"
    compliance.pop("StatusReasons", None)
    out["Severity"] = {"Label": "INFORMATIONAL"}
    out["RecordState"] = "ARCHIVED"
    out["UpdatedAt"] = now
    out["Description"] = (
        "No longer raised by trailwatch (fixed, or the resource is gone): " + str(found.get("Description", ""))
    )[:1024]
    return out


def import_account(
    client_for: Callable[[str], Any],
    account: str,
    findings: list[dict[str, Any]],
    scopes: dict[str, tuple[str, ...]],
    now: str,
) -> ImportResult:
    """One account: its findings per Region, then the Region's stale findings archived.
    `scopes`: Region -> id prefixes of the (Region, control) pairs audited there."""
    result = ImportResult()
    by_region: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_region.setdefault(f["Region"], []).append(f)
    for region in sorted(set(by_region) | set(scopes)):
        mine = by_region.get(region, [])
        try:
            client = client_for(region)
        except Exception as error:  # noqa: BLE001
            code, message = _error(error)
            result.failures.extend(Failure(account, region, f["Id"], code, message) for f in mine)
            continue
        result.add(send(client, account, region, mine))
        prefixes = scopes.get(region)
        if not prefixes:
            continue
        product = mine[0]["ProductArn"] if mine else None
        if product is None:
            continue
        try:
            old = stale(client, product, account, prefixes, {f["Id"] for f in mine})
        except Exception as error:  # noqa: BLE001 - a stale FAILED finding must not go unnoticed
            code, message = _error(error)
            result.failures.append(
                Failure(
                    account,
                    region,
                    f"{prefixes[0]}*",
                    code,
                    f"earlier findings could not be listed (securityhub:GetFindings): {message}",
                )
            )
            continue
        archived = send(client, account, region, [passed(f, now) for f in old])
        result.archived += archived.imported
        result.failures.extend(archived.failures)
    return result


def publish(plan: Plan, report: Report, stderr: IO[str]) -> bool:
    """Import the report's findings into each audited account's Security Hub, with that
    account's own credentials (the role the audit assumed). True when every finding was imported."""
    from .asff import findings as asff_findings
    from .asff import timestamp
    from .findings import account_id

    now = timestamp()
    by_account: dict[str, list[dict[str, Any]]] = {}
    for f in asff_findings(report, now, plan.base_region):
        by_account.setdefault(f["AwsAccountId"], []).append(f)
    total = ImportResult()
    for result in report.accounts:
        aid = account_id(result)
        mine = by_account.get(aid, [])
        if not mine:
            continue
        own = result.role_arn is None or aid == plan.base.account_id
        try:
            account = plan.base if own else plan.base.assume(str(result.role_arn), plan.base_region)
        except Exception as error:  # noqa: BLE001 - the account's findings are reported as not imported
            code, message = _error(error)
            total.failures.extend(Failure(aid, f["Region"], f["Id"], code, f"sts:AssumeRole: {message}") for f in mine)
            continue
        # Stale findings are looked for where this run judged the account: the Regions it
        # searched and those its findings are in (log groups are read in their own Region).
        judged = set(result.regions) | ({f["Region"] for f in mine} if result.regions else set())
        # a report written before controls were named judged the table's primary control only
        controls = list(result.controls) or [primary().id]
        scopes = {region: tuple(f"trailwatch/{aid}/{region}/{cid}/" for cid in controls) for region in judged}
        try:
            total.add(import_account(functools.partial(account.client, "securityhub"), aid, mine, scopes, now))
        finally:
            if account is not plan.base:
                account.release()
    stderr.write(total.summary(len(by_account)) + "\n")
    return not total.failures
