"""What `pulumi preview --policy-pack` prints, as text or as one stable JSON object."""
from __future__ import annotations

import json
from typing import Any

from .analyzer import Analysis
from .program import Registration

SCHEMA_KEYS = ("policyPackName", "policyName", "enforcementLevel", "urn", "message")


def exit_code(analysis: Analysis) -> int:
    return 1 if any(d.enforcement_level == "mandatory" for d in analysis.diagnostics) else 0


def as_json(resources: list[Registration], analysis: Analysis) -> dict[str, Any]:
    return {
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, **({"read": True} if r.external else {})}
                      for r in resources],
        "diagnostics": [
            {"policyPackName": d.policy_pack_name, "policyName": d.policy_name,
             "enforcementLevel": d.enforcement_level, "urn": d.urn, "message": d.message}
            for d in analysis.diagnostics
        ],
    }


def render_json(resources: list[Registration], analysis: Analysis) -> str:
    return json.dumps(as_json(resources, analysis), indent=2) + "\n"


def tree_rows(resources: list[Registration]) -> list[tuple[str, Registration]]:
    """(prefix, resource) in the CLI's layout: parents before children, siblings in registration
    order, `├─ ` / `└─ ` before each child and `│  ` under a parent that has more children."""
    known = {r.urn for r in resources}
    children: dict[str, list[Registration]] = {}
    for r in resources:
        children.setdefault(r.parent if r.parent in known else "", []).append(r)
    rows: list[tuple[str, Registration]] = []

    def visit(urn: str, indent: str) -> None:
        kids = children.get(urn, [])
        for i, child in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((indent + ("└─ " if last else "├─ "), child))
            visit(child.urn, indent + ("   " if last else "│  "))

    for root in children.get("", []):
        rows.append(("", root))
        visit(root.urn, "")
    return rows


def _resource_label(urn: str, by_urn: dict[str, Registration]) -> str:
    reg = by_urn.get(urn)
    return f"  ({reg.type}: {reg.name})" if reg else (f"  ({urn})" if urn else "")


def render_text(stack: str, resources: list[Registration], analysis: Analysis) -> str:
    by_urn = {r.urn: r for r in resources}
    # The CLI hides default providers from the tree.
    rows = tree_rows([r for r in resources if not r.default_provider])
    lines = [f"Previewing update ({stack}) offline:", ""]
    width = max((len(prefix) + len(r.type) for prefix, r in rows), default=0)
    lines.append(f"     {'Type':<{width}}  Name")
    lines.extend(f" +   {prefix + r.type:<{width}}  {r.name}" for prefix, r in rows)
    lines.append("")
    if analysis.diagnostics or analysis.pack_name:
        lines.append("Policies:")
        mandatory = any(d.enforcement_level == "mandatory" for d in analysis.diagnostics)
        mark = "❌" if mandatory else ("⚠️ " if analysis.diagnostics else "✅")
        lines.append(f"    {mark} {analysis.pack_name}@v{analysis.pack_version}")
        for level in ("mandatory", "advisory"):
            for d in (x for x in analysis.diagnostics if x.enforcement_level == level):
                lines.append(f"        - [{level}]  {d.policy_name}{_resource_label(d.urn, by_urn)}")
                lines.extend(f"          {line}" for line in d.message.splitlines())
        lines.append("")
    lines.append("Resources:")
    lines.append(f"    + {len(rows)} to create")
    if exit_code(analysis):
        lines.append("")
        lines.append("error: preview failed: a mandatory policy was violated")
    return "\n".join(lines) + "\n"
