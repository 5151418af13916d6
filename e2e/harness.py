"""Run one stack both ways: the real Pulumi CLI (`make cli`, .tools/) and `python -m trailwatch check`.

The CLI runs on a staged copy of the program folder (every entry symlinked, the stack files
copied: `pulumi stack init` writes an encryption salt into them), with a local file backend in a
temporary folder and a fixed passphrase -- never a cloud. Policy violations are read from the
CLI's engine event log (`--event-log`): `--json` leaves policy events out of its digest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"
POLICY = ROOT / "policy"
STACKS = ROOT / "tests" / "fixtures" / "stacks"
TS = ROOT / "e2e" / "typescript"  # a TypeScript stack; `make e2e` installs its node_modules (npm ci)
# The example passphrase of the committed `secure:` values (Pulumi.prod.yaml, docs/configuration.md);
# stacks without an encryptionsalt get one made with it in their staged copy.
PASSPHRASE = "trailwatch-example"
TIMEOUT = 300

Violation = tuple[str, str, str, str]  # (policy, enforcement level, URN, message)
COLOR = re.compile(r"<\{%[^%]*%\}>")  # the engine's colour tags, e.g. <{%fg 12%}>


@dataclass
class Outcome:
    returncode: int
    violations: set[Violation]
    stdout: str
    stderr: str
    resources: list[str] = field(default_factory=list)  # URNs, registration order where known
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def cli_version() -> str:
    return (TOOLS / "VERSION").read_text(encoding="utf-8").strip()


def cli_env(backend: Path, autonames: str = "provider", invoke_results: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update(
        {
            # The project's virtualenv first: a Pulumi.yaml naming no virtualenv runs `python3` from PATH.
            "PATH": os.pathsep.join([str(TOOLS / "bin"), str(ROOT / ".venv" / "bin"), env.get("PATH", "")]),
            "PULUMI_HOME": str(TOOLS / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "TRAILWATCH_STANDIN_AUTONAMES": autonames,
            # What `--invoke-result TOKEN=FILE` gives `trailwatch check`, given to the stand-ins
            "TRAILWATCH_STANDIN_INVOKE_RESULTS": "\n".join(invoke_results),
            "NO_COLOR": "1",
            "PULUMI_DEBUG_COMMANDS": "true",  # enables `--event-log`
        }
    )
    return env


def stage(program: Path, dest: Path) -> Path:
    """dest/<name>: the program's entries symlinked, its stack files copied."""
    program = program.resolve()
    staged = dest / program.name
    staged.mkdir(parents=True)
    for entry in program.iterdir():
        if entry.name.startswith("Pulumi.") and entry.name != "Pulumi.yaml":
            shutil.copy(entry, staged / entry.name)
        else:
            (staged / entry.name).symlink_to(entry)
    return staged


def _policy_events(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    events = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.strip():
            events.append(json.loads(line))
    return events


def preview(
    program: Path,
    stack: str,
    *,
    pack: Path = POLICY,
    pack_config: Path | None = None,
    config: tuple[str, ...] = (),
    autonames: str = "provider",
    extra: tuple[str, ...] = (),
    invoke_results: tuple[str, ...] = (),
) -> Outcome:
    """`pulumi preview --stack S --policy-pack P [--policy-pack-config F] --json` on the real CLI."""
    with tempfile.TemporaryDirectory(prefix="tw-e2e-") as tmp:
        work = Path(tmp)
        backend = work / "backend"
        backend.mkdir()
        staged = stage(program, work / "program")
        env = cli_env(backend, autonames, invoke_results)
        pulumi = str(TOOLS / "bin" / "pulumi")
        init = subprocess.run(
            [pulumi, "stack", "init", stack, "--non-interactive"],
            cwd=staged,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if init.returncode != 0:
            raise RuntimeError(f"pulumi stack init {stack} failed:\n{init.stdout}\n{init.stderr}")
        log = work / "events.jsonl"
        args = [
            pulumi,
            "preview",
            "--stack",
            stack,
            "--policy-pack",
            str(pack),
            "--json",
            "--event-log",
            str(log),
            "--non-interactive",
            *extra,
        ]
        if pack_config is not None:
            args += ["--policy-pack-config", str(pack_config)]
        for kv in config:
            args += ["--config", kv]
        proc = subprocess.run(args, cwd=staged, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        events = _policy_events(log)
    violations = {
        (p["policyName"], p["enforcementLevel"], p.get("resourceUrn", ""), p["message"])
        for p in (e["policyEvent"] for e in events if "policyEvent" in e)
    }
    resources = [e["resourcePreEvent"]["metadata"]["urn"] for e in events if "resourcePreEvent" in e]
    return Outcome(proc.returncode, violations, proc.stdout, proc.stderr, resources, events)


def cli_violations(outcome: Outcome) -> set[Violation]:
    """The CLI's policy events as (policy, level, URN, message): colour tags and the engine's
    trailing newline removed, which is all the engine adds to what the pack sent."""
    return {(p, lvl, urn, COLOR.sub("", msg).rstrip("\n")) for p, lvl, urn, msg in outcome.violations}


def check(
    program: Path,
    stack: str,
    *,
    pack: Path = POLICY,
    pack_config: Path | None = None,
    config: tuple[str, ...] = (),
    autonames: str = "provider",
    invoke_results: tuple[str, ...] = (),
) -> Outcome:
    """`python -m trailwatch check` on the same stack, the offline engine."""
    args = [
        sys.executable,
        "-m",
        "trailwatch",
        "check",
        str(program),
        "--stack",
        stack,
        "--format",
        "json",
        "--autonames",
        autonames,
        "--policy-pack",
        str(pack),
    ]
    if pack_config is not None:
        args += ["--policy-pack-config", str(pack_config)]
    for kv in config:
        args += ["--config", kv]
    for item in invoke_results:
        args += ["--invoke-result", item]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    if proc.returncode == 2:
        return Outcome(2, set(), proc.stdout, proc.stderr)
    report = json.loads(proc.stdout)
    violations = {(d["policyName"], d["enforcementLevel"], d["urn"], d["message"]) for d in report["diagnostics"]}
    return Outcome(proc.returncode, violations, proc.stdout, proc.stderr, [r["urn"] for r in report["resources"]])
