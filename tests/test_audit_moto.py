"""`python -m trailwatch audit` against a real AWS API (moto's server on 127.0.0.1).

Each scenario builds an account through boto3 (a compliant chain, or one broken link),
runs the audit as a subprocess exactly as a user would, and checks the verdict, the
finding codes and the exit code. One server for the module, reset between scenarios.

moto quirks met here: log group ARNs end in `:*` (the audit strips it); email
subscriptions are confirmed at once (PendingConfirmation is covered by
test_audit_mapping.py); moto's TestMetricFilter matches everything (unused: patterns are
judged by trailwatch's own engine).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from moto_server import ROOT, Chain, Endpoint, audit, build, isolated_env

CIS_1_4 = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)
SEED_RENDERED = '{($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied")}'
AND_VARIANT = '{ ($.errorCode = "*UnauthorizedOperation") && ($.errorCode = "AccessDenied*") }'

pytestmark = pytest.mark.slow


def codes(report: dict[str, Any]) -> set[str]:
    found = set()
    for account in report["accounts"]:
        found |= {f["code"] for f in account["findings"]}
        for trail in account["trails"]:
            found |= {f["code"] for f in trail["findings"]}
    return found


def test_compliant_account_passes(moto: Endpoint) -> None:
    made = build(moto, Chain())
    code, report, stderr = audit(moto)
    assert (code, report["status"], stderr) == (0, "pass", "")
    [account] = report["accounts"]
    assert account["account"] == made["account"] == "123456789012"
    [trail] = account["trails"]
    assert trail["arn"] == made["trail"] and trail["status"] == "pass" and trail["findings"] == []


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        pytest.param(Chain(trail=None), "no-trail", id="no-trail"),
        pytest.param(Chain(logging=False), "trail-not-logging", id="trail-not-logging"),
        pytest.param(Chain(multi_region=False), "trail-not-multi-region", id="single-region-trail"),
        pytest.param(
            Chain(selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]),
            "trail-management-events",
            id="write-only-selectors",
        ),
        pytest.param(
            Chain(
                selectors=[
                    {
                        "ReadWriteType": "All",
                        "IncludeManagementEvents": True,
                        "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                    }
                ]
            ),
            "trail-excludes-event-sources",
            id="selectors-exclude-kms",
        ),
        pytest.param(Chain(pattern=None), "no-metric-filter", id="no-filter"),
        pytest.param(Chain(pattern=CIS_1_4), "pattern-rejected", id="cis-1.4-flood"),
        pytest.param(Chain(pattern=SEED_RENDERED), "pattern-rejected", id="seed-rendered-exact-values"),
        pytest.param(Chain(pattern=AND_VARIANT), "pattern-rejected", id="and-variant"),
        pytest.param(Chain(alarm_metric="SomethingElse"), "no-alarm", id="alarm-on-another-metric"),
        pytest.param(Chain(alarm=False), "no-alarm", id="no-alarm"),
        pytest.param(Chain(alarm_actions=False), "alarm-no-actions", id="alarm-without-actions"),
        pytest.param(Chain(subscribe=False), "topic-no-subscription", id="topic-without-subscription"),
        pytest.param(Chain(kms_key="alias/aws/sns"), "topic-aws-managed-key", id="managed-key-topic"),
        pytest.param(Chain(create_log_group=False), "log-group-missing", id="log-group-missing"),
    ],
)
def test_each_broken_link_fails(moto: Endpoint, chain: Chain, expected: str) -> None:
    build(moto, chain)
    code, report, stderr = audit(moto)
    assert (code, report["status"]) == (1, "fail"), report
    assert expected in codes(report), codes(report)
    assert stderr == ""
    for account in report["accounts"]:
        for trail in account["trails"]:
            for finding in trail["findings"]:
                assert finding["fix"] and finding["resource"] and finding["message"]
                if finding["code"] == expected:  # the AWS CLI fix leads, Pulumi rides along
                    assert finding["fix"].startswith("aws "), finding
                    assert finding["pulumiFix"] and not finding["pulumiFix"].startswith("aws "), finding


def test_two_trails_one_compliant_passes(moto: Endpoint) -> None:
    build(moto, Chain(trail="broken", log_group="aws-cloudtrail-logs-broken", pattern=SEED_RENDERED, topic="other"))
    build(moto, Chain())
    code, report, _ = audit(moto)
    assert (code, report["status"]) == (0, "pass")
    statuses = {t["name"]: t["status"] for t in report["accounts"][0]["trails"]}
    assert statuses == {"broken": "fail", "main": "pass"}


def test_organisation_trail_with_log_group_in_another_account_is_unknown(moto: Endpoint) -> None:
    build(moto, Chain(log_group_arn="arn:aws:logs:us-east-1:999999999999:log-group:org-trail-logs:*"))
    code, report, _ = audit(moto)
    assert (code, report["status"]) == (2, "unknown")
    [trail] = report["accounts"][0]["trails"]
    assert trail["status"] == "unknown"
    [finding] = [f for f in trail["findings"] if f["code"] == "audit.log-group-other-account"]
    assert "999999999999" in finding["message"] and "--assume-role" in finding["fix"]


def test_log_group_is_read_in_its_own_region(moto: Endpoint) -> None:
    """A multi-region trail homed in eu-west-1 is seen from us-east-1 (shadow trail)."""
    build(moto, Chain(region="eu-west-1"))
    code, report, _ = audit(moto, "--regions", "us-east-1")
    assert (code, report["status"]) == (0, "pass"), report
    [trail] = report["accounts"][0]["trails"]
    assert trail["homeRegion"] == "eu-west-1"


def test_metric_math_alarm_counts(moto: Endpoint) -> None:
    build(moto, Chain(alarm=False))
    topic = moto.client("sns").create_topic(Name="security-alerts")["TopicArn"]
    moto.client("cloudwatch").put_metric_alarm(
        AlarmName="math",
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        Metrics=[
            {
                "Id": "m1",
                "ReturnData": True,
                "MetricStat": {
                    "Metric": {"Namespace": "CISBenchmark", "MetricName": "UnauthorizedAPICalls"},
                    "Period": 300,
                    "Stat": "Sum",
                },
            }
        ],
    )
    code, report, _ = audit(moto)
    assert (code, report["status"]) == (0, "pass"), report


def test_deleted_topic_is_not_a_pass(moto: Endpoint) -> None:
    made = build(moto, Chain())
    moto.client("sns").delete_topic(TopicArn=made["topic"])
    code, report, _ = audit(moto)
    assert (code, report["status"]) == (1, "fail")
    [finding] = [f for f in report["accounts"][0]["trails"][0]["findings"]]
    assert (finding["code"], finding["status"], finding["link"]) == ("alarm-topic-missing", "fail", "alarm")
    assert made["topic"] in finding["message"]
    assert finding["fix"].startswith("aws sns create-topic --region us-east-1 --name ")
    assert "aws.sns.Topic" in finding["pulumiFix"]


def test_assume_role_audits_each_account(moto: Endpoint) -> None:
    sts = moto.client("sts")
    roles = {}
    for account, chain in (("111111111111", Chain()), ("222222222222", Chain(alarm_actions=False))):
        role = f"arn:aws:iam::{account}:role/SecurityAudit"
        credentials = sts.assume_role(RoleArn=role, RoleSessionName="setup")["Credentials"]
        build(
            moto,
            chain,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        roles[account] = role
    code, report, _ = audit(moto, "--assume-role", roles["111111111111"], "--assume-role", roles["222222222222"])
    assert code == 1
    by_account = {a["account"]: (a["status"], a["roleArn"]) for a in report["accounts"]}
    assert by_account == {
        "111111111111": ("pass", roles["111111111111"]),
        "222222222222": ("fail", roles["222222222222"]),
    }


def test_sequential_and_concurrent_scans_agree(moto: Endpoint) -> None:
    build(moto, Chain())
    build(
        moto, Chain(region="eu-west-1", trail="regional", multi_region=False, log_group="aws-cloudtrail-logs-regional")
    )
    regions = "us-east-1,us-west-2,eu-west-1,ap-southeast-2"
    results = []
    for workers in ("1", "16"):
        code, report, _ = audit(moto, "--regions", regions, "--max-workers", workers)
        for account in report["accounts"]:
            account.pop("seconds")
        report.pop("seconds"), report.pop("started")
        results.append((code, report))
    assert results[0] == results[1]
    assert results[0][0] == 0
    assert {t["name"] for t in results[0][1]["accounts"][0]["trails"]} == {"main", "regional"}


def test_text_report_and_output_file(moto: Endpoint, tmp_path: Path) -> None:
    build(moto, Chain(subscribe=False))
    target = tmp_path / "report.txt"
    code, stdout, stderr = audit(moto, "--output", str(target), fmt="text")
    assert (code, stdout, stderr) == (1, "", "")
    text = target.read_text()
    assert "account 123456789012 [us-east-1]: FAIL" in text
    assert "topic-no-subscription" in text and "fix:" in text
    assert text.rstrip().endswith(")") and "result: FAIL" in text


def test_organisation_log_group_judged_in_its_own_account_when_audited_together(moto: Endpoint) -> None:
    """Member account's trail -> log group of the logging account; auditing both resolves it."""
    sts = moto.client("sts")
    roles = {a: f"arn:aws:iam::{a}:role/SecurityAudit" for a in ("111111111111", "333333333333")}

    def credentials(account: str) -> dict[str, str]:
        c = sts.assume_role(RoleArn=roles[account], RoleSessionName="setup")["Credentials"]
        return {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }

    build(moto, Chain(trail="org", log_group="org-trail"), **credentials("111111111111"))
    build(
        moto,
        Chain(log_group_arn="arn:aws:logs:us-east-1:111111111111:log-group:org-trail:*"),
        **credentials("333333333333"),
    )
    code, report, _ = audit(moto, "--assume-role", roles["111111111111"], "--assume-role", roles["333333333333"])
    assert (code, report["status"]) == (0, "pass"), report
    member = next(a for a in report["accounts"] if a["account"] == "333333333333")
    assert member["trails"][0]["findings"] == [] and member["status"] == "pass"
    # Only the member audited: the same trail is UNKNOWN, never PASS.
    code, report, _ = audit(moto, "--assume-role", roles["333333333333"])
    assert (code, report["accounts"][0]["status"]) == (2, "unknown")


def test_all_regions_and_missing_region(moto: Endpoint) -> None:
    build(moto, Chain())
    code, report, _ = audit(moto, "--all-regions")
    assert (code, report["status"]) == (0, "pass")
    # moto lists every region and ignores the opt-in-status filter real AWS applies.
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(report["accounts"][0]["regions"])
    done = subprocess.run(
        [sys.executable, "-m", "trailwatch", "audit", "--endpoint-url", moto.url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}", "AWS_DEFAULT_REGION": ""}),
    )
    assert done.returncode == 2 and done.stderr.startswith("trailwatch audit: error: no region: pass --regions")


def test_pattern_profile_judges_scanner_acceptance_too(moto: Endpoint) -> None:
    """The CIS 1.2 clauses in reverse order: right by meaning, refused by Prowler's regex."""
    build(moto, Chain(pattern='{ ($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation") }'))
    assert audit(moto, "--pattern-profile", "meaning")[0] == 0
    code, report, _ = audit(moto, "--pattern-profile", "prowler")
    assert code == 1 and "pattern-rejected" in codes(report)
    code, _, stderr = audit(moto, "--pattern-profile", "loose")
    assert code == 2 and "--pattern-profile" in stderr
