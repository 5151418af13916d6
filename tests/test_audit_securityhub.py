"""`trailwatch audit --security-hub` against moto's Security Hub on a loopback moto server.

What the tests expect comes from the Security Hub documentation (cited in
trailwatch/audit/securityhub.py): findings go to the account they are about, under its
default product ARN; at most 100 findings a call; a finding is updated by importing the same
`Id` with a later `UpdatedAt`; `FailedFindings` names what was not imported.

moto implements BatchImportFindings and GetFindings, but keeps every finding it is given
(no 100-a-call limit, no throttling, no failures) and ignores GetFindings' filters. What it
lacks is put in front of it by the documented test double of tests/moto_server.py
(`process_server(faults=...)`; the session's shared server, `moto` in tests/conftest.py): the
100-findings limit as AWS enforces it, throttled answers (HTTP 429 LimitExceededException)
for the first calls, a FailedFindings answer, a denied call. Each account's findings are read back with that account's own credentials
(moto keeps a Security Hub per account and Region).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from moto_server import Chain, Endpoint, build, isolated_env
from trailwatch.audit import securityhub

ROOT = Path(__file__).resolve().parent.parent
FAILING, PASSING = "111111111111", "222222222222"
REGIONS = ("us-east-1", "eu-west-1")

pytestmark = pytest.mark.slow


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/SecurityAudit"


def keys(endpoint: Endpoint, account: str) -> dict[str, str]:
    made = endpoint.client("sts").assume_role(RoleArn=role(account), RoleSessionName="tests")["Credentials"]
    return {
        "aws_access_key_id": made["AccessKeyId"],
        "aws_secret_access_key": made["SecretAccessKey"],
        "aws_session_token": made["SessionToken"],
    }


def audit(endpoint: Endpoint, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "trailwatch",
        "audit",
        "--endpoint-url",
        endpoint.url,
        "--assume-role",
        role(FAILING),
        "--assume-role",
        role(PASSING),
        "--regions",
        ",".join(REGIONS),
        "--controls",
        "4.1",
        "--security-hub",
        "--format",
        "json",
        "--quiet",
        *extra,
    ]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}),
        capture_output=True,
        text=True,
        timeout=300,
    )


def hub(endpoint: Endpoint, account: str, region: str = "us-east-1") -> dict[str, dict[str, Any]]:
    """The account's findings in that Region, by Id, read with the account's own credentials."""
    client = endpoint.client("securityhub", region, **keys(endpoint, account))
    found: dict[str, dict[str, Any]] = {}
    token = None
    while True:
        page = client.get_findings(**({"NextToken": token} if token else {}))
        found.update({f["Id"]: f for f in page["Findings"]})
        token = page.get("NextToken")
        if not token:
            return found


@pytest.fixture()
def accounts(moto: Endpoint) -> Endpoint:
    """FAILING's alarm notifies no one; PASSING's chain works."""
    build(moto, Chain(alarm_actions=False), **keys(moto, FAILING))
    build(moto, Chain(), **keys(moto, PASSING))
    return moto


def test_findings_land_in_each_accounts_own_security_hub(accounts: Endpoint) -> None:
    done = audit(accounts)
    assert done.returncode == 1, done.stderr  # the audit's verdict (FAIL); every finding imported
    assert "NOT imported" not in done.stderr
    assert "imported into 2 account(s)" in done.stderr
    for account in (FAILING, PASSING):
        for region in REGIONS:
            findings = hub(accounts, account, region)
            assert findings, (account, region)
            assert {f["AwsAccountId"] for f in findings.values()} == {account}
            assert {f["ProductArn"] for f in findings.values()} == {
                f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
            }
    failing = hub(accounts, FAILING)
    verdict = failing[f"trailwatch/{FAILING}/us-east-1/4.1"]
    assert verdict["Compliance"]["Status"] == "FAILED"
    alarm = [f for f in failing.values() if f["Resources"][0]["Type"] == "AwsCloudWatchAlarm"]
    assert [(f["Compliance"]["Status"], f["ProductFields"]["trailwatch/code"]) for f in alarm] == [
        ("FAILED", "alarm-no-actions")
    ]
    assert hub(accounts, PASSING)[f"trailwatch/{PASSING}/us-east-1/4.1"]["Compliance"]["Status"] == "PASSED"


def test_a_second_run_updates_the_same_findings_and_a_fixed_one_is_no_longer_failed(accounts: Endpoint) -> None:
    assert audit(accounts).returncode == 1
    before = hub(accounts, FAILING)
    # fix the broken link: the alarm now notifies the topic
    fix = keys(accounts, FAILING)
    topic = accounts.client("sns", **fix).create_topic(Name="security-alerts")["TopicArn"]
    accounts.client("cloudwatch", **fix).put_metric_alarm(
        AlarmName="Unauthorized_API_Calls",
        MetricName="UnauthorizedAPICalls",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
    )
    done = audit(accounts)
    assert done.returncode == 0, done.stderr
    assert "1 earlier finding(s) now passing archived" in done.stderr
    after = hub(accounts, FAILING)
    assert set(after) == set(before)  # the same ids: updated, not duplicated
    for fid, finding in after.items():
        assert finding["UpdatedAt"] > before[fid]["UpdatedAt"], fid
        assert finding["Compliance"]["Status"] == "PASSED", fid  # never left FAILED
    alarm = [f for f in after.values() if f["Resources"][0]["Type"] == "AwsCloudWatchAlarm"]
    assert [f["RecordState"] for f in alarm] == ["ARCHIVED"]
    # a third run finds nothing more to archive
    assert "archived" not in audit(accounts).stderr


def test_throttled_imports_are_retried(accounts: Endpoint) -> None:
    throttled = [
        "429 Too Many Requests",
        "application/json",
        json.dumps({"__type": "LimitExceededException", "message": "Rate exceeded"}),
    ]
    accounts.control(faults={"reply": {"BatchImportFindings": throttled}, "times": {"BatchImportFindings": 2}})
    done = audit(accounts)
    assert done.returncode == 1 and "NOT imported" not in done.stderr, done.stderr
    state = accounts.control()
    calls = state["counts"]["BatchImportFindings"]
    assert calls == len(state["batches"]) and calls >= 6  # 2 accounts x 2 Regions x (import [+ archive])
    assert hub(accounts, FAILING)[f"trailwatch/{FAILING}/us-east-1/4.1"]["Compliance"]["Status"] == "FAILED"


def test_findings_security_hub_refuses_are_reported_and_exit_2(accounts: Endpoint) -> None:
    refused = [
        "200 OK",
        "application/json",
        json.dumps(
            {
                "FailedCount": 1,
                "SuccessCount": 0,
                "FailedFindings": [
                    {
                        "Id": f"trailwatch/{FAILING}/us-east-1/4.1",
                        "ErrorCode": "InvalidInput",
                        "ErrorMessage": "Finding does not adhere to ASFF",
                    }
                ],
            }
        ),
    ]
    accounts.control(faults={"reply": {"BatchImportFindings@us-east-1": refused}})
    done = audit(accounts)
    assert done.returncode == 2
    assert f"trailwatch/{FAILING}/us-east-1/4.1: InvalidInput: Finding does not adhere to ASFF" in done.stderr, (
        done.stderr
    )
    assert json.loads(done.stdout)["status"] == "fail"  # the report itself is still written


def test_a_denied_import_is_reported_and_exit_2(accounts: Endpoint) -> None:
    denied = [
        "403 Forbidden",
        "application/json",
        json.dumps(
            {"__type": "AccessDeniedException", "message": "not authorized to perform securityhub:BatchImportFindings"}
        ),
    ]
    accounts.control(faults={"reply": {"BatchImportFindings@eu-west-1": denied}})
    done = audit(accounts)
    assert done.returncode == 2
    assert "NOT imported" in done.stderr and "AccessDeniedException" in done.stderr
    assert "eu-west-1" in done.stderr


def test_batches_stay_within_100_findings(moto: Endpoint) -> None:
    client = moto.client("securityhub", "us-east-1")
    account = "123456789012"
    findings = [
        {
            "SchemaVersion": "2018-10-08",
            "Id": f"trailwatch/{account}/us-east-1/4.1/x/{i}",
            "ProductArn": f"arn:aws:securityhub:us-east-1:{account}:product/{account}/default",
            "GeneratorId": "trailwatch/test",
            "AwsAccountId": account,
            "Region": "us-east-1",
            "Types": ["Software and Configuration Checks"],
            "CreatedAt": "2026-01-01T00:00:00.000Z",
            "UpdatedAt": "2026-01-01T00:00:00.000Z",
            "Severity": {"Label": "LOW"},
            "Title": "t",
            "Description": "d",
            "Resources": [{"Type": "Other", "Id": f"r{i}"}],
        }
        for i in range(250)
    ]
    result = securityhub.send(client, account, "us-east-1", findings)
    assert (result.imported, result.failures) == (250, [])
    assert moto.control()["batches"] == [100, 100, 50]
    # the double refuses what AWS refuses: not a vacuous limit
    with pytest.raises(Exception, match="InvalidInputException"):
        client.batch_import_findings(Findings=findings[:101])


def test_batches_also_stay_within_6_mb() -> None:
    big = [{"Id": str(i), "Description": "x" * (200 * 1024)} for i in range(64)]
    sizes = [sum(securityhub.size(f) for f in b) for b in securityhub.batches(big)]
    assert all(s <= securityhub.MAX_BATCH_BYTES for s in sizes) and len(sizes) == 3
    assert sum(len(b) for b in securityhub.batches(big)) == 64


def test_a_stale_finding_is_sent_back_passed_and_archived_with_only_what_a_provider_sends() -> None:
    found: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": "trailwatch/1/us-east-1/4.1/x/y",
        "Severity": {"Label": "LOW"},
        "Compliance": {"Status": "FAILED", "StatusReasons": [{"ReasonCode": "c"}]},
        "RecordState": "ACTIVE",
        "Description": "the alarm has no alarm actions",
        "ProductFields": {"trailwatch/code": "alarm-no-actions", "aws/securityhub/FindingId": "arn:..."},
        # what Security Hub adds and a provider may not send back
        "WorkflowState": "NEW",
        "Workflow": {"Status": "NEW"},
        "ProcessedAt": "2026-01-01T00:00:00.000Z",
    }
    back = securityhub.passed(found, "2026-02-01T00:00:00.000Z")
    assert back["Compliance"] == {"Status": "PASSED"} and back["RecordState"] == "ARCHIVED"
    assert back["Severity"] == {"Label": "INFORMATIONAL"} and back["UpdatedAt"] == "2026-02-01T00:00:00.000Z"
    assert back["ProductFields"] == {"trailwatch/code": "alarm-no-actions"}
    assert not {"WorkflowState", "Workflow", "ProcessedAt"} & set(back)
    assert found["Compliance"]["Status"] == "FAILED"  # the finding read is not changed
