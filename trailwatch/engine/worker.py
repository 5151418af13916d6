"""Subprocess entry point: run one Pulumi program in preview under mocks and dump its registrations as JSON.

A fresh interpreter per run keeps the program's import side effects (its own modules, Pulumi's
global settings) from leaking between checks. `python -m trailwatch.engine.worker REQUEST.json`
writes `{"ok": true, "resources": [...]}` or `{"ok": false, "error": "..."}` to the request's
`out` path; the program's own stdout and stderr stay free for its prints.
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import pulumi
import pulumi.config
import pulumi.resource
import pulumi.runtime.config
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks, set_mocks
from pulumi.runtime.proto import callback_pb2, resource_pb2
from pulumi.runtime.stack import run_in_stack

from trailwatch.engine import autoname, invokes
from trailwatch.engine.sentinels import UNKNOWN_STRING, downgrade_resources
from trailwatch.engine.shapes import Shape, shape_of

STACK_TYPE = "pulumi:pulumi:Stack"


_SHAPES: dict[tuple[str, str], list[Shape | None]] = {}
_SHAPES_LOCK = threading.Lock()


def _patch_register_resource() -> None:
    original = pulumi.resource.register_resource

    def recording(
        res: Any,
        ty: str,
        name: str,
        custom: bool,
        remote: bool,
        new_dependency: Any,
        props: Any,
        opts: Any,
        typ: type | None = None,
        package_ref: Any = None,
    ) -> Any:
        try:
            shape = shape_of(type(res), typ)
        except Exception:  # noqa: BLE001 - shape is a best effort; the registration must go on
            shape = None
        with _SHAPES_LOCK:
            _SHAPES.setdefault((ty, name), []).append(shape)
        return original(res, ty, name, custom, remote, new_dependency, props, opts, typ, package_ref)

    pulumi.resource.register_resource = recording


def _patch_secure_config(secure_keys: set[str], stack_file: str) -> None:
    original = pulumi.runtime.config.get_config

    def get_config(k: str) -> Any:  # the SDK's parameter name: a drop-in replacement
        if k in secure_keys:
            raise pulumi.RunError(
                f"config key '{k}' is a secret (`secure:` in {stack_file}) that the offline engine cannot "
                f"decrypt; pass a stand-in value with --config {k}=VALUE"
            )
        return original(k)

    pulumi.runtime.config.get_config = get_config
    pulumi.config.get_config = get_config


class OfflineMocks(Mocks):
    """Invokes answered offline; reads return their inputs (the monitor handles registrations)."""

    def __init__(self, ctx: invokes.AwsContext, given: dict[str, dict[str, Any]] | None = None) -> None:
        self.ctx = ctx
        self.given = given or {}
        self.monitor: RecordingMonitor | None = None
        self.unanswered: invokes.UnknownInvokeError | None = None

    def context(self, provider_ref: str, args: dict[str, Any], package: str) -> invokes.AwsContext:
        """The Region and account an invoke or read runs in (invokes.provider_context)."""
        inputs = self.monitor.provider_inputs(provider_ref, package) if self.monitor is not None else {}
        return invokes.provider_context(inputs, args, self.ctx)

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        call_args = dict(args.args)
        try:
            ctx = self.context(args.provider or "", call_args, args.token.split(":")[0])
            return invokes.answer(args.token, call_args, ctx, self.given), []
        except invokes.UnknownInvokeError as exc:
            self.unanswered = exc
            raise Exception(str(exc)) from None  # shown as the program's error, without our module path

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        return "", dict(args.inputs)


def _wire(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct) if struct is not None else {}


class RecordingMonitor(MockMonitor):
    """A MockMonitor that answers like the engine and keeps every registration in order."""

    def __init__(self, mocks: OfflineMocks, autonames: str, provider_config: dict[str, dict[str, str]]) -> None:
        super().__init__(mocks)
        self.autonames = autonames
        self.provider_config = provider_config
        self.records: list[dict[str, Any]] = []
        self.by_urn: dict[str, dict[str, Any]] = {}
        self.default_providers: dict[tuple[str, str], str] = {}
        self.lock = threading.RLock()
        self.armed = False
        self.duplicate: str | None = None  # the first URN registered twice: the engine fails the run
        self.stack_transforms: list[Any] = []  # callback_pb2.Callback, in registration order
        self.resource_transforms: dict[str, list[Any]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN: parent type chain joined by `$`, without the stack's own type."""
        if parent:
            parent_types = parent.split("::")[2]
            if parent_types != STACK_TYPE:
                type_ = parent_types + "$" + type_
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def _record(self, record: dict[str, Any]) -> None:
        with self.lock:
            if record["urn"] in self.by_urn:
                self.records = [r for r in self.records if r["urn"] != record["urn"]]
            self.records.append(record)
            self.by_urn[record["urn"]] = record

    def _default_provider(self, package: str, version: str) -> str:
        key = (package, version)
        with self.lock:
            if key in self.default_providers:
                return self.default_providers[key]
            name = "default" + ("_" + version.replace(".", "_").replace("-", "_") if version else "")
            ptype = f"pulumi:providers:{package}"
            urn = self.make_urn("", ptype, name)
            inputs: dict[str, Any] = dict(self.provider_config.get(package, {}))
            if version:
                inputs["version"] = version
            self._record(
                {
                    "urn": urn,
                    "type": ptype,
                    "name": name,
                    "parent": "",
                    "custom": True,
                    "id": UNKNOWN_STRING,
                    "inputs": inputs,
                    "outputs": dict(inputs),
                    "dependencies": [],
                    "propertyDependencies": {},
                    "provider": "",
                    "options": {},
                    "defaultProvider": True,
                }
            )
            self.default_providers[key] = urn
            return urn

    def provider_inputs(self, reference: str, package: str) -> dict[str, Any]:
        """The inputs of the provider a reference (`urn::id`) names; the package's default
        provider's (its stack config) when there is none."""
        urn = reference.rsplit("::", 1)[0] if reference else ""
        with self.lock:
            record = self.by_urn.get(urn) if urn else None
        if record is None:
            return dict(self.provider_config.get(package, {}))
        return dict(record.get("inputs") or {})

    def ReadResource(self, request: resource_pb2.ReadResourceRequest) -> resource_pb2.ReadResourceResponse:  # noqa: N802 - gRPC method name
        """`Resource.get(...)`: the engine reads the resource even in preview (its outputs are
        known) and keeps it out of the policy pack's Analyze and AnalyzeStack (a read resource
        has no goal state). Recorded with `external: true` for the report."""
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = downgrade_resources(_wire(request.properties))
        provider = request.provider
        if not provider:
            package = request.type.split(":")[0]
            provider = self._default_provider(package, request.version) + "::" + UNKNOWN_STRING
        mocks = self.mocks
        outputs = dict(inputs)
        if isinstance(mocks, OfflineMocks):
            ctx = mocks.context(provider, inputs, request.type.split(":")[0])
            outputs = invokes.read_outputs(request.type, request.id, inputs, ctx, mocks.given)
        self._record(
            {
                "urn": urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent,
                "custom": True,
                "id": request.id,
                "inputs": inputs,
                "outputs": outputs,
                "dependencies": list(request.dependencies),
                "propertyDependencies": {},
                "provider": provider,
                "options": {},
                "external": True,
            }
        )
        obj = struct_pb2.Struct()
        obj.update(outputs)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=obj)

    def _shape(self, type_: str, name: str) -> Shape | None:
        with _SHAPES_LOCK:
            queue = _SHAPES.get((type_, name))
            return queue.pop(0) if queue else None

    def RegisterResource(  # noqa: N802 - gRPC method name
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            if self.armed:
                self._record(
                    {
                        "urn": urn,
                        "type": STACK_TYPE,
                        "name": request.name,
                        "parent": "",
                        "custom": False,
                        "id": "",
                        "inputs": {},
                        "outputs": {},
                        "dependencies": [],
                        "propertyDependencies": {},
                        "provider": "",
                        "options": {},
                    }
                )
            return resource_pb2.RegisterResourceResponse(urn=urn)

        with self.lock:
            if urn in self.by_urn:
                self.duplicate = self.duplicate or urn
                return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = downgrade_resources(_wire(self._transformed(request, urn)))
        shape = self._shape(request.type, request.name)
        provider = request.provider
        is_provider = request.type.startswith("pulumi:providers:")
        if request.custom and not provider and not is_provider and not request.remote:
            package = request.type.split(":")[0]
            provider = self._default_provider(package, request.version) + "::" + UNKNOWN_STRING

        checked = dict(inputs)
        outputs: dict[str, Any] = {}
        if request.custom and not is_provider:
            optional = shape.optional_inputs if shape else set()
            checked = autoname.apply(request.type, request.name, urn, checked, optional, self.autonames)
            outputs = dict(checked)
            field = autoname.autoname_field(request.type, optional)
            if field and field not in checked:  # a namePrefix: the provider names it at create time
                outputs[field] = UNKNOWN_STRING
            for key in sorted(shape.output_only if shape else {"arn"}):
                outputs.setdefault(key, UNKNOWN_STRING)
        elif is_provider:
            outputs = dict(checked)

        self._record(
            {
                "urn": urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent,
                "custom": bool(request.custom),
                "id": UNKNOWN_STRING if request.custom else "",
                "inputs": checked,
                "outputs": outputs,
                "dependencies": list(request.dependencies),
                "propertyDependencies": {
                    k: list(v.urns) for k, v in request.propertyDependencies.items() if len(v.urns) > 0
                },
                "provider": provider,
                "options": {
                    "protect": bool(request.protect),
                    "ignoreChanges": list(request.ignoreChanges),
                    "additionalSecretOutputs": list(request.additionalSecretOutputs),
                    "aliases": list(request.aliasURNs),
                    "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                    "deleteBeforeReplaceDefined": bool(request.deleteBeforeReplaceDefined),
                    "customTimeouts": {
                        "create": request.customTimeouts.create,
                        "update": request.customTimeouts.update,
                        "delete": request.customTimeouts.delete,
                    },
                },
                # Where the program created it (the SDK's sourcePosition: file URI and line), for SARIF.
                **(
                    {"source": {"uri": request.sourcePosition.uri, "line": request.sourcePosition.line}}
                    if request.HasField("sourcePosition") and request.sourcePosition.uri
                    else {}
                ),
            }
        )
        obj = struct_pb2.Struct()
        obj.update(outputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=obj)

    def RegisterStackTransform(self, request: callback_pb2.Callback) -> Any:  # noqa: N802 - gRPC method name
        with self.lock:
            self.stack_transforms.append(request)
        return super().RegisterStackTransform(request)

    def _transformed(self, request: resource_pb2.RegisterResourceRequest, urn: str) -> struct_pb2.Struct:
        """The inputs after the transforms, run as the engine runs them before anything else: the
        resource's own (`transforms=`), then each ancestor's, then the stack's (source_eval.go)."""
        with self.lock:
            self.resource_transforms[urn] = list(request.transforms)
            chain = list(request.transforms)
            parent = request.parent
            while parent:
                chain += self.resource_transforms.get(parent, [])
                parent = self.by_urn.get(parent, {}).get("parent", "")
            chain += self.stack_transforms
        props = request.object
        for callback in chain:
            props = _run_transform(callback, request, props)
        return props

    def RegisterResourceOutputs(self, request: resource_pb2.RegisterResourceOutputsRequest) -> Any:  # noqa: N802 - gRPC method name
        with self.lock:
            record = self.by_urn.get(request.urn)
            if record is not None:
                record["outputs"] = downgrade_resources(_wire(request.outputs))
        return super().RegisterResourceOutputs(request)


def _run_transform(
    callback: Any, request: resource_pb2.RegisterResourceRequest, props: struct_pb2.Struct
) -> struct_pb2.Struct:
    """Call one transform through the SDK's own callback server, as the engine does over gRPC
    (the SDK deserialises the props, runs the function, serialises what it returns)."""
    for servicer in _CallbackServicer._servicers:
        function = servicer._callbacks.get(callback.token)
        if function is not None:
            break
    else:
        raise Exception(f"transform callback {callback.token} is not registered")
    options = resource_pb2.TransformResourceOptions(
        depends_on=list(request.dependencies),
        protect=bool(request.protect),
        ignore_changes=list(request.ignoreChanges),
        version=request.version,
        provider=request.provider,
        additional_secret_outputs=list(request.additionalSecretOutputs),
    )
    transform = resource_pb2.TransformRequest(
        type=request.type,
        name=request.name,
        custom=request.custom,
        parent=request.parent,
        properties=props,
        options=options,
    )

    async def call() -> Any:
        return await function(transform.SerializeToString())

    # RegisterResource runs on an executor thread; the transform runs on the program's loop.
    response: Any = asyncio.run_coroutine_threadsafe(call(), servicer._loop).result()
    return response.properties


def _program_frames(tb: Any, program_dir: Path) -> list[traceback.FrameSummary]:
    root = str(program_dir)
    return [
        frame
        for frame in traceback.extract_tb(tb)
        if frame.filename.startswith(root + os.sep)
        and "site-packages" not in frame.filename
        and f"{os.sep}.venv{os.sep}" not in frame.filename[len(root) :]
    ]


def describe_failure(exc: BaseException, program_dir: Path) -> str:
    """The program's own error: a RunError's message alone, else its traceback cut to the program's frames."""
    if isinstance(exc, pulumi.RunError):
        return str(exc)
    frames = _program_frames(exc.__traceback__, program_dir)
    lines = ["Program failed with an unhandled exception:"]
    if frames:
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in traceback.format_list(frames))
    lines.extend(s.rstrip("\n") for s in traceback.format_exception_only(type(exc), exc))
    return "\n".join(lines)


def run(request: dict[str, Any]) -> dict[str, Any]:
    program_dir = Path(request["program_dir"])
    config: dict[str, str] = request["config"]
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    _patch_register_resource()
    _patch_secure_config(set(request.get("secure_keys", [])), request.get("stack_file") or "the stack file")

    region = config.get("aws:region") or config.get("aws-native:region") or "us-east-1"
    ctx = invokes.AwsContext(account_id=request.get("account_id", "123456789012"), region=region)
    provider_config: dict[str, dict[str, str]] = {}
    for key, value in config.items():
        package, _, sub = key.partition(":")
        if package != request["project"]:
            provider_config.setdefault(package, {})[sub] = value
    mocks = OfflineMocks(ctx, request.get("invoke_results") or {})
    loop = asyncio.new_event_loop()  # before set_mocks: its root stack's tasks must live on this loop
    asyncio.set_event_loop(loop)
    monitor = RecordingMonitor(mocks, request.get("autonames", "provider"), provider_config)
    mocks.monitor = monitor
    set_mocks(
        mocks,
        request["project"],
        request["stack"],
        preview=True,
        monitor=monitor,
        organization=request.get("organization", "organization"),
    )
    # set_mocks registers a root stack of its own; run the program as the language host does instead.
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]
    monitor.armed = True
    main = request["main"]

    def program() -> None:  # run_in_stack awaits what the program returns: nothing
        runpy.run_path(main, run_name="__main__")

    try:
        loop.run_until_complete(run_in_stack(program))
    except BaseException as exc:  # noqa: BLE001 - reported to the user as the program's error
        if mocks.unanswered is not None:  # not the program's fault: say what to provide
            return {"ok": False, "error": str(mocks.unanswered), "invoke": mocks.unanswered.token}
        return {"ok": False, "error": describe_failure(exc, program_dir)}
    if monitor.duplicate:  # the engine's words (sdk/go/common/diag/errors.go, code 2001)
        return {"ok": False, "error": f"Duplicate resource URN '{monitor.duplicate}'; try giving it a unique name"}
    return {"ok": True, "resources": monitor.records}


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = run(request)
    Path(request["out"]).write_text(json.dumps(result), encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv[1:]))  # no lingering gRPC/executor threads at exit
