"""One voice for every command: the error line, and colour only where a person reads it.

Every error a command reports reads `trailwatch <command>: error: <what is wrong and the fix>`
(argparse's own format for usage errors). Colour is used only when the stream is a terminal,
and never with `--no-color` or a non-empty NO_COLOR environment variable (https://no-color.org/).
"""

from __future__ import annotations

import os
import re
from typing import IO

_CODES = {"red": "31", "green": "32", "yellow": "33", "bold": "1"}


def error_line(command: str, message: str) -> str:
    """The one error format: `trailwatch check: error: ...` (no command: `trailwatch: error: ...`)."""
    who = f"trailwatch {command}" if command else "trailwatch"
    return f"{who}: error: {message}\n"


def colour_enabled(stream: IO[str], no_color: bool = False) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Painter:
    """`paint("red", text)` wraps text in an ANSI colour when enabled, else returns it as is."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, colour: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\033[{_CODES[colour]}m{text}\033[0m"


_VERDICT = re.compile(r"(?<![\w-])(PASS|FAIL|UNKNOWN)(?![\w-])")
_VERDICT_COLOUR = {"PASS": "green", "FAIL": "red", "UNKNOWN": "yellow"}


def paint_verdicts(text: str, paint: Painter) -> str:
    """The audit's PASS / FAIL / UNKNOWN words in their colours (nothing else changes)."""
    if not paint.enabled:
        return text
    return _VERDICT.sub(lambda m: paint(_VERDICT_COLOUR[m.group(1)], m.group(1)), text)
