"""Space-delimited patterns: splitting a log line into fields and evaluating the
positional field conditions (``[ip, user, ..., status_code = 4*, bytes > 1000]``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .evaluator import (
    Event,
    FilterPattern,
    Result,
    _as_text,
    _cmp,
    _combine,
    _text_test,
    _uncertain_values,
)
from .lexer import NUMBER_RE
from .nodes import And, Field, FieldCondition, Node, Or
from .printer import space_text

__all__ = ["MAX_ASSIGNMENTS", "SpaceDelimitedPattern", "split_fields"]

#: most field assignments tried when several "..." make the split ambiguous
MAX_ASSIGNMENTS = 10_000


def split_fields(text: str) -> list[str]:
    """Split a log line into fields: blanks separate; "..." and [...] are one field each.

    AWS: "The characters between a pair of square brackets [] or two double quotes ("")
    are treated as a single field" (the quotes and brackets are not part of the value,
    as the documented extracted fields show).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == " " or c == "\t":
            i += 1
            continue
        if c == '"':
            j = text.find('"', i + 1)
            if j < 0:
                j = n
            out.append(text[i + 1 : j])
            i = j + 1
            continue
        if c == "[":
            depth, j = 0, i
            while j < n:
                if text[j] == "[":
                    depth += 1
                elif text[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(text[i + 1 : j])
            i = j + 1
            continue
        j = i
        while j < n and text[j] != " " and text[j] != "\t":
            j += 1
        out.append(text[i:j])
        i = j
    return out


def _number(text: str) -> float | None:
    if NUMBER_RE.fullmatch(text):  # a fixed pattern, not user input
        return float(text)
    return None


def _field_test(cond: FieldCondition) -> Callable[[str], Result]:
    value, op = cond.value, cond.op
    if op in ("<", "<=", ">", ">="):
        assert value.number is not None
        cmp = _cmp(op, value.number)

        def t_cmp(v: str) -> Result:
            num = _number(v)
            return num is not None and cmp(num)

        return t_cmp
    text = _text_test(value)
    if text is None:
        return lambda v: None
    num, lit = value.number, value.literal
    eq: Callable[[str], bool] = text
    if num is not None:

        def eq_number(v: str) -> bool:
            n = _number(v)
            return v == lit if n is None else n == num

        eq = eq_number
    if op == "=":
        return eq
    return lambda v: not eq(v)


class SpaceDelimitedPattern(FilterPattern):
    """``[ip, user, ..., status = 4*]``: positional fields of a blank-separated log line."""

    kind = "space-delimited"

    def __init__(
        self, text: str, fields: tuple[Field, ...], unknown_names: tuple[str, ...] = (), too_large: tuple[str, ...] = ()
    ) -> None:
        self.text = text
        self.fields = fields
        self.unknown_names = unknown_names
        found: set[str] = set()
        for f in fields:
            if f.expression is not None:
                found |= _uncertain_values(f.expression, too_large)
        if unknown_names:
            found.add(
                "conditions on " + ", ".join(repr(n) for n in unknown_names) + ", which name no field of the pattern"
            )
        self.uncertain = tuple(sorted(found))
        self._fixed = sum(1 for f in fields if not f.ellipsis)
        self._ellipses = sum(1 for f in fields if f.ellipsis)
        self._checks = tuple((f.name, self._compile(f.expression)) for f in fields if f.expression is not None)

    def _compile(self, node: Node) -> Callable[[dict[str, str]], Result]:
        if isinstance(node, FieldCondition):
            test, name = _field_test(node), node.name
            if name in self.unknown_names:
                return lambda values: None
            return lambda values: test(values[name])
        assert isinstance(node, (And, Or))
        parts = [self._compile(c) for c in node.children]
        wrapped = _combine(node, [(p, True) for p in parts])[0]
        return wrapped

    def _assignments(self, tokens: list[str]) -> Iterator[dict[str, str]]:
        fields, n = self.fields, len(tokens)

        def walk(fi: int, ti: int, acc: dict[str, str]) -> Iterator[dict[str, str]]:
            if fi == len(fields):
                if ti == n:
                    yield acc
                return
            f = fields[fi]
            if f.ellipsis:
                later = sum(1 for g in fields[fi + 1 :] if not g.ellipsis)
                for k in range(ti, n - later + 1):
                    yield from walk(fi + 1, k, acc)
            elif ti < n:
                if f.name:
                    acc = dict(acc)
                    acc[f.name] = tokens[ti]
                yield from walk(fi + 1, ti + 1, acc)

        return walk(0, 0, {})

    def evaluate(self, event: Event) -> Result:
        tokens = split_fields(_as_text(event))
        if len(tokens) < self._fixed:
            return False
        if not self._ellipses and len(tokens) > self._fixed:
            # More words than fields: AWS's "Match terms in order" example [w1=ERROR, w2] returns the
            # events whose first word is ERROR, lines of seven words among them
            # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
            # Whether the last field holds its own word or the rest of the line is not documented:
            # both are evaluated, and None is the answer where they differ.
            last = self._fixed - 1
            own = self._matches(tokens[: self._fixed])
            rest = self._matches(tokens[:last] + [" ".join(tokens[last:])])
            return own if own == rest else None
        return self._matches(tokens)

    def _matches(self, tokens: list[str]) -> Result:
        unknown = False
        for tried, values in enumerate(self._assignments(tokens)):
            if tried >= MAX_ASSIGNMENTS:
                return None
            result: Result = True
            for _, check in self._checks:
                r = check(values)
                if r is False:
                    result = False
                    break
                if r is None:
                    result = None
            if result:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    def __str__(self) -> str:
        return space_text(self.fields)
