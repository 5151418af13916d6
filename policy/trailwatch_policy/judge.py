"""Does a metric filter pattern monitor unauthorized API calls? Decided by meaning.

Scanners compare the pattern's text; this module parses it and evaluates it on probe
CloudTrail records (``probes.py``): every denial must be counted, ordinary traffic
and other errors must not. The verdict says why in words a security engineer acts
on, and which text-based scanners would accept the text anyway.

``judge`` is cached: the policy pack calls it once per metric filter on stacks with
thousands of resources, and it is a pure function of its arguments.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from .filter_pattern import FilterPattern, FilterPatternError, parse
from .probes import DENIAL_CODES, EITHER, MUST_MATCH, MUST_NOT_MATCH, PROBES, Probe
from .profiles import PROFILES
from .scanners import CIS_1_4, CIS_2_0, REQUIREMENTS, SCANNERS, scanner_verdicts

__all__ = ["PROFILES", "Verdict", "judge"]

OK, NOT_OK, INDETERMINATE = "ok", "not_ok", "indeterminate"


@dataclass(frozen=True)
class Verdict:
    status: str                   # "ok" | "not_ok" | "indeterminate"
    reasons: tuple[str, ...]      # sentences a security engineer acts on (empty when ok)
    scanners: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    error: str | None = None      # the parse error message when the pattern does not parse

    @property
    def ok(self) -> bool:
        return self.status == OK

    def summary(self) -> str:
        if self.ok:
            return (
                "ok: monitors every denial (" + ", ".join(DENIAL_CODES) + ") and no ordinary traffic"
            )
        if not self.reasons:
            return self.status
        more = f" (and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return f"{self.status}: {self.reasons[0]}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "scanners": dict(self.scanners),
            "error": self.error,
        }


def judge(
    pattern_text: str,
    *,
    extra_must_match: Sequence[Mapping] = (),
    extra_must_not_match: Sequence[Mapping] = (),
    profile: str = "meaning",
) -> Verdict:
    """Judge a metric filter pattern for the unauthorized-API-calls control."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    if not isinstance(pattern_text, str):
        message = f"a filter pattern is text, not {type(pattern_text).__name__}"
        return Verdict(NOT_OK, (f"the pattern is not usable: {message}",),
                       MappingProxyType(scanner_verdicts(pattern_text)), message)
    return _judge(pattern_text, _freeze(extra_must_match), _freeze(extra_must_not_match), profile)


def _freeze(records: Sequence[Any]) -> tuple[str, ...]:
    """A hashable, order-preserving form of caller records (the cache key)."""
    return tuple(
        r if isinstance(r, str) else json.dumps(r, sort_keys=True, separators=(",", ":"), default=str)
        for r in records
    )


def _label(record: Any) -> str:
    if isinstance(record, str):
        try:
            record = json.loads(record)
        except ValueError:
            return repr(record[:60])
    if not isinstance(record, dict):
        return repr(record)[:60]
    source = str(record.get("eventSource", "?")).split(".")[0]
    text = f"{source}:{record.get('eventName', '?')}"
    code = record.get("errorCode")
    return f"{text} {code}" if code else f"{text} (success)"


def _names(probes: Sequence[Probe], limit: int = 3) -> str:
    names: list[str] = []
    for p in probes:
        if p.name not in names:
            names.append(p.name)
    return ", ".join(names[:limit])


@lru_cache(maxsize=8192)
def _judge(text: str, must: tuple[str, ...], must_not: tuple[str, ...], profile: str) -> Verdict:
    scanners = MappingProxyType(scanner_verdicts(text))
    try:
        pattern = parse(text)
    except FilterPatternError as exc:
        message = str(exc)
        return Verdict(NOT_OK, (f"the pattern does not parse: {message}; CloudWatch Logs rejects it",),
                       scanners, message)

    results = {p: pattern.evaluate(p.record) for p in PROBES}
    missed = [p for p in PROBES if p.expectation == MUST_MATCH and results[p] is False]
    counted = [p for p in PROBES if p.expectation == MUST_NOT_MATCH and results[p] is True]
    unknown = [p.label() for p in PROBES if p.expectation != EITHER and results[p] is None]

    failures: list[str] = []
    for code, who in DENIAL_CODES.items():
        in_code = [p for p in PROBES if p.expectation == MUST_MATCH and p.category == code]
        missed_here = [p for p in missed if p.category == code]
        if not missed_here:
            continue
        if len(missed_here) == len(in_code):
            failures.append(f"misses {code}: {who} denials go unnoticed")
        else:
            failures.append(
                f"misses {code} on {_names(missed_here)}: "
                + ", ".join(p.why for p in missed_here) + " go unnoticed"
            )
    successes = [p for p in counted if p.category == "success"]
    if successes:
        sentence = (
            f"matches successful calls such as {_names(successes)} — the alarm would fire on normal traffic"
        )
        if _same_meaning_on_probes(pattern, CIS_1_4, results):
            sentence += "; this is the CIS 1.4/1.5 text's known bug, fixed in CIS 2.0"
        failures.append(sentence)
    errors = [p for p in counted if p.category != "success"]
    if errors:
        codes = ", ".join(dict.fromkeys(p.category for p in errors))
        failures.append(
            f"matches non-denial errors such as {codes} — the alarm would fire on throttling and "
            "failed requests that are not unauthorized calls"
        )

    for i, raw in enumerate(must, 1):
        r = pattern.evaluate(raw)
        if r is False:
            failures.append(f"misses your must-match record #{i} ({_label(raw)})")
        elif r is None:
            unknown.append(f"your must-match record #{i} ({_label(raw)})")
    for i, raw in enumerate(must_not, 1):
        r = pattern.evaluate(raw)
        if r is True:
            failures.append(f"matches your must-not-match record #{i} ({_label(raw)})")
        elif r is None:
            unknown.append(f"your must-not-match record #{i} ({_label(raw)})")

    notes: list[str] = []
    if unknown:
        constructs = ", ".join(pattern.uncertain) or "a construct"
        notes.append(
            f"cannot tell whether it counts {', '.join(unknown[:3])}"
            f"{' and others' if len(unknown) > 3 else ''}: it uses {constructs}, whose CloudWatch Logs "
            "behaviour is uncertain; confirm with the TestMetricFilter API or use plain = / != comparisons"
        )

    if profile in SCANNERS and not scanners[profile]:
        failures.append(f"{profile} would report this filter as failing: {REQUIREMENTS[profile]}")
    elif profile == "cis-2.0":
        cis20 = parse(CIS_2_0)
        for p in PROBES:
            if p.expectation != EITHER:
                continue
            theirs, ours = cis20.evaluate(p.record), results[p]
            if ours is not None and ours != theirs:
                does = "counts" if ours else "does not count"
                failures.append(
                    f"differs from CIS 2.0 on {p.why} ({p.label()}): this pattern {does} it, CIS 2.0 "
                    f"{'counts' if theirs else 'excludes'} it"
                )

    if failures:
        return Verdict(NOT_OK, tuple(failures + notes), scanners)
    if notes:
        return Verdict(INDETERMINATE, tuple(notes), scanners)
    return Verdict(OK, (), scanners)


@lru_cache(maxsize=8)
def _probe_results(reference: str) -> tuple[Any, ...]:
    pattern = parse(reference)
    return tuple(pattern.evaluate(p.record) for p in PROBES)


def _same_meaning_on_probes(pattern: FilterPattern, reference: str, results: Mapping[Probe, Any]) -> bool:
    return tuple(results[p] for p in PROBES) == _probe_results(reference)
