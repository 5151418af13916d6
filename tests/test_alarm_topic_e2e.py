"""The alarm and topic rules end to end (issues 14 and 16): stacks written the way a platform
team writes them (a helper module, one trail per case), run through `python -m trailwatch check`
as CI runs it. Every broken case fails on the resource a user edits, with its code; the cases
that deliver are silent; no fix text names an offline-engine autoname."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from test_guardrail_e2e import ALARM, MONITORED, STACKS, TOPIC, Run, _check, urn

pytestmark = pytest.mark.slow

COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Future[Run]]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_check, STACKS / name, ()) for name in ("alarm-rules", "topic-rules")}


def found(run: Run) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(d.level, d.urn, d.codes) for d in run.diagnostics if d.policy == MONITORED}


def no_autonames_in_fixes(run: Run) -> None:
    for d in run.diagnostics:
        for fix in re.findall(r"^  fix: (.*)$", d.message, re.M):
            assert not re.search(r"-[0-9a-f]{7}\b", fix), fix  # the engine's autoname suffix


def test_alarm_settings_that_never_notify_fail_on_the_alarm(runs: dict[str, Future[Run]]) -> None:
    run = runs["alarm-rules"].result()
    p = "alarm-rules"
    assert run.returncode == 1, run.stderr
    assert found(run) == {
        ("mandatory", urn(p, ALARM, "zero-alarm"), ("alarm-fires-without-event",)),  # issue 16
        ("mandatory", urn(p, ALARM, "average-alarm"), ("alarm-threshold",)),
        ("mandatory", urn(p, ALARM, "unit-alarm"), ("alarm-unit",)),
        ("mandatory", urn(p, ALARM, "ignore-alarm"), ("alarm-missing-data",)),
        ("mandatory", urn(p, ALARM, "percentile-alarm"), ("alarm-threshold",)),
        ("mandatory", urn(p, ALARM, "dimensions-alarm"), ("alarm-dimensions",)),
        ("mandatory", urn(p, ALARM, "rate-alarm"), ("alarm-expression",)),
        ("mandatory", urn(p, ALARM, "anomaly-alarm"), ("alarm-anomaly-band",)),
        ("mandatory", urn(p, ALARM, "lambda-alarm"), ("alarm-no-topic",)),
        ("mandatory", urn(p, ALARM, "composite-and-alarm"), ("alarm-no-actions",)),
        ("mandatory", urn(p, COMPOSITE, "needs-both"), ("composite-rule",)),
    }  # ok, ok-math and the alarm notified through its composite ("composite") are silent
    assert "0 >= 0 is true" in run.on(urn(p, ALARM, "zero-alarm")).message
    assert "defaultValue 0" in run.on(urn(p, ALARM, "average-alarm")).message
    assert "RATE is the change per second" in run.on(urn(p, ALARM, "rate-alarm")).message
    assert "a Lambda function" in run.on(urn(p, ALARM, "lambda-alarm")).message
    no_autonames_in_fixes(run)


def test_topics_keys_and_subscriptions_that_drop_alarms_fail_where_they_are_fixed(runs: dict[str, Future[Run]]) -> None:
    run = runs["topic-rules"].result()
    p = "topic-rules"
    assert run.returncode == 1, run.stderr
    assert found(run) == {
        ("mandatory", urn(p, TOPIC, "default-key-topic"), ("topic-key-policy-blocks-cloudwatch",)),
        ("mandatory", urn(p, TOPIC, "iam-only-key-topic"), ("topic-key-policy-blocks-cloudwatch",)),
        ("mandatory", urn(p, TOPIC, "disabled-key-topic"), ("topic-key-disabled",)),
        ("mandatory", urn(p, TOPIC, "fifo-topic"), ("topic-fifo",)),
        ("mandatory", urn(p, TOPIC, "deny-topic"), ("topic-policy-blocks-cloudwatch",)),
        ("mandatory", urn(p, SUBSCRIPTION, "filtered-oncall"), ("topic-subscription-filtered",)),
    }  # the key allowing CloudWatch (by ARN and by alias) and the body filter on ALARM are silent
    assert "default key policy" in run.on(urn(p, TOPIC, "default-key-topic")).message
    assert "explicitly denies it" in run.on(urn(p, TOPIC, "deny-topic")).message
    no_autonames_in_fixes(run)
