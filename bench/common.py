"""Shared plumbing for the benchmarks: timing, the machine record, the results table (markdown)."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
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
