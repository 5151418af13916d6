"""Fixtures shared by the test modules (pytest finds this file; no test imports it).

The real policy pack: `pack` (one pack process per module, over gRPC as the engine speaks to it)
and `default` (that pack configured with its defaults).

A real AWS API for the audit's tests: one moto server per test session (tests/moto_server.py
`process_server`: its own process, bound by the OS to a free port on 127.0.0.1). A test that
asks for `moto` gets it empty: `Endpoint.fresh()` (moto's reset API, no injected faults, IAM
not enforced) runs before and after each test, so no test sees another's accounts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from moto_server import Endpoint, process_server
from policy_helpers import PackProcess


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[Endpoint]:
    """The session's moto server. Use `moto` for one test; a module fixture that builds a large
    state once (tests/test_audit_org.py) calls `fresh()` before and after itself."""
    with process_server() as endpoint:
        yield endpoint


@pytest.fixture
def moto(moto_endpoint: Endpoint) -> Iterator[Endpoint]:
    """The session's moto server, empty for this test."""
    moto_endpoint.fresh()
    yield moto_endpoint
    moto_endpoint.fresh()


@pytest.fixture(scope="module")
def pack() -> Iterator[PackProcess]:
    """The real pack process, previewing (dry run), for this module: 4.1's rules on 4.1-only
    stacks, so the other controls' advisory findings are looked at apart (`PackProcess.others`)."""
    process = PackProcess(dry_run=True, others_apart=True)
    yield process
    process.close()


@pytest.fixture
def default(pack: PackProcess) -> PackProcess:
    """`pack` configured with its defaults (as the engine does without a config file)."""
    pack.configure()
    return pack
