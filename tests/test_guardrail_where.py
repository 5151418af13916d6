"""Where resources live, the trail's selectors, how the log group is named and found, and
aws-native stacks (issue 14), each through `python -m trailwatch check` as CI runs it.

The fixture stacks are written as teams write them: a loop over providers (`regions`), one
provider per account through assumed roles (`accounts`), `.get()` and lookups
(`lookups`), a helper function (`log-groups`), pulumi-aws-native alone and mixed (`native`).
Every check is a subprocess (~2-3 s); they start together on a small pool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from test_guardrail_e2e import MONITORED, Run, _check
from trailwatch_policy.controls import find

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STACKS = ROOT / "tests" / "fixtures" / "stacks"
ALL_REGIONS = "cloudtrail-records-all-regions"
SSM = "aws:ssm/getParameter:getParameter"

RUNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "regions": ("regions", ()),
    "regions-unknown": ("regions", ("--autonames", "unknown")),
    "regions-alarm-default": ("regions", ("--config", "regions:alarmProvider=default")),
    "regions-filter-region": ("regions", ("--config", "regions:filterRegion=us-west-2")),
    "accounts": ("accounts", ()),
    "accounts-alarm-security": ("accounts", ("--config", "accounts:alarmAccount=security")),
    "accounts-subscription-other": (
        "accounts",
        ("--config", "accounts:subscriptionTopic=arn:aws:sns:us-east-1:111122223333:security-alarms"),
    ),
    "literal-links-other-account": ("literal-links", ("--config", 'aws:allowedAccountIds=["999988887777"]')),
    "literal-topic-policy-no-account": ("literal-topic-policy", ("--config", "aws:allowedAccountIds=[]")),
    "lookups": ("lookups", ()),
    "lookups-invoke": ("lookups", ("--config", "lookups:trailFrom=invoke")),
    "lookups-typo": ("lookups", ("--config", "lookups:filterGroup=aws-cloudtrail-logs-landing-zone-old")),
    "lookups-ssm": ("lookups", ("--config", "lookups:endpointFrom=ssm")),
    "lookups-ssm-answered": ("lookups", ("--config", "lookups:endpointFrom=ssm", "--invoke-result", "{ssm}")),
    "log-groups": ("log-groups", ()),
    "log-groups-arn": ("log-groups", ("--config", "log-groups:filterTarget=arn")),
    "log-groups-kms": ("log-groups", ("--config", "log-groups:excludeKms=true")),
    "log-groups-kms-advanced": (
        "log-groups",
        ("--config", "log-groups:excludeKms=true", "--config", "log-groups:selectors=advanced"),
    ),
    "log-groups-prefix": ("log-groups", ("--config", "log-groups:consoleCopy=true")),
    "native": ("native", ()),
    "native-unknown": ("native", ("--autonames", "unknown")),
    "native-mixed": ("native", ("--config", "native:style=mixed")),
    "native-no-subscription": ("native", ("--config", "native:subscribe=none")),
    "native-console-group": ("native", ("--config", "native:consoleGroup=true")),
    "native-topic-policy": ("native", ("--config", "native:topicPolicy=native")),
    "native-topic-policy-unknown": ("native", ("--config", "native:topicPolicy=native", "--autonames", "unknown")),
    "native-topic-policy-aws": ("native", ("--config", "native:topicPolicy=aws")),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Run]]]:
    answers = tmp_path_factory.mktemp("invoke-results")
    ssm = answers / "ssm.json"
    ssm.write_text(
        json.dumps({"name": "/security/oncall-email", "type": "String", "value": "pager@example.com"}), encoding="utf-8"
    )
    pool = ThreadPoolExecutor(max_workers=3)
    futures = {}
    for key, (stack, args) in RUNS.items():
        args = tuple(a.replace("{ssm}", f"{SSM}={ssm}") for a in args)
        futures[key] = pool.submit(_check, STACKS / stack, args)
    yield futures
    pool.shutdown(wait=True)


@pytest.fixture
def run(runs: dict[str, Future[Run]], request: pytest.FixtureRequest) -> Run:
    return runs[request.param].result()


def urn(project: str, type_: str, name: str) -> str:
    return f"urn:pulumi:test::{project}::{type_}::{name}"


def mandatory(run: Run) -> set[tuple[str, tuple[str, ...]]]:
    """(logical name, codes) of every mandatory diagnostic."""
    return {(d.urn.rsplit("::", 1)[-1], d.codes) for d in run.diagnostics if d.level == "mandatory"}


def no_invented_names(run: Run) -> None:
    """No diagnostic shows an autoname the offline engine made up (`<logical>-<7 hex>`)."""
    for resource in run.resources:
        invented = re.compile(re.escape(resource["name"]) + r"-[0-9a-f]{7}\b")
        for d in run.diagnostics:
            assert not invented.search(d.message), d.message


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TRAIL = "aws:cloudtrail/trail:Trail"


# --- where resources live ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [
        "regions",
        "regions-unknown",
        "accounts",
        "lookups",
        "lookups-invoke",
        "log-groups",
        "native",
        "native-unknown",
        "native-mixed",
    ],
    indirect=True,
)
def test_working_stacks_pass(run: Run) -> None:
    assert run.returncode == 0, run.stderr
    assert mandatory(run) == set()
    no_invented_names(run)


@pytest.mark.parametrize("run", ["regions-alarm-default"], indirect=True)
def test_alarm_in_another_region_watches_nothing_and_fails_its_region(run: Run) -> None:
    """The loop forgot `provider=` on the alarms: both land in us-east-1, so eu-west-1's
    filter publishes a metric no alarm of its Region watches."""
    assert run.returncode == 1
    hit = run.on(urn("regions", ALARM, "unauthorized-eu-west-1"))
    assert hit.codes == ("other-account-or-region",)
    assert "Region us-east-1" in hit.message and "Region eu-west-1" in hit.message
    assert "watches nothing" in hit.message and "provider=" in hit.message
    # us-east-1 itself is monitored: nothing is said about its log group or filter
    quiet = {urn("regions", LOG_GROUP, "trail-logs-us-east-1"), urn("regions", FILTER, "unauthorized-us-east-1")}
    assert not quiet & {d.urn for d in run.diagnostics}
    no_invented_names(run)


@pytest.mark.parametrize("run", ["regions-filter-region"], indirect=True)
def test_per_resource_region_argument_moves_the_filter_away_from_its_group(run: Run) -> None:
    assert run.returncode == 1
    for region in ("us-east-1", "eu-west-1"):
        assert run.on(urn("regions", LOG_GROUP, f"trail-logs-{region}")).codes == ("no-metric-filter",)
        hit = run.on(urn("regions", FILTER, f"unauthorized-{region}"))
        assert hit.codes == ("other-account-or-region",) and "Region us-west-2" in hit.message
    no_invented_names(run)


@pytest.mark.parametrize("run", ["accounts-alarm-security"], indirect=True)
def test_alarm_in_another_account_watches_nothing(run: Run) -> None:
    assert run.returncode == 1
    assert mandatory(run) == {("unauthorized", ("other-account-or-region",))}
    message = run.on(urn("accounts", ALARM, "unauthorized")).message
    assert "account 111122223333" in message and "account 444455556666" in message


@pytest.mark.parametrize("run", ["accounts-subscription-other"], indirect=True)
def test_subscription_to_a_same_named_topic_of_another_account_is_not_this_topics(run: Run) -> None:
    assert run.returncode == 1
    assert mandatory(run) == {("alarms", ("topic-no-subscription",))}


@pytest.mark.parametrize("run", ["literal-links-other-account"], indirect=True)
def test_trail_naming_a_same_named_group_of_another_account_delivers_there(run: Run) -> None:
    """The provider may only run in 999988887777; the trail's literal ARN names
    111122223333: its log group is not the stack's, and nothing monitors it."""
    assert run.returncode == 1
    assert mandatory(run) == {("main", ("no-metric-filter",))}
    assert "declared outside this stack" in run.on(urn("literal-links", TRAIL, "main")).message


@pytest.mark.parametrize("run", ["literal-topic-policy-no-account"], indirect=True)
def test_literal_arn_in_an_account_the_stack_may_not_be_in_cannot_be_verified(run: Run) -> None:
    """No trail and no allowed account tell which account the stack deploys to: the literal
    ARNs may name its topic or another account's (fail closed, with the way out)."""
    assert run.returncode == 1
    found = mandatory(run)
    assert ("unauthorized", ("place-unknown",)) in found and ("oncall", ("place-unknown",)) in found
    message = run.on(urn("literal-topic-policy", ALARM, "unauthorized")).message
    assert "cannot be verified" in message and "aws:allowedAccountIds" in message


# --- the log group: lookups, name prefixes, ARNs -----------------------------------------------


@pytest.mark.parametrize("run", ["lookups", "lookups-typo"], indirect=True)
def test_read_resources_are_recorded_but_not_analysed(run: Run) -> None:
    read = [r for r in run.resources if r.get("read")]
    assert [r["type"] for r in read] == [LOG_GROUP]
    assert not any(d.urn == read[0]["urn"] for d in run.diagnostics)


@pytest.mark.parametrize("run", ["lookups-typo"], indirect=True)
def test_group_from_get_is_judged_against_the_filters_of_that_group(run: Run) -> None:
    assert run.returncode == 1
    hit = run.on(urn("lookups", TRAIL, "baseline"))
    assert hit.codes == ("no-metric-filter",)
    assert "'aws-cloudtrail-logs-landing-zone'" in hit.message


@pytest.mark.parametrize("run", ["lookups-ssm"], indirect=True)
def test_invoke_the_engine_cannot_answer_is_exit_2_naming_it_and_the_way_out(run: Run) -> None:
    assert run.returncode == 2
    [line] = [x for x in run.stderr.splitlines() if x.startswith("trailwatch check: error:")]
    assert SSM in line and f"--invoke-result {SSM}=FILE" in line and "/security/oncall-email" in line
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("run", ["lookups-ssm-answered"], indirect=True)
def test_invoke_result_file_answers_the_invoke(run: Run) -> None:
    assert run.returncode == 0, run.stderr
    assert mandatory(run) == set()


@pytest.mark.parametrize("run", ["log-groups-arn"], indirect=True)
def test_filter_on_the_log_group_arn_monitors_nothing(run: Run) -> None:
    assert run.returncode == 1
    assert mandatory(run) == {("org-trail-unauthorized", ("filter-log-group-arn",))}
    assert "log_group_name=log_group.name" in run.on(urn("log-groups", FILTER, "org-trail-unauthorized")).message


@pytest.mark.parametrize("run", ["log-groups-prefix"], indirect=True)
def test_name_prefix_that_makes_every_name_cloudtrails_counts(run: Run) -> None:
    assert run.returncode == 1
    assert mandatory(run) == {("console-trail-logs", ("no-metric-filter",))}
    assert "name_prefix 'aws-cloudtrail-logs-'" in run.on(urn("log-groups", LOG_GROUP, "console-trail-logs")).message


# --- the trail -----------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["log-groups-kms", "log-groups-kms-advanced"], indirect=True)
def test_selectors_excluding_kms_are_reported_on_the_trail(run: Run) -> None:
    """The advisory trail policy names the exclusion (CIS audit steps 1-3, docs/policy-pack.md);
    the controls whose events KMS records (4.1 and 4.3: any source; 4.7) fail in their own
    policies, on the trail, as the audit fails them -- 4.1 is mandatory by default, so the
    preview is blocked; the chain works for every other control."""
    assert run.returncode == 1
    trail = urn("log-groups", TRAIL, "org-trail")
    [hit] = [d for d in run.diagnostics if d.policy == ALL_REGIONS]
    assert hit.codes == ("trail-excludes-event-sources",) and hit.level == "advisory"
    assert hit.urn == trail
    assert "kms.amazonaws.com" in hit.message and "exclude_management_event_sources" in hit.message
    lost = {
        (d.policy, d.level)
        for d in run.diagnostics + run.others
        if d.policy != ALL_REGIONS and "trail-excludes-event-sources" in d.codes
    }
    assert lost == {(MONITORED, "mandatory"), (find("4.3").policy, "advisory"), (find("4.7").policy, "advisory")}
    assert mandatory(run) == {("org-trail", ("trail-excludes-event-sources",))}
    for d in run.diagnostics + run.others:
        if d.policy != ALL_REGIONS and "trail-excludes-event-sources" in d.codes:
            assert d.urn == trail and find(d.policy).what in d.message and "kms.amazonaws.com" in d.message


# --- aws-native ----------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["native-no-subscription"], indirect=True)
def test_native_topic_without_inline_subscription_fails(run: Run) -> None:
    assert run.returncode == 1
    assert mandatory(run) == {("alarms", ("topic-no-subscription",))}
    assert run.on(urn("native", "aws-native:sns:Topic", "alarms")).policy == MONITORED


@pytest.mark.parametrize("run", ["native-console-group"], indirect=True)
def test_native_autonamed_console_group_is_cloudtrails_and_its_name_is_not_shown(run: Run) -> None:
    assert run.returncode == 1
    assert mandatory(run) == {("aws-cloudtrail-logs-console", ("no-metric-filter",))}
    message = run.on(urn("native", "aws-native:logs:LogGroup", "aws-cloudtrail-logs-console")).message
    assert "(autonamed)" in message and "log_group_name=log_group.name" in message
    no_invented_names(run)


@pytest.mark.parametrize(
    "run", ["native-topic-policy", "native-topic-policy-unknown", "native-topic-policy-aws"], indirect=True
)
def test_topic_policy_on_the_topics_own_arn_is_judged_alike_in_both_providers(run: Run) -> None:
    """aws-native's TopicPolicy whose JSON object's Resource is `topic.topic_arn` (unknown at
    preview) passes like its pulumi-aws twin, whose JSON text is built from the same ARN."""
    assert run.returncode == 0, run.stderr
    assert run.diagnostics == []
    policies = [r["type"] for r in run.resources if r["name"] == "alarms-policy"]
    assert len(policies) == 1 and policies[0] in ("aws-native:sns:TopicPolicy", "aws:sns/topicPolicy:TopicPolicy")
