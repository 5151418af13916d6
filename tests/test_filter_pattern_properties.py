"""Property tests: the parser never fails with anything but FilterPatternError, and
printing a pattern and parsing it again keeps its meaning (checked on sample events)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailwatch_policy.filter_pattern import FilterPatternError, parse
from trailwatch_policy.probes import PROBES
from trailwatch_policy.scanners import CIS_1_2, CIS_1_4, CIS_2_0

EVENTS: list = [p.record for p in PROBES] + [
    {"a": 1, "b": "x y", "c": None, "d": True, "e": [1, "two", {"f": "g"}], "h": {"i.j": "k", "l": 2.5}},
    {"a": "1", "b": "", "e": [], "h": {"l": -3}},
    {},
]
RAW_EVENTS = [json.dumps(e) for e in EVENTS] + ["plain text ERROR line", "[1, 2, 3]", "{broken"]

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- generators of valid JSON patterns ---------------------------------------
names = st.sampled_from(["a", "b", "c", "d", "e", "h", "errorCode", "eventName", "sourceIPAddress", "l", "f"])
steps = st.one_of(
    names.map(lambda n: "." + n),
    st.integers(0, 3).map(lambda i: f"[{i}]"),
    st.just(".*"), st.just("[*]"), st.just("['i.j']"),
)
selectors = st.lists(steps, min_size=1, max_size=3).map(lambda s: "$" + "".join(s))
words = st.sampled_from(["x", "1", "2.5", "-3", "AccessDenied", "Client.UnauthorizedOperation", "HeadBucket",
                         "two", "k", "g", "x y", "delivery.logs.amazonaws.com", "q\"t"])


def value_text(word: str, star: int, quoted: bool) -> str:
    w = {0: word, 1: "*" + word, 2: word + "*", 3: "*" + word + "*", 4: "*"}[star]
    if quoted or " " in w or '"' in w:
        return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return w


values = st.builds(value_text, words, st.integers(0, 4), st.booleans())
ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
conditions = st.one_of(
    st.builds(lambda s, o, v, sp: f"{s}{sp}{o}{sp}{v}", selectors, ops, values, st.sampled_from(["", " "])),
    st.builds(lambda s, k: f"{s} {k}", selectors, st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"])),
)
expressions = st.recursive(
    conditions,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} && {b}", inner, inner),
        st.builds(lambda a, b: f"{a} || {b}", inner, inner),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=6,
)
json_patterns = expressions.map(lambda e: "{ " + e + " }")
term_patterns = st.lists(
    st.tuples(st.sampled_from(["", "-", "?"]), st.sampled_from(["ERROR", "AccessDenied", "x y", "line", "{", "-z"])),
    min_size=1, max_size=4,
).map(lambda ts: " ".join(sign + (f'"{t}"' if (" " in t or t[0] in "{-") else t) for sign, t in ts))


def outcomes(pattern_text: str) -> list:
    p = parse(pattern_text)
    return [p.evaluate(e) for e in EVENTS] + [p.evaluate(e) for e in RAW_EVENTS]


@SETTINGS
@given(json_patterns)
def test_print_then_parse_keeps_the_meaning_of_json_patterns(text: str) -> None:
    try:
        p = parse(text)
    except FilterPatternError:
        return  # e.g. generated a pattern over the length limit
    printed = str(p)
    assert outcomes(printed) == outcomes(text)
    assert str(parse(printed)) == printed  # printing is a fixed point


@SETTINGS
@given(term_patterns)
def test_print_then_parse_keeps_the_meaning_of_term_patterns(text: str) -> None:
    printed = str(parse(text))
    assert outcomes(printed) == outcomes(text)


ALPHABET = st.sampled_from(list('{}()[]$.*=!<>&|" \\%\'abcISNULTREXFO0123456789-?,') + ["&&", "||", "IS NULL", "NOT EXISTS"])


@SETTINGS
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_random_text_only_ever_raises_filter_pattern_error(text: str) -> None:
    try:
        p = parse(text)
    except FilterPatternError:
        return
    for e in EVENTS[-3:] + RAW_EVENTS[-3:]:
        assert p.evaluate(e) in (True, False, None)
    str(p)


@SETTINGS
@given(st.sampled_from([CIS_1_2, CIS_1_4, CIS_2_0]), st.data())
def test_mutated_known_patterns_only_ever_raise_filter_pattern_error(base: str, data: st.DataObject) -> None:
    text = base
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:i] + text[i + 1:]
        elif action == "insert":
            text = text[:i] + data.draw(ALPHABET) + text[i:]
        else:
            text = text[:i] + text[i:i + 7] + text[i:]
    try:
        p = parse(text)
    except FilterPatternError as exc:
        assert "column" in str(exc) or "characters" in str(exc)
        return
    for e in EVENTS:
        assert p.evaluate(e) in (True, False, None)
    assert outcomes(str(p)) == outcomes(text)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=40))
def test_any_unicode_text_only_ever_raises_filter_pattern_error(text: str) -> None:
    for candidate in (text, "{" + text + "}", "{ $." + text + " }", "{ $.a = " + text + " }", "[" + text):
        try:
            parse(candidate).evaluate({"a": text})
        except FilterPatternError:
            pass
