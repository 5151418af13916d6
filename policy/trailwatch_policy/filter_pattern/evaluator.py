"""What a parsed pattern matches: the pattern classes and their compiled closures.

``evaluate`` is three-valued: ``True`` / ``False`` / ``None`` where ``None`` means a
construct whose AWS behaviour is not documented was needed to decide (listed in the
pattern's ``uncertain``). Patterns are compiled into closures once, at parse time,
because the policy pack and the CLI evaluate them over very many events. No Python
``re`` runs on user input: regexes use the linear-time matcher in ``regex``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from .nodes import And, Condition, FieldCondition, Node, Or, Term, Value
from .printer import json_text, terms_text
from .regex import compile_linear

__all__ = [
    "Event",
    "FilterPattern",
    "JsonPattern",
    "MatchAllPattern",
    "RegexPattern",
    "Result",
    "TermsPattern",
]

Result = bool | None
Event = str | dict | list


class _Missing:
    """Sentinel for "the selector resolves to no node" (distinct from JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_EMPTY: dict = {}


def _as_text(event: Any) -> str:
    """The raw message of an event: a dict or list is searched as its compact JSON text."""
    if event.__class__ is str:
        return event
    if isinstance(event, str):
        return str(event)
    if event is None or isinstance(event, (dict, list, int, float, bool)):
        try:
            return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):
            pass  # not a JSON value after all (e.g. a dict with tuple keys)
    raise TypeError(f"an event is a str or a parsed JSON value, not {type(event).__name__}")


class FilterPattern:
    """A parsed filter pattern. ``kind``: match-all, json, space-delimited, terms or regex."""

    kind: str = ""
    text: str = ""
    #: constructs whose AWS behaviour is uncertain (may make ``evaluate`` return None)
    uncertain: tuple[str, ...] = ()

    def evaluate(self, event: Event) -> Result:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class MatchAllPattern(FilterPattern):
    """The empty pattern (and the quoted blank ``" "``): CloudWatch Logs counts every event."""

    kind = "match-all"

    def __init__(self, text: str, quoted_blank: bool = False) -> None:
        self.text = text
        self.quoted_blank = quoted_blank

    def evaluate(self, event: Event) -> Result:
        return True

    def __str__(self) -> str:
        return '" "' if self.quoted_blank else ""


class RegexPattern(FilterPattern):
    """``%regex%`` alone: a regex searched over the whole raw event (linear time)."""

    kind = "regex"

    def __init__(self, text: str, source: str, too_large: bool) -> None:
        self.text = text
        self.source = source
        if too_large:
            self.uncertain = (f"regular expression %{source}% (too large for trailwatch to evaluate)",)
            self._search: Callable[[str], bool] | None = None
        else:
            self._search = compile_linear(source).search

    def evaluate(self, event: Event) -> Result:
        if self._search is None:
            return None
        return self._search(_as_text(event))

    def __str__(self) -> str:
        return f"%{self.source}%"


class TermsPattern(FilterPattern):
    """Case-sensitive substring terms over the raw message.

    Plain terms must all appear, ``-term`` must not; ``?ERROR ?WARN`` matches an event with
    either term. Combined with any plain or ``-`` term, every ``?term`` is ignored: AWS's
    unstructured-log section ("If you combine "?" with other filter patterns, all question
    mark terms will be ignored": ``?ERROR ?ARGUMENTS REQUEST`` matches every event with
    REQUEST), https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
    """

    kind = "terms"

    def __init__(self, text: str, terms: tuple[Term, ...]) -> None:
        self.text = text
        self.terms = terms
        others = [t for t in terms if t.sign != "?"]
        self._optional = () if others else tuple(t.text for t in terms)
        self._lead = _group(others)

    def evaluate(self, event: Event) -> Result:
        text = _as_text(event)
        if self._optional:
            return any(t in text for t in self._optional)
        return _group_matches(self._lead, text)

    def __str__(self) -> str:
        return terms_text(self.terms)


def _group(terms: list[Term]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (tuple(t.text for t in terms if t.sign != "-"), tuple(t.text for t in terms if t.sign == "-"))


def _group_matches(group: tuple[tuple[str, ...], tuple[str, ...]], text: str) -> bool:
    required, excluded = group
    return all(t in text for t in required) and not any(t in text for t in excluded)


# ------------------------------------------------------------------ value tests


def _is_number(v: Any) -> bool:
    return (v.__class__ is int or v.__class__ is float) or (isinstance(v, (int, float)) and not isinstance(v, bool))


NodeTest = Callable[[Any], Result]


def _text_test(value: Value) -> Callable[[str], bool] | None:
    """A test on text for ``= value`` (None: the regex is too large to evaluate)."""
    if value.regex is not None:
        try:
            return compile_linear(value.regex).search
        except ValueError:  # RegexTooLarge: valid for AWS, too large here
            return None
    lit = value.literal
    if value.is_any:
        return lambda v: True
    if value.lead and value.trail:
        return lambda v: lit in v
    if value.lead:
        return lambda v: v.endswith(lit)
    if value.trail:
        return lambda v: v.startswith(lit)
    return lit.__eq__


def _eq_test(value: Value) -> NodeTest:
    """JSON: a test "node = value" on one node."""
    text = _text_test(value)
    if text is None:
        return lambda v: None if (v.__class__ is str or _is_number(v)) else False
    if value.regex is not None or (value.has_wildcard and not value.is_any):

        def t_text_only(v: Any) -> Result:
            if v.__class__ is str:
                return text(v)
            if _is_number(v):
                return None  # a regex or partial wildcard against a JSON number: undocumented
            return False

        return t_text_only
    if value.is_any:
        return lambda v: v.__class__ is str or _is_number(v)
    lit, num = value.literal, value.number

    def t_exact(v: Any) -> Result:
        if v.__class__ is str:
            return v == lit
        if v.__class__ is int or v.__class__ is float:
            return num is not None and v == num
        if _is_number(v):
            return num is not None and v == num
        return False

    return t_exact


def _cmp(op: str, num: float) -> Callable[[Any], bool]:
    return {
        "<": lambda v: v < num,
        "<=": lambda v: v <= num,
        ">": lambda v: v > num,
        ">=": lambda v: v >= num,
    }[op]


def _node_test(cond: Condition) -> NodeTest:
    op = cond.op
    if op == "IS NULL":
        return lambda v: v is None
    if op == "IS TRUE":
        return lambda v: v is True
    if op == "IS FALSE":
        return lambda v: v is False
    value = cond.value
    assert value is not None
    if op == "=":
        return _eq_test(value)
    if op == "!=":
        eq = _eq_test(value)

        def t_ne(v: Any) -> Result:
            if v.__class__ is str or _is_number(v):
                r = eq(v)
                return None if r is None else not r
            return False

        return t_ne
    assert value.number is not None  # the parser requires a number after < <= > >=
    cmp = _cmp(op, value.number)

    def t_cmp(v: Any) -> Result:
        return _is_number(v) and cmp(v)

    return t_cmp


def _may_be_none(value: Value | None) -> bool:
    return value is not None and (value.regex is not None or (value.has_wildcard and not value.is_any))


# ------------------------------------------------------------------ JSON patterns


def _single_getter(selector: tuple, dict_root: bool) -> Callable[[Any], Any] | None:
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
                if node.__class__ is not list or key >= len(node):
                    return MISSING
                node = node[key]
        return node

    return get


def _multi_getter(selector: tuple) -> Callable[[Any], list]:
    def get(root: Any) -> list:
        nodes = [root]
        for step in selector:
            nxt: list = []
            for node in nodes:
                if step.kind == "key":
                    if isinstance(node, dict) and step.key in node:
                        nxt.append(node[step.key])
                elif step.kind == "index":
                    if isinstance(node, list) and step.key < len(node):
                        nxt.append(node[step.key])
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
    test = _node_test(cond)
    may_none = _may_be_none(cond.value)
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


def _combine(node: Node, parts: list[tuple[Compiled, bool]]) -> tuple[Compiled, bool]:
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


def _exact_key(cond: Condition) -> str | None:
    """The key of ``$.key = value`` with an exact value (no wildcard, no regex, not NaN); None
    for any other condition."""
    if cond.op != "=" or len(cond.selector) != 1 or cond.selector[0].kind != "key":
        return None
    v = cond.value
    if v is None or v.regex is not None or v.has_wildcard or (v.number is not None and v.number != v.number):
        return None
    return str(cond.selector[0].key)


def _member(key: str, values: list[Value]) -> Compiled:
    """``($.key = a) || ($.key = b) || ...`` with exact values, as one lookup: the same answer
    as each alternative's `t_exact` (a string equals a value's text; a number, not a boolean,
    equals a value's number), for any record."""
    texts = frozenset(v.literal for v in values)
    numbers = frozenset(v.number for v in values if v.number is not None)

    def t_member(root: Any) -> Result:
        v = root.get(key, MISSING)
        if v.__class__ is str:
            return v in texts
        return _is_number(v) and v in numbers

    return t_member


def _alternatives(node: Or, dict_root: bool) -> list[tuple[Compiled, bool]]:
    """An OR's compiled alternatives. When the root is a dict, exact comparisons of one
    top-level key (an event-name list: the usual filter) become one set lookup each."""
    by_key: dict[str, list[Condition]] = {}
    if dict_root:
        for child in node.children:
            if isinstance(child, Condition) and (key := _exact_key(child)) is not None:
                by_key.setdefault(key, []).append(child)
    grouped = {id(c) for conds in by_key.values() if len(conds) > 1 for c in conds}
    parts = [
        (_member(key, [c.value for c in conds if c.value is not None]), False)
        for key, conds in by_key.items()
        if len(conds) > 1
    ]
    return parts + [_compile(c, dict_root) for c in node.children if id(c) not in grouped]


def _compile(node: Node, dict_root: bool) -> tuple[Compiled, bool]:
    if isinstance(node, Condition):
        return _compile_condition(node, dict_root)
    if isinstance(node, Or):
        parts = _alternatives(node, dict_root)
        return parts[0] if len(parts) == 1 else _combine(node, parts)  # one list of names: its lookup
    assert isinstance(node, And)
    return _combine(node, [_compile(c, dict_root) for c in node.children])


def conditions(node: Node) -> Iterator[Condition | FieldCondition]:
    if isinstance(node, (Condition, FieldCondition)):
        yield node
        return
    for c in node.children:
        yield from conditions(c)


def _uncertain_values(node: Node, too_large: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for c in conditions(node):
        v = c.value
        if v is None:
            continue
        if v.regex is not None:
            if v.regex in too_large:
                found.add(f"regular expression %{v.regex}% (too large for trailwatch to evaluate)")
            elif isinstance(c, Condition):
                found.add(f"regular expression %{v.regex}% compared with a JSON number")
        elif isinstance(c, Condition) and v.has_wildcard and not v.is_any:
            found.add(f"wildcard {v.raw!r} compared with a JSON number")
    return found


class JsonPattern(FilterPattern):
    """``{ ... }``: conditions on fields of JSON events; non-JSON events never match."""

    kind = "json"

    def __init__(self, text: str, expression: Node, too_large: tuple[str, ...] = ()) -> None:
        self.text = text
        self.expression = expression
        self.uncertain = tuple(sorted(_uncertain_values(expression, too_large)))
        self._dict_root_only = all(
            isinstance(c, Condition) and c.selector and c.selector[0].kind == "key" for c in conditions(expression)
        )
        self._fn, _ = _compile(expression, self._dict_root_only)
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
        return json_text(self.expression)
