"""The judgement on the pattern variants met in practice (filter-pattern.md section 6)."""

from __future__ import annotations

import dataclasses

import pytest

from trailwatch_policy.controls.judge import PROFILES, Verdict, judge
from trailwatch_policy.controls.probes import EITHER, MUST_MATCH, MUST_NOT_MATCH, PROBES
from trailwatch_policy.controls.scanners import CIS_1_2, CIS_1_4, CIS_2_0

SEED_RENDERED = '{($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied")}'
AND_BETWEEN = '{ ($.errorCode = "*UnauthorizedOperation") && ($.errorCode = "AccessDenied*") }'
REVERSED = '{ ($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation") }'
UNQUOTED = "{ $.errorCode = *UnauthorizedOperation || $.errorCode = AccessDenied* }"


def test_cis_1_2_is_ok() -> None:
    v = judge(CIS_1_2)
    assert v.status == "ok" and v.ok and v.reasons == () and v.error is None
    assert dict(v.scanners) == {"securityhub": True, "prowler": True, "steampipe": False}
    assert v.summary().startswith("ok: monitors every denial")


def test_cis_1_4_is_not_ok_because_it_floods() -> None:
    v = judge(CIS_1_4)
    assert v.status == "not_ok" and not v.ok
    flood = v.reasons[0]
    assert "matches successful calls such as ec2:DescribeInstances" in flood
    assert "the alarm would fire on normal traffic" in flood
    assert "CIS 1.4/1.5 text's known bug, fixed in CIS 2.0" in flood
    assert any("matches non-denial errors such as ThrottlingException" in r for r in v.reasons)
    assert dict(v.scanners) == {"securityhub": False, "prowler": True, "steampipe": True}


def test_cis_2_0_is_ok() -> None:
    v = judge(CIS_2_0)
    assert v.ok
    assert dict(v.scanners) == {"securityhub": False, "prowler": True, "steampipe": True}


def test_seed_rendered_text_misses_the_ec2_and_json_api_denials() -> None:
    v = judge(SEED_RENDERED)
    assert v.status == "not_ok"
    assert "misses Client.UnauthorizedOperation: EC2 denials go unnoticed" in v.reasons
    assert any(r.startswith("misses AccessDeniedException: KMS, Lambda, DynamoDB") for r in v.reasons)
    assert not any("UnauthorizedOperation: EC2 (without" in r for r in v.reasons)  # exact value still catches it
    assert not any(r.startswith("misses AccessDenied:") for r in v.reasons)


def test_and_between_the_clauses_matches_nothing_yet_prowler_accepts_it() -> None:
    v = judge(AND_BETWEEN)
    assert v.status == "not_ok"
    assert {r.split(":")[0] for r in v.reasons} == {
        "misses Client.UnauthorizedOperation",
        "misses UnauthorizedOperation",
        "misses AccessDenied",
        "misses AccessDeniedException",
    }
    assert v.scanners["prowler"] is True


def test_reversed_clause_order_is_ok_yet_prowler_rejects_it() -> None:
    v = judge(REVERSED)
    assert v.ok
    assert v.scanners["prowler"] is False and v.scanners["securityhub"] is False


def test_unquoted_values_are_ok() -> None:
    assert judge(UNQUOTED).ok


def test_whitespace_variants_of_cis_1_2_satisfy_security_hub() -> None:
    v = judge('{($.errorCode="*UnauthorizedOperation")||($.errorCode="AccessDenied*")}')
    assert v.ok and v.scanners["securityhub"] is True


def test_parse_error_is_not_ok_with_the_message() -> None:
    v = judge('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") ')
    assert v.status == "not_ok"
    assert v.error is not None and "expected '}'" in v.error and "column" in v.error
    assert v.reasons[0].startswith("the pattern does not parse: ")


def test_match_all_and_non_denial_errors() -> None:
    assert any("matches successful calls" in r for r in judge("").reasons)
    v = judge("{ $.errorCode = * }")
    assert v.status == "not_ok"
    assert any(r.startswith("matches non-denial errors such as ThrottlingException") for r in v.reasons)


def test_term_pattern_counts_successful_calls_that_mention_the_code() -> None:
    v = judge("?AccessDenied ?UnauthorizedOperation")
    assert v.status == "not_ok"
    assert any("logs:PutMetricFilter" in r for r in v.reasons)


def test_uncertain_constructs_give_indeterminate_not_a_pass() -> None:
    # a space-delimited condition on a name that is no field of the pattern: undocumented
    v = judge("[..., code != 1 && nope = 2]")
    assert v.status == "indeterminate" and not v.ok
    assert "which name no field of the pattern" in v.reasons[0]


def test_extra_must_match_record() -> None:
    vpce = {
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "errorCode": "VpceAccessDenied",
        "sourceIPAddress": "10.0.0.5",
    }
    v = judge(CIS_1_2, extra_must_match=[vpce])
    assert v.status == "not_ok"
    assert v.reasons == ("misses your must-match record #1 (s3:GetObject VpceAccessDenied)",)
    assert judge(
        '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "*AccessDenied*" }', extra_must_match=[vpce]
    ).ok


def test_extra_must_not_match_record() -> None:
    noisy = {
        "eventSource": "s3.amazonaws.com",
        "eventName": "HeadBucket",
        "errorCode": "AccessDenied",
        "sourceIPAddress": "203.0.113.9",
    }
    v = judge(CIS_1_2, extra_must_not_match=[noisy])
    assert v.reasons == ("matches your must-not-match record #1 (s3:HeadBucket AccessDenied)",)
    assert judge(CIS_2_0, extra_must_not_match=[noisy]).ok


@pytest.mark.parametrize(
    "profile, text, ok, needs",
    [
        ("securityhub", CIS_1_2, True, None),
        ("securityhub", CIS_2_0, False, "Security Hub CloudWatch.2 accepts only the CIS 1.2 text"),
        ("prowler", REVERSED, False, "Prowler needs"),
        ("prowler", CIS_2_0, True, None),
        ("steampipe", CIS_1_2, False, "Steampipe aws_compliance needs"),
        ("steampipe", CIS_2_0, True, None),
        ("cis-2.0", CIS_2_0, True, None),
        ("cis-2.0", CIS_1_2, False, "differs from CIS 2.0 on AccessDenied on HeadBucket"),
        ("meaning", REVERSED, True, None),
    ],
)
def test_profiles(profile: str, text: str, ok: bool, needs: str | None) -> None:
    v = judge(text, profile=profile)
    assert v.ok is ok
    if needs:
        assert any(needs in r for r in v.reasons), v.reasons


def test_scanner_profile_does_not_rescue_a_wrong_meaning() -> None:
    v = judge(CIS_1_4, profile="steampipe")
    assert v.status == "not_ok" and v.scanners["steampipe"] is True


def test_unknown_profile_names_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match="meaning, securityhub, prowler, steampipe, cis-2.0"):
        judge(CIS_1_2, profile="cis-9")
    assert PROFILES[0] == "meaning"


def test_judge_is_cached_per_text_and_extras() -> None:
    assert judge(CIS_2_0) is judge(CIS_2_0)
    extra = [{"eventName": "X", "errorCode": "AccessDenied"}]
    assert judge(CIS_2_0, extra_must_match=extra) is judge(CIS_2_0, extra_must_match=[dict(extra[0])])
    assert judge(CIS_2_0, extra_must_match=extra) is not judge(CIS_2_0)


def test_verdict_shape() -> None:
    v = judge(SEED_RENDERED)
    assert isinstance(v, Verdict)
    assert v.summary().startswith("not_ok: misses Client.UnauthorizedOperation") and "more)" in v.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.status = "ok"  # type: ignore[misc]
    assert set(v.scanners) == {"securityhub", "prowler", "steampipe"}


def test_non_text_pattern_is_not_ok() -> None:
    v = judge(None)  # type: ignore[arg-type]
    assert v.status == "not_ok" and v.error


def test_probes_cover_the_brief() -> None:
    must = {p.category for p in PROBES if p.expectation == MUST_MATCH}
    assert must == {"Client.UnauthorizedOperation", "UnauthorizedOperation", "AccessDenied", "AccessDeniedException"}
    for p in PROBES:
        if p.expectation == MUST_MATCH:
            assert p.record["eventName"] != "HeadBucket"
            assert p.record["sourceIPAddress"] != "delivery.logs.amazonaws.com"
    not_errors = {p.category for p in PROBES if p.expectation == MUST_NOT_MATCH}
    assert {
        "success",
        "ThrottlingException",
        "Client.RequestLimitExceeded",
        "ValidationException",
        "NoSuchEntityException",
        "EntityTemporarilyUnmodifiableException",
        "TrailNotFoundException",
    } <= not_errors
    successes = [p for p in PROBES if p.category == "success"]
    assert all("errorCode" not in p.record for p in successes)
    assert any(p.name == "ec2:DescribeInstances" for p in successes)
    assert any(
        p.name == "s3:HeadBucket" and p.record["sourceIPAddress"] == "delivery.logs.amazonaws.com" for p in successes
    )
    either = [p for p in PROBES if p.expectation == EITHER]
    assert any(p.record["eventName"] == "HeadBucket" for p in either)
    assert any(p.record.get("sourceIPAddress") == "delivery.logs.amazonaws.com" for p in either)
    assert any("sourceIPAddress" not in p.record for p in either)


def test_scanners_measure_the_size_before_any_regex(monkeypatch):
    """A pattern longer than CloudWatch Logs accepts never meets the scanners' regexes."""
    from trailwatch_policy.controls import scanners

    class Refuse:
        def search(self, text):
            raise AssertionError("a regex ran on an oversized pattern")

    monkeypatch.setattr(scanners, "_PROWLER_RE", Refuse())
    monkeypatch.setattr(scanners, "_STEAMPIPE_RES", (Refuse(),))
    huge = "$.errorCode = *UnauthorizedOperation " * 30
    assert scanners.scanner_verdicts(huge) == {"securityhub": False, "prowler": False, "steampipe": False}
    with pytest.raises(AssertionError):
        scanners.scanner_verdicts(huge[:1024])
