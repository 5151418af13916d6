"""The pure evaluation (chain.evaluate) on hand-built model objects: every link, both
linking styles, known and unknown names, organisation and multiple trails."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from types import FrameType
from typing import Any

import pytest

from policy_helpers import CIS_12, CIS_14, CIS_20
from trailwatch_policy.base.model import (
    UNKNOWN,
    Alarm,
    Inventory,
    Key,
    LogGroup,
    MetricFilter,
    MetricQuery,
    MetricStat,
    MetricTransformation,
    Ref,
    Subscription,
    Topic,
    Trail,
)
from trailwatch_policy.chain import ChainOptions, LogGroupResult, evaluate, trail_findings
from trailwatch_policy.rules.options import ConfigError, options_from_config

LG_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:"
SNS_ARN = "arn:aws:sns:us-east-1:123456789012:"
METRIC = MetricTransformation("UnauthorizedAPICalls", "CISBenchmark", "1")


def good(style: str = "deps", group: str = "trail-logs", n: str = "") -> Inventory:
    """A working chain. deps: ARNs unknown, linked by sources; literal: by names/ARNs."""
    deps = style == "deps"

    def ref(value: str, source: str) -> Ref:
        return Ref(UNKNOWN, frozenset({source})) if deps else Ref(value)

    return Inventory(
        trails=(Trail(f"trail{n}", f"main{n}", ref(LG_ARN + group + ":*", f"lg{n}"), True, True),),
        log_groups=(LogGroup(f"lg{n}", group, UNKNOWN if deps else LG_ARN + group + ":*"),),
        filters=(
            MetricFilter(
                f"f{n}",
                "f",
                Ref(group, frozenset({f"lg{n}"}) if deps else frozenset()),
                CIS_12,
                (replace(METRIC, name=f"Calls{n}"),),
            ),
        ),
        alarms=(
            Alarm(
                f"a{n}",
                "a",
                "CISBenchmark",
                f"Calls{n}",
                statistic="Sum",
                period=300.0,
                threshold=1.0,
                comparison="GreaterThanOrEqualToThreshold",
                evaluation_periods=1.0,
                treat_missing_data="notBreaching",
                alarm_actions=(ref(SNS_ARN + f"alerts{n}", f"tp{n}"),),
            ),
        ),
        topics=(Topic(f"tp{n}", f"alerts{n}", UNKNOWN if deps else SNS_ARN + f"alerts{n}"),),
        subscriptions=(Subscription(f"s{n}", ref(SNS_ARN + f"alerts{n}", f"tp{n}"), "email", "x@example.com"),),
    )


def merge(*invs: Inventory) -> Inventory:
    return Inventory(
        *(
            sum((getattr(i, f) for i in invs), ())
            for f in ("trails", "log_groups", "filters", "alarms", "topics", "subscriptions")
        )
    )


def codes(inv: Inventory, options: ChainOptions | None = None) -> list[tuple[str, str, str]]:
    return [(f.resource_id, f.status, f.code) for r in evaluate(inv, options) for f in r.findings]


def statuses(inv: Inventory, options: ChainOptions | None = None) -> list[str]:
    return [r.status for r in evaluate(inv, options)]


def with_alarm(inv: Inventory, **changes) -> Inventory:
    return replace(inv, alarms=(replace(inv.alarms[0], **changes),))


@pytest.mark.parametrize("style", ["deps", "literal"])
def test_a_working_chain_passes_in_both_linking_styles(style):
    results = evaluate(good(style))
    assert [(r.name, r.id, r.status, r.findings, r.trails) for r in results] == [
        ("trail-logs", "lg", "pass", (), ("trail",))
    ]


def test_no_cloudtrail_log_group_means_no_result():
    inv = replace(good(), trails=(), log_groups=(LogGroup("lg", "app-logs"),))
    assert evaluate(inv) == []


def test_log_group_without_filter_is_reported_on_the_log_group():
    inv = replace(good(), filters=())
    [result] = evaluate(inv)
    assert result.status == "fail"
    [f] = result.findings
    assert (f.resource_id, f.link, f.code, f.log_group) == ("lg", "log-group", "no-metric-filter", "trail-logs")
    assert "log_group_name='trail-logs'" in f.fix and "AccessDenied*" in f.fix


def test_filter_on_another_log_group_does_not_count():
    inv = good()
    inv = replace(
        inv,
        log_groups=inv.log_groups + (LogGroup("other", "app"),),
        filters=(replace(inv.filters[0], log_group=Ref(UNKNOWN, frozenset({"other"}))),),
    )
    assert codes(inv) == [("lg", "fail", "no-metric-filter")]


def test_trail_arn_literal_links_to_a_log_group_whose_arn_is_unknown():
    inv = good("literal")
    inv = replace(inv, log_groups=(LogGroup("lg", "trail-logs", UNKNOWN),))
    assert statuses(inv) == ["pass"]


def test_organisation_trail_target_outside_the_stack_needs_a_filter_on_that_name():
    org = Inventory(trails=(Trail("trail", "org", Ref(LG_ARN + "org-trail-logs:*")),))
    assert codes(org) == [("trail", "fail", "no-metric-filter")]
    [result] = evaluate(org)
    assert (result.name, result.id) == ("org-trail-logs", None)
    inv = good("literal", group="org-trail-logs")
    assert statuses(replace(inv, log_groups=())) == ["pass"]


def test_log_group_named_like_cloudtrail_counts_without_a_trail():
    inv = Inventory(log_groups=(LogGroup("lg", "aws-cloudtrail-logs-123-abc"),))
    assert codes(inv) == [("lg", "fail", "no-metric-filter")]
    custom = ChainOptions(log_group_patterns=("^audit-",))
    assert evaluate(inv, custom) == []
    assert statuses(Inventory(log_groups=(LogGroup("lg", "audit-x"),)), custom) == ["fail"]
    named = ChainOptions(log_group_names=("exact",))
    assert statuses(Inventory(log_groups=(LogGroup("lg", "exact"),)), named) == ["fail"]


def test_configured_names_do_not_demand_groups_the_stack_lacks():
    assert evaluate(Inventory(), ChainOptions(log_group_names=("org-logs",))) == []


def test_log_group_with_unknown_name_is_linked_by_its_trail():
    inv = good()
    inv = replace(inv, log_groups=(LogGroup("lg", UNKNOWN, UNKNOWN),), filters=())
    assert codes(inv) == [("lg", "fail", "no-metric-filter")]
    assert evaluate(replace(good(), log_groups=(LogGroup("lg", UNKNOWN, UNKNOWN),)))[0].status == "pass"


def test_trail_target_unknown_and_not_in_stack_cannot_be_verified():
    inv = Inventory(trails=(Trail("trail", "t", Ref(UNKNOWN, frozenset({"urn:other"}))),))
    assert codes(inv) == [("trail", "unknown", "trail-log-group-unknown")]


def test_every_cloudtrail_log_group_needs_its_own_monitoring():
    both = merge(good(n="1", group="g1"), good(n="2", group="g2"))
    assert statuses(both) == ["pass", "pass"]
    one = replace(both, filters=both.filters[:1])
    assert [(r.name, r.status) for r in evaluate(one)] == [("g1", "pass"), ("g2", "fail")]


def test_two_trails_on_one_group_give_one_result():
    inv = good()
    inv = replace(inv, trails=inv.trails + (replace(inv.trails[0], id="trail2"),))
    [result] = evaluate(inv)
    assert result.trails == ("trail", "trail2") and result.status == "pass"


@pytest.mark.parametrize(
    "pattern,status",
    [
        (CIS_12, "pass"),
        (CIS_20, "pass"),
        (CIS_14, "fail"),
        ('{($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied")}', "fail"),
    ],
)
def test_the_patterns_met_in_practice(pattern, status):
    inv = replace(good(), filters=(replace(good().filters[0], pattern=pattern),))
    assert statuses(inv) == [status]
    if status == "fail":
        assert codes(inv) == [("f", "fail", "pattern-rejected")]


def test_pattern_problems_are_reported_with_the_other_broken_links():
    inv = with_alarm(good(), threshold=2.0)
    inv = replace(inv, filters=(replace(inv.filters[0], pattern=CIS_14),))
    assert codes(inv) == [("f", "fail", "pattern-rejected"), ("a", "fail", "alarm-threshold")]


def test_unknown_pattern_cannot_be_verified():
    inv = replace(good(), filters=(replace(good().filters[0], pattern=UNKNOWN),))
    assert codes(inv) == [("f", "unknown", "pattern-unknown")]
    assert "cannot be verified at preview" in evaluate(inv)[0].findings[0].text()


def test_extra_probe_must_match_is_applied():
    must = options_from_config(
        {
            "extraMustMatch": [
                {
                    "eventVersion": "1.08",
                    "errorCode": "VpceAccessDenied",
                    "eventName": "GetObject",
                    "eventSource": "s3.amazonaws.com",
                }
            ]
        }
    )
    assert statuses(good(), must) == ["fail"]


def test_filter_whose_log_group_is_unknown_cannot_be_verified():
    inv = good()
    inv = replace(inv, filters=(replace(inv.filters[0], log_group=Ref(UNKNOWN, frozenset({"urn:x"}))),))
    assert codes(inv) == [("f", "unknown", "filter-log-group-unknown")]


def test_no_alarm_on_the_metric_is_reported_on_the_filter():
    inv = with_alarm(good(), metric_name="Other")
    [f] = evaluate(inv)[0].findings
    assert (f.resource_id, f.code) == ("f", "no-alarm")
    assert "metric_name='UnauthorizedAPICalls'" not in f.fix and "Calls" in f.fix


def test_alarm_with_unknown_metric_name_cannot_be_verified():
    assert codes(with_alarm(good(), metric_name=UNKNOWN)) == [("a", "unknown", "alarm-metric-unknown")]


def test_metric_value_must_be_a_positive_constant():
    inv = replace(
        good(), filters=(replace(good().filters[0], metrics=(replace(METRIC, name="Calls", value="$.count"),)),)
    )
    assert codes(inv) == [("f", "fail", "metric-value-invalid")]


def test_one_working_alarm_is_enough():
    inv = good()
    broken = replace(inv.alarms[0], id="a2", actions_enabled=False)
    assert statuses(replace(inv, alarms=(broken,) + inv.alarms)) == ["pass"]


@pytest.mark.parametrize(
    "changes,code",
    [
        ({"threshold": 2.0}, "alarm-threshold"),
        ({"comparison": "GreaterThanThreshold"}, "alarm-threshold"),
        ({"comparison": "LessThanThreshold"}, "alarm-threshold"),
        ({"threshold": None}, "alarm-threshold"),
        ({"evaluation_periods": 3.0}, "alarm-single-event"),
        ({"datapoints_to_alarm": 2.0}, "alarm-single-event"),
        ({"evaluation_periods": None}, "alarm-single-event"),
        ({"treat_missing_data": "breaching"}, "alarm-missing-data"),
        ({"actions_enabled": False}, "alarm-actions-disabled"),
        ({"alarm_actions": ()}, "alarm-no-actions"),
        ({"alarm_actions": (Ref("arn:aws:automate:us-east-1:ec2:stop"),)}, "alarm-no-topic"),
        ({"statistic": None}, "alarm-no-statistic"),
        ({"dimensions": {"User": "x"}}, "alarm-dimensions"),
    ],
)
def test_each_alarm_rule(changes, code):
    assert codes(with_alarm(good(), **changes)) == [("a", "fail", code)]


@pytest.mark.parametrize(
    "changes",
    [
        {"statistic": "SampleCount", "threshold": 1.0},
        {"statistic": "Maximum"},
        {"statistic": "Average"},
        {"statistic": None, "extended_statistic": "p99"},
        {"threshold": 0.5, "comparison": "GreaterThanThreshold"},
        {"evaluation_periods": 5.0, "datapoints_to_alarm": 1.0},
        {"treat_missing_data": None},
        {"actions_enabled": None},
    ],
)
def test_alarms_that_fire_on_one_event(changes):
    assert statuses(with_alarm(good(), **changes)) == ["pass"]


def test_metric_value_scales_the_statistic():
    inv = replace(good(), filters=(replace(good().filters[0], metrics=(replace(METRIC, name="Calls", value="5"),)),))
    assert statuses(with_alarm(inv, threshold=5.0)) == ["pass"]
    assert codes(with_alarm(inv, statistic="SampleCount", threshold=5.0)) == [("a", "fail", "alarm-threshold")]


def test_filter_dimensions_need_the_same_alarm_dimensions():
    dims = {"User": "$.userIdentity.arn"}
    inv = replace(
        good(), filters=(replace(good().filters[0], metrics=(replace(METRIC, name="Calls", dimensions=dims),)),)
    )
    assert codes(inv) == [("a", "fail", "alarm-dimensions")]


def test_unknown_alarm_values_cannot_be_verified():
    assert codes(with_alarm(good(), threshold=UNKNOWN)) == [("a", "unknown", "alarm-threshold")]
    assert codes(with_alarm(good(), treat_missing_data=UNKNOWN)) == [("a", "unknown", "alarm-missing-data")]


def query_alarm(*queries: MetricQuery) -> dict:
    return {"namespace": None, "metric_name": None, "statistic": None, "queries": queries}


def test_metric_queries_alarm_counts():
    m = MetricQuery("m1", MetricStat("CISBenchmark", "Calls", "Sum", 300.0))
    assert statuses(with_alarm(good(), **query_alarm(m))) == ["pass"]
    returned = replace(m, return_data=True)
    expr = MetricQuery("e1", expression="m1 * 2", return_data=False)
    assert statuses(with_alarm(good(), **query_alarm(returned, expr))) == ["pass"]


def test_metric_queries_alarm_on_an_expression_does_not_count():
    m = MetricQuery("m1", MetricStat("CISBenchmark", "Calls", "Sum", 300.0), return_data=False)
    expr = MetricQuery("e1", expression="m2 * 2", return_data=True)
    assert codes(with_alarm(good(), **query_alarm(m, expr))) == [("a", "fail", "alarm-not-on-metric")]


def test_metric_queries_alarm_on_fill_of_the_metric_counts():
    """`FILL(m1, 0)` returned: one event still gives v; only a positive fill could fire with none."""
    m = MetricQuery("m1", MetricStat("CISBenchmark", "Calls", "Sum", 300.0), return_data=False)
    for expression in ("FILL(m1, 0)", "FILL( m1 ,0)", "m1"):
        expr = MetricQuery("e1", expression=expression, return_data=True)
        assert statuses(with_alarm(good(), **query_alarm(m, expr))) == ["pass"], expression
    for expression, status, code in (
        ("FILL(m1, 5)", "fail", "alarm-fires-without-event"),  # 5 >= 1 with no call at all
        ("FILL(m1, REPEAT)", "unknown", "alarm-expression"),  # depends on earlier periods
        ("m1 * 0", "fail", "alarm-threshold"),  # one call gives 0
        ("FILL(m2, 0)", "fail", "alarm-not-on-metric"),
    ):  # another metric
        expr = MetricQuery("e1", expression=expression, return_data=True)
        assert codes(with_alarm(good(), **query_alarm(m, expr))) == [("a", status, code)], expression


def test_topic_without_subscription():
    inv = replace(good(), subscriptions=())
    [f] = evaluate(inv)[0].findings
    assert (f.resource_id, f.link, f.code) == ("tp", "topic", "topic-no-subscription")
    assert "aws.sns.TopicSubscription" in f.fix
    assert statuses(inv, ChainOptions(require_subscription=False)) == ["pass"]


def test_subscription_to_an_unknown_topic_cannot_be_verified():
    inv = replace(good(), subscriptions=(Subscription("s", Ref(UNKNOWN, frozenset({"urn:x"})), "email"),))
    assert codes(inv) == [("tp", "unknown", "topic-no-subscription")]


def test_topic_with_aws_managed_key_drops_notifications():
    inv = replace(good(), topics=(replace(good().topics[0], kms_master_key_id="alias/aws/sns"),))
    assert codes(inv) == [("tp", "fail", "topic-aws-managed-key")]
    # a key computed from nothing of this stack: cannot be verified, even at preview
    cmk = replace(good(), topics=(replace(good().topics[0], kms_master_key_id=UNKNOWN),))
    assert codes(cmk) == [("tp", "unknown", "topic-encryption-unknown")]
    # the stack's own key (key.arn, unknown at preview) whose policy lets CloudWatch use it
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        ]
    }
    own = replace(
        cmk, topics=(replace(cmk.topics[0], kms_key_sources=frozenset({"key"})),), keys=(Key("key", policy=policy),)
    )
    assert statuses(own) == ["pass"]


def test_topic_policy_that_blocks_cloudwatch():
    inv = replace(good(), topics=(replace(good().topics[0], cloudwatch_can_publish=False),))
    assert codes(inv) == [("tp", "fail", "topic-policy-blocks-cloudwatch")]


def test_topic_outside_the_stack_is_accepted():
    assert statuses(with_alarm(good(), alarm_actions=(Ref(SNS_ARN + "org-alerts"),))) == ["pass"]


def test_literal_topic_arn_links_by_name_when_the_topic_arn_is_unknown():
    inv = with_alarm(good(), alarm_actions=(Ref(SNS_ARN + "alerts"),))
    assert statuses(replace(inv, subscriptions=())) == ["fail"]  # linked: the topic's missing subscription counts


def test_unknown_alarm_action_not_from_a_topic_cannot_be_verified():
    inv = with_alarm(good(), alarm_actions=(Ref(UNKNOWN, frozenset({"urn:other"})),))
    assert codes(inv) == [("a", "unknown", "alarm-action-unknown")]


LIVE = ChainOptions(preview=False, topics_complete=True)  # how the audit judges


def test_deleted_topic_fails_when_every_topic_was_read():
    gone = replace(good("literal"), topics=(replace(good("literal").topics[0], exists=False),), subscriptions=())
    for options in (None, LIVE):  # a topic known to be gone fails in both modes
        [f] = evaluate(gone, options)[0].findings
        assert (f.resource_id, f.link, f.status, f.code) == ("a", "alarm", "fail", "alarm-topic-missing")
        assert SNS_ARN + "alerts" in f.message and "aws.sns.Topic" in f.fix


def test_topic_not_in_inventory_is_external_at_preview_and_unknown_when_topics_are_complete():
    inv = with_alarm(good(), alarm_actions=(Ref("arn:aws:sns:eu-west-1:999999999999:org-alerts"),))
    assert statuses(inv) == ["pass"]  # preview: a literal ARN of another stack
    assert codes(inv, LIVE) == [("a", "unknown", "alarm-topic-unread")]


def test_missing_topic_does_not_hide_a_working_one():
    inv = good("literal")
    gone = Topic("gone", "gone", SNS_ARN + "gone", exists=False)
    both = with_alarm(
        replace(inv, topics=inv.topics + (gone,)), alarm_actions=(Ref(SNS_ARN + "gone"), Ref(SNS_ARN + "alerts"))
    )
    assert statuses(both, LIVE) == ["pass"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"kms_master_key_id": UNKNOWN, "kms_key_sources": frozenset({"tp"})}, "topic-encryption-unknown"),
        ({"cloudwatch_can_publish": UNKNOWN}, "topic-policy-unknown"),
    ],
)
def test_unreadable_topic_settings_are_unknown_live_and_accepted_at_preview(changes, code):
    inv = replace(good(), topics=(replace(good().topics[0], **changes),))
    assert statuses(inv) == ["pass"]  # the pack's deliberate preview exception
    assert statuses(inv, options_from_config({})) == ["pass"]
    assert codes(inv, LIVE) == [("tp", "unknown", code)]


def test_unreadable_subscriptions_are_unknown_in_both_modes():
    unread = Subscription("s?", Ref(SNS_ARN + "alerts"), UNKNOWN, UNKNOWN, confirmed=UNKNOWN)
    inv = replace(good("literal"), subscriptions=(unread,))
    for options in (None, LIVE):
        assert codes(inv, options) == [("tp", "unknown", "topic-subscription-unknown")]
    confirmed = replace(inv, subscriptions=(unread,) + good("literal").subscriptions)
    assert statuses(confirmed, LIVE) == ["pass"]  # one confirmed subscriber is enough
    pending = replace(unread, id="p", confirmed=False)
    assert codes(replace(inv, subscriptions=(pending,)), LIVE) == [("tp", "fail", "topic-subscription-pending")]


def test_unknown_topic_setting_decides_only_its_own_chain():
    """Two alarms on the metric: one topic unreadable, the other fine -> pass."""
    inv = good("literal")
    other = replace(inv.topics[0], id="tp2", name="alerts2", arn=SNS_ARN + "alerts2", kms_master_key_id=UNKNOWN)
    alarm2 = replace(inv.alarms[0], id="a2", alarm_actions=(Ref(SNS_ARN + "alerts2"),))
    sub2 = Subscription("s2", Ref(SNS_ARN + "alerts2"), "email", "y@example.com")
    both = replace(
        inv, alarms=inv.alarms + (alarm2,), topics=inv.topics + (other,), subscriptions=inv.subscriptions + (sub2,)
    )
    assert statuses(both, LIVE) == ["pass"]
    only = replace(both, alarms=(alarm2,))
    assert codes(only, LIVE) == [("tp2", "unknown", "topic-encryption-unknown")]


def test_trail_findings():
    ok = good().trails[0]
    assert trail_findings(Inventory(trails=(ok,))) == []
    bad = replace(ok, multi_region=False, logging=False, management_events="write")
    assert [f.code for f in trail_findings(Inventory(trails=(bad,)))] == [
        "trail-not-multi-region",
        "trail-not-logging",
        "trail-management-events",
    ]
    assert trail_findings(Inventory(trails=(replace(bad, log_group=Ref()),))) == []


def test_options_defaults_and_errors():
    assert options_from_config(None) == ChainOptions()
    assert options_from_config({"logGroupNamePatterns": ["^x"], "requireSubscription": False}) == ChainOptions(
        log_group_patterns=("^x",), require_subscription=False
    )
    for bad in (
        {"logGroupNamePatterns": "^x"},
        {"logGroupNamePatterns": ["("]},
        {"requireSubscription": "yes"},
        {"acceptedPatternProfile": "nope"},
        {"extraMustMatch": ["not a record"]},
    ):
        with pytest.raises(ConfigError):
            options_from_config(bad)


def _lines_run(work: Callable[[], object]) -> int:
    """How many Python lines `work` executes: a measure of its cost that no machine load
    changes (the time targets live in bench/, docs/performance.md)."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:  # sys.settrace: the local tracer, itself
        nonlocal count
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def _groups(n: int, shared_metric: bool = False) -> Inventory:
    """`n` CloudTrail groups, each with its own working chain; `shared_metric`: all their
    filters publish one metric, on which all their alarms sit."""
    big = merge(*(good("literal", group=f"aws-cloudtrail-logs-{i}", n=str(i)) for i in range(n)))
    if not shared_metric:
        return big
    return replace(
        big,
        filters=tuple(replace(f, metrics=(METRIC,)) for f in big.filters),
        alarms=tuple(replace(a, metric_name=METRIC.name) for a in big.alarms),
    )


@pytest.mark.parametrize("shared_metric", [False, True], ids=["own-metrics", "one-shared-metric"])
def test_linking_is_linear(shared_metric: bool) -> None:
    """Four times the groups, filters and alarms cost four times the work, not sixteen (no
    quadratic linking): counted in lines executed, so a loaded machine cannot fail it."""
    evaluate(_groups(2, shared_metric))  # parse caches warm
    small, large = _groups(150, shared_metric), _groups(600, shared_metric)
    results: list[LogGroupResult] = []
    cost = _lines_run(lambda: evaluate(small)), _lines_run(lambda: results.extend(evaluate(large)))
    assert len(results) == 600 and {r.status for r in results} == {"pass"}
    assert cost[1] <= 4.6 * cost[0], cost


def test_a_failure_judging_one_group_is_kept_to_that_group(monkeypatch):
    """One chain's evaluation raising makes that group "cannot be verified" (naming the
    pack's frame); every other group keeps its own verdict."""
    import trailwatch_policy.chain.links as links

    real = links.pattern_problems

    def exploding(flt, options, *control):
        if flt.id == "f1":
            raise RecursionError("deep")
        return real(flt, options, *control)

    monkeypatch.setattr(links, "pattern_problems", exploding)
    inv = merge(good(n="1", group="g1"), replace(good(n="2", group="g2"), filters=()))
    [one, two] = evaluate(inv)
    assert (one.status, [(f.resource_id, f.code) for f in one.findings]) == ("unknown", [("lg1", "evaluation-failed")])
    assert "RecursionError: deep (at links.py:" in one.findings[0].message  # the pack's frame
    assert (two.status, [f.code for f in two.findings]) == ("fail", ["no-metric-filter"])


def test_unresolved_links_are_shared_not_copied():
    """n groups x n filters whose log group is unknown: each group's result refers to the
    same Shared findings (judged once), and `findings` still lists them per group."""
    n = 50
    invs = [replace(good(n=str(i), group=f"g{i}"), filters=()) for i in range(n)]
    loose = tuple(
        MetricFilter(f"x{i}", "x", Ref(UNKNOWN, frozenset({"elsewhere"})), CIS_12, (replace(METRIC, name=f"Calls{i}"),))
        for i in range(n)
    )
    results = evaluate(replace(merge(*invs), filters=loose))
    assert {r.status for r in results} == {"unknown"}
    assert all(r.own == () and len(r.shared) == 1 for r in results)
    assert len({id(r.shared[0]) for r in results}) == 1
    assert {f.code for f in results[3].findings} == {"filter-log-group-unknown"}
    assert {f.log_group for f in results[3].findings} == {"g3"}
    assert len(results[0].shared[0].findings) == n


@pytest.mark.parametrize(
    "pattern", ["^aws-cloudtrail-logs-", "-trail$", "^exact$", "mid", "^$", "a^b", "^a$b", "x.y", "^org-[a-z]+$"]
)
def test_name_patterns_plain_text_fast_path_agrees_with_the_linear_regex(pattern):
    from trailwatch_policy.filter_pattern.regex import compile_linear
    from trailwatch_policy.rules.options import compile_name_pattern

    names = [
        "aws-cloudtrail-logs-x",
        "org-trail",
        "exact",
        "exact\n",
        "xmidx",
        "a^b",
        "a$b",
        "",
        "x.y",
        "xzy",
        "org-abc",
        "org-trail\n",
        "\naws-cloudtrail-logs-x",
        "exactly",
    ]
    ours, theirs = compile_name_pattern(pattern), compile_linear(pattern, strict=False).search
    assert [ours(n) for n in names] == [theirs(n) for n in names]
