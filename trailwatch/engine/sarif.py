"""`trailwatch check --format sarif`: each policy violation a SARIF 2.1.0 result, for GitHub
code scanning (the same log shape as the audit's: trailwatch.audit.sarif).

- ruleId: the policy name (a stable interface); one rule per policy that reported.
- level: from the enforcement level: mandatory -> error, advisory -> warning (SARIF levels:
  https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html#_Toc34317648).
- properties.codes: the finding codes of the diagnostic; properties.summaries: each
  registered code's one-line meaning (trailwatch_policy.base.codes, docs/codes.md).
- location: the program file and line that created the resource (the Pulumi SDK's
  `sourcePosition`, recorded by the engine), relative to the working directory (the
  repository, `%SRCROOT%`), where the engine knows it; always the resource URN as a logical
  location too, and the URN alone when the file is unknown or outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from trailwatch.audit.sarif import logical, sarif_log
from trailwatch.version import version
from trailwatch_policy.base.codes import REGISTRY

from .analyzer import Analysis, Diagnostic
from .program import Registration
from .report import findings_of

LEVELS = {"mandatory": "error", "advisory": "warning"}


def _rule(d: Diagnostic) -> dict[str, Any]:
    return {
        "id": d.policy_name,
        "name": "".join(w.capitalize() for w in d.policy_name.replace("_", "-").split("-")),
        "shortDescription": {"text": d.description or d.policy_name},
        "properties": {"policyPack": f"{d.policy_pack_name}@v{d.policy_pack_version}"},
        "defaultConfiguration": {"level": LEVELS.get(d.enforcement_level, "note")},
    }


def source_of(reg: Registration | None, root: Path) -> tuple[str, int] | None:
    """(path relative to `root`, line) where the program created the resource, or None."""
    source = reg.source if reg else None
    if not source or not source.get("uri"):
        return None
    url = urlparse(str(source["uri"]))
    if url.scheme != "file":
        return None
    try:
        path = Path(unquote(url.path)).resolve().relative_to(root.resolve())
    except ValueError:  # outside the repository (an installed package): not a repository path
        return None
    line = int(source.get("line") or 0)
    return path.as_posix(), line


def document(resources: list[Registration], analysis: Analysis, root: Path | None = None) -> dict[str, Any]:
    root = root or Path.cwd()
    by_urn = {r.urn: r for r in resources}
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for d in analysis.diagnostics:
        rule = rules.setdefault(d.policy_name, _rule(d))
        reg = by_urn.get(d.urn)
        findings, _ = findings_of(d.message)
        location: dict[str, Any] = {"logicalLocations": [logical(d.urn or d.policy_name, "resource")]}
        where = source_of(reg, root)
        if where:
            physical: dict[str, Any] = {"artifactLocation": {"uri": where[0], "uriBaseId": "%SRCROOT%"}}
            if where[1] > 0:
                physical["region"] = {"startLine": where[1]}
            location["physicalLocation"] = physical
        results.append(
            {
                "ruleId": rule["id"],
                "ruleIndex": list(rules).index(rule["id"]),
                "level": LEVELS.get(d.enforcement_level, "note"),
                "kind": "fail",
                "message": {"text": d.message},
                "locations": [location],
                "partialFingerprints": {
                    "trailwatch/v1": f"{d.policy_name}|{d.urn}|" + ",".join(f["code"] for f in findings)
                },
                "properties": {
                    "enforcementLevel": d.enforcement_level,
                    "urn": d.urn,
                    "codes": [f["code"] for f in findings],
                    "summaries": {f["code"]: REGISTRY[f["code"]].summary for f in findings if f["code"] in REGISTRY},
                },
            }
        )
    return sarif_log(version(), list(rules.values()), results, "trailwatch-check/")


def render_sarif(resources: list[Registration], analysis: Analysis, root: Path | None = None) -> str:
    return json.dumps(document(resources, analysis, root), indent=2) + "\n"
