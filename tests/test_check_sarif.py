"""`trailwatch check --format sarif`: each violation a SARIF 2.1.0 result, valid against the
official OASIS schema (the one the audit's SARIF is validated with), located at the program
line that created the resource where the engine knows it, else at the resource URN."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from test_audit_sarif import validate
from trailwatch.engine.analyzer import Analysis, Diagnostic
from trailwatch.engine.program import Registration
from trailwatch.engine.sarif import document
from trailwatch_policy.base.codes import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "engine" / "programs" / "basic"
PACK = ROOT / "tests" / "fixtures" / "engine" / "packs" / "basic"
URN = "urn:pulumi:dev::fixture-basic::"


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    cfg = tmp_path_factory.mktemp("cfg") / "pack.json"
    cfg.write_text(json.dumps({"retention-minimum": {"minimumDays": 365}, "trail-linked": {"readArn": True}}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trailwatch",
            "check",
            str(BASIC),
            "--policy-pack",
            str(PACK),
            "--format",
            "sarif",
            "--config",
            "noAlarmActions=true",
            "--autonames",
            "unknown",
            "--policy-pack-config",
            str(cfg),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return proc, json.loads(proc.stdout)


@pytest.mark.slow
def test_check_sarif_is_schema_valid_with_rules_levels_and_program_lines(
    fixture_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    proc, log = fixture_run
    assert proc.returncode == 1, proc.stderr  # a mandatory violation, as with text and json
    validate(log)
    [run] = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"alarm-has-actions", "retention-minimum", "trail-linked", "log-group-name"}
    assert set(rules) == set(by_rule)  # one rule per policy that reported
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    alarm = by_rule["alarm-has-actions"]
    assert alarm["level"] == "error"  # mandatory
    assert by_rule["retention-minimum"]["level"] == "warning"  # advisory
    assert alarm["message"]["text"] == "Alarms notify someone.\nthe alarm notifies nobody"
    helpers = BASIC / "helpers.py"
    [location] = alarm["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/fixtures/engine/programs/basic/helpers.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": _line_of(helpers, "aws.cloudwatch.MetricAlarm(")},
    }
    urn = URN + "fixture:index:Guardrail$aws:cloudwatch/metricAlarm:MetricAlarm::cis-alarm"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == urn
    # a stack policy's diagnostic names no resource: a logical location only
    [stack] = by_rule["trail-linked"]["locations"]
    assert "physicalLocation" not in stack and stack["logicalLocations"][0]["kind"] == "resource"


def test_a_resource_made_outside_the_repository_is_located_by_its_urn_alone(tmp_path: Path) -> None:
    urn = URN + "aws:cloudwatch/metricAlarm:MetricAlarm::a"
    inside = Registration(
        urn,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "a",
        "",
        True,
        {},
        {},
        [],
        {},
        "",
        source={"uri": (tmp_path / "prog" / "__main__.py").as_uri(), "line": 7},
    )
    analysis = Analysis(
        "pack",
        "1.0.0",
        [
            Diagnostic("pack", "1.0.0", "p", "mandatory", urn, "m"),
            Diagnostic("pack", "1.0.0", "q", "advisory", urn, "n"),
        ],
    )
    log = document([inside], analysis, root=tmp_path / "prog")
    validate(log)
    first = log["runs"][0]["results"][0]["locations"][0]
    assert first["physicalLocation"]["artifactLocation"]["uri"] == "__main__.py"
    assert first["physicalLocation"]["region"] == {"startLine": 7}
    elsewhere = document([inside], analysis, root=tmp_path / "other")  # outside: not a repository path
    assert "physicalLocation" not in elsewhere["runs"][0]["results"][0]["locations"][0]
    assert [r["level"] for r in log["runs"][0]["results"]] == ["error", "warning"]


@pytest.mark.slow
def test_the_trailwatch_pack_on_a_stack_gives_codes_and_the_program_line() -> None:
    stack = ROOT / "tests" / "fixtures" / "stacks" / "no-filter"
    proc = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(stack), "--format", "sarif"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    validate(log)
    results = log["runs"][0]["results"]
    # issue 21: 4.1's policy is mandatory (error); the other fourteen controls' are advisory by
    # default (warning): this 4.1-only stack owes them, shown without blocking
    assert results and all(
        r["level"] == ("error" if r["ruleId"] == "unauthorized-api-calls-monitored" else "warning") for r in results
    )
    assert any(r["level"] == "error" for r in results)
    assert any(r["properties"]["codes"] for r in results)
    located = [r for r in results if "physicalLocation" in r["locations"][0]]
    assert located
    for r in located:
        physical = r["locations"][0]["physicalLocation"]
        path = ROOT / physical["artifactLocation"]["uri"]
        assert path.is_file() and physical["region"]["startLine"] >= 1


def test_each_result_says_what_its_codes_mean_from_the_registry() -> None:
    urn = URN + "aws:cloudwatch/metricAlarm:MetricAlarm::a"
    message = (
        "alarm a:\n- [alarm-threshold] one call gives Sum = 1\n  fix: threshold=1\n"
        "- [not-a-registered-code] x\n  fix: y"
    )
    analysis = Analysis("pack", "1.0.0", [Diagnostic("pack", "1.0.0", "p", "mandatory", urn, message)])
    [result] = document([], analysis)["runs"][0]["results"]
    assert result["properties"]["codes"] == ["alarm-threshold", "not-a-registered-code"]
    assert result["properties"]["summaries"] == {"alarm-threshold": REGISTRY["alarm-threshold"].summary}
