"""The audit at organisation scale against one moto server holding many accounts.

moto keys its state by account: credentials from `sts:AssumeRole` into
`arn:aws:iam::<id>:role/...` act in account <id>, so each member account below really
holds its own trails, log groups, alarms and topics. What moto cannot do -- deny an
AssumeRole, answer with a proxy's HTML page, fail with a 5xx -- is injected in front of
it by `Endpoint.control(faults=...)` (tests/moto_server.py), a documented test double.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from moto_server import ROOT, Chain, Endpoint, build, isolated_env
from moto_server import audit as run_audit

MANAGEMENT = "123456789012"  # moto's default account: the caller's own
REGIONS = "us-east-1,eu-west-1"
ROLE = "SecurityAudit"
CIS_1_4_ONLY_EC2 = '{ $.errorCode = "*UnauthorizedOperation" }'

pytestmark = pytest.mark.slow
audit = functools.partial(run_audit, fmt=None, regions=None, timeout=300)  # every call names both


def credentials(endpoint: Endpoint, account: str) -> dict[str, str]:
    """Credentials that act in `account` (moto maps an assumed role to its account)."""
    made = endpoint.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="build")[
        "Credentials"
    ]
    return {
        "aws_access_key_id": made["AccessKeyId"],
        "aws_secret_access_key": made["SecretAccessKey"],
        "aws_session_token": made["SessionToken"],
    }


@pytest.fixture(scope="module")
def org(moto_endpoint: Endpoint) -> Iterator[tuple[Endpoint, dict[str, str], str]]:
    """12 active accounts (the management account and 11 members) and one suspended, built once
    for this module on the session's moto server (tests/conftest.py), emptied before and after.

    Expected verdicts are set by what each account is built with, not read from the audit.
    """
    endpoint = moto_endpoint
    endpoint.fresh()
    try:
        organizations = endpoint.client("organizations")
        organizations.create_organization(FeatureSet="ALL")
        members = []
        for i in range(12):
            status = organizations.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")
            members.append(status["CreateAccountStatus"]["AccountId"])
        suspended = members.pop()
        organizations.close_account(AccountId=suspended)
        expected: dict[str, str] = {}

        def make(account: str, chain: Chain | None, verdict: str) -> None:
            if chain is not None:
                keys = {} if account == MANAGEMENT else credentials(endpoint, account)
                build(endpoint, chain, **keys)
            expected[account] = verdict

        make(MANAGEMENT, Chain(), "pass")  # audited with the caller's own credentials
        central = members[0]
        make(central, Chain(log_group="org-trail-logs"), "pass")
        make(members[1], Chain(), "pass")
        make(members[2], Chain(region="eu-west-1"), "pass")
        make(members[3], None, "fail")  # no trail at all
        make(members[4], Chain(alarm_actions=False), "fail")
        make(members[5], Chain(pattern=CIS_1_4_ONLY_EC2), "fail")
        make(members[6], Chain(logging=False), "fail")
        # An organisation-style trail delivering to the central account's log group: judged
        # by the central account's chain, which is audited in the same run.
        make(
            members[7],
            Chain(
                create_log_group=False,
                pattern=None,
                alarm=False,
                subscribe=False,
                log_group_arn=f"arn:aws:logs:us-east-1:{central}:log-group:org-trail-logs:*",
            ),
            "pass",
        )
        # ... and one delivering to an account outside the organisation: not readable.
        make(
            members[8],
            Chain(
                create_log_group=False,
                pattern=None,
                alarm=False,
                subscribe=False,
                log_group_arn="arn:aws:logs:us-east-1:999999999999:log-group:elsewhere:*",
            ),
            "unknown",
        )
        make(members[9], Chain(), "unknown")  # its audit role cannot be assumed (below)
        make(members[10], Chain(subscribe=False), "fail")
        endpoint.control(faults={"deny_assume": [f"arn:aws:iam::{members[9]}:role/{ROLE}"]})
        yield endpoint, expected, suspended
    finally:
        endpoint.fresh()


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {a["account"]: a["status"] for a in report["accounts"]}


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without what differs between runs (timings, start time)."""
    out = {k: v for k, v in report.items() if k not in ("seconds", "started", "shard")}
    out["accounts"] = [{k: v for k, v in a.items() if k != "seconds"} for a in report["accounts"]]
    return out


def test_an_organisation_of_12_accounts_each_with_its_own_verdict(org: tuple[Endpoint, dict[str, str], str]) -> None:
    endpoint, expected, suspended = org
    code, report, stderr = audit(
        endpoint, "--organization", "--role-name", ROLE, "--regions", REGIONS, "--format", "json"
    )
    assert stderr == ""
    assert verdicts(report) == expected
    assert len(report["accounts"]) == 12 and code == 2 and report["status"] == "unknown"
    assert [s["account"] for s in report["skippedAccounts"]] == [suspended]
    assert report["skippedAccounts"][0]["status"] == "SUSPENDED"
    by_id = {a["account"]: a for a in report["accounts"]}
    assert by_id[MANAGEMENT]["roleArn"] is None  # the caller's own account: no role assumed
    unreachable = [
        a for a in report["accounts"] if a["findings"] and a["findings"][0]["code"] == "audit.account-unreachable"
    ]
    assert len(unreachable) == 1 and "sts:AssumeRole" in unreachable[0]["findings"][0]["message"]
    # Each account's reads happened in that account: the failing ones name their own ARNs.
    for account, data in by_id.items():
        for trail in data["trails"]:
            assert f":{account}:" in trail["arn"]


def test_accounts_file_audits_the_same_accounts(org: tuple[Endpoint, dict[str, str], str], tmp_path: Path) -> None:
    endpoint, expected, _ = org
    listing = tmp_path / "accounts.txt"
    lines = ["# the organisation, without Organizations"]
    for account in sorted(expected):
        lines.append(account if account != MANAGEMENT else f"arn:aws:iam::{account}:role/{ROLE}  # by ARN")
    listing.write_text("\n".join(lines) + "\n")
    code, report, stderr = audit(endpoint, "--accounts", str(listing), "--regions", REGIONS, "--format", "json")
    assert (code, stderr) == (2, "")
    assert verdicts(report) == expected


def test_four_shards_merged_equal_the_single_run(org: tuple[Endpoint, dict[str, str], str], tmp_path: Path) -> None:
    endpoint, expected, _ = org
    common = ("--organization", "--role-name", ROLE, "--regions", REGIONS, "--format", "json")
    _, whole, _ = audit(endpoint, *common)
    paths: list[str] = []
    seen: list[str] = []
    for index in range(1, 5):
        code, shard, stderr = audit(endpoint, *common, "--shard", f"{index}/4")
        assert stderr == "" and shard["shard"] == {"index": index, "count": 4}
        seen.extend(a["account"] for a in shard["accounts"])
        path = tmp_path / f"shard-{index}.json"
        path.write_text(json.dumps(shard))
        paths.append(str(path))
    assert sorted(seen) == sorted(expected)  # every account in exactly one shard
    merged_code = subprocess.run(
        [sys.executable, "-m", "trailwatch", "audit", "merge", *paths, "--format", "json"],
        cwd=ROOT,
        env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    merged = json.loads(merged_code.stdout)
    assert merged_code.returncode == 2 and merged_code.stderr == ""
    assert comparable(merged) == comparable(whole)
    # The organisation trail whose log group lives in another shard's account is resolved.
    assert verdicts(merged) == expected
    # SARIF and text come from the same merged report.
    sarif = subprocess.run(
        [sys.executable, "-m", "trailwatch", "audit", "merge", *paths, "--format", "sarif"],
        cwd=ROOT,
        env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sarif.returncode == 2 and json.loads(sarif.stdout)["version"] == "2.1.0"
    missing = subprocess.run(
        [sys.executable, "-m", "trailwatch", "audit", "merge", *paths[:3]],
        cwd=ROOT,
        env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert missing.stderr == (
        "trailwatch audit merge: error: shard(s) 4/4 missing: pass every shard's report (or --allow-missing-shards)\n"
    )
