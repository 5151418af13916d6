"""Stacks for the policy pack's tests, as the engine would send them.

A resource is a `Spec` (type, logical name, properties, property dependencies, parent);
`policy_resources()` turns specs into `PolicyResource`s through the SDK's own
deserialization and unknown-checking proxy, `analyze_stack_request()` into the gRPC
message the engine sends, and `PackProcess` runs the real pack over the Analyzer protocol.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POLICY_DIR = ROOT / "policy"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"

CIS_12 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
CIS_14 = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)
CIS_20 = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)
ACCOUNT = "123456789012"
REGION = "us-east-1"

TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"


def urn(type_: str, name: str, parent_type: str | None = None) -> str:
    path = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:dev::trailwatch::{path}::{name}"


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG: SECRET_MARK, "value": value}


@dataclass
class Spec:
    type: str
    name: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)
    parent: str | None = None
    parent_type: str | None = None

    @property
    def urn(self) -> str:
        return urn(self.type, self.name, self.parent_type)


def lg_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def topic_arn(name: str) -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"


def literal_trail_and_topic(group: str, topic: str, endpoint: Any = "security@example.com") -> list[Spec]:
    """A trail -> its log group, and a topic with an email subscription, linked by literal
    names and ARNs (a stack's filters and alarms go between them)."""
    trail = {"name": "main", "isMultiRegionTrail": True, "enableLogging": True}
    return [
        Spec(LOG_GROUP, "trail-logs", {"name": group, "arn": lg_arn(group)}),
        Spec(TRAIL, "trail", {**trail, "cloudWatchLogsGroupArn": lg_arn(group) + ":*"}),
        Spec(TOPIC, "alerts", {"name": topic, "arn": topic_arn(topic)}),
        Spec(SUBSCRIPTION, "email", {"topic": topic_arn(topic), "protocol": "email", "endpoint": endpoint}),
    ]


def stack(
    style: str = "deps",
    preview: bool = True,
    group: str = "aws-cloudtrail-logs-main",
    pattern: str = CIS_12,
    alarm: Mapping[str, Any] | None = None,
    topic: Mapping[str, Any] | None = None,
    subscription: bool = True,
    component: bool = False,
    suffix: str = "",
) -> list[Spec]:
    """A compliant trail -> log group -> filter -> alarm -> topic -> subscription stack.

    style "deps": links through outputs (unknown at preview, property dependencies);
    style "literal": links by literal names/ARNs, no property dependencies.
    `alarm`/`topic` override properties; `component` parents everything to a component.
    """
    comp_type = "trailwatch:index:Monitoring" if component else None
    comp = Spec("trailwatch:index:Monitoring", f"mon{suffix}", {}) if component else None
    parent = comp.urn if comp else None

    def spec(type_: str, name: str, props: dict[str, Any], deps: dict[str, list[str]] | None = None) -> Spec:
        return Spec(type_, name + suffix, props, deps or {}, parent, comp_type)

    def out(value: str) -> str:
        return UNKNOWN_STRING if preview else value

    deps = style == "deps"
    log_group = spec(LOG_GROUP, "trail-logs", {"name": group, "arn": out(lg_arn(group))})
    tp_name = f"alerts{suffix}-1a2b3c4"
    tp = spec(TOPIC, "alerts", {"name": tp_name, "arn": out(topic_arn(tp_name)), **(topic or {})})
    trail = spec(
        TRAIL,
        "trail",
        {
            "name": "main" + suffix,
            "isMultiRegionTrail": True,
            "enableLogging": True,
            "cloudWatchLogsGroupArn": (out(lg_arn(group) + ":*") if deps else lg_arn(group) + ":*"),
        },
        {"cloudWatchLogsGroupArn": [log_group.urn]} if deps else {},
    )
    flt = spec(
        FILTER,
        "unauthorized",
        {
            "name": "unauthorized" + suffix,
            "logGroupName": group,
            "pattern": pattern,
            "metricTransformation": {
                "name": "UnauthorizedAPICalls",
                "namespace": "CISBenchmark",
                "value": "1",
                "defaultValue": "0",
            },
        },
        {"logGroupName": [log_group.urn]} if deps else {},
    )
    alarm_props = {
        "name": "Unauthorized_API_Calls" + suffix,
        "namespace": "CISBenchmark",
        "metricName": "UnauthorizedAPICalls",
        "statistic": "Sum",
        "period": 300.0,
        "threshold": 1.0,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "evaluationPeriods": 1.0,
        "treatMissingData": "notBreaching",
        "actionsEnabled": True,
        "alarmActions": [out(topic_arn(tp_name)) if deps else topic_arn(tp_name)],
        **(alarm or {}),
    }
    al = spec(ALARM, "unauthorized-alarm", alarm_props, {"alarmActions": [tp.urn]} if deps else {})
    specs = ([comp] if comp else []) + [log_group, trail, flt, tp, al]
    if subscription:
        specs.append(
            spec(
                SUBSCRIPTION,
                "email",
                {
                    "topic": out(topic_arn(tp_name)) if deps else topic_arn(tp_name),
                    "protocol": "email",
                    "endpoint": secret("security@example.com"),
                },
                {"topic": [tp.urn]} if deps else {},
            )
        )
    return specs


def find(specs: Iterable[Spec], type_: str) -> Spec:
    return next(s for s in specs if s.type == type_)


# -- through the SDK ---------------------------------------------------------------------
def _struct(props: Mapping[str, Any]):
    from google.protobuf import struct_pb2

    s = struct_pb2.Struct()
    s.update(props)
    return s


def policy_resources(specs: Iterable[Spec]) -> list[Any]:
    """PolicyResources exactly as the SDK builds them in AnalyzeStack."""
    from google.protobuf import json_format
    from pulumi_policy.deserialize import deserialize_properties
    from pulumi_policy.policy import PolicyResource, PolicyResourceOptions
    from pulumi_policy.proxy import unknown_checking_proxy

    specs = list(specs)
    out: dict[str, Any] = {}
    for s in specs:
        props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(_struct(s.props))))
        opts = PolicyResourceOptions(False, [], False, [], None, [], None)  # type: ignore[arg-type]
        out[s.urn] = PolicyResource(s.type, props, s.urn, s.name, opts, None, None, [], {})
    for s in specs:
        r = out[s.urn]
        r.parent = out.get(s.parent or "")
        r.property_dependencies = {k: [out[u] for u in v if u in out] for k, v in s.deps.items()}
    return list(out.values())


def analyze_stack_request(specs: Iterable[Spec]):
    from pulumi.runtime.proto import analyzer_pb2

    resources = []
    for s in specs:
        r = analyzer_pb2.AnalyzerResource(
            type=s.type, urn=s.urn, name=s.name, properties=_struct(s.props), parent=s.parent or ""
        )
        for key, urns in s.deps.items():
            r.propertyDependencies[key].urns.extend(urns)
        r.dependencies.extend(sorted({u for v in s.deps.values() for u in v}))
        resources.append(r)
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)


def pack_python() -> str:
    """The pack's own interpreter (pulumi-policy only) when made, else this one."""
    venv = POLICY_DIR / "venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


class PackProcess:
    """The real pack, launched as the Pulumi language host does, spoken to over gRPC."""

    def __init__(self, dry_run: bool = True, env: Mapping[str, str] | None = None, others_apart: bool = False) -> None:
        #: True: `analyze_stack` leaves out the advisory diagnostics of the control policies other
        #: than 4.1 (advisory by default since issue 21; tests of 4.1's rules on 4.1-only stacks
        #: look at them apart, in `self.others`)
        self.others_apart = others_apart
        self.others: list[Any] = []
        env = dict(
            os.environ,
            PULUMI_PROJECT="trailwatch",
            PULUMI_STACK="dev",
            PULUMI_DRY_RUN="true" if dry_run else "false",
            PULUMI_CONFIG="{}",
            **(env or {}),
        )
        # The engine address is only used to log a failure of the pack program itself.
        self.proc = subprocess.Popen(
            [pack_python(), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(POLICY_DIR)],
            cwd=POLICY_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        line = self.proc.stdout.readline().decode().strip()  # type: ignore[union-attr]
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"pack did not start: {line!r} {self.proc.stderr.read().decode()}")  # type: ignore[union-attr]
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def info(self):
        from google.protobuf import empty_pb2

        return self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)

    def configure(self, config: Mapping[str, Any] | None = None) -> None:
        """Configure like the engine: defaults from the schema, then the user's file."""
        from pulumi.runtime.proto import analyzer_pb2

        info = self.info()
        config = dict(config or {})
        everyone = config.pop("all", None)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        if isinstance(everyone, Mapping):  # like the engine: its level for every policy, the
            rest = dict(everyone)  # other keys passed on as the config of "all"
            everyone = rest.pop("enforcementLevel", None)
            entry = request.policyConfig["all"]
            entry.enforcementLevel = _level(everyone or "advisory")
            entry.properties.update(rest)
        for policy in info.policies:
            level = policy.enforcementLevel if everyone is None else _level(everyone)
            props = {
                k: v["default"]
                for k, v in json_format_to_dict(policy.configSchema.properties).items()
                if "default" in v
            }
            user = config.get(policy.name)
            if isinstance(user, str):
                level = _level(user)
            elif isinstance(user, Mapping):
                user = dict(user)
                if "enforcementLevel" in user:
                    level = _level(user.pop("enforcementLevel"))
                props.update(user)
            entry = request.policyConfig[policy.name]
            entry.enforcementLevel = level
            entry.properties.update(props)
        self.stub.Configure(request, timeout=30)

    def analyze_stack(self, specs: Iterable[Spec]):
        found = self.stub.AnalyzeStack(analyze_stack_request(specs), timeout=60).diagnostics
        if not self.others_apart:
            return found
        from pulumi.runtime.proto import analyzer_pb2

        from trailwatch_policy.controls import CONTROLS

        others = {c.policy for c in CONTROLS[1:]}
        self.others = [d for d in found if d.policyName in others and d.enforcementLevel == analyzer_pb2.ADVISORY]
        return [d for d in found if d not in self.others]

    def analyze(self, spec: Spec):
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.AnalyzeRequest(
            type=spec.type, urn=spec.urn, name=spec.name, properties=_struct(spec.props)
        )
        return self.stub.Analyze(request, timeout=30).diagnostics

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def json_format_to_dict(struct: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct)


def _level(name: str) -> int:
    from pulumi.runtime.proto import analyzer_pb2

    return {
        "advisory": analyzer_pb2.ADVISORY,
        "mandatory": analyzer_pb2.MANDATORY,
        "disabled": analyzer_pb2.DISABLED,
        "remediate": analyzer_pb2.REMEDIATE,
    }[name]
