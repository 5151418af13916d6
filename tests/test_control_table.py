"""One row per control (issue 21): the docs' table is the rows, no code outside the table
branches on a control id, and a sixteenth control added in a test-only table is judged by the
pack, the audit's verdict and `trailwatch pattern --control` with no other change."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import test_controls_links as links
from policy_helpers import Spec
from trailwatch_policy import controls
from trailwatch_policy.controls import CONTROLS, STANDARD, Calls, Control, ControlTable, use

ROOT = Path(__file__).resolve().parent.parent

#: a control no framework has: changes of SSM parameters (test only)
SSM_APIS = ("PutParameter", "DeleteParameter", "DeleteParameters", "LabelParameterVersion")
SSM_PATTERN = (
    "{ ($.eventSource = ssm.amazonaws.com) && (($.eventName = PutParameter) || "
    "($.eventName = DeleteParameter) || ($.eventName = DeleteParameters) || "
    "($.eventName = LabelParameterVersion)) }"
)
SIXTEENTH = Control(
    "9.1",
    None,
    None,
    "ssm-parameter-changes-monitored",
    "SSM parameter changes",
    "SSMParameterChanges",
    {"cis-2.0": SSM_PATTERN},
    SSM_PATTERN,
    event="SSM parameter change",
    probes=Calls("ssm.amazonaws.com", SSM_APIS, noise=("GetParameter", "GetParametersByPath")),
)
SIXTEEN = STANDARD.with_rows(SIXTEENTH)


# -- the docs' table -------------------------------------------------------------------------


def doc_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "controls.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| CIS 1.4/1.5/2.0/3.0 |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_docs_control_table_is_the_rows() -> None:
    expected = [
        [
            c.id,
            c.cis12 or "–",
            c.securityhub or "–",
            f"{c.what} ({c.event})",
            f"`{c.policy}`",
            f"`{c.metric}` / `{c.filter}`",
            c.enforcement,
        ]
        for c in CONTROLS
    ]
    assert doc_rows() == expected


# -- nothing outside the table is about one control -----------------------------------------

ID_LITERAL = re.compile(
    r"""(==|!=|\bin\b|\bis\b)\s*\(?\s*["'](4|3)\.\d+["']|["'](4|3)\.\d+["']\s*(==|!=)|"""
    r"""\.id\s*(==|!=)\s*DEFAULT|DEFAULT\s*(==|!=)"""
)


def sources() -> list[Path]:
    """The program's, the pack's and the CLI's code. The audit (trailwatch/audit) is left to
    its own test: another change of issue 21 rewrites it."""
    out = sorted((ROOT / "policy" / "trailwatch_policy").rglob("*.py")) + sorted((ROOT / "trailwatch").rglob("*.py"))
    return [
        p
        for p in out
        if "audit" not in p.relative_to(ROOT).parts
        and p != ROOT / "policy" / "trailwatch_policy" / "controls" / "__init__.py"
    ]


def test_no_code_outside_the_table_branches_on_a_control_id() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if ID_LITERAL.search(line)
    ]
    assert found == []


def test_the_table_refuses_two_controls_with_one_id() -> None:
    clash = Control("4.99", "3.1", None, "x-monitored", "x", "X", {}, "{ $.x = 1 }")
    with pytest.raises(ValueError, match="names two controls"):
        STANDARD.with_rows(clash)


def test_every_row_names_its_filter_alarm_and_words() -> None:
    for c in CONTROLS:
        assert c.filter and c.alarm and c.metric and c.event and c.what, c.id
        assert c.event != c.what or c.id == "never", c.id  # singular and plural differ
        assert c.enforcement in ("mandatory", "advisory")
    assert [c.enforcement for c in CONTROLS] == ["mandatory"] + ["advisory"] * 14


# -- a sixteenth control, in a test-only table -----------------------------------------------

GROUP, TP = links.GROUP, links.SHARED


def stack(with_sixteenth: bool) -> list[Spec]:
    return links.stack(rows=SIXTEEN.rows if with_sixteenth else CONTROLS)


def run_policies(specs: list[Spec]) -> dict[str, list[str]]:
    """Policy name -> its diagnostics, for the control policies that said something."""
    return links.said(specs)


def test_a_sixteenth_control_is_a_policy_of_the_pack_with_its_own_diagnostics() -> None:
    with use(SIXTEEN):
        from trailwatch_policy.edge.policies import policies

        listed = {p.name: p.enforcement_level.value for p in policies()}
        assert listed["ssm-parameter-changes-monitored"] == "advisory"
        missing = run_policies(stack(with_sixteenth=False))
        assert list(missing) == ["ssm-parameter-changes-monitored"]
        [message] = missing["ssm-parameter-changes-monitored"]
        assert "has no metric filter for SSM parameter changes" in message
        assert 'LogMetricFilter("ssm-parameter-changes"' in message and "SSMParameterChanges" in message
        assert run_policies(stack(with_sixteenth=True)) == {}
    assert "ssm-parameter-changes-monitored" not in {
        p.name for p in __import__("trailwatch_policy.edge.policies", fromlist=["policies"]).policies()
    }


def test_a_sixteenth_control_alarm_threshold_speaks_of_its_own_events() -> None:
    specs = stack(with_sixteenth=True)
    for s in specs:
        if s.props.get("metricName") == "SSMParameterChanges":
            s.props["threshold"] = 2.0
    with use(SIXTEEN):
        said = run_policies(specs)
    [message] = said["ssm-parameter-changes-monitored"]
    assert "one SSM parameter change gives Sum = 1" in message
    assert "unauthorized" not in message.lower()


def scan(with_sixteenth: bool):
    from trailwatch.audit.collect import AccountScan, Scope
    from trailwatch_policy.base.model import (
        Alarm,
        LogGroup,
        MetricFilter,
        MetricTransformation,
        Ref,
        Subscription,
        Topic,
        Trail,
    )

    account, region = "123456789012", "us-east-1"
    lg = f"arn:aws:logs:{region}:{account}:log-group:{GROUP}:*"
    topic = f"arn:aws:sns:{region}:{account}:{TP}"
    rows = SIXTEEN.rows if with_sixteenth else CONTROLS
    filters, alarms = [], []
    for c in rows:
        fid = f"arn:aws:logs:{region}:{account}:log-group:{GROUP}:metric-filter:{c.filter}"
        filters.append(
            MetricFilter(
                fid, c.filter, Ref(GROUP), c.pattern, (MetricTransformation(c.metric, "CISBenchmark", "1", 0.0),)
            )
        )
        alarms.append(
            Alarm(
                f"arn:aws:cloudwatch:{region}:{account}:alarm:{c.alarm}",
                c.alarm,
                "CISBenchmark",
                c.metric,
                statistic="Sum",
                period=300.0,
                threshold=1.0,
                comparison="GreaterThanOrEqualToThreshold",
                evaluation_periods=1.0,
                treat_missing_data="notBreaching",
                alarm_actions=(Ref(topic),),
                actions_enabled=True,
            )
        )
    scope = Scope(
        region,
        [GROUP],
        [LogGroup(lg, GROUP, lg, account)],
        filters,
        alarms,
        [Topic(topic, TP, topic)],
        [Subscription(topic + ":sub", Ref(topic), "email", "sec@example.com")],
    )
    trail = Trail(
        f"arn:aws:cloudtrail:{region}:{account}:trail/main", "main", Ref(lg), True, True, region=region, account=account
    )
    return AccountScan(account, None, (region,), [trail], {region: scope})


def test_a_sixteenth_control_is_judged_by_the_audit() -> None:
    from trailwatch.audit.verdict import judge

    with use(SIXTEEN):
        missing = judge(scan(with_sixteenth=False), control="9.1")
        present = judge(scan(with_sixteenth=True), control="ssm-parameter-changes-monitored")
        others = judge(scan(with_sixteenth=False), control="4.3")
    assert missing.status == "fail"
    said = json.dumps(missing.to_dict() if hasattr(missing, "to_dict") else str(missing), default=str)
    assert "no-metric-filter" in said and "SSM parameter changes" in said
    assert present.status == "pass", present
    assert others.status == "pass"


def pattern(*argv: str) -> tuple[int, dict]:
    from trailwatch.cli.pattern import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main([*argv, "--format", "json"])
    return code, json.loads(out.getvalue())


def test_a_sixteenth_control_is_judged_by_trailwatch_pattern() -> None:
    with use(SIXTEEN):
        code, doc = pattern(SSM_PATTERN, "--control", "9.1")
        assert (code, doc["control"]["id"], doc["verdict"]["status"]) == (0, "9.1", "ok")
        code, doc = pattern("{ $.eventSource = ssm.amazonaws.com }", "--control", "ssm-parameter-changes-monitored")
        assert (code, doc["verdict"]["status"]) == (1, "not_ok")
        assert any("read-only ssm calls" in r for r in doc["verdict"]["reasons"]), doc["verdict"]["reasons"]
        missing = SSM_PATTERN.replace(" || ($.eventName = LabelParameterVersion)", "")
        code, doc = pattern(missing, "--control", "9.1")
        assert code == 1 and any("LabelParameterVersion" in r for r in doc["verdict"]["reasons"])
    with pytest.raises(controls.UnknownControl):
        controls.find("9.1")  # the standard table is back


def test_a_table_without_the_standard_primary_still_names_its_own() -> None:
    only = ControlTable((SIXTEENTH,))
    with use(only):
        assert controls.primary() is SIXTEENTH
        code, doc = pattern(SSM_PATTERN)
        assert (code, doc["control"]["id"]) == (0, "9.1")
