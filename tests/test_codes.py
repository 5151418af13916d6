"""One registry of finding codes (trailwatch_policy.codes): every code a rule or the audit
emits is in it, a misspelt code fails where it is built, docs/codes.md is the registry's
table, and the pack's modules import each other without a circle."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from trailwatch_policy.codes import CODES, REGISTRY, Code, entry
from trailwatch_policy.findings import Problem

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "policy" / "trailwatch_policy"


def _calls(path: Path, names: set[str]) -> list[ast.Call]:
    tree = ast.parse(path.read_text())
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) in names
    ]


def emitted() -> dict[str, set[str]]:
    """code -> statuses, from every Problem/Finding the pack builds and every `_own` of the audit."""
    out: dict[str, set[str]] = {}
    sources = [(p, {"Problem"}, 0) for p in PACK.rglob("*.py")]
    sources += [(PACK / "chain" / "contain.py", {"Finding"}, 2), (ROOT / "trailwatch/audit/verdict.py", {"_own"}, 0)]
    for path, names, at in sources:
        for call in _calls(path, names):
            if len(call.args) < at + 2:
                continue  # Finding.of(problem, ...) or a call by keyword: not a literal code
            status, code = call.args[at], call.args[at + 1]
            assert isinstance(code, ast.Constant) and isinstance(status, ast.Constant), (
                f"{path.name}:{call.lineno}: a computed code or status"
            )
            out.setdefault(code.value, set()).add(status.value)
    return out


def test_the_literal_type_and_the_registry_hold_the_same_codes() -> None:
    assert CODES == set(REGISTRY) == set(get_args(Code))
    assert len(get_args(Code)) == len(REGISTRY)  # each code once


def test_every_emitted_code_is_registered_with_its_statuses() -> None:
    found = emitted()
    assert {"alarm-threshold", "topic-key-unread", "evaluation-failed", "no-trail"} <= set(found)
    assert set(found) == set(REGISTRY), "registry and rules disagree"
    for code, statuses in found.items():
        assert statuses == set(REGISTRY[code].statuses), code  # type: ignore[index]


def test_a_misspelt_code_fails_when_the_problem_is_built() -> None:
    with pytest.raises(ValueError, match="unknown finding code 'alarm-treshold'.*trailwatch_policy.codes"):
        Problem("fail", "alarm-treshold", "m", "f")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown finding code"):
        entry("")
    assert Problem("fail", "alarm-threshold", "m", "f").code == "alarm-threshold"


def test_preview_only_codes_have_no_cli_fix_and_the_others_do() -> None:
    for code, e in REGISTRY.items():
        if e.preview_only or code == "evaluation-failed":
            assert not e.cli and not e.pulumi, code
        else:
            assert e.cli.startswith(("aws ", "confirm ")), code
        assert e.summary and not e.summary.endswith("."), code


def _anchors(doc: Path) -> set[str]:
    out = set()
    for line in doc.read_text().splitlines():
        if line.startswith("#") and not line.startswith("#!"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return out


def test_every_docs_anchor_names_a_heading() -> None:
    for code, e in REGISTRY.items():
        page, _, anchor = e.anchor.partition("#")
        doc = ROOT / "docs" / page
        assert doc.is_file(), (code, e.anchor)
        if anchor:
            assert anchor in _anchors(doc), (code, e.anchor, sorted(_anchors(doc)))


def test_the_docs_table_is_the_registry() -> None:
    rows = [line for line in (ROOT / "docs" / "codes.md").read_text().splitlines() if line.startswith("| `")]
    table = []
    for row in rows:
        code, link, statuses, preview, summary, where = (c.strip() for c in row.strip("|").split("|"))
        table.append((code.strip("`"), link, tuple(statuses.split(", ")), preview == "yes", summary, where))
    assert table == [
        (c, e.link, e.statuses, e.preview_only, e.summary, f"[{e.anchor}]({e.anchor})") for c, e in REGISTRY.items()
    ]


def _node(path: Path) -> str:
    """A top-level module of the pack, or a package (its modules are one node)."""
    first = path.relative_to(PACK).parts[0]
    return first.removesuffix(".py")


def import_graph() -> dict[str, set[str]]:
    """module or package -> the pack modules it imports (at module level or inside a function)."""
    graph: dict[str, set[str]] = {}
    names = {_node(p) for p in PACK.rglob("*.py")}
    for path in PACK.rglob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 1:
                    deps.update([module.split(".")[0]] if module else [a.name for a in node.names])
                elif module == "trailwatch_policy":
                    deps.update(a.name for a in node.names)
                elif module.startswith("trailwatch_policy."):
                    deps.add(module.split(".")[1])
            elif isinstance(node, ast.Import):
                deps.update(a.name.split(".")[1] for a in node.names if a.name.startswith("trailwatch_policy."))
        node = _node(path)
        graph[node] = graph.get(node, set()) | ((deps & names) - {node})
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of `graph`, or []."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [node, dep] if dep in path else [node, dep]
            if not state.get(dep) and (found := visit(dep, path + [node])):
                return found
        state[node] = 2
        return []

    for start in sorted(graph):
        if not state.get(start) and (found := visit(start, [])):
            return found
    return []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


def test_the_pack_imports_without_a_circle() -> None:
    graph = import_graph()
    assert {"codes", "findings", "fixes", "chain"} <= set(graph)
    assert cycle(graph) == [], " -> ".join(cycle(graph))
    assert graph["codes"] == set()  # the bottom: standard library only
    assert graph["findings"] == {"codes"}  # Finding.cli_fix is gone: fixes.cli_fix_of(finding)
