"""CloudWatch Logs' regular-expression subset, matched in linear time.

Public API (also used outside the filter-pattern engine, e.g. for admin-supplied
``logGroupNamePatterns``)::

    from trailwatch_policy.filter_pattern.regex import compile_linear, RegexError

    rx = compile_linear(r"\\d{1,3}\\.\\d{1,3}")   # raises RegexError (a ValueError) on bad syntax
    rx.search("from 10.0.0.1")                   # True: a match anywhere (unanchored search)
    rx.search("no digits")                       # False
    rx.source                                    # the text compiled

    compile_linear("^/aws/lambda|discovery", strict=False).search("/aws/lambda/fn")  # True

``search(text)`` takes time linear in ``len(text)`` for every pattern (no backtracking):
the pattern is compiled to a position NFA that is run as a lazily built DFA, one
dict lookup per character once the states met are cached. Python's ``re`` is never
used on the pattern or the text.

The syntax is the one AWS documents for filter patterns ("Supported regular expressions
(regex) syntax", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html
and the "Filter pattern syntax" page,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):

- literals: ASCII letters and digits, the symbols ``: _ # = @ / ; , -`` and the blank (not in the
  page's list, but in its own example ``%^starting|^initializing|^shutting down%``);
- operators: ``^`` ``$`` (anchors of the whole text; ``$`` also before a final newline, as
  in Java's and Python's engines), ``.`` (any character but a newline), ``[...]`` classes
  (ranges ``a-z``, negation ``[^...]``), ``?`` ``*`` ``+`` ``{m,n}`` (``{m}``, ``{m,}``,
  ``{,n}``: the regex page notes that m or n may be left out), ``|`` (alternation), ``\\`` escapes
  (``\\d \\D \\w \\W \\s \\S``, ``\\xhh`` for the ASCII character 00-7F, e.g. ``\\x28`` for
  ``(``, and an escaped operator or symbol stands for itself);
- no parentheses (AWS: "You cannot use parentheses to define a subpattern"), so every
  quantifier applies to one character, a class or an escape;
- ASCII only ("Multi-byte characters are not supported"), no other character.

``strict=False`` keeps the same operators and grammar but accepts any other printable
character as a literal (for patterns that are not filter patterns, such as log group
name patterns).

Counted repetitions are expanded into NFA positions; a pattern whose expansion exceeds
``MAX_POSITIONS`` raises :class:`RegexTooLarge` (a :class:`RegexError`): it is a limit of
this engine, not one AWS documents, and callers report such a pattern as not evaluable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MAX_POSITIONS", "MAX_REPEAT", "LinearRegex", "RegexError", "RegexTooLarge", "compile_linear"]

#: largest m or n in ``{m,n}`` this engine expands (not an AWS limit; see module doc)
MAX_REPEAT = 1000
#: largest number of NFA positions after expanding counted repetitions
MAX_POSITIONS = 4096
_MAX_DFA_STATES = 2048  # cache size; when exceeded the cache is dropped (still linear)

_SYMBOLS = frozenset(":_#=@/;,-")
_OPERATORS = frozenset("^$?[]{}|\\*+.")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_WORD = _ALNUM | {"_"}
_SPACE = frozenset(" \t\n\x0b\f\r")
_CLASS_ESCAPES = {
    "d": (_DIGITS, False),
    "D": (_DIGITS, True),
    "w": (_WORD, False),
    "W": (_WORD, True),
    "s": (_SPACE, False),
    "S": (_SPACE, True),
}


class RegexError(ValueError):
    """A regular expression outside the supported subset; ``index`` is the 0-based offset in it."""

    def __init__(self, message: str, index: int = 0) -> None:
        super().__init__(message)
        self.index = index


class RegexTooLarge(RegexError):
    """Valid syntax, but too large for this engine to expand (not an AWS limit)."""


@dataclass(frozen=True)
class CharSet:
    """A set of characters: explicit ``chars``, inclusive ``ranges``, maybe negated."""

    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...] = ()
    negated: bool = False
    dot: bool = False  # "." : anything but a newline

    def __contains__(self, c: str) -> bool:
        if self.dot:
            return c != "\n"
        hit = c in self.chars or any(lo <= c <= hi for lo, hi in self.ranges)
        return hit != self.negated


@dataclass(frozen=True)
class Item:
    """One position of a branch: a character set, or an anchor ("^" / "$")."""

    kind: str  # "one" | "opt" | "star" | "^" | "$"
    chars: CharSet | None = None


# --------------------------------------------------------------------- parsing


def _check_char(c: str, i: int, strict: bool) -> None:
    if not c.isascii():
        raise RegexError(
            f"non-ASCII character {c!r} in a regular expression (CloudWatch Logs "
            "does not support multi-byte characters)",
            i,
        )
    if c in "()":
        raise RegexError(
            f"{c!r} in a regular expression: CloudWatch Logs does not support "
            "parentheses (no subpatterns); use a character class or '|'",
            i,
        )
    # A blank is not in the page's list of characters, but the page's own example
    # %^starting|^initializing|^shutting down% "can match ... shutting down": a blank stands for itself.
    if strict and c not in _ALNUM and c not in _SYMBOLS and c not in _OPERATORS and c != " ":
        name = repr(c)
        hint = " (use \\s for a blank)" if c.isspace() else ""
        raise RegexError(
            f"{name} is not allowed in a regular expression: CloudWatch Logs accepts "
            "letters, digits, the symbols : _ # = @ / ; , - and the operators "
            f"^ $ ? [ ] {{ }} | \\ * + .{hint}",
            i,
        )
    if not strict and (c == "\n" or not c.isprintable()):
        raise RegexError(f"control character {c!r} in a regular expression", i)


class _Parser:
    def __init__(self, source: str, strict: bool) -> None:
        self.s = source
        self.i = 0
        self.n = len(source)
        self.strict = strict

    def parse(self) -> list[list[tuple[Item, int, int | None]]]:
        """Branches of (item, min, max) with max None for unbounded."""
        if not self.s:
            raise RegexError("empty regular expression", 0)
        for i, c in enumerate(self.s):
            _check_char(c, i, self.strict)
        branches = [self.branch()]
        while self.i < self.n and self.s[self.i] == "|":
            self.i += 1
            branches.append(self.branch())
        return branches

    def branch(self) -> list[tuple[Item, int, int | None]]:
        start = self.i
        items: list[tuple[Item, int, int | None]] = []
        while self.i < self.n and self.s[self.i] != "|":
            c = self.s[self.i]
            if c in "^$":
                self.i += 1
                items.append((Item(c), 1, 1))
                if self.i < self.n and self.s[self.i] in "?*+{":
                    raise RegexError(f"a quantifier cannot follow the anchor {c!r}", self.i)
                continue
            if c in "?*+{":
                raise RegexError(f"{c!r} has nothing to repeat (escape it as \\{c} for the character)", self.i)
            if c in "]}":
                raise RegexError(f"unmatched {c!r} (escape it as \\{c} for the character)", self.i)
            atom = self.atom()
            lo, hi = self.quantifier()
            items.append((Item("one", atom), lo, hi))
        if not items:
            where = "before" if self.i < self.n else "after"
            raise RegexError(f"empty alternative {where} '|'", start if self.i < self.n else start - 1)
        return items

    def atom(self) -> CharSet:
        c = self.s[self.i]
        if c == ".":
            self.i += 1
            return CharSet(frozenset(), dot=True)
        if c == "[":
            return self.char_class()
        if c == "\\":
            return self.escape(in_class=False)
        self.i += 1
        return CharSet(frozenset(c))

    def escape(self, in_class: bool) -> CharSet:
        at = self.i
        if self.i + 1 >= self.n:
            raise RegexError("'\\' at the end of the regular expression escapes nothing", at)
        c = self.s[self.i + 1]
        self.i += 2
        if c in _CLASS_ESCAPES:
            chars, negated = _CLASS_ESCAPES[c]
            return CharSet(chars, negated=negated)
        if c == "x":  # \xhh: "the ASCII mapping for a two-digit hexadecimal character" (%\x3A% matches ":")
            digits = self.s[self.i : self.i + 2]
            if len(digits) < 2 or any(d not in _HEX for d in digits):
                raise RegexError("'\\x' needs two hexadecimal digits (0-9, A-F), e.g. \\x3A for ':'", at)
            self.i += 2
            if int(digits, 16) > 0x7F:
                raise RegexError(
                    f"'\\x{digits}' is no ASCII character (\\xhh names one of the ASCII table, 00 to 7F)", at
                )
            return CharSet(frozenset(chr(int(digits, 16))))
        if c in _ALNUM:
            raise RegexError(
                f"unsupported escape '\\{c}': CloudWatch Logs documents \\d \\D \\w \\W \\s \\S and escaped operators",
                at,
            )
        return CharSet(frozenset(c))

    def char_class(self) -> CharSet:
        start = self.i
        self.i += 1
        negated = False
        if self.i < self.n and self.s[self.i] == "^":
            negated = True
            self.i += 1
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        subsets: list[CharSet] = []
        first = True
        while True:
            if self.i >= self.n:
                raise RegexError("unterminated character class '['", start)
            c = self.s[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "\\":
                cs = self.escape(in_class=True)
                if cs.negated or len(cs.chars) != 1:
                    subsets.append(cs)
                    continue
                lo = next(iter(cs.chars))
            elif c == "[":
                raise RegexError("'[' inside a character class (escape it as \\[)", self.i)
            else:
                lo = c
                self.i += 1
            if self.i + 1 < self.n and self.s[self.i] == "-" and self.s[self.i + 1] != "]":
                dash = self.i
                self.i += 1
                hc = self.s[self.i]
                if hc == "\\":
                    cs = self.escape(in_class=True)
                    if cs.negated or len(cs.chars) != 1:
                        raise RegexError("a range cannot end with a class escape", dash)
                    hi = next(iter(cs.chars))
                else:
                    hi = hc
                    self.i += 1
                if hi < lo:
                    raise RegexError(f"range {lo}-{hi} is out of order", dash - 1)
                ranges.append((lo, hi))
            else:
                chars.add(lo)
        if subsets:
            # fold class escapes in: [\d_] = digits or "_" (negated escapes expand over ASCII)
            for cs in subsets:
                if cs.negated:
                    chars.update(chr(k) for k in range(128) if chr(k) not in cs.chars)
                    if not negated:
                        # a negated escape also matches every non-ASCII character
                        ranges.append(("\x80", "\U0010ffff"))
                else:
                    chars.update(cs.chars)
        return CharSet(frozenset(chars), tuple(ranges), negated)

    def quantifier(self) -> tuple[int, int | None]:
        if self.i >= self.n:
            return 1, 1
        c = self.s[self.i]
        if c == "?":
            lo, hi = 0, 1
            self.i += 1
        elif c == "*":
            lo, hi = 0, None
            self.i += 1
        elif c == "+":
            lo, hi = 1, None
            self.i += 1
        elif c == "{":
            lo, hi = self.counted()
        else:
            return 1, 1
        if self.i < self.n and self.s[self.i] in "?*+{":
            raise RegexError(
                f"a quantifier cannot follow another quantifier ({self.s[self.i]!r}); "
                "CloudWatch Logs documents no lazy or possessive forms",
                self.i,
            )
        return lo, hi

    def counted(self) -> tuple[int, int | None]:
        start = self.i
        end = self.s.find("}", start)
        if end < 0:
            raise RegexError("unterminated '{' (escape it as \\{ for the character)", start)
        body = self.s[start + 1 : end]
        parts = body.split(",")
        if len(parts) > 2 or not all(p.isdigit() or p == "" for p in parts) or body in ("", ","):
            raise RegexError(f"malformed repetition {{{body}}}: use {{m}}, {{m,n}}, {{m,}} or {{,n}}", start)
        for p in parts:
            if p and int(p) > MAX_REPEAT:
                raise RegexTooLarge(
                    f"repetition {{{body}}} exceeds {MAX_REPEAT}, the largest count trailwatch evaluates", start
                )
        self.i = end + 1
        if len(parts) == 1:
            m = int(parts[0])
            return m, m
        lo = int(parts[0]) if parts[0] else 0
        hi = int(parts[1]) if parts[1] else None
        if hi is not None and hi < lo:
            raise RegexError(f"repetition {{{body}}}: the minimum is larger than the maximum", start)
        return lo, hi


def _expand(branch: list[tuple[Item, int, int | None]]) -> tuple[Item, ...]:
    out: list[Item] = []
    for item, lo, hi in branch:
        if item.kind in "^$":
            out.append(item)
            continue
        out.extend(Item("one", item.chars) for _ in range(lo))
        if hi is None:
            out.append(Item("star", item.chars))
        else:
            out.extend(Item("opt", item.chars) for _ in range(hi - lo))
        if len(out) > MAX_POSITIONS:
            raise RegexTooLarge(
                f"the regular expression expands to more than {MAX_POSITIONS} positions, "
                "more than trailwatch evaluates",
                0,
            )
    return tuple(out)


# --------------------------------------------------------------------- matching

_ACCEPT = -1


Positions = frozenset  # of (branch, index): "items[:index] of the branch have matched"


class _Cache:
    """The DFA built so far: state ids, their NFA position sets and transitions."""

    __slots__ = ("ids", "sets", "table", "end_ok", "start")

    def __init__(self) -> None:
        self.ids: dict[Positions, int] = {}
        self.sets: list[Positions] = []
        self.table: list[dict[str, int]] = []
        self.end_ok: list[bool | None] = []
        self.start = _ACCEPT

    def register(self, positions: Positions) -> int:
        sid = self.ids.get(positions)
        if sid is None:
            sid = len(self.sets)
            self.ids[positions] = sid
            self.sets.append(positions)
            self.table.append({})
            self.end_ok.append(None)
        return sid


class LinearRegex:
    """A compiled pattern; ``search(text)`` tells whether it matches anywhere in ``text``.

    The DFA cache is built lazily and shared between calls; a search keeps using the cache
    it started with (a full cache is replaced, never emptied under a running search), so
    concurrent searches from several threads stay correct.
    """

    __slots__ = ("source", "_branches", "_literals", "_inject", "_cache")

    def __init__(self, source: str, branches: tuple[tuple[Item, ...], ...]) -> None:
        self.source = source
        self._branches = branches
        # a pattern of plain characters only: search each branch with str.__contains__
        self._literals: tuple[str, ...] | None = None
        if all(
            all(
                it.kind == "one"
                and it.chars is not None
                and not it.chars.negated
                and not it.chars.dot
                and not it.chars.ranges
                and len(it.chars.chars) == 1
                for it in b
            )
            for b in branches
        ):
            self._literals = tuple("".join(next(iter(it.chars.chars)) for it in b if it.chars) for b in branches)
        every_start = [(b, 0) for b in range(len(branches))]
        self._inject = self._closure(every_start, at_start=False)
        self._cache = self._fresh_cache()

    def __repr__(self) -> str:
        return f"compile_linear({self.source!r})"

    def _fresh_cache(self) -> _Cache:
        cache = _Cache()
        start = self._closure([(b, 0) for b in range(len(self._branches))], at_start=True)
        cache.start = _ACCEPT if self._accepting(start) else cache.register(start)
        return cache

    def _closure(self, positions: Iterable[tuple[int, int]], at_start: bool, at_end: bool = False) -> Positions:
        out: set[tuple[int, int]] = set()
        stack = list(positions)
        while stack:
            b, k = stack.pop()
            if (b, k) in out:
                continue
            out.add((b, k))
            items = self._branches[b]
            if k < len(items):
                kind = items[k].kind
                if kind in ("opt", "star") or (kind == "^" and at_start) or (kind == "$" and at_end):
                    stack.append((b, k + 1))
        return frozenset(out)

    def _accepting(self, positions: Positions) -> bool:
        return any(k == len(self._branches[b]) for b, k in positions)

    def _step(self, cache: _Cache, sid: int, c: str) -> tuple[_Cache, int]:
        """The transition from state ``sid`` on ``c``, computed and recorded."""
        positions = cache.sets[sid]
        moved: list[tuple[int, int]] = []
        for b, k in positions:
            items = self._branches[b]
            if k < len(items):
                item = items[k]
                if item.chars is not None and c in item.chars:
                    moved.append((b, k) if item.kind == "star" else (b, k + 1))
        nxt = self._closure(moved, at_start=False) | self._inject
        if self._accepting(nxt):
            cache.table[sid][c] = _ACCEPT
            return cache, _ACCEPT
        if nxt not in cache.ids and len(cache.sets) >= _MAX_DFA_STATES:
            cache = self._fresh_cache()  # bounded memory; this search moves to the new cache
            self._cache = cache
            sid = cache.register(positions)
        t = cache.register(nxt)
        cache.table[sid][c] = t
        return cache, t

    def _run(self, cache: _Cache, sid: int, text: str) -> tuple[_Cache, int]:
        table = cache.table
        for c in text:
            t = table[sid].get(c)
            if t is None:
                cache, t = self._step(cache, sid, c)
                table = cache.table
            if t == _ACCEPT:
                return cache, _ACCEPT
            sid = t
        return cache, sid

    def _ends_ok(self, cache: _Cache, sid: int) -> bool:
        ok = cache.end_ok[sid]
        if ok is None:
            ok = self._accepting(self._closure(cache.sets[sid], at_start=False, at_end=True))
            cache.end_ok[sid] = ok
        return ok

    def search(self, text: str) -> bool:
        """True when the pattern matches somewhere in ``text`` (linear in ``len(text)``)."""
        if self._literals is not None:
            return any(lit in text for lit in self._literals)
        cache = self._cache
        sid = cache.start
        if sid == _ACCEPT:
            return True
        if not text:
            return self._accepting(self._closure(cache.sets[sid], at_start=True, at_end=True))
        final_newline = text[-1] == "\n"
        cache, sid = self._run(cache, sid, text[:-1] if final_newline else text)
        if sid == _ACCEPT:
            return True
        if not final_newline:
            return self._ends_ok(cache, sid)
        # "$" also matches before a final newline (as in Java's and Python's engines)
        if self._ends_ok(cache, sid):
            return True
        cache, sid = self._run(cache, sid, "\n")
        return sid == _ACCEPT or self._ends_ok(cache, sid)


def parse_branches(source: str, strict: bool = True) -> tuple[tuple[Item, ...], ...]:
    """Validate ``source`` and return its branches of expanded items (raises RegexError)."""
    if not isinstance(source, str):
        raise RegexError(f"a regular expression is text, not {type(source).__name__}")
    return tuple(_expand(b) for b in _Parser(source, strict).parse())


def compile_linear(pattern: str, *, strict: bool = True) -> LinearRegex:
    """Compile an AWS-subset regular expression into a linear-time matcher.

    ``strict`` (default) enforces CloudWatch Logs' character whitelist; ``strict=False``
    allows any other printable character as a literal. Raises :class:`RegexError`
    (a ``ValueError`` with ``.index``) naming the offending character and the fix.
    """
    return LinearRegex(pattern, parse_branches(pattern, strict))
