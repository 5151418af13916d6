"""How the scanners users are audited by judge a pattern: by its text, not its meaning.

Reproduced from their published code / documentation so that trailwatch can tell a
user which of them a (correct) pattern will satisfy; ``control.md`` has the anchors.

- **AWS Security Hub CloudWatch.2** (and the CIS 1.2 standard): accepts the literal
  CIS 1.2 text ``{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}``.
  AWS does not publish its comparison. We assume the least that is certainly true:
  blanks outside quoted strings are ignored (AWS's own documentation prints the text
  both with and without blanks); anything else (no quotes, other order, extra
  clauses, no parentheses) counts as rejected. Being conservative, a "rejected" here
  may in rare cases be accepted by the real service, never the other way round.
- **Prowler** (``cloudwatch_log_metric_filter_unauthorized_api_calls``, 5.x):
  ``re.search(r"\\$\\.errorCode\\s*=\\s*.?\\*UnauthorizedOperation.+\\$\\.errorCode\\s*=\\s*.?AccessDenied\\*.?", text, re.DOTALL)``:
  the two clauses in this order, whatever joins them (``&&`` passes).
- **Steampipe / Powerpipe aws_compliance** (``log_metric_filter_unauthorized_api``):
  four PostgreSQL case-sensitive regexes that must all match: ``errorCode\\s*=\\s*"\\*UnauthorizedOperation"``,
  ``errorCode\\s*=\\s*"AccessDenied\\*"``, ``sourceIPAddress\\s*!=\\s*"delivery.logs.amazonaws.com"``,
  ``eventName\\s*!=\\s*"HeadBucket"`` (the CIS 1.4+/2.0 exclusions, values quoted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

CIS_1_2 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
CIS_1_4 = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)
CIS_2_0 = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)

_PROWLER_RE = re.compile(
    r"\$\.errorCode\s*=\s*.?\*UnauthorizedOperation.+\$\.errorCode\s*=\s*.?AccessDenied\*.?", re.DOTALL
)
#: Steampipe's four regexes (trailwatch_policy.controls gives them to 4.1's row)
STEAMPIPE_CLAUSES = (
    r'errorCode\s*=\s*"\*UnauthorizedOperation"',
    r'errorCode\s*=\s*"AccessDenied\*"',
    r'sourceIPAddress\s*!=\s*"delivery.logs.amazonaws.com"',
    r'eventName\s*!=\s*"HeadBucket"',
)
_STEAMPIPE_RES = tuple(re.compile(r) for r in STEAMPIPE_CLAUSES)


def _without_blanks_outside_quotes(text: str) -> str:
    out: list[str] = []
    in_quote = False
    escaped = False
    for c in text:
        if in_quote:
            out.append(c)
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_quote = False
        elif c == '"':
            in_quote = True
            out.append(c)
        elif not c.isspace():
            out.append(c)
    return "".join(out)


_CIS_1_2_NORMALISED = _without_blanks_outside_quotes(CIS_1_2)


def securityhub_accepts(text: str) -> bool:
    """Security Hub CloudWatch.2: the CIS 1.2 text, blanks outside quotes ignored."""
    return _without_blanks_outside_quotes(text) == _CIS_1_2_NORMALISED


def prowler_accepts(text: str) -> bool:
    """Prowler: the ordered regex over the text."""
    return _PROWLER_RE.search(text) is not None


def steampipe_accepts(text: str) -> bool:
    """Steampipe aws_compliance: all four regexes (the CIS 2.0 exclusions included)."""
    return all(r.search(text) for r in _STEAMPIPE_RES)


SCANNERS: Mapping[str, Callable[[str], bool]] = {
    "securityhub": securityhub_accepts,
    "prowler": prowler_accepts,
    "steampipe": steampipe_accepts,
}

#: what each scanner needs, in words (used in the judgement's reasons)
REQUIREMENTS: Mapping[str, str] = {
    "securityhub": (
        "AWS Security Hub CloudWatch.2 accepts only the CIS 1.2 text "
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")} (blanks aside)'
    ),
    "prowler": (
        "Prowler needs the text to contain $.errorCode = *UnauthorizedOperation followed later by "
        "$.errorCode = AccessDenied* (in that order)"
    ),
    "steampipe": (
        'Steampipe aws_compliance needs the quoted clauses errorCode = "*UnauthorizedOperation", '
        'errorCode = "AccessDenied*", sourceIPAddress != "delivery.logs.amazonaws.com" and '
        'eventName != "HeadBucket" (the CIS 2.0 text)'
    ),
}


def scanner_verdicts(text: str) -> dict[str, bool]:
    """Would each scanner accept this pattern text?

    Size first: a pattern longer than CloudWatch Logs accepts never exists in AWS, so no
    scanner sees it -- and the regexes above are not run on it (Prowler's `.+` makes a
    1 MB text take most of a minute)."""
    from trailwatch_policy.filter_pattern import MAX_LENGTH

    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return {name: False for name in SCANNERS}
    return {name: accepts(text) for name, accepts in SCANNERS.items()}
