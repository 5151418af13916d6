"""The real Pulumi CLI judges the offline engine (issues 15 and 24).

For every stack the project tests offline -- this repository's dev/prod/local stacks in both
autoname modes, every fixture stack under tests/fixtures/stacks/, the same fixtures in the
styles the unit suite runs them in (aws-native alone and mixed with pulumi-aws, `.get()` and
lookups for attach mode, a user's component, loops over providers and accounts: their config
knobs, as in tests/test_guardrail_where.py) and the example pack configs in policy/configs/ --
`pulumi preview --policy-pack policy [--policy-pack-config F] --json` on the CLI built by
`make cli` (with the TEST STAND-IN aws and aws-native providers) and `python -m trailwatch
check` must report the same violations (policy, enforcement level, URN, message) and the same
pass/fail. The few differences that cannot be removed are asserted
exactly, one test each (docs/offline-engine.md lists them; e2e/test_differences.py).

Runs start together on a small pool when the module fixture is first used; each test reads its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.harness import POLICY, ROOT, STACKS, Outcome, check, cli_version, cli_violations, preview

CONFIGS = sorted((POLICY / "configs").glob("*.json"))
# Fixture stacks the offline suite (tests/test_guardrail_e2e.py) also runs with unknown autonames.
UNKNOWN_TOO = {"broken-chains", "second-trail", "component-style", "multi-trail"}


@dataclass(frozen=True)
class Case:
    program: Path
    stack: str
    autonames: str = "provider"
    pack_config: Path | None = None
    config: tuple[str, ...] = ()
    invoke_results: tuple[str, ...] = ()  # TOKEN=FILE: --invoke-result, and the stand-ins' answers


def _fixture_stack(program: Path) -> str:
    [stack_file] = [p for p in program.glob("Pulumi.*.yaml") if p.name != "Pulumi.yaml"]
    return stack_file.name[len("Pulumi.") : -len(".yaml")]


SSM = f"aws:ssm/getParameter:getParameter={Path(__file__).parent / 'invoke-results' / 'ssm-oncall-email.json'}"
# The fixtures again in the styles the unit suite runs them in (tests/test_guardrail_where.py):
# key -> (fixture, --config items, autonames, --invoke-result items).
STYLES: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...]]] = {
    "native-unknown": ("native", (), "unknown", ()),
    "native-mixed": ("native", ("native:style=mixed",), "provider", ()),
    "native-mixed-unknown": ("native", ("native:style=mixed",), "unknown", ()),
    "native-no-subscription": ("native", ("native:subscribe=none",), "provider", ()),
    "native-console-group": ("native", ("native:consoleGroup=true",), "provider", ()),
    "native-topic-policy": ("native", ("native:topicPolicy=native",), "provider", ()),
    "native-topic-policy-unknown": ("native", ("native:topicPolicy=native",), "unknown", ()),
    "native-topic-policy-aws": ("native", ("native:topicPolicy=aws",), "provider", ()),
    "lookups-unknown": ("lookups", (), "unknown", ()),
    "lookups-invoke": ("lookups", ("lookups:trailFrom=invoke",), "provider", ()),
    "lookups-typo": ("lookups", ("lookups:filterGroup=aws-cloudtrail-logs-landing-zone-old",), "provider", ()),
    "lookups-ssm-answered": ("lookups", ("lookups:endpointFrom=ssm",), "provider", (SSM,)),
    "regions-unknown": ("regions", (), "unknown", ()),
    "regions-alarm-default": ("regions", ("regions:alarmProvider=default",), "provider", ()),
    "regions-filter-region": ("regions", ("regions:filterRegion=us-west-2",), "provider", ()),
    "accounts-alarm-security": ("accounts", ("accounts:alarmAccount=security",), "provider", ()),
    "accounts-subscription-other": (
        "accounts",
        ("accounts:subscriptionTopic=arn:aws:sns:us-east-1:111122223333:security-alarms",),
        "provider",
        (),
    ),
}


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for stack in ("dev", "prod", "local"):
        for mode in ("provider", "unknown"):
            cases[f"repo-{stack}-{mode}"] = Case(ROOT, stack, mode)
    cases["repo-threshold-2"] = Case(ROOT, "dev", config=("trailwatch:alarmThreshold=2",))
    for program in sorted(p for p in STACKS.iterdir() if (p / "Pulumi.yaml").exists()):
        cases[program.name] = Case(program, _fixture_stack(program))
        if program.name in UNKNOWN_TOO:
            cases[f"{program.name}-unknown"] = Case(program, _fixture_stack(program), "unknown")
    for key, (fixture, config, autonames, answers) in STYLES.items():
        cases[key] = Case(STACKS / fixture, "test", autonames, config=config, invoke_results=answers)
    for pack_config in CONFIGS:
        cases[f"repo-dev-{pack_config.stem}"] = Case(ROOT, "dev", pack_config=pack_config)
        cases[f"broken-chains-{pack_config.stem}"] = Case(STACKS / "broken-chains", "test", pack_config=pack_config)
    return cases


CASES = _cases()
# Stacks whose run fails in both engines before any policy verdict (asserted in their own tests).
FAILING_RUNS = {"duplicate-urn"}


def _both(case: Case) -> tuple[Outcome, Outcome]:
    c = case
    return (
        preview(
            c.program,
            c.stack,
            pack_config=c.pack_config,
            config=c.config,
            autonames=c.autonames,
            invoke_results=c.invoke_results,
        ),
        check(
            c.program,
            c.stack,
            pack_config=c.pack_config,
            config=c.config,
            autonames=c.autonames,
            invoke_results=c.invoke_results,
        ),
    )


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Future[tuple[Outcome, Outcome]]]]:
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {key: pool.submit(_both, case) for key, case in CASES.items()}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("key", [k for k in CASES if k not in FAILING_RUNS])
def test_cli_and_offline_report_the_same_violations(key: str, runs: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    cli, offline = runs[key].result()
    assert offline.returncode in (0, 1), offline.stderr
    assert "error: " not in cli.stderr or cli.violations, (
        f"the CLI failed without a verdict:\n{cli.stdout}\n{cli.stderr}"
    )
    assert cli_violations(cli) == offline.violations
    assert cli.passed == offline.passed, (cli.returncode, offline.returncode, cli.stdout[-2000:], cli.stderr)


def test_every_kind_of_stack_is_covered() -> None:
    """Both autoname modes, a failing and a passing stack, every example pack config."""
    assert {c.autonames for c in CASES.values()} == {"provider", "unknown"}
    assert {c.pack_config for c in CASES.values() if c.pack_config} == set(CONFIGS) and CONFIGS
    assert len([k for k in CASES if not k.startswith("repo-")]) >= len(list(STACKS.iterdir()))


def test_the_cli_is_the_one_built_from_source() -> None:
    assert re.fullmatch(r"v3\.\d+\.\d+", cli_version())


def test_the_offline_verdicts_are_not_all_trivial(runs: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    """A parity of two empty reports would prove nothing: the failing fixtures fail in the CLI."""
    cli, _ = runs["no-filter"].result()
    assert not cli.passed and cli_violations(cli)
    cli, _ = runs["repo-dev-provider"].result()
    assert cli.passed and not cli.violations
    assert any(e.get("resourcePreEvent") for e in cli.events)  # the CLI really ran the program


def test_the_cli_renders_a_mandatory_violation(runs: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    """The pack is loaded by the CLI from PulumiPolicy.yaml (its runtime, its virtualenv) and the
    CLI's own rendering of a violation names the pack, the level and the policy (the other
    controls' advisory findings come beside it: advisory by default)."""
    cli, _ = runs["no-filter"].result()
    events = [e["policyEvent"] for e in cli.events if "policyEvent" in e]
    [event] = [e for e in events if e["enforcementLevel"] == "mandatory"]
    assert event["policyName"] == "unauthorized-api-calls-monitored"
    assert {e["enforcementLevel"] for e in events if e is not event} == {"advisory"}
    assert event["policyPackName"] == "trailwatch" and event["policyPackVersion"] == "0.1.0"
    assert event["enforcementLevel"] == "mandatory"
    digest = json.loads(cli.stdout)
    assert any(s["urn"] == event["resourceUrn"] for s in digest["steps"])


def test_a_transform_reaches_the_policies_in_both(runs: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    """A stack transform that sets alias/aws/sns on every topic: the engine runs it before the
    pack sees the topic, and so does the offline recording monitor now."""
    cli, offline = runs["transform-topic-key"].result()
    assert not cli.passed and not offline.passed
    assert any("topic-aws-managed-key" in v[3] for v in cli_violations(cli))


def test_duplicate_urn_fails_both_with_the_engines_words(runs: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    cli, offline = runs["duplicate-urn"].result()
    urn = "urn:pulumi:test::duplicate-urn::aws:sns/topic:Topic::alerts"
    words = f"Duplicate resource URN '{urn}'; try giving it a unique name"
    assert cli.returncode != 0 and words in cli.stdout + cli.stderr
    assert offline.returncode == 2 and f"error: {words}" in offline.stderr


def test_every_style_of_the_unit_suite_is_covered() -> None:
    """aws-native alone and mixed, `.get()` and lookups (attach mode), a component, loops over
    providers and accounts: each previewed by the real CLI, in both autoname modes."""
    by_fixture: dict[str, set[str]] = {c.program.name: set() for c in CASES.values()}
    for c in CASES.values():
        by_fixture[c.program.name].add(c.autonames)
    for fixture in ("native", "lookups", "component-style", "regions"):
        assert by_fixture[fixture] == {"provider", "unknown"}, fixture
    assert any("native:style=mixed" in c.config for c in CASES.values())
    assert "accounts" in by_fixture and any(c.invoke_results for c in CASES.values())


def test_native_and_lookup_stacks_get_a_verdict_from_the_cli(runs: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    """The stand-ins preview what they could not before (issue 24): aws-native resources and
    `.get()` reads pass through the real engine, and a broken link is blocked by it."""
    for key in ("native", "native-mixed", "lookups", "lookups-ssm-answered"):
        cli, _ = runs[key].result()
        assert cli.passed, (key, cli.stdout[-2000:], cli.stderr)
        assert any(e.get("resourcePreEvent") for e in cli.events)
    cli, _ = runs["native-no-subscription"].result()
    assert {(p, lvl, urn) for p, lvl, urn, _ in cli_violations(cli) if lvl == "mandatory"} == {
        ("unauthorized-api-calls-monitored", "mandatory", "urn:pulumi:test::native::aws-native:sns:Topic::alarms")
    }
    cli, _ = runs["lookups-typo"].result()
    assert not cli.passed and cli_violations(cli)


def test_native_topic_policy_on_its_own_arn_passes_like_its_pulumi_aws_twin(
    runs: dict[str, Future[tuple[Outcome, Outcome]]],
) -> None:
    """Judged as if it were not there: the same violations as the stack without the policy
    (the other controls' advisory findings; nothing mandatory, nothing "cannot be verified")."""
    for key, plain in (
        ("native-topic-policy", "native"),
        ("native-topic-policy-unknown", "native-unknown"),
        ("native-topic-policy-aws", "native"),
    ):
        cli, _ = runs[key].result()
        assert cli.passed, (key, cli.stdout[-2000:], cli.stderr)
        assert any(u.endswith("::alarms-policy") for u in cli.resources), cli.resources
        without, _ = runs[plain].result()
        assert cli_violations(cli) == cli_violations(without), key
        assert all(lvl == "advisory" for _, lvl, _, _ in cli_violations(cli)), key
