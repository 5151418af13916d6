"""Shared plumbing for the benchmarks: timing, the machine record, the results table (markdown)."""

from __future__ import annotations

import atexit
import functools
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data" / "cloudtrail-samples"
PACKAGES = ("pulumi", "pulumi-aws", "pulumi-policy", "boto3", "moto", "grpcio", "protobuf")


@dataclass
class Result:
    """One benchmark: what was measured, against what, and whether the target holds."""

    name: str
    measured: float  # seconds (or a ratio when `unit` says so)
    baseline: float | None = None
    unit: str = "s"
    target: str = ""
    ok: bool | None = None
    details: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.measured / self.baseline


def compile_sources() -> None:
    """Compile trailwatch's sources to bytecode, as an installed package has them: this
    environment may set PYTHONDONTWRITEBYTECODE, and a source newer than its bytecode is then
    compiled again on every start of every process a benchmark times."""
    import compileall

    for folder in (ROOT / "trailwatch", ROOT / "policy" / "trailwatch_policy"):
        compileall.compile_dir(folder, quiet=1)


def source_tree(dest: Path) -> Path:
    """The files git would put in a clean clone (tracked, plus new ones not ignored), copied to `dest`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def build_dist(hook: str, source: Path, out: Path) -> Path:
    """Run one PEP 517 hook of the pinned setuptools (`build_wheel`, `build_sdist`) in `source`,
    offline and without build isolation; the file it made, in `out`."""
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"setuptools {hook} failed: {proc.stderr[-3000:]}")
    return out / proc.stdout.strip().splitlines()[-1]


def install_wheel(wheel: Path, venv: Path) -> Path:
    """A fresh virtualenv at `venv` with `wheel` installed by pip, without its dependencies
    (offline; pip compiles the bytecode and writes the console script)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
        + ["--disable-pip-version-check", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pip could not install {wheel.name}: {proc.stderr[-3000:]}")
    return venv


@functools.cache
def installed_command() -> Path:
    """`trailwatch` as a user runs it: this checkout's wheel, installed by pip in a throwaway
    virtualenv (bytecode compiled at install, a console script, no import hook of an editable
    install, no PYTHONPATH into the checkout). Its dependencies (botocore...) are this
    interpreter's pinned ones, named by a path file after the venv's own site-packages (the
    folder's own .pth files, the checkout's editable-install hook among them, are not run).
    Built once per benchmark process and removed at its exit."""
    base = Path(tempfile.mkdtemp(prefix="trailwatch-bench-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    (base / "out").mkdir()
    wheel = build_dist("build_wheel", source_tree(base / "src"), base / "out")
    venv = install_wheel(wheel, base / "venv")
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "trailwatch"


def outside_checkout(env: dict[str, str]) -> dict[str, str]:
    """`env` without what would point an installed command at this checkout or its virtualenv."""
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Fastest wall time of `repeat` runs: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_of(fn: Callable[[], float], repeat: int = 5) -> float:
    """Median of `repeat` self-timed runs (for process starts, where outliers are real noise)."""
    return statistics.median(fn() for _ in range(repeat))


def machine() -> dict[str, object]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def sample_records() -> list[dict]:
    return [r for f in sorted(SAMPLES.glob("*.json")) for r in json.loads(f.read_text())]


def _amount(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.3f} {unit}"


def markdown(results: list[Result], info: dict[str, object]) -> str:
    """The table docs/performance.md shows, with the line that says where it was measured."""
    packages = info.get("packages") or {}
    versions = ", ".join(f"{name} {v}" for name, v in packages.items() if v) if isinstance(packages, dict) else ""
    lines = [
        f"Measured {info.get('date')} on {info.get('cores')} cores, Python {info.get('python')}"
        + (f", {versions}" if versions else "")
        + ". Reproduce with `make bench`.",
        "",
        "| benchmark | measured | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [
            r.name.strip(),
            _amount(r.measured, r.unit),
            "" if r.baseline is None else _amount(r.baseline, r.unit),
            "" if r.ratio is None else f"{r.ratio:.2f}",
            r.target,
            {True: "yes", False: "**no**", None: "—"}[r.ok],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_payload(results: list[Result], info: dict[str, object], path: Path) -> None:
    payload = {"machine": info, "results": [asdict(r) | {"ratio": r.ratio} for r in results]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
