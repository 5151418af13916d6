"""One deserialization of the stack for all the pack's stack policies.

pulumi-policy's AnalyzeStack turns every resource of the stack into Python objects once per
stack policy (pulumi_policy/policy.py, `_PolicyAnalyzerServicer.AnalyzeStack`): with one
policy per CIS monitoring control, a 10k-resource preview would pay that 15 times
(bench/analyze_stack.py measures it). `share_stack_deserialization` replaces that method by
one that does the same per policy -- enforcement level, config, report_violation, the
UnknownValueError and not-applicable handling, in the same order -- on one shared list of
resources. Policies only read the resources.

It depends on the SDK's private names, so it is checked against the pinned version
(policy/requirements.txt): anything missing leaves the SDK as it is (correct, only slower).
TRAILWATCH_SDK_PER_POLICY=1 turns it off (the tests compare both ways).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, cast

SUPPORTED = ("1.21.0",)
_PRIVATE = (
    "_configure_runtime_settings",
    "_get_enforcement_level",
    "_create_report_violation",
    "_get_resource_options",
    "_get_provider_resource",
    "_get_policy_config",
    "_map_enforcement_level",
    "AnalyzeStack",
)


def share_stack_deserialization() -> bool:
    """Install the shared AnalyzeStack; False (and nothing changed) when it cannot be."""
    if os.environ.get("TRAILWATCH_SDK_PER_POLICY") == "1":
        return False
    try:
        from pulumi_policy import policy as sdk
        from pulumi_policy.version import VERSION as version
    except ImportError:
        return False
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if version not in SUPPORTED or servicer is None or not all(hasattr(servicer, n) for n in _PRIVATE):
        return False
    if getattr(servicer.AnalyzeStack, "trailwatch_shared", False):
        return True

    def resources_of(self: Any, request: Any) -> list[Any]:
        # pulumi_policy 1.21.0 policy.py AnalyzeStack, the per-policy loop body, done once.
        intermediates = []
        for r in request.resources:
            deserialized = sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties))
            props = sdk.unknown_checking_proxy(deserialized)
            opts = self._get_resource_options(r)
            provider = self._get_provider_resource(r)
            resource = sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {})
            property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
            intermediates.append((resource, r.parent, list(r.dependencies), property_dependencies))
        by_urn = {i[0].urn: i[0] for i in intermediates}
        for resource, parent, dependencies, property_dependencies in intermediates:
            if parent is not None and parent in by_urn:
                resource.parent = by_urn[parent]
            for d in dependencies:
                if d in by_urn:
                    resource.dependencies.append(by_urn[d])
            for k, v in property_dependencies.items():
                resource.property_dependencies[k] = [by_urn[d] for d in v if d in by_urn]
        return [i[0] for i in intermediates]

    def AnalyzeStack(self: Any, request: Any, _context: Any) -> Any:  # noqa: N802 -- gRPC name
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        resources: list[Any] | None = None
        name = self._PolicyAnalyzerServicer__policy_pack_name
        pack_version = self._PolicyAnalyzerServicer__policy_pack_version
        for policy in self._PolicyAnalyzerServicer__policies:
            level = self._get_enforcement_level(policy)
            if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if level == sdk.EnforcementLevel.REMEDIATE:
                level = sdk.EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, level, policy.severity
            )
            if resources is None:
                resources = resources_of(self, request)
            args = sdk.StackValidationArgs(
                resources, self._get_policy_config(policy.name), self._PolicyAnalyzerServicer__stack_tags
            )
            try:
                result = policy.validate(args, report_violation)
                if sdk.isawaitable(result):
                    loop = sdk.asyncio.new_event_loop()
                    task: Any = sdk.asyncio.Task(cast(Any, result), loop=loop)
                    loop.run_until_complete(task)
                    loop.close()
            except sdk.UnknownValueError as e:
                response.diagnostics.append(
                    sdk.proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=pack_version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack "
                            f"'{name}@v{pack_version}' during preview: {e.message}"
                        ),
                        urn="",
                        description=policy.description,
                        enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                    )
                )
            except sdk._NotApplicableError as e:
                response.not_applicable.append(
                    sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return response

    AnalyzeStack.trailwatch_shared = True  # type: ignore[attr-defined]
    servicer.AnalyzeStack = AnalyzeStack
    return True


_MARKS = ("trailwatch_all", "trailwatch_warm")  # the wrappers of Configure installed here


def _wrap_configure(mark: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    """Put `wrap(Configure)` in the SDK servicer's place of Configure, once (`mark` names the
    wrapper; each keeps the marks of the ones it wraps). Configure is the analyzer's gRPC
    method, so this needs no private name beyond the servicer class."""
    try:
        from pulumi_policy import policy as sdk
    except ImportError:
        return False
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    configure = getattr(servicer, "Configure", None)
    if servicer is None or configure is None:
        return False
    if getattr(configure, mark, False):
        return True
    wrapped = wrap(configure)
    for name in _MARKS:
        setattr(wrapped, name, getattr(configure, name, False))
    setattr(wrapped, mark, True)
    servicer.Configure = wrapped
    return True


def capture_all_config() -> bool:
    """Keep the properties the engine configures under `all` (options.ALL): the SDK stores them
    as the config of a policy named "all", which no policy reads."""
    try:
        from google.protobuf import json_format
    except ImportError:
        return False
    from trailwatch_policy.rules import options

    def wrap(configure: Callable[..., Any]) -> Callable[..., Any]:
        def Configure(self: Any, request: Any, context: Any) -> Any:  # noqa: N802 -- gRPC name
            options.ALL.clear()
            if "all" in request.policyConfig:
                found = json_format.MessageToDict(request.policyConfig["all"].properties)
                options.ALL.update(found if isinstance(found, dict) else {})
            return configure(self, request, context)

        return Configure

    return _wrap_configure("trailwatch_all", wrap)


def warm_on_configure(modules: tuple[str, ...]) -> bool:
    """Import `modules` on a daemon thread when the engine first configures the pack.

    The engine configures the policy packs before it runs the program (pulumi/pulumi
    pkg/engine/update.go, `newUpdateSource`: `loadPolicyPlugins` calls GetAnalyzerInfo and
    Configure, then `deploy.NewEvalSource` runs the program), so the pack is idle while the
    program runs: the evaluation is imported then rather than on the first resource judged.
    Not at start: the port line would wait for it. A failed import is left for the policy
    that needs the module, which reports it as it always did."""
    import importlib
    import threading

    started = threading.Event()

    def warm() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the policy importing it reports the error
                continue

    def wrap(configure: Callable[..., Any]) -> Callable[..., Any]:
        def Configure(self: Any, request: Any, context: Any) -> Any:  # noqa: N802 -- gRPC name
            if not started.is_set():
                started.set()
                threading.Thread(target=warm, name="trailwatch-warm", daemon=True).start()
            return configure(self, request, context)

        return Configure

    return _wrap_configure("trailwatch_warm", wrap)
