"""Does a metric filter pattern monitor what a control names? Decided by meaning.

Scanners compare the pattern's text; this module parses it and evaluates it on the
control's probe CloudTrail records (``probes.py`` for 4.1, ``control_probes.py`` for the
rest of the CIS monitoring section): every must-match record must be counted, and no
must-not-match record. The verdict says why in words a security engineer acts on -- each
API or denial code missed, each field the pattern narrows the control by that the control
does not name -- and which text-based scanners would accept the text anyway.

``judge`` is cached: the policy pack calls it once per metric filter on stacks with
thousands of resources, and it is a pure function of its arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from trailwatch_policy.controls import DEFAULT, Control, find, scanner_requirement, scanner_verdicts, table
from trailwatch_policy.filter_pattern import FilterPattern, FilterPatternError
from trailwatch_policy.filter_pattern import parse_cached as parse  # the same text is met for every control

from .probes import EITHER, FACETS, MUST_MATCH, MUST_NOT_MATCH, Probe
from .profiles import PROFILES

__all__ = ["PROFILES", "Verdict", "judge"]

OK, NOT_OK, INDETERMINATE = "ok", "not_ok", "indeterminate"


class _Scanners(Mapping[str, bool]):
    """Which text-based scanners accept a text (`scanner_verdicts`), decided when first read:
    their regexes take ~1 ms each to compile, and most verdicts are never asked (the audit's
    and the pack's are not, unless the profile names a scanner). Read-only, as the
    MappingProxyType it stands for."""

    __slots__ = ("_control", "_text", "_verdicts")

    def __init__(self, control: Control, text: Any) -> None:
        self._control = control
        self._text = text
        self._verdicts: dict[str, bool] | None = None

    def _decided(self) -> dict[str, bool]:
        if self._verdicts is None:  # two threads may both decide: the same answer
            self._verdicts = scanner_verdicts(self._control, self._text)
        return self._verdicts

    def __getitem__(self, name: str) -> bool:
        return self._decided()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decided())

    def __len__(self) -> int:
        return len(self._decided())

    def __repr__(self) -> str:
        return repr(self._decided())


@dataclass(frozen=True)
class Verdict:
    """What a pattern counts, judged for one control: ok, not ok or indeterminate, and why."""

    status: str  # "ok" | "not_ok" | "indeterminate"
    reasons: tuple[str, ...]  # sentences a security engineer acts on (empty when ok)
    scanners: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    error: str | None = None  # the parse error message when the pattern does not parse
    control: str = DEFAULT  # the CIS 1.4 id of the control judged

    @property
    def ok(self) -> bool:
        return self.status == OK

    def summary(self) -> str:
        if self.ok:
            from .control_probes import kind

            c = find(self.control)
            return "ok: " + (kind(c).ok or f"counts every probe of {c.what} and no ordinary traffic")
        if not self.reasons:
            return self.status
        more = f" (and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return f"{self.status}: {self.reasons[0]}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "status": self.status,
            "reasons": list(self.reasons),
            "scanners": dict(self.scanners),
            "error": self.error,
        }


def judge(
    pattern_text: str,
    *,
    control: str | Control = DEFAULT,
    extra_must_match: Sequence[Mapping] = (),
    extra_must_not_match: Sequence[Mapping] = (),
    profile: str = "meaning",
) -> Verdict:
    """Judge a metric filter pattern for one control (CIS 1.4 id, Security Hub id or policy
    name; the unauthorized-API-calls control by default)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    c = (
        control if isinstance(control, Control) else find(control)
    )  # raises UnknownControl (a ValueError) naming the valid ids
    if not isinstance(pattern_text, str):
        message = f"a filter pattern is text, not {type(pattern_text).__name__}"
        return Verdict(
            NOT_OK,
            (f"the pattern is not usable: {message}",),
            _Scanners(c, pattern_text),
            message,
            c.id,
        )
    return _judge(pattern_text, c, _freeze(extra_must_match), _freeze(extra_must_not_match), profile)


def _freeze(records: Sequence[Any]) -> tuple[str, ...]:
    """A hashable, order-preserving form of caller records (the cache key)."""
    return tuple(
        r if isinstance(r, str) else json.dumps(r, sort_keys=True, separators=(",", ":"), default=str) for r in records
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


def _probes(control: Control) -> tuple[Probe, ...]:
    from .control_probes import probes_for

    return probes_for(control)


def _missed_groups(c: Control, probes: Sequence[Probe], missed: Sequence[Probe]) -> tuple[list[str], set[str]]:
    """Sentences naming each must-match group (denial code or API) with misses; the groups missed whole."""
    from .control_probes import groups, kind

    words = groups(c)
    each = kind(c).each_group
    failures: list[str] = []
    whole: list[str] = []
    for category, phrase in words.items():
        in_group = [p for p in probes if p.expectation == MUST_MATCH and p.category == category]
        missed_here = [p for p in missed if p.category == category]
        if not missed_here:
            continue
        if len(missed_here) == len(in_group):
            whole.append(category)
            if each or len(words) == 1:
                failures.append(f"misses {category}: {phrase} go unnoticed")
        elif each:
            failures.append(
                f"misses {category} on {_names(missed_here)}: "
                + ", ".join(dict.fromkeys(p.why for p in missed_here))
                + " go unnoticed"
            )
    if whole and not each and len(words) > 1:
        failures.insert(
            0,
            f"misses {', '.join(whole)} ({len(whole)} of the {len(words)} calls the control "
            f"names): {c.what} made with {'them' if len(whole) > 1 else 'it'} go unnoticed",
        )
    return failures, set(whole)


def _narrowing(c: Control, probes: Sequence[Probe], results: Mapping[Probe, Any], whole: set[str]) -> list[str]:
    """The field the pattern narrows the control by that the control does not name: a facet
    (identity type, region, partition, caller, read-only) some of whose values lose every
    must-match probe while probes with other values match (groups missed whole aside).
    Facets whose lost values account for exactly the misses are named; failing that, the
    one that accounts for most of them."""
    rest = [p for p in probes if p.expectation == MUST_MATCH and p.category not in whole and results[p] is not None]
    missed = {id(p) for p in rest if results[p] is False}
    if not missed or len(missed) == len(rest):
        return []
    found: list[tuple[int, frozenset[int], str]] = []
    for order, (facet, (words, fieldname)) in enumerate(FACETS.items()):
        values: dict[str, list[bool]] = {}
        for p in rest:
            if facet in p.facets:
                values.setdefault(p.facets[facet], []).append(results[p] is True)
        lost = sorted(v for v, hits in values.items() if not any(hits))
        if not lost:
            continue
        covered = frozenset(id(p) for p in rest if p.facets.get(facet) in lost)
        examples = [p for p in rest if p.facets.get(facet) in lost]
        found.append(
            (
                order,
                covered,
                (
                    f"narrows the control by {words} ({fieldname}), which it does not name: misses "
                    f"{c.what} where {words} is {', '.join(lost)} (e.g. {_names(examples, 2)})"
                ),
            )
        )
    exact = [sentence for _, covered, sentence in found if covered == missed]
    if exact:
        return exact
    # No single field explains the misses: the fewest fields that do (greedy), at most three.
    out: list[str] = []
    left = set(missed)
    while left and found and len(out) < 3:
        order, covered, sentence = max(found, key=lambda f: (len(f[1] & left), -f[0]))
        if not covered & left:
            break
        out.append(sentence)
        left -= covered
        found.remove((order, covered, sentence))
    return out


_OWNERS: dict[tuple[int, int], tuple[str, ...]] = {}


def _owners(probe: Probe) -> tuple[str, ...]:
    """The controls whose events are rare (`Control.frequent` empty) and whose recommended
    pattern counts the probe's record: the record is one of their events. Cached per probe."""
    rows = table().rows  # the table in use (a test may add a control)
    key = (id(probe), id(rows))
    found = _OWNERS.get(key)
    if found is None:
        found = _OWNERS[key] = tuple(
            o.id for o in rows if not o.frequent and _recommended(o.pattern).evaluate(probe.record) is True
        )
    return found


def _recommended(text: str) -> FilterPattern:
    return parse(text)


@cache
def _must_match(control: str, rows: int) -> tuple[Probe, ...]:
    """The control's must-match probes, in order (`rows`: the table's identity, for the cache)."""
    return tuple(p for p in _probes(find(control)) if p.expectation == MUST_MATCH)


@lru_cache(maxsize=8192)
def _on_must_match(text: str, control: str, rows: int) -> tuple[Any, ...]:
    """What a pattern (it must parse) gives on each of the control's must-match probes. One
    evaluation per (pattern text, control), shared: a team's filters use the controls'
    recommended texts, which `_only_its_own` evaluates on every control's probes anyway."""
    pattern = parse(text)
    return tuple(pattern.evaluate(p.record) for p in _must_match(control, rows))


@cache
def _own_positions(control: str, rows: int) -> tuple[int, ...]:
    """Positions in `_must_match` of the probes no other control's recommended pattern counts."""
    c = find(control)
    others = [_on_must_match(o.pattern, control, rows) for o in table().rows if o is not c]
    return tuple(i for i in range(len(_must_match(control, rows))) if not any(o[i] is True for o in others))


def _only_its_own(control: str, rows: int) -> tuple[Probe, ...]:
    """The control's must-match probes no other control's recommended pattern counts: the
    events only this control names (`rows`: the table's identity, for the cache)."""
    must = _must_match(control, rows)
    return tuple(must[i] for i in _own_positions(control, rows))


def counts_its_events(text: str, control: str) -> bool | None:
    """Whether a filter with this pattern is the control's, by what it counts: every one of the
    control's events (its must-match probes; a filter for several controls is each one's), or
    an event only this control names (no other control's recommended pattern counts it: an
    attempt at this control, its shortfall to be named). None: cannot tell; a pattern that
    does not parse counts nothing.

    A pattern that only overlaps a control on events another control also names (4.1's
    denial of a root call, 4.8's PutBucketPolicy by the root user) is not that control's."""
    return _counts_its_events(text, control, id(table().rows))


@lru_cache(maxsize=8192)
def _counts_its_events(text: str, control: str, rows: int) -> bool | None:
    """`counts_its_events` for the table whose rows have identity `rows` (the cache key)."""
    try:
        parse(text)
    except FilterPatternError:
        return False
    c = find(control)
    every = _on_must_match(text, c.id, rows)
    if every and all(r is True for r in every):
        return True
    if any(every[i] is True for i in _own_positions(c.id, rows)):
        return True
    return None if None in every else False


def _shared(c: Control, probe: Probe) -> bool:
    """Counting this record makes the pattern's alarm one shared with another control whose
    events are rare: accepted (one alarm notifies each of their events from OK, as separate
    alarms do; docs/controls.md, "One alarm for several controls")."""
    return any(owner != c.id for owner in _owners(probe))


def _ordinary_sentence(c: Control, counted: Sequence[Probe]) -> str:
    """The ordinary traffic a pattern counts, named (ordinary.py)."""
    kinds = list(dict.fromkeys(p.why for p in counted))
    more = f" and {len(kinds) - 3} more kinds" if len(kinds) > 3 else ""
    return (
        f"counts ordinary traffic: {'; '.join(kinds[:3])}{more} (e.g. {_names(counted)}) — such records "
        f"arrive all day, so the alarm would stay in ALARM and never notify the {c.what} it exists for"
    )


@lru_cache(maxsize=8192)
def _judge(text: str, c: Control, must: tuple[str, ...], must_not: tuple[str, ...], profile: str) -> Verdict:
    scanners = _Scanners(c, text)
    try:
        pattern = parse(text)
    except FilterPatternError as exc:
        message = str(exc)
        return Verdict(
            NOT_OK, (f"the pattern does not parse: {message}; CloudWatch Logs rejects it",), scanners, message, c.id
        )

    probes = _probes(c)
    results = {p: pattern.evaluate(p.record) for p in probes}
    missed = [p for p in probes if p.expectation == MUST_MATCH and results[p] is False]
    # Another control's (rare) events make one alarm for several controls, not noise (_shared).
    counted = [p for p in probes if p.expectation == MUST_NOT_MATCH and results[p] is True and not _shared(c, p)]
    unknown = [p.label() for p in probes if p.expectation != EITHER and results[p] is None]

    failures, whole = _missed_groups(c, probes, missed)
    failures += _narrowing(c, probes, results, whole)
    successes = [p for p in counted if p.category == "success"]
    if successes:
        sentence = f"matches successful calls such as {_names(successes)} — the alarm would fire on normal traffic"
        if c.known_bug is not None and _same_meaning_on_probes(pattern, c.texts[c.known_bug[0]], results, c):
            sentence += "; " + c.known_bug[1]
        failures.append(sentence)
    others = [p for p in counted if p.category != "success"]
    from .control_probes import kind

    other_errors = kind(c).other_errors
    if others and other_errors is not None:
        codes = ", ".join(dict.fromkeys(p.category for p in others))
        failures.append(other_errors.format(codes=codes, what=c.what))
    elif others:
        for why in dict.fromkeys(p.why for p in others):
            hit = [p for p in others if p.why == why]
            failures.append(
                f"matches {why} such as {_names(hit)} — the alarm would fire on events that are not {c.what}"
            )

    from .ordinary import counted as ordinary_counted  # evaluated once per pattern, for every control

    ordinary, unsure = ordinary_counted(text, c.own_ordinary)
    ordinary = [p for p in ordinary if not _shared(c, p)]
    if ordinary:
        failures.append(_ordinary_sentence(c, ordinary))
    unknown += [p.label() for p in unsure]

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

    if profile in ("securityhub", "prowler", "steampipe"):
        if profile not in scanners:
            notes.append(
                f"trailwatch does not model what {profile} accepts for {c.label()}, so whether "
                f"it passes cannot be told; use acceptedPatternProfile meaning (or a scanner "
                f"trailwatch models for this control: {', '.join(scanners) or 'none'})"
            )
        elif not scanners[profile]:
            failures.append(f"{profile} would report this filter as failing: {scanner_requirement(c, profile)}")
    elif profile == "cis-2.0" and "cis-2.0" in c.texts:
        cis20 = parse(c.texts["cis-2.0"])
        for p in probes:
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
        return Verdict(NOT_OK, tuple(failures + notes), scanners, None, c.id)
    if notes:
        return Verdict(INDETERMINATE, tuple(notes), scanners, None, c.id)
    return Verdict(OK, (), scanners, None, c.id)


@lru_cache(maxsize=64)
def _probe_results(reference: str, control: Control) -> tuple[Any, ...]:
    pattern = parse(reference)
    return tuple(pattern.evaluate(p.record) for p in _probes(control))


def _same_meaning_on_probes(
    pattern: FilterPattern, reference: str, results: Mapping[Probe, Any], control: Control
) -> bool:
    return tuple(results[p] for p in _probes(control)) == _probe_results(reference, control)
