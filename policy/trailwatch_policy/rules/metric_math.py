"""CloudWatch metric-math expressions, parsed and evaluated at one timestamp.

An alarm on metric math alarms on the value its returned expression has at each period
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
trailwatch evaluates that expression for the periods it cares about (one event of the control;
none) with the values the filter's metric takes there, and decides from the result.

Supported: numbers, query ids, `+ - * / ^`, unary minus, parentheses, comparisons
(`< > <= >= == !=`), `AND/&&`, `OR/||`, `NOT/!`, `IF(c, a[, b])`, `FILL(x, number)`,
`SUM/MAX/MIN/AVG` over an array (`METRICS()`, `METRICS("substring")`, `[a, b]`), `ABS`,
`CEIL`, `FLOOR`, `PERIOD(m)`. A value is a float, `None` (no datapoint at that timestamp:
arithmetic on it gives no datapoint; `FILL` replaces it) or `UNKNOWN` (another metric's
value, or a value not known yet).

Refused with a reason (`MathError`): functions whose value depends on earlier datapoints
(`RATE`, `DIFF`, `DIFF_TIME`, `RUNNING_SUM`, `FILL(x, REPEAT|LINEAR)`), aggregates of a
single time series over the whole range (`SUM(m1)`), `SEARCH`/Insights/Lambda functions, and
anything else: the caller turns a `MathError` into "cannot be verified", never a pass.
Pure: no Pulumi imports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from trailwatch_policy.base.model import UNKNOWN, Unknown

Value = float | None | Unknown
MAX_EXPRESSION = 2048  # AWS: an expression is at most 2048 characters (MetricDataQuery)


class MathError(ValueError):
    """An expression trailwatch cannot evaluate; the message says why."""


# -- syntax --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    """A number literal of a metric math expression."""

    value: float


@dataclass(frozen=True)
class Id:
    """The id of another query of the alarm."""

    name: str


@dataclass(frozen=True)
class Str:
    """A string literal, e.g. the substring of METRICS("errors")."""

    value: str


@dataclass(frozen=True)
class Op:
    """An operator (arithmetic, comparison or logical) over its operands."""

    op: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    """A function call, e.g. FILL(m1, 0)."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Array:
    """An array literal, e.g. [m1, m2]."""

    items: tuple[Node, ...]


Node = Num | Id | Str | Op | Call | Array

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"]*")
  | (?P<op><=|>=|==|!=|&&|\|\||[-+*/^()<>,\[\]!])
)""",
    re.X,
)

_HISTORY = {
    "RATE": "the change per second from the previous datapoint",
    "DIFF": "the difference from the previous datapoint",
    "DIFF_TIME": "the time since the previous datapoint",
    "RUNNING_SUM": "the sum of every earlier datapoint",
}
_OTHER = (
    "SEARCH",
    "SERVICE_QUOTA",
    "INSIGHT_RULE_METRIC",
    "LAMBDA",
    "ANOMALY_DETECTION_BAND",
    "SLICE",
    "SORT",
    "STDDEV",
    "TIME_SERIES",
    "DATAPOINT_COUNT",
    "REMOVE_EMPTY",
    "FIRST",
    "LAST",
    "LOG",
    "LOG10",
    "MINUTE",
    "HOUR",
    "DAY",
    "DATETIME",
    "EPOCH",
    "CONCAT",
)
_ARRAY_FUNCTIONS = ("SUM", "MAX", "MIN", "AVG")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise MathError(f"cannot read the expression at {text[pos : pos + 20]!r}")
        out.append(match.group(match.lastgroup or "op"))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise MathError(f"expected {expected or 'a value'}, found {token or 'the end'}")
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise MathError(f"unexpected {self.peek()!r}")
        return node

    def _binary(self, operators: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        while (token := self.peek()) is not None and token.upper() in operators:
            op = self.take().upper()
            node = Op({"&&": "AND", "||": "OR"}.get(op, op), (node, operand()))
        return node

    def or_(self) -> Node:
        return self._binary(("OR", "||"), self.and_)

    def and_(self) -> Node:
        return self._binary(("AND", "&&"), self.not_)

    def not_(self) -> Node:
        token = self.peek()
        if token is not None and token.upper() in ("NOT", "!"):
            self.take()
            return Op("NOT", (self.not_(),))
        return self.compare()

    def compare(self) -> Node:
        node = self.add()
        if self.peek() in ("<", ">", "<=", ">=", "==", "!="):
            node = Op(self.take(), (node, self.add()))
        return node

    def add(self) -> Node:
        return self._binary(("+", "-"), self.mul)

    def mul(self) -> Node:
        return self._binary(("*", "/"), self.power)

    def power(self) -> Node:
        node = self.unary()
        if self.peek() == "^":
            self.take()
            node = Op("^", (node, self.power()))
        return node

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            return Op("NEG", (self.unary(),))
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token == "(":
            node = self.or_()
            self.take(")")
            return node
        if token == "[":
            return Array(self._list("]"))
        if token.startswith('"'):
            return Str(token[1:-1])
        if token[0].isdigit() or token[0] == ".":
            return Num(float(token))
        if token[0].isalpha() or token[0] == "_":
            if self.peek() == "(":
                self.take("(")
                return Call(token.upper(), self._list(")"))
            return Id(token)
        raise MathError(f"unexpected {token!r}")

    def _list(self, close: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.peek() == close:
            self.take(close)
            return ()
        while True:
            items.append(self.or_())
            if self.peek() == ",":
                self.take(",")
                continue
            self.take(close)
            return tuple(items)


def parse(text: str) -> Node:
    """The expression's syntax tree; `MathError` when it is not metric math trailwatch reads."""
    if len(text) > MAX_EXPRESSION:
        raise MathError(f"the expression is longer than {MAX_EXPRESSION} characters (AWS rejects it)")
    return _Parser(text).parse()


# -- evaluation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Env:
    """What the expression's ids stand for at one timestamp."""

    values: Mapping[str, Value]  # every query id (metrics and expressions, evaluated lazily)
    metric_ids: tuple[str, ...] = ()  # ids of the metric (not expression) queries, for METRICS()
    periods: Mapping[str, float] = field(default_factory=dict)  # query id -> period (PERIOD())


def _arith(op: str, a: Value, b: Value) -> Value:
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if a is None or b is None:
        return None
    assert isinstance(a, float) and isinstance(b, float)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return None if b == 0 else a / b  # metric math: division by zero gives no value
    if op == "^":
        try:
            result = math.pow(a, b)
        except (OverflowError, ValueError):
            return None
        return result
    results = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}
    return 1.0 if results[op] else 0.0


def evaluate(node: Node, env: Env) -> Value:
    """The node's value at one timestamp (see module docs); `MathError` when refused."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Id):
        if node.name not in env.values:
            raise MathError(f"the expression names {node.name!r}, which is no query of the alarm")
        return env.values[node.name]
    if isinstance(node, (Str, Array)):
        raise MathError("an array or string is only allowed as a function argument")
    if isinstance(node, Op):
        if node.op == "NEG":
            value = evaluate(node.args[0], env)
            return -value if isinstance(value, float) else value
        if node.op == "NOT":
            value = evaluate(node.args[0], env)
            return (0.0 if value else 1.0) if isinstance(value, float) else value
        if node.op in ("AND", "OR"):
            a, b = evaluate(node.args[0], env), evaluate(node.args[1], env)
            stop = 0.0 if node.op == "AND" else 1.0
            for side in (a, b):  # 0 AND x = 0, 1 OR x = 1 whatever x is
                if isinstance(side, float) and bool(side) == bool(stop):
                    return stop
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            if a is None or b is None:
                return None
            return 1.0 - stop
        return _arith(node.op, evaluate(node.args[0], env), evaluate(node.args[1], env))
    return _call(node, env)


def _call(node: Call, env: Env) -> Value:
    name, args = node.name, node.args
    if name in _HISTORY:
        raise MathError(
            f"{name} is {_HISTORY[name]}: its value for one event depends "
            "on the periods before it, which trailwatch cannot know"
        )
    if name == "IF":
        if len(args) not in (2, 3):
            raise MathError("IF takes a condition, a value and an optional other value")
        condition = evaluate(args[0], env)
        if condition is UNKNOWN or condition is None:
            return condition
        if condition:
            return evaluate(args[1], env)
        return evaluate(args[2], env) if len(args) == 3 else None
    if name == "FILL":
        if len(args) != 2:
            raise MathError("FILL takes a time series and a fill value")
        if isinstance(args[1], Id) and args[1].name.upper() in ("REPEAT", "LINEAR"):
            raise MathError(
                f"FILL(..., {args[1].name.upper()}) fills a period from the datapoints "
                "around it, which trailwatch cannot know"
            )
        value = evaluate(args[0], env)
        fill = evaluate(args[1], env)
        return fill if value is None else value
    if name in ("ABS", "CEIL", "FLOOR"):
        if len(args) != 1:
            raise MathError(f"{name} takes one argument")
        value = evaluate(args[0], env)
        if not isinstance(value, float):
            return value
        if name == "ABS":
            return abs(value)
        return float(math.ceil(value) if name == "CEIL" else math.floor(value))
    if name == "PERIOD":
        if len(args) != 1 or not isinstance(args[0], Id):
            raise MathError("PERIOD takes one query id")
        period = env.periods.get(args[0].name)
        return period if period is not None else UNKNOWN
    if name in _ARRAY_FUNCTIONS:
        if (
            len(args) != 1
            or not isinstance(args[0], (Array, Call))
            or (isinstance(args[0], Call) and args[0].name != "METRICS")
        ):
            raise MathError(
                f"{name} of a single time series aggregates the whole time range, not "
                "one period: trailwatch only evaluates it over an array "
                f"({name}(METRICS()) or {name}([m1, m2]))"
            )
        items = _array(args[0], env)
        if any(v is UNKNOWN for v in items):
            return UNKNOWN
        present = [v for v in items if isinstance(v, float)]
        if not present:
            return None
        return {"SUM": sum(present), "MAX": max(present), "MIN": min(present), "AVG": sum(present) / len(present)}[name]
    if name == "METRICS":
        raise MathError("METRICS() is an array: use it inside SUM, MAX, MIN or AVG")
    if name in _OTHER:
        raise MathError(f"trailwatch does not evaluate {name} in an alarm expression")
    raise MathError(f"unknown or unsupported function {name}")


def _array(node: Array | Call, env: Env) -> list[Value]:
    if isinstance(node, Array):
        return [evaluate(item, env) for item in node.items]
    if len(node.args) > 1 or (node.args and not isinstance(node.args[0], Str)):
        raise MathError('METRICS takes no argument or one "substring"')
    part = node.args[0].value if node.args and isinstance(node.args[0], Str) else ""
    return [env.values[i] for i in env.metric_ids if part in i]


def ids(node: Node) -> set[str]:
    """The query ids an expression names."""
    if isinstance(node, Id):
        return {node.name}
    if isinstance(node, (Op, Call)):
        return set().union(*(ids(a) for a in node.args)) if node.args else set()
    if isinstance(node, Array):
        return set().union(*(ids(a) for a in node.items)) if node.items else set()
    return set()


def uses_all_metrics(node: Node) -> bool:
    """Whether the expression reads METRICS() (every metric query, named or not)."""
    if isinstance(node, Call):
        return node.name == "METRICS" or any(uses_all_metrics(a) for a in node.args)
    if isinstance(node, Op):
        return any(uses_all_metrics(a) for a in node.args)
    if isinstance(node, Array):
        return any(uses_all_metrics(a) for a in node.items)
    return False
