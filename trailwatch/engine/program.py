"""Run a program in a worker subprocess and get back its registrations in engine order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from .errors import EngineError, ProgramError
from .project import Project

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the `trailwatch` package
DEFAULT_TIMEOUT = 300.0  # seconds; `trailwatch check --timeout`


@dataclass
class Registration:
    """One resource as the engine saw it (wire values: unknowns as sentinels, secrets wrapped)."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    options: dict[str, Any] = field(default_factory=dict)
    default_provider: bool = False
    external: bool = False  # read with `Resource.get`: never shown to the policy pack
    source: dict[str, Any] | None = None  # {"uri": "file:///...", "line": N}: where the program made it

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Registration:
        return cls(
            urn=raw["urn"],
            type=raw["type"],
            name=raw["name"],
            parent=raw.get("parent", ""),
            custom=raw.get("custom", False),
            inputs=raw.get("inputs", {}),
            outputs=raw.get("outputs", {}),
            dependencies=raw.get("dependencies", []),
            property_dependencies=raw.get("propertyDependencies", {}),
            provider=raw.get("provider", ""),
            options=raw.get("options", {}),
            default_provider=raw.get("defaultProvider", False),
            external=raw.get("external", False),
            source=raw.get("source"),
        )


@dataclass
class ProgramRun:
    resources: list[Registration]
    output: str  # what the program printed


def run_program(
    project: Project,
    *,
    autonames: str = "provider",
    account_id: str = "123456789012",
    organization: str = "organization",
    timeout: float = DEFAULT_TIMEOUT,
    echo: TextIO | None = None,
    invoke_results: dict[str, dict[str, Any]] | None = None,
) -> ProgramRun:
    """Run the program; what it prints is returned, and written to `echo` line by line as it
    runs when one is given. More than `timeout` seconds stops it (EngineError)."""
    with tempfile.TemporaryDirectory(prefix="trailwatch-") as tmp:
        request_path = Path(tmp) / "request.json"
        out_path = Path(tmp) / "result.json"
        request = {
            "program_dir": str(project.directory),
            "main": str(project.main),
            "project": project.name,
            "stack": project.stack,
            "organization": organization,
            "config": project.config,
            "secure_keys": sorted(project.secure_keys),
            "stack_file": project.stack_file.name if project.stack_file else None,
            "autonames": autonames,
            "account_id": account_id,
            "invoke_results": invoke_results or {},
            "out": str(out_path),
        }
        request_path.write_text(json.dumps(request), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        env["PULUMI_DRY_RUN"] = "true"
        env["PYTHONUNBUFFERED"] = "1"  # the program's prints arrive as they happen
        returncode, printed = _run_worker(
            [sys.executable, "-m", "trailwatch.engine.worker", str(request_path)], project, env, timeout, echo
        )
        if not out_path.exists():
            if echo is not None:  # its output was shown as it ran
                raise EngineError(
                    f"the program runner died (exit {returncode}) before reporting; its last output is above"
                )
            tail = "\n".join(printed.strip().splitlines()[-15:])
            raise EngineError(f"the program runner died (exit {returncode}) before reporting:\n{tail}")
        result = json.loads(out_path.read_text(encoding="utf-8"))
    if not result.get("ok"):
        error = ProgramError(result.get("error") or "the program failed", printed)
        error.shown = echo is not None
        raise error
    return ProgramRun([Registration.from_json(r) for r in result["resources"]], printed)


def _run_worker(
    command: list[str], project: Project, env: dict[str, str], timeout: float, echo: TextIO | None
) -> tuple[int, str]:
    """Run the worker, collecting (and echoing) stdout and stderr line by line as they come."""
    proc = subprocess.Popen(
        command,
        cwd=project.directory,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    lines: list[str] = []
    lock = threading.Lock()

    def pump(stream: IO[str]) -> None:
        for line in stream:
            with lock:
                lines.append(line)
                if echo is not None:
                    echo.write(line)
                    echo.flush()

    pumps = [threading.Thread(target=pump, args=(s,), daemon=True) for s in (proc.stdout, proc.stderr) if s]
    for thread in pumps:
        thread.start()
    try:
        returncode = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise EngineError(
            f"the program in {project.directory} did not finish within {timeout:g}s; "
            "raise the limit with --timeout SECONDS if it is just slow"
        ) from None
    finally:
        for thread in pumps:
            thread.join(timeout=5)
    return returncode, "".join(lines)
