"""What `pulumi preview --policy-pack` prints, as text or as one stable JSON object."""
from __future__ import annotations

import json
from typing import Any

from .analyzer import Analysis, Diagnostic
from .program import Registration

SCHEMA_KEYS = ("policyPackName", "policyName", "enforcementLevel", "urn", "message")


def exit_code(analysis: Analysis) -> int:
    return 1 if any(d.enforcement_level == "mandatory" for d in analysis.diagnostics) else 0


def as_json(resources: list[Registration], analysis: Analysis) -> dict[str, Any]:
    return {
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name} for r in resources],
        "diagnostics": [
            {"policyPackName": d.policy_pack_name, "policyName": d.policy_name,
             "enforcementLevel": d.enforcement_level, "urn": d.urn, "message": d.message}
            for d in analysis.diagnostics
        ],
    }


def render_json(resources: list[Registration], analysis: Analysis) -> str:
    return json.dumps(as_json(resources, analysis), indent=2) + "\n"


def _depth(reg: Registration, by_urn: dict[str, Registration]) -> int:
    depth, parent = 0, reg.parent
    while parent and parent in by_urn:
        depth += 1
        parent = by_urn[parent].parent
    return depth


def tree_order(resources: list[Registration]) -> list[Registration]:
    """Parents before children, siblings in registration order: how the CLI lays out its tree."""
    known = {r.urn for r in resources}
    children: dict[str, list[Registration]] = {}
    for r in resources:
        children.setdefault(r.parent if r.parent in known else "", []).append(r)
    ordered: list[Registration] = []

    def visit(urn: str) -> None:
        for child in children.get(urn, []):
            ordered.append(child)
            visit(child.urn)

    visit("")
    return ordered


def _resource_label(urn: str, by_urn: dict[str, Registration]) -> str:
    reg = by_urn.get(urn)
    return f"  ({reg.type}: {reg.name})" if reg else (f"  ({urn})" if urn else "")


def render_text(stack: str, resources: list[Registration], analysis: Analysis) -> str:
    by_urn = {r.urn: r for r in resources}
    shown = [r for r in tree_order(resources) if not r.default_provider]  # the CLI hides default providers
    lines = [f"Previewing update ({stack}) offline:", ""]
    width = max((len(r.type) + 3 * _depth(r, by_urn) for r in shown), default=0)
    lines.append(f"     {'Type':<{width}}  Name")
    for r in shown:
        depth = _depth(r, by_urn)
        label = ("   " * (depth - 1) + " ├─ " if depth else "") + r.type
        lines.append(f" +   {label:<{width + 1}}  {r.name}")
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
    lines.append(f"    + {len(shown)} to create")
    if exit_code(analysis):
        lines.append("")
        lines.append("error: preview failed: a mandatory policy was violated")
    return "\n".join(lines) + "\n"


def describe(d: Diagnostic) -> str:
    return f"[{d.enforcement_level}] {d.policy_name}: {d.message.splitlines()[0] if d.message else ''}"
