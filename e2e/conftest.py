"""`make e2e`: needs `make cli` (.tools/bin/pulumi) and, for the TypeScript stack, its npm
packages (`make e2e` runs npm ci). Without either the session stops with one line, never a skip."""

from __future__ import annotations

import pytest

from e2e.harness import TOOLS, TS


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (TOOLS / "bin" / "pulumi").exists() or not (TOOLS / "VERSION").exists():
        raise pytest.UsageError(
            "make e2e: no Pulumi CLI in .tools/ -- run `make cli` (needs Go and the Go module proxy)"
        )


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if (
        any(item.path.name == "test_typescript.py" for item in items)
        and not (TS / "node_modules" / "@pulumi" / "aws").exists()
    ):
        raise pytest.UsageError(
            f"make e2e: {TS.relative_to(TS.parents[1])}/node_modules is missing -- run `make e2e` "
            "(it installs the TypeScript stack's packages with npm ci; needs Node and the npm registry)"
        )
