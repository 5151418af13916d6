"""`python -m trailwatch check` end to end: real subprocesses for the program and the pack.

Each check starts one program worker (~1.2 s) and one pack (~0.5 s), so runs are shared through
module-scoped fixtures where several assertions read the same run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trailwatch.engine.program import ProgramLaunch, Registration
from trailwatch.engine.project import load_project
from trailwatch.engine.sentinels import UNKNOWN_STRING

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "engine"
BASIC = FIX / "programs" / "basic"
PACK = FIX / "packs" / "basic"
URN = "urn:pulumi:dev::fixture-basic::"
STACK_URN = URN + "pulumi:pulumi:Stack::fixture-basic-dev"


def check(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def fixture_check(*args: str) -> subprocess.CompletedProcess[str]:
    return check(str(BASIC), "--policy-pack", str(PACK), *args)


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("trailwatch check: error:")]


# --- the program under the recording monitor -----------------------------------------------------


@pytest.fixture(scope="module")
def provider_run() -> dict[str, Registration]:
    return {r.urn: r for r in ProgramLaunch(load_project(BASIC, "dev")).result().resources}


@pytest.fixture(scope="module")
def unknown_run() -> dict[str, Registration]:
    return {r.urn: r for r in ProgramLaunch(load_project(BASIC, "dev"), autonames="unknown").result().resources}


def test_urns_follow_the_engine(provider_run: dict[str, Registration]) -> None:
    urns = list(provider_run)
    assert urns[0] == URN + "pulumi:pulumi:Stack::fixture-basic-dev"
    assert URN + "fixture:index:Guardrail::cis" in urns  # no pulumi:pulumi:Stack$ prefix
    assert URN + "fixture:index:Guardrail$aws:cloudwatch/logGroup:LogGroup::cis-logs" in urns
    assert URN + "aws:cloudtrail/trail:Trail::trail" in urns
    provider = provider_run[URN + "pulumi:providers:aws::default_7_51_1"]
    assert provider.inputs == {"region": "eu-west-1", "version": "7.51.1"} and provider.default_provider
    assert urns.index(provider.urn) < urns.index(
        URN + "fixture:index:Guardrail$aws:cloudwatch/logGroup:LogGroup::cis-logs"
    )
    group = provider_run[URN + "fixture:index:Guardrail$aws:cloudwatch/logGroup:LogGroup::cis-logs"]
    assert group.provider == provider.urn + "::" + UNKNOWN_STRING
    assert group.parent == URN + "fixture:index:Guardrail::cis"


def test_inputs_echoed_computed_outputs_unknown_names_autonamed(provider_run: dict[str, Registration]) -> None:
    group = provider_run[URN + "fixture:index:Guardrail$aws:cloudwatch/logGroup:LogGroup::cis-logs"]
    assert group.inputs["retentionInDays"] == 90
    assert re.fullmatch(r"cis-logs-[0-9a-f]{7}", group.inputs["name"])
    assert group.outputs["name"] == group.inputs["name"] and group.outputs["retentionInDays"] == 90
    assert group.outputs["arn"] == UNKNOWN_STRING and "arn" not in group.inputs
    bucket = provider_run[URN + "aws:s3/bucket:Bucket::TrailBucket"]
    assert re.fullmatch(r"trailbucket-[0-9a-f]{7}", bucket.inputs["bucket"])
    # A name the program set is kept; a property without an autoname stays absent.
    filt = provider_run[URN + "fixture:index:Guardrail$aws:cloudwatch/logMetricFilter:LogMetricFilter::cis-filter"]
    assert filt.inputs["logGroupName"] == group.inputs["name"]


def test_unknown_autonames_mode(unknown_run: dict[str, Registration]) -> None:
    group = unknown_run[URN + "fixture:index:Guardrail$aws:cloudwatch/logGroup:LogGroup::cis-logs"]
    assert group.inputs["name"] == UNKNOWN_STRING
    filt = unknown_run[URN + "fixture:index:Guardrail$aws:cloudwatch/logMetricFilter:LogMetricFilter::cis-filter"]
    assert filt.inputs["logGroupName"] == UNKNOWN_STRING


def test_dependencies_and_property_dependencies(provider_run: dict[str, Registration]) -> None:
    trail = provider_run[URN + "aws:cloudtrail/trail:Trail::trail"]
    group_urn = URN + "fixture:index:Guardrail$aws:cloudwatch/logGroup:LogGroup::cis-logs"
    assert trail.property_dependencies["cloudWatchLogsGroupArn"] == [group_urn]
    assert trail.property_dependencies["s3BucketName"] == [URN + "aws:s3/bucket:Bucket::TrailBucket"]
    assert all(urns for urns in trail.property_dependencies.values())  # empty entries dropped
    assert "isMultiRegionTrail" not in trail.property_dependencies
    assert trail.inputs["cloudWatchLogsGroupArn"] == UNKNOWN_STRING
    alarm = provider_run[URN + "fixture:index:Guardrail$aws:cloudwatch/metricAlarm:MetricAlarm::cis-alarm"]
    assert (
        URN + "fixture:index:Guardrail$aws:cloudwatch/logMetricFilter:LogMetricFilter::cis-filter" in alarm.dependencies
    )


def test_invokes_and_stack_outputs(provider_run: dict[str, Registration]) -> None:
    stack = provider_run[URN + "pulumi:pulumi:Stack::fixture-basic-dev"]
    assert stack.outputs == {"account": "123456789012", "retention": 90, "policyStatements": 1}
    trail = provider_run[URN + "aws:cloudtrail/trail:Trail::trail"]
    doc = json.loads(trail.inputs["tags"]["policy"])
    assert doc["Statement"][0]["Resource"] == "arn:aws:logs:eu-west-1:123456789012:log-group:*"
    assert doc["Statement"][0]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    component = provider_run[URN + "fixture:index:Guardrail::cis"]
    assert component.outputs == {"topicArn": UNKNOWN_STRING}


# --- check: exit codes and output -----------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_json() -> subprocess.CompletedProcess[str]:
    return fixture_check("--format", "json")


def test_clean_run_exits_0_with_one_stable_json_object(clean_json: subprocess.CompletedProcess[str]) -> None:
    assert clean_json.returncode == 0, clean_json.stderr
    doc = json.loads(clean_json.stdout)
    assert list(doc) == ["schemaVersion", "tool", "resources", "diagnostics"] and doc["diagnostics"] == []
    assert doc["schemaVersion"] == 1 and doc["tool"]["name"] == "trailwatch"
    assert all(list(r) == ["urn", "type", "name"] for r in doc["resources"])
    assert [r["name"] for r in doc["resources"]][:3] == ["fixture-basic-dev", "cis", "default_7_51_1"]
    assert {
        "urn": URN + "fixture:index:Guardrail$aws:sns/topic:Topic::cis-alerts",
        "type": "aws:sns/topic:Topic",
        "name": "cis-alerts",
    } in doc["resources"]
    assert len(doc["resources"]) == 9
    assert "note: the pack's virtualenv" in clean_json.stderr and "trailwatch:" not in clean_json.stderr


def test_text_output_lists_resources_and_a_clean_pack() -> None:
    proc = fixture_check()
    assert proc.returncode == 0, proc.stderr
    assert " +   pulumi:pulumi:Stack" in proc.stdout
    assert "├─ aws:cloudwatch/logGroup:LogGroup" in proc.stdout and "cis-logs" in proc.stdout
    assert "default_7_51_1" not in proc.stdout  # the CLI hides default providers
    assert "✅ fixture-pack@v0.3.0" in proc.stdout and "+ 8 to create" in proc.stdout


@pytest.fixture(scope="module")
def violations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cfg = tmp_path_factory.mktemp("cfg") / "pack.json"
    cfg.write_text(json.dumps({"retention-minimum": {"minimumDays": 365}, "trail-linked": {"readArn": True}}))
    proc = fixture_check(
        "--format",
        "json",
        "--config",
        "noAlarmActions=true",
        "--autonames",
        "unknown",
        "--policy-pack-config",
        str(cfg),
    )
    return {"proc": proc, "doc": json.loads(proc.stdout)}


def test_mandatory_violation_exits_1(violations: dict[str, Any]) -> None:
    assert violations["proc"].returncode == 1
    diags = violations["doc"]["diagnostics"]
    alarm = [d for d in diags if d["policyName"] == "alarm-has-actions"]
    urn = URN + "fixture:index:Guardrail$aws:cloudwatch/metricAlarm:MetricAlarm::cis-alarm"
    assert alarm == [
        {
            "policyPackName": "fixture-pack",
            "policyName": "alarm-has-actions",
            "enforcementLevel": "mandatory",
            "urn": urn,
            "message": "Alarms notify someone.\nthe alarm notifies nobody",
            # structured fields: another pack's free text has no codes or fixes
            "resource": {"urn": urn, "type": "aws:cloudwatch/metricAlarm:MetricAlarm", "name": "cis-alarm"},
            "code": None,
            "fix": None,
            "findings": [],
        }
    ]


def test_config_file_property_override_reaches_the_policy(violations: dict[str, Any]) -> None:
    (retention,) = [d for d in violations["doc"]["diagnostics"] if d["policyName"] == "retention-minimum"]
    assert retention["enforcementLevel"] == "advisory"
    assert retention["message"].endswith("retention 90 days is under 365.0 days")


def test_reading_an_unknown_is_the_sdks_advisory_as_the_engine_shows_it(violations: dict[str, Any]) -> None:
    """Fidelity: a stack policy that reads an unknown ARN stops guarding, and says so only as advisory."""
    diags = {d["policyName"]: d for d in violations["doc"]["diagnostics"]}
    assert diags["trail-linked"] == {
        "policyPackName": "fixture-pack",
        "policyName": "trail-linked",
        "enforcementLevel": "advisory",
        # The SDK names no URN; the engine puts it on the root Stack resource (issue 24).
        "urn": STACK_URN,
        "message": "can't run policy 'trail-linked' from policy pack 'fixture-pack@v0.0.1' during preview: "
        "string value at .cloudWatchLogsGroupArn can't be known during preview",
        "resource": {"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "name": "fixture-basic-dev"},
        "code": None,
        "fix": None,
        "findings": [],
    }
    # With --autonames unknown the log group's name is unknown too: the resource policy cannot run either.
    assert diags["log-group-name"]["enforcementLevel"] == "advisory"
    assert diags["log-group-name"]["message"].startswith("can't run policy 'log-group-name'")
    assert diags["log-group-name"]["urn"].endswith("LogGroup::cis-logs")
    assert "stack-complete" not in diags  # the stack and the default provider were analysed


def test_all_advisory_and_disabled_policy(tmp_path: Path) -> None:
    cfg = tmp_path / "pack.json"
    cfg.write_text(json.dumps({"all": "advisory", "log-group-name": "disabled"}))
    proc = fixture_check(
        "--format",
        "json",
        "--config",
        "noAlarmActions=true",
        "--autonames",
        "unknown",
        "--policy-pack-config",
        str(cfg),
    )
    assert proc.returncode == 0, proc.stderr
    diags = json.loads(proc.stdout)["diagnostics"]
    assert {(d["policyName"], d["enforcementLevel"]) for d in diags} == {("alarm-has-actions", "advisory")}


# --- check: exit 2, one clear line ------------------------------------------------------------------


def test_crashing_program_shows_its_own_traceback() -> None:
    proc = fixture_check("--config", "crash=true")
    assert proc.returncode == 2 and proc.stdout == ""
    assert errors(proc) == ["trailwatch check: error: Program failed with an unhandled exception:"]
    # What the program printed before it failed is shown first: it is often the clue.
    assert proc.stderr.index("about to crash: last words") < proc.stderr.index(
        "trailwatch check: error: Program failed"
    )
    assert f'File "{BASIC / "__main__.py"}"' in proc.stderr
    assert proc.stderr.rstrip().endswith("ValueError: the fixture was told to crash")
    assert "site-packages" not in proc.stderr and "trailwatch/engine" not in proc.stderr


def test_run_error_is_its_message_alone() -> None:
    proc = fixture_check("--config", "runError=true")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "trailwatch check: error: the fixture stopped with a RunError"
    assert "Traceback" not in proc.stderr


def test_secure_config_names_the_key() -> None:
    proc = fixture_check("--config", "useSecret=true")
    assert proc.returncode == 2
    (line,) = errors(proc)
    assert "'fixture-basic:dbPassword'" in line and "--config fixture-basic:dbPassword=VALUE" in line


def test_unknown_invoke_names_its_token_and_how_to_answer_it(tmp_path: Path) -> None:
    proc = fixture_check("--config", "badInvoke=true")
    assert proc.returncode == 2
    (line,) = errors(proc)
    assert line.startswith("trailwatch check: error: the offline engine cannot answer invoke 'aws:ec2/getVpc:getVpc'")
    assert "--invoke-result aws:ec2/getVpc:getVpc=FILE" in line
    assert "Traceback" not in proc.stderr and "trailwatch.engine" not in proc.stderr
    answer = tmp_path / "vpc.json"
    answer.write_text(json.dumps({"id": "vpc-0123", "cidrBlock": "10.0.0.0/16"}), encoding="utf-8")
    proc = fixture_check("--config", "badInvoke=true", "--invoke-result", f"aws:ec2/getVpc:getVpc={answer}")
    assert proc.returncode in (0, 1), proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent/program"], "/nonexistent/program: no such folder"),
        ([str(BASIC), "--stack", "prod"], "no Pulumi.prod.yaml"),
        ([str(BASIC), "--format", "yaml"], "invalid choice: 'yaml'"),
        ([str(BASIC), "--policy-pack", str(FIX)], "PulumiPolicy.yaml: no such file, so --policy-pack"),
        ([str(BASIC), "--account-id", "12"], "12 digits"),
        (
            [str(BASIC), "--policy-pack-config", "/nonexistent.json"],
            "--policy-pack-config /nonexistent.json: no such file",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    proc = check(*args) if "--policy-pack" in args else check(*args, "--policy-pack", str(PACK))
    assert proc.returncode == 2
    assert (
        proc.stderr.count("\n") == 1 and message in proc.stderr and proc.stderr.startswith("trailwatch check: error: ")
    )


def test_invalid_policy_pack_config_property_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "pack.json"
    cfg.write_text(json.dumps({"retention-minimum": {"minimumDays": 0}}))
    proc = fixture_check("--policy-pack-config", str(cfg))
    assert proc.returncode == 2
    assert errors(proc) == [
        (
            f"trailwatch check: error: --policy-pack-config {cfg}: invalid policy configuration: "
            "retention-minimum: minimumDays: must be greater than or equal to 1"
        )
    ]


def test_a_pack_that_dies_shows_its_stderr() -> None:
    proc = check(str(BASIC), "--policy-pack", str(FIX / "packs" / "broken"))
    assert proc.returncode == 2
    assert "trailwatch check: error: the policy pack in" in proc.stderr and "exited with code" in proc.stderr
    assert "RuntimeError: the broken fixture pack cannot start" in proc.stderr


# --- the repository's own program and pack ----------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_repository_program_passes_the_repository_pack(stack: str) -> None:
    proc = check(".", "--stack", stack, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [d for d in doc["diagnostics"] if d["enforcementLevel"] == "mandatory"] == []
    types = {r["type"] for r in doc["resources"]}
    assert {
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sns/topic:Topic",
        "pulumi:providers:aws",
    } <= types
    if stack == "dev":  # dev builds its own trail; prod feeds from an existing one
        assert "aws:cloudtrail/trail:Trail" in types
