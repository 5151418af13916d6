"""The metric filter pattern texts a stack can choose, by profile name.

Pure data: the texts are copied character for character from the benchmark (see
/work/shared/specs/filter-pattern.md section 6) because scanners compare them literally.
They are also in the pack (`trailwatch_policy.scanners`), which the program cannot import:
`pulumi up` installs only requirements.txt and the pack folder is not on its path. A test
keeps the two copies identical.
"""
from __future__ import annotations

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
