"""The guardrail guards every language: a TypeScript stack (@pulumi/aws from npm, installed
without scripts by `make e2e`) previewed by the real CLI with trailwatch's Python pack.

A CloudTrail log group with no monitoring is blocked (exit non-zero, the mandatory violation on
the log group); the same program with the metric filter, alarm and topic passes.
"""

from __future__ import annotations

from e2e.harness import TS, cli_violations, preview

LOG_GROUP = "urn:pulumi:unmonitored::trailwatch-ts::aws:cloudwatch/logGroup:LogGroup::trail-logs"


def test_unmonitored_typescript_log_group_is_blocked_by_the_python_pack() -> None:
    run = preview(TS, "unmonitored")
    assert run.returncode != 0, run.stdout[-3000:] + run.stderr
    violations = cli_violations(run)
    assert {(p, lvl, urn) for p, lvl, urn, _ in violations} == {
        ("unauthorized-api-calls-monitored", "mandatory", LOG_GROUP)
    }
    [(_, _, _, message)] = violations
    assert "no-metric-filter" in message and "a trail delivers to it" in message


def test_monitored_typescript_stack_passes() -> None:
    run = preview(TS, "monitored")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert cli_violations(run) == set()
    urns = set(run.resources)
    assert any(u.endswith("aws:cloudwatch/metricAlarm:MetricAlarm::unauthorized") for u in urns)
