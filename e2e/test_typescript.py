"""The guardrail guards every language: a TypeScript stack (@pulumi/aws from npm, installed
without scripts by `make e2e`) previewed by the real CLI with trailwatch's Python pack.

A CloudTrail log group with no monitoring is blocked (exit non-zero, the mandatory violation on
the log group); the same program with the metric filter, alarm and topic passes.
"""

from __future__ import annotations

from e2e.harness import TS, Violation, cli_violations, preview
from trailwatch_policy.controls import CONTROLS

LOG_GROUP = "urn:pulumi:unmonitored::trailwatch-ts::aws:cloudwatch/logGroup:LogGroup::trail-logs"


def assert_others_advisory(violations: set[Violation], log_group: str = LOG_GROUP) -> None:
    """The other fourteen controls, advisory by default, each find the stack's one log group
    unmonitored for their own events: one advisory violation each, on the log group."""
    others = {c.policy for c in CONTROLS[1:]}
    assert {p for p, _, _, _ in violations} == others
    assert {(lvl, urn) for _, lvl, urn, _ in violations} == {("advisory", log_group)}


def test_unmonitored_typescript_log_group_is_blocked_by_the_python_pack() -> None:
    run = preview(TS, "unmonitored")
    assert run.returncode != 0, run.stdout[-3000:] + run.stderr
    violations = cli_violations(run)
    mandatory = {v for v in violations if v[1] == "mandatory"}
    assert {(p, lvl, urn) for p, lvl, urn, _ in mandatory} == {
        ("unauthorized-api-calls-monitored", "mandatory", LOG_GROUP)
    }
    [(_, _, _, message)] = mandatory
    assert "no-metric-filter" in message and "a trail delivers to it" in message
    assert_others_advisory(violations - mandatory)


def test_monitored_typescript_stack_passes() -> None:
    run = preview(TS, "monitored")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    # 4.1 is met: only the other controls speak
    assert_others_advisory(cli_violations(run), LOG_GROUP.replace(":unmonitored::", ":monitored::"))
    urns = set(run.resources)
    assert any(u.endswith("aws:cloudwatch/metricAlarm:MetricAlarm::unauthorized") for u in urns)
