"""The shared moto fixtures (tests/conftest.py) give each test an empty server: what one test
builds, injects or enforces is gone for the next."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from moto_server import Endpoint

pytestmark = pytest.mark.slow


def test_fresh_forgets_resources_faults_and_iam_enforcement(moto: Endpoint) -> None:
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="left-behind")
    moto.control(faults={"reply": {"DescribeTrails": ["503 Service Unavailable", "text/html", "<html/>"]}})
    iam = moto.client("iam")
    iam.create_user(UserName="nobody")  # no policy: denied everything once IAM is enforced
    keys = iam.create_access_key(UserName="nobody")["AccessKey"]
    moto.enforce_iam(after=0)
    as_nobody = {
        "aws_access_key_id": keys["AccessKeyId"],
        "aws_secret_access_key": keys["SecretAccessKey"],
        "aws_session_token": "",
    }
    with pytest.raises(ClientError) as denied:
        moto.client("logs", **as_nobody).describe_log_groups()
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    moto.fresh()

    assert moto.control()["counts"] == {}  # faults reset (and with them the request counts)
    assert moto.client("logs").describe_log_groups()["logGroups"] == []
    assert moto.client("cloudtrail").describe_trails()["trailList"] == []  # no injected 503
    moto.client("logs", **as_nobody).describe_log_groups()  # IAM no longer enforced (the user is gone too)


def test_the_session_server_is_one_loopback_server(moto: Endpoint, moto_endpoint: Endpoint) -> None:
    assert moto is moto_endpoint
    assert moto.url.startswith("http://127.0.0.1:")
