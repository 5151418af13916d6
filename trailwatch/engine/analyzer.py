"""Start a Python policy pack as the CLI does and drive `pulumirpc.Analyzer` in the engine's order.

Launch: `<python> -u -m pulumi.policy <engineAddress> <absPackDir>`, cwd = pack folder, the
PULUMI_* environment; the pack prints its port as the first stdout line. The pack talks back to
<engineAddress> (the `pulumirpc.Engine` service) for logging, so a minimal Engine is served here.
Sequence: Handshake (UNIMPLEMENTED tolerated), ConfigureStack, GetAnalyzerInfo, Configure,
Remediate + Analyze per resource in registration order, AnalyzeStack, Cancel, kill.
"""

from __future__ import annotations

import functools
import json
import os
import selectors
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from .errors import EngineError
from .policyconfig import PolicyConfig, PolicyMeta, reconcile
from .program import Registration
from .project import Project, load_pack_project

LEVEL_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {v: k for k, v in LEVEL_NAMES.items()}
LOCKFILES = {"uv.lock": "uv", "poetry.lock": "poetry"}


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation the pack reported for a resource (or the stack)."""

    policy_pack_name: str
    policy_pack_version: str
    policy_name: str
    enforcement_level: str
    urn: str
    message: str
    description: str = ""


@dataclass
class Analysis:
    """What the pack said of a stack: its diagnostics, notes and timings."""

    pack_name: str
    pack_version: str
    diagnostics: list[Diagnostic]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


# --- choosing the interpreter -------------------------------------------------------------------


def choose_interpreter(pack_dir: Path, notes: list[str]) -> list[str]:
    """The CLI's choice: uv/poetry if a lockfile is in the pack folder or any parent, else the
    PulumiPolicy.yaml virtualenv, else python3. A named virtualenv that does not exist falls back
    to this interpreter (the CLI would create it; we cannot install offline) with a note."""
    for folder in [pack_dir, *pack_dir.parents]:
        for lockfile, tool in LOCKFILES.items():
            if (folder / lockfile).is_file():
                exe = shutil.which(tool)
                if exe is None:
                    raise EngineError(
                        f"{folder / lockfile} makes the Pulumi CLI run the pack in {pack_dir} with {tool}, which is "
                        f"not installed here; install {tool}, or remove the lockfile if it does not belong to the pack"
                    )
                return [exe, "run", "python"]
    spec = load_pack_project(pack_dir)
    runtime = spec.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if venv:
        venv_dir = Path(venv) if Path(venv).is_absolute() else pack_dir / venv
        python = venv_dir / "bin" / "python"
        if python.exists():
            return [str(python)]
        notes.append(f"note: the pack's virtualenv {venv_dir} does not exist; running the pack with {sys.executable}")
        return [sys.executable]
    python3 = shutil.which("python3")
    if python3 is None:
        raise EngineError("no python3 on PATH to run the policy pack; name a virtualenv in PulumiPolicy.yaml")
    return [python3]


# --- the engine side the pack talks back to -----------------------------------------------------


class EngineService(engine_pb2_grpc.EngineServicer):
    """Enough of `pulumirpc.Engine` for a policy pack: its log lines become notes."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.root = ""

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:  # noqa: N802 - gRPC method name
        level = engine_pb2.LogSeverity.Name(request.severity).lower()
        self.messages.append(f"{level}: {request.message.rstrip()}")
        return empty_pb2.Empty()

    def GetRootResource(
        self,
        request: engine_pb2.GetRootResourceRequest,  # noqa: N802 - gRPC method name
        context: grpc.ServicerContext,
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(
        self,
        request: engine_pb2.SetRootResourceRequest,  # noqa: N802 - gRPC method name
        context: grpc.ServicerContext,
    ) -> engine_pb2.SetRootResourceResponse:
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


# --- the pack process -------------------------------------------------------------------------------


class PackProcess:
    def __init__(self, command: list[str], pack_dir: Path, env: dict[str, str], startup_timeout: float) -> None:
        self.proc = subprocess.Popen(
            command,
            cwd=pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stderr_chunks: list[bytes] = []
        self._stderr_thread = threading.Thread(
            target=self._drain, args=(self.proc.stderr, self.stderr_chunks), daemon=True
        )
        self._stderr_thread.start()
        self.port = self._read_port(pack_dir, startup_timeout)
        self.stdout_chunks: list[bytes] = []
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout_chunks), daemon=True).start()

    @staticmethod
    def _drain(stream: Any, sink: list[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            sink.append(chunk)

    def stderr_text(self) -> str:
        self._stderr_thread.join(timeout=2)
        return b"".join(self.stderr_chunks).decode("utf-8", "replace").strip()

    def _read_port(self, pack_dir: Path, timeout: float) -> int:
        assert self.proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise EngineError(self._failure(pack_dir, f"did not print its port within {timeout:.0f}s"))
            if not selector.select(remaining):
                continue
            byte = os.read(self.proc.stdout.fileno(), 1)
            if not byte:
                self.proc.wait(timeout=5)
                raise EngineError(self._failure(pack_dir, f"exited with code {self.proc.returncode} before it started"))
            line += byte
        selector.close()
        text = line.decode("utf-8", "replace").strip()
        try:
            return int(text)
        except ValueError:
            self.kill()
            raise EngineError(self._failure(pack_dir, f"printed {text!r} instead of its port")) from None

    def _failure(self, pack_dir: Path, what: str) -> str:
        err = self.stderr_text()
        tail = "\n".join(err.splitlines()[-20:])
        return f"the policy pack in {pack_dir} {what}" + (f":\n{tail}" if tail else "")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


# --- the protocol -------------------------------------------------------------------------------------


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


def _options(reg: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    o = reg.options or {}
    timeouts = o.get("customTimeouts") or {}
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(o.get("protect")),
        ignoreChanges=list(o.get("ignoreChanges") or []),
        deleteBeforeReplace=bool(o.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined=bool(o.get("deleteBeforeReplaceDefined")),
        additionalSecretOutputs=list(o.get("additionalSecretOutputs") or []),
        aliases=list(o.get("aliases") or []),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
            create=_seconds(timeouts.get("create")),
            update=_seconds(timeouts.get("update")),
            delete=_seconds(timeouts.get("delete")),
        ),
        parent=reg.parent,
    )


def _seconds(text: Any) -> float:
    """Pulumi duration strings ("5m", "1h30m") → seconds, as the engine parses them."""
    if not text:
        return 0.0
    total, number = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1}
    for ch in str(text):
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
    return total


def _provider_of(reg: Registration, by_urn: dict[str, Registration]) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not reg.provider:
        return None
    urn = reg.provider.rsplit("::", 1)[0]
    prov = by_urn.get(urn)
    if prov is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=prov.type, urn=prov.urn, name=prov.name, properties=_struct(prov.outputs)
    )


def _pack_env(project: Project, organization: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("PULUMI_CONFIG"):
            del env[key]
    env.update(
        {
            "PULUMI_PROJECT": project.name,
            "PULUMI_STACK": project.stack,
            "PULUMI_ORGANIZATION": organization,
            "PULUMI_DRY_RUN": "true",
        }
    )
    if project.config:
        env["PULUMI_CONFIG"] = json.dumps(project.config, separators=(",", ":"))
    return env


def _rpc(what: str, call: Callable[[], Any], pack: PackProcess, tolerate_unimplemented: bool = False) -> Any:
    try:
        return call()
    except grpc.RpcError as exc:
        if tolerate_unimplemented and exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return None
        detail = exc.details() or str(exc.code())
        raise EngineError(f"the policy pack failed in {what}: {detail.strip()}") from None


@dataclass
class _Configured:
    """The pack as the engine has it before the program runs: started, handshaken, its
    policies read (GetAnalyzerInfo) and configured."""

    pack: PackProcess
    channel: grpc.Channel
    stub: analyzer_pb2_grpc.AnalyzerStub
    info: analyzer_pb2.AnalyzerInfo
    version: str


class PackLaunch:
    """The pack started and configured ahead, while the program runs, as the CLI does:
    `pulumi preview` loads the policy packs, asks for their policies (GetAnalyzerInfo) and
    configures them before it runs the program (pkg/engine/update.go, `newUpdateSource`:
    `loadPolicyPlugins` comes before `deploy.NewEvalSource`). The engine service is served and
    the rest happens on a thread at once; `configured()` waits for it, and raises what it
    raised (an EngineError: the pack did not start, its config is refused) at the point the
    check would have started the pack."""

    def __init__(
        self,
        project: Project,
        pack_dir: Path,
        user_config: dict[str, PolicyConfig] | None = None,
        *,
        organization: str = "organization",
        startup_timeout: float = 60.0,
        interpreter: list[str] | None = None,
        config_source: str = "--policy-pack-config",
    ) -> None:
        self.pack_dir = pack_dir.resolve()
        self.startup_timeout = startup_timeout
        self.notes: list[str] = []
        self.engine = EngineService()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self.server)
        self.engine_address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()
        self._pack: PackProcess | None = None
        self._outcome: _Configured | BaseException | None = None
        self._thread = threading.Thread(
            target=self._start,
            args=(project, organization, interpreter, user_config or {}, config_source),
            daemon=True,
        )
        self._thread.start()

    def _start(
        self,
        project: Project,
        organization: str,
        interpreter: list[str] | None,
        user_config: dict[str, PolicyConfig],
        config_source: str,
    ) -> None:
        try:
            command = interpreter or choose_interpreter(self.pack_dir, self.notes)
            self._pack = PackProcess(
                [*command, "-u", "-m", "pulumi.policy", self.engine_address, str(self.pack_dir)],
                self.pack_dir,
                _pack_env(project, organization),
                self.startup_timeout,
            )
            channel = grpc.insecure_channel(f"127.0.0.1:{self._pack.port}")
            try:
                grpc.channel_ready_future(channel).result(timeout=self.startup_timeout)
            except grpc.FutureTimeoutError:
                channel.close()
                raise EngineError(
                    f"the policy pack in {self.pack_dir} printed port {self._pack.port} "
                    f"but did not answer within {self.startup_timeout:.0f}s"
                ) from None
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            try:
                info, version = _configure(
                    stub,
                    self._pack,
                    project,
                    self.pack_dir,
                    user_config,
                    organization,
                    self.engine_address,
                    config_source,
                )
            except BaseException:
                channel.close()
                raise
            self._outcome = _Configured(self._pack, channel, stub, info, version)
        except BaseException as exc:  # noqa: BLE001 - re-raised by configured(), on the caller's thread
            self._outcome = exc

    def configured(self) -> _Configured:
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def close(self) -> None:
        self._thread.join()
        if isinstance(self._outcome, _Configured):
            self._outcome.channel.close()
        if self._pack is not None:
            self._pack.kill()
        self.server.stop(grace=None)


def analyze(
    project: Project,
    resources: list[Registration],
    pack_dir: Path,
    user_config: dict[str, PolicyConfig],
    *,
    organization: str = "organization",
    startup_timeout: float = 60.0,
    config_source: str = "--policy-pack-config",
    interpreter: list[str] | None = None,
    launch: PackLaunch | None = None,
) -> Analysis:
    """`interpreter` overrides the CLI's choice (choose_interpreter), e.g. for the pack a
    wheel carries, which runs with the interpreter trailwatch is installed in. `launch`: the
    pack already started and configured (PackLaunch, with the same arguments); it is closed
    here."""
    if launch is None:
        launch = PackLaunch(
            project,
            pack_dir,
            user_config,
            organization=organization,
            startup_timeout=startup_timeout,
            interpreter=interpreter,
            config_source=config_source,
        )
    waited = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        ready = launch.configured()
        # What is left of the pack's start once the program is done (it starts beside it).
        timings["pack start"] = time.perf_counter() - waited
        started = time.perf_counter()
        result = _drive(ready, project, resources)
        timings["analysis"] = time.perf_counter() - started
        _rpc("Cancel", lambda: ready.stub.Cancel(empty_pb2.Empty()), ready.pack, tolerate_unimplemented=True)
    finally:
        launch.close()
    result.notes = launch.notes + launch.engine.messages
    result.timings = timings
    return result


def stack_violation_urn(urn: str, in_stack: Collection[str], project: Project) -> str:
    """Where the engine reports a stack policy's diagnostic: on its own URN when that names a
    resource of the stack (one with a goal state, not a `.get` read), else -- no URN at all,
    most often -- on the root Stack resource. pulumi/pulumi pkg/v3 v3.274.0:
    resource/deploy/step_generator.go, `AnalyzeResources`, calls
    `resolveStackPolicyViolationURN(d.URN, resource.DefaultRootStackURN(stack, project), in news)`
    (resource/deploy/analyze_snapshot.go); `DefaultRootStackURN` (sdk/go/common/resource/stack.go)
    is urn:pulumi:<stack>::<project>::pulumi:pulumi:Stack::<project>-<stack>."""
    if urn and urn in in_stack:
        return urn
    return f"urn:pulumi:{project.stack}::{project.name}::pulumi:pulumi:Stack::{project.name}-{project.stack}"


def _configure(
    stub: analyzer_pb2_grpc.AnalyzerStub,
    pack: PackProcess,
    project: Project,
    pack_dir: Path,
    user_config: dict[str, PolicyConfig],
    organization: str,
    engine_address: str,
    config_source: str,
) -> tuple[analyzer_pb2.AnalyzerInfo, str]:
    """Handshake, ConfigureStack, GetAnalyzerInfo and Configure: the pack's info and version."""
    _rpc(
        "Handshake",
        lambda: stub.Handshake(
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address=engine_address, root_directory=str(pack_dir), program_directory=str(pack_dir)
            )
        ),
        pack,
        tolerate_unimplemented=True,
    )
    _rpc(
        "ConfigureStack",
        lambda: stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=project.stack,
                project=project.name,
                organization=organization,
                dry_run=True,
                config=dict(project.config),
            )
        ),
        pack,
        tolerate_unimplemented=True,
    )
    info = _rpc("GetAnalyzerInfo", lambda: stub.GetAnalyzerInfo(empty_pb2.Empty()), pack)
    spec_version = str((load_pack_project(pack_dir) or {}).get("version") or "")
    version = spec_version or info.version
    metas = [
        PolicyMeta(
            name=p.name,
            enforcement_level=LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
            schema_properties=json_format.MessageToDict(p.configSchema.properties)
            if p.HasField("configSchema")
            else {},
            required=tuple(p.configSchema.required) if p.HasField("configSchema") else (),
        )
        for p in info.policies
    ]
    initial = {
        # An entry without a level arrives as 0 = ADVISORY, and the engine applies it as such.
        name: PolicyConfig(LEVEL_NAMES.get(cfg.enforcementLevel), json_format.MessageToDict(cfg.properties) or None)
        for name, cfg in info.initialConfig.items()
    }
    merged = reconcile(metas, initial, user_config, config_source)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, cfg in merged.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = LEVEL_VALUES[cfg.enforcement_level or "advisory"]
        if cfg.properties:
            entry.properties.update(cfg.properties)
    _rpc("Configure", lambda: stub.Configure(request), pack)

    return info, version


def _drive(ready: _Configured, project: Project, resources: list[Registration]) -> Analysis:
    """Remediate and Analyze each resource in registration order, then AnalyzeStack."""
    stub, pack, info, version = ready.stub, ready.pack, ready.info, ready.version
    by_urn = {r.urn: r for r in resources}
    diagnostics: list[Diagnostic] = []

    def convert(d: analyzer_pb2.AnalyzeDiagnostic, urn: str) -> Diagnostic:
        level = LEVEL_NAMES.get(d.enforcementLevel, "advisory")
        return Diagnostic(
            d.policyPackName or info.name,
            version,
            d.policyName,
            "mandatory" if level == "remediate" else level,
            urn,
            d.message,
            d.description,
        )

    # A resource read with `.get` has no goal state: the engine neither analyses it nor
    # includes it in AnalyzeStack (pkg/resource/deploy/step_executor.go keeps `news` to
    # resources with a goal).
    resources = [r for r in resources if not r.external]
    for reg in resources:
        props = dict(reg.inputs)
        provider = _provider_of(reg, by_urn)
        kwargs: dict[str, Any] = dict(type=reg.type, urn=reg.urn, name=reg.name, options=_options(reg))
        if provider is not None:
            kwargs["provider"] = provider
        request = analyzer_pb2.AnalyzeRequest(properties=_struct(props), **kwargs)
        remediated = _rpc(
            f"Remediate({reg.urn})", functools.partial(stub.Remediate, request), pack, tolerate_unimplemented=True
        )
        for rem in remediated.remediations if remediated else []:
            if rem.diagnostic:
                diagnostics.append(
                    Diagnostic(
                        rem.policyPackName or info.name,
                        version,
                        rem.policyName,
                        "advisory",
                        reg.urn,
                        rem.diagnostic,
                        rem.description,
                    )
                )
            elif rem.HasField("properties"):
                props = json_format.MessageToDict(rem.properties)
                reg.inputs = props
        request = analyzer_pb2.AnalyzeRequest(properties=_struct(props), **kwargs)  # remediated properties
        response = _rpc(f"Analyze({reg.urn})", functools.partial(stub.Analyze, request), pack)
        # The engine reports a resource policy's diagnostics against the resource it analysed.
        diagnostics.extend(convert(d, reg.urn) for d in response.diagnostics)

    stack_request = analyzer_pb2.AnalyzeStackRequest()
    for reg in resources:
        item = stack_request.resources.add(
            type=reg.type,
            urn=reg.urn,
            name=reg.name,
            properties=_struct(reg.outputs),
            options=_options(reg),
            parent=reg.parent,
            dependencies=list(reg.dependencies),
        )
        provider = _provider_of(reg, by_urn)
        if provider is not None:
            item.provider.CopyFrom(provider)
        for key, urns in reg.property_dependencies.items():
            if urns:
                item.propertyDependencies[key].urns.extend(urns)
    response = _rpc("AnalyzeStack", lambda: stub.AnalyzeStack(stack_request), pack, tolerate_unimplemented=True)
    in_stack = {r.urn for r in resources}
    for d in response.diagnostics if response else []:
        level = LEVEL_NAMES.get(d.enforcementLevel, "advisory")
        diagnostics.append(
            Diagnostic(
                d.policyPackName or info.name,
                version,
                d.policyName,
                "mandatory" if level == "remediate" else level,
                stack_violation_urn(d.urn, in_stack, project),
                d.message,
                d.description,
            )
        )
    return Analysis(info.name, version, diagnostics)
