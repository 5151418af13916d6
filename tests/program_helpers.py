"""Run the real `__main__.py` under Pulumi's mocks and record what it registers.

Each call resets the Pulumi runtime (root stack, settings, config), so one test process
can run many stack configurations. The fake AWS answers the invokes the program makes
(getCallerIdentity, getPartition, getRegion, getLogGroup) and computes ARNs the way AWS shapes
them. Its account has the log groups in `log_groups` (by default Control Tower's); reading any
other fails the way the provider does.
"""

from __future__ import annotations

import contextvars
import json
import runpy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import get_root_resource, reset_options
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
REGION = "us-east-1"

_ARN_SHAPES: dict[str, str] = {
    "aws:sns/topic:Topic": "arn:{partition}:sns:{region}:{account}:{name}",
    "aws:sns/topicSubscription:TopicSubscription": "arn:{partition}:sns:{region}:{account}:topic:{id}",
    "aws:kms/key:Key": "arn:{partition}:kms:{region}:{account}:key/{id}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{name}",
    "aws:cloudtrail/trail:Trail": "arn:{partition}:cloudtrail:{region}:{account}:trail/{name}",
    "aws:iam/role:Role": "arn:{partition}:iam::{account}:role/{name}",
    "aws:s3/bucket:Bucket": "arn:{partition}:s3:::{name}",
}
#: What the AWS provider's getPartition reports as each partition's DNS suffix.
DNS_SUFFIXES: dict[str, str] = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
_AUTONAMED = {"aws:sns/topic:Topic", "aws:iam/role:Role", "aws:s3/bucket:Bucket"}


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's "not known until created" string
#: The log groups the fake account has (what `aws.cloudwatch.get_log_group` finds).
LOG_GROUPS = frozenset({"aws-controltower/CloudTrailLogs", "g", "org-trail"})


class InvokeFailed(grpc.RpcError):
    """A failed invoke as the engine reports it over gRPC."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


class FakeAws(pulumi.runtime.Mocks):
    """Echo inputs as outputs, autoname like the provider, and add the computed ARNs.

    In preview, like the engine on a new stack, computed values (ids, ARNs) are unknown.
    """

    def __init__(
        self,
        preview: bool = False,
        log_groups: frozenset[str] = LOG_GROUPS,
        partition: str = "aws",
        region: str = REGION,
    ) -> None:
        self.preview = preview
        self.log_groups = log_groups
        self.partition = partition
        self.region = region
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ in _AUTONAMED and "name" not in state and "bucket" not in state:
            key = "bucket" if args.typ == "aws:s3/bucket:Bucket" else "name"
            state[key] = f"{args.name}-1a2b3c4"
        name = state.get("name") or state.get("bucket") or args.name
        if args.typ == "aws:s3/bucket:Bucket":
            resource_id = name
        if args.typ == "aws:kms/key:Key":
            resource_id = "0b5b2a3e-1111-2222-3333-444455556666"
            state["keyId"] = resource_id
        shape = _ARN_SHAPES.get(args.typ)
        if shape is not None:
            state["arn"] = shape.format(
                partition=self.partition, region=self.region, account=ACCOUNT, name=name, id=resource_id
            )
        if self.preview:
            state.update({k: UNKNOWN for k in ("arn", "keyId") if k in state})
            resource_id = ""
        return resource_id, state

    # The stubs say a (result, failures) tuple; pulumi's mocks take a bare dict as well.
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:cloudwatch/getLogGroup:getLogGroup":
            name = args.args.get("name")
            if name not in self.log_groups:
                # The provider's words for a data source that finds nothing, as the engine
                # returns them: a gRPC error (the SDK turns it into an exception for the caller).
                raise InvokeFailed(f"reading CloudWatch Logs Log Group ({name}): empty result")
            return {
                "name": name,
                "id": name,
                "arn": f"arn:{self.partition}:logs:{self.region}:{ACCOUNT}:log-group:{name}",
                "retentionInDays": 365,
                "kmsKeyId": "",
                "logGroupClass": "STANDARD",
                "tags": {},
                "creationTime": 0,
                "deletionProtectionEnabled": False,
                "region": self.region,
            }
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:{self.partition}:iam::{ACCOUNT}:user/ci",
                "userId": "AIDAEXAMPLE",
                "id": ACCOUNT,
            }
        if args.token == "aws:index/getPartition:getPartition":
            suffix = DNS_SUFFIXES[self.partition]
            return {
                "partition": self.partition,
                "dnsSuffix": suffix,
                "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
                "id": self.partition,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.{DNS_SUFFIXES[self.partition]}",
                "description": self.region,
            }
        raise AssertionError(f"the program made an invoke the offline engine does not answer: {args.token}")


@dataclass
class Registered:
    """One RegisterResource call as the engine receives it."""

    type: str
    name: str
    parent: str
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    urn: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    #: the names (or URNs) of the `aliases` option: what the resource was called before
    alias_names: list[str] = field(default_factory=list)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request, in order."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registered] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            # The wire form, as a policy pack sees it: unknowns stay the UNKNOWN string.
            inputs = json_format.MessageToDict(request.object)
            self.registrations.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    inputs=inputs,
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    urn=response.urn,
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    alias_names=[a.spec.name if a.HasField("spec") else a.urn for a in request.aliases],
                )
            )
        return response


@dataclass
class ProgramRun:
    """What one run of the program registered and exported, and the invokes it made."""

    resources: list[Registered]
    outputs: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
        return found[0]

    def unauthorized(self, type_: str) -> Registered:
        """CIS 4.1's filter or alarm (the component's historical `<name>-filter` / `-alarm`)."""
        found = [r for r in self.of_type(type_) if r.name in ("trailwatch-filter", "trailwatch-alarm")]
        assert len(found) == 1, f"expected 4.1's {type_}, got {[r.name for r in self.of_type(type_)]}"
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.resources if r.urn == urn)

    def types(self) -> list[str]:
        return sorted(r.type for r in self.resources)


def _run_main() -> None:
    """The repository's program, as `pulumi up` runs it."""
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


def raw_value(value: Any) -> str:
    """A YAML config value as the language host passes it: strings, JSON for structures."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


#: The plain text of the stack files' `secure:` values, as the Pulumi CLI decrypts them for the
#: program (the committed prod value is this stand-in, encrypted with the example passphrase).
SECURE_VALUES: dict[str, str] = {
    "trailwatch:httpsEndpoints": "https://events.pagerduty.com/integration/REPLACE-WITH-YOUR-INTEGRATION-KEY/enqueue",
}


def _document(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return document


#: What a stack's owner writes over the shipped stand-in endpoints before `pulumi up` (which
#: refuses example.com addresses and REPLACE-WITH-... values): an internal domain, a real-shaped key.
OWN_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("@example.com", "@acme.internal"),
    ("REPLACE-WITH-YOUR-INTEGRATION-KEY", "0123456789abcdef0123456789abcdef"),
)


def own_endpoints(text: str) -> str:
    """`text` with the stand-in endpoints replaced as the stack's owner does before deploying."""
    for stand_in, own in OWN_ENDPOINTS:
        text = text.replace(stand_in, own)
    return text


def stack_config(stack: str, *, shipped: bool = False) -> dict[str, str]:
    """The `config:` block of Pulumi.<stack>.yaml, as raw strings (secure values decrypted).

    By default as its owner deploys it: the stand-in endpoints replaced (`own_endpoints`);
    `shipped=True`: the committed values as they are.
    """
    config = {
        key: SECURE_VALUES[key] if isinstance(value, dict) and set(value) == {"secure"} else raw_value(value)
        for key, value in _document(stack)["config"].items()
    }
    if shipped:
        return config
    return {key: own_endpoints(value) if key.startswith("trailwatch:") else value for key, value in config.items()}


def secure_keys(stack: str) -> list[str]:
    """The keys Pulumi.<stack>.yaml sets as secrets (`secure:`)."""
    return [
        key for key, value in _document(stack)["config"].items() if isinstance(value, dict) and set(value) == {"secure"}
    ]


def run_stack(stack: str, *, preview: bool = False, shipped: bool = False) -> ProgramRun:
    """The program on a committed stack file, as the Pulumi CLI would run it (see `stack_config`)."""
    return run_program(
        stack_config(stack, shipped=shipped), stack=stack, preview=preview, secret_keys=secure_keys(stack)
    )


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str = "dev",
    project: str = "trailwatch",
    run: ProgramRun | None = None,
    preview: bool = False,
    secret_keys: Sequence[str] = (),
    log_groups: frozenset[str] = LOG_GROUPS,
    partition: str = "aws",
    region: str = REGION,
) -> ProgramRun:
    """Run __main__.py with `config` (full keys like `trailwatch:createTrail`) under fresh mocks.

    `secret_keys` are config keys set as secrets. Pass `run` to see what was registered even
    when the program raises. `partition` and `region` are where the fake account is (aws,
    aws-cn, aws-us-gov).
    """
    # A copied context keeps the runtime's context variables (settings, root stack, config)
    # from leaking into other tests that use Pulumi's mocks in the same process.
    return contextvars.copy_context().run(
        _run_program, config, stack, project, run, preview, secret_keys, log_groups, partition, region
    )


def _run_program(
    config: Mapping[str, Any],
    stack: str,
    project: str,
    run: ProgramRun | None,
    preview: bool,
    secret_keys: Sequence[str],
    log_groups: frozenset[str],
    partition: str,
    region: str,
) -> ProgramRun:
    mocks = FakeAws(preview, log_groups, partition, region)
    monitor = RecordingMonitor(mocks)
    if run is not None:
        monitor.registrations = run.resources
    reset_options(project=project, stack=stack, preview=preview)
    pulumi.runtime.set_all_config({key: raw_value(value) for key, value in config.items()}, list(secret_keys))
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    root = get_root_resource()
    run = run if run is not None else ProgramRun(resources=monitor.registrations)
    run.calls = mocks.calls
    original_warn = pulumi.log.warn

    def warn(
        msg: str,
        resource: pulumi.Resource | None = None,
        stream_id: int | None = None,
        ephemeral: bool | None = None,
    ) -> None:
        run.warnings.append(msg)
        original_warn(msg, resource, stream_id, ephemeral)

    pulumi.log.warn = warn
    try:
        _sync_await(run_pulumi_func(_run_main))
    finally:
        pulumi.log.warn = original_warn
        pulumi.runtime.set_all_config({}, [])
    outputs = getattr(root, "outputs", {})
    run.outputs = {key: _resolve(value) for key, value in outputs.items()}
    return run


def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    if not _sync_await(output.is_known()):
        return UNKNOWN
    return _sync_await(output.future())
