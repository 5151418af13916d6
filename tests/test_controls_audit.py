"""Every CIS monitoring control through `trailwatch audit` against moto's server: PASS/FAIL/UNKNOWN
per control and per account, JSON keyed by control id, SARIF rules per control, --controls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from control_cases import CASES, KNOWN_WRONG
from moto_server import CIS_1_2, Chain, Endpoint, add_controls, audit, build
from trailwatch_policy.controls import CONTROLS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
IDS = [c.id for c in CONTROLS]


def deploy(
    endpoint: Endpoint,
    patterns: dict[str, str] | None = None,
    drop: frozenset[str] = frozenset(),
    chain: Chain | None = None,
) -> None:
    """The 4.1 chain (moto_server.build; `chain` changes its links) and, on the same log group and
    topic, a filter and an alarm for every other control."""
    patterns = patterns or {}
    made = build(endpoint, chain or Chain(pattern=patterns.get("4.1", CIS_1_2)))
    add_controls(endpoint, made["topic"], [c for c in CONTROLS[1:] if c.id not in drop], patterns)


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, set[str]]]:
    [account] = report["accounts"]
    out = {}
    for cid, control in account["controls"].items():
        found = {f["code"] for f in control["findings"]}
        for trail in control["trails"]:
            found |= {f["code"] for f in trail["findings"]}
        out[cid] = (control["status"], found)
    return out


def test_every_control_passes_and_the_report_is_keyed_by_control(moto: Endpoint) -> None:
    deploy(moto)
    code, report, stderr = audit(moto, "--controls", "all")
    assert (code, report["status"], stderr) == (0, "pass", "")
    assert report["controls"] == IDS
    assert verdicts(report) == {cid: ("pass", set()) for cid in IDS}
    assert report["accounts"][0]["summary"] == "15 of 15 controls monitored"


def test_the_default_is_every_control(moto: Endpoint) -> None:
    """Program, pack and audit agree (issue 21, item 6): without --controls, all fifteen."""
    deploy(moto, drop=frozenset(IDS[1:]))  # 4.1's chain only
    code, report, _ = audit(moto, controls=None, timeout=180)
    assert (code, report["status"], report["controls"]) == (1, "fail", IDS)
    assert report["control"] == "CIS AWS Foundations monitoring section: " + ", ".join(IDS)
    got = verdicts(report)
    assert got["4.1"] == ("pass", set())
    assert {cid: got[cid] for cid in IDS[1:]} == {cid: ("fail", {"no-metric-filter"}) for cid in IDS[1:]}
    # One control named: the title is that control's row, whichever it is.
    code, report, _ = audit(moto, "--controls", "4.1")
    assert (code, report["control"]) == (
        0,
        "CIS AWS Foundations 4.1 / Security Hub CloudWatch.2: unauthorized API calls monitored",
    )
    code, report, _ = audit(moto, "--controls", "4.15")
    assert (code, report["control"]) == (1, "CIS AWS Foundations 4.15: AWS Organizations changes monitored")
    code, text, _ = audit(moto, "--controls", "CloudWatch.1", fmt="text")
    assert text.splitlines()[0] == "trailwatch audit: CIS 4.3 / CloudWatch.1 (uses of the root user monitored)"


@pytest.mark.parametrize("case", ["missing", "noisy", "never"])
def test_each_control_fails_alone_on_a_wrong_pattern(moto: Endpoint, case: str) -> None:
    deploy(moto, {cid: getattr(CASES[cid], case) for cid in IDS})
    code, report, _ = audit(moto, "--controls", "all")
    assert (code, report["status"]) == (1, "fail")
    assert verdicts(report) == {cid: ("fail", {"pattern-rejected"}) for cid in IDS}
    assert report["accounts"][0]["summary"].startswith("0 of 15 controls monitored; failing: 4.1, 4.2")


def test_reordered_equivalents_and_published_texts_pass(moto: Endpoint) -> None:
    deploy(moto, {cid: CASES[cid].reordered for cid in IDS})
    code, report, _ = audit(moto, "--controls", "all")
    assert verdicts(report) == {cid: ("pass", set()) for cid in IDS} and code == 0
    for framework in ("cis-1.2", "cis-2.0", "cis-3.0"):
        moto.reset()
        deploy(moto, {c.id: c.texts[framework] for c in CONTROLS if framework in c.texts})
        code, report, _ = audit(moto, "--controls", "all")
        assert (code, verdicts(report)) == (0, {cid: ("pass", set()) for cid in IDS}), framework


def test_known_wrong_published_texts_fail_their_control_only(moto: Endpoint) -> None:
    wrong = {cid: find_text(cid, fw) for (cid, fw) in KNOWN_WRONG if fw.startswith("cis-1.4")}
    deploy(moto, wrong)
    code, report, _ = audit(moto, "--controls", "all")
    got = verdicts(report)
    assert {cid for cid, (status, _) in got.items() if status == "fail"} == set(wrong) == {"4.1", "4.2"}
    assert code == 1


def find_text(cid: str, framework: str) -> str:
    return next(c for c in CONTROLS if c.id == cid).texts[framework]


def test_controls_select_and_accept_any_id(moto: Endpoint) -> None:
    deploy(moto, drop=frozenset({"4.3", "4.4"}))
    code, report, _ = audit(moto, "--controls", "CloudWatch.1,iam-policy-changes-monitored,4.1")
    assert report["controls"] == ["4.1", "4.3", "4.4"] and code == 1
    assert verdicts(report) == {
        "4.1": ("pass", set()),
        "4.3": ("fail", {"no-metric-filter"}),
        "4.4": ("fail", {"no-metric-filter"}),
    }
    code, text, _ = audit(moto, "--controls", "4.1,4.3", fmt="text")
    assert "control CIS 4.3 (CIS 1.2 3.3, CloudWatch.1) uses of the root user: FAIL" in text
    assert text.splitlines()[0] == "trailwatch audit: CIS AWS Foundations monitoring controls 4.1, 4.3"


def test_an_unknown_control_is_bad_input(moto: Endpoint) -> None:
    code, out, stderr = audit(moto, "--controls", "4.1,CloudWatch.99", fmt="text")
    assert code == 2 and "--controls: unknown control 'CloudWatch.99'" in stderr and "Traceback" not in stderr


def test_sarif_has_rules_per_control(moto: Endpoint) -> None:
    deploy(moto, {"4.3": CASES["4.3"].missing}, drop=frozenset({"4.9"}))
    code, log, _ = audit(moto, "--controls", "all", fmt="sarif")
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {
        "root-usage-monitored/pattern-rejected",
        "config-changes-monitored/no-metric-filter",
        "unauthorized-api-calls-monitored/account-monitored",
        "vpc-changes-monitored/account-monitored",
    } <= rules
    assert all(rule.split("/")[0] in {c.policy for c in CONTROLS} for rule in rules)  # no control is special
    levels = {(r["ruleId"], r["level"]) for r in log["runs"][0]["results"]}
    assert ("root-usage-monitored/pattern-rejected", "error") in levels
    assert ("unauthorized-api-calls-monitored/account-monitored", "none") in levels


def test_merging_shards_keeps_every_control(moto: Endpoint, tmp_path: Path) -> None:
    deploy(moto, drop=frozenset({"4.15"}))
    code, report, _ = audit(moto, "--controls", "all")
    path = tmp_path / "shard.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    from trailwatch.audit.merge import merge_reports

    merged = merge_reports([str(path)], allow_missing=True).to_json()
    assert verdicts(merged) == verdicts(report) and verdicts(merged)["4.15"][0] == "fail"
