"""Composite alarm rules: does the composite go to ALARM when one alarm does, and back?

A composite alarm is in ALARM while its rule is TRUE and runs its own actions on that
transition
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html).
Rule syntax (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html):
`ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)` with x an alarm name or ARN (optionally quoted),
`TRUE`, `FALSE`, `AND`, `OR`, `NOT`, parentheses. trailwatch evaluates it in three-valued
logic: the watched alarm's state is given, every other alarm's state is unknown. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trailwatch_policy.base.model import UNKNOWN

MAX_RULE = 10240  # AWS: AlarmRule is at most 10240 characters

_TOKEN = re.compile(
    r'\s*(?:(?P<fn>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"(?P<q>[^"]*)"|(?P<u>[^)\s]+))\s*\)'
    r"|(?P<word>AND|OR|NOT|TRUE|FALSE)\b|(?P<paren>[()]))"
)


class RuleError(ValueError):
    pass


def _tokens(rule: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(rule):
        if not rule[pos:].strip():
            break
        match = _TOKEN.match(rule, pos)
        if match is None:
            raise RuleError(f"cannot read the rule at {rule[pos : pos + 30]!r}")
        if match.group("fn"):
            out.append((match.group("fn"), match.group("q") if match.group("q") is not None else match.group("u")))
        else:
            out.append((match.group("word") or match.group("paren"), ""))
        pos = match.end()
    return out


_NAMED = re.compile(r'\b(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"([^"]*)"|([^)\s"]+))')


def referenced(rule: str) -> set[str]:
    """The alarm names/ARNs a rule names, read even from a rule `evaluate` refuses (so the
    composite is still linked, and reported)."""
    return {quoted or bare for quoted, bare in _NAMED.findall(rule)}


def evaluate(rule: str, state_of: Callable[[str], object]) -> object:
    """True / False / UNKNOWN; `state_of(name)` gives "ALARM"/"OK"/... or UNKNOWN."""
    if len(rule) > MAX_RULE:
        raise RuleError(f"the rule is longer than {MAX_RULE} characters (AWS rejects it)")
    tokens = _tokens(rule)
    pos = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise RuleError("the rule ends too early")
        pos += 1
        return tokens[pos - 1]

    def or_() -> object:
        value = and_()
        while peek() == "OR":
            take()
            right = and_()
            value = True if True in (value, right) else UNKNOWN if UNKNOWN in (value, right) else False
        return value

    def and_() -> object:
        value = not_()
        while peek() == "AND":
            take()
            right = not_()
            value = False if False in (value, right) else UNKNOWN if UNKNOWN in (value, right) else True
        return value

    def not_() -> object:
        if peek() == "NOT":
            take()
            value = not_()
            return UNKNOWN if value is UNKNOWN else not value
        return atom()

    def atom() -> object:
        kind, arg = take()
        if kind == "(":
            value = or_()
            if take()[0] != ")":
                raise RuleError("a parenthesis is not closed")
            return value
        if kind in ("TRUE", "FALSE"):
            return kind == "TRUE"
        if kind in ("ALARM", "OK", "INSUFFICIENT_DATA"):
            state = state_of(arg)
            return UNKNOWN if state is UNKNOWN else state == kind
        raise RuleError(f"unexpected {kind!r}")

    value = or_()
    if pos != len(tokens):
        raise RuleError(f"unexpected {tokens[pos][0]!r}")
    return value
