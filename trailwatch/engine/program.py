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
    """What a program run registered, and what it printed."""

    resources: list[Registration]
    output: str  # what the program printed


class ProgramLaunch:
    """The program's worker, started at once; `result()` waits for it and returns what the
    program registered and printed (printed lines also go to `echo` as they come, when one
    is given; more than `timeout` seconds stops it: EngineError). `trailwatch check` starts
    it before it imports gRPC and Pulumi for the pack, so that those imports overlap the
    program instead of delaying it (docs/performance.md)."""

    def __init__(
        self,
        project: Project,
        *,
        autonames: str = "provider",
        account_id: str = "123456789012",
        organization: str = "organization",
        timeout: float = DEFAULT_TIMEOUT,
        echo: TextIO | None = None,
        invoke_results: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.echo = echo
        self._tmp = tempfile.TemporaryDirectory(prefix="trailwatch-")
        request_path = Path(self._tmp.name) / "request.json"
        self._out_path = Path(self._tmp.name) / "result.json"
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
            "out": str(self._out_path),
        }
        request_path.write_text(json.dumps(request), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        env["PULUMI_DRY_RUN"] = "true"
        env["PYTHONUNBUFFERED"] = "1"  # the program's prints arrive as they happen
        try:
            self._worker = _Worker(
                [sys.executable, "-m", "trailwatch.engine.worker", str(request_path)], project, env, timeout, echo
            )
        except BaseException:
            self._tmp.cleanup()
            raise

    def cancel(self) -> None:
        """Stop the program (the check ends before it needs it)."""
        try:
            self._worker.kill()
        finally:
            self._tmp.cleanup()

    def result(self) -> ProgramRun:
        try:
            returncode, printed = self._worker.wait()
            if not self._out_path.exists():
                if self.echo is not None:  # its output was shown as it ran
                    raise EngineError(
                        f"the program runner died (exit {returncode}) before reporting; its last output is above"
                    )
                tail = "\n".join(printed.strip().splitlines()[-15:])
                raise EngineError(f"the program runner died (exit {returncode}) before reporting:\n{tail}")
            result = json.loads(self._out_path.read_text(encoding="utf-8"))
        finally:
            self._tmp.cleanup()
        if not result.get("ok"):
            error = ProgramError(result.get("error") or "the program failed", printed)
            error.shown = self.echo is not None
            raise error
        return ProgramRun([Registration.from_json(r) for r in result["resources"]], printed)


class _Worker:
    """The worker process, its stdout and stderr collected (and echoed) line by line as they
    come. `wait()` blocks in waitpid: `Popen.wait(timeout)` polls every 50 ms, which a check
    of a small stack would pay at its end; a timer kills the worker at the timeout instead."""

    def __init__(
        self, command: list[str], project: Project, env: dict[str, str], timeout: float, echo: TextIO | None
    ) -> None:
        self.project = project
        self.timeout = timeout
        self.proc = subprocess.Popen(
            command,
            cwd=project.directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._echo = echo
        self._expired = threading.Event()
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        streams = (self.proc.stdout, self.proc.stderr)
        self._pumps = [threading.Thread(target=self._pump, args=(s,), daemon=True) for s in streams if s]
        for thread in self._pumps:
            thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            with self._lock:
                self.lines.append(line)
                if self._echo is not None:
                    self._echo.write(line)
                    self._echo.flush()

    def _expire(self) -> None:
        self._expired.set()
        self.proc.kill()

    def kill(self) -> None:
        self._timer.cancel()
        self.proc.kill()
        self.proc.wait()
        self._join()

    def _join(self) -> None:
        for thread in self._pumps:
            thread.join(timeout=5)

    def wait(self) -> tuple[int, str]:
        try:
            returncode = self.proc.wait()
        except BaseException:  # interrupted (Ctrl-C): the program does not outlive the check
            self.kill()
            raise
        self._timer.cancel()
        self._join()
        if self._expired.is_set():
            raise EngineError(
                f"the program in {self.project.directory} did not finish within {self.timeout:g}s; "
                "raise the limit with --timeout SECONDS if it is just slow"
            )
        return returncode, "".join(self.lines)
