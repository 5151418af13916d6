"""Pulumi.local.yaml sends every AWS call of the program to a local moto server.

The Pulumi CLI and the AWS provider binary are not available here, so `pulumi up
--stack local` itself is never run. What is checked instead: the committed stack file
is what the generator makes; every key is one the pinned pulumi-aws provider reads;
the endpoint list covers every service the real program touches (derived by running
`__main__.py` under Pulumi's mocks with this very config); and a real moto server
answers each of those services with the stack's own endpoint, keys and region.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwatch.dev import emulator

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "Pulumi.local.yaml"


def local_config() -> dict[str, Any]:
    return yaml.safe_load(LOCAL.read_text(encoding="utf-8"))["config"]


def provider_config_keys() -> set[str]:
    """Every `aws:<key>` the pinned pulumi-aws reads (pulumi_aws/config/vars.py)."""
    source = (provider_package() / "config" / "vars.py").read_text(encoding="utf-8")
    return set(re.findall(r"__config__\.get(?:_bool|_int|_float|_object)?\('(\w+)'\)", source))


def provider_package() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None and spec.origin is not None, "pulumi-aws is not installed: make venv"
    return Path(spec.origin).parent


def endpoint_keys() -> set[str]:
    """The provider's wire names of `aws:endpoints` entries (`lambda`, not Python's `lambda_`)."""
    import pulumi_aws.config

    endpoints = pulumi_aws.config.outputs.Endpoints
    names = {
        getattr(member.fget, "_pulumi_name", None)
        for member in vars(endpoints).values()
        if isinstance(member, property)
    }
    return {name for name in names if name}


# --- the committed file -----------------------------------------------------------------


def as_program_sees_it(config: dict[str, Any]) -> dict[str, str]:
    """Config values as the language host hands them over: strings, JSON for structures.

    `pulumi stack init local` may rewrite the file (adds encryptionsalt, re-lays it out),
    so the committed file is compared by value, the way the CLI reads it.
    """

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    return {key: text(value) for key, value in config.items()}


def test_committed_local_stack_is_what_the_generator_makes() -> None:
    like_dev = emulator.program_keys_like(ROOT / "Pulumi.dev.yaml")
    expected = emulator.stack_config(program_keys=like_dev)["config"]
    assert as_program_sees_it(local_config()) == as_program_sees_it(expected)


def test_local_stack_runs_the_program_like_dev() -> None:
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    local = local_config()
    assert {k: v for k, v in local.items() if k.startswith("trailwatch:")} == {
        k: v for k, v in dev.items() if k.startswith("trailwatch:")
    }
    assert local["aws:region"] == dev["aws:region"]


def test_every_aws_key_is_one_the_provider_reads() -> None:
    known = provider_config_keys()
    assert {"endpoints", "s3UsePathStyle", "skipCredentialsValidation"} <= known  # the parse found them
    for key in local_config():
        if key.startswith("aws:"):
            assert key.removeprefix("aws:") in known, f"{key} is not a pulumi-aws {sys.version_info[:2]} config key"


def test_emulator_switches_and_test_credentials() -> None:
    config = as_program_sees_it(local_config())
    for switch in ("skipCredentialsValidation", "skipRequestingAccountId", "skipMetadataApiCheck", "s3UsePathStyle"):
        assert config[f"aws:{switch}"] == "true"
    assert config["aws:accessKey"] == config["aws:secretKey"] == "test"
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", config["aws:region"])


def test_endpoints_is_one_block_of_valid_services_all_on_the_emulator() -> None:
    (block,) = local_config()["aws:endpoints"]
    assert set(block) <= endpoint_keys(), set(block) - endpoint_keys()
    assert set(block.values()) == {emulator.DEFAULT_ENDPOINT}


def recorded_program_run(config: dict[str, Any]) -> set[str]:
    """Resource types and invoke tokens of one mocked run of the real program."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import program_helpers
    finally:
        sys.path.remove(str(ROOT / "tests"))
    invokes: list[str] = []
    original = program_helpers.FakeAws.call

    def recording_call(self: Any, args: Any) -> dict[str, Any]:
        invokes.append(args.token)
        return original(self, args)

    program_helpers.FakeAws.call = recording_call  # type: ignore[method-assign]
    try:
        run = program_helpers.run_program(config, stack="local")
    finally:
        program_helpers.FakeAws.call = original  # type: ignore[method-assign]
    return set(run.types()) | set(invokes)


def program_account() -> str:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import program_helpers
    finally:
        sys.path.remove(str(ROOT / "tests"))
    return program_helpers.ACCOUNT


def test_endpoints_cover_every_service_the_program_uses() -> None:
    config = local_config()
    used = recorded_program_run(config)
    # The optional Lambda subscriber adds a lambda permission: cover it too (a function in the
    # deploying account: the program refuses one in another account).
    function = f"arn:aws:lambda:us-east-1:{program_account()}:function:pager"
    with_lambda = dict(config, **{"trailwatch:lambdaFunctionArns": [function]})
    used |= recorded_program_run(with_lambda)
    assert "aws:cloudtrail/trail:Trail" in used and "aws:cloudwatch/metricAlarm:MetricAlarm" in used
    unmapped = {
        t
        for t in used
        if t.startswith("aws:")
        and emulator.endpoint_for_type(t) is None
        and not t.startswith(("aws:index/getPartition", "aws:index/getRegion", "pulumi:providers:"))
    }
    assert not unmapped, f"resource types with no endpoint mapping: {unmapped}"
    needed = emulator.services_for_types(used)
    (block,) = config["aws:endpoints"]
    assert needed <= set(block), f"not redirected to the emulator: {needed - set(block)}"
    assert needed == set(emulator.PROGRAM_SERVICES)


# --- the generator ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "service"),
    [
        ("aws:cloudwatch/logGroup:LogGroup", "logs"),
        ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "logs"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "cloudwatch"),
        ("aws:cloudtrail/trail:Trail", "cloudtrail"),
        ("aws:s3/bucketPolicy:BucketPolicy", "s3"),
        ("aws:index/getCallerIdentity:getCallerIdentity", "sts"),
        ("aws:lambda/permission:Permission", "lambda"),
        ("aws:index/getRegion:getRegion", None),
    ],
)
def test_endpoint_for_type(token: str, service: str | None) -> None:
    assert emulator.endpoint_for_type(token) == service


def test_generator_uses_the_endpoint_it_is_given() -> None:
    document = emulator.stack_config("http://localhost:4566/", region="eu-west-1")
    (block,) = document["config"]["aws:endpoints"]
    assert set(block.values()) == {"http://localhost:4566"}
    assert document["config"]["aws:region"] == "eu-west-1"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch.emulator", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_cli_output_is_the_committed_config() -> None:
    result = run_cli()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Generated by `python -m trailwatch.emulator`")
    printed = yaml.safe_load(result.stdout)["config"]
    assert as_program_sees_it(printed) == as_program_sees_it(local_config())


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--endpoint", "127.0.0.1:5000"), "--endpoint"),
        (("--endpoint", "http://127.0.0.1:99999"), "--endpoint"),
        (("--region", "us east 1"), "--region"),
        (("--like", "staging"), "--like"),
    ],
)
def test_cli_bad_input_is_one_message_and_exit_2(args: tuple[str, ...], named: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert named in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_refuses_to_copy_a_secret(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  trailwatch:createTrail: true\n  trailwatch:topicArn:\n    secure: AAABAGx1\n", encoding="utf-8"
    )
    result = run_cli("--project-dir", str(tmp_path))
    assert result.returncode == 2
    assert "trailwatch:topicArn" in result.stderr and "--secret" in result.stderr


# --- a real moto server -----------------------------------------------------------------


def clients_from_stack_config(config: dict[str, Any]) -> dict[str, Any]:
    """boto3 clients configured exactly as the stack configures the provider."""
    import boto3
    from botocore.config import Config

    (block,) = config["aws:endpoints"]
    session = boto3.session.Session(
        aws_access_key_id=config["aws:accessKey"],
        aws_secret_access_key=config["aws:secretKey"],
        region_name=config["aws:region"],
    )
    style = Config(s3={"addressing_style": "path" if config["aws:s3UsePathStyle"] else "auto"})
    return {service: session.client(service, endpoint_url=url, config=style) for service, url in block.items()}


@pytest.mark.slow
def test_moto_serves_every_endpoint_and_the_control_with_the_stack_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from moto_server import threaded_server
    finally:
        sys.path.remove(str(ROOT / "tests"))
    for variable in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with threaded_server() as server:
        config = emulator.stack_config(server.url, program_keys=emulator.program_keys_like(ROOT / "Pulumi.dev.yaml"))[
            "config"
        ]
        aws = clients_from_stack_config(config)
        assert set(aws) == set(emulator.PROGRAM_SERVICES)

        account = aws["sts"].get_caller_identity()["Account"]
        assert re.fullmatch(r"\d{12}", account)
        # What the dev stack creates, in the program's order, against the emulator.
        aws["s3"].create_bucket(Bucket="trailwatch-trail-bucket")
        group = aws["logs"].create_log_group(logGroupName="trailwatch-trail") or {}
        group_arn = aws["logs"].describe_log_groups(logGroupNamePrefix="trailwatch-trail")["logGroups"][0]["arn"]
        role = aws["iam"].create_role(RoleName="trailwatch-delivery", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        trail = aws["cloudtrail"].create_trail(
            Name="trailwatch",
            S3BucketName="trailwatch-trail-bucket",
            IsMultiRegionTrail=True,
            CloudWatchLogsLogGroupArn=group_arn,
            CloudWatchLogsRoleArn=role,
        )
        aws["logs"].put_metric_filter(
            logGroupName="trailwatch-trail",
            filterName="unauthorized",
            filterPattern='{ $.errorCode = "*UnauthorizedOperation" }',
            metricTransformations=[
                {"metricName": "UnauthorizedAPICalls", "metricNamespace": "CISBenchmark", "metricValue": "1"}
            ],
        )
        key = aws["kms"].create_key()["KeyMetadata"]["KeyId"]
        topic = aws["sns"].create_topic(Name="trailwatch-alarms", Attributes={"KmsMasterKeyId": key})["TopicArn"]
        aws["sns"].subscribe(TopicArn=topic, Protocol="email", Endpoint="security-dev@example.com")
        aws["cloudwatch"].put_metric_alarm(
            AlarmName="Unauthorized_API_Calls",
            MetricName="UnauthorizedAPICalls",
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )
        aws["lambda"].list_functions()

        assert trail["CloudWatchLogsLogGroupArn"] == group_arn
        filters = aws["logs"].describe_metric_filters(logGroupName="trailwatch-trail")["metricFilters"]
        assert [f["metricTransformations"][0]["metricName"] for f in filters] == ["UnauthorizedAPICalls"]
        (alarm,) = aws["cloudwatch"].describe_alarms(AlarmNames=["Unauthorized_API_Calls"])["MetricAlarms"]
        assert alarm["AlarmActions"] == [topic]
        assert aws["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["Protocol"] == "email"
        assert group == {} or "ResponseMetadata" in group


# --- the documented flow keeps the committed file ----------------------------------------------


def test_following_the_local_emulation_doc_keeps_the_committed_stack() -> None:
    """docs/local-emulation.md, followed literally, must not change Pulumi.local.yaml: only the
    generator's defaults may write it, and secrets go to a git-ignored stack of one's own."""
    doc = (ROOT / "docs" / "local-emulation.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", doc, re.DOTALL)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    writes = [line for line in lines if ">" in line and "Pulumi." in line.split(">", 1)[1]]
    assert writes, "the doc shows no generator command"
    for line in writes:
        target = line.split(">", 1)[1].strip()
        if target == "Pulumi.local.yaml":
            assert line.split(">", 1)[0].split() == ["python", "-m", "trailwatch.emulator"], line
        else:
            assert re.fullmatch(r"Pulumi\.sandbox[\w.-]*\.yaml", target), line
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "/Pulumi.sandbox*.yaml" in ignored
    assert not [line for line in lines if "config set" in line and "--stack local" in line]
    assert "pulumi config set --secret --stack sandbox" in doc
