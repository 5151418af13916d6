"""`make bench` prints the table docs/performance.md shows and keeps `git status` clean unless
asked (`make bench SAVE=1`). The benchmarks themselves are not run here (they are slow and
their numbers are reported, not asserted): a stand-in benchmark module is."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import bench.__main__ as bench_main
from bench.common import Result

ROOT = Path(__file__).resolve().parents[1]
RESULTS = [
    Result(name="filter: stand-in", measured=1.0214, baseline=0.982, target="ratio <= 1.5", ok=True),
    Result(name="  of which program", measured=0.93),
    Result(name="growth", measured=4.6912, unit="x", target="<= 5.5", ok=False),
]


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    module = types.ModuleType("bench.stand_in")
    module.run = lambda: list(RESULTS)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.stand_in", module)
    monkeypatch.setattr(bench_main, "BENCHES", {"stand-in": "bench.stand_in"})
    monkeypatch.setattr(bench_main, "SCRATCH", tmp_path / "out" / "results.json")
    monkeypatch.setattr(bench_main, "SAVED", tmp_path / "results.json")
    return tmp_path


def test_bench_prints_the_documented_table_and_writes_outside_git(
    stand_in: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench_main.main([]) == 0
    out = capsys.readouterr().out
    assert (stand_in / "out" / "results.json").is_file() and not (stand_in / "results.json").exists()
    lines = out.splitlines()
    assert re.match(r"Measured \S+ on \d+ cores, Python 3\.\d+\.\d+.*\. Reproduce with `make bench`\.$", lines[0])
    doc = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    header = next(line for line in doc.splitlines() if line.startswith("| benchmark |"))
    assert header in lines
    assert "| filter: stand-in | 1.021 s | 0.982 s | 1.04 | ratio <= 1.5 | yes |" in lines
    assert "| of which program | 0.930 s |  |  |  | — |" in lines
    assert "| growth | 4.69x |  |  | <= 5.5 | **no** |" in lines
    assert "make bench SAVE=1" in out


def test_bench_save_writes_the_committed_results(stand_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main.main(["--save"]) == 0
    assert (stand_in / "results.json").is_file() and not (stand_in / "out").exists()


def test_the_default_output_is_git_ignored_and_make_passes_save() -> None:
    assert bench_main.SCRATCH == ROOT / "bench" / "out" / "results.json"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(bench_main.SCRATCH)], cwd=ROOT)
    assert ignored.returncode == 0
    saved = subprocess.run(["git", "check-ignore", "-q", str(bench_main.SAVED)], cwd=ROOT)
    assert saved.returncode == 1  # the committed file is not ignored
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(PY) -m bench $(if $(SAVE),--save,)" in makefile


def test_the_documented_table_has_the_printed_columns() -> None:
    doc = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows and all(line.count("|") == 7 for line in rows)


def test_check_vs_preview_is_skipped_with_its_reason_without_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No `make cli` (no Go here): the comparison with the real preview says why it did not run."""
    import e2e.harness
    from bench import check_e2e

    monkeypatch.setattr(e2e.harness, "TOOLS", tmp_path / "no-tools")
    [row] = check_e2e.versus_preview()
    assert row.name == "check vs pulumi preview" and row.ok is None
    assert row.target.startswith("skipped: no Pulumi CLI in .tools/") and "make cli" in row.target
