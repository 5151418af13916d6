"""Every control through the real pack process (the policies `trailwatch check` runs): one
stack policy per control, each judging its filter by meaning on a stack with all of them."""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import analyzer_pb2

from control_cases import CASES, KNOWN_WRONG
from policy_helpers import (
    ALARM,
    FILTER,
    PackProcess,
    Spec,
    literal_trail_and_topic,
    secret,
    topic_arn,
)
from trailwatch_policy.controls import CONTROLS, Control

pytestmark = pytest.mark.slow
GROUP = "aws-cloudtrail-logs-main"
ALL_ON = {"all": "mandatory"}


def all_controls(patterns: dict[str, str] | None = None, drop: frozenset[str] = frozenset()) -> list[Spec]:
    """A literal-linked stack: trail -> log group -> one filter + alarm per control -> one topic."""
    patterns = patterns or {}
    tp = "alerts-1a2b3c4"
    specs = literal_trail_and_topic(GROUP, tp, secret("security@example.com"))
    for c in CONTROLS:
        if c.id in drop:
            continue
        specs.append(
            Spec(
                FILTER,
                c.metric,
                {
                    "name": c.metric,
                    "logGroupName": GROUP,
                    "pattern": patterns.get(c.id, c.pattern),
                    "metricTransformation": {
                        "name": c.metric,
                        "namespace": "CISBenchmark",
                        "value": "1",
                        "defaultValue": "0",
                    },
                },
            )
        )
        specs.append(
            Spec(
                ALARM,
                c.metric + "-alarm",
                {
                    "name": c.metric,
                    "namespace": "CISBenchmark",
                    "metricName": c.metric,
                    "statistic": "Sum",
                    "period": 300.0,
                    "threshold": 1.0,
                    "comparisonOperator": "GreaterThanOrEqualToThreshold",
                    "evaluationPeriods": 1.0,
                    "treatMissingData": "notBreaching",
                    "actionsEnabled": True,
                    "alarmActions": [topic_arn(tp)],
                },
            )
        )
    return specs


@pytest.fixture(scope="module")
def pack():
    process = PackProcess(dry_run=True)
    process.configure(ALL_ON)
    yield process
    process.close()


def found(pack, specs):
    return {(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in pack.analyze_stack(specs)}


def test_policies_keep_their_names_and_the_other_controls_start_advisory() -> None:
    """Issue 21 item 6 (was: the other fourteen start disabled): 4.1 mandatory, the other
    fourteen advisory by default -- visible on every preview, blocking nothing."""
    process = PackProcess(dry_run=True)
    try:
        info = process.info()
    finally:
        process.close()
    listed = [(p.name, p.enforcementLevel, p.policy_type) for p in info.policies]
    assert listed[:3] == [
        ("unauthorized-api-calls-monitored", analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_TYPE_STACK),
        ("metric-filter-pattern-valid", analyzer_pb2.MANDATORY, analyzer_pb2.POLICY_TYPE_RESOURCE),
        ("cloudtrail-records-all-regions", analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_TYPE_RESOURCE),
    ]
    assert listed[3:] == [(c.policy, analyzer_pb2.ADVISORY, analyzer_pb2.POLICY_TYPE_STACK) for c in CONTROLS[1:]]


def test_a_stack_with_every_control_passes_with_every_policy_on(pack) -> None:
    assert found(pack, all_controls()) == set()


def test_a_stack_built_for_4_1_only_owes_every_other_control(pack) -> None:
    got = found(pack, all_controls(drop=frozenset(c.id for c in CONTROLS[1:])))
    assert got == {(c.policy, "trail-logs") for c in CONTROLS[1:]}
    [d] = [d for d in pack.analyze_stack(all_controls(drop=frozenset({"4.3"})))]
    assert d.policyName == "root-usage-monitored"
    assert "has no metric filter for uses of the root user" in d.message and "[no-metric-filter]" in d.message


CASES_OK = [(c.id, fw) for c in CONTROLS for fw in c.texts if (c.id, fw) not in KNOWN_WRONG]


@pytest.mark.parametrize("control, framework", CASES_OK)
def test_each_published_text_passes_in_the_pack(pack, control: str, framework: str) -> None:
    c = next(c for c in CONTROLS if c.id == control)
    assert found(pack, all_controls({control: c.texts[framework]})) == set()


def _rejected(pack, c: Control, pattern: str) -> None:
    diagnostics = pack.analyze_stack(all_controls({c.id: pattern}))
    assert {(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in diagnostics} == {(c.policy, c.metric)}
    [d] = diagnostics
    assert "[pattern-rejected]" in d.message and d.enforcementLevel == analyzer_pb2.MANDATORY


@pytest.mark.parametrize("control", [c.id for c in CONTROLS])
def test_each_control_through_the_pack(pack, control: str) -> None:
    c = next(c for c in CONTROLS if c.id == control)
    cases = CASES[control]
    assert found(pack, all_controls({control: cases.reordered})) == set()
    for bad in (cases.missing, cases.noisy, cases.never):
        _rejected(pack, c, bad)
    for cid, fw in KNOWN_WRONG:
        if cid == control:
            _rejected(pack, c, c.texts[fw])


def test_shared_deserialization_reports_exactly_what_the_sdk_does(pack) -> None:
    broken = all_controls({"4.2": CASES["4.2"].missing, "4.7": CASES["4.7"].never}, drop=frozenset({"4.9"}))
    per_policy = PackProcess(dry_run=True, env={"TRAILWATCH_SDK_PER_POLICY": "1"})
    try:
        per_policy.configure(ALL_ON)
        theirs = sorted((d.policyName, d.urn, d.message, d.enforcementLevel) for d in per_policy.analyze_stack(broken))
    finally:
        per_policy.close()
    ours = sorted((d.policyName, d.urn, d.message, d.enforcementLevel) for d in pack.analyze_stack(broken))
    assert ours == theirs and len(ours) == 3


def test_each_control_policy_has_its_own_enforcement_level() -> None:
    process = PackProcess(dry_run=True)
    try:
        # (issue 21: 4.15 would be advisory by default; disabled here, it says nothing)
        process.configure(
            {
                "root-usage-monitored": "advisory",
                "vpc-changes-monitored": "mandatory",
                "organizations-changes-monitored": "disabled",
            }
        )
        got = {
            (d.policyName, d.enforcementLevel)
            for d in process.analyze_stack(all_controls(drop=frozenset({"4.3", "4.14", "4.15"})))
        }
    finally:
        process.close()
    assert got == {("root-usage-monitored", analyzer_pb2.ADVISORY), ("vpc-changes-monitored", analyzer_pb2.MANDATORY)}


def _check(*args: str) -> tuple[int, list[dict]]:
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trailwatch",
            "check",
            ".",
            "--stack",
            "dev",
            "--format",
            "json",
            "--policy-pack-config",
            "policy/configs/strict.json",
            *args,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, json.loads(done.stdout)["diagnostics"] if done.stdout else []


def test_trailwatch_check_runs_the_repository_program_with_every_control_on() -> None:
    assert _check() == (0, [])
    code, diagnostics = _check("--config", "trailwatch:controls=4.1,CloudWatch.1")
    assert code != 0
    owed = {c.policy for c in CONTROLS if c.id not in ("4.1", "4.3")}
    assert {d["policyName"] for d in diagnostics} == owed
    assert {d["enforcementLevel"] for d in diagnostics} == {"mandatory"}
    assert all(
        "[no-metric-filter]" in d["message"] and d["urn"].endswith("LogGroup::trailwatch-cloudtrail-log-group")
        for d in diagnostics
    ), diagnostics[0]
