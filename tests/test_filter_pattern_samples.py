"""The engine on 310 real CloudTrail records (shared/data/cloudtrail-samples, Apache-2.0)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from trailwatch_policy.controls.scanners import CIS_1_2, CIS_1_4, CIS_2_0
from trailwatch_policy.filter_pattern import parse

SAMPLES = Path(__file__).resolve().parent / "data" / "cloudtrail-samples"  # vendored, Apache-2.0 (its LICENSE)
SEED_RENDERED = '{($.errorCode = "UnauthorizedOperation") || ($.errorCode = "AccessDenied")}'


@pytest.fixture(scope="module")
def records() -> list[dict]:
    files = sorted(SAMPLES.glob("*.json"))
    assert len(files) == 35, "the sample set is 35 files"
    out = [r for f in files for r in json.loads(f.read_text())]
    assert len(out) == 310
    return out


def count(pattern: str, events: list) -> Counter:
    p = parse(pattern)
    return Counter(p.evaluate(e) for e in events)


def test_sample_composition(records: list[dict]) -> None:
    codes = Counter(r.get("errorCode") for r in records)
    assert codes == {
        None: 258,
        "Client.UnauthorizedOperation": 46,
        "AccessDenied": 5,
        "EntityTemporarilyUnmodifiableException": 1,
    }


def test_cis_1_4_text_matches_all_310_records(records: list[dict]) -> None:
    assert count(CIS_1_4, records) == {True: 310}


def test_cis_1_2_text_matches_exactly_the_51_denials(records: list[dict]) -> None:
    p = parse(CIS_1_2)
    matched = [r for r in records if p.evaluate(r)]
    assert len(matched) == 51
    assert {r["errorCode"] for r in matched} == {"Client.UnauthorizedOperation", "AccessDenied"}
    assert count(CIS_1_2, records) == {True: 51, False: 259}


def test_cis_2_0_text_matches_the_51_denials_none_is_excluded(records: list[dict]) -> None:
    # none of the sample denials is a HeadBucket, from log delivery or without sourceIPAddress
    assert count(CIS_2_0, records) == {True: 51, False: 259}


def test_seed_rendered_text_only_catches_the_5_access_denied(records: list[dict]) -> None:
    p = parse(SEED_RENDERED)
    matched = [r for r in records if p.evaluate(r)]
    assert len(matched) == 5
    assert {r["errorCode"] for r in matched} == {"AccessDenied"}


@pytest.mark.parametrize("pattern", [CIS_1_2, CIS_1_4, CIS_2_0, SEED_RENDERED])
def test_raw_json_lines_and_parsed_records_agree(records: list[dict], pattern: str) -> None:
    p = parse(pattern)
    assert [p.evaluate(r) for r in records] == [p.evaluate(json.dumps(r)) for r in records]


def test_printed_patterns_match_the_same_records(records: list[dict]) -> None:
    for text in (CIS_1_2, CIS_1_4, CIS_2_0, SEED_RENDERED):
        p = parse(text)
        q = parse(str(p))
        assert [p.evaluate(r) for r in records] == [q.evaluate(r) for r in records]


def test_term_pattern_searches_the_whole_record_text(records: list[dict]) -> None:
    # 'AccessDenied' as a term also finds records that only mention it in their text
    by_term = count("AccessDenied", [json.dumps(r) for r in records])[True]
    assert by_term >= 5
