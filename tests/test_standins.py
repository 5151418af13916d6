"""The TEST STAND-IN provider plugins the real CLI runs in `make e2e` (tools/cli/: aws and
aws-native, one shared base), spoken to here as the engine speaks to them, without the CLI.

They must answer like the offline engine -- the same autonames, outputs, reads and invokes -- so
that `make e2e` compares engines, not providers; and at the version each pinned SDK asks for.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "tools" / "cli"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ACCOUNT = "444455556666"


def _module(name: str) -> Any:
    sys.path.insert(0, str(CLI))
    try:
        spec = importlib.util.spec_from_file_location(name, CLI / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(CLI))


base = _module("standin_provider")


class Aborted(Exception):
    pass


class Context:
    """The servicer context a gRPC server passes: abort raises, as grpc's does."""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.code, self.details = code, details
        raise Aborted(details)


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def provider(package: str, region: str = "eu-west-1", env: dict[str, str] | None = None, **args: Any) -> Any:
    p = base.StandInProvider(package, "0.0.0", {"TRAILWATCH_STANDIN_ACCOUNT_ID": ACCOUNT, **(env or {})})
    p.Configure(
        provider_pb2.ConfigureRequest(variables={f"{package}:config:region": region}, args=struct(args)), Context()
    )
    return p


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::p::{type_}::{name}"


def check(p: Any, type_: str, name: str, news: dict[str, Any]) -> dict[str, Any]:
    request = provider_pb2.CheckRequest(urn=urn(type_, name), type=type_, name=name, news=struct(news))
    return plain(p.Check(request, Context()).inputs)


def read(p: Any, type_: str, resource_id: str) -> dict[str, Any]:
    request = provider_pb2.ReadRequest(id=resource_id, urn=urn(type_, "read"), type=type_)
    response = p.Read(request, Context())
    assert response.id == resource_id  # an empty id is "not found" to the engine
    return plain(response.properties)


def invoke(p: Any, token: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return plain(getattr(p.Invoke(provider_pb2.InvokeRequest(tok=token, args=struct(args or {})), Context()), "return"))


# --- the version each pinned SDK asks for ------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "requirements", "sdk"),
    [
        ("pulumi_resource_aws_standin", "requirements.txt", "pulumi_aws"),
        ("pulumi_resource_aws_native_standin", "requirements-dev.txt", "pulumi_aws_native"),
    ],
)
def test_each_stand_in_is_the_version_its_pinned_sdk_asks_for(module: str, requirements: str, sdk: str) -> None:
    source = (CLI / f"{module}.py").read_text(encoding="utf-8")
    [version] = re.findall(r'^VERSION = "([0-9.]+)"$', source, re.M)
    package = sdk.replace("_", "-")
    pinned = re.findall(rf"^{package}==([0-9.]+)$", (ROOT / requirements).read_text(encoding="utf-8"), re.M)
    plugin = importlib.util.find_spec(sdk)
    assert plugin and plugin.submodule_search_locations
    asked = json.loads((Path(plugin.submodule_search_locations[0]) / "pulumi-plugin.json").read_text())
    assert pinned == [version] and asked["version"] == version and asked["name"] == package.removeprefix("pulumi-")
    assert "TEST STAND-IN" in source and "no cloud call" in source


def test_the_cli_build_installs_both_stand_ins() -> None:
    build = (CLI / "build.sh").read_text(encoding="utf-8")
    assert "standin aws\n" in build and "standin aws-native\n" in build
    assert 'install_standin aws-native "$native_version"' in build


# --- Check and Create: aws-native's autonaming --------------------------------------------------

NAME = re.compile(r"^trail-logs-[0-9a-f]{7}$")


def test_native_check_autonames_the_cloudformation_name_property() -> None:
    p = provider("aws-native")
    assert NAME.match(check(p, "aws-native:logs:LogGroup", "trail-logs", {"retentionInDays": 365})["logGroupName"])
    fifo = check(p, "aws-native:sns:Topic", "alarms", {"fifoTopic": True})["topicName"]
    assert re.fullmatch(r"alarms-[0-9a-f]{7}\.fifo", fifo)
    assert check(p, "aws-native:sns:Topic", "alarms", {"topicName": "mine"})["topicName"] == "mine"
    assert NAME.match(check(p, "aws-native:cloudtrail:Trail", "trail-logs", {})["trailName"])


def test_native_check_leaves_the_name_unknown_in_unknown_mode() -> None:
    p = provider("aws-native", env={"TRAILWATCH_STANDIN_AUTONAMES": "unknown"})
    assert check(p, "aws-native:logs:LogGroup", "trail-logs", {})["logGroupName"] == UNKNOWN


def test_aws_check_still_autonames_name_where_pulumi_aws_makes_it_optional() -> None:
    p = provider("aws")
    assert NAME.match(check(p, "aws:cloudwatch/logGroup:LogGroup", "trail-logs", {})["name"])
    assert "name" not in check(p, "aws:cloudwatch/logGroup:LogGroup", "trail-logs", {"namePrefix": "x-"})


def test_native_create_at_preview_leaves_output_only_properties_unknown_and_refuses_real_creates() -> None:
    p = provider("aws-native")
    request = provider_pb2.CreateRequest(
        urn=urn("aws-native:sns:Topic", "alarms"),
        type="aws-native:sns:Topic",
        properties=struct({"topicName": "alarms-1234567"}),
        preview=True,
    )
    outputs = plain(p.Create(request, Context()).properties)
    assert outputs == {"topicName": "alarms-1234567", "topicArn": UNKNOWN}
    request.preview = False
    context = Context()
    with pytest.raises(Aborted, match="never creates"):
        p.Create(request, context)
    assert context.code == grpc.StatusCode.FAILED_PRECONDITION


# --- Read: `.get()` of what exists, by name or ARN ----------------------------------------------


def test_reads_answer_log_groups_topics_trails_and_keys_by_name_or_arn() -> None:
    aws, native = provider("aws"), provider("aws-native")
    group = read(aws, "aws:cloudwatch/logGroup:LogGroup", "aws-cloudtrail-logs-landing-zone")
    assert group["arn"] == f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:aws-cloudtrail-logs-landing-zone"
    assert group["name"] == "aws-cloudtrail-logs-landing-zone"
    topic_arn = "arn:aws:sns:eu-west-1:111122223333:alarms"
    assert read(aws, "aws:sns/topic:Topic", topic_arn)["name"] == "alarms"
    assert read(aws, "aws:sns/topic:Topic", "alarms")["arn"] == f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"
    trail_arn = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org"
    trail = read(aws, "aws:cloudtrail/trail:Trail", trail_arn)
    assert (trail["name"], trail["arn"]) == ("org", trail_arn)
    assert read(aws, "aws:kms/key:Key", "alias/aws/sns")["arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    # CloudFormation's AWS::Logs::LogGroup Arn attribute ends in ":*"
    assert read(native, "aws-native:logs:LogGroup", "g")["arn"] == f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:g:*"
    assert read(native, "aws-native:sns:Topic", topic_arn)["topicName"] == "alarms"
    assert (
        read(native, "aws-native:cloudtrail:Trail", "org")["arn"] == f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/org"
    )


def test_reads_and_invokes_answer_from_invoke_result_files_first(tmp_path: Path) -> None:
    group = tmp_path / "group.json"
    group.write_text(
        json.dumps(
            {
                "name": "g",
                "arn": "arn:aws:logs:eu-west-1:999999999999:log-group:g",
                "kmsKeyId": "arn:aws:kms:eu-west-1:999999999999:key/k",
            }
        ),
        encoding="utf-8",
    )
    ssm = tmp_path / "ssm.json"
    ssm.write_text(json.dumps({"value": "pager@example.com"}), encoding="utf-8")
    env = {
        "TRAILWATCH_STANDIN_INVOKE_RESULTS": f"aws:cloudwatch/getLogGroup:getLogGroup={group}\n"
        f"aws:ssm/getParameter:getParameter={ssm}\n"
    }
    p = provider("aws", env=env)
    assert read(p, "aws:cloudwatch/logGroup:LogGroup", "g")["arn"] == "arn:aws:logs:eu-west-1:999999999999:log-group:g"
    assert invoke(p, "aws:ssm/getParameter:getParameter", {"name": "/x"}) == {"value": "pager@example.com"}


def test_a_bad_invoke_result_item_stops_the_stand_in_with_one_line() -> None:
    env = {"TRAILWATCH_STANDIN_INVOKE_RESULTS": "not-a-token"}
    proc = subprocess.run(
        [sys.executable, str(CLI / "pulumi_resource_aws_standin.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), **env},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "TRAILWATCH_STANDIN_INVOKE_RESULTS" in proc.stderr
    assert "expected TOKEN=FILE" in proc.stderr


# --- Invoke: in the provider's Region and account ------------------------------------------------


def test_invokes_run_in_the_providers_region_and_assumed_role_account() -> None:
    p = provider("aws-native", region="ap-south-1")
    assert invoke(p, "aws-native:index:getRegion") == {"region": "ap-south-1"}
    assert invoke(p, "aws-native:index:getAccountId") == {"accountId": ACCOUNT}
    roles = json.dumps([{"roleArn": "arn:aws:iam::111122223333:role/deploy"}])
    assumed = provider("aws", assumeRoles=roles)
    assert invoke(assumed, "aws:index/getCallerIdentity:getCallerIdentity")["accountId"] == "111122223333"


def test_an_invoke_nobody_answers_fails_naming_its_token() -> None:
    context = Context()
    with pytest.raises(Aborted, match="aws:ec2/getVpc:getVpc"):
        provider("aws").Invoke(provider_pb2.InvokeRequest(tok="aws:ec2/getVpc:getVpc", args=struct({})), context)
    assert context.code == grpc.StatusCode.UNIMPLEMENTED
