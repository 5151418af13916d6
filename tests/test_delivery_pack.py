"""The pack runs with its own interpreter, and the example pack configs are ones the CLI accepts.

Which python the CLI uses for a Python pack (shared/specs/engine.md): uv or poetry when a
uv.lock / poetry.lock sits in the pack folder or ANY parent folder, else PulumiPolicy.yaml's
`runtime.options.virtualenv`, else `python3`. A lockfile at this repository's root would
therefore silently run the guardrail in the program's environment, not policy/venv.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policy"
CONFIGS = PACK / "configs"
#: The pack's policies (issue 6 / the control spec; issue 18: one per CIS monitoring control).
BASE_POLICIES = ("unauthorized-api-calls-monitored", "metric-filter-pattern-valid", "cloudtrail-records-all-regions")
CONTROL_POLICIES = (
    "console-signin-without-mfa-monitored",
    "root-usage-monitored",
    "iam-policy-changes-monitored",
    "cloudtrail-changes-monitored",
    "console-auth-failures-monitored",
    "kms-key-disable-or-deletion-monitored",
    "s3-bucket-policy-changes-monitored",
    "config-changes-monitored",
    "security-group-changes-monitored",
    "nacl-changes-monitored",
    "network-gateway-changes-monitored",
    "route-table-changes-monitored",
    "vpc-changes-monitored",
    "organizations-changes-monitored",
)
POLICIES = BASE_POLICIES + CONTROL_POLICIES
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
LOCKFILES = ("uv.lock", "poetry.lock")


def capturing_lockfiles(pack: Path, top: Path) -> list[Path]:
    """Lockfiles in `pack` or any parent up to and including `top` (the repository root)."""
    found = []
    folder = pack.resolve()
    top = top.resolve()
    while True:
        found += [folder / name for name in LOCKFILES if (folder / name).exists()]
        if folder == top or folder.parent == folder:
            return found
        folder = folder.parent


def pack_project() -> dict[str, Any]:
    return yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))


def test_pack_project_names_python_and_its_virtualenv() -> None:
    project = pack_project()
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(project["version"]))
    assert len(project["description"]) > 20


def test_the_makefile_builds_the_virtualenv_the_pack_names() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (pack_venv,) = re.findall(r"^PACK_VENV\s*:=\s*(\S+)", makefile, re.MULTILINE)
    assert pack_venv == "policy/" + pack_project()["runtime"]["options"]["virtualenv"]
    assert "policy/venv/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_pack_requirements_are_the_policy_sdk_only() -> None:
    lines = [
        line.split("#")[0].strip() for line in (PACK / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    assert [line for line in lines if line] == [line for line in lines if line.startswith("pulumi-policy")] != []


def test_no_lockfile_captures_the_pack() -> None:
    assert capturing_lockfiles(PACK, ROOT) == []


@pytest.mark.parametrize("where", [".", "policy"])
def test_the_lockfile_check_finds_a_planted_lockfile(tmp_path: Path, where: str) -> None:
    (tmp_path / "policy").mkdir()
    (tmp_path / where / "uv.lock").write_text("version = 1\n", encoding="utf-8")
    assert capturing_lockfiles(tmp_path / "policy", tmp_path) == [(tmp_path / where / "uv.lock").resolve()]


def pack_defaults() -> dict[str, str]:
    """The pack's own policies and their default enforcement levels."""
    from trailwatch_policy.edge.policies import policies

    return {policy.name: policy.enforcement_level.value for policy in policies()}


def test_the_pack_defines_exactly_its_policies() -> None:
    assert list(pack_defaults()) == list(POLICIES)
    # issue 21: advisory by default (was disabled): visible on every preview, blocking nothing
    assert {pack_defaults()[p] for p in CONTROL_POLICIES} == {"advisory"}


def test_the_documented_defaults_are_the_pack_defaults() -> None:
    text = (ROOT / "docs" / "organisation.md").read_text(encoding="utf-8")
    (row,) = re.findall(r"^\| pack defaults \|(.*)\|$", text, re.MULTILINE)
    header = re.search(r"^\| File \| unauthorized(.*)\|$", text, re.MULTILINE)
    assert header is not None
    names = [cell.strip() for cell in ("unauthorized" + header.group(1)).split("|")]
    levels = [cell.strip() for cell in row.split("|")]
    assert dict(zip(names, levels, strict=True)) == {k: v for k, v in pack_defaults().items() if k in BASE_POLICIES}
    assert set(names) == set(BASE_POLICIES)
    # The other controls' policies are described in one sentence beside the table.
    assert "other CIS monitoring controls" in text and "default to `advisory`" in text


# --- example --policy-pack-config files ------------------------------------------------------


def load_config(name: str) -> dict[str, Any]:
    return json.loads((CONFIGS / name).read_text(encoding="utf-8"))


def effective_levels(config: dict[str, Any]) -> dict[str, str]:
    """What the engine applies per policy: the policy's own entry beats `all`."""

    def level(entry: Any) -> str | None:
        return entry.get("enforcementLevel") if isinstance(entry, dict) else entry

    default = level(config.get("all"))
    return {name: level(config.get(name)) or default or "pack default" for name in POLICIES}


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.json")), ids=lambda p: p.name)
def test_every_example_config_names_only_the_pack_policies_with_valid_levels(path: Path) -> None:
    config = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(config, dict) and config
    for key, entry in config.items():
        assert key == "all" or key in POLICIES, f"{path.name}: {key} is not a policy of the pack"
        if isinstance(entry, dict):
            assert entry.get("enforcementLevel", "mandatory") in LEVELS, f"{path.name}: {key}"
        else:
            assert entry in LEVELS, f"{path.name}: {key} = {entry!r}"


def test_strict_makes_everything_mandatory() -> None:
    config = load_config("strict.json")
    assert config["all"] == "mandatory"
    assert set(effective_levels(config).values()) == {"mandatory"}


def test_rollout_makes_everything_advisory() -> None:
    config = load_config("rollout.json")
    assert set(effective_levels(config).values()) == {"advisory"}


def test_the_two_examples_exist() -> None:
    assert {p.name for p in CONFIGS.glob("*.json")} >= {"strict.json", "rollout.json"}
