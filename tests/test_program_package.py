"""The package surface other teams use: cheap import, lazy component exports, project files."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from program_helpers import SECURE_VALUES

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)


def test_importing_the_package_loads_no_pulumi() -> None:
    result = _run(
        "import sys, trailwatch; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'grpc')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_components_are_exported_lazily() -> None:
    result = _run(
        "import sys, trailwatch; from trailwatch import UnauthorizedApiCallsMonitor, AlarmTopic, "
        "CloudTrailLogging, UnauthorizedApiCallsMonitorArgs; "
        "assert UnauthorizedApiCallsMonitor.__module__ == 'trailwatch.component.monitor'; "
        "assert 'pulumi_aws' in sys.modules; print(sorted(trailwatch.__all__))"
    )
    assert result.returncode == 0, result.stderr
    assert "UnauthorizedApiCallsMonitor" in result.stdout


def test_all_names_every_lazy_export() -> None:
    import trailwatch

    assert sorted(trailwatch.__all__) == sorted(trailwatch._EXPORTS)


def test_unknown_attribute_is_an_attribute_error() -> None:
    result = _run("import trailwatch\ntry:\n    trailwatch.Nope\nexcept AttributeError as e:\n    print(e)")
    assert result.returncode == 0 and "no attribute 'Nope'" in result.stdout


def test_project_file_names_the_python_runtime_and_venv() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "trailwatch"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_stack_files_set_region_and_only_known_keys() -> None:
    from trailwatch.config import KEYS

    for stack in ("dev", "prod"):
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert config["aws:region"] == "us-east-1"
        unknown = {k for k in config if k.startswith("trailwatch:") and k.split(":", 1)[1] not in KEYS}
        assert not unknown, (stack, unknown)


def test_every_config_key_is_documented_with_its_default() -> None:
    """docs/configuration.md is the program's configuration reference: one row per key."""
    from trailwatch.config import KEYS

    doc = (ROOT / "docs" / "configuration.md").read_text()
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in doc.splitlines()
        if re.match(r"\| `trailwatch:\w+` \|", line)
    }
    assert sorted(key.split(":", 1)[1] for key in rows) == sorted(KEYS)
    for key, row in rows.items():
        assert len([cell for cell in row.split("|") if cell.strip()]) >= 3, key


def test_the_programs_pattern_texts_are_the_packs() -> None:
    """Two copies (the program cannot import the pack folder); they must never drift."""
    from trailwatch.component import patterns
    from trailwatch_policy.controls import scanners

    assert patterns.CIS_1_2 == scanners.CIS_1_2
    assert patterns.CIS_2_0 == scanners.CIS_2_0
    from trailwatch_policy.controls import CONTROLS

    assert [(c.id, c.cis12, c.securityhub, c.policy, c.metric, c.what) for c in patterns.CONTROLS] == [
        (c.id, c.cis12, c.securityhub, c.policy, c.metric, c.what) for c in CONTROLS
    ]
    assert [c.pattern for c in patterns.CONTROLS[1:]] == [c.pattern for c in CONTROLS[1:]]


def test_which_scanner_accepts_which_profile_is_what_the_pack_says() -> None:
    """The program's table (it cannot import the pack) against the pack's scanner rules."""
    from trailwatch.component import patterns
    from trailwatch_policy.controls import scanners

    assert set(patterns.SCANNERS) == set(scanners.SCANNERS)
    for name, text in patterns.PROFILES.items():
        verdicts = scanners.scanner_verdicts(text)
        assert patterns.ACCEPTED_BY[name] == {s for s, ok in verdicts.items() if ok}, name
    assert patterns.profiles_accepted_by(["securityhub", "steampipe"]) == []


def test_the_prod_secret_is_a_real_pulumi_passphrase_encryption() -> None:
    """Decrypt the committed value as the Pulumi CLI does (PBKDF2-SHA256, 1,000,000 rounds,
    AES-256-GCM; `encryptionsalt` = v1:<salt>:<"pulumi" encrypted>) with the documented example
    passphrase, so `pulumi config` on the committed file works."""
    aead = pytest.importorskip(
        "cryptography.hazmat.primitives.ciphers.aead", reason="cryptography comes with moto (requirements-dev.txt)"
    )
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    _, salt, *check = document["encryptionsalt"].split(":")
    key = hashlib.pbkdf2_hmac("sha256", b"trailwatch-example", base64.b64decode(salt), 1_000_000, 32)

    def decrypt(value: str) -> str:
        version, nonce, ciphertext = value.split(":")
        assert version == "v1"
        return aead.AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(ciphertext), None).decode()

    assert decrypt(":".join(check)) == "pulumi"
    assert (
        decrypt(document["config"]["trailwatch:httpsEndpoints"]["secure"]) == SECURE_VALUES["trailwatch:httpsEndpoints"]
    )


def test_every_config_key_is_at_a_glance_in_the_readme() -> None:
    """The README's table names every key (details in docs/configuration.md)."""
    from trailwatch.config import KEYS

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration at a glance", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(\w+)`", section))
    assert set(KEYS) <= named, sorted(set(KEYS) - named)
