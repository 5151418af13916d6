"""Benchmark 7: one account, all fifteen CIS monitoring controls, against Prowler's checks.

One moto server (its own process, loopback) holds one account with the whole section
deployed as a team would: one trail, one log group, one filter + alarm per control, one
topic with an email subscription (the account every control passes on). Measured, each
the median of `REPEAT` runs of the whole command from process start to exit:

- trailwatch: `trailwatch audit --controls all` (the fifteen controls) as installed: this
  checkout's wheel, installed by pip in a throw-away virtualenv (`common.installed_command`),
  as Prowler is. The account's own time comes from the JSON report (`seconds`: reads and
  judgement, no process start-up). The same command from the checkout (`python -m trailwatch`
  with PYTHONPATH, through the editable install's import hook; what this bench timed until
  2026-12-07) is run after each installed run and reported beside it;
- Prowler: `prowler aws --checks <its fifteen CIS 4.x checks>` on the same server (median of
  `PROWLER_REPEAT` runs, 3 unless the environment sets it, interleaved with trailwatch's), from a
  separate throw-away virtualenv (`PROWLER_VENV`, default /tmp/f21-prowler/venv; Prowler is
  not a project dependency). Prowler has no endpoint option: botocore's documented
  `AWS_ENDPOINT_URL` environment variable points every client at the server
  (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).

Each run's CPU time (user + system, from the kernel's accounting of the waited-for child) is
reported beside its wall time: both programs are CPU-bound on one core, and CPU time does not
count what a shared machine's neighbours take. When Prowler is not installed, or does not run
against moto, the row says so (its error) and only trailwatch is measured. Target: Prowler's
time / trailwatch's >= 50, on the whole commands' wall time.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any, NamedTuple

from .common import ROOT, Result, compile_sources, installed_command, outside_checkout

sys.path.insert(0, str(ROOT / "tests"))
from moto_server import Chain, Endpoint, add_controls, build, isolated_env, process_server  # noqa: E402

REPEAT = 12
#: each Prowler run takes minutes against moto (PROWLER_REPEAT=1 in the environment: one run)
PROWLER_REPEAT = max(1, int(os.environ.get("PROWLER_REPEAT", "3") or 3))
TARGET = 50.0
PROWLER_VENV = Path(os.environ.get("PROWLER_VENV", "/tmp/f21-prowler/venv"))
# Prowler's checks for the CIS monitoring section (CIS 4.1 .. 4.15 of CIS 3.0; 3.x of CIS 1.2),
# as its compliance mapping for cis_3.0_aws names them.
PROWLER_CHECKS = (
    "cloudwatch_log_metric_filter_unauthorized_api_calls",
    "cloudwatch_log_metric_filter_sign_in_without_mfa",
    "cloudwatch_log_metric_filter_root_usage",
    "cloudwatch_log_metric_filter_policy_changes",
    "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
    "cloudwatch_log_metric_filter_authentication_failures",
    "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
    "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
    "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
    "cloudwatch_log_metric_filter_security_group_changes",
    "cloudwatch_changes_to_network_acls_alarm_configured",
    "cloudwatch_changes_to_network_gateways_alarm_configured",
    "cloudwatch_changes_to_network_route_tables_alarm_configured",
    "cloudwatch_changes_to_vpcs_alarm_configured",
    "cloudwatch_log_metric_filter_aws_organizations_changes",
)


def deploy(endpoint: Endpoint) -> None:
    """The whole section on one trail's log group and one topic (each control's own text)."""
    from trailwatch_policy.controls import CONTROLS

    made = build(endpoint, Chain(pattern=CONTROLS[0].pattern))
    add_controls(endpoint, made["topic"], CONTROLS[1:])


class Timed(NamedTuple):
    done: subprocess.CompletedProcess[str]
    wall: float  # seconds, process start to exit
    cpu: float  # the process's user + system CPU seconds (its children's included)


def _timed(command: list[str], **options: Any) -> Timed:
    """Run `command` to its end (subprocess.run's options): its wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(done, wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


class Run(NamedTuple):
    wall: float
    cpu: float
    own: float  # the account's own seconds, from the report
    report: dict[str, Any]


AUDIT = ("audit", "--controls", "all", "--regions", "us-east-1", "--format", "json", "--quiet")


def _trailwatch(endpoint: Endpoint, installed: bool = True) -> Run:
    """One audit of all controls: the installed command, or `python -m trailwatch` in the checkout."""
    if installed:
        command = [str(installed_command()), *AUDIT]
        env, cwd = outside_checkout(isolated_env()), None
    else:
        command = [sys.executable, "-m", "trailwatch", *AUDIT]
        env, cwd = isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}), ROOT
    done, wall, cpu = _timed([*command, "--endpoint-url", endpoint.url], cwd=cwd, env=env)
    report = json.loads(done.stdout or "{}")
    if done.returncode != 0 or report.get("status") != "pass":
        raise RuntimeError(f"trailwatch audit exited {done.returncode}: {done.stderr[:2000]}")
    return Run(wall, cpu, float(report["accounts"][0]["seconds"]), report)


def _prowler(endpoint: Endpoint) -> tuple[Timed | None, str, dict[str, int]]:
    """(the run or None, why not / the command, PASS/FAIL counts) of one Prowler run."""
    binary = PROWLER_VENV / "bin" / "prowler"
    if not binary.exists():
        return None, f"Prowler is not installed at {binary} (pip install prowler==5.46.0 into that venv)", {}
    env = outside_checkout(isolated_env({"AWS_ENDPOINT_URL": endpoint.url}))
    with tempfile.TemporaryDirectory() as folder:
        command = [
            str(binary),
            "aws",
            "--checks",
            *PROWLER_CHECKS,
            "--region",
            "us-east-1",
            "--output-formats",
            "json-ocsf",
            "--output-directory",
            folder,
            "--no-banner",
            "--ignore-exit-code-3",
        ]
        timed = _timed(command, env=env, timeout=600)
        done = timed.done
        outputs = list(Path(folder).glob("*.ocsf.json"))
        if done.returncode != 0 or not outputs:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return None, f"prowler exited {done.returncode}: " + " | ".join(tail), {}
        findings = json.loads(outputs[0].read_text() or "[]")
    counts: dict[str, int] = {}
    for finding in findings:
        status = str(finding.get("status_code", "?"))
        counts[status] = counts.get(status, 0) + 1
    return timed, "prowler aws --checks <15 checks> --region us-east-1", counts


def run() -> list[Result]:
    compile_sources()  # the checkout's runs
    installed_command()  # built before anything is timed
    with process_server() as endpoint:
        deploy(endpoint)
        _trailwatch(endpoint)  # warm the file cache
        _trailwatch(endpoint, installed=False)
        # Interleaved: a few trailwatch runs before each Prowler run. The shared cores' speed
        # drifts by 10-20% over minutes; runs made minutes apart compare the drift too.
        runs: list[Run] = []
        checkout: list[Run] = []  # the same command from the checkout, one after each installed run
        prowler_runs: list[Timed] = []
        why, counts = "", {}
        per_round = -(-REPEAT // PROWLER_REPEAT)
        paired: list[float] = []  # each Prowler run / the trailwatch runs just before it
        for _ in range(PROWLER_REPEAT):
            before = [_trailwatch(endpoint) for _ in range(per_round)]
            runs += before
            checkout += [_trailwatch(endpoint, installed=False) for _ in range(per_round)]
            timed, why, found = _prowler(endpoint)
            if timed is None:
                break
            prowler_runs.append(timed)
            paired.append(timed.wall / median(r.wall for r in before))
            counts = found
        while len(runs) < REPEAT:
            runs.append(_trailwatch(endpoint))
            checkout.append(_trailwatch(endpoint, installed=False))
        wall = median(r.wall for r in runs)
        cpu = median(r.cpu for r in runs)
        own = median(r.own for r in runs)
        calls = runs[0].report["accounts"][0]["apiCalls"]
        results = [
            Result(
                name="audit 1 account, 15 controls: whole command",
                measured=wall,
                unit="s",
                target="reported",
                details={"api_calls": calls, "runs": [round(r.wall, 3) for r in runs], "cpu": round(cpu, 3)},
            ),
            Result(
                name="the same, from the checkout (python -m trailwatch, PYTHONPATH)",
                measured=median(r.wall for r in checkout),
                unit="s",
                target="reported",
                details={"cpu": round(median(r.cpu for r in checkout), 3)},
            ),
            Result(
                name="audit 1 account, 15 controls: the account (reads + judgement)",
                measured=own,
                unit="s",
                target="reported",
            ),
        ]
        if not prowler_runs:
            results.append(
                Result(
                    name="Prowler, 15 CIS monitoring checks: not measured",
                    measured=0.0,
                    unit="s",
                    target=f">= {TARGET:.0f}x",
                    ok=None,
                    details={"why": why},
                )
            )
            return results
        prowler = median(p.wall for p in prowler_runs)
        prowler_cpu = median(p.cpu for p in prowler_runs)
        results += [
            Result(
                name="Prowler 5.46.0, the same 15 checks, same account",
                measured=prowler,
                unit="s",
                target="reported",
                details={
                    "findings": counts,
                    "runs": [round(p.wall, 1) for p in prowler_runs],
                    "cpu": round(prowler_cpu, 1),
                },
            ),
            Result(
                name="Prowler / trailwatch, whole commands",
                measured=prowler / wall,
                unit="x",
                target=f">= {TARGET:.0f}x",
                ok=prowler / wall >= TARGET,
                # the same ratio per round (how much the machine's drift moves it)
                details={"per_round": [round(p, 1) for p in paired]},
            ),
            Result(
                name="Prowler / trailwatch, whole commands' CPU time",
                measured=prowler_cpu / cpu,
                unit="x",
                target="reported",
            ),
            Result(
                name="Prowler's whole run / trailwatch's account time",
                measured=prowler / own,
                unit="x",
                target="reported",
            ),
        ]
    return results
