"""Benchmark 4: `python -m trailwatch check` end to end, where the time goes, and the same stacks
through the real `pulumi preview --policy-pack policy` (the CLI `make cli` builds, with the TEST
STAND-IN providers) in the same run: the dev and prod stacks and a 1,000-resource stack
(bench/programs/large). Target: check takes at most half the real preview's time.

Without the CLI (`make cli` not run: it needs Go) the comparison is skipped and its row says so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from .common import ROOT, Result, compile_sources

RUNS = 5
TARGET = 0.5  # check / preview
PASSPHRASE = "trailwatch-example"  # the example passphrase of Pulumi.prod.yaml's `secure:` value
# (label, program, stack, runs of each): interleaved, median of each
VERSUS = [
    ("dev", ROOT, "dev", 3),
    ("prod", ROOT, "prod", 3),
    ("1,000 resources", ROOT / "bench" / "programs" / "large", "bench", 2),
]
# One preview may take this long before the comparison gives up on it (the 1,000-resource one
# takes ~3 min at load 10 on the 2 shared cores: the real engine and the program's SDK over gRPC).
PREVIEW_TIMEOUT = 1200


def _once() -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", ".", "--stack", "dev", "--timings", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"trailwatch check failed ({done.returncode}):\n{done.stderr}")
    line = next(text for text in done.stderr.splitlines() if text.startswith("timings:"))
    parts = {k: float(v) for k, v in re.findall(r"(\w[\w ]*?) ([\d.]+)s", line.removeprefix("timings: "))}
    return total, parts


def _load() -> str:
    """The 1-, 5- and 15-minute load averages (`uptime`): the machine's cores are shared."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _check(program: Path, stack: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(program), "--stack", stack, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"trailwatch check {program.name} --stack {stack} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return elapsed


def _preview(program: Path, stack: str) -> float:
    """`pulumi preview --policy-pack policy --json` on a staged copy with a fresh file backend
    (the stack is initialised first, untimed), as `make e2e` runs it."""
    from e2e.harness import POLICY, cli_env, stage
    from e2e.harness import TOOLS as tools

    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
        backend = Path(tmp) / "backend"
        backend.mkdir()
        staged = stage(program, Path(tmp) / "program")
        env = cli_env(backend)
        pulumi = str(tools / "bin" / "pulumi")
        subprocess.run(
            [pulumi, "stack", "init", stack, "--non-interactive"],
            cwd=staged,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [pulumi, "preview", "--stack", stack, "--policy-pack", str(POLICY), "--json", "--non-interactive"],
                cwd=staged,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=PREVIEW_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"pulumi preview {program.name} --stack {stack} did not finish in {PREVIEW_TIMEOUT} s "
                f"(load average {_load()})"
            ) from None
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"pulumi preview {program.name} --stack {stack} failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return elapsed


def versus_preview() -> list[Result]:
    """check against the real CLI's preview of the same stacks, interleaved in one run."""
    from e2e.harness import TOOLS as tools

    if not (tools / "bin" / "pulumi").exists():
        return [
            Result(
                name="check vs pulumi preview",
                measured=0.0,
                target="skipped: no Pulumi CLI in .tools/ "
                "(`make cli` builds it from source; it needs Go and the Go module proxy)",
            )
        ]
    results = []
    _preview(ROOT, "dev")  # warm the file cache: the CLI, the stand-ins' and the pack's imports
    for label, program, stack, runs in VERSUS:
        _check(program, stack)  # and the program's own
        checks, previews = [], []
        load = [_load()]
        for _ in range(runs):
            checks.append(_check(program, stack))
            previews.append(_preview(program, stack))
        load.append(_load())
        ratio = median(checks) / median(previews)
        results.append(
            Result(
                name=f"check vs pulumi preview: {label}",
                measured=median(checks),
                baseline=median(previews),
                target=f"ratio <= {TARGET}",
                ok=ratio <= TARGET,
                details={"runs": runs, "check": checks, "preview": previews, "load average before, after": load},
            )
        )
    return results


def run() -> list[Result]:
    compile_sources()
    _once()  # warm the file cache
    runs = [_once() for _ in range(RUNS)]
    total = median(t for t, _ in runs)
    split = {k: median(p[k] for _, p in runs) for k in runs[0][1]}
    split["process start and the rest"] = total - sum(split.values())
    results = [
        Result(name="check dev stack end to end", measured=total, target="(reported)", details={"runs": RUNS, **split})
    ]
    results += [Result(name=f"  of which {k}", measured=v) for k, v in split.items()]
    return results + versus_preview()
