"""Benchmark 6: the audit at organisation scale, and its start-up, against a moto server.

The audit runs as installed (`common.installed_command`: this checkout's wheel in a throwaway
virtualenv), as a user or a CI runner runs it.

- start-up: from `Popen` to the first AWS request the server receives (the audit's
  sts:GetCallerIdentity), median of 5. Paid by every shard and every per-account runner.
- growth: 10, 100 and 500 accounts x 4 regions (`--accounts FILE`: moto maps each assumed
  role to its own account, every account holds a compliant chain) with 50 ms added to
  every AWS response. Wall time per account-region must stay flat (500 vs 10 within 1.5x);
  calls/s, CPU per account and the audit process's peak memory are reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

from .common import ROOT, Result, installed_command, outside_checkout

sys.path.insert(0, str(ROOT / "tests"))
from moto_server import Chain, Endpoint, build, isolated_env, process_server  # noqa: E402

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1")
SIZES = (10, 100, 500)
LATENCY = 0.05
STARTUP_TARGET = 0.3
GROWTH_TARGET = 1.5
ROLE = "SecurityAudit"


def _env() -> dict[str, str]:
    return outside_checkout(isolated_env())


def _startup(endpoint: Endpoint) -> float:
    """Seconds from process creation to the first AWS request, one run."""
    endpoint.control(faults={})  # resets the server's first-request clock
    started = time.time()
    subprocess.run(
        [
            str(installed_command()),
            "audit",
            "--endpoint-url",
            endpoint.url,
            "--regions",
            "us-east-1",
            "--controls",
            "4.1",
            "--format",
            "json",
            "--quiet",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        check=False,
    )
    first = endpoint.control()["first"]
    if first is None:
        raise RuntimeError("the audit made no AWS request")
    return float(first) - started


def _credentials(endpoint: Endpoint, account: str) -> dict[str, str]:
    made = endpoint.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="build")[
        "Credentials"
    ]
    return {
        "aws_access_key_id": made["AccessKeyId"],
        "aws_secret_access_key": made["SecretAccessKey"],
        "aws_session_token": made["SessionToken"],
    }


def _start(endpoint: Endpoint, accounts: list[str], folder: str, output: int) -> subprocess.Popen[bytes]:
    """The audit of `accounts` (a file of ids, each through ROLE) in 4 regions, started."""
    listing = Path(folder) / "accounts.txt"
    listing.write_text("\n".join(accounts) + "\n")
    return subprocess.Popen(
        [
            str(installed_command()),
            "audit",
            "--endpoint-url",
            endpoint.url,
            "--accounts",
            str(listing),
            "--role-name",
            ROLE,
            "--regions",
            ",".join(REGIONS),
            "--controls",
            "4.1",
            "--format",
            "json",
            "--quiet",
            "--max-workers",
            "32",
            "--max-accounts",
            "16",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=output,
        stderr=output,
    )


def _audit(endpoint: Endpoint, accounts: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        child = _start(endpoint, accounts, folder, subprocess.PIPE)
        out, err = child.communicate()
    report = json.loads(out or b"{}")
    if child.returncode != 0 or report.get("status") != "pass":
        raise RuntimeError(f"audit exited {child.returncode}: {err.decode()[:2000]}")
    return dict(report)


def _growth(endpoint: Endpoint) -> list[Result]:
    accounts = [f"{200000000000 + n:012d}" for n in range(max(SIZES))]
    for account in accounts:  # at zero latency: building is not what is measured
        build(endpoint, Chain(), **_credentials(endpoint, account))
    endpoint.control(latency=LATENCY)
    rows: list[dict[str, Any]] = []
    for size in SIZES:
        before = os.times()
        report = _audit(endpoint, accounts[:size])
        after = os.times()
        calls = sum(a["apiCalls"] for a in report["accounts"])
        rows.append(
            {
                "accounts": size,
                "seconds": report["seconds"],
                "calls": calls,
                "cpu_s": (after.children_user - before.children_user)
                + (after.children_system - before.children_system),
            }
        )
    endpoint.control(latency=0)
    per_unit = {r["accounts"]: r["seconds"] / (r["accounts"] * len(REGIONS)) for r in rows}
    small, large = per_unit[SIZES[0]], per_unit[SIZES[-1]]
    results = []
    for row in rows:
        results.append(
            Result(
                name=f"audit {row['accounts']} accounts x {len(REGIONS)} regions, 50 ms per call",
                measured=row["seconds"],
                unit="s",
                target="-",
                details={
                    "per_account_region_s": round(per_unit[row["accounts"]], 4),
                    "calls": row["calls"],
                    "calls_per_s": round(row["calls"] / row["seconds"], 1),
                    "cpu_s_per_account": round(row["cpu_s"] / row["accounts"], 4),
                },
            )
        )
    results.append(
        Result(
            name=f"audit growth: per account-region, {SIZES[-1]} vs {SIZES[0]} accounts",
            measured=large,
            baseline=small,
            unit="s",
            target=f"ratio <= {GROWTH_TARGET}",
            ok=large / small <= GROWTH_TARGET,
        )
    )
    return results


def _peak_memory(endpoint: Endpoint) -> Result:
    """Peak RSS of one 500-account audit process (`/usr/bin/time`-free: os.wait4's rusage)."""
    accounts = [f"{200000000000 + n:012d}" for n in range(max(SIZES))]
    endpoint.control(latency=LATENCY)
    with tempfile.TemporaryDirectory() as folder:
        child = _start(endpoint, accounts, folder, subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
    endpoint.control(latency=0)
    return Result(
        name=f"audit {max(SIZES)} accounts: peak memory of the audit process",
        measured=usage.ru_maxrss / 1024,
        unit="MiB",
        target="reported",
    )


def run() -> list[Result]:
    installed_command()  # built before anything is timed
    with process_server() as endpoint:
        build(endpoint, Chain())
        _startup(endpoint)  # warm the file cache
        startup = median(_startup(endpoint) for _ in range(5))
        results = [
            Result(
                name="audit start-up: process start to first AWS request",
                measured=startup,
                unit="s",
                target=f"<= {STARTUP_TARGET} s",
                ok=startup <= STARTUP_TARGET,
            )
        ]
        endpoint.reset()
        results += _growth(endpoint)
        results.append(_peak_memory(endpoint))
    return results
