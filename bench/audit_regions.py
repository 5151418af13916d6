"""Benchmark 5: the audit over 17 regions against a local moto server, concurrent vs sequential.

Measured twice: against moto as it is (zero latency: both modes are CPU-bound on this
machine's cores, so this bounds what concurrency can win here) and with 50 ms added to each
AWS response, a real endpoint's round trip, which is what concurrency is for. The time is the
audit's own (`seconds` in its JSON), without the interpreter start both modes pay alike.
"""

from __future__ import annotations

import json
import subprocess
import sys
from statistics import median

from .common import ROOT, Result, compile_sources

sys.path.insert(0, str(ROOT / "tests"))
from moto_server import Chain, build, isolated_env, process_server  # noqa: E402

REGIONS = (
    "us-east-1 us-east-2 us-west-1 us-west-2 ca-central-1 eu-west-1 eu-west-2 eu-west-3 "
    "eu-central-1 eu-north-1 ap-south-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 "
    "ap-southeast-1 ap-southeast-2 sa-east-1"
).split()
RUNS = 3
TARGET = 0.3


def _audit(url: str, workers: int) -> float:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trailwatch",
            "audit",
            "--endpoint-url",
            url,
            "--regions",
            ",".join(REGIONS),
            "--controls",
            "4.1",
            "--format",
            "json",
            "--max-workers",
            str(workers),
        ],
        cwd=ROOT,
        env=isolated_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"audit exited {done.returncode}:\n{done.stderr}\n{done.stdout[:2000]}")
    return float(json.loads(done.stdout)["seconds"])


def _measure(latency: float) -> Result:
    with process_server(latency=latency) as endpoint:
        for i, region in enumerate(REGIONS):
            build(
                endpoint,
                Chain(region=region, trail=f"trail-{i}", log_group=f"aws-cloudtrail-logs-{i}", topic=f"alerts-{i}"),
            )
        _audit(endpoint.url, 16)  # warm-up
        sequential = median(_audit(endpoint.url, 1) for _ in range(RUNS))
        concurrent = median(_audit(endpoint.url, 16) for _ in range(RUNS))
    ratio = concurrent / sequential
    return Result(
        name=f"audit 17 regions, {latency * 1000:.0f} ms per call",
        measured=concurrent,
        baseline=sequential,
        target=f"ratio <= {TARGET} (vs sequential)",
        ok=ratio <= TARGET,
        details={"runs": RUNS, "latency_s": latency, "regions": len(REGIONS)},
    )


def run() -> list[Result]:
    compile_sources()
    return [_measure(0.0), _measure(0.05)]
