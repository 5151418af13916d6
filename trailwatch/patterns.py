"""The metric filter pattern texts a stack can choose, by profile name, and which scanners accept them.

Pure data: the texts are copied character for character from the benchmark (see
/work/shared/specs/filter-pattern.md section 6) because scanners compare them literally.
They are also in the pack (`trailwatch_policy.scanners`), which the program cannot import:
`pulumi up` installs only requirements.txt and the pack folder is not on its path. Tests
keep the two copies identical and `ACCEPTED_BY` equal to what the pack's scanner rules say.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Final

#: CIS AWS Foundations 1.2 §3.1 text; the only text AWS Security Hub CloudWatch.2 accepts.
CIS_1_2: Final = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'

#: CIS AWS Foundations 2.0 .. 7.0 text (excludes log-delivery and HeadBucket denials).
CIS_2_0: Final = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") '
    '&& ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)

#: Profile name -> pattern text. The first entry is the default.
PROFILES: Final[dict[str, str]] = {"cis-2.0": CIS_2_0, "cis-1.2": CIS_1_2}
DEFAULT_PROFILE: Final = "cis-2.0"

#: The scanners whose acceptance of a pattern text trailwatch knows (the pack's `scanners.SCANNERS`).
SCANNERS: Final = ("securityhub", "prowler", "steampipe")

#: Profile -> the scanners that accept its text (a test derives it from the pack's scanner rules).
ACCEPTED_BY: Final[dict[str, frozenset[str]]] = {
    "cis-2.0": frozenset({"prowler", "steampipe"}),
    "cis-1.2": frozenset({"securityhub", "prowler"}),
}

#: What each scanner needs, in words, for the error when no profile satisfies all of them.
NEEDS: Final[dict[str, str]] = {
    "securityhub": "Security Hub CloudWatch.2 accepts only the CIS 1.2 text (cis-1.2)",
    "prowler": "Prowler accepts both texts",
    "steampipe": "Steampipe needs the CIS 2.0 exclusions of delivery.logs and HeadBucket (cis-2.0)",
}


def profiles_accepted_by(scanners: Iterable[str]) -> list[str]:
    """The profiles (in preference order) whose text every one of `scanners` accepts."""
    wanted = set(scanners)
    return [name for name in PROFILES if wanted <= ACCEPTED_BY[name]]


def accepting_scanners(pattern: str) -> frozenset[str]:
    """The scanners known to accept `pattern`: only a profile's exact text is known."""
    for name, text in PROFILES.items():
        if pattern == text:
            return ACCEPTED_BY[name]
    return frozenset()
