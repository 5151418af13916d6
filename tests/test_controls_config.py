"""The control policies together (issue 21): the pack config's `all` means what it says, and
one misplaced component gives a bounded preview -- through the real pack process and through
`trailwatch check` as CI runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policy_helpers import LOG_GROUP, PackProcess, Spec
from trailwatch_policy.controls import CONTROLS
from trailwatch_policy.edge.policies import STACK_TEXT_LIMIT

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
POLICIES = {c.policy for c in CONTROLS}

#: a log group nothing marks as CloudTrail's (no trail, no console name, no control's filter)
ORG = [
    Spec(LOG_GROUP, "org-logs", {"name": "org-logs", "arn": "arn:aws:logs:us-east-1:123456789012:log-group:org-logs:*"})
]


def diagnostics(config: dict | None, specs: list[Spec]) -> list:
    process = PackProcess(dry_run=True)
    try:
        process.configure(config)
        return list(process.analyze_stack(specs))
    finally:
        process.close()


def test_without_config_the_group_owes_nothing() -> None:
    assert diagnostics(None, ORG) == []


def test_log_group_names_under_all_apply_to_every_control_policy() -> None:
    found = diagnostics({"all": {"enforcementLevel": "mandatory", "logGroupNames": ["org-logs"]}}, ORG)
    assert {d.policyName for d in found} == POLICIES
    assert all("[no-metric-filter]" in d.message and "org-logs" in d.message for d in found)
    assert len(found) == len(CONTROLS)  # once per control


def test_a_policys_own_value_wins_over_all() -> None:
    config = {"all": {"logGroupNames": ["org-logs"]}, "root-usage-monitored": {"logGroupNames": ["another-group"]}}
    found = diagnostics(config, ORG)
    assert {d.policyName for d in found} == POLICIES - {"root-usage-monitored"}


def test_an_unknown_key_under_all_is_refused_in_one_line() -> None:
    found = diagnostics({"all": {"enforcementLevel": "advisory", "logGroupName": ["org-logs"]}}, ORG)
    [line] = found
    assert "trailwatch configuration error" in line.message and "logGroupName" in line.message
    assert "logGroupNames" in line.message  # the keys it could have meant


def test_a_wrong_value_under_all_is_a_configuration_error_not_ignored() -> None:
    found = diagnostics({"all": {"requireSubscription": "yes"}}, ORG)
    assert found and all("requireSubscription must be true or false" in d.message for d in found)


def check(program: Path, *args: str) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(program), "--format", "json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_one_misplaced_component_is_reported_once_per_control_in_bounded_text() -> None:
    """The component under an eu-west-1 provider, its log group in us-east-1: every filter is
    misplaced. Before issue 21: 180 diagnostics, 140-168 KB (each policy listed all 15 filters)."""
    code, report = check(
        ROOT / "tests" / "fixtures" / "stacks" / "misplaced-component",
        "--policy-pack-config",
        str(ROOT / "policy" / "configs" / "strict.json"),
    )
    assert code == 1
    found = [d for d in report["diagnostics"] if d["policyName"] in POLICIES]
    assert {d["policyName"] for d in found} == POLICIES  # every control says it
    per_policy: dict[str, list[str]] = {}
    for d in found:
        per_policy.setdefault(d["policyName"], []).append(d["message"])
    misplaced = [m for m in (m for ms in per_policy.values() for m in ms) if "[other-account-or-region]" in m]
    # each filter is named by its own control's policy only
    for name, messages in per_policy.items():
        assert len(messages) <= 2, (name, messages)
    assert len({m.split(":", 1)[0] for m in misplaced}) == len(misplaced)
    # the findings' text is capped for the whole preview; past it one line per policy (each
    # message here also carries its policy's description, as the engine prints it)
    text = sum(len(d["message"]) for d in found)
    assert text <= STACK_TEXT_LIMIT + 500 * len(found)
    assert len(found) <= 2 * len(CONTROLS) and text < 30_000
