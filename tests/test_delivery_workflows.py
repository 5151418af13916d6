"""The GitHub workflows lint clean and every command they run exists in this repository.

The workflows were never run on GitHub from here (no runner, no cloud), so these tests
are what stands between a typo and a red pipeline in a user's repository: actionlint
(syntax, expressions, action and reusable-workflow inputs) plus a cross-check of each
`make` target, `python -m trailwatch` command, file and stack the workflows name.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwatch.__main__ import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
#: Folders the workflows create (virtualenvs) or receive at run time: not in the repository.
CREATED = (".venv/", "policy/venv/")


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def steps(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for job_id, job in document.get("jobs", {}).items():
        for step in job.get("steps", []) or []:
            yield job_id, job, step


def run_scripts(document: dict[str, Any]) -> Iterator[str]:
    for _, _, step in steps(document):
        if "run" in step:
            yield str(step["run"])
        for value in (step.get("with") or {}).values():
            if isinstance(value, str) and ("make " in value or "python" in value):
                yield value
    for job in document.get("jobs", {}).values():
        for value in (job.get("with") or {}).values():
            if isinstance(value, str) and ("make " in value or "python" in value):
                yield value


def commands(script: str) -> Iterator[list[str]]:
    """Each simple command of a shell script, split into words (no ${{ }} inside)."""
    for line in script.splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            part = part.strip()
            if not part or part.startswith("#"):
                continue
            try:
                yield shlex.split(part)
            except ValueError:
                yield part.split()


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.MULTILINE)}


def matrix_stacks(job: dict[str, Any]) -> list[str]:
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    stacks = [s for s in matrix.get("stack", []) if isinstance(s, str)]
    stacks += [entry["stack"] for entry in matrix.get("include", []) if "stack" in entry]
    return stacks


def pulumi_steps(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for job_id, job, step in steps(document):
        if str(step.get("uses", "")).startswith("pulumi/actions@") and (step.get("with") or {}).get("command"):
            yield job_id, job, step


def actionlint_binary() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: `make venv` installs it from requirements-dev.txt")
    return found


ALL = workflow_files()


def test_the_delivery_workflows_exist() -> None:
    names = {p.name for p in ALL}
    assert {"pull-request.yml", "deploy.yml", "deploy-stack.yml", "guardrail.yml"} <= names


def test_actionlint_reports_nothing() -> None:
    result = subprocess.run(
        [actionlint_binary(), "-no-color", *map(str, ALL)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_actionlint_catches_a_misnamed_action_input(tmp_path: Path) -> None:
    """The lint is not vacuous: `policy-packs` (the README's old name) is not a pulumi/actions input."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    broken = (WORKFLOWS / "pull-request.yml").read_text(encoding="utf-8").replace("policyPacks:", "policy-packs:")
    target = tmp_path / ".github" / "workflows" / "broken.yml"
    target.write_text(broken, encoding="utf-8")
    result = subprocess.run(
        [actionlint_binary(), "-no-color", str(target)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert 'input "policy-packs" is not defined' in result.stdout


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_make_target_exists(path: Path) -> None:
    targets = makefile_targets()
    used = [
        words[1]
        for script in run_scripts(load(path))
        for words in commands(script)
        if len(words) > 1 and words[0] == "make"
    ]
    for target in used:
        assert target in targets, f"{path.name}: `make {target}` but the Makefile has {sorted(targets)}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_trailwatch_command_is_real(path: Path) -> None:
    for script in run_scripts(load(path)):
        for words in commands(script):
            if "-m" not in words or words.index("-m") + 1 >= len(words):
                continue
            module = words[words.index("-m") + 1]
            if module == "trailwatch":
                rest = words[words.index("-m") + 2 :]
                assert rest and rest[0] in COMMANDS, f"{path.name}: `{' '.join(words)}` is not one of {list(COMMANDS)}"
                check_trailwatch_arguments(path, rest)


def check_trailwatch_arguments(path: Path, args: list[str]) -> None:
    """Folders, stacks and pack files passed to `python -m trailwatch check` exist."""
    if args[0] != "check":
        return
    assert len(args) > 1 and (ROOT / args[1]).is_dir(), f"{path.name}: check needs a program folder: {args}"
    for flag, value in itertools.pairwise(args):
        if flag == "--stack":
            assert (ROOT / args[1] / f"Pulumi.{value}.yaml").is_file(), f"{path.name}: no Pulumi.{value}.yaml"
        if flag == "--policy-pack":
            assert (ROOT / value / "PulumiPolicy.yaml").is_file(), f"{path.name}: {value} is not a policy pack"
        if flag == "--policy-pack-config":
            assert (ROOT / value).is_file(), f"{path.name}: no {value}"


def repository_paths(document: dict[str, Any]) -> Iterator[str]:
    """Paths a workflow reads from its own checkout."""
    for _, _, step in steps(document):
        with_ = step.get("with") or {}
        for line in str(with_.get("cache-dependency-path", "")).splitlines():
            if line.strip():
                yield line.strip()
        for key in ("policyPacks", "policyPackConfigs", "work-dir"):
            value = with_.get(key)
            if isinstance(value, str) and "${{" not in value:
                yield value
        for words in commands(str(step.get("run", ""))):
            for word in words:
                if "${{" in word or word.startswith(("$", "-", "http", "s3:")):
                    continue
                if re.search(r"\.(txt|json|ya?ml|toml)$", word) or word.startswith(("policy/", "./")):
                    yield word
    for job in document.get("jobs", {}).values():
        uses = str(job.get("uses", ""))
        if uses.startswith("./"):
            yield uses
        for key, value in (job.get("with") or {}).items():
            if key in ("pack-config", "policy-pack-config") and "${{" not in str(value):
                yield str(value)
    for spec in ((document.get("on") or {}).get("workflow_call") or {}).get("inputs", {}).values():
        default = spec.get("default")
        if isinstance(default, str) and default.startswith("policy/"):
            yield default


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_repository_path_exists(path: Path) -> None:
    seen = list(repository_paths(load(path)))
    for rel in seen:
        if rel.startswith(CREATED):
            continue
        assert (ROOT / rel).exists(), f"{path.name} names {rel}, which is not in the repository"


def test_the_path_check_sees_the_files_it_should() -> None:
    """Guard against a vacuous path check: the PR workflow's paths are actually collected."""
    seen = set(repository_paths(load(WORKFLOWS / "pull-request.yml")))
    assert {"requirements.txt", "policy/requirements.txt", "policy", "policy/configs/strict.json"} <= seen


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_stack_has_a_stack_file(path: Path) -> None:
    document = load(path)
    stacks = [s for job in document.get("jobs", {}).values() for s in matrix_stacks(job)]
    stacks += [
        str(job["with"]["stack"])
        for job in document.get("jobs", {}).values()
        if "stack" in (job.get("with") or {}) and "${{" not in str(job["with"]["stack"])
    ]
    for stack in stacks:
        assert (ROOT / f"Pulumi.{stack}.yaml").is_file(), f"{path.name} uses stack {stack}: no Pulumi.{stack}.yaml"


def pulumi_project_virtualenv() -> str:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    runtime = project["runtime"]
    assert isinstance(runtime, dict) and runtime["name"] == "python", (
        "Pulumi.yaml: runtime must name python with options"
    )
    return str(runtime["options"]["virtualenv"]).rstrip("/")


@pytest.mark.parametrize(
    "path", [p for p in ALL if p.name in ("pull-request.yml", "deploy-stack.yml")], ids=lambda p: p.name
)
def test_virtualenvs_are_where_the_project_files_say(path: Path) -> None:
    """The CLI runs the program with Pulumi.yaml's virtualenv and the pack with PulumiPolicy.yaml's."""
    program_venv = pulumi_project_virtualenv()
    pack = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    pack_venv = "policy/" + str(pack["runtime"]["options"]["virtualenv"]).rstrip("/")
    scripts = "\n".join(str(step.get("run", "")) for _, _, step in steps(load(path)))
    assert f"python -m venv {program_venv}\n" in scripts + "\n"
    assert f"{program_venv}/bin/python -m pip install --disable-pip-version-check -r requirements.txt" in scripts
    assert f"python -m venv {pack_venv}\n" in scripts + "\n"
    assert f"{pack_venv}/bin/python -m pip install --disable-pip-version-check -r policy/requirements.txt" in scripts


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_pulumi_run_carries_the_guardrail(path: Path) -> None:
    for job_id, _, step in pulumi_steps(load(path)):
        with_ = step["with"]
        assert with_["command"] in ("preview", "up"), f"{path.name}:{job_id} runs pulumi {with_['command']}"
        assert with_.get("policyPacks"), f"{path.name}:{job_id}: pulumi {with_['command']} without policyPacks"
        assert with_.get("policyPackConfigs"), (
            f"{path.name}:{job_id}: pulumi {with_['command']} without policyPackConfigs"
        )
        env = step.get("env") or {}
        assert env.get("PULUMI_ACCESS_TOKEN") == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
        assert env.get("PULUMI_CONFIG_PASSPHRASE") == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"


def triggers(document: dict[str, Any]) -> set[str]:
    on = document["on"]
    return {on} if isinstance(on, str) else set(on)


SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_fork_pull_requests_get_no_secrets_or_roles(path: Path) -> None:
    document = load(path)
    assert "pull_request_target" not in triggers(document), (
        f"{path.name}: pull_request_target runs fork code with secrets"
    )
    if "pull_request" not in triggers(document):
        return
    for job_id, job in document["jobs"].items():
        text = yaml.safe_dump(job)
        privileged = "secrets." in text or (job.get("permissions") or {}).get("id-token") == "write"
        if privileged:
            assert SAME_REPO in str(job.get("if", "")), (
                f"{path.name}:{job_id} uses secrets/OIDC without the same-repo condition"
            )
        else:
            assert "configure-aws-credentials" not in text


def test_forks_still_get_the_offline_checks() -> None:
    document = load(WORKFLOWS / "pull-request.yml")
    offline = document["jobs"]["offline"]
    assert "if" not in offline and "secrets." not in yaml.safe_dump(offline)
    scripts = [str(step.get("run", "")) for step in offline["steps"]]
    assert "make test" in scripts and "make check" in scripts
    assert any(s.startswith(".venv/bin/python -m trailwatch check . --stack prod") for s in scripts)


def test_pull_request_previews_every_stack_with_a_comment() -> None:
    document = load(WORKFLOWS / "pull-request.yml")
    preview = document["jobs"]["preview"]
    assert sorted(matrix_stacks(preview)) == ["dev", "prod"]
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    (step,) = [s for _, _, s in pulumi_steps(document)]
    assert step["with"]["command"] == "preview" and step["with"]["comment-on-pr"] is True
    assert step["with"]["stack-name"] == "${{ matrix.stack }}"


def test_deployments_run_dev_then_prod_in_protected_environments_without_overlap() -> None:
    deploy = load(WORKFLOWS / "deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["dev"]["uses"] == jobs["prod"]["uses"] == "./.github/workflows/deploy-stack.yml"
    assert (jobs["dev"]["with"]["stack"], jobs["prod"]["with"]["stack"]) == ("dev", "prod")
    assert jobs["dev"]["needs"] == "offline" and jobs["prod"]["needs"] == "dev"
    stack = load(WORKFLOWS / "deploy-stack.yml")
    (up,) = stack["jobs"].values()
    assert up["environment"] == "${{ inputs.stack }}"
    assert up["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    assert up["permissions"]["id-token"] == "write"
    (step,) = [s for _, _, s in pulumi_steps(stack)]
    assert step["with"]["command"] == "up"
    roles = [
        s["with"]["role-to-assume"] for _, _, s in steps(stack) if "configure-aws-credentials" in str(s.get("uses"))
    ]
    assert roles == ["${{ vars.AWS_ROLE_ARN }}"]
    assert "aws-access-key-id" not in yaml.safe_dump(stack)


def test_the_reusable_guardrail_takes_the_documented_inputs() -> None:
    guardrail = load(WORKFLOWS / "guardrail.yml")
    call = guardrail["on"]["workflow_call"]
    assert {"stack", "working-directory", "pack-repository", "pack-ref", "pack-config"} <= set(call["inputs"])
    (step,) = [s for _, _, s in pulumi_steps(guardrail)]
    assert step["with"]["command"] == "preview"
    assert step["with"]["policyPacks"] == "${{ env.PACK_ROOT }}/policy"
    assert step["with"]["work-dir"] == "${{ inputs.working-directory }}"


def test_the_documented_caller_workflow_lints_clean(tmp_path: Path) -> None:
    """The YAML users copy from the README and docs/ is a valid workflow too."""
    text = documentation()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert blocks, "the documentation shows no caller workflow"
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for number, block in enumerate(blocks):
        (folder / f"doc-{number}.yml").write_text(block, encoding="utf-8")
    result = subprocess.run(
        [actionlint_binary(), "-no-color", *map(str, sorted(folder.iterdir()))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def documentation() -> str:
    """The README and every docs/*.md, as one text."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_the_documented_trailwatch_commands_are_real() -> None:
    text = documentation()
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL))
    used = (
        re.findall(r"(?:python -m |bin/)trailwatch ([a-z]+)", text)
        + re.findall(r"`trailwatch ([a-z]+)(?=`| -| \.| ')", text)
        + re.findall(r"^(?:\$ )?trailwatch ([a-z]+)", code, re.MULTILINE)
    )
    assert used and set(used) <= set(COMMANDS), set(used) - set(COMMANDS)
    target = r"([a-z][a-z0-9-]*)"  # e2e has a digit, some targets a hyphen
    targets = set(re.findall(r"`make " + target, text)) | set(re.findall(r"^make " + target, text, re.MULTILINE))
    assert targets and targets <= makefile_targets(), targets - makefile_targets()


def test_the_readme_links_every_doc_and_every_link_resolves() -> None:
    """A newcomer finds every reference document from the README, and no link is dead."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", readme))
    present = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert present - linked == set(), "README does not link: " + ", ".join(sorted(present - linked))
    assert linked - present == set(), "README links missing files: " + ", ".join(sorted(linked - present))
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(((?!https?://|#)[^)#\s]+)", text):
            assert (path.parent / target).exists(), f"{path.name}: dead link {target}"


def test_the_readme_stays_a_newcomers_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 320, f"README.md has {len(lines)} lines; move reference material to docs/"
