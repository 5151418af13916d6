"""The program's view of the control table: the pattern texts a stack can choose for the primary
control (by profile name), which scanners accept them, and the controls it deploys.

Nothing here is a copy: every text, name and id is read from the pack's one control table
(`trailwatch_policy.controls`). `pulumi up` runs the repository's `__main__.py` with the
repository root on the path, not the pack folder; `trailwatch/__init__.py` puts `policy/` on the
path once when `trailwatch_policy` is not importable (an installed wheel ships it as a top-level
package, so nothing is added there). See docs/controls.md, "One table".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

from trailwatch_policy.controls import (
    STANDARD,
    Control,
    UnknownControl,
    scanner_requirement,
    scanner_verdicts,
    scanners_of,
    table,
)

__all__ = [
    "ACCEPTED_BY",
    "ALL_CONTROLS",
    "CIS_1_2",
    "CIS_2_0",
    "CONTROLS",
    "Control",
    "ControlId",
    "DEFAULT_PROFILE",
    "NEEDS",
    "PROFILES",
    "SCANNERS",
    "accepting_scanners",
    "find_control",
    "profiles_accepted_by",
]

_PRIMARY = STANDARD.primary

#: CIS AWS Foundations 1.2 §3.1 text; the only text AWS Security Hub CloudWatch.2 accepts.
CIS_1_2: Final = _PRIMARY.texts["cis-1.2"]

#: CIS AWS Foundations 2.0 .. 7.0 text (excludes log-delivery and HeadBucket denials).
CIS_2_0: Final = _PRIMARY.texts["cis-2.0"]

#: Profile name -> pattern text. The first entry is the default.
PROFILES: Final[dict[str, str]] = {"cis-2.0": CIS_2_0, "cis-1.2": CIS_1_2}
DEFAULT_PROFILE: Final = "cis-2.0"

#: The scanners whose acceptance of a pattern text trailwatch knows (the primary control's models).
SCANNERS: Final = scanners_of(_PRIMARY)

#: Profile -> the scanners that accept its text (the pack's scanner models, asked once).
ACCEPTED_BY: Final[dict[str, frozenset[str]]] = {
    name: frozenset(s for s, ok in scanner_verdicts(_PRIMARY, text).items() if ok) for name, text in PROFILES.items()
}


def _needs(scanner: str) -> str:
    accepted = [name for name in PROFILES if scanner in ACCEPTED_BY[name]]
    said = scanner_requirement(_PRIMARY, scanner) or scanner
    return f"{said}: profile {' or '.join(accepted)}" if accepted else said


#: What each scanner needs, in words, for the error when no profile satisfies all of them.
NEEDS: Final[dict[str, str]] = {s: _needs(s) for s in SCANNERS}


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


#: A CIS 1.4 id of the monitoring section (the component's `controls=` items).
ControlId = Literal[
    "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15"
]

#: The standard table's controls (the program deploys the table in use: `table()`).
CONTROLS: Final[tuple[Control, ...]] = STANDARD.rows
ALL_CONTROLS: Final = tuple(c.id for c in CONTROLS)


def find_control(ident: str) -> Control | None:
    """A control by CIS 1.4 id, CIS 1.2 id, Security Hub id or policy name (any case)."""
    try:
        return table().find(ident)
    except UnknownControl:
        return None
