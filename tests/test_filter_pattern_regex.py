"""The linear-time matcher for CloudWatch Logs' regex subset (filter_pattern.regex) and
regex inside filter patterns.

Expectations come from AWS's "Supported regular expressions (regex) syntax" page
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html) and the
regex section of "Filter pattern syntax ..." (FilterAndPatternSyntax.html)."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trailwatch_policy.filter_pattern import FilterPatternError, parse
from trailwatch_policy.filter_pattern.regex import (
    MAX_REPEAT,
    RegexError,
    RegexTooLarge,
    compile_linear,
)

# --- the documented examples --------------------------------------------------


@pytest.mark.parametrize(
    "pattern, text, expected",
    [
        ("AUTHORIZED", "[ERROR 401] UNAUTHORIZED REQUEST", True),
        ("AUTHORIZED", "[SUCCESS 200] AUTHORIZED REQUEST", True),
        ("^[hc]at", "hat trick", True),
        ("^[hc]at", "that", False),  # only at the beginning
        ("[hc]at$", "a cat", True),
        ("[hc]at$", "cats", False),  # only at the end
        ("colou?r", "color", True),
        ("colou?r", "colour", True),
        ("[abc]", "xbx", True),
        ("[a-z]", "ABC", False),
        ("[abcx-z]", "y", True),
        ("a{3,5}", "aaa", True),
        ("a{3,5}", "aa", False),
        ("gra|ey", "gray", True),
        ("gra|ey", "grey", True),
        ("[Ee]rror|[Ff]ail", "a fail here", True),
        ("[Ee]rror|[Ff]ail", "FAIL", False),  # case-sensitive
        (r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", "from 10.0.0.1", True),
        (r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", "from 10.0.0", False),
        (r"10\.10\.0\.1", "10.10.0.1", True),
        (r"10\.10\.0\.1", "10a10b0c1", False),  # \. is a literal dot
        ("10.10.0.1", "10a10b0c1", True),  # . is any character
        ("12*0", "10", True),
        ("12+0", "10", False),
        ("12+0", "1220", True),
        (r"\s", "a b", True),
        (r"\S", "   ", False),
        (r"\w+@\w+", "mail bob@example", True),
        (r"\W", "abc_123", False),
        (r"\D", "123", False),
    ],
)
def test_documented_operators(pattern: str, text: str, expected: bool) -> None:
    assert compile_linear(pattern).search(text) is expected


@pytest.mark.parametrize(
    "pattern, fragment, index",
    [
        ("(a)", "parentheses", 0),
        ("something!", "'!' is not allowed", 9),
        ("a\tb", "use \\s for a blank", 1),
        (r"\x4", "two hexadecimal digits", 0),
        (r"\xG1", "two hexadecimal digits", 0),
        (r"\x80", "no ASCII character", 0),
        ("caf\u00e9", "multi-byte", 3),
        ("a**", "cannot follow another quantifier", 2),
        ("*a", "nothing to repeat", 0),
        ("a{2", "unterminated '{'", 1),
        ("a{5,3}", "minimum is larger than the maximum", 1),
        ("a{x}", "malformed repetition", 1),
        ("a|", "empty alternative", 1),
        (r"a\b", "unsupported escape", 1),
        ("[ab", "unterminated character class", 0),
        ("[z-a]", "out of order", 1),
        ("", "empty regular expression", 0),
    ],
)
def test_errors_name_the_offending_character(pattern: str, fragment: str, index: int) -> None:
    with pytest.raises(RegexError) as info:
        compile_linear(pattern)
    assert fragment in str(info.value)
    assert info.value.index == index
    assert isinstance(info.value, ValueError)


def test_counted_repetition_beyond_the_engine_limit_is_too_large_not_wrong() -> None:
    with pytest.raises(RegexTooLarge):
        compile_linear(f"a{{{MAX_REPEAT + 1}}}")
    assert compile_linear("a{,2}b").search("b") is True  # m or n may be left out (the regex page)
    assert compile_linear("a{2,}b").search("ab") is False


def test_non_strict_mode_allows_other_literals_for_name_patterns() -> None:
    rx = compile_linear("^/aws/lambda|discovery", strict=False)
    assert rx.search("/aws/lambda/fn") is True
    assert rx.search("x/aws/lambda") is False
    assert compile_linear("a b", strict=False).search("xa by") is True
    with pytest.raises(RegexError, match="parentheses"):
        compile_linear("(a)", strict=False)


def test_matching_never_uses_python_re(monkeypatch: pytest.MonkeyPatch) -> None:
    p = parse(r"{ $.m = %a*b% || $.n != %\d{1,3}x% }")
    q = parse("%[Ee]rror|[Ff]ail%")

    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("Python re used on user input")

    for name in ("compile", "search", "match", "fullmatch"):
        monkeypatch.setattr(re, name, forbidden)
    assert p.evaluate({"m": "a" * 10_000}) is False
    assert p.evaluate({"m": "aab"}) is True
    assert q.evaluate("an Error here") is True


def test_a_full_dfa_cache_is_replaced_without_changing_answers() -> None:
    import random

    rng = random.Random(7)
    rx = compile_linear("[ab]*a[ab]{11}c")  # up to 2**12 DFA states: more than the cache holds
    for _ in range(4):
        text = "".join(rng.choice("ab") for _ in range(2500)) + rng.choice(["c", "", "bc"])
        assert rx.search(text) is (re.search("[ab]*a[ab]{11}c", text) is not None)


# --- hypothesis: same answers as a backtracking engine on small inputs -----------

atoms = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", r"\d", r"\w", r"\s", "[a-c]", r"\.", "1", "-"])
quants = st.sampled_from(["", "", "?", "*", "+", "{2}", "{1,3}", "{2,}", "{0,2}"])
branches = st.lists(st.tuples(atoms, quants).map("".join), min_size=1, max_size=4).map("".join)
regexes = st.builds(
    lambda bs, a, z: "|".join(("^" if a else "") + b + ("$" if z else "") for b in bs),
    st.lists(branches, min_size=1, max_size=3),
    st.booleans(),
    st.booleans(),
)
texts = st.text(alphabet="abc1 .-\n_", max_size=12)


@settings(max_examples=400, deadline=None)
@given(regexes, texts)
def test_agrees_with_a_backtracking_engine(pattern: str, text: str) -> None:
    expected = re.search(pattern, text) is not None  # the oracle, on tiny inputs only
    assert compile_linear(pattern).search(text) is expected


# --- regex inside filter patterns --------------------------------------------


def test_standalone_regex_searches_the_whole_event() -> None:
    p = parse("%AUTHORIZED%")
    assert p.kind == "regex"
    assert p.evaluate("[ERROR 401] UNAUTHORIZED REQUEST") is True
    assert p.evaluate("nothing") is False
    assert p.evaluate({"errorCode": "UNAUTHORIZED"}) is True  # a dict is searched as its JSON text
    assert str(p) == "%AUTHORIZED%"


def test_standalone_regex_is_the_whole_pattern() -> None:
    with pytest.raises(FilterPatternError, match="whole pattern"):
        parse("%ERROR% WARN")
    with pytest.raises(FilterPatternError, match="no closing '%'"):
        parse("%ERROR")


@pytest.mark.parametrize(
    "pattern, event, expected",
    [
        ("{ $.errorCode = %Denied$% }", {"errorCode": "AccessDenied"}, True),
        ("{ $.errorCode = %^Denied% }", {"errorCode": "AccessDenied"}, False),
        ("{ $.errorCode != %Throttl% }", {"errorCode": "AccessDenied"}, True),
        ("{ $.errorCode != %Throttl% }", {}, False),  # no node: false, != too
        ("{ $.errorCode = %Denied% }", {"errorCode": 403}, None),  # regex against a number: undocumented
        ("[w1 = %^ERR%, w2]", "ERROR message", True),
        ("[w1 != %^ERR%, w2]", "ERROR message", False),
    ],
)
def test_regex_in_field_conditions(pattern: str, event: object, expected: object) -> None:
    assert parse(pattern).evaluate(event) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pattern, column",
    [
        ("{ $.a = %x% || $.b = %y% || $.c = %z% }", 35),
        ("[a = %x%, b = %y%, c = %z%]", 24),
    ],
)
def test_at_most_two_regexes_in_every_pattern_kind(pattern: str, column: int) -> None:
    with pytest.raises(FilterPatternError, match=f"more than 2 regular expressions.* at column {column}"):
        parse(pattern)


@pytest.mark.parametrize(
    "pattern, column",
    [
        ("{ $.a = %something!% }", 19),
        ("{ $.a = %(a)% }", 10),
        ("{ $.a = %caf\u00e9% }", 13),
        ("%a\tb%", 3),
    ],
)
def test_whitelist_errors_point_into_the_pattern(pattern: str, column: int) -> None:
    with pytest.raises(FilterPatternError, match=f"at column {column}$"):
        parse(pattern)


def test_size_is_checked_before_any_regex_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from trailwatch_policy.filter_pattern import lexer

    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("regex work on an oversized pattern")

    monkeypatch.setattr(lexer, "parse_branches", forbidden)
    with pytest.raises(FilterPatternError, match="1025 characters"):
        parse("%" + "a" * 1023 + "%")


def test_too_large_regex_is_indeterminate_not_an_error() -> None:
    p = parse("{ $.a = %a{1000}b{1000}c{1000}d{1000}e{1000}% }")
    assert p.evaluate({"a": "x"}) is None
    assert any("too large" in u for u in p.uncertain)


def test_no_warning_escapes_parse() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in ("%[[a]%", "%a{1,2}{3}%", "{ $.a = %[]% }", "%\\%", "%[a-\\d]%"):
            with pytest.raises(FilterPatternError):
                parse(text)


# The regex section of https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html:
# "\xhh: Matches the ASCII mapping for a two-digit hexadecimal character ... %\x3A% matches ':'; and
# %\x28% matches '('", and the example %^starting|^initializing|^shutting down% "can match
# "starting ...", or "initializing ...", or "shutting down", but won't match "skipping initializing ..."".
@pytest.mark.parametrize(
    "pattern, text, expected",
    [
        (r"\x3A", "host:port", True),
        (r"\x3A", "no colon", False),
        (r"\x28", "f(x)", True),
        (r"\x28", "fx", False),
        (r"\x3a", "a:b", True),  # hexadecimal digits in either case
        (r"[\x28\x29]", "g)", True),  # inside a class too
        (r"a\x20b", "a b", True),
        ("^starting|^initializing|^shutting down", "starting the service", True),
        ("^starting|^initializing|^shutting down", "initializing the cache", True),
        ("^starting|^initializing|^shutting down", "shutting down", True),
        ("^starting|^initializing|^shutting down", "skipping initializing the cache", False),
        ("^starting|^initializing|^shutting down", "shutting  down", False),  # one blank, not two
    ],
)
def test_hex_escapes_and_blanks_as_aws_documents(pattern: str, text: str, expected: bool) -> None:
    assert compile_linear(pattern).search(text) is expected
