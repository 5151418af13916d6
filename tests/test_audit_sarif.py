"""`--format sarif` is valid SARIF 2.1.0 (the official OASIS schema, tests/data/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from moto_server import Chain, Endpoint, audit, build
from trailwatch.audit.result import AccountResult, AuditFinding, Report, TrailResult
from trailwatch.audit.sarif import document

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_the_schema_rejects_what_sarif_forbids() -> None:
    """The validator is not vacuous: a level SARIF does not define is refused."""
    bad = {
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": {"name": "trailwatch"}}, "results": [{"message": {"text": "m"}, "level": "critical"}]}
        ],
    }
    with pytest.raises(jsonschema.ValidationError, match="critical"):
        validate(bad)


def test_every_status_renders_valid_sarif() -> None:
    fail = AuditFinding(
        "fail",
        "alarm-no-actions",
        "alarm",
        "arn:aws:cloudwatch:us-east-1:1:alarm:a",
        "the alarm has no actions",
        "alarm_actions=[topic.arn]",
        "us-east-1",
    )
    unknown = AuditFinding(
        "unknown", "audit.access-denied", "region", "cloudtrail:eu-west-1", "denied", "grant SecurityAudit", "eu-west-1"
    )
    accounts = [
        AccountResult(
            "111111111111",
            "fail",
            trails=[TrailResult("arn:aws:cloudtrail:us-east-1:1:trail/t", "t", "us-east-1", "fail", findings=[fail])],
        ),
        AccountResult("222222222222", "unknown", findings=[unknown]),
        AccountResult("333333333333", "pass"),
    ]
    log = document(Report(accounts, started="2026-01-01T00:00:00+00:00"))
    validate(log)
    [run] = log["runs"]
    assert [r["level"] for r in run["results"]] == ["error", "warning", "none"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    # accounts that name no control (made by hand): the table's first, prefixed like any other
    assert rules == [
        "unauthorized-api-calls-monitored/alarm-no-actions",
        "unauthorized-api-calls-monitored/audit.access-denied",
        "unauthorized-api-calls-monitored/account-monitored",
    ]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    names = [loc["name"] for loc in run["results"][0]["locations"][0]["logicalLocations"]]
    assert names == ["111111111111", "111111111111/us-east-1", "arn:aws:cloudwatch:us-east-1:1:alarm:a"]


@pytest.mark.slow
def test_audit_command_emits_valid_sarif(moto: Endpoint, tmp_path: Path) -> None:
    build(moto, Chain(kms_key="alias/aws/sns"))
    target = tmp_path / "audit.sarif"
    done = audit(moto, "--output", str(target), fmt="sarif", timeout=60)
    assert (done.code, done.report, done.stderr) == (1, None, "")  # the log went to the file only
    log = json.loads(target.read_text())
    validate(log)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "unauthorized-api-calls-monitored/topic-aws-managed-key" and result["level"] == "error"


def test_results_have_a_repository_relative_location_for_code_scanning() -> None:
    """GitHub shows a result only at a path (an `arn:` URI is refused): a stable stand-in."""
    fail = AuditFinding(
        "fail",
        "alarm-no-actions",
        "alarm",
        "arn:aws:cloudwatch:us-east-1:111111111111:alarm:Unauthorized_API_Calls",
        "the alarm has no actions",
        "fix",
        "us-east-1",
    )
    group = AuditFinding(
        "fail",
        "no-metric-filter",
        "log-group",
        "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/cloudtrail/main:*",
        "m",
        "f",
        "eu-west-1",
    )
    log = document(Report([AccountResult("111111111111", "fail", findings=[fail, group])], started="t"))
    validate(log)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    assert uris == [
        "aws/111111111111/us-east-1/cloudwatch/alarm/Unauthorized_API_Calls",
        "aws/111111111111/eu-west-1/logs/log-group/aws/cloudtrail/main",
    ]
    assert not any(":" in uri for uri in uris)


def test_a_broken_legacy_trail_in_a_passing_account_is_a_note() -> None:
    legacy = AuditFinding(
        "fail",
        "trail-not-multi-region",
        "trail",
        "arn:aws:cloudtrail:us-east-1:1:trail/legacy",
        "single-region",
        "--is-multi-region-trail",
        "us-east-1",
    )
    account = AccountResult(
        "111111111111",
        "pass",
        trails=[
            TrailResult(
                "arn:aws:cloudtrail:us-east-1:1:trail/legacy", "legacy", "us-east-1", "fail", findings=[legacy]
            ),
            TrailResult("arn:aws:cloudtrail:us-east-1:1:trail/main", "main", "us-east-1", "pass"),
        ],
    )
    log = document(Report([account], started="2026-01-01T00:00:00+00:00"))
    validate(log)
    assert [r["level"] for r in log["runs"][0]["results"]] == ["note", "none"]
