"""`make e2e`: needs `make cli` (.tools/bin/pulumi). Without it the session stops with one line."""
from __future__ import annotations

import pytest

from e2e.harness import TOOLS


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (TOOLS / "bin" / "pulumi").exists() or not (TOOLS / "VERSION").exists():
        raise pytest.UsageError("make e2e: no Pulumi CLI in .tools/ -- run `make cli` (needs Go and the Go module proxy)")
