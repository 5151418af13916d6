"""What the workflows' offline job runs, run here through the offline engine.

The pull-request workflow's offline job is the guardrail for contributors without cloud
credentials: these tests run its exact `python -m trailwatch check` lines, show that the
example pack configs change the verdict the way the README says (strict blocks,
rollout only warns), and that the local emulator stack is a stack the program and the
pack accept like dev.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
#: A dev stack that breaks the control: one unauthorized call no longer fires the alarm.
BROKEN = ("--config", "trailwatch:alarmThreshold=5")

pytestmark = pytest.mark.slow


def check(*args: str) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", *args, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = {}
    return result.returncode, report, result.stderr


def offline_job_commands() -> list[list[str]]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text(encoding="utf-8"))
    lines = [str(step.get("run", "")) for step in workflow["jobs"]["offline"]["steps"]]
    return [shlex.split(line)[4:] for line in lines if line.startswith(".venv/bin/python -m trailwatch check ")]


def test_the_offline_job_runs_a_prod_check() -> None:
    commands = offline_job_commands()
    assert commands and all("--stack" in c for c in commands)
    assert {c[c.index("--stack") + 1] for c in commands} == {"prod"}


@pytest.mark.parametrize("args", offline_job_commands(), ids=lambda a: " ".join(a))
def test_the_offline_job_commands_pass_on_the_committed_stacks(args: list[str]) -> None:
    code, report, stderr = check(*args)
    assert code == 0, stderr
    assert report["diagnostics"] == []


def test_make_check_passes_on_dev() -> None:
    code, report, stderr = check(".", "--stack", "dev")
    assert code == 0, stderr
    assert report["diagnostics"] == []


def levels(report: dict[str, Any], policy: str) -> set[str]:
    return {d["enforcementLevel"] for d in report["diagnostics"] if d["policyName"] == policy}


def test_strict_blocks_a_broken_stack() -> None:
    code, report, _ = check(".", "--stack", "dev", *BROKEN, "--policy-pack-config", "policy/configs/strict.json")
    assert code != 0
    assert levels(report, "unauthorized-api-calls-monitored") == {"mandatory"}


def test_rollout_only_warns_about_the_same_stack() -> None:
    code, report, stderr = check(".", "--stack", "dev", *BROKEN, "--policy-pack-config", "policy/configs/rollout.json")
    assert code == 0, stderr
    assert levels(report, "unauthorized-api-calls-monitored") == {"advisory"}


def test_the_local_emulator_stack_runs_the_program_and_passes_the_guardrail() -> None:
    code, report, stderr = check(".", "--stack", "local", "--policy-pack-config", "policy/configs/strict.json")
    assert code == 0, stderr
    assert report["diagnostics"] == []
    _, dev, _ = check(".", "--stack", "dev")
    assert sorted(r["type"] for r in report["resources"]) == sorted(r["type"] for r in dev["resources"])
