"""The syntax tree of a filter pattern: plain frozen data, built by ``parser``, read by
``evaluator`` (meaning) and ``printer`` (canonical text)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["And", "Condition", "Field", "FieldCondition", "Node", "Or", "Step", "Term", "Value"]


@dataclass(frozen=True)
class Value:
    """The right-hand side of a comparison.

    ``literal`` is the text to compare, without the wildcard ``*`` at its start
    (``lead``) or end (``trail``); a ``*`` inside the text is a literal star (AWS: "Ev*ent
    will only match the actual string Ev*ent"). ``number`` is set when the value reads as a
    number (``raw`` keeps its spelling, e.g. ``+1000`` or ``10e3``). ``regex`` holds the
    source of a ``%regex%`` value (the other fields are then empty). ``quoted``: it was
    written in double quotes.
    """

    literal: str = ""
    lead: bool = False
    trail: bool = False
    number: float | None = None
    regex: str | None = None
    # spelling only (not meaning): left out of ==, so parse(print(p)) == p holds
    quoted: bool = field(default=False, compare=False)
    raw: str = field(default="", compare=False)

    @property
    def is_any(self) -> bool:
        """``*`` alone: any string or number."""
        return self.regex is None and (self.lead or self.trail) and self.literal == ""

    @property
    def has_wildcard(self) -> bool:
        return self.regex is None and (self.lead or self.trail)


@dataclass(frozen=True)
class Step:
    """One selector step: ``key`` (``.name`` / ``['a.b']``), ``index`` (``[n]``) or ``any`` (``.*`` / ``[*]``)."""

    kind: str
    key: str | int | None = None


@dataclass(frozen=True)
class Condition:
    """JSON: ``selector op value``, or ``selector IS NULL|TRUE|FALSE`` / ``selector NOT EXISTS``."""

    selector: tuple[Step, ...]
    op: str  # = != < <= > >= | IS NULL | IS TRUE | IS FALSE | NOT EXISTS
    value: Value | None = None


@dataclass(frozen=True)
class FieldCondition:
    """Space-delimited: ``name op value`` on the field called ``name``."""

    name: str
    op: str  # = != < <= > >=
    value: Value


@dataclass(frozen=True)
class And:
    """`a && b`: matches when every child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """`a || b`: matches when any child matches."""

    children: tuple[Node, ...]


Node = Condition | FieldCondition | And | Or


@dataclass(frozen=True)
class Field:
    """One field of a space-delimited pattern: ``...`` (``name`` None), a name ("" when the
    field is left empty between commas), or conditions (``name`` is the first one's field)."""

    name: str | None
    expression: Node | None = None

    @property
    def ellipsis(self) -> bool:
        return self.name is None


@dataclass(frozen=True)
class Term:
    """A term: ``sign`` "" (required), "-" (excluded) or "?" (starts an OR group)."""

    text: str
    sign: str = ""
    quoted: bool = False
