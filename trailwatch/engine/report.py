"""What `pulumi preview --policy-pack` prints, as text or as one stable JSON object."""

from __future__ import annotations

import json
import re
from typing import Any

from trailwatch.cli.output import Painter
from trailwatch.version import SCHEMA_VERSION, version

from .analyzer import Analysis
from .program import Registration

SCHEMA_KEYS = ("policyPackName", "policyName", "enforcementLevel", "urn", "message")
#: Structured fields beside the human message (docs/offline-engine.md, "JSON output").
STRUCTURED_KEYS = ("resource", "code", "fix", "findings")

_FINDING = re.compile(r"^- \[(?P<code>[A-Za-z0-9_.-]+)\] (?P<message>.*)$")
_FIX = re.compile(r"^\s*fix: (?P<fix>.*)$")


def exit_code(analysis: Analysis) -> int:
    return 1 if any(d.enforcement_level == "mandatory" for d in analysis.diagnostics) else 0


def findings_of(message: str) -> tuple[list[dict[str, Any]], str | None]:
    """The `- [code] what is wrong` items of a trailwatch diagnostic, each with the `fix:`
    line under it, and the first fix of the message (also for a message without codes)."""
    findings: list[dict[str, Any]] = []
    first_fix: str | None = None
    for line in message.splitlines():
        item = _FINDING.match(line)
        if item:
            findings.append({"code": item["code"], "message": item["message"], "fix": None})
            continue
        fix = _FIX.match(line)
        if fix:
            first_fix = first_fix or fix["fix"]
            if findings and findings[-1]["fix"] is None:
                findings[-1]["fix"] = fix["fix"]
        elif findings and line.startswith("  ") and findings[-1]["fix"] is None:
            findings[-1]["message"] += " " + line.strip()  # a wrapped message line
    return findings, first_fix


def as_json(resources: list[Registration], analysis: Analysis) -> dict[str, Any]:
    by_urn = {r.urn: r for r in resources}
    diagnostics = []
    for d in analysis.diagnostics:
        findings, fix = findings_of(d.message)
        reg = by_urn.get(d.urn)
        diagnostics.append(
            {
                "policyPackName": d.policy_pack_name,
                "policyName": d.policy_name,
                "enforcementLevel": d.enforcement_level,
                "urn": d.urn,
                "message": d.message,
                "resource": {"urn": reg.urn, "type": reg.type, "name": reg.name} if reg else None,
                "code": findings[0]["code"] if findings else None,
                "fix": findings[0]["fix"] if findings else fix,
                "findings": findings,
            }
        )
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "trailwatch", "version": version()},
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, **({"read": True} if r.external else {})} for r in resources
        ],
        "diagnostics": diagnostics,
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


def render_text(
    stack: str, resources: list[Registration], analysis: Analysis, paint: Painter | None = None, quiet: bool = False
) -> str:
    """The CLI's preview; `quiet`: the policy verdict and the diagnostics only (no resource tree)."""
    paint = paint or Painter(False)
    by_urn = {r.urn: r for r in resources}
    # The CLI hides default providers from the tree.
    rows = tree_rows([r for r in resources if not r.default_provider])
    lines: list[str] = []
    if not quiet:
        lines += [f"Previewing update ({stack}) offline:", ""]
        width = max((len(prefix) + len(r.type) for prefix, r in rows), default=0)
        lines.append(f"     {'Type':<{width}}  Name")
        lines.extend(f" +   {prefix + r.type:<{width}}  {r.name}" for prefix, r in rows)
        lines.append("")
    if analysis.diagnostics or analysis.pack_name:
        lines.append("Policies:")
        mandatory = any(d.enforcement_level == "mandatory" for d in analysis.diagnostics)
        mark = "❌" if mandatory else ("⚠️ " if analysis.diagnostics else "✅")
        colour = "red" if mandatory else ("yellow" if analysis.diagnostics else "green")
        lines.append(f"    {mark} {paint(colour, analysis.pack_name + '@v' + analysis.pack_version)}")
        for level in ("mandatory", "advisory"):
            for d in (x for x in analysis.diagnostics if x.enforcement_level == level):
                tag = paint("red" if level == "mandatory" else "yellow", f"[{level}]")
                lines.append(f"        - {tag}  {paint('bold', d.policy_name)}{_resource_label(d.urn, by_urn)}")
                lines.extend(f"          {_paint_line(line, paint)}" for line in d.message.splitlines())
        lines.append("")
    if not quiet:
        lines.append("Resources:")
        lines.append(f"    + {len(rows)} to create")
    if exit_code(analysis):
        if not quiet:
            lines.append("")
        lines.append(paint("red", "error: preview failed: a mandatory policy was violated"))
    elif quiet:
        advisory = len(analysis.diagnostics)
        lines.append(
            paint(
                "green",
                f"passed: no mandatory policy violated ({len(rows)} resources"
                + (f", {advisory} advisory finding{'s' * (advisory != 1)})" if advisory else ")"),
            )
        )
    return "\n".join(lines) + "\n"


def _paint_line(line: str, paint: Painter) -> str:
    """Codes stand out; fixes are green."""
    item = _FINDING.match(line)
    if item:
        return f"- {paint('bold', '[' + item['code'] + ']')} {item['message']}"
    fix = _FIX.match(line)
    if fix:
        return line.replace("fix:", paint("green", "fix:"), 1)
    return line
