"""`--format ocsf`: OCSF 1.5.0 Detection Findings (class_uid 2004, category Findings), one per
`findings.Row`, as a JSON array: the class and shape of Prowler's `json-ocsf`, so what reads
Prowler's findings (a data lake, a SIEM, Security Lake) reads these.

Detection Finding rather than Compliance Finding (2003): it is the class Prowler writes and
its consumers read, and it carries the `cloud` object (account, Region) that Compliance
Finding has only through a profile. The compliance verdict is where Prowler puts it:
`status_code` PASS / FAIL (UNKNOWN here when it could not be verified, with the reason in
`status_detail`) and `unmapped.compliance` (framework -> requirement ids).

Schema: https://schema.ocsf.io/1.5.0/classes/detection_finding (the test validates every
finding against the OCSF 1.5.0 models of py-ocsf-models, Prowler's own package).
Times are milliseconds since the epoch (OCSF `timestamp_t`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .findings import Row, rows
from .result import Report

OCSF_VERSION = "1.5.0"
DETECTION_FINDING = 2004
FINDINGS_CATEGORY = 2
ACTIVITY_CREATE = 1
SEVERITY_ID = {"informational": 1, "low": 2, "medium": 3, "high": 4}
STATUS_CODE = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKNOWN"}
RESOURCE_TYPES = {
    "account": "AwsAccount",
    "trail": "AwsCloudTrailTrail",
    "alarm": "AwsCloudWatchAlarm",
    "topic": "AwsSnsTopic",
    "subscription": "AwsSnsTopic",
    "log-group": "AwsLogsLogGroup",
    "metric-filter": "AwsLogsMetricFilter",
    "region": "AwsRegion",
}
CONTROLS_DOC = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html"


def _millis(started: str) -> int:
    try:
        when = dt.datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        when = dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def finding(row: Row, time: int, version: str) -> dict[str, Any]:
    control = row.control
    compliance: dict[str, list[str]] = {}
    for requirement in control.requirements():  # "CIS AWS Foundations Benchmark v1.4.0/4.1"
        framework, _, rid = requirement.rpartition("/")
        compliance.setdefault("CIS-" + framework.rsplit(" v", 1)[1].removesuffix(".0"), []).append(rid)
    out: dict[str, Any] = {
        "metadata": {
            "event_code": control.policy,
            "product": {"name": "trailwatch", "vendor_name": "trailwatch", "version": version, "uid": "trailwatch"},
            "profiles": ["cloud"],
            "tenant_uid": row.account,
            "version": OCSF_VERSION,
        },
        "severity_id": SEVERITY_ID[row.severity],
        "severity": row.severity.capitalize(),
        "status": "New",
        "status_id": 1,
        "status_code": STATUS_CODE[row.status],
        "status_detail": row.message,
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "finding_info": {
            "uid": row.uid,
            "title": row.title,
            "desc": f"{control.label()}: {control.what} are monitored (CloudTrail -> metric filter -> "
            "alarm -> SNS topic -> subscriber)",
            "created_time": time,
            "types": [
                "Software and Configuration Checks",
                "Industry and Regulatory Standards",
                "CIS AWS Foundations Benchmark",
            ],
        },
        "resources": [
            {
                "uid": row.resource,
                "name": row.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or row.resource,
                "type": RESOURCE_TYPES.get(row.resource_kind, "Other"),
                "region": row.region,
                "cloud_partition": row.partition,
                "group": {"name": row.resource_kind},
            }
        ],
        "category_name": "Findings",
        "category_uid": FINDINGS_CATEGORY,
        "class_name": "Detection Finding",
        "class_uid": DETECTION_FINDING,
        "cloud": {
            "account": {"uid": row.account, "name": row.account, "type": "AWS Account", "type_id": 10},
            "provider": "aws",
            "region": row.region,
        },
        "time": time,
        "type_uid": DETECTION_FINDING * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "risk_details": f"{control.what[0].upper()}{control.what[1:]} that no one is notified of go unnoticed.",
        "unmapped": {
            "compliance": compliance,
            "security_hub_control": control.securityhub,
            "finding_code": row.code,
            "link": row.resource_kind,
        },
    }
    if row.fix:
        out["remediation"] = {"desc": row.fix, "references": [CONTROLS_DOC]}
    return out


def findings(report: Report) -> list[dict[str, Any]]:
    time = _millis(report.started)
    return [finding(r, time, report.tool_version) for r in rows(report)]


def to_ocsf(report: Report) -> str:
    return json.dumps(findings(report), indent=2) + "\n"
