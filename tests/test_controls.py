"""Every control of the CIS monitoring section, judged by meaning (judge and `trailwatch pattern`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from control_cases import CASES, KNOWN_WRONG
from trailwatch_policy.controls import CONTROLS, UnknownControl, find, select
from trailwatch_policy.controls.control_probes import probes_for
from trailwatch_policy.controls.judge import judge
from trailwatch_policy.controls.ordinary import CORPUS
from trailwatch_policy.controls.probes import EITHER, MUST_MATCH, MUST_NOT_MATCH, PROBES
from trailwatch_policy.controls.samples import SAMPLES

ROOT = Path(__file__).resolve().parents[1]
IDS = [c.id for c in CONTROLS]
TEXTS = [(c.id, fw) for c in CONTROLS for fw in c.texts]


def test_the_table_has_the_fifteen_controls_with_their_ids() -> None:
    assert IDS == [f"4.{i}" for i in range(1, 16)]
    assert [c.cis12 for c in CONTROLS] == [f"3.{i}" for i in range(1, 15)] + [None]
    assert [c.securityhub for c in CONTROLS[:3]] == ["CloudWatch.2", "CloudWatch.3", "CloudWatch.1"]
    assert [c.securityhub for c in CONTROLS[3:14]] == [f"CloudWatch.{i}" for i in range(4, 15)]
    assert CONTROLS[14].securityhub is None
    assert CONTROLS[0].policy == "unauthorized-api-calls-monitored"
    assert len({c.policy for c in CONTROLS}) == 15 and len({c.metric for c in CONTROLS}) == 15


@pytest.mark.parametrize(
    "ident, expected",
    [
        ("4.3", "4.3"),
        ("3.3", "4.3"),
        ("CloudWatch.1", "4.3"),
        ("cloudwatch.1", "4.3"),
        ("root-usage-monitored", "4.3"),
        (" 4.15 ", "4.15"),
        ("CloudWatch.2", "4.1"),
    ],
)
def test_find_by_any_id(ident: str, expected: str) -> None:
    assert find(ident).id == expected


def test_unknown_control_names_the_forms() -> None:
    with pytest.raises(UnknownControl, match="CIS 1.4 id .* Security Hub id"):
        find("CloudWatch.15")
    assert [c.id for c in select(["CloudWatch.1", "4.1"])] == ["4.1", "4.3"]
    assert select(None) == CONTROLS and select("all") == CONTROLS
    with pytest.raises(UnknownControl):
        select([4.1])


@pytest.mark.parametrize("control, framework", TEXTS)
def test_each_published_text(control: str, framework: str) -> None:
    c = find(control)
    v = judge(c.texts[framework], control=control)
    wrong = KNOWN_WRONG.get((control, framework))
    if wrong is None:
        assert v.ok, v.reasons
    else:
        assert v.status == "not_ok" and any(wrong in r for r in v.reasons), v.reasons


@pytest.mark.parametrize("control", IDS)
def test_recommended_and_reordered_respaced_equivalent_are_ok(control: str) -> None:
    assert judge(find(control).pattern, control=control).ok
    v = judge(CASES[control].reordered, control=control)
    assert v.ok, v.reasons


@pytest.mark.parametrize("control", IDS)
def test_missing_a_call_is_not_ok_and_says_which(control: str) -> None:
    v = judge(CASES[control].missing, control=control)
    assert v.status == "not_ok"
    assert any(CASES[control].missing_words in r for r in v.reasons), v.reasons


@pytest.mark.parametrize("control", IDS)
def test_counting_read_only_noise_is_not_ok(control: str) -> None:
    v = judge(CASES[control].noisy, control=control)
    assert v.status == "not_ok"
    assert any(r.startswith(("matches ", "counts ordinary traffic: ")) for r in v.reasons), v.reasons


@pytest.mark.parametrize("control", IDS)
def test_a_pattern_that_can_never_match_is_not_ok(control: str) -> None:
    v = judge(CASES[control].never, control=control)
    assert v.status == "not_ok" and v.reasons[0].startswith("misses")


@pytest.mark.parametrize("control", IDS)
def test_every_control_has_must_and_must_not_probes_with_a_source(control: str) -> None:
    ps = probes_for(control)
    assert {MUST_MATCH, MUST_NOT_MATCH} <= {p.expectation for p in ps}
    for p in ps:
        assert p.source.startswith(("real record tests/data/cloudtrail-samples/", "built from"))


def test_real_records_are_copied_unchanged_from_the_vendored_samples() -> None:
    for key, rec in SAMPLES.items():
        name, index = key[:-1].split("[")
        data = json.loads((ROOT / "tests/data/cloudtrail-samples" / name).read_text())
        assert data[int(index)] == rec, key
    records = [p for c in IDS for p in probes_for(c)] + list(CORPUS)
    used = {p.source.split("/")[-1].split(" ")[0] for p in records if p.source.startswith("real")}
    assert used == set(SAMPLES)


def test_unauthorized_probes_span_what_real_denials_look_like() -> None:
    """issue 17: identities, regions and partitions, callers, protocols, reads and writes, near misses."""
    must = [p for p in PROBES if p.expectation == MUST_MATCH]
    assert {p.facets["identity"] for p in must} >= {
        "IAMUser",
        "AssumedRole",
        "Root",
        "FederatedUser",
        "AWSService",
        "anonymous",
    }
    assert {p.facets["partition"] for p in must} >= {"aws", "aws-cn", "aws-us-gov"}
    assert len({p.facets["region"] for p in must}) >= 5
    assert {p.facets["caller"] for p in must} >= {"console", "CLI", "SDK"}
    assert {p.facets["access"] for p in must} == {"read-only", "mutating"}
    assert {p.category for p in must} == {
        "Client.UnauthorizedOperation",
        "UnauthorizedOperation",
        "AccessDenied",
        "AccessDeniedException",
    }
    near = {p.name for p in PROBES if p.expectation == MUST_NOT_MATCH}
    assert {"signin:ConsoleLogin", "kms:GenerateDataKey", "bedrock:InvokeModel", "s3:HeadBucket"} <= near
    assert any(p.source.startswith("real") for p in must) and any(p.source.startswith("built") for p in must)
    assert any(p.expectation == EITHER for p in PROBES)


CIS_1_2 = CONTROLS[0].texts["cis-1.2"]


@pytest.mark.parametrize(
    "narrowing, words",
    [
        ('$.userIdentity.type = "AssumedRole"', "identity type"),
        ('$.awsRegion = "us-east-1"', "region"),
        ("$.readOnly IS FALSE", "read-only or mutating"),
        ('$.userAgent != "AWS Internal"', "caller"),
        ('$.userIdentity.arn = "arn:aws:*"', "partition"),
    ],
)
def test_narrowing_the_unauthorized_control_is_not_ok_with_the_reason(narrowing: str, words: str) -> None:
    v = judge("{ (" + CIS_1_2[1:-1] + ") && " + narrowing + " }")
    assert v.status == "not_ok"
    assert any(r.startswith(f"narrows the control by {words} ") for r in v.reasons), v.reasons


def test_a_pattern_counting_successful_sign_ins_is_not_ok() -> None:
    v = judge(
        '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" || $.eventName = "ConsoleLogin" }'
    )
    assert v.status == "not_ok" and any("signin:ConsoleLogin" in r for r in v.reasons)


def test_published_text_gaps_are_recorded() -> None:
    notes = {c.id: " ".join(c.notes) for c in CONTROLS}
    assert "never be true" in notes["4.14"] and "root user" in notes["4.2"]
    assert "AssociateRouteTable" in notes["4.13"] and "DeleteConfigurationRecorder" in notes["4.9"]


def _pattern(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "pattern", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}", "PATH": "/usr/bin:/bin"},
    )


def test_pattern_cli_judges_any_control_by_any_id() -> None:
    r = _pattern("--control", "CloudWatch.1", CASES["4.3"].reordered)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("control:   CIS 4.3 (CIS 1.2 3.3, CloudWatch.1): uses of the root user")
    r = _pattern("--control", "iam-policy-changes-monitored", "--format", "json", CASES["4.4"].missing)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["control"]["id"] == "4.4" and doc["verdict"]["control"] == "4.4"
    assert "iam:DetachGroupPolicy" in doc["verdict"]["reasons"][0]


def test_pattern_cli_without_control_stays_4_1_and_rejects_unknown_ids() -> None:
    r = _pattern(CIS_1_2)
    assert r.returncode == 0 and not r.stdout.startswith("control:")
    r = _pattern("--control", "4.99", CIS_1_2)
    assert r.returncode == 2 and "unknown control '4.99'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("control", IDS[1:])
def test_the_cli_fix_of_a_missing_filter_is_the_controls_own(control: str) -> None:
    from trailwatch_policy.base.model import Inventory, LogGroup
    from trailwatch_policy.chain import evaluate
    from trailwatch_policy.rules.fixes import cli_fix_of

    [result] = evaluate(Inventory(log_groups=(LogGroup("lg", "aws-cloudtrail-logs-x"),)), control=control)
    [finding] = result.findings
    c = find(control)
    assert finding.code == "no-metric-filter" and c.what in finding.message
    cli = cli_fix_of(finding)
    assert f"--filter-pattern '{c.pattern}'" in cli and f"metricName={c.metric}," in cli
    assert c.pattern in finding.fix  # the Pulumi snippet too
