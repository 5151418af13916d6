"""`--format asff | ocsf | html`: the audit's verdicts where security teams read findings.

Expectations come from the formats' documentation (cited in trailwatch/audit/asff.py and
ocsf.py): the ASFF required attributes and Compliance values, the OCSF 1.5.0 Detection
Finding as py-ocsf-models (Prowler's package) defines it, and an HTML page that needs nothing
outside itself. Reports are built by hand: every control, every status.
"""

from __future__ import annotations

import html.parser
import json
import re
from typing import Any

import pytest
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from trailwatch.audit import asff, ocsf
from trailwatch.audit.cli import main
from trailwatch.audit.html import to_html
from trailwatch.audit.merge import merge_reports
from trailwatch.audit.report import to_json
from trailwatch.audit.result import AccountResult, AuditFinding, Report, TrailResult
from trailwatch_policy.controls import CONTROLS, find

# https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html
ASFF_REQUIRED = {
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
}
ALARM = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:Unauthorized_API_Calls"
TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"


def _fail(resource: str = ALARM, region: str = "us-east-1") -> AuditFinding:
    return AuditFinding(
        "fail",
        "alarm-no-actions",
        "alarm",
        resource,
        "the alarm has no alarm actions",
        "aws cloudwatch put-metric-alarm --alarm-actions <sns topic arn>",
        region,
    )


def _unknown() -> AuditFinding:
    return AuditFinding(
        "unknown",
        "audit.access-denied",
        "region",
        "cloudtrail:eu-west-1",
        "cloudtrail:DescribeTrails was denied in eu-west-1",
        "grant the auditor SecurityAudit",
        "eu-west-1",
    )


def report_of(controls: list[str]) -> Report:
    """Three accounts, each control: 111.. fails (a broken alarm), 222.. is unknown, 333.. passes."""

    def account(
        aid: str, status: str, findings: list[AuditFinding], trail_findings: list[AuditFinding]
    ) -> AccountResult:
        per = {}
        for cid in controls:
            trails = [
                TrailResult(
                    TRAIL.replace("111111111111", aid),
                    "main",
                    "us-east-1",
                    "fail" if trail_findings else "pass",
                    findings=list(trail_findings),
                )
            ]
            per[cid] = AccountResult(
                aid, status, regions=["us-east-1", "eu-west-1"], trails=trails, findings=list(findings)
            )
        first = per[controls[0]]
        return AccountResult(
            aid,
            status,
            role_arn=f"arn:aws:iam::{aid}:role/SecurityAudit",
            regions=first.regions,
            trails=first.trails,
            findings=first.findings,
            controls=per,
        )

    return Report(
        [
            account("111111111111", "fail", [], [_fail()]),
            account("222222222222", "unknown", [_unknown()], []),
            account("333333333333", "pass", [], []),
        ],
        tool_version="9.9.9",
        started="2026-03-01T10:00:00+00:00",
    )


ALL = [c.id for c in CONTROLS]


# -- ASFF ---------------------------------------------------------------------------------


def test_asff_has_the_required_attributes_and_one_verdict_per_account_region_control() -> None:
    findings = asff.findings(report_of(ALL), now="2026-03-01T10:00:00.000Z")
    for f in findings:
        assert ASFF_REQUIRED <= set(f), ASFF_REQUIRED - set(f)
        assert f["SchemaVersion"] == "2018-10-08"
        assert (
            f["ProductArn"]
            == f"arn:aws:securityhub:{f['Region']}:{f['AwsAccountId']}:product/{f['AwsAccountId']}/default"
        )
        assert f["Resources"] and all({"Type", "Id"} <= set(r) for r in f["Resources"])
        assert len(f["Title"]) <= 256 and len(f["Description"]) <= 1024
    verdicts = [f for f in findings if f["Resources"][0]["Type"] == "AwsAccount"]
    assert len(verdicts) == 3 * 2 * len(ALL)  # accounts x Regions x controls
    # plus one per broken resource (the alarm, per control) and per unverified Region
    assert len(findings) == len(verdicts) + 2 * len(ALL)


@pytest.mark.parametrize("control", ALL)
def test_asff_compliance_per_status_with_the_control_row_requirements(control: str) -> None:
    findings = asff.findings(report_of([control]), now="2026-03-01T10:00:00.000Z")
    row = find(control)
    by_account = {}
    for f in findings:
        if f["Resources"][0]["Type"] == "AwsAccount" and f["Region"] == "us-east-1":
            by_account[f["AwsAccountId"]] = f
    assert {a: f["Compliance"]["Status"] for a, f in by_account.items()} == {
        "111111111111": "FAILED",
        "222222222222": "NOT_AVAILABLE",
        "333333333333": "PASSED",
    }
    for f in findings:
        assert f["Compliance"]["RelatedRequirements"] == list(row.requirements())
        assert f["Compliance"].get("SecurityControlId") == row.securityhub  # 4.15 has none
        assert f["GeneratorId"] == f"trailwatch/{row.policy}"
    if row.cis12:  # the controls CIS 1.2 did not have (4.15) have no 1.2 id
        assert f"CIS AWS Foundations Benchmark v1.2.0/{row.cis12}" in row.requirements()
    assert f"CIS AWS Foundations Benchmark v1.4.0/{control}" in row.requirements()
    unknown = [f for f in findings if f["Compliance"]["Status"] == "NOT_AVAILABLE"]
    assert unknown and all(f["Compliance"]["StatusReasons"][0]["Description"] for f in unknown)
    denied = [f for f in unknown if f["Resources"][0]["Id"] == "cloudtrail:eu-west-1"]
    assert denied[0]["Compliance"]["StatusReasons"] == [
        {"ReasonCode": "audit.access-denied", "Description": "cloudtrail:DescribeTrails was denied in eu-west-1"}
    ]
    alarm = [f for f in findings if f["Resources"][0]["Id"] == ALARM]
    assert [(a["Resources"][0]["Type"], a["Compliance"]["Status"], a["Severity"]["Label"]) for a in alarm] == [
        ("AwsCloudWatchAlarm", "FAILED", "LOW")
    ]
    assert alarm[0]["Remediation"]["Recommendation"]["Text"].startswith("aws cloudwatch put-metric-alarm")
    passed = by_account["333333333333"]
    assert passed["Severity"]["Label"] == "INFORMATIONAL" and "Remediation" not in passed


def test_asff_ids_are_stable_across_runs_and_unique() -> None:
    first = asff.findings(report_of(["4.1", "4.3"]), now="2026-03-01T10:00:00.000Z")
    second = asff.findings(report_of(["4.1", "4.3"]), now="2026-03-02T11:00:00.000Z")
    assert [f["Id"] for f in first] == [f["Id"] for f in second]
    assert len({f["Id"] for f in first}) == len(first)
    assert first[0]["UpdatedAt"] != second[0]["UpdatedAt"]
    # the id names what the finding is about, not when
    assert first[0]["Id"] == "trailwatch/111111111111/us-east-1/4.1"


def test_asff_clips_what_security_hub_limits() -> None:
    long = AuditFinding("fail", "alarm-no-actions", "alarm", ALARM, "m" * 5000, "f" * 5000, "us-east-1")
    report = Report([AccountResult("111111111111", "fail", regions=["us-east-1"], findings=[long])])
    [_, f] = asff.findings(report)
    assert len(f["Description"]) == 1024 and len(f["Remediation"]["Recommendation"]["Text"]) == 512
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", f["UpdatedAt"])


def test_asff_of_an_unreachable_account_is_not_available_under_its_own_id() -> None:
    role = "arn:aws:iam::444444444444:role/SecurityAudit"
    gone = AuditFinding(
        "unknown",
        "audit.account-unreachable",
        "account",
        role,
        "sts:AssumeRole failed: denied",
        "let the auditor assume the role",
    )
    report = Report([AccountResult(role, "unknown", role_arn=role, findings=[gone])])
    findings = asff.findings(report, base_region="eu-west-1")
    assert {f["AwsAccountId"] for f in findings} == {"444444444444"}
    assert {f["Compliance"]["Status"] for f in findings} == {"NOT_AVAILABLE"}
    assert {f["Region"] for f in findings} == {"eu-west-1"}


# -- OCSF ---------------------------------------------------------------------------------


def _keys(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        out = set()
        for k, v in value.items():
            out |= {prefix + k} | _keys(v, prefix + k + ".")
        return out
    if isinstance(value, list):
        return set().union(*(_keys(v, prefix) for v in value)) if value else set()
    return set()


@pytest.mark.parametrize("control", ALL)
def test_ocsf_findings_are_valid_ocsf_1_5_detection_findings(control: str) -> None:
    findings = ocsf.findings(report_of([control]))
    assert findings
    for f in findings:
        model = DetectionFinding.model_validate(f)  # raises on a missing or ill-typed field
        back = json.loads(model.model_dump_json(exclude_none=True))
        # nothing we wrote is outside the schema (pydantic drops unknown fields silently)
        assert _keys(f) - {k for k in _keys(f) if k.startswith("unmapped.")} <= _keys(back)
        assert f["class_uid"] == 2004 and f["category_uid"] == 2 and f["type_uid"] == 200401
        assert f["metadata"]["version"] == "1.5.0"
        assert f["metadata"]["product"] == {
            "name": "trailwatch",
            "vendor_name": "trailwatch",
            "version": "9.9.9",
            "uid": "trailwatch",
        }
        assert f["cloud"]["account"]["uid"] == f["metadata"]["tenant_uid"]
        assert f["time"] == 1772359200000  # 2026-03-01T10:00:00Z in ms
    by = {(f["cloud"]["account"]["uid"], f["resources"][0]["type"], f["cloud"]["region"]): f for f in findings}
    assert by[("111111111111", "AwsAccount", "us-east-1")]["status_code"] == "FAIL"
    assert by[("222222222222", "AwsAccount", "eu-west-1")]["status_code"] == "UNKNOWN"
    assert by[("333333333333", "AwsAccount", "us-east-1")]["status_code"] == "PASS"
    alarm = by[("111111111111", "AwsCloudWatchAlarm", "us-east-1")]
    assert alarm["severity"] == "Low" and alarm["severity_id"] == 2
    assert alarm["remediation"]["desc"].startswith("aws cloudwatch put-metric-alarm")
    assert alarm["resources"][0]["uid"] == ALARM
    row = find(control)
    assert alarm["unmapped"]["compliance"].get("CIS-1.2") == ([row.cis12] if row.cis12 else None)
    assert alarm["unmapped"]["compliance"]["CIS-1.4"] == [control]


def test_ocsf_validation_is_not_vacuous() -> None:
    [f, *_] = ocsf.findings(report_of(["4.1"]))
    broken = dict(f, severity_id="very bad")
    with pytest.raises(ValueError):
        DetectionFinding.model_validate(broken)
    missing = {k: v for k, v in f.items() if k != "finding_info"}
    with pytest.raises(ValueError):
        DetectionFinding.model_validate(missing)


# -- HTML ---------------------------------------------------------------------------------


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[str] = []
        self.text: list[str] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_td = tag == "td"

    def handle_endtag(self, tag: str) -> None:
        self._in_td = False if tag == "td" else self._in_td

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_td:
            self.cells.append(data)


def test_html_is_a_matrix_then_findings_and_fetches_nothing() -> None:
    page = to_html(report_of(["4.1", "4.3", "4.15"]))
    parsed = _Page()
    parsed.feed(page)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("table") == 1 and "script" not in tags and "link" not in tags and "img" not in tags
    assert not re.search(r"(?i)(src|href)\s*=\s*[\"']?(https?:|//)|@import|url\(", page)
    rows = [attrs for t, attrs in parsed.tags if t == "tr"]
    assert len(rows) == 1 + 3  # header + one per account
    verdict_cells = [c for c in parsed.cells if c in ("PASS", "FAIL", "UNKNOWN")]
    assert verdict_cells == ["FAIL"] * 4 + ["UNKNOWN"] * 4 + ["PASS"] * 4  # account + 3 controls, per row
    text = "".join(parsed.text)
    assert "the alarm has no alarm actions" in text and "aws cloudwatch put-metric-alarm" in text
    assert text.index("Accounts × controls") < text.index("Findings")


def test_html_escapes_everything_an_account_controls() -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    finding = AuditFinding(
        "fail",
        "alarm-no-actions",
        "alarm",
        f"arn:aws:cloudwatch:us-east-1:1:alarm:{evil}",
        f"alarm {evil} has no actions",
        f"aws cloudwatch put-metric-alarm --alarm-name '{evil}'",
        "us-east-1",
    )
    report = Report(
        [
            AccountResult(
                "111111111111",
                "fail",
                role_arn=f"arn:aws:iam::1:role/{evil}",
                regions=["us-east-1"],
                findings=[finding],
            )
        ],
        started=evil,
        tool_version=evil,
    )
    page = to_html(report)
    parsed = _Page()
    parsed.feed(page)
    assert not [t for t, _ in parsed.tags if t in ("script", "img")]
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;" in page
    assert evil in "".join(parsed.text)  # shown as text, not run


@pytest.mark.slow
def test_html_of_merged_shards_and_the_command_line(tmp_path: Any) -> None:
    """`audit merge` renders HTML too: the merge of two shard reports has both accounts."""
    full = report_of(["4.1"])
    paths = []
    for i, account in enumerate(full.accounts[:2], start=1):
        shard = Report([account], tool_version="9.9.9", started=full.started, shard=(i, 2))
        path = tmp_path / f"shard-{i}.json"
        path.write_text(to_json(shard))
        paths.append(str(path))
    merged = merge_reports(paths)
    assert [a.account for a in merged.accounts] == ["111111111111", "222222222222"]
    out = tmp_path / "audit.html"
    code = main(["merge", *paths, "--format", "html", "--output", str(out)])
    assert code == 2  # one account is UNKNOWN
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "111111111111" in page and "222222222222" in page
