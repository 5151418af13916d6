"""`--format asff`: AWS Security Finding Format, one finding per `findings.Row`.

Fields and limits from the Security Hub documentation:
- required attributes (AwsAccountId, CreatedAt, Description, GeneratorId, Id, ProductArn,
  Resources, SchemaVersion, Severity, Title, Types, UpdatedAt):
  https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html
- Compliance (Status PASSED | WARNING | FAILED | NOT_AVAILABLE, RelatedRequirements at most
  32, StatusReasons): https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Compliance.html
- a custom integration's findings use the account's default product ARN,
  `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`, and are sent
  by that account: https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html
- Title at most 256 characters, Description 1024, Remediation.Recommendation.Text 512:
  https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSecurityFinding.html
- the CloudWatch controls' severity is Low; passed control findings are INFORMATIONAL:
  https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .findings import Row, rows
from .result import Report

SCHEMA_VERSION = "2018-10-08"
TYPES = ["Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"]
COMPLIANCE = {"pass": "PASSED", "fail": "FAILED", "unknown": "NOT_AVAILABLE"}
CONTROLS_DOC = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html"
#: ASFF resource types for the links of the chain ("Other" where ASFF has none)
RESOURCE_TYPES = {
    "account": "AwsAccount",
    "trail": "AwsCloudTrailTrail",
    "alarm": "AwsCloudWatchAlarm",
    "topic": "AwsSnsTopic",
    "subscription": "AwsSnsTopic",
}
TITLE_MAX, DESCRIPTION_MAX, RECOMMENDATION_MAX = 256, 1024, 512


def timestamp(now: dt.datetime | None = None) -> str:
    """ISO 8601 in UTC with milliseconds, as the ASFF examples write it ("2017-03-22T13:22:13.933Z")."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def product_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finding(row: Row, now: str) -> dict[str, Any]:
    control = row.control
    status = COMPLIANCE[row.status]
    description = row.message
    if row.account_passes:
        description += " (the account passes this control through another trail)"
    compliance: dict[str, Any] = {"Status": status, "RelatedRequirements": list(control.requirements())[:32]}
    if control.securityhub:
        compliance["SecurityControlId"] = control.securityhub
    if row.status == "unknown":  # why it could not be verified, and the way out
        compliance["StatusReasons"] = [
            {"ReasonCode": row.code or "TRAILWATCH_NOT_VERIFIED", "Description": clip(row.message, 1024)}
        ]
    # An account is named as Security Hub's own control findings name it.
    rid = f"AWS::::Account:{row.account}" if row.code is None else row.resource
    resource: dict[str, Any] = {
        "Type": RESOURCE_TYPES.get(row.resource_kind, "Other"),
        "Id": rid,
        "Partition": row.partition,
        "Region": row.region,
    }
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": row.uid,
        "ProductArn": product_arn(row.partition, row.region, row.account),
        "ProductName": "trailwatch",
        "CompanyName": "trailwatch",
        "GeneratorId": f"trailwatch/{control.policy}",
        "AwsAccountId": row.account,
        "Region": row.region,
        "Types": TYPES,
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": row.severity.upper()},
        "Title": clip(row.title, TITLE_MAX),
        "Description": clip(description, DESCRIPTION_MAX),
        "Resources": [resource],
        "Compliance": compliance,
        "RecordState": "ACTIVE",
        "ProductFields": {
            "trailwatch/control": control.id,
            "trailwatch/policy": control.policy,
            **({"trailwatch/code": row.code} if row.code else {}),
        },
    }
    if row.fix:
        out["Remediation"] = {"Recommendation": {"Text": clip(row.fix, RECOMMENDATION_MAX), "Url": _doc(row)}}
    return out


def _doc(row: Row) -> str:
    sh = row.control.securityhub
    return f"{CONTROLS_DOC}#{sh.lower().replace('.', '-')}" if sh else CONTROLS_DOC


def findings(report: Report, now: str | None = None, base_region: str | None = None) -> list[dict[str, Any]]:
    """Only accounts the audit reached: a role ARN in place of an account id has no Security Hub."""
    now = now or timestamp()
    return [finding(r, now) for r in rows(report, base_region) if r.account.isdigit()]


def to_asff(report: Report, now: str | None = None) -> str:
    return json.dumps(findings(report, now), indent=2) + "\n"
