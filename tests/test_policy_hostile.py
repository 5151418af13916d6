"""The pack under hostile and huge stacks (issue 16), through the real pack process over gRPC.

Every attack sits beside a canary: a CloudTrail log group that lacks a metric filter, whose
mandatory violation must still be reported. Sizes here are small enough for the suite;
`make bench` (bench/hostile.py) runs the same attacks at full size against time and
output targets.
"""

from __future__ import annotations

import random
import sys

import pytest
from pulumi.runtime.proto import analyzer_pb2

from policy_helpers import (
    ALARM,
    CIS_12,
    FILTER,
    LOG_GROUP,
    TOPIC,
    TOPIC_POLICY,
    UNKNOWN_STRING,
    PackProcess,
    Spec,
    find,
    stack,
)

pytestmark = pytest.mark.slow
MONITORED = "unauthorized-api-calls-monitored"
CANARY = "aws-cloudtrail-logs-canary"


def canary() -> Spec:
    return Spec(LOG_GROUP, "canary", {"name": CANARY, "arn": UNKNOWN_STRING})


def assert_canary(diags) -> None:
    """The canary's own finding stands: a mandatory no-metric-filter on its URN."""
    [d] = [d for d in diags if d.urn == canary().urn]
    assert d.policyName == MONITORED and d.enforcementLevel == analyzer_pb2.MANDATORY
    assert "[no-metric-filter]" in d.message and CANARY in d.message


def size(diags) -> int:
    return sum(len(d.message) for d in diags)


def text(d) -> str:
    """The pack's message (the SDK puts the policy's description on the first line)."""
    return d.message.split("\n", 1)[1]


def test_a_huge_pattern_is_rejected_on_its_size_and_echoed_cut(default):
    """1 MB of pattern: rejected for its length (not first run through the scanners'
    regexes), and the message shows the start of it, an ellipsis and the length."""
    huge = '{ ($.errorCode = "*UnauthorizedOperation") || ' * 25_000
    specs = stack(pattern=huge) + [canary()]
    diags = default.analyze_stack(specs)
    assert_canary(diags)
    [d] = [d for d in diags if d.urn == find(specs, FILTER).urn]
    assert "[pattern-rejected]" in d.message and "accepts at most 1024" in d.message
    assert size(diags) < 10_000
    [r] = default.analyze(find(specs, FILTER))
    assert "\u2026" in r.message and f"({len(huge) + 2:,} characters)" not in r.message
    assert f"{len(huge):,} characters" in r.message and len(r.message) < 2_000


def test_unresolved_links_are_judged_once_and_output_stays_linear(default):
    """n CloudTrail log groups x n filters whose log group is unknown (and alarms whose
    metric is unknown): each unresolved link is one diagnostic naming a few groups and
    counting the rest, not one line per pair."""
    n = 120
    specs: list[Spec] = [canary()]
    for i in range(n):
        group = Spec(LOG_GROUP, f"g{i}", {"name": f"aws-cloudtrail-logs-{i}", "arn": UNKNOWN_STRING})
        flt = Spec(
            FILTER,
            f"f{i}",
            {
                "name": f"f{i}",
                "logGroupName": UNKNOWN_STRING,
                "pattern": '{ $.errorCode = "AccessDenied*" }',
                "metricTransformation": {"name": f"M{i}", "namespace": "CIS", "value": "1"},
            },
            {"logGroupName": [f"urn:pulumi:dev::trailwatch::x::y{i}"]},
        )
        specs += [group, flt]
    diags = default.analyze_stack(specs)
    assert all(d.enforcementLevel == analyzer_pb2.MANDATORY for d in diags)
    filter_diags = [d for d in diags if d.urn and "[filter-log-group-unknown]" in d.message]
    # Any of the filters may be any group's (the canary's too): one diagnostic per filter
    # names the first groups and counts the rest, past 10 filters a summary counts them.
    assert len(filter_diags) == 10 and all(
        f"'{CANARY}', 'aws-cloudtrail-logs-0'" in d.message and f"and {n + 1 - 5} more" in d.message
        for d in filter_diags
    )
    [summary] = [d for d in diags if not d.urn]
    assert text(summary).startswith(f"{n - 10} more resources have [filter-log-group-unknown]")
    assert len(diags) == 11 and size(diags) < 30_000  # was one line per (group, filter) pair


def test_alarms_with_an_unknown_metric_are_judged_once(default):
    """n filters x n alarms whose metric name is unknown: each alarm is one diagnostic
    (not one per metric it might watch), the canary's finding stands."""
    n = 60
    specs: list[Spec] = [canary()]
    for i in range(n):
        group = f"aws-cloudtrail-logs-{i}"
        specs += [
            Spec(LOG_GROUP, f"g{i}", {"name": group, "arn": UNKNOWN_STRING}),
            Spec(
                FILTER,
                f"f{i}",
                {
                    "name": f"f{i}",
                    "logGroupName": group,
                    "pattern": CIS_12,
                    "metricTransformation": {"name": f"M{i}", "namespace": "CIS", "value": "1"},
                },
            ),
            Spec(
                ALARM,
                f"a{i}",
                {
                    "name": f"a{i}",
                    "metricName": UNKNOWN_STRING,
                    "namespace": "CIS",
                    "statistic": "Sum",
                    "period": 300.0,
                    "threshold": 1.0,
                    "evaluationPeriods": 1.0,
                    "alarmActions": [UNKNOWN_STRING],
                    "comparisonOperator": "GreaterThanOrEqualToThreshold",
                },
                {"metricName": [f"urn:pulumi:dev::trailwatch::x::m{i}"]},
            ),
        ]
    diags = default.analyze_stack(specs)
    assert_canary(diags)
    alarms = [d for d in diags if d.urn and "[alarm-metric-unknown]" in d.message]
    assert len(alarms) == 10 and all(f"and {n - 5} more" in d.message for d in alarms)
    assert all(d.message.count("[alarm-metric-unknown]") == 1 for d in alarms)
    [summary] = [d for d in diags if not d.urn]
    assert text(summary).startswith(f"{n - 10} more resources have [alarm-metric-unknown]")
    assert size(diags) < 30_000


def test_output_is_capped_per_code_with_a_counted_summary(default):
    """Many CloudTrail-named groups without a filter: the first 10 in full, the rest
    counted in one mandatory summary, the canary's violation among the full ones."""
    n = 300
    specs = [canary()] + [
        Spec(LOG_GROUP, f"g{i}", {"name": f"aws-cloudtrail-logs-{i}", "arn": UNKNOWN_STRING}) for i in range(n)
    ]
    diags = default.analyze_stack(specs)
    assert_canary(diags)
    full = [d for d in diags if d.urn]
    [summary] = [d for d in diags if not d.urn]
    assert len(full) == 10
    assert summary.enforcementLevel == analyzer_pb2.MANDATORY
    assert text(summary).startswith(f"{n + 1 - 10:,} more resources have [no-metric-filter]")
    assert "and 271 others" in summary.message and size(diags) < 15_000
    from trailwatch.engine.report import findings_of  # the check command's structured output

    assert [f["code"] for f in findings_of(summary.message)[0]] == ["no-metric-filter"]


def test_which_findings_the_caps_show_does_not_depend_on_the_resources_order():
    """The engine hands AnalyzeStack the stack in no fixed order (the real CLI ranges over a
    map): the same stack in three orders gets the same diagnostics, though PER_CODE and the
    preview's text cap (every control's advisory findings too) leave most groups unnamed."""
    specs = [
        Spec(LOG_GROUP, f"g{i:03}", {"name": f"aws-cloudtrail-logs-{i:03}", "arn": UNKNOWN_STRING}) for i in range(60)
    ]
    shuffled = list(specs)
    random.Random(24).shuffle(shuffled)
    process = PackProcess(dry_run=True)
    try:
        process.configure()
        seen = []
        for order in (specs, specs[::-1], shuffled):
            diags = process.analyze_stack(order)
            seen.append({(d.policyName, d.enforcementLevel, d.urn, d.message) for d in diags})
    finally:
        process.close()
    assert seen[0] == seen[1] == seen[2]
    assert any("not shown: trailwatch prints at most 20,000 characters" in m for *_, m in seen[0])


@pytest.mark.parametrize(
    "pattern, why",
    [
        ("(a+)+$", "parentheses"),  # exponential in a backtracking engine
        ("a{99999999999999999999}", ""),  # OverflowError in Python's re
        ("x" * 100_000, "at most 512"),
    ],
)
def test_admin_patterns_that_cannot_run_in_linear_time_are_config_errors(pack, pattern, why):
    """Refused with one clear message; the stack is still judged with the rest of the
    configuration (the usable patterns, else the default), so the canary stands."""
    pack.configure({MONITORED: {"logGroupNamePatterns": [pattern]}})
    diags = pack.analyze_stack([Spec(LOG_GROUP, "a", {"name": "a" * 40 + "!", "arn": UNKNOWN_STRING}), canary()])
    assert_canary(diags)
    [d] = [d for d in diags if not d.urn]
    assert text(d).startswith(f"trailwatch configuration error in policy {MONITORED}: logGroupNamePatterns")
    assert why in d.message and "please report" not in d.message and len(d.message) < 1_000
    assert d.enforcementLevel == analyzer_pb2.MANDATORY


def test_admin_patterns_still_select_groups(pack):
    pack.configure(
        {
            MONITORED: {
                "logGroupNamePatterns": ["^audit-", "-trail$"],
                "logGroupNames": [f"name-{i}" for i in range(20_000)] + ["exact"],
            }
        }
    )
    specs = [
        Spec(LOG_GROUP, n, {"name": n, "arn": UNKNOWN_STRING})
        for n in ("audit-x", "org-trail", "exact", "name-19999", "app", "trail-app")
    ]
    assert sorted(d.urn.rsplit("::", 1)[-1] for d in pack.analyze_stack(specs)) == [
        "audit-x",
        "exact",
        "name-19999",
        "org-trail",
    ]


def deep_json(depth: int) -> str:
    return '{"Version": "2012-10-17", "Statement": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("where", ["TopicPolicy", "inline"])
def test_a_document_too_deep_to_read_fails_only_its_own_resource(default, where):
    """A topic policy nested past what the pack can decode: that topic "cannot be
    verified" (naming the property and the pack's frame, not json's); the canary's finding
    stands."""
    specs = stack() + [canary()]
    topic = find(specs, TOPIC)
    if where == "inline":
        topic.props["policy"] = deep_json(300_000)
    else:
        specs.append(
            Spec(TOPIC_POLICY, "policy", {"arn": UNKNOWN_STRING, "policy": deep_json(300_000)}, {"arn": [topic.urn]})
        )
    diags = default.analyze_stack(specs)
    assert_canary(diags)
    [d] = [d for d in diags if d.urn == topic.urn]
    assert "cannot be verified at preview" in d.message and "could not evaluate" not in d.message
    assert len(diags) == 2
    if where == "inline":  # the topic rules decode it, and say they could not
        assert "[topic-policy-unknown]" in d.message
    else:  # read where the TopicPolicy is applied: its property and the pack's frame
        assert "[input-unreadable]" in d.message and "property 'policy'" in d.message
        assert "RecursionError" in d.message and "(at topic.py:" in d.message
        assert "decoder.py" not in d.message


@pytest.fixture
def deep_recursion():
    """This process builds the deep request too (protobuf's conversion recurses)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    yield
    sys.setrecursionlimit(before)


def test_deep_but_legal_documents_are_judged(default, deep_recursion):
    """Values nested 2,000 deep (10x what exceeded Python's default limit) reach the pack
    and are judged: the compliant chain passes, the canary is reported."""
    deep: object = "leaf"
    for _ in range(2_000):
        deep = {"k": deep}
    specs = stack() + [canary()]
    find(specs, LOG_GROUP).props["tags"] = deep
    topic = find(specs, TOPIC)
    condition = '{"k": ' * 2_000 + '"leaf"' + "}" * 2_000
    # the deep condition sits on a statement for another principal (an unmodelled condition
    # key on CloudWatch's own statement would make the policy "cannot be verified")
    allow = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
        '{"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": "*"}, '
        '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, '
        '"Action": "sns:Subscribe", "Resource": "*", '
        '"Condition": {"StringEquals": ' + condition + "}}]}"
    )
    specs.append(Spec(TOPIC_POLICY, "policy", {"arn": UNKNOWN_STRING, "policy": allow}, {"arn": [topic.urn]}))
    diags = default.analyze_stack(specs)
    assert [d.urn for d in diags] == [canary().urn]
    assert_canary(diags)
