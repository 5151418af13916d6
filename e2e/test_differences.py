"""The differences between the offline engine and the real CLI that remain on purpose, each
asserted exactly as docs/offline-engine.md ("Known differences") states it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from e2e.harness import POLICY, ROOT, STACKS, check, cli_violations, preview

NO_FILTER = STACKS / "no-filter"


def _pack_config(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "pack-config.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_an_unknown_policy_name_in_the_pack_config(tmp_path: Path) -> None:
    """The engine ignores a policy name the pack does not have; offline it is an error (exit 2),
    because a typo that silently configures nothing is worse than a failed check."""
    config = _pack_config(tmp_path, {"unauthorized-api-calls-monitorred": "disabled"})
    cli = preview(NO_FILTER, "test", pack_config=config)
    offline = check(NO_FILTER, "test", pack_config=config)
    assert cli.returncode == 1 and cli_violations(cli)  # the misspelt name disabled nothing
    assert offline.returncode == 2 and "unauthorized-api-calls-monitorred" in offline.stderr


def test_a_rejected_pack_config_fails_both_with_different_codes(tmp_path: Path) -> None:
    """An enforcement level that does not exist: the CLI refuses the config (exit 1, as for a
    violation, no verdict), offline exits 2 with one error line."""
    config = _pack_config(tmp_path, {"unauthorized-api-calls-monitored": "blocking"})
    cli = preview(NO_FILTER, "test", pack_config=config)
    offline = check(NO_FILTER, "test", pack_config=config)
    assert cli.returncode == 1 and not cli.violations
    assert '"blocking" is not a valid enforcement level' in cli.stdout + cli.stderr
    assert offline.returncode == 2 and "blocking" in offline.stderr


def test_a_pack_without_its_virtualenv(tmp_path: Path) -> None:
    """The CLI runs a Python pack only with the virtualenv PulumiPolicy.yaml names and fails to
    start it when that is missing; offline the pack runs with the current interpreter and a note."""
    pack = tmp_path / "policy"
    shutil.copytree(POLICY, pack, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    cli = preview(NO_FILTER, "test", pack=pack)
    offline = check(NO_FILTER, "test", pack=pack)
    assert cli.returncode == 1 and not cli.violations
    assert f'policy pack "{pack}" failed to start' in cli.stdout + cli.stderr
    assert offline.returncode == 1 and offline.violations  # judged all the same
    assert "note:" in offline.stderr and "venv" in offline.stderr


def test_a_uv_lock_beside_the_pack_switches_both_to_uv(tmp_path: Path) -> None:
    """A uv.lock in the pack's folder (or any parent) makes the toolchain uv, whatever
    PulumiPolicy.yaml's virtualenv says; with no `uv` on this machine both fail, naming uv
    (the CLI with exit 1, offline with 2)."""
    if shutil.which("uv"):
        raise AssertionError("this test expects no `uv` on PATH; it would then test uv itself")
    pack = tmp_path / "policy"
    shutil.copytree(POLICY, pack, ignore=shutil.ignore_patterns("__pycache__"), symlinks=True)
    (tmp_path / "uv.lock").write_text("version = 1\n", encoding="utf-8")
    cli = preview(NO_FILTER, "test", pack=pack)
    offline = check(NO_FILTER, "test", pack=pack)
    assert cli.returncode == 1 and not cli.violations
    assert "Could not find `uv` executable" in cli.stdout + cli.stderr
    assert offline.returncode == 2 and "uv" in offline.stderr


def test_a_secret_endpoint_is_subscribed_by_the_cli_only() -> None:
    """Pulumi.prod.yaml's trailwatch:httpsEndpoints is `secure:`. The CLI decrypts it (the
    example passphrase) and the program subscribes the endpoint; offline it cannot be decrypted,
    so the program leaves it out (with a warning). The verdicts agree (test_parity); the
    resources differ by exactly that subscription."""
    cli = preview(ROOT, "prod")
    offline = check(ROOT, "prod")

    def aws(urns: list[str]) -> set[str]:  # the AWS resources (their own type, after any parents')
        return {u for u in urns if u.split("::")[2].split("$")[-1].startswith("aws:")}

    extra = aws(cli.resources) - aws(offline.resources)
    assert len(extra) == 1 and aws(offline.resources) < aws(cli.resources), extra
    [urn] = extra
    assert "aws:sns/topicSubscription:TopicSubscription::trailwatch-topic-https-" in urn
    assert "httpsEndpoints is a secret this run cannot decrypt" in offline.stderr


def test_an_invoke_only_the_account_can_answer_fails_both_naming_it() -> None:
    """An SSM parameter's value (fixture `lookups`, endpointFrom=ssm) with no answer given: the
    stand-in refuses the invoke with the offline engine's words, so the CLI's program fails
    (exit 1, no verdict) naming the invoke and `--invoke-result`; offline exits 2 with that line.
    With the answer given to both (`--invoke-result` / TRAILWATCH_STANDIN_INVOKE_RESULTS) they
    agree (test_parity, `lookups-ssm-answered`)."""
    config = ("lookups:endpointFrom=ssm",)
    cli = preview(STACKS / "lookups", "test", config=config)
    offline = check(STACKS / "lookups", "test", config=config)
    way_out = "--invoke-result aws:ssm/getParameter:getParameter=FILE"
    assert cli.returncode == 1 and not cli.violations
    assert way_out in cli.stdout + cli.stderr and "/security/oncall-email" in cli.stdout + cli.stderr
    assert offline.returncode == 2 and way_out in offline.stderr
