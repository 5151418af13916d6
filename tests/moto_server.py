"""A real AWS API (moto's server) on 127.0.0.1, for tests and the benchmark.

Tests talk to it over HTTP exactly like the audit talks to AWS, so the boto3 calls,
pagination and error mapping are exercised for real. Only loopback is ever bound, the
port is chosen by the OS (port 0), and every server holds its own accounts. The tests share
one server per session (tests/conftest.py) and `fresh()` empties it between scenarios.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class Endpoint:
    url: str

    def reset(self) -> None:
        """Forget every resource of every account (moto's `/moto-api/reset`)."""
        request = urllib.request.Request(self.url + "/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            response.read()

    def enforce_iam(self, after: float) -> None:
        """moto checks IAM policies after `after` more requests (`/moto-api/reset-auth`); moto's
        default, `math.inf`, never checks them."""
        request = urllib.request.Request(
            self.url + "/moto-api/reset-auth",
            method="POST",
            data=str(after).encode(),
            headers={"Content-Type": "text/plain"},
        )  # not a form: keep the body
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            response.read()

    def auditor_denied(self, action: str) -> dict[str, str]:
        """An IAM user `auditor` allowed everything but `action` (an IAM action, `kms:*`...),
        and IAM enforced from now on: the environment that signs the audit's calls as it."""
        iam = self.client("iam")
        iam.create_user(UserName="auditor")
        statements = [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": action, "Resource": "*"},
        ]
        iam.put_user_policy(
            UserName="auditor",
            PolicyName="audit-but-not-" + action.replace(":", "-").replace("*", "all"),
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        keys = iam.create_access_key(UserName="auditor")["AccessKey"]
        self.enforce_iam(after=0)
        return {
            "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
            "AWS_SESSION_TOKEN": "",
        }

    def fresh(self) -> None:
        """Back to an empty server: no resources in any account, no injected faults (process_server
        only), IAM not enforced."""
        self.reset()
        self.control(faults={})
        self.enforce_iam(math.inf)

    def control(self, latency: float | None = None, faults: dict[str, Any] | None = None) -> dict[str, Any]:
        """process_server only: set latency or faults (setting faults resets the request counts and the first-request time); returns
        {"counts": {operation: requests}, "first": epoch of the first AWS request, "latency"}."""
        if latency is not None:
            request = urllib.request.Request(f"{self.url}/trailwatch-test/latency?seconds={latency}")
        elif faults is not None:
            request = urllib.request.Request(
                self.url + "/trailwatch-test/faults", method="POST", data=json.dumps(faults).encode()
            )
        else:
            request = urllib.request.Request(self.url + "/trailwatch-test/state")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return dict(json.loads(response.read()))

    def client(self, service: str, region: str = "us-east-1", **credentials: Any) -> Any:
        """A boto3 client on this server (default account 123456789012)."""
        import boto3

        keys = {
            "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        }
        keys.update(credentials)
        return boto3.client(service, region_name=region, endpoint_url=self.url, **keys)


def isolated_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess: fake credentials, no user AWS config, no proxies."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(FAKE_CREDENTIALS)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["NO_PROXY"] = env["no_proxy"] = LOOPBACK
    env.update(extra or {})
    return env


class AuditRun(NamedTuple):
    code: int
    report: Any  # the parsed JSON/SARIF document, None when nothing was printed; the text for --format text
    stderr: str


def audit(
    endpoint: Endpoint,
    *args: str,
    fmt: str | None = "json",
    regions: str | None = "us-east-1",
    controls: str | None = "4.1",
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> AuditRun:
    """`python -m trailwatch audit --endpoint-url <endpoint> ARGS` as a subprocess, as a user runs it.

    `--format fmt`, `--regions regions` and `--controls controls` are added unless ARGS name a
    format, regions or controls (None: never added). `controls` defaults to 4.1, the control
    `Chain` builds; the audit itself checks all fifteen when `--controls` is not given. A JSON or SARIF run that printed nothing (bad input, a start-up error) has no
    report: `report` is None, never an empty string that a test could mistake for output.
    `env` adds variables (credentials...) to the isolated environment.
    """
    command = [sys.executable, "-m", "trailwatch", "audit", "--endpoint-url", endpoint.url, *args]
    if fmt is not None and "--format" not in args:
        command += ["--format", fmt]
    if regions is not None and "--regions" not in args and "--all-regions" not in args:
        command += ["--regions", regions]
    if controls is not None and "--controls" not in args:
        command += ["--controls", controls]
    done = subprocess.run(
        command,
        cwd=cwd,
        env=isolated_env({"PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}", **(env or {})}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    printed = command[command.index("--format") + 1] if "--format" in command else "text"
    if printed in ("json", "sarif"):
        return AuditRun(done.returncode, json.loads(done.stdout) if done.stdout else None, done.stderr)
    return AuditRun(done.returncode, done.stdout, done.stderr)


@contextmanager
def threaded_server() -> Iterator[Endpoint]:
    """moto's ThreadedMotoServer in this process, on a free loopback port.

    moto's backends are process-wide: every in-process server (and `mock_aws`) shares one
    state, so it is reset on entry and exit. Use `process_server` for real isolation.
    """
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = Endpoint(f"http://{host}:{port}")
        endpoint.reset()
        yield endpoint
        endpoint.reset()
    finally:
        server.stop()


_CHILD = r"""
import io, json, re, sys, threading, time
from urllib.parse import parse_qs
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
state = {"latency": float(sys.argv[1]), "faults": json.loads(sys.argv[2]), "counts": {}, "first": None, "batches": []}
# REST-JSON operations (Security Hub) are named by method and path, not by a header or a form.
REST = {("POST", "/findings/import"): "BatchImportFindings", ("POST", "/findings"): "GetFindings"}
lock = threading.Lock()

def operation(environ):
    # JSON protocols name the operation in X-Amz-Target, query protocols in the form's Action.
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if "/operation/" in environ.get("PATH_INFO", ""):  # smithy-rpc-v2-cbor
        return environ["PATH_INFO"].rsplit("/", 1)[-1], b""
    if target:
        return target.rsplit(".", 1)[-1].rsplit("_", 1)[-1] if "." in target else target, b""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    rest = REST.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")))
    if rest:
        return rest, body
    form = parse_qs(body.decode("utf-8", "replace"))
    return (form.get("Action") or [""])[0], body

def control(environ, start_response):
    # Test-only controls (not moto's): latency, faults, request counts, first-request time.
    path = environ["PATH_INFO"]
    if path == "/trailwatch-test/latency":
        state["latency"] = float(parse_qs(environ.get("QUERY_STRING", ""))["seconds"][0])
    elif path == "/trailwatch-test/faults":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        state["faults"] = json.loads(environ["wsgi.input"].read(length) or b"{}")
        state["counts"], state["first"], state["batches"] = {}, None, []
    payload = json.dumps({"counts": state["counts"], "first": state["first"], "latency": state["latency"],
                          "batches": state["batches"]})
    start_response("200 OK", [("Content-Type", "application/json")])
    return [payload.encode()]

def serve(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/trailwatch-test/"):
        return control(environ, start_response)
    if environ.get("PATH_INFO", "").startswith("/moto-api"):
        return app(environ, start_response)
    name, body = operation(environ)
    with lock:
        state["first"] = state["first"] or time.time()
        state["counts"][name] = state["counts"].get(name, 0) + 1
    # A network round trip's worth of waiting, outside moto (threaded server: waits overlap).
    if state["latency"]:
        time.sleep(state["latency"])
    faults = state["faults"]
    denied = [r for r in faults.get("deny_assume", []) if name == "AssumeRole" and r.encode() in body.replace(b"%3A", b":").replace(b"%2F", b"/")]
    if denied:
        start_response("403 Forbidden", [("Content-Type", "text/xml")])
        return [b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>"]
    scope = re.search(r"Credential=[^/]+/\d+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    region = scope.group(1) if scope else ""
    if name == "BatchImportFindings":
        # moto imports any number of findings in one call; Security Hub takes at most 100
        # findings and 6 MB per call (guidelines-batchimportfindings.html): refused here as AWS does.
        count = len(json.loads(body or b"{}").get("Findings") or [])
        with lock:
            state["batches"].append(count)
        if count > 100 or len(body) > 6 * 1024 * 1024:
            start_response("400 Bad Request", [("Content-Type", "application/json"),
                                               ("x-amzn-ErrorType", "InvalidInputException")])
            return [json.dumps({"Code": "InvalidInputException", "Message": f"{count} findings: at most 100 per request"}).encode()]
    reply = faults.get("reply", {}).get(f"{name}@{region}") or faults.get("reply", {}).get(name)
    times = faults.get("times", {})
    if reply and name in times:  # answer only the first N calls so (a retry then reaches moto)
        with lock:
            times[name] -= 1
            if times[name] < 0:
                reply = None
    if reply:
        status, content_type, text = reply
        start_response(status, [("Content-Type", content_type)])
        return [text.encode()]
    return app(environ, start_response)

server = make_server("127.0.0.1", 0, serve, True, request_handler=MotoRequestHandler)
sys.stdout.write(f"{server.server_port}\n"); sys.stdout.flush()
server.serve_forever()
"""


@contextmanager
def process_server(latency: float = 0.0, faults: dict[str, Any] | None = None) -> Iterator[Endpoint]:
    """moto's server in its own process (own GIL): what a benchmark should measure against.

    The child binds port 0 itself and prints the port it got, so there is no race for a
    port and no polling: the first line on stdout means the socket is listening.
    `latency` (seconds) delays every AWS API response, like a real endpoint's round trip
    (tens of ms): on a zero-latency local server both sides are CPU-bound and the
    benchmark measures the machine's cores, not the audit's concurrency.

    `faults` (a test double in front of moto, which can deny nothing): {"deny_assume":
    [role ARN, ...]} answers sts:AssumeRole of those roles with AccessDenied; {"reply":
    {Operation or Operation@region: [status line, content type, body]}} answers an operation
    (in one region) with that reply instead of moto's (a proxy's HTML page, a 5xx), and {"times":
    {Operation: N}} does so for the first N calls only (throttling that a retry gets past).
    Security Hub's BatchImportFindings is refused above 100 findings or 6 MB a call, as AWS
    does (moto takes any number), and each call's number of findings is reported as "batches".
    `Endpoint.control()` changes latency and faults while running and reports requests per operation.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(latency), json.dumps(faults or {})],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=isolated_env(),
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"moto server did not start (exit code {child.poll()})")
        yield Endpoint(f"http://{LOOPBACK}:{line}")
    finally:
        child.terminate()
        child.wait(timeout=10)


# -- accounts built through boto3, one knob per link of the chain ------------------------
CIS_1_2 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
ROLE = "arn:aws:iam::{account}:role/CloudTrail_CloudWatchLogs_Role"


@dataclass
class Chain:
    """A compliant chain by default; change one field to break one link."""

    region: str = "us-east-1"
    trail: str | None = "main"
    multi_region: bool = True
    logging: bool = True
    selectors: list[dict[str, Any]] | None = None  # basic event selectors
    log_group: str = "aws-cloudtrail-logs-main"
    log_group_arn: str | None = None  # override what the trail names (another account...)
    create_log_group: bool = True
    pattern: str | None = CIS_1_2  # None: no metric filter
    namespace: str = "CISBenchmark"
    metric: str = "UnauthorizedAPICalls"
    alarm_metric: str | None = None  # None: the filter's metric
    alarm: bool = True
    alarm_actions: bool = True
    topic: str = "security-alerts"
    kms_key: str | None = None
    subscribe: bool = True


def build(endpoint: Endpoint, chain: Chain, **credentials: Any) -> dict[str, str]:
    """Create `chain` in moto through boto3; returns the ARNs made."""
    region = chain.region
    account = endpoint.client("sts", region, **credentials).get_caller_identity()["Account"]
    made: dict[str, str] = {"account": account}
    logs = endpoint.client("logs", region, **credentials)
    if chain.create_log_group:
        logs.create_log_group(logGroupName=chain.log_group)
    if chain.trail:
        bucket = f"trail-{chain.trail}-{account}".lower()
        s3 = endpoint.client("s3", region, **credentials)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        cloudtrail = endpoint.client("cloudtrail", region, **credentials)
        arn = chain.log_group_arn or f"arn:aws:logs:{region}:{account}:log-group:{chain.log_group}:*"
        made["trail"] = cloudtrail.create_trail(
            Name=chain.trail,
            S3BucketName=bucket,
            IsMultiRegionTrail=chain.multi_region,
            CloudWatchLogsLogGroupArn=arn,
            CloudWatchLogsRoleArn=ROLE.format(account=account),
        )["TrailARN"]
        if chain.selectors is not None:
            cloudtrail.put_event_selectors(TrailName=chain.trail, EventSelectors=chain.selectors)
        if chain.logging:
            cloudtrail.start_logging(Name=chain.trail)
    if chain.pattern is not None and chain.create_log_group:
        logs.put_metric_filter(
            logGroupName=chain.log_group,
            filterName="unauthorized-api-calls",
            filterPattern=chain.pattern,
            metricTransformations=[
                {"metricName": chain.metric, "metricNamespace": chain.namespace, "metricValue": "1", "defaultValue": 0}
            ],
        )
    sns = endpoint.client("sns", region, **credentials)
    attributes = {"KmsMasterKeyId": chain.kms_key} if chain.kms_key else {}
    topic = sns.create_topic(Name=chain.topic, Attributes=attributes)["TopicArn"]
    made["topic"] = topic
    if chain.subscribe:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")
    if chain.alarm:
        endpoint.client("cloudwatch", region, **credentials).put_metric_alarm(
            AlarmName="Unauthorized_API_Calls",
            MetricName=chain.alarm_metric or chain.metric,
            Namespace=chain.namespace,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[topic] if chain.alarm_actions else [],
        )
    return made


def add_controls(endpoint: Endpoint, topic: str, controls: Any, patterns: dict[str, str] | None = None) -> None:
    """A metric filter and an alarm for each of `controls` on the trail's log group of `build`,
    notifying `topic`, with the CIS remediation values (value 1, Sum over 300 s, threshold 1, one
    period, missing data not breaching); `patterns` replaces a control's own text by its id."""
    patterns = patterns or {}
    logs, cloudwatch = endpoint.client("logs"), endpoint.client("cloudwatch")
    for c in controls:
        logs.put_metric_filter(
            logGroupName="aws-cloudtrail-logs-main",
            filterName=c.metric,
            filterPattern=patterns.get(c.id, c.pattern),
            metricTransformations=[
                {"metricName": c.metric, "metricNamespace": "CISBenchmark", "metricValue": "1", "defaultValue": 0}
            ],
        )
        cloudwatch.put_metric_alarm(
            AlarmName=c.metric,
            MetricName=c.metric,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[topic],
        )
