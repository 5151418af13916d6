"""Reading the pieces of a pattern: blanks, quoted strings, bare values, numbers and
``%regex%`` values, with the position of every error (line and column).

The three parsers (JSON, space-delimited, terms) read through one ``Scanner``.
"""

from __future__ import annotations

import re

from .errors import FilterPatternError, error_at
from .nodes import Value
from .regex import RegexError, RegexTooLarge, parse_branches

__all__ = ["NAME_RE", "NUMBER_RE", "Scanner"]

# a fixed, trusted pattern (never user input): names in selectors and fields
NAME_RE = re.compile(r"[A-Za-z0-9_\-]+")
# AWS: "An integer with an optional + or - sign, a decimal with an optional + or - sign,
# or a number in scientific notation" (archived "Filter and Pattern Syntax" page,
# https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/master/doc_source/FilterAndPatternSyntax.md)
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# characters AWS says must be quoted in a value: "Strings that have unicode and other
# characters such as '@', '$', '\' etc. must be enclosed in double quotes" (same page)
_MUST_QUOTE = frozenset("@$\\")
_OPERATOR_START = frozenset("=!<>")


class Scanner:
    """A cursor over the pattern text."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.regexes = 0
        self.too_large: list[str] = []  # regexes valid for AWS but too large to evaluate here

    # -- basics
    def error(self, message: str, at: int | None = None) -> FilterPatternError:
        return error_at(self.s, self.i if at is None else at, message)

    def ws(self) -> None:
        s, i, n = self.s, self.i, self.n
        while i < n and s[i].isspace():
            i += 1
        self.i = i

    def peek(self, k: int = 1) -> str:
        return self.s[self.i : self.i + k]

    def at_end(self) -> bool:
        return self.i >= self.n

    def expected(self, what: str) -> str:
        if self.i >= self.n:
            return f"expected {what} but the pattern ended"
        return f"expected {what}, found {self.s[self.i]!r}"

    def starts_word(self, word: str) -> bool:
        end = self.i + len(word)
        return self.s.startswith(word, self.i) and not (end < self.n and (self.s[end].isalnum() or self.s[end] == "_"))

    # -- strings
    def quoted_text(self, quote: str, what: str) -> str:
        """A quoted string at the cursor (backslash escapes the next character)."""
        start = self.i
        self.i += 1
        out: list[str] = []
        s = self.s
        while self.i < self.n:
            c = s[self.i]
            if c == "\\" and self.i + 1 < self.n:
                out.append(s[self.i + 1])
                self.i += 2
                continue
            if c == quote:
                self.i += 1
                return "".join(out)
            out.append(c)
            self.i += 1
        raise self.error(f"unterminated quoted {what} starting", start)

    def quoted_value(self) -> Value:
        """``"..."``: an unescaped ``*`` first or last is a wildcard; ``\\*`` is a star."""
        start = self.i
        self.i += 1
        s = self.s
        chars: list[tuple[str, bool]] = []  # (char, escaped)
        while self.i < self.n:
            c = s[self.i]
            if c == "\\" and self.i + 1 < self.n:
                chars.append((s[self.i + 1], True))
                self.i += 2
                continue
            if c == '"':
                self.i += 1
                if not chars:
                    raise self.error("empty value", start)
                return _value_from(chars, quoted=True, raw=s[start : self.i])
            chars.append((c, False))
            self.i += 1
        raise self.error("unterminated quoted string starting", start)

    def value(self, op: str, stop: frozenset[str]) -> Value:
        """The value after an operator: quoted, ``%regex%``, number or bare text."""
        start = self.i
        c = self.peek()
        if c == '"':
            value = self.quoted_value()
        elif c == "%":
            value = self.regex_value(op)
        else:
            if c in _OPERATOR_START:
                raise self.error(
                    f"malformed comparison: '{op}' followed by {c!r}; write one operator "
                    "(=, !=, <, <=, >, >=) and then the value"
                )
            end = self.i
            while end < self.n and self.s[end] not in stop:
                end += 1
            raw = self.s[self.i : end]
            if not raw:
                raise self.error(self.expected("a value"))
            for k, ch in enumerate(raw):
                if ch in _MUST_QUOTE or not ch.isascii() or ch == "%":
                    raise self.error(
                        f"{ch!r} in an unquoted value: CloudWatch Logs requires values with "
                        "such characters in double quotes",
                        start + k,
                    )
            self.i = end
            value = _value_from([(ch, False) for ch in raw], quoted=False, raw=raw)
        if op in ("<", "<=", ">", ">=") and value.number is None:
            raise self.error(f"'{op}' compares numbers; {value.raw!r} is not a number", start)
        return value

    def regex_value(self, op: str) -> Value:
        start = self.i
        end = self.s.find("%", self.i + 1)
        if end < 0:
            raise self.error("unterminated regular expression (no closing '%') starting", start)
        source = self.s[self.i + 1 : end]
        if op not in ("=", "!=", ""):
            raise self.error(f"a regular expression can only be compared with = or !=, not {op}", start)
        self.regexes += 1
        if self.regexes > 2:
            raise self.error("more than 2 regular expressions in one pattern (CloudWatch Logs allows 2)", start)
        self.check_regex(source, start + 1)
        self.i = end + 1
        return Value(regex=source, raw=f"%{source}%")

    def check_regex(self, source: str, offset: int) -> None:
        """Validate a regex against AWS's documented subset; errors point into the pattern."""
        try:
            parse_branches(source)
        except RegexTooLarge:
            self.too_large.append(source)
        except RegexError as exc:
            raise self.error(f"invalid regular expression %{source}%: {exc}", offset + exc.index) from None


def _value_from(chars: list[tuple[str, bool]], quoted: bool, raw: str) -> Value:
    lead = bool(chars) and chars[0] == ("*", False)
    body = chars[1:] if lead else chars
    trail = bool(body) and body[-1] == ("*", False)
    if trail:
        body = body[:-1]
    literal = "".join(c for c, _ in body)
    number = None
    if not lead and not trail and NUMBER_RE.fullmatch(literal):
        number = float(literal)
    return Value(literal, lead, trail, number, None, quoted, raw)
