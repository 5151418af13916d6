"""The names of the pattern profiles, apart from the judge that implements them.

The pack's config schema lists them at start-up; importing the judge (the filter-pattern
engine, the probes) there would cost every preview ~25 ms before it is needed.
"""

from __future__ import annotations

#: "meaning" judges what the pattern matches; a scanner profile additionally requires
#: that scanner to accept the text; "cis-2.0" requires the CIS 2.0 exclusions' meaning.
PROFILES = ("meaning", "securityhub", "prowler", "steampipe", "cis-2.0")
