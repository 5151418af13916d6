"""Canonical text of a parsed pattern.

``parse(text(p))`` means the same as ``p`` and prints the same (a fixed point). The
readable form (blanks around operators, each condition in parentheses, values quoted) is
used when it fits AWS's 1024-character limit; otherwise the compact form (no optional
blanks or parentheses, bare values where they read back the same), which is never longer
than any spelling the parser accepts for the same tree.
"""

from __future__ import annotations

from .nodes import And, Condition, Field, FieldCondition, Node, Step, Term, Value

__all__ = ["json_text", "selector_text", "space_text", "terms_text", "value_text"]

MAX_LENGTH = 1024
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_WORD_CHARS = _NAME_CHARS - {"-"}
# characters a bare value may not hold: where it would stop (JSON / space-delimited), and
# the ones AWS requires quoted (the lexer's rules)
_MUST_QUOTE = frozenset('"@$\\%')
_BARE_UNSAFE_JSON = frozenset(" \t\r\n\f\v(){}&|") | _MUST_QUOTE
_BARE_UNSAFE_SPACE = frozenset(" \t\r\n\f\v()[],&|") | _MUST_QUOTE


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def value_text(v: Value, compact: bool = False, space: bool = False) -> str:
    if v.regex is not None:
        return f"%{v.regex}%"
    if v.is_any:
        return "*" if compact else '"*"'
    lit = v.literal
    bare = ("*" if v.lead else "") + lit + ("*" if v.trail else "")
    if (
        compact
        and lit
        and not lit.startswith("*")
        and not lit.endswith("*")
        and lit[0] not in "=!<>"
        and lit.isascii()
        and not any(c in (_BARE_UNSAFE_SPACE if space else _BARE_UNSAFE_JSON) for c in lit)
    ):
        return bare
    body = _escape(lit)
    if lit.startswith("*"):  # a literal star where a wildcard would be read
        body = "\\" + body
    if lit.endswith("*") and len(lit) > 1:
        body = body[:-1] + "\\*"
    return '"' + ("*" if v.lead else "") + body + ("*" if v.trail else "") + '"'


def _step_text(step: Step) -> str:
    if step.kind == "index":
        return f"[{step.key}]"
    if step.kind == "any":
        return "[*]"
    key = str(step.key)
    if key and all(c in _NAME_CHARS for c in key):
        return "." + key
    quote = '"' if "'" in key and '"' not in key else "'"
    return "[" + quote + key.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote + "]"


def selector_text(selector: tuple[Step, ...]) -> str:
    return "$" + "".join(_step_text(s) for s in selector)


def _condition_text(c: Condition | FieldCondition, compact: bool) -> str:
    left = c.name if isinstance(c, FieldCondition) else selector_text(c.selector)
    if c.value is None:
        return f"{left} {c.op}"
    if compact:
        return f"{left}{c.op}{value_text(c.value, True, isinstance(c, FieldCondition))}"
    return f"{left} {c.op} {value_text(c.value)}"


def _node_text(node: Node, compact: bool, wrap: bool, inside_and: bool = False) -> str:
    if isinstance(node, (Condition, FieldCondition)):
        text = _condition_text(node, compact)
        return f"({text})" if wrap and not compact else text
    if isinstance(node, And):
        sep = "&&" if compact else " && "
        return sep.join(_node_text(c, compact, wrap, True) for c in node.children)
    sep = "||" if compact else " || "
    text = sep.join(_node_text(c, compact, wrap) for c in node.children)
    return f"({text})" if inside_and else text


def json_text(expression: Node) -> str:
    readable = "{ " + _node_text(expression, False, True) + " }"
    if len(readable) <= MAX_LENGTH:
        return readable
    return "{" + _node_text(expression, True, False) + "}"


def _field_text(field: Field, compact: bool) -> str:
    if field.ellipsis:
        return "..."
    if field.expression is None:
        return str(field.name)
    return _node_text(field.expression, compact, False)


def space_text(fields: tuple[Field, ...]) -> str:
    readable = "[" + ", ".join(_field_text(f, False) for f in fields) + "]"
    if len(readable) <= MAX_LENGTH:
        return readable
    return "[" + ",".join(_field_text(f, True) for f in fields) + "]"


def _term_text(t: Term) -> str:
    body = t.text
    if t.quoted or not body or not all(c in _WORD_CHARS for c in body):
        body = '"' + _escape(body) + '"'
    return t.sign + body


def terms_text(terms: tuple[Term, ...]) -> str:
    return " ".join(_term_text(t) for t in terms)
