"""The audit never says FAIL for what it could not read, and never pastes a server's page.

Each fault is injected in front of a real moto server (tests/moto_server.py `faults`):
an HTML page with HTTP 200 (a proxy or captive portal), an HTML 5xx, a 403 with a
non-JSON body, a failing STS at start-up. Request counts come from the server, so
"N attempts in total" is counted, not assumed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from moto_server import Chain, Endpoint, audit, build

HTML = "<!DOCTYPE html><html><body><h1>Corporate proxy</h1>Please sign in</body></html>"
JSON_TYPE = "application/x-amz-json-1.1"

pytestmark = pytest.mark.slow


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for account in report["accounts"]:
        out += account["findings"]
        for trail in account["trails"]:
            out += trail["findings"]
    return out


def test_an_html_page_with_status_200_is_unknown_not_no_trail(moto: Endpoint) -> None:
    build(moto, Chain())
    moto.control(faults={"reply": {"DescribeTrails": ["200 OK", "text/html", HTML]}})
    code, report, stderr = audit(moto)
    assert (code, report["status"], stderr) == (2, "unknown", "")
    by_code = {f["code"]: f for f in findings(report)}
    assert by_code["no-trail"]["status"] == "unknown"  # never a FAIL for what was not read
    assert "not an AWS API response" in by_code["audit.api-error"]["message"]
    assert "<html" not in json.dumps(report).lower()


def test_listing_fails_in_one_region_only(moto: Endpoint) -> None:
    moto.control(faults={"reply": {"DescribeTrails@eu-west-1": ["503 Service Unavailable", "text/html", HTML]}})
    code, report, _ = audit(moto, "--regions", "us-east-1,eu-west-1", "--max-attempts", "1")
    assert (code, report["status"]) == (2, "unknown")
    [no_trail] = [f for f in findings(report) if f["code"] == "no-trail"]
    assert no_trail["status"] == "unknown"
    assert "could not be listed in eu-west-1" in no_trail["message"]


def test_max_attempts_is_attempts_in_total_and_html_is_not_pasted(moto: Endpoint) -> None:
    moto.control(faults={"reply": {"DescribeTrails": ["503 Service Unavailable", "text/html", HTML]}})
    code, report, _ = audit(moto, "--max-attempts", "2")
    assert code == 2
    assert moto.control()["counts"]["DescribeTrails"] == 2
    [gap] = [f for f in findings(report) if f["code"] == "audit.api-error"]
    assert "HTTP 503 with a body that is not an AWS error" in gap["message"]
    assert "proxy" not in json.dumps(report).lower()


def test_a_403_with_a_non_json_body_is_access_denied(moto: Endpoint) -> None:
    build(moto, Chain())
    moto.control(faults={"reply": {"DescribeMetricFilters": ["403 Forbidden", "text/html", HTML]}})
    code, report, _ = audit(moto)
    assert (code, report["status"]) == (2, "unknown")
    [denied] = [f for f in findings(report) if f["code"] == "audit.access-denied"]
    assert "logs:DescribeMetricFilters" in denied["message"] and "<html" not in denied["message"].lower()


def test_a_failing_sts_at_start_up_is_one_attempt_and_not_a_credentials_problem(moto: Endpoint) -> None:
    moto.control(faults={"reply": {"GetCallerIdentity": ["500 Internal Server Error", "text/html", HTML]}})
    code, report, stderr = audit(moto)
    assert (code, report) == (2, None)
    assert moto.control()["counts"]["GetCallerIdentity"] == 1
    assert stderr.startswith("trailwatch audit: error: the AWS STS service failed at start-up")
    assert "credentials were not judged" in stderr and stderr.count("\n") == 1 and "<html" not in stderr


def test_rejected_credentials_are_a_credentials_problem(moto: Endpoint) -> None:
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
        "<Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>"
    )
    moto.control(faults={"reply": {"GetCallerIdentity": ["403 Forbidden", "text/xml", body]}})
    code, _, stderr = audit(moto)
    assert code == 2 and stderr.startswith(
        "trailwatch audit: error: AWS rejected the credentials (InvalidClientTokenId"
    )


def test_an_unknown_region_name_is_an_error(moto: Endpoint) -> None:
    code, report, stderr = audit(moto, "--regions", "us-east-1,eu-north-9")
    assert (code, report) == (2, None)
    assert stderr.startswith("trailwatch audit: error: --regions: 'eu-north-9' is not a region of the aws partition")
