"""The shared base of trailwatch's TEST STAND-IN provider plugins (`pulumi-resource-aws`,
`pulumi-resource-aws-native`) for the real CLI built by `make cli`. They make no cloud call, ever.

A stand-in answers the engine the way the offline engine's recording monitor does, with the same
code (trailwatch.engine's autoname, shapes and invokes are imported, not copied), so
`pulumi preview` and `trailwatch check` are judged on the same provider behaviour and every
difference left is the engine's own:

- GetPluginInfo/GetSchema: the version the pinned SDK asks for, a minimal schema.
- CheckConfig/Configure: the provider's config is accepted as is; secrets, resources and preview
  are supported (as the real providers say). The provider's inputs (its `region`, its assumed
  role) give the Region and account of its invokes and reads (invokes.provider_context).
- Check: the inputs plus the autonamed property (trailwatch.engine.autoname: pulumi-aws's
  `name`, aws-native's CloudFormation name property); TRAILWATCH_STANDIN_AUTONAMES=unknown
  leaves it unknown instead (the offline `--autonames unknown`).
- Diff: no change. Create: preview only -- the checked inputs plus the SDK class's output-only
  properties as unknowns; a real create (`pulumi up`) is refused.
- Read (`Resource.get`): invokes.read_outputs, the offline engine's answer (id, name, ARN of a
  log group, topic, trail or key that exists, by name or ARN).
- Invoke: invokes.answer; any other invoke fails naming its token.
- Both Read and Invoke answer first from TRAILWATCH_STANDIN_INVOKE_RESULTS: `TOKEN=FILE` items,
  one per line, read exactly as `trailwatch check --invoke-result TOKEN=FILE` reads them.
  TRAILWATCH_STANDIN_ACCOUNT_ID is the account (`--account-id`; default 123456789012).

Started by the CLI as `pulumi-resource-<name> [flags] ENGINE_ADDRESS`; prints its port first.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from trailwatch.engine import autoname, invokes
from trailwatch.engine.cli import load_invoke_results
from trailwatch.engine.errors import EngineError
from trailwatch.engine.sentinels import UNKNOWN_STRING
from trailwatch.engine.shapes import shape_for_token

DEFAULT_ACCOUNT = "123456789012"


def _dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct) if struct is not None else {}


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def type_and_name(urn: str) -> tuple[str, str]:
    parts = urn.split("::")
    return parts[2].split("$")[-1], parts[3]


def invoke_results(env: Mapping[str, str] = os.environ) -> dict[str, dict[str, Any]]:
    items = [line.strip() for line in env.get("TRAILWATCH_STANDIN_INVOKE_RESULTS", "").splitlines() if line.strip()]
    return load_invoke_results(items)


class StandInProvider(provider_pb2_grpc.ResourceProviderServicer):
    """One provider instance (the engine starts one process per provider resource)."""

    def __init__(self, package: str, version: str, env: Mapping[str, str] = os.environ) -> None:
        self.package = package
        self.version = version
        self.default = invokes.AwsContext(
            account_id=env.get("TRAILWATCH_STANDIN_ACCOUNT_ID", DEFAULT_ACCOUNT), region="us-east-1"
        )
        self.autonames = env.get("TRAILWATCH_STANDIN_AUTONAMES", "provider")
        self.given = invoke_results(env)
        self.inputs: dict[str, Any] = {}

    def context(self, args: dict[str, Any]) -> invokes.AwsContext:
        return invokes.provider_context(self.inputs, args, self.default)

    def GetPluginInfo(self, request, context):  # noqa: N802 - gRPC method names
        return plugin_pb2.PluginInfo(version=self.version)

    def GetSchema(self, request, context):  # noqa: N802
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": self.package, "version": self.version}))

    def CheckConfig(self, request, context):  # noqa: N802
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request, context):  # noqa: N802
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request, context):  # noqa: N802
        prefix = f"{self.package}:config:"
        inputs = {key[len(prefix) :]: value for key, value in request.variables.items() if key.startswith(prefix)}
        inputs.update(_dict(request.args))
        self.inputs = inputs
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=False
        )

    def Check(self, request, context):  # noqa: N802
        type_token, name = request.type, request.name
        if not type_token or not name:
            type_token, name = type_and_name(request.urn)
        shape = shape_for_token(type_token)
        checked = autoname.apply(
            type_token,
            name,
            request.urn,
            _dict(request.news),
            shape.optional_inputs if shape else set(),
            self.autonames,
        )
        return provider_pb2.CheckResponse(inputs=_struct(checked))

    def Diff(self, request, context):  # noqa: N802
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Create(self, request, context):  # noqa: N802
        if not request.preview:
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"pulumi-resource-{self.package} here is trailwatch's test stand-in: it previews, it never creates",
            )
        type_token = request.type or type_and_name(request.urn)[0]
        outputs = _dict(request.properties)
        shape = shape_for_token(type_token)
        field = autoname.autoname_field(type_token, shape.optional_inputs if shape else set())
        if field and field not in outputs:  # a namePrefix: the provider names it at create time
            outputs[field] = UNKNOWN_STRING
        for key in sorted(shape.output_only if shape else {"arn"}):
            outputs.setdefault(key, UNKNOWN_STRING)
        return provider_pb2.CreateResponse(id="", properties=_struct(outputs))

    def Read(self, request, context):  # noqa: N802
        """`Resource.get(name, id)`: the engine reads even in preview; the answer is known."""
        type_token = request.type or type_and_name(request.urn)[0]
        inputs = _dict(request.inputs) or _dict(request.properties)
        outputs = invokes.read_outputs(type_token, request.id, inputs, self.context(inputs), self.given)
        return provider_pb2.ReadResponse(id=request.id, properties=_struct(outputs), inputs=_struct(inputs))

    def Invoke(self, request, context):  # noqa: N802
        args = _dict(request.args)
        try:
            result = invokes.answer(request.tok, args, self.context(args), self.given)
        except invokes.UnknownInvokeError as exc:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, str(exc))
        return provider_pb2.InvokeResponse(**{"return": _struct(result)})

    def Cancel(self, request, context):  # noqa: N802
        return empty_pb2.Empty()


def serve(package: str, version: str) -> int:
    """Start the stand-in on a free loopback port, print the port, serve until killed."""
    try:
        provider = StandInProvider(package, version)
    except EngineError as exc:  # a bad TRAILWATCH_STANDIN_INVOKE_RESULTS item: one line, no traceback
        print(
            f"pulumi-resource-{package} (trailwatch stand-in): TRAILWATCH_STANDIN_INVOKE_RESULTS: {exc}",
            file=sys.stderr,
        )
        return 2
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()
    return 0
