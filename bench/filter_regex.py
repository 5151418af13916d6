"""Benchmark: AWS's documented regex examples over 100 KB and 1 MB events grow linearly.

Each documented example (AWS "Supported regular expressions (regex) syntax",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html) is run as a
standalone ``%regex%`` pattern over events that it does not match (so the whole event is
read), plus the adversarial case of issue 17: ``%a*b%`` over a run of ``a`` (quadratic,
16 s at 100 KB, with Python's backtracking ``re``). The 1 MB time is compared with ten
times the 100 KB time: linear growth gives a ratio near 1.
"""

from __future__ import annotations

from trailwatch_policy.filter_pattern import parse

from .common import Result, best_of

DOCUMENTED = (
    "%AUTHORIZED%",
    r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%",
    "%[Ee]rror|[Ff]ail%",
    "%^[hc]at%",
    "%[hc]at$%",
    "%colou?r%",
    "%[abc]%",
    "%[a-z]%",
    "%[abcx-z]%",
    "%a{3,5}%",
    "%gra|ey%",
    r"%10\.10\.0\.1%",
    "%12*0%",
    "%12+0%",
    "%.ing%",
)
SMALL, LARGE = 100_000, 1_000_000
TARGET = 1.5


def _events(size: int) -> list[str]:
    line = "Q" * 99 + " "  # none of the examples matches it: every character is read
    return [(line * (size // len(line) + 1))[:size], "a" * size]


def run() -> list[Result]:
    patterns = [parse(p) for p in DOCUMENTED] + [parse("%a*b%")]
    small, large = _events(SMALL), _events(LARGE)
    assert not any(p.evaluate(e) for p in patterns[:-1] for e in small[:1])
    assert not patterns[-1].evaluate(small[1])

    def over(events: list[str]) -> None:
        for p in patterns:
            for e in events:
                p.evaluate(e)

    t_small = best_of(lambda: over(small), repeat=3)
    t_large = best_of(lambda: over(large), repeat=3)
    return [
        Result(
            name="filter: documented regexes, 1 MB vs 10 x 100 KB events",
            measured=t_large,
            baseline=10 * t_small,
            target=f"ratio <= {TARGET} (linear growth)",
            ok=t_large <= TARGET * 10 * t_small,
            details={
                "patterns": len(patterns),
                "events_per_size": len(small),
                "seconds_100kb": round(t_small, 4),
                "seconds_1mb": round(t_large, 4),
            },
        )
    ]
