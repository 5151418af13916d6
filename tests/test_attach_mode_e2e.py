"""Attach mode through the offline engine: `make check STACK=prod` and the README's library
example, each with a broken knob, fail with the code of the broken link.

The prod stack attaches to `aws-controltower/CloudTrailLogs` and declares no log group and no
trail; before attach mode was judged, every knob below passed (issue 13).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
GROUP = "aws-controltower/CloudTrailLogs"


def check(program: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trailwatch",
            "check",
            str(program),
            "--format",
            "json",
            "--policy-pack",
            str(ROOT / "policy"),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, doc, proc.stderr


def mandatory_codes(doc: dict[str, Any]) -> set[str]:
    return {
        code
        for d in doc["diagnostics"]
        if d["enforcementLevel"] == "mandatory"
        for code in re.findall(r"- \[([a-z-]+)\]", d["message"])
    }


@pytest.mark.parametrize(
    "knob, code",
    [
        ("trailwatch:alarmThreshold=5", "alarm-threshold"),
        ("trailwatch:alarmThreshold=1.5", "alarm-threshold"),
    ],
)
def test_prod_with_a_broken_alarm_fails(knob: str, code: str) -> None:
    status, doc, stderr = check(ROOT, "--stack", "prod", "--config", knob)
    assert status == 1, stderr
    assert mandatory_codes(doc) == {code}
    assert any(GROUP in d["message"] for d in doc["diagnostics"])


def test_prod_with_the_group_named_in_the_pack_config_fails_the_same_way(tmp_path: Path) -> None:
    config = tmp_path / "named.json"
    config.write_text(json.dumps({"unauthorized-api-calls-monitored": {"logGroupNames": [GROUP]}}))
    status, doc, stderr = check(
        ROOT, "--stack", "prod", "--config", "trailwatch:alarmThreshold=5", "--policy-pack-config", str(config)
    )
    assert status == 1, stderr
    assert mandatory_codes(doc) == {"alarm-threshold"}


def test_prod_with_more_evaluation_periods_still_fires_on_one_event() -> None:
    """alarmEvaluationPeriods > 1 sets datapointsToAlarm = 1 (docs/configuration.md): one
    breaching period of N fires the alarm, so the chain works, on prod as on dev."""
    status, doc, stderr = check(ROOT, "--stack", "prod", "--config", "trailwatch:alarmEvaluationPeriods=3")
    assert status == 0, stderr
    assert mandatory_codes(doc) == set()


LIBRARY = """
name: library-example
runtime: python
description: the README's library example, run by the offline engine
"""


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.DOTALL) if "UnauthorizedApiCallsMonitor(" in b]
    assert len(blocks) == 1, "the README shows one library example"
    return blocks[0]


def library_program(tmp_path: Path, broken: str = "") -> Path:
    code = readme_example()
    anchor = "    topic=AlarmTopicArgs("
    assert anchor in code
    (tmp_path / "Pulumi.yaml").write_text(LIBRARY)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(code.replace(anchor, broken + anchor) if broken else code)
    return tmp_path


def test_the_readme_library_example_passes_as_written(tmp_path: Path) -> None:
    status, doc, stderr = check(library_program(tmp_path))
    assert status == 0, stderr
    types = {r["type"] for r in doc["resources"]}
    assert "aws:cloudwatch/logMetricFilter:LogMetricFilter" in types
    assert "aws:cloudwatch/logGroup:LogGroup" not in types  # attach mode: nothing declared


@pytest.mark.parametrize(
    "broken, code",
    [
        ("    alarm_threshold=5,\n", "alarm-threshold"),
        ("    pattern='{ $.errorCode = \"AccessDenied\" }',\n", "pattern-rejected"),
    ],
)
def test_the_readme_library_example_with_broken_arguments_fails(tmp_path: Path, broken: str, code: str) -> None:
    status, doc, stderr = check(library_program(tmp_path, broken))
    assert status == 1, stderr
    assert mandatory_codes(doc) == {code}


def test_the_readme_library_example_with_a_broken_email_stops_at_construction(tmp_path: Path) -> None:
    """The component validates its arguments like the stack config (issue 13): the run stops
    before the pack is ever asked, naming the bad address and what is accepted."""
    program = library_program(tmp_path)
    code = (program / "__main__.py").read_text()
    assert '"security@example.com"' in code
    (program / "__main__.py").write_text(code.replace('"security@example.com"', '"not-an-email"'))
    status, doc, stderr = check(program)
    assert status == 2 and doc == {}
    assert "'not-an-email' is malformed" in stderr and "an email address like" in stderr


def test_the_readme_quick_start_samples_are_what_check_prints() -> None:
    """The README's quick start shows real output: the resource count and the broken-knob lines."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", readme, re.DOTALL | re.MULTILINE)
    clean = next(b for b in blocks if b.startswith("Previewing update (dev) offline:"))
    broken = next(b for b in blocks if "--config trailwatch:alarmThreshold=2" in b)
    ok = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", ".", "--stack", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    (count,) = re.findall(r"\+ \d+ to create", clean)
    assert count in ok.stdout
    for line in clean.splitlines():
        if line.startswith(" +") and "..." not in line:  # tree rows, shown with shorter padding
            kind, name = line[4:].split()[-2:]
            assert re.search(rf"{re.escape(kind)}\s+{re.escape(name)}$", ok.stdout, re.MULTILINE), line
    bad = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", ".", "--stack", "dev", "--config", "trailwatch:alarmThreshold=2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1, bad.stderr
    shown = [line.strip() for line in broken.splitlines()[2:] if line.strip()]
    assert shown and all(line in bad.stdout for line in shown), [line for line in shown if line not in bad.stdout]
