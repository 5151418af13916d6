"""Benchmark 2: AnalyzeStack at 1k, 10k and 50k resources vs a pack with one no-op stack policy.

Like a real preview, each measurement is the one AnalyzeStack call of a freshly started pack
(first-call costs included; nothing left over from an earlier call), both packs on the same
request, interleaved so machine noise hits both alike.
"""

from __future__ import annotations

import time
from pathlib import Path
from statistics import median

from pulumi.runtime.proto import analyzer_pb2

from .common import Result
from .packs import NOOP, TRAILWATCH, running
from .stacks import stack

SIZES = (1_000, 10_000, 50_000)
RUNS = 5
TARGET_10K = 1.3
TARGET_LINEAR = 5.5
TARGET_ALL = 2.0


def _analyze_once(
    pack: Path,
    request: analyzer_pb2.AnalyzeStackRequest,
    level: int | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, int]:
    with running(pack, level=level, env=env) as (stub, _):
        started = time.perf_counter()
        response = stub.AnalyzeStack(request)
        return time.perf_counter() - started, len(response.diagnostics)


def run() -> list[Result]:
    results: list[Result] = []
    measured: dict[int, float] = {}
    for size in SIZES:
        request = stack(size)
        mine, base, diags = [], [], 0
        for _ in range(RUNS):
            took, diags = _analyze_once(TRAILWATCH, request)
            mine.append(took)
            base.append(_analyze_once(NOOP, request)[0])
        measured[size] = median(mine)
        ratio = measured[size] / median(base)
        target = f"ratio <= {TARGET_10K}" if size == 10_000 else ""
        results.append(
            Result(
                name=f"AnalyzeStack {size:,} resources",
                measured=measured[size],
                baseline=median(base),
                target=target,
                ok=(ratio <= TARGET_10K) if size == 10_000 else None,
                details={
                    "runs": RUNS,
                    "diagnostics": diags,
                    "resources": len(request.resources),
                    "trailwatch": mine,
                    "noop": base,
                },
            )
        )
    growth = measured[50_000] / measured[10_000]
    results.append(
        Result(
            name="AnalyzeStack 50k / 10k (linearity)",
            measured=growth,
            unit="x",
            target=f"<= {TARGET_LINEAR}",
            ok=growth <= TARGET_LINEAR,
        )
    )
    return results + all_controls()


def all_controls() -> list[Result]:
    """10k resources, every log group monitored for all 15 controls, every policy on (mandatory):
    the pack as shipped (one shared deserialization, trailwatch_policy.edge.sdk) and with the SDK's
    own per-policy deserialization, against the no-op pack."""
    from pulumi.runtime.proto import analyzer_pb2

    request = stack(10_000, all_controls=True)
    shared, per_policy, base, diags = [], [], [], 0
    for _ in range(RUNS):
        took, diags = _analyze_once(TRAILWATCH, request, analyzer_pb2.MANDATORY)
        shared.append(took)
        per_policy.append(
            _analyze_once(TRAILWATCH, request, analyzer_pb2.MANDATORY, {"TRAILWATCH_SDK_PER_POLICY": "1"})[0]
        )
        base.append(_analyze_once(NOOP, request)[0])
    ratio = median(shared) / median(base)
    return [
        Result(
            name="AnalyzeStack 10,000 resources, all 15 controls on",
            measured=median(shared),
            baseline=median(base),
            target=f"ratio <= {TARGET_ALL}",
            ok=ratio <= TARGET_ALL,
            details={
                "runs": RUNS,
                "diagnostics": diags,
                "resources": len(request.resources),
                "trailwatch": shared,
                "noop": base,
            },
        ),
        Result(
            name="  same, SDK deserializing per policy (not shipped)",
            measured=median(per_policy),
            baseline=median(base),
            details={"runs": RUNS, "trailwatch": per_policy, "noop": base},
        ),
    ]
