"""`python -m trailwatch pattern` end to end, as a subprocess (exit codes, files, messages)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trailwatch_policy.controls.scanners import CIS_1_2, CIS_1_4

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "data" / "cloudtrail-samples"  # vendored, Apache-2.0 (its LICENSE)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "policy"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "pattern", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@pytest.fixture(scope="module")
def sample_files() -> list[str]:
    return sorted(str(p) for p in SAMPLES.glob("*.json"))


def test_ok_pattern_counts_the_51_denials_and_exits_0(sample_files: list[str]) -> None:
    r = run(CIS_1_2, *sample_files, "--examples", "2")
    assert r.returncode == 0, r.stderr
    assert "verdict:   ok" in r.stdout
    assert "310 in 35 file(s): 51 match, 259 do not, 0 indeterminate" in r.stdout
    assert r.stdout.count("  match    ") == 2
    assert "ec2:GetPasswordData Client.UnauthorizedOperation" in r.stdout
    assert "accepted by securityhub, prowler; rejected by steampipe" in r.stdout


def test_cis_1_4_floods_and_exits_1(sample_files: list[str]) -> None:
    r = run(CIS_1_4, *sample_files)
    assert r.returncode == 1
    assert "310 match, 0 do not" in r.stdout
    assert "CIS 1.4/1.5 text's known bug" in r.stdout


def test_json_output_with_records_and_json_lines(tmp_path: Path, sample_files: list[str]) -> None:
    records = [rec for f in sample_files for rec in json.loads(Path(f).read_text())]
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": records}, indent=2))
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(rec) for rec in records) + "\n")
    r = run('{ $.errorCode = "AccessDenied" }', str(trail), str(lines), "--format", "json", "--examples", "1")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["kind"] == "json"
    assert doc["verdict"]["status"] == "not_ok"
    assert doc["events"]["total"] == 620 and doc["events"]["matched"] == 10
    assert doc["events"]["examples"][0]["event"] == "sts:AssumeRole AccessDenied"
    assert doc["verdict"]["scanners"] == {"securityhub": False, "prowler": False, "steampipe": False}


def test_stdin_events() -> None:
    r = run(
        CIS_1_2,
        "-",
        stdin='{"errorCode": "AccessDenied", "eventSource": "s3.amazonaws.com", "eventName": "GetObject"}\n',
    )
    assert r.returncode == 0
    assert "1 in 1 file(s): 1 match" in r.stdout


def test_bad_json_lines_file_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"eventName": "A"}\n\n{"eventName": \n')
    r = run(CIS_1_2, str(bad))
    assert r.returncode == 2
    assert f"{bad}: line 3: not a JSON event" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_bad_json_array_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"eventName": "A"},\n  {"eventName": }\n]\n')
    r = run(CIS_1_2, str(bad))
    assert r.returncode == 2
    assert f"{bad}: line 3: not valid JSON" in r.stderr


def test_missing_file(tmp_path: Path) -> None:
    r = run(CIS_1_2, str(tmp_path / "nope.json"))
    assert r.returncode == 2
    assert "nope.json: no such file; give a JSON array" in r.stderr and "Traceback" not in r.stderr


def test_unparseable_pattern_exits_2_with_the_column() -> None:
    r = run('{ $.errorCode = "AccessDenied" ')
    assert r.returncode == 2
    assert "expected '}' but the pattern ended at column 32" in r.stderr
    assert "Traceback" not in r.stderr


def test_indeterminate_exits_2() -> None:
    r = run("[..., code != 1 && nope = 2]")
    assert r.returncode == 2
    assert "verdict:   indeterminate" in r.stdout


def test_profile_option_and_bad_options() -> None:
    assert run(CIS_1_2, "--profile", "steampipe").returncode == 1
    bad = run(CIS_1_2, "--format", "xml")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_the_command_does_not_import_pulumi_grpc_or_boto3() -> None:
    code = (
        "import sys; from trailwatch.cli import pattern as pattern_cli; pattern_cli.main(['']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'grpc', 'boto3', 'botocore')))"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "policy")])
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "[]"
