"""The one exception ``parse()`` raises, and how it names a position in the pattern."""

from __future__ import annotations

__all__ = ["FilterPatternError", "position", "where"]


class FilterPatternError(ValueError):
    """A pattern CloudWatch Logs would reject; the message names the place and the fix.

    ``column`` is 1-based within ``line`` (1-based); both are None for errors about the
    whole pattern (its type or length).
    """

    def __init__(self, message: str, column: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.line = line


def position(text: str, index: int) -> tuple[int, int]:
    """(line, column), both 1-based, of the 0-based ``index`` in ``text``."""
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


def where(text: str, index: int) -> tuple[str, int, int]:
    """``at column C`` (one-line pattern) or ``at line L, column C``, with line and column."""
    line, column = position(text, index)
    if "\n" in text:
        return f"at line {line}, column {column}", line, column
    return f"at column {column}", line, column


def error_at(text: str, index: int, message: str) -> FilterPatternError:
    """A FilterPatternError for ``message`` placed at the 0-based ``index`` of ``text``."""
    place, line, column = where(text, index)
    return FilterPatternError(f"{message} {place}", column, line)
