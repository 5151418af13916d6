"""The offline engine runs resource transforms and rejects duplicate URNs as the engine does
(issue 15; pkg/resource/deploy/source_eval.go RegisterResource, step_generator.go). `make e2e`
checks the same fixtures against the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trailwatch.engine.program import ProgramLaunch
from trailwatch.engine.project import load_project

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TRANSFORMS = ROOT / "tests" / "fixtures" / "engine" / "programs" / "transforms"
STACKS = ROOT / "tests" / "fixtures" / "stacks"
URN = "urn:pulumi:dev::fixture-transforms::"


def check(program: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_transforms_run_own_then_ancestors_then_stack() -> None:
    run = {r.urn: r for r in ProgramLaunch(load_project(TRANSFORMS, "dev")).result().resources}
    child = run[URN + "fixture:index:Team$aws:sns/topic:Topic::security-topic"]
    assert child.inputs["displayName"] == "team+own+parent+stack"
    assert child.outputs["displayName"] == "team+own+parent+stack"  # what AnalyzeStack sees too
    assert run[URN + "aws:sns/topic:Topic::plain"].inputs["displayName"] == "plain+stack"


def test_a_transform_that_encrypts_topics_is_judged() -> None:
    """Without transforms the topic looks unencrypted and the stack passed: a false pass."""
    proc = check(STACKS / "transform-topic-key")
    assert proc.returncode == 1, proc.stderr
    assert "[topic-aws-managed-key]" in proc.stdout
    assert "aws:sns/topic:Topic: alerts" in proc.stdout


def test_two_resources_with_one_urn_fail_the_check() -> None:
    proc = check(STACKS / "duplicate-urn")
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "error: Duplicate resource URN 'urn:pulumi:test::duplicate-urn::aws:sns/topic:Topic::alerts'; "
            "try giving it a unique name"
        )
    )
