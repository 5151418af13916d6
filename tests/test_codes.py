"""One registry of finding codes (trailwatch_policy.base.codes): every code a rule or the audit
emits is in it, a misspelt code fails where it is built, docs/codes.md is the registry's
table, and the pack's modules import each other without a circle."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from trailwatch_policy.base.codes import CODES, REGISTRY, Code, entry
from trailwatch_policy.base.findings import Problem

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
            assert isinstance(code.value, str) and isinstance(status.value, str), f"{path.name}:{call.lineno}"
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
    with pytest.raises(ValueError, match="unknown finding code 'alarm-treshold'.*trailwatch_policy.base.codes"):
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


# The pack's folders, lowest first: a module imports only from its own layer or lower ones.
LAYERS = ("base", "filter_pattern", "controls", "rules", "chain", "edge")


def _name(path: Path) -> str:
    """`rules/alarm.py` -> "rules.alarm", `controls/__init__.py` -> "controls"."""
    parts = path.relative_to(PACK).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import of `path` (at module level or inside a function), absolute."""
    out: list[tuple[str, list[str]]] = []
    package = _name(path).split(".") if path.name == "__init__.py" else _name(path).split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = ["trailwatch_policy", *package][: len(package) + 2 - node.level]
                module = ".".join(base + ([module] if module else []))
            out.append((module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the pack modules it imports (at module level or inside a function); a module
    is named by its path under trailwatch_policy ("rules.alarm"), a package by its folder."""
    paths = {_name(p): p for p in PACK.rglob("*.py") if p != PACK / "__init__.py"}  # that one imports nothing
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        deps: set[str] = set()
        for module, names in _imports(path):
            if module != "trailwatch_policy" and not module.startswith("trailwatch_policy."):
                continue
            inner = module.removeprefix("trailwatch_policy").removeprefix(".")
            deps.update(f"{inner}.{n}".lstrip(".") for n in names if f"{inner}.{n}".lstrip(".") in paths)
            if inner in paths and not all(f"{inner}.{n}".lstrip(".") in paths for n in names):
                deps.add(inner)
            elif inner not in paths and "." in inner and inner.rsplit(".", 1)[0] in paths:
                deps.add(inner.rsplit(".", 1)[0])
        graph[name] = deps - {name}
    return graph


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a higher layer (or of a module in no layer), as "module -> dependency"."""

    def rank(module: str) -> int:
        return LAYERS.index(module.split(".")[0]) if module.split(".")[0] in LAYERS else len(LAYERS)

    return sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        for dep in deps | {module}
        if rank(dep) == len(LAYERS) or (dep != module and rank(dep) > rank(module))
    )


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
    assert {"base.codes", "base.findings", "rules.fixes", "chain"} <= set(graph)
    assert cycle(graph) == [], " -> ".join(cycle(graph))
    assert graph["base.codes"] == set()  # the bottom: standard library only
    assert graph["base.findings"] == {"base.codes"}  # a finding's CLI fix is fixes.cli_fix_of(finding)


def test_the_layer_check_finds_an_upward_import() -> None:
    graph = {"base.model": {"rules.alarm"}, "rules.alarm": {"base.model", "controls"}, "controls": set()}
    assert layer_violations(graph) == ["base.model -> rules.alarm"]
    assert layer_violations({"stray": set()}) == ["stray -> stray"]


def test_lower_layers_never_import_higher_ones() -> None:
    """base < filter_pattern < controls < rules < chain < edge, every module in one of them."""
    graph = import_graph()
    assert {"base.model", "filter_pattern.parser", "controls", "controls.judge", "rules.alarm", "edge.policies"} <= set(
        graph
    )
    assert graph["controls.judge"] >= {"controls", "controls.probes", "filter_pattern"}  # the graph sees imports
    assert layer_violations(graph) == []


def test_only_the_edge_meets_pulumi_policy() -> None:
    """The layers below the edge import only the standard library and the pack."""
    outside = {
        f"{_name(path)}: {module}"
        for path in PACK.rglob("*.py")
        if _name(path).split(".")[0] != "edge"
        for module, _ in _imports(path)
        if module.split(".")[0] in ("pulumi", "pulumi_policy", "google", "grpc")
    }
    assert outside == set()
    assert any(m.startswith("pulumi_policy") for m, _ in _imports(PACK / "edge" / "resources.py"))


def test_every_dataclass_says_what_it_is() -> None:
    """Every dataclass of the pack and of trailwatch has its own docstring. Without one,
    `dataclasses` writes one from `inspect.signature` when the class is made: ~0.5 ms a class
    at import, paid by every audit and every preview (docs/performance.md)."""
    undocumented = sorted(
        f"{path.relative_to(ROOT)}: {node.name}"
        for folder in (PACK, ROOT / "trailwatch")
        for path in folder.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any("dataclass" in ast.unparse(d) for d in node.decorator_list)
        and ast.get_docstring(node) is None
    )
    assert undocumented == []
