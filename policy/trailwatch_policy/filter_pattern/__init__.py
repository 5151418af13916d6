"""CloudWatch Logs filter patterns: parse, print back, and evaluate on log events offline.

AWS offers no local evaluator (``TestMetricFilter`` is a 50-event API call) and the
emulators match every JSON pattern against everything, so trailwatch decides what a
metric filter really counts here. Semantics and sources: ``docs/filter-pattern.md``.

    from trailwatch_policy.filter_pattern import parse, FilterPatternError
    p = parse('{ $.errorCode = "AccessDenied*" }')
    p.evaluate(record_or_line)   # True | False | None (None: undocumented AWS behaviour needed)
    str(p)                       # canonical text; parse(str(p)) means the same

One module per job: ``lexer`` (reading the text), ``parser`` (the grammar), ``nodes``
(the tree), ``evaluator`` (meaning; ``fields`` for space-delimited patterns), ``printer`` (canonical text), ``regex`` (AWS's
regex subset in linear time; ``regex.compile_linear`` is public), ``errors``.
"""

from __future__ import annotations

from .errors import FilterPatternError
from .evaluator import Event, FilterPattern, JsonPattern, MatchAllPattern, RegexPattern, Result, TermsPattern
from .fields import SpaceDelimitedPattern
from .nodes import And, Condition, Field, FieldCondition, Or, Step, Term, Value
from .parser import MAX_LENGTH, MAX_NESTING, MAX_REGEXES, parse, parse_cached
from .regex import LinearRegex, RegexError, compile_linear

__all__ = [
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_REGEXES",
    "And",
    "Condition",
    "Event",
    "Field",
    "FieldCondition",
    "FilterPattern",
    "FilterPatternError",
    "JsonPattern",
    "LinearRegex",
    "MatchAllPattern",
    "Or",
    "RegexError",
    "RegexPattern",
    "Result",
    "SpaceDelimitedPattern",
    "Step",
    "Term",
    "TermsPattern",
    "Value",
    "compile_linear",
    "parse",
    "parse_cached",
]
