"""How `trailwatch check` runs its processes (docs/performance.md, "check"): the program starts
before the pack's gRPC and Pulumi imports, the pack is configured while the program runs (as
the CLI does), the pack imports its evaluation once configured, and the command ends without
the interpreter's teardown yet leaves no process behind and loses no output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from trailwatch.__main__ import QUICK_EXIT

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "engine" / "programs" / "basic"
PACK_PYTHON = ROOT / "policy" / "venv" / "bin" / "python"


def _marked() -> tuple[str, dict[str, str]]:
    """A marker variable and this environment with it: every process a command starts inherits it."""
    name, value = "TRAILWATCH_TEST_MARK", uuid.uuid4().hex
    return f"{name}={value}", {**os.environ, name: value}


def _left_behind(marker: str) -> list[str]:
    """The command lines of the processes still running with `marker` in their environment."""
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes().split(b"\0"):
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return left


def test_the_program_starts_before_the_pack_side_is_imported() -> None:
    """The worker is started with no gRPC, Pulumi or pulumi-aws module in the check's process
    yet: those imports (~0.4 s) happen while the program runs."""
    probe = (
        "import sys\n"
        "import trailwatch.engine.program as program\n"
        "class Stop(Exception):\n    pass\n"
        "def started(self, *args, **kwargs):\n"
        "    heavy = sorted(m for m in ('grpc', 'pulumi', 'pulumi_aws', 'google.protobuf') if m in sys.modules)\n"
        "    print('loaded before the program:', heavy)\n"
        "    raise Stop\n"
        "program.ProgramLaunch.__init__ = started\n"
        "from trailwatch.engine.cli import run\n"
        "try:\n"
        f"    run([{str(BASIC)!r}, '--stack', 'dev'])\n"
        "except Stop:\n    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "loaded before the program: []" in done.stdout, done.stdout


def test_check_ends_with_its_code_its_whole_output_and_no_process_left() -> None:
    """`check` skips the teardown (QUICK_EXIT) only after it has waited for the program and the
    pack: every process that inherited its environment is gone when it exits."""
    marker, env = _marked()
    assert "check" in QUICK_EXIT
    done = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(BASIC), "--stack", "dev", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert done.returncode == (1 if any(d["enforcementLevel"] == "mandatory" for d in report["diagnostics"]) else 0)
    assert len(report["resources"]) > 3
    assert _left_behind(marker) == []


def test_the_pack_imports_its_evaluation_once_configured() -> None:
    """warm_on_configure: nothing at start (the port line must not wait), the evaluation's
    modules on a thread after the first Configure; Configure itself still answers."""
    probe = (
        "import sys, threading\n"
        "from pulumi_policy import policy as sdk\n"
        "sdk._PolicyAnalyzerServicer.Configure = lambda self, request, context: 'configured'\n"
        "from trailwatch_policy.edge.policies import EVALUATION_MODULES\n"
        "from trailwatch_policy.edge.sdk import warm_on_configure\n"
        "assert warm_on_configure(EVALUATION_MODULES)\n"
        "print('before:', [m for m in EVALUATION_MODULES if m in sys.modules])\n"
        "print('answer:', sdk._PolicyAnalyzerServicer.Configure(None, None, None))\n"
        "[t.join() for t in threading.enumerate() if t.name == 'trailwatch-warm']\n"
        "print('after:', [m for m in EVALUATION_MODULES if m not in sys.modules])\n"
    )
    done = subprocess.run(
        [str(PACK_PYTHON), "-c", probe], cwd=ROOT / "policy", capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["before: []", "answer: configured", "after: []"]


def test_an_interrupted_check_leaves_no_program_running(tmp_path: Path) -> None:
    """Ctrl-C on `check` alone (SIGINT to its process, not the group) while the program runs:
    one line, exit 2, and the program's worker does not outlive it."""
    program = tmp_path / "forever"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: forever\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (program / "__main__.py").write_text(
        "import sys\nprint('started', file=sys.stderr, flush=True)\nwhile True:\n    pass\n"
    )
    marker, env = _marked()
    check = subprocess.Popen(
        [sys.executable, "-m", "trailwatch", "check", str(program), "--stack", "dev", "--timeout", "90"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A background job of a non-interactive shell ignores SIGINT, and a child inherits that:
        # Python then raises no KeyboardInterrupt. The check gets the default, as at a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert check.stderr is not None
    for line in check.stderr:  # the program's output is streamed as it runs
        if line.strip() == "started":
            break
    os.kill(check.pid, signal.SIGINT)
    err = check.stderr.read()
    assert check.wait(timeout=120) == 2
    assert err.endswith("trailwatch check: error: interrupted\n") and "Traceback" not in err
    assert _left_behind(marker) == []
