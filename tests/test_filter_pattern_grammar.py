"""The documented grammar beyond the CIS patterns: selectors, numbers, malformed
comparisons, quoting, terms and OR groups, space-delimited fields, error positions.

Sources: "Filter pattern syntax for metric filters, subscription filters, filter log
events, and Live Tail" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html),
"Using filter patterns to match terms in JSON log events"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html) and the
archived copy of the guide (awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/FilterAndPatternSyntax.md)
for the number and wildcard rules."""

from __future__ import annotations

import pytest

from trailwatch_policy.filter_pattern import FilterPatternError, parse

# the example event of the archived guide's "JSON Metric Filter Examples"
DOC_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "ThisFlag": True,
}
# the example event of "JSON Compound Conditions"
COMPOUND = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
    ],
)
def test_documented_json_examples_match(pattern: str) -> None:
    assert parse(pattern).evaluate(DOC_EVENT) is True


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
            False,
        ),
    ],
)
def test_documented_compound_examples(pattern: str, expected: bool) -> None:
    assert parse(pattern).evaluate(COMPOUND) is expected


def test_selector_pointing_at_an_array_matches_neither_equal_nor_not_equal() -> None:
    # "both {$.users = 1} and {$.users != 1} will fail to match ... where users is an array"
    event = {"users": [1, 2, 3]}
    assert parse("{$.users = 1}").evaluate(event) is False
    assert parse("{$.users != 1}").evaluate(event) is False


@pytest.mark.parametrize(
    "pattern, event, expected",
    [
        ("{ $.['a.b'] = 1 }", {"a.b": 1}, True),
        ("{ $['a b'] = 1 }", {"a b": 1}, True),
        ("{ $.x.['a.b'] = 1 }", {"x": {"a.b": 1}}, True),
        ('{ $["it\'s"] = 1 }', {"it's": 1}, True),
        ("{ $.a[0][1] = 5 }", {"a": [[4, 5]]}, True),
        ("{ $.a[*].b = 2 }", {"a": [{"b": 1}, {"b": 2}]}, True),
        ("{ $.a.* = 2 }", {"a": {"x": 1, "y": 2}}, True),
        ("{ $.* = 2 }", {"x": 1, "y": 2}, True),
    ],
)
def test_selector_forms(pattern: str, event: dict, expected: bool) -> None:
    assert parse(pattern).evaluate(event) is expected


@pytest.mark.parametrize(
    "pattern, value, expected",
    [
        ("{ $.latency > +1000 }", 1001, True),
        ("{ $.n < 10e3 }", 9999, True),
        ("{ $.n < 10e3 }", 10000, False),
        ("{ $.n < 10e-3 }", 0.001, True),
        ("{ $.n = -1.5e-3 }", -0.0015, True),
        ("{ $.n >= 500 }", 500, True),
        ("{ $.n <= 55.5 }", 55.5, True),
        ("{ $.n = 400 }", 400, True),
        ("{ $.n != 500 }", 400, True),
        ("{ $.n = .5 }", 0.5, True),
    ],
)
def test_numbers_with_sign_and_exponent(pattern: str, value: float, expected: bool) -> None:
    assert parse(pattern).evaluate({"n": value, "latency": value}) is expected


@pytest.mark.parametrize(
    "pattern, fragment, column",
    [
        ("{ $.a => 1 }", "malformed comparison '=>'", 7),
        ("{ $.a =! 1 }", "malformed comparison '=!'", 7),
        ("{ $.a = = 1 }", "malformed comparison", 9),
        ("{ $.a <> 1 }", "malformed comparison '<>'", 7),
        ("{ $.a == 1 }", "'==' is not an operator", 7),
        ("{ $.a !== 1 }", "'!==' is not an operator", 7),
        ("{ $.a >== 1 }", "'>==' is not an operator", 7),
        ("{ $.a > abc }", "'>' compares numbers", 9),
        ('{ $.a < "x" }', "'<' compares numbers", 9),
        ("{ $.a = user@example.com }", "'@' in an unquoted value", 13),
        ("{ $.a = $x }", "'$' in an unquoted value", 9),
        ("{ $.a = caf\u00e9 }", "in an unquoted value", 12),
        ("{ $.a is null }", "expected an operator", 7),
    ],
)
def test_malformed_comparisons_and_values_aws_requires_quoted(pattern: str, fragment: str, column: int) -> None:
    with pytest.raises(FilterPatternError) as info:
        parse(pattern)
    assert fragment in str(info.value)
    assert info.value.column == column


def test_quoted_values_may_hold_what_bare_ones_may_not() -> None:
    assert parse('{ $.a = "user@example.com" }').evaluate({"a": "user@example.com"}) is True
    assert parse('{ $.a = "caf\u00e9" }').evaluate({"a": "caf\u00e9"}) is True


def test_infix_star_is_literal_and_edge_stars_are_wildcards() -> None:
    # archived guide: "*Event will match PutEvent ... Event* will match EventId ... Ev*ent will
    # only match the actual string Ev*ent"
    assert parse("{ $.e = *Event }").evaluate({"e": "PutEvent"}) is True
    assert parse("{ $.e = Event* }").evaluate({"e": "EventName"}) is True
    assert parse("{ $.e = Ev*ent }").evaluate({"e": "Event"}) is False
    assert parse("{ $.e = Ev*ent }").evaluate({"e": "Ev*ent"}) is True


def test_errors_in_multi_line_patterns_give_line_and_column() -> None:
    text = '{\n  $.errorCode = "AccessDenied" &&\n  $.eventName = user@x\n}'
    with pytest.raises(FilterPatternError) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (3, 21)
    assert str(info.value).endswith("at line 3, column 21")


def test_multi_line_patterns_parse() -> None:
    p = parse('{\n  $.errorCode = "AccessDenied" ||\n  $.errorCode = "*UnauthorizedOperation"\n}')
    assert p.evaluate({"errorCode": "Client.UnauthorizedOperation"}) is True


# --- terms -------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, event, expected",
    [
        ("ERROR", "[ERROR] A fatal exception has occurred", True),
        ("ERROR", "Exiting with ERRORCODE: -1", True),
        ('"ERROR" -"Exiting"', "Exiting with ERRORCODE: -1", False),
        ('"ERROR" - "Exiting"', "Exiting with ERRORCODE: -1", False),  # the guide's spelling
        ("ERROR Exception", "[ERROR] Caught IllegalArgumentException", True),
        ("ERROR Exception", "[ERROR] Unhandled", False),
        ('"Failed to process the request"', "[WARN] Failed to process the request", True),
        ("?ERROR ?WARN", "WARN message", True),
        ("?ERROR ?WARN", "INFO message", False),
        ("ERROR WARN", "ERROR message", False),
        ("ERROR -WARN", "ERROR message", True),
        ("ERROR -WARN", "ERROR WARN message", False),
        ("error", "ERROR message", False),  # case-sensitive
    ],
)
def test_documented_term_examples(pattern: str, event: str, expected: bool) -> None:
    assert parse(pattern).evaluate(event) is expected


# AWS's unstructured-log section: "If you combine "?" with other filter patterns, all question mark
# terms will be ignored" -- ?ERROR ?ARGUMENTS REQUEST matches every event with REQUEST.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
@pytest.mark.parametrize(
    "pattern, event, expected",
    [
        ("?ERROR ?ARGUMENTS", "[ERROR 400] BAD REQUEST", True),
        ("?ERROR ?ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS", True),
        ("?ERROR ?ARGUMENTS", "[INFO] REQUEST FAILED", False),
        ("?ERROR ?ARGUMENTS REQUEST", "[INFO] REQUEST FAILED", True),
        ("?ERROR ?ARGUMENTS REQUEST", "[WARN] UNAUTHORIZED REQUEST", True),
        ("?ERROR ?ARGUMENTS REQUEST", "[ERROR] 400 BAD REQUEST", True),
        ("?ERROR ?ARGUMENTS REQUEST", "[ERROR 419] MISSING ARGUMENTS", False),
        ("ERROR ?WARN ?INFO", "WARN only", False),
        ("ERROR ?WARN ?INFO", "ERROR alone", True),
        ("?ERROR -DEBUG", "ERROR line", True),  # only an excluded term: the ?term is ignored too
        ("?ERROR -DEBUG", "INFO line", True),
        ("?ERROR -DEBUG", "ERROR DEBUG line", False),
        # the AWS CDK writes FilterPattern.anyTermGroup(["ERROR","MainThread"],["WARN","Deadlock"]) so;
        # CloudWatch Logs ignores its ?terms: MainThread and Deadlock are both required
        ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', "ERROR in MainThread", False),
        ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', "WARN Deadlock found", False),
        ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', "Deadlock in MainThread", True),
    ],
)
def test_question_mark_terms_are_ignored_beside_other_terms(pattern: str, event: str, expected: bool) -> None:
    p = parse(pattern)
    assert p.evaluate(event) is expected
    assert not p.uncertain


def test_empty_blank_and_quoted_blank_patterns_match_everything() -> None:
    for text in ("", "   ", '" "'):
        p = parse(text)
        assert p.kind == "match-all"
        assert p.evaluate("anything") is True
    assert str(parse('" "')) == '" "'
    assert str(parse("")) == ""


def test_terms_with_punctuation_must_be_quoted() -> None:
    with pytest.raises(FilterPatternError, match="double quotes at column 7"):
        parse("Client.UnauthorizedOperation")
    assert parse('"Client.UnauthorizedOperation"').evaluate("x Client.UnauthorizedOperation") is True


# --- space-delimited ---------------------------------------------------------

APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /index.html HTTP/1.0" 404 4355',
]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", [True, True, True]),
        ("[..., status_code, bytes]", [True, True, True]),
        ("[ip, user, ..., status_code, bytes]", [True, True, True]),
        ("[ip, user, ...]", [True, True, True]),
        ("[ip, user, username, timestamp, request, status_code, bytes > 5000]", [False, True, False]),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes]", [True, False, False]),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", [False, False, True]),
        ("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", [False, False, True]),
        (
            "[ip, user, username, timestamp, request, status_code = 5* && status_code != 503, bytes]",
            [False, True, False],
        ),
        ("[..., request=*.html*, status_code=4*,]", [False, False, True]),
        ("[ip, user, username, timestamp, request, status_code = %^[45]%, bytes]", [False, True, True]),
        ("[ip, user]", [True, True, True]),  # fewer fields than words: see test_match_terms_in_order
        ('[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", ...]', [True, False, False]),
    ],
)
def test_documented_space_delimited_examples(pattern: str, expected: list[bool]) -> None:
    p = parse(pattern)
    assert [p.evaluate(line) for line in APACHE] == expected
    assert not p.uncertain


# AWS's space-delimited section, "Match terms in order": [w1=ERROR, w2] returns the events whose
# first word is ERROR -- lines of six to seven words matched by two fields ("include a blank w2
# indicator after the w1 term"). https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
IN_ORDER = [
    "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200",
    "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310",
    "WARNING 09/25/2014 12:00:02 Invalid user request",
    "ERROR 09/25/2014 12:00:02 Failed to process request",
]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("[w1=ERROR, w2]", [False, False, False, True]),
        ("[w1=ERROR || w1=WARNING, w2]", [False, False, True, True]),
        ("[w1!=ERROR && w1!=WARNING, w2]", [True, True, False, False]),
        ("[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", [True, False, False, False]),
        (
            "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]",
            [False, True, False, False],
        ),
    ],
)
def test_match_terms_in_order(pattern: str, expected: list[bool]) -> None:
    p = parse(pattern)
    assert [p.evaluate(line) for line in IN_ORDER] == expected
    assert not p.uncertain


def test_the_last_field_over_several_words_is_indeterminate_only_when_a_condition_reads_it() -> None:
    """Whether the last field holds its word or the rest of the line is not documented."""
    p = parse("[w1, w2=foo]")
    assert p.evaluate("a foo") is True
    assert p.evaluate("a foo bar") is None  # "foo" or "foo bar"
    assert p.evaluate("a bar foo") is False  # "bar" or "bar foo": neither is foo
    assert parse("[w1, w2=*foo*]").evaluate("a foo bar") is True  # true either way
    assert parse("[w1=a, w2, w3]").evaluate("a") is False  # fewer words than fields


def test_condition_on_a_name_that_is_no_field_is_indeterminate() -> None:
    p = parse("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]")
    assert p.uncertain
    assert p.evaluate('1 - f [d] "GET /" 404') is None
    assert p.evaluate('1 - f [d] "GET /" 200') is False


@pytest.mark.parametrize(
    "pattern, fragment",
    [
        ("[]", "at least one field"),
        ("[a, a]", "used twice"),
        ("[a = ]", "expected a value"),
        ("[a > x]", "compares numbers"),
        ("[a =! 1]", "malformed comparison"),
        ("[a, b c]", "expected an operator"),
    ],
)
def test_space_delimited_errors(pattern: str, fragment: str) -> None:
    with pytest.raises(FilterPatternError, match=fragment):
        parse(pattern)


@pytest.mark.parametrize("pattern", ["ERROR", "%5%", "[a]", "{ $.a = 1 }", ""])
def test_every_kind_takes_any_json_value_as_event_and_refuses_other_objects(pattern: str) -> None:
    p = parse(pattern)
    for event in (5, 2.5, True, None, [1], {"a": 1}, "text"):
        assert p.evaluate(event) in (True, False, None)  # type: ignore[arg-type]
    if pattern:
        with pytest.raises(TypeError, match="an event is a str or a parsed JSON value"):
            p.evaluate(object())  # type: ignore[arg-type]


# AWS's JSON section, Quotas: "You can only use up to one wildcard selector in a property selector,
# and up to three wildcard selectors in a filter pattern with compound expressions."
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.arrayKey[*] = %val.{2}% }",
        "{ $.* = x }",
        "{ $.a[*] = 1 || $.b.* = 2 || $.c[*].d = 3 }",
    ],
)
def test_wildcard_selectors_within_the_quotas_parse(pattern: str) -> None:
    parse(pattern)


@pytest.mark.parametrize(
    "pattern, message, column",
    [
        ("{ $.a[*].b[*] = 1 }", "2 wildcards in one property selector", 3),
        ("{ $.*.* = 1 }", "2 wildcards in one property selector", 3),
        ("{ $.a[*] = 1 || $.b.* = 2 || $.c[*] = 3 || $.d.* = 4 }", "more than 3 wildcard selectors", 44),
    ],
)
def test_wildcard_selectors_beyond_the_quotas_are_rejected(pattern: str, message: str, column: int) -> None:
    with pytest.raises(FilterPatternError, match=f"{message}.* at column {column}$"):
        parse(pattern)
