"""Property tests: the parser never fails with anything but FilterPatternError; printing a
pattern and parsing it again gives the same tree (and so the same meaning), within 1024
characters when the input was; evaluating a dict and its JSON text agree."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailwatch_policy.controls.probes import PROBES
from trailwatch_policy.controls.scanners import CIS_1_2, CIS_1_4, CIS_2_0
from trailwatch_policy.filter_pattern import FilterPatternError, parse

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
    st.just(".*"),
    st.just("[*]"),
    st.just("['i.j']"),
    st.just(".['i.j']"),
    st.just('["a b"]'),
)
selectors = st.lists(steps, min_size=1, max_size=3).map(lambda s: "$" + "".join(s))
words = st.sampled_from(
    [
        "x",
        "1",
        "2.5",
        "-3",
        "+1000",
        "10e3",
        "-1.5e-3",
        "AccessDenied",
        "Client.UnauthorizedOperation",
        "HeadBucket",
        "two",
        "k",
        "g",
        "x y",
        "delivery.logs.amazonaws.com",
        'q"t',
        "a*b",
        "a@b",
        "back\\slash",
        "a,b[0]",
    ]
)
numbers = st.sampled_from(["1", "2.5", "-3", "+1000", "10e3", "-1.5e-3", ".5", "0"])
regexes = st.sampled_from(["%Denied%", "%^Acc%", "%[0-9]+%", "%x|y$%", r"%\d{1,3}%", "%a.c%"])


def value_text(word: str, star: int, quoted: bool) -> str:
    w = {0: word, 1: "*" + word, 2: word + "*", 3: "*" + word + "*", 4: "*"}[star]
    if quoted or " " in w or '"' in w:
        return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return w


def must_quote(w: str) -> bool:
    return any(c in w for c in ' "@\\') or w.startswith("*") and len(w) > 1 and w[1] == "*"


values = st.builds(value_text, words, st.integers(0, 4), st.booleans()).map(
    lambda v: v if v.startswith('"') or not must_quote(v) else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
)
eq_ops = st.sampled_from(["=", "!="])
num_ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
comparisons = st.one_of(
    st.tuples(eq_ops, values),
    st.tuples(num_ops, numbers),
    st.tuples(eq_ops, regexes),
)
conditions = st.one_of(
    st.builds(lambda s, ov, sp: f"{s}{sp}{ov[0]}{sp}{ov[1]}", selectors, comparisons, st.sampled_from(["", " "])),
    st.builds(lambda s, k: f"{s} {k}", selectors, st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"])),
)


def combined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, b: f"{a} && {b}", inner, inner),
        st.builds(lambda a, b: f"{a} || {b}", inner, inner),
        inner.map(lambda e: f"({e})"),
    )


expressions = st.recursive(conditions, combined, max_leaves=6)
json_patterns = expressions.map(lambda e: "{ " + e + " }")
term_patterns = st.lists(
    st.tuples(st.sampled_from(["", "-", "?"]), st.sampled_from(["ERROR", "AccessDenied", "x y", "line", "{", "-z"])),
    min_size=1,
    max_size=4,
).map(lambda ts: " ".join(sign + (f'"{t}"' if (" " in t or t[0] in "{-") else t) for sign, t in ts))
field_names = st.sampled_from(["a", "b", "c", "status", "w1"])
field_conditions = st.builds(lambda n, ov: f"{n} {ov[0]} {ov[1]}", field_names, comparisons)
space_fields = st.one_of(
    st.just("..."),
    st.just(""),
    field_names,
    st.lists(field_conditions, min_size=1, max_size=3).flatmap(
        lambda cs: st.sampled_from([" && ", " || "]).map(lambda sep: sep.join(cs))
    ),
)
space_patterns = st.lists(space_fields, min_size=1, max_size=5).map(lambda fs: "[" + ", ".join(fs) + "]")
SPACE_EVENTS = ["a b c", "1 2 3", "ERROR x", '127.0.0.1 - f [10/Oct/2000] "GET /x" 404 12', "", "AccessDenied 2.5 -3"]


def tree(p: object) -> object:
    """What a pattern means, as comparable data (spelling such as quotes left out)."""
    for attr in ("expression", "fields", "terms", "source"):
        if hasattr(p, attr):
            return (p.kind, getattr(p, attr))  # type: ignore[attr-defined]
    return (p.kind,)  # type: ignore[attr-defined]


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
    again = parse(printed)
    assert tree(again) == tree(p)  # parse -> print -> parse is the identity
    assert str(again) == printed  # printing is a fixed point
    assert len(printed) <= 1024  # parse() refused anything longer
    assert outcomes(printed) == outcomes(text)


@SETTINGS
@given(json_patterns)
def test_a_dict_and_its_json_text_evaluate_the_same(text: str) -> None:
    try:
        p = parse(text)
    except FilterPatternError:
        return
    for e in EVENTS:
        assert p.evaluate(e) == p.evaluate(json.dumps(e)) == p.evaluate(json.dumps(e, indent=2))


@SETTINGS
@given(space_patterns)
def test_print_then_parse_is_the_identity_for_space_delimited_patterns(text: str) -> None:
    try:
        p = parse(text)
    except FilterPatternError:
        return
    printed = str(p)
    assert tree(parse(printed)) == tree(p)
    assert str(parse(printed)) == printed
    assert [p.evaluate(e) for e in SPACE_EVENTS] == [parse(printed).evaluate(e) for e in SPACE_EVENTS]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expressions, min_size=1, max_size=40))
def test_printed_text_stays_within_1024_characters_when_the_input_did(parts: list[str]) -> None:
    text = "{" + "||".join(f"({e})" for e in parts) + "}"
    try:
        p = parse(text)
    except FilterPatternError:
        return  # over the limit, or more than two regexes
    assert len(str(p)) <= 1024


@SETTINGS
@given(term_patterns)
def test_print_then_parse_keeps_the_meaning_of_term_patterns(text: str) -> None:
    p = parse(text)
    printed = str(p)
    assert tree(parse(printed)) == tree(p)
    assert outcomes(printed) == outcomes(text)


ALPHABET = st.sampled_from(
    list("{}()[]$.*=!<>&|\" \\%'abcISNULTREXFO0123456789-?,") + ["&&", "||", "IS NULL", "NOT EXISTS"]
)


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
            text = text[:i] + text[i + 1 :]
        elif action == "insert":
            text = text[:i] + data.draw(ALPHABET) + text[i:]
        else:
            text = text[:i] + text[i : i + 7] + text[i:]
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


# ---- an OR of exact comparisons of one key is one set lookup (evaluator._alternatives) ----
exact_words = st.sampled_from(
    ["1", "1.0", "+1", "10e3", "1000", "2.5", "-3", "0", "AccessDenied", '"x y"', "true", "null", "two", '"1"', "k"]
)
exact_conditions = st.builds(
    lambda key, word: f"$.{key} = {word}", st.sampled_from(["a", "b", "eventName", "l"]), exact_words
)
alternatives = st.lists(st.one_of(exact_conditions, exact_conditions, conditions), min_size=2, max_size=8)
MEMBER_EVENTS: list = EVENTS + [
    {"a": True},
    {"a": False},
    {"a": 1.0},
    {"a": 1000},
    {"a": 10000.0},
    {"a": "1"},
    {"a": "1.0"},
    {"a": [1]},
    {"a": {"x": 1}},
    {"a": None},
    {"a": float("nan")},
    {"a": 2**53 + 1},
    {"eventName": "AccessDenied", "b": "x y"},
    {"eventName": "true", "l": "null"},
]


@SETTINGS
@given(alternatives)
def test_an_or_means_any_of_its_alternatives(alts: list[str]) -> None:
    """Each alternative alone is compiled without the grouping: the whole OR must give, on
    every event, True when one alternative does, else None when one cannot tell, else False."""
    try:
        whole = parse("{ " + " || ".join(f"({a})" for a in alts) + " }")
        parts = [parse("{ " + a + " }") for a in alts]
    except FilterPatternError:
        return  # e.g. a generated pattern over the length limit
    for event in MEMBER_EVENTS + [json.dumps(e) for e in MEMBER_EVENTS if e == e]:
        got = [p.evaluate(event) for p in parts]
        expected = True if any(r is True for r in got) else (None if any(r is None for r in got) else False)
        assert whole.evaluate(event) is expected, (alts, event)


def test_exact_alternatives_of_one_key_are_grouped() -> None:
    """The grouping the property above checks does happen: an event-name list and one other
    alternative compile to two tests, not five."""
    from trailwatch_policy.filter_pattern.evaluator import _alternatives
    from trailwatch_policy.filter_pattern.nodes import Or

    p = parse(
        "{ ($.eventName = A) || ($.eventName = B) || ($.eventName = 3) || ($.eventName = C) || ($.errorCode = D*) }"
    )
    expression = p.expression  # type: ignore[attr-defined]
    assert isinstance(expression, Or)
    assert len(_alternatives(expression, True)) == 2
    assert len(_alternatives(expression, False)) == 5  # a root that may not be a dict: each on its own
    names = parse("{ ($.eventName = A) || ($.eventName = B) }")
    assert [names.evaluate(e) for e in ({"eventName": "B"}, {"eventName": "C"}, {}, "x")] == [True, False, False, False]
    assert [p.evaluate({"eventName": n}) for n in ("B", 3, "3", 3.0, True, "D")] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
