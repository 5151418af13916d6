"""TEST STAND-IN for the `pulumi-resource-aws` provider plugin. It makes no cloud call, ever.

The real CLI built by `make cli` loads this instead of pulumi-aws's provider (which cannot be
built here: its go.mod points at a patched upstream checkout). It answers the engine the way the
offline engine's recording monitor does, with the same code (trailwatch.engine's autoname,
shapes and invokes are imported, not copied), so `pulumi preview` and `trailwatch check` are
judged on the same provider behaviour and every difference left is the engine's own:

- GetPluginInfo/GetSchema: version 7.51.1 (what pulumi-aws==7.51.1 asks for), a minimal schema.
- CheckConfig/Configure: the `aws:*` config is accepted as is; secrets, resources and preview
  are supported (as the real bridge says).
- Check: the inputs, plus the autonamed `name` (`<logical>-<7 hex>`, S3 `bucket` lower-cased,
  `.fifo` kept) wherever pulumi_aws's Args class makes it optional; a namePrefix leaves it out.
  TRAILWATCH_STANDIN_AUTONAMES=unknown leaves it unknown instead (the offline `--autonames unknown`).
- Diff: no change. Create: preview only -- the checked inputs plus pulumi_aws's output-only
  properties as unknowns; a real create (`pulumi up`) is refused.
- Invoke: trailwatch.engine.invokes (getCallerIdentity with TRAILWATCH_STANDIN_ACCOUNT_ID or
  123456789012, getRegion from aws:region, ...); any other invoke fails naming its token.

Started by the CLI as `pulumi-resource-aws [flags] ENGINE_ADDRESS`; prints its port first.
"""
from __future__ import annotations

import json
import os
import sys
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from trailwatch.engine import autoname, invokes
from trailwatch.engine.sentinels import UNKNOWN_STRING
from trailwatch.engine.shapes import shape_for_token

VERSION = "7.51.1"


def _dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct) if struct is not None else {}


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _type_and_name(urn: str) -> tuple[str, str]:
    parts = urn.split("::")
    return parts[2].split("$")[-1], parts[3]


class StandInAws(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self) -> None:
        self.region = "us-east-1"
        self.account_id = os.environ.get("TRAILWATCH_STANDIN_ACCOUNT_ID", "123456789012")
        self.autonames = os.environ.get("TRAILWATCH_STANDIN_AUTONAMES", "provider")

    def GetPluginInfo(self, request, context):  # noqa: N802 - gRPC method names
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetSchema(self, request, context):  # noqa: N802
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": "aws", "version": VERSION}))

    def CheckConfig(self, request, context):  # noqa: N802
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request, context):  # noqa: N802
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request, context):  # noqa: N802
        variables = dict(request.variables)
        args = _dict(request.args)
        self.region = args.get("region") or variables.get("aws:config:region") or self.region
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=False)

    def Check(self, request, context):  # noqa: N802
        type_token, name = request.type, request.name
        if not type_token or not name:
            type_token, name = _type_and_name(request.urn)
        inputs = _dict(request.news)
        shape = shape_for_token(type_token)
        checked = autoname.apply(type_token, name, request.urn, inputs,
                                 shape.optional_inputs if shape else set(), self.autonames)
        return provider_pb2.CheckResponse(inputs=_struct(checked))

    def Diff(self, request, context):  # noqa: N802
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Create(self, request, context):  # noqa: N802
        if not request.preview:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          "pulumi-resource-aws here is trailwatch's test stand-in: it previews, it never creates")
        type_token = request.type or _type_and_name(request.urn)[0]
        outputs = _dict(request.properties)
        shape = shape_for_token(type_token)
        field = autoname.autoname_field(type_token, shape.optional_inputs if shape else set())
        if field and field not in outputs:  # a namePrefix: the provider names it at create time
            outputs[field] = UNKNOWN_STRING
        for key in sorted(shape.output_only if shape else {"arn"}):
            outputs.setdefault(key, UNKNOWN_STRING)
        return provider_pb2.CreateResponse(id="", properties=_struct(outputs))

    def Invoke(self, request, context):  # noqa: N802
        ctx = invokes.AwsContext(account_id=self.account_id, region=self.region)
        try:
            result = invokes.answer(request.tok, _dict(request.args), ctx)
        except invokes.UnknownInvokeError as exc:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, str(exc))
        return provider_pb2.InvokeResponse(**{"return": _struct(result)})

    def Cancel(self, request, context):  # noqa: N802
        return empty_pb2.Empty()


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandInAws(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    sys.exit(main())
