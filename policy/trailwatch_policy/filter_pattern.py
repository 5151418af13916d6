"""CloudWatch Logs filter patterns: parse, print back, and evaluate on log events offline.

AWS offers no local evaluator (``TestMetricFilter`` is a 50-event API call) and the
emulators match every JSON pattern against everything, so trailwatch decides what a
metric filter really counts here. Semantics: ``/work/shared/specs/filter-pattern.md``
(user doc: ``docs/filter-pattern.md``).

``evaluate`` is three-valued: ``True`` / ``False`` / ``None`` where ``None`` means a
construct whose AWS behaviour is uncertain was needed to decide (an infix wildcard,
a wildcard against a number, a regular expression too costly to run safely, a
space-delimited pattern). Patterns are compiled into closures once, at parse time,
because the policy pack and the CLI evaluate them over very many events.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Union

__all__ = [
    "MAX_LENGTH",
    "FilterPattern",
    "FilterPatternError",
    "JsonPattern",
    "MatchAllPattern",
    "SpaceDelimitedPattern",
    "TermsPattern",
    "Condition",
    "And",
    "Or",
    "Value",
    "parse",
]

MAX_LENGTH = 1024
MAX_NESTING = 64
MAX_REGEXES = 2

Result = Union[bool, None]
Event = Union[str, dict, list]


class FilterPatternError(ValueError):
    """A pattern CloudWatch Logs would reject; the message names the column and the fix."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


# --------------------------------------------------------------------------- AST

class _Missing:
    """Sentinel for "the selector resolves to no node" (distinct from JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_NAME_RE = re.compile(r"[A-Za-z0-9_\-]+")
_NUMBER_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BARE_STOP = frozenset(" \t\r\n\f\v(){}\"&|")


@dataclass(frozen=True)
class Value:
    """The right-hand side of a comparison.

    ``pieces`` are the literal parts between wildcard ``*`` (one piece: no wildcard);
    ``number`` is set when the value has no wildcard and reads as a number;
    ``regex`` holds the source of a ``%regex%`` value (``pieces`` is then empty).
    """

    pieces: tuple[str, ...]
    number: float | None = None
    regex: str | None = None

    @property
    def has_wildcard(self) -> bool:
        return len(self.pieces) > 1

    def literal(self) -> str:
        """The value as plain text with ``*`` for wildcards (for messages)."""
        if self.regex is not None:
            return f"%{self.regex}%"
        return "*".join(self.pieces)

    def quoted(self) -> str:
        if self.regex is not None:
            return f"%{self.regex}%"
        return '"' + "*".join(_escape_quoted(p) for p in self.pieces) + '"'

    def compact(self) -> str:
        """Shortest text with the same meaning: bare when a bare value reads back the same."""
        if self.regex is not None:
            return f"%{self.regex}%"
        if any("*" in p or "\\" in p for p in self.pieces):
            return self.quoted()
        text = "*".join(self.pieces)
        if text and not text.startswith(("%", "=", "!", "<", ">")) and not any(c in _BARE_STOP for c in text):
            return text
        return self.quoted()


def _escape_quoted(piece: str) -> str:
    return piece.replace("\\", "\\\\").replace('"', '\\"').replace("*", "\\*")


@dataclass(frozen=True)
class Step:
    """One selector step: ``key`` (``.name`` / ``['a.b']``), ``index`` (``[n]``) or ``any`` (``.*`` / ``[*]``)."""

    kind: str
    key: str | int | None = None

    def text(self) -> str:
        if self.kind == "index":
            return f"[{self.key}]"
        if self.kind == "any":
            return "[*]"
        key = str(self.key)
        if _NAME_RE.fullmatch(key):
            return "." + key
        return "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


@dataclass(frozen=True)
class Condition:
    """``selector op value`` or ``selector IS NULL|TRUE|FALSE`` / ``selector NOT EXISTS``."""

    selector: tuple[Step, ...]
    op: str  # = != < <= > >= | IS NULL | IS TRUE | IS FALSE | NOT EXISTS
    value: Value | None = None

    def selector_text(self) -> str:
        return "$" + "".join(s.text() for s in self.selector)

    def text(self, compact: bool = False) -> str:
        sel = self.selector_text()
        if self.value is None:
            return f"{sel} {self.op}"
        if compact:
            return f"{sel}{self.op}{self.value.compact()}"
        return f"{sel} {self.op} {self.value.quoted()}"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


Node = Union[Condition, And, Or]


def _node_text(node: Node, compact: bool, inside_and: bool = False) -> str:
    if isinstance(node, Condition):
        return node.text(compact) if compact else f"({node.text()})"
    if isinstance(node, And):
        sep = "&&" if compact else " && "
        return sep.join(_node_text(c, compact, True) for c in node.children)
    sep = "||" if compact else " || "
    text = sep.join(_node_text(c, compact) for c in node.children)
    return f"({text})" if inside_and else text


# --------------------------------------------------------------------- patterns

class FilterPattern:
    """A parsed filter pattern. ``kind``: match-all, json, space-delimited or terms."""

    kind: str = ""
    text: str = ""
    #: constructs whose AWS behaviour is uncertain (may make ``evaluate`` return None)
    uncertain: tuple[str, ...] = ()

    def evaluate(self, event: Event) -> Result:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class MatchAllPattern(FilterPattern):
    """The empty pattern: CloudWatch Logs counts every event."""

    kind = "match-all"

    def __init__(self, text: str) -> None:
        self.text = text

    def evaluate(self, event: Event) -> Result:
        return True

    def __str__(self) -> str:
        return ""


class JsonPattern(FilterPattern):
    """``{ ... }``: conditions on fields of JSON events; non-JSON events never match."""

    kind = "json"

    def __init__(self, text: str, expression: Node, regexes: int) -> None:
        self.text = text
        self.expression = expression
        self.uncertain = tuple(sorted(_uncertain_constructs(expression)))
        self._dict_root_only = _keys_only(expression)
        fn, _ = _compile(expression, self._dict_root_only)
        self._fn = fn
        self._loads = json.loads

    def evaluate(self, event: Event) -> Result:
        if event.__class__ is str:
            try:
                event = self._loads(event)
            except (ValueError, RecursionError):
                return False
        elif not isinstance(event, (dict, list, str, int, float, bool)) and event is not None:
            raise TypeError(f"an event is a str or a parsed JSON value, not {type(event).__name__}")
        if event.__class__ is not dict and self._dict_root_only:
            event = _EMPTY
        return self._fn(event)

    def __str__(self) -> str:
        readable = "{ " + _node_text(self.expression, False) + " }"
        if len(readable) <= MAX_LENGTH:
            return readable
        return "{" + _node_text(self.expression, True) + "}"


class SpaceDelimitedPattern(FilterPattern):
    """``[ip, user, ...]``: recognised; evaluating it is not implemented (indeterminate)."""

    kind = "space-delimited"
    uncertain = ("space-delimited pattern",)

    def __init__(self, text: str) -> None:
        self.text = text

    def evaluate(self, event: Event) -> Result:
        return None

    def __str__(self) -> str:
        return self.text.strip()


@dataclass(frozen=True)
class Term:
    text: str
    sign: str = ""  # "" required, "-" excluded, "?" any-of
    quoted: bool = False

    def __str__(self) -> str:
        body = self.text
        if self.quoted or not re.fullmatch(r'[^\s"\-?{\[][^\s]*', body):
            body = '"' + body.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return self.sign + body


class TermsPattern(FilterPattern):
    """Case-sensitive substring terms over the raw message: all plain, none of ``-``, one of ``?``."""

    kind = "terms"

    def __init__(self, text: str, terms: tuple[Term, ...]) -> None:
        self.text = text
        self.terms = terms
        self._all = tuple(t.text for t in terms if t.sign == "")
        self._none = tuple(t.text for t in terms if t.sign == "-")
        self._any = tuple(t.text for t in terms if t.sign == "?")

    def evaluate(self, event: Event) -> Result:
        if event.__class__ is not str:
            event = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        for t in self._all:
            if t not in event:
                return False
        for t in self._none:
            if t in event:
                return False
        if self._any:
            for t in self._any:
                if t in event:
                    return True
            return False
        return True

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms)


_EMPTY: dict = {}


# ---------------------------------------------------------------------- parsing

def parse(text: str) -> FilterPattern:
    """Parse a metric filter pattern; raise FilterPatternError if CloudWatch Logs would reject it."""
    if not isinstance(text, str):
        raise FilterPatternError(f"a filter pattern is text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FilterPatternError(
            f"pattern is {len(text)} characters long; CloudWatch Logs accepts at most {MAX_LENGTH}"
        )
    stripped = text.strip()
    if not stripped:
        return MatchAllPattern(text)
    try:
        first = stripped[0]
        if first == "{":
            return _JsonParser(text).parse()
        if first == "[":
            return _parse_space_delimited(text)
        return _parse_terms(text)
    except RecursionError:  # pragma: no cover - nesting is bounded explicitly
        raise FilterPatternError("pattern is nested too deeply") from None


class _JsonParser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.regexes = 0
        self.depth = 0

    # helpers
    def error(self, message: str, at: int | None = None) -> FilterPatternError:
        pos = self.i if at is None else at
        return FilterPatternError(f"{message} at column {pos + 1}", pos + 1)

    def ws(self) -> None:
        s, i, n = self.s, self.i, self.n
        while i < n and s[i].isspace():
            i += 1
        self.i = i

    def peek(self, k: int = 1) -> str:
        return self.s[self.i:self.i + k]

    def parse(self) -> JsonPattern:
        self.ws()
        self.i += 1  # "{" (checked by caller)
        expr = self.or_expr()
        self.ws()
        if self.peek() != "}":
            raise self.error(self._expected("'}'"))
        self.i += 1
        self.ws()
        if self.i < self.n:
            raise self.error("unexpected text after the closing '}'")
        return JsonPattern(self.s, expr, self.regexes)

    def _expected(self, what: str) -> str:
        if self.i >= self.n:
            return f"expected {what} but the pattern ended"
        return f"expected {what}, found {self.s[self.i]!r}"

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while True:
            self.ws()
            if self.peek(2) != "||":
                break
            self.i += 2
            children.append(self.and_expr())
        if len(children) == 1:
            return children[0]
        flat: list[Node] = []
        for c in children:
            flat.extend(c.children if isinstance(c, Or) else (c,))
        return Or(tuple(flat))

    def and_expr(self) -> Node:
        children = [self.primary()]
        while True:
            self.ws()
            if self.peek(2) != "&&":
                break
            self.i += 2
            children.append(self.primary())
        if len(children) == 1:
            return children[0]
        flat: list[Node] = []
        for c in children:
            flat.extend(c.children if isinstance(c, And) else (c,))
        return And(tuple(flat))

    def primary(self) -> Node:
        self.ws()
        c = self.peek()
        if c == "(":
            if self.depth >= MAX_NESTING:
                raise self.error(f"parentheses nested deeper than {MAX_NESTING}")
            self.depth += 1
            self.i += 1
            node = self.or_expr()
            self.ws()
            if self.peek() != ")":
                raise self.error(self._expected("'&&', '||' or ')'"))
            self.i += 1
            self.depth -= 1
            return node
        if c == "$":
            return self.condition()
        raise self.error(self._expected("'(' or a selector starting with '$'"))

    def selector(self) -> tuple[Step, ...]:
        s = self.s
        self.i += 1  # "$"
        steps: list[Step] = []
        while self.i < self.n:
            c = s[self.i]
            if c == ".":
                self.i += 1
                if self.peek() == "*":
                    self.i += 1
                    steps.append(Step("any"))
                    continue
                m = _NAME_RE.match(s, self.i)
                if not m:
                    raise self.error(self._expected("a field name after '.'"))
                steps.append(Step("key", m.group()))
                self.i = m.end()
            elif c == "[":
                start = self.i
                self.i += 1
                c2 = self.peek()
                if c2 == "*":
                    self.i += 1
                    steps.append(Step("any"))
                elif c2.isdigit() and c2.isascii():
                    j = self.i
                    while j < self.n and s[j].isdigit() and s[j].isascii():
                        j += 1
                    steps.append(Step("index", int(s[self.i:j])))
                    self.i = j
                elif c2 in ("'", '"'):
                    key = self.quoted(c2, "field name")
                    if not key:
                        raise self.error("empty field name in brackets", start)
                    steps.append(Step("key", key))
                else:
                    raise self.error(self._expected("an index, '*' or a quoted field name after '['"))
                if self.peek() != "]":
                    raise self.error(self._expected("']'"))
                self.i += 1
            else:
                break
        return tuple(steps)

    def quoted(self, quote: str, what: str) -> str:
        """Read a quoted string at self.i (backslash escapes); return its unescaped text."""
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

    def condition(self) -> Condition:
        sel = self.selector()
        self.ws()
        s = self.s
        two = self.peek(2)
        if two == "==":
            raise self.error("'==' is not an operator, use '='")
        if two in ("!=", "<=", ">="):
            op = two
            self.i += 2
        elif two[:1] in ("=", "<", ">"):
            op = two[:1]
            self.i += 1
        elif s.startswith("IS", self.i):
            self.i += 2
            self.ws()
            for word in ("NULL", "TRUE", "FALSE"):
                if s.startswith(word, self.i) and not _word_char(s, self.i + len(word)):
                    self.i += len(word)
                    return Condition(sel, f"IS {word}")
            raise self.error(self._expected("NULL, TRUE or FALSE after IS"))
        elif s.startswith("NOT", self.i):
            self.i += 3
            self.ws()
            if s.startswith("EXISTS", self.i) and not _word_char(s, self.i + 6):
                self.i += 6
                return Condition(sel, "NOT EXISTS")
            raise self.error(self._expected("EXISTS after NOT"))
        else:
            raise self.error(self._expected("an operator (=, !=, <, <=, >, >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS"))
        if self.peek() == "=":
            raise self.error(f"'{op}=' is not an operator")
        self.ws()
        value = self.value(op)
        return Condition(sel, op, value)

    def value(self, op: str) -> Value:
        s = self.s
        start = self.i
        c = self.peek()
        if c == '"':
            pieces = self.quoted_pieces()
        elif c == "%":
            end = self.i + 1
            while end < self.n and s[end] != "%":
                end += 2 if s[end] == "\\" else 1
            if end >= self.n:
                raise self.error("unterminated regular expression starting", start)
            source = s[self.i + 1:end]
            if not source:
                raise self.error("empty regular expression", start)
            if op not in ("=", "!="):
                raise self.error(f"a regular expression can only be compared with = or !=, not {op}", start)
            self.regexes += 1
            if self.regexes > MAX_REGEXES:
                raise self.error(f"more than {MAX_REGEXES} regular expressions in one pattern (CloudWatch Logs allows {MAX_REGEXES})", start)
            try:
                re.compile(source)
            except (re.error, RecursionError, OverflowError, ValueError) as exc:
                raise self.error(f"invalid regular expression ({exc})", start) from None
            self.i = end + 1
            return Value((), None, source)
        else:
            end = self.i
            while end < self.n and s[end] not in _BARE_STOP:
                end += 1
            raw = s[self.i:end]
            if not raw:
                raise self.error(self._expected("a value"))
            self.i = end
            pieces = tuple(raw.split("*"))
        if pieces == ("",):
            raise self.error("empty value", start)
        number = None
        if len(pieces) == 1 and _NUMBER_RE.fullmatch(pieces[0]):
            number = float(pieces[0])
        return Value(pieces, number)

    def quoted_pieces(self) -> tuple[str, ...]:
        """A quoted value split on unescaped ``*`` (escaped ``\\*`` is a literal star)."""
        start = self.i
        self.i += 1
        s = self.s
        pieces: list[str] = []
        cur: list[str] = []
        while self.i < self.n:
            c = s[self.i]
            if c == "\\" and self.i + 1 < self.n:
                cur.append(s[self.i + 1])
                self.i += 2
                continue
            if c == '"':
                self.i += 1
                pieces.append("".join(cur))
                return tuple(pieces)
            if c == "*":
                pieces.append("".join(cur))
                cur = []
            else:
                cur.append(c)
            self.i += 1
        raise self.error("unterminated quoted string starting", start)


def _word_char(s: str, i: int) -> bool:
    return i < len(s) and (s[i].isalnum() or s[i] == "_")


def _parse_space_delimited(text: str) -> SpaceDelimitedPattern:
    start = len(text) - len(text.lstrip())
    i, n, depth = start, len(text), 0
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise FilterPatternError(f"unterminated quoted string starting at column {i + 1}", i + 1)
            i = j + 1
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                rest = text[i + 1:]
                if rest.strip():
                    col = i + 2 + (len(rest) - len(rest.lstrip()))
                    raise FilterPatternError(f"unexpected text after the closing ']' at column {col}", col)
                return SpaceDelimitedPattern(text)
        i += 1
    raise FilterPatternError(f"expected ']' but the pattern ended at column {n + 1}", n + 1)


def _parse_terms(text: str) -> TermsPattern:
    terms: list[Term] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        sign = ""
        if text[i] in "-?":
            sign = text[i]
            i += 1
            if i >= n or text[i].isspace():
                raise FilterPatternError(f"expected a term after {sign!r} at column {i + 1}", i + 1)
        if text[i] == '"':
            out: list[str] = []
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    out.append(text[i + 1])
                    i += 2
                    continue
                out.append(text[i])
                i += 1
            if i >= n:
                raise FilterPatternError(f"unterminated quoted phrase starting at column {start + 1}", start + 1)
            i += 1
            if not out:
                raise FilterPatternError(f"empty quoted phrase at column {start + 1}", start + 1)
            if i < n and not text[i].isspace():
                raise FilterPatternError(f"expected a blank after the quoted phrase at column {i + 1}", i + 1)
            terms.append(Term("".join(out), sign, True))
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            terms.append(Term(text[i:j], sign))
            i = j
    return TermsPattern(text, tuple(terms))


# -------------------------------------------------------------------- compiling

def _is_number(v: Any) -> bool:
    return (v.__class__ is int or v.__class__ is float) or (
        isinstance(v, (int, float)) and not isinstance(v, bool)
    )


def _regex_is_costly(source: str) -> bool:
    """Python's backtracking engine can blow up where AWS's cannot: refuse the risky shapes."""
    quantifiers = 0
    i, n, in_class = 0, len(source), False
    prev_close_group = False
    while i < n:
        c = source[i]
        if c == "\\":
            i += 2
            prev_close_group = False
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c in "*+{?" :
            if prev_close_group and c != "?":
                return True
            if c != "?":
                quantifiers += 1
        prev_close_group = c == ")" and not in_class
        i += 1
    return quantifiers > 1


NodeTest = Callable[[Any], Result]


def _eq_test(value: Value) -> tuple[NodeTest, bool]:
    """A test "node = value" on one node; returns (test, may_be_indeterminate)."""
    if value.regex is not None:
        if _regex_is_costly(value.regex):
            def t_costly(v: Any) -> Result:
                if v.__class__ is str or _is_number(v):
                    return None
                return False
            return t_costly, True
        search = re.compile(value.regex).search

        def t_regex(v: Any) -> Result:
            if v.__class__ is str:
                return search(v) is not None
            if _is_number(v):
                return None
            return False
        return t_regex, True

    pieces = value.pieces
    if len(pieces) == 1:
        lit, num = pieces[0], value.number

        def t_exact(v: Any) -> Result:
            if v.__class__ is str:
                return v == lit
            if v.__class__ is int or v.__class__ is float:
                return num is not None and v == num
            if _is_number(v):
                return num is not None and v == num
            return False
        return t_exact, False

    if pieces == ("", ""):
        def t_any(v: Any) -> Result:
            return v.__class__ is str or _is_number(v)
        return t_any, False

    if len(pieces) == 2 and pieces[0] == "":
        suffix = pieces[1]

        def t_suffix(v: Any) -> Result:
            if v.__class__ is str:
                return v.endswith(suffix)
            if _is_number(v):
                return None
            return False
        return t_suffix, True

    if len(pieces) == 2 and pieces[1] == "":
        prefix = pieces[0]

        def t_prefix(v: Any) -> Result:
            if v.__class__ is str:
                return v.startswith(prefix)
            if _is_number(v):
                return None
            return False
        return t_prefix, True

    if len(pieces) == 3 and pieces[0] == "" and pieces[2] == "":
        middle = pieces[1]

        def t_contains(v: Any) -> Result:
            if v.__class__ is str:
                return middle in v
            if _is_number(v):
                return None
            return False
        return t_contains, True

    def t_infix(v: Any) -> Result:
        if v.__class__ is str or _is_number(v):
            return None
        return False
    return t_infix, True


def _node_test(cond: Condition) -> tuple[NodeTest, bool]:
    op = cond.op
    if op == "IS NULL":
        return (lambda v: v is None), False
    if op == "IS TRUE":
        return (lambda v: v is True), False
    if op == "IS FALSE":
        return (lambda v: v is False), False
    value = cond.value
    assert value is not None
    if op == "=":
        return _eq_test(value)
    if op == "!=":
        eq, may_none = _eq_test(value)

        def t_ne(v: Any) -> Result:
            if v.__class__ is str or _is_number(v):
                r = eq(v)
                return None if r is None else not r
            return False
        return t_ne, may_none
    num = value.number
    if num is None:
        return (lambda v: False), False
    cmp: Callable[[Any], bool] = {
        "<": lambda v: v < num,
        "<=": lambda v: v <= num,
        ">": lambda v: v > num,
        ">=": lambda v: v >= num,
    }[op]

    def t_cmp(v: Any) -> Result:
        return _is_number(v) and cmp(v)
    return t_cmp, False


def _single_getter(selector: tuple[Step, ...], dict_root: bool) -> Callable[[Any], Any] | None:
    """For selectors made of keys and indexes only: a function returning the one node or MISSING."""
    if any(s.kind == "any" for s in selector):
        return None
    if dict_root and len(selector) == 1 and selector[0].kind == "key":
        key = selector[0].key
        return lambda root: root.get(key, MISSING)  # the root is a dict (see _keys_only)
    steps = tuple((s.kind == "key", s.key) for s in selector)

    def get(root: Any) -> Any:
        node = root
        for is_key, key in steps:
            if is_key:
                if node.__class__ is not dict:
                    return MISSING
                node = node.get(key, MISSING)
                if node is MISSING:
                    return MISSING
            else:
                if node.__class__ is not list or key >= len(node):  # type: ignore[operator]
                    return MISSING
                node = node[key]  # type: ignore[index]
        return node
    return get


def _multi_getter(selector: tuple[Step, ...]) -> Callable[[Any], list]:
    def get(root: Any) -> list:
        nodes = [root]
        for step in selector:
            nxt: list = []
            for node in nodes:
                if step.kind == "key":
                    if isinstance(node, dict) and step.key in node:
                        nxt.append(node[step.key])
                elif step.kind == "index":
                    if isinstance(node, list) and step.key < len(node):  # type: ignore[operator]
                        nxt.append(node[step.key])  # type: ignore[index]
                elif isinstance(node, dict):
                    nxt.extend(node.values())
                elif isinstance(node, list):
                    nxt.extend(node)
            nodes = nxt
            if not nodes:
                break
        return nodes
    return get


Compiled = Callable[[Any], Result]


def _compile_condition(cond: Condition, dict_root: bool) -> tuple[Compiled, bool]:
    """``dict_root``: every selector of the pattern starts with a key, so evaluate passes a dict."""
    single = _single_getter(cond.selector, dict_root)
    if cond.op == "NOT EXISTS":
        if single is not None:
            return (lambda root: single(root) is MISSING), False
        multi = _multi_getter(cond.selector)
        return (lambda root: not multi(root)), False
    test, may_none = _node_test(cond)
    if single is not None:
        if dict_root and len(cond.selector) == 1 and cond.selector[0].kind == "key":
            key = cond.selector[0].key
            return (lambda root: test(root.get(key, MISSING))), may_none
        return (lambda root: test(single(root))), may_none
    multi = _multi_getter(cond.selector)

    def some(root: Any) -> Result:
        unknown = False
        for node in multi(root):
            r = test(node)
            if r:
                return True
            if r is None:
                unknown = True
        return None if unknown else False
    return some, may_none


def _compile(node: Node, dict_root: bool) -> tuple[Compiled, bool]:
    if isinstance(node, Condition):
        return _compile_condition(node, dict_root)
    parts = [_compile(c, dict_root) for c in node.children]
    fns = tuple(f for f, _ in parts)
    may_none = any(m for _, m in parts)
    if isinstance(node, Or):
        if not may_none:
            if len(fns) == 2:
                a, b = fns
                return (lambda r: a(r) or b(r)), False
            return (lambda r: any(f(r) for f in fns)), False

        def tri_or(r: Any) -> Result:
            unknown = False
            for f in fns:
                x = f(r)
                if x:
                    return True
                if x is None:
                    unknown = True
            return None if unknown else False
        return tri_or, True
    if not may_none:
        if len(fns) == 2:
            a, b = fns
            return (lambda r: a(r) and b(r)), False
        return (lambda r: all(f(r) for f in fns)), False

    def tri_and(r: Any) -> Result:
        unknown = False
        for f in fns:
            x = f(r)
            if x is False:
                return False
            if x is None:
                unknown = True
        return None if unknown else True
    return tri_and, True


def _conditions(node: Node) -> list[Condition]:
    if isinstance(node, Condition):
        return [node]
    out: list[Condition] = []
    for c in node.children:
        out.extend(_conditions(c))
    return out


def _keys_only(node: Node) -> bool:
    """True when every selector starts with a key: a non-object root then resolves nothing."""
    return all(c.selector and c.selector[0].kind == "key" for c in _conditions(node))


def _uncertain_constructs(node: Node) -> set[str]:
    found: set[str] = set()
    for c in _conditions(node):
        v = c.value
        if v is None:
            continue
        if v.regex is not None:
            if _regex_is_costly(v.regex):
                found.add(f"regular expression %{v.regex}% (too costly to evaluate safely offline)")
            else:
                found.add(f"regular expression %{v.regex}% compared with a number")
            continue
        p = v.pieces
        if len(p) == 1 or p == ("", ""):
            continue
        if len(p) == 2 or (len(p) == 3 and p[0] == p[2] == ""):
            found.add(f"wildcard {v.literal()!r} compared with a number")
        else:
            found.add(f"infix wildcard {v.literal()!r}")
    return found
