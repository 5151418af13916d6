"""A real package: the sdist and the wheel carry the policy pack, an installed `trailwatch`
finds it without --policy-pack, `--version` works, and the audit without boto3 says how
to install it. Built offline with the pinned setuptools (PEP 517 hooks, no build isolation).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from bench.common import build_dist, install_wheel, installed_command, outside_checkout, source_tree

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACK_FILES = ["PulumiPolicy.yaml", "__main__.py", "requirements.txt", "configs/strict.json", "configs/rollout.json"]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dist")
    source = source_tree(base / "src")
    (base / "out").mkdir()
    sdist = build_dist("build_sdist", source, base / "out")
    with tarfile.open(sdist) as tar:  # the wheel is built from the sdist: it must be enough
        tar.extractall(base / "unpacked", filter="data")
    (unpacked,) = (base / "unpacked").iterdir()
    wheel = build_dist("build_wheel", unpacked, base / "out")
    return {"sdist": sdist, "wheel": wheel}


def pack_sources() -> list[str]:
    """Every file of the pack folder a published pack needs (no venv, no caches)."""
    rules = sorted(str(p.relative_to(ROOT / "policy")) for p in (ROOT / "policy" / "trailwatch_policy").rglob("*.py"))
    return PACK_FILES + rules


def test_the_sdist_carries_the_pack_licence_and_changelog(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "setup.py"} <= names
    assert {f"policy/{f}" for f in pack_sources()} <= names
    assert not [n for n in names if n.startswith("policy/venv") or "__pycache__" in n]


def test_the_wheel_carries_the_pack_as_trailwatch_policy_pack(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = set(whl.namelist())
        for name in pack_sources():
            assert f"trailwatch/policy_pack/{name}" in names, name
            assert whl.read(f"trailwatch/policy_pack/{name}") == (ROOT / "policy" / name).read_bytes(), name
        assert "trailwatch_policy/chain/links.py" in names and "trailwatch/engine/cli.py" in names
        for data in ("VERSION", "endpoints.json", "logs/2014-03-28/service-2.json.gz"):  # the audit's (shipped_data)
            assert f"trailwatch/audit/botocore_data/{data}" in names, data
        info = f"trailwatch_cis-{VERSION}.dist-info"  # the distribution trailwatch-cis, normalised
        metadata = whl.read(f"{info}/METADATA").decode()
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
        assert any(n.startswith(info) and n.endswith("LICENSE") for n in names)
    assert "License-Expression: Apache-2.0" in metadata
    assert re.search(r"^Name: trailwatch-cis$", metadata, re.MULTILINE)  # not PyPI's unrelated `trailwatch`
    assert re.search(r"^Requires-Dist: boto3.*extra == \"audit\"", metadata, re.MULTILINE)
    assert "trailwatch = trailwatch.__main__:main" in entry_points


@pytest.fixture(scope="module")
def installed(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel in a fresh virtualenv, without its dependencies (offline)."""
    return install_wheel(dists["wheel"], tmp_path_factory.mktemp("venv") / "env")


def run_installed(venv: Path, *args: str, with_dependencies: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    if with_dependencies:  # pulumi, pulumi-policy, grpc... from this interpreter's site-packages
        env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [str(venv / "bin" / "trailwatch"), *args], cwd=venv, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_installed_command_prints_its_version(installed: Path) -> None:
    proc = run_installed(installed, "--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"trailwatch {VERSION}\n", "")


def test_the_benchmarks_time_the_installed_wheel_not_the_checkout() -> None:
    """bench.common.installed_command, what the audit benchmarks time: the wheel pip installed
    in its own virtualenv, with this interpreter's dependencies, and nothing of the checkout
    (neither PYTHONPATH nor the editable install's import hook)."""
    command = installed_command()
    venv = command.parents[1]
    env = outside_checkout({**os.environ, "PYTHONPATH": str(ROOT)})
    assert "PYTHONPATH" not in env
    probe = "import botocore, trailwatch, trailwatch_policy; print(trailwatch.__file__, trailwatch_policy.__file__, botocore.__file__)"
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=venv, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    ours, pack, botocore = map(Path, proc.stdout.split())
    assert ours.is_relative_to(venv) and pack.is_relative_to(venv)
    assert botocore.is_relative_to(sysconfig.get_paths()["purelib"])
    proc = subprocess.run([str(command), "--version"], cwd=venv, env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, f"trailwatch {VERSION}\n")


def test_the_installed_audit_without_the_aws_sdk_says_how_to_install_it(installed: Path) -> None:
    proc = run_installed(installed, "audit", "--regions", "us-east-1")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "trailwatch audit: error: needs botocore, which is not installed; install it with: "
        'pip install "trailwatch-cis[audit]"\n'
    )
    helped = run_installed(installed, "audit", "--help")  # no SDK needed to read the options
    assert helped.returncode == 0 and helped.stdout.startswith("usage: trailwatch audit")


def test_the_installed_check_finds_the_bundled_pack(installed: Path) -> None:
    bundled = next(installed.glob("lib/python*/site-packages/trailwatch/policy_pack"))
    assert (bundled / "PulumiPolicy.yaml").is_file()
    proc = run_installed(
        installed,
        "check",
        str(ROOT / "tests" / "fixtures" / "stacks" / "no-filter"),
        "--stack",
        "test",
        "--format",
        "json",
        with_dependencies=True,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert {d["policyPackName"] for d in doc["diagnostics"]} == {"trailwatch"}
    assert any("no-metric-filter" in d["message"] for d in doc["diagnostics"])
    assert "virtualenv" not in proc.stderr  # the bundled pack runs with the installed interpreter


# --- the distribution's name ---------------------------------------------------------------------

# `pip install trailwatch` / "trailwatch[audit]" (an index name), not a path like /path/to/trailwatch[audit]
BARE_NAME = re.compile(r"pip install (?:-[\w-]+ )*[\"']?trailwatch(?![\w-])(?!/)")


def test_every_install_instruction_names_trailwatch_cis() -> None:
    """`trailwatch` on PyPI is an unrelated project: no doc, message or workflow may tell
    anyone to install it; the command and the module keep the name."""
    assert BARE_NAME.search('pip install "trailwatch[audit]"') and BARE_NAME.search("pip install trailwatch\n")
    assert not BARE_NAME.search('pip install "trailwatch-cis[audit]"')
    assert not BARE_NAME.search('pip install "/path/to/trailwatch[audit]"')
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = []
    for name in listed:
        path = ROOT / name
        if path.suffix in (".md", ".py", ".yml", ".yaml", ".toml", ".txt", ".cfg") or path.name == "Makefile":
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if BARE_NAME.search(line) and path.name != "test_packaging.py":
                    offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "trailwatch-cis" and project["scripts"] == {"trailwatch": "trailwatch.__main__:main"}
    from trailwatch.__main__ import EXTRAS

    assert EXTRAS["audit"][1] == 'pip install "trailwatch-cis[audit]"'


# --- one version, and a tag callers can pin -----------------------------------------------------


def test_one_version_everywhere() -> None:
    from trailwatch.version import version

    assert version() == VERSION
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert str(pack["version"]) == VERSION
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(VERSION)}\]", changelog, re.MULTILINE)
    proc = subprocess.run([sys.executable, "-m", "trailwatch", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert proc.stdout == f"trailwatch {VERSION}\n"


def test_the_licence_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_documented_pins_are_the_current_major_tag() -> None:
    major = "v" + VERSION.split(".")[0]
    for path in (ROOT / "docs" / "organisation.md", ROOT / ".github" / "workflows" / "guardrail.yml"):
        text = path.read_text()
        pins = re.findall(r"guardrail\.yml@([\w.]+)", text) + re.findall(r"pack-ref: (v[\w.]*)", text)
        assert pins and set(pins) == {major}, (path.name, pins)


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_make_release_tags_creates_the_version_and_moves_the_major_tag(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, tmp_path / name)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "release")
    env_make = ["make", "-s", "release-tags"]
    env = {**os.environ, "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(env_make, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    major = "v" + VERSION.split(".")[0]
    assert set(git(tmp_path, "tag").stdout.split()) == {f"v{VERSION}", major}
    again = subprocess.run(env_make, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode != 0 and f"v{VERSION} exists already" in again.stdout
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n")
    git(tmp_path, "commit", "-qam", "no notes")
    git(tmp_path, "tag", "-d", f"v{VERSION}")
    missing = subprocess.run(env_make, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "no '## [" in missing.stdout
