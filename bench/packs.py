"""Start a pack as the CLI does (the offline engine's launcher) and talk to it directly."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from trailwatch.engine.analyzer import EngineService, PackProcess, choose_interpreter

from .common import ROOT

TRAILWATCH = ROOT / "policy"
NOOP = Path(__file__).with_name("packs") / "noop"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update(
        PULUMI_PROJECT="bench",
        PULUMI_STACK="bench",
        PULUMI_ORGANIZATION="organization",
        PULUMI_DRY_RUN="true",
        **(extra or {}),
    )
    return env


@contextmanager
def running(
    pack_dir: Path,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    level: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[analyzer_pb2_grpc.AnalyzerStub, float]]:
    """The pack started and configured (every policy at its default level, or all at `level`;
    `config`'s properties per policy name; `env` added to the pack's): (stub, start seconds)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(EngineService(), server)
    engine = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    command = choose_interpreter(pack_dir, [])
    started = time.perf_counter()
    pack = PackProcess([*command, "-u", "-m", "pulumi.policy", engine, str(pack_dir)], pack_dir, _env(env), 120)
    took = time.perf_counter() - started
    channel = grpc.insecure_channel(
        f"127.0.0.1:{pack.port}",
        options=[("grpc.max_send_message_length", 1 << 30), ("grpc.max_receive_message_length", 1 << 30)],
    )
    try:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy in info.policies:
            request.policyConfig[policy.name].enforcementLevel = policy.enforcementLevel if level is None else level
            request.policyConfig[policy.name].properties.update((config or {}).get(policy.name, {}))
        stub.Configure(request)
        yield stub, took
    finally:
        channel.close()
        pack.kill()
        server.stop(grace=None)
