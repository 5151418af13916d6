"""`make browser`: needs Debian's `chromium` (.ci/run installs it). Without it the session
stops with one line naming the fix."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# tests/moto_server.py: the loopback moto server the audit runs against
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def pytest_sessionstart(session: pytest.Session) -> None:
    if shutil.which("chromium") is None:
        raise pytest.UsageError(
            "make browser: no `chromium` on PATH -- apt-get install -y chromium "
            "(Debian's package; .ci/run installs it when missing)"
        )
