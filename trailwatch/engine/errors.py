"""One exception type for everything that ends a check with exit code 2."""
from __future__ import annotations


class EngineError(Exception):
    """Bad input, a failing program or a failing pack: the message is shown to the user as is."""
