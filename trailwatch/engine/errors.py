"""One exception type for everything that ends a check with exit code 2."""

from __future__ import annotations


class EngineError(Exception):
    """Bad input, a failing program or a failing pack: the message is shown to the user as is."""


class ProgramError(EngineError):
    """The program itself failed; `output` is what it printed first (often the clue)."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output
        self.shown = False  # the output was already streamed to the user as the program ran
