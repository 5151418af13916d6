"""Every input file and folder every command takes, given broken: one line naming the input,
exit 2, never a traceback (issue 23, "The command line's edges").

The walk covers each file a command reads -- `check`: Pulumi.yaml, Pulumi.<stack>.yaml,
PulumiPolicy.yaml, --policy-pack-config, --invoke-result TOKEN=FILE; `pattern`: event files,
--pattern-file; `audit`: --accounts FILE, `audit merge` reports -- in six ways: missing,
a folder in its place, a symbolic link that leads nowhere, not UTF-8, empty, larger than its
limit, and holding the wrong kind of content. The folders (the program's, --policy-pack) are
walked too: missing, a file in their place, a symbolic link loop.

"Unreadable" here is a folder in place of the file and a symbolic link loop in place of a
folder: the suite runs as root, for whom `chmod 000` changes nothing, and both of these fail
for root as for anyone (EISDIR, ELOOP). The permission case itself runs where the suite is not
root (test_a_file_without_read_permission), and in-process with the error injected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from trailwatch.__main__ import main
from trailwatch.cli import inputs
from trailwatch.cli.inputs import CONFIG_LIMIT, DATA_LIMIT, InputError

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "tests" / "fixtures" / "engine" / "packs" / "basic"
CIS = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
TOKEN = "aws:ssm/getParameter:getParameter"


def program(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: walk\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (folder / "__main__.py").write_text("")
    return folder


def pack(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\n")
    return folder


@dataclass(frozen=True)
class Input:
    """One input: where its file goes in `tmp`, the command that reads it, and how it is named."""

    name: str
    limit: int
    wrong: str  # content of the wrong kind for this input
    place: Callable[[Path], Path]  # the path the file must take
    argv: Callable[[Path, Path], list[str]]  # (tmp, file) -> the command line
    empty_ok: bool = False  # empty is valid, as the real tool treats it
    missing_ok: bool = False  # so is no file at all

    def label(self, file: Path) -> str:
        return str(file)


INPUTS = [
    Input(
        "Pulumi.yaml",
        CONFIG_LIMIT,
        "- name\n- runtime\n",
        lambda tmp: program(tmp / "prog") / "Pulumi.yaml",
        lambda tmp, f: ["check", str(tmp / "prog"), "--policy-pack", str(PACK)],
    ),
    # An empty or missing stack file is an empty config, as the Pulumi CLI reads it
    # (sdk/go/common/workspace/loaders.go: LoadProjectStack, LoadProjectStackBytes).
    Input(
        "Pulumi.dev.yaml",
        CONFIG_LIMIT,
        "[aws:region, us-east-1]\n",
        lambda tmp: program(tmp / "prog") / "Pulumi.dev.yaml",
        lambda tmp, f: ["check", str(tmp / "prog"), "--policy-pack", str(PACK)],
        empty_ok=True,
        missing_ok=True,
    ),
    Input(
        "PulumiPolicy.yaml",
        CONFIG_LIMIT,
        "- runtime: python\n",
        lambda tmp: pack(tmp / "pack") / "PulumiPolicy.yaml",
        lambda tmp, f: ["check", str(program(tmp / "prog")), "--policy-pack", str(tmp / "pack")],
    ),
    # Empty pack config content is allowed by the CLI (pkg/resource/analyzer/config.go).
    Input(
        "--policy-pack-config",
        CONFIG_LIMIT,
        '["all", "mandatory"]',
        lambda tmp: tmp / "pack.json",
        lambda tmp, f: [
            "check",
            str(program(tmp / "prog")),
            "--policy-pack",
            str(PACK),
            "--policy-pack-config",
            str(f),
        ],
        empty_ok=True,
    ),
    Input(
        "--invoke-result",
        CONFIG_LIMIT,
        '["value"]',
        lambda tmp: tmp / "param.json",
        lambda tmp, f: [
            "check",
            str(program(tmp / "prog")),
            "--policy-pack",
            str(PACK),
            "--invoke-result",
            f"{TOKEN}={f}",
        ],
    ),
    Input(
        "events", DATA_LIMIT, '{"Records": 5}', lambda tmp: tmp / "events.json", lambda tmp, f: ["pattern", CIS, str(f)]
    ),
    Input(
        "--pattern-file",
        64 * 1024,
        "",  # every text is a candidate pattern: wrong = empty
        lambda tmp: tmp / "pattern.txt",
        lambda tmp, f: ["pattern", "--pattern-file", str(f)],
    ),
    Input(
        "--accounts",
        CONFIG_LIMIT,
        '{"accounts": ["111122223333"]}',
        lambda tmp: tmp / "accounts.txt",
        lambda tmp, f: ["audit", "--accounts", str(f), "--regions", "us-east-1"],
    ),
    Input(
        "audit merge",
        DATA_LIMIT,
        '[{"schema": "trailwatch-audit"}]',
        lambda tmp: tmp / "shard.json",
        lambda tmp, f: ["audit", "merge", str(f)],
    ),
]


def make(kind: str, file: Path, item: Input) -> None:
    if file.exists() or file.is_symlink():
        file.unlink()
    if kind == "missing":
        return
    if kind == "folder":  # fails for root too (EISDIR), unlike chmod 000
        file.mkdir()
    elif kind == "dangling":
        file.symlink_to(file.parent / "gone" / file.name)
    elif kind == "not-utf8":
        file.write_bytes(b"config:\n  aws:region: caf\xe9\n")  # Latin-1, as a Windows editor saves it
    elif kind == "empty":
        file.write_bytes(b"")
    elif kind == "huge":
        with open(file, "wb") as handle:  # sparse: one byte over the limit, nothing written
            handle.truncate(item.limit + 1)
    elif kind == "wrong":
        file.write_text(item.wrong)


KINDS = ["missing", "folder", "dangling", "not-utf8", "empty", "huge", "wrong"]
WORDS = {
    "missing": "no such file",
    "folder": "a folder, not a file",
    "dangling": "which does not exist",
    "not-utf8": "not UTF-8 text (byte 0xe9 on line 2",
    "huge": "than the",
    "empty": "",
    "wrong": "",
}


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("item", INPUTS, ids=[i.name for i in INPUTS])
def test_every_input_file_broken_every_way_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], item: Input, kind: str
) -> None:
    file = item.place(tmp_path)
    make(kind, file, item)
    argv = item.argv(tmp_path, file)
    if (kind == "empty" and item.empty_ok) or (kind == "missing" and item.missing_ok):
        # what the Pulumi CLI does with it: no config at all, the pack's defaults
        if item.name == "Pulumi.dev.yaml":
            from trailwatch.engine.project import load_project

            assert "aws:region" not in load_project(tmp_path / "prog", "dev").config
        else:
            from trailwatch.engine.policyconfig import load_config_file

            assert load_config_file(file) == {}
        return
    code, err = one_error(capsys, argv)
    command = " ".join(argv[:2]) if argv[:2] == ["audit", "merge"] else argv[0]
    assert code == 2, err
    assert err.startswith(f"trailwatch {command}: error: ") and err.count("\n") == 1, err
    assert str(file) in err, err  # the input is named
    assert WORDS[kind] in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "name, argv",
    [
        ("the program folder", lambda d: ["check", str(d), "--policy-pack", str(PACK)]),
        ("--policy-pack", lambda d: ["check", str(program(d.parent / "prog")), "--policy-pack", str(d)]),
    ],
)
@pytest.mark.parametrize(
    "kind, words",
    [
        ("missing", "no such folder"),
        ("file", "a file, not a folder"),
        ("loop", "cannot be read (a symbolic link loop)"),  # fails for root too, unlike chmod 000
        ("dangling", "which does not exist"),
    ],
)
def test_every_input_folder_broken_is_one_line_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    argv: Callable[[Path], list[str]],
    kind: str,
    words: str,
) -> None:
    folder = tmp_path / "given"
    if kind == "file":
        folder.write_text("name: x\n")
    elif kind == "loop":
        folder.symlink_to(folder)
    elif kind == "dangling":
        folder.symlink_to(tmp_path / "gone")
    code, err = one_error(capsys, argv(folder))
    assert code == 2 and err.startswith("trailwatch check: error: ") and err.count("\n") == 1, err
    assert str(folder) in err and words in err, err


def test_a_pulumi_yaml_given_as_the_program_folder_names_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = program(tmp_path / "prog") / "Pulumi.yaml"
    code, err = one_error(capsys, ["check", str(project)])
    assert code == 2
    assert err == (
        f"trailwatch check: error: {project}: a file, not a folder; pass the folder that holds it: {project.parent}\n"
    )


def test_the_cli_itself_prints_no_traceback_for_a_latin1_project_file(tmp_path: Path) -> None:
    """The case from the issue, end to end: exit 2 (bad input), not 1 (a policy violation)."""
    folder = program(tmp_path / "prog")
    (folder / "Pulumi.yaml").write_bytes(b"name: caf\xe9\nruntime: python\n")
    proc = subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        f"trailwatch check: error: {folder / 'Pulumi.yaml'}: not UTF-8 text (byte 0xe9 on "
        "line 1: invalid continuation byte); save it as UTF-8\n"
    )


# --- the helper itself ------------------------------------------------------------------------


def test_a_byte_order_mark_is_dropped_as_the_pulumi_cli_does(tmp_path: Path) -> None:
    file = tmp_path / "Pulumi.dev.yaml"
    file.write_bytes(b"\xef\xbb\xbfconfig:\n  aws:region: eu-west-1\n")
    assert inputs.read_text(file, str(file), "fix") == "config:\n  aws:region: eu-west-1\n"


def test_permission_denied_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EACCES, injected (root reads a mode-000 file); the real thing: the next test."""
    file = tmp_path / "pack.json"
    file.write_text("{}")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs, "open", denied, raising=False)
    with pytest.raises(InputError) as caught:
        inputs.read_text(file, f"--policy-pack-config {file}", "give a readable file")
    assert str(caught.value) == f"--policy-pack-config {file}: cannot be read (Permission denied); give a readable file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file; the folder and loop cases cover root")
def test_a_file_without_read_permission(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = program(tmp_path / "prog")
    (folder / "Pulumi.yaml").chmod(0)
    code, err = one_error(capsys, ["check", str(folder)])
    assert code == 2 and "Pulumi.yaml: cannot be read (Permission denied)" in err


def test_standard_input_is_read_under_the_same_rules() -> None:
    import io

    with pytest.raises(InputError, match=r"^standard input: not UTF-8 text \(byte 0xff on line 1"):
        inputs.read_stdin("standard input", "fix", stream=io.BytesIO(b"\xff"))
    with pytest.raises(InputError, match="more than the 1 KiB such a file may hold"):
        inputs.read_stdin("standard input", "fix", limit=1024, stream=io.BytesIO(b"x" * 1025))


def test_json_nested_too_deeply_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "param.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, err = one_error(
        capsys,
        ["check", str(program(tmp_path / "prog")), "--policy-pack", str(PACK), "--invoke-result", f"{TOKEN}={deep}"],
    )
    assert code == 2 and err.count("\n") == 1 and "JSON nested too deeply" in err and str(deep) in err
    merged = tmp_path / "shard.json"
    merged.write_text(json.dumps({"schema": "trailwatch-audit"})[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, err = one_error(capsys, ["audit", "merge", str(merged)])
    assert code == 2 and err.count("\n") == 1 and "JSON nested too deeply" in err
