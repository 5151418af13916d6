"""One voice for every command: the error line, colour only for people, versioned JSON with
structured diagnostics, `check --timeout` with the program's output streamed, stack files
read strictly (typos named with a suggestion), and event files that hold events."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from trailwatch.cli import pattern as pattern_cli
from trailwatch.cli.output import Painter, colour_enabled, error_line
from trailwatch.engine.errors import EngineError
from trailwatch.engine.project import load_project
from trailwatch.engine.report import findings_of
from trailwatch.version import SCHEMA_VERSION, version

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "engine" / "programs" / "basic"
PACK = ROOT / "tests" / "fixtures" / "engine" / "packs" / "basic"
CIS_12 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
ESC = "\033["


def trailwatch(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout
    )


# --- the dispatcher -----------------------------------------------------------------------------


def test_version_and_usage_name_the_trailwatch_command() -> None:
    assert trailwatch("--version").stdout == f"trailwatch {version()}\n"
    usage = trailwatch("--help")
    assert usage.returncode == 0 and usage.stdout.startswith("usage: trailwatch ")
    assert "python -m trailwatch" in usage.stdout  # the equivalent is said once
    bare = trailwatch()
    assert bare.returncode == 2 and bare.stdout == "" and bare.stderr.startswith("usage: trailwatch ")


def test_every_command_uses_one_error_prefix(tmp_path: Path) -> None:
    unknown = trailwatch("chek")
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "trailwatch: error: unknown command 'chek'; choose one of: check, pattern, audit (see trailwatch --help)\n"
    )
    check = trailwatch("check", "/nonexistent/program")
    assert check.returncode == 2 and check.stderr.startswith("trailwatch check: error: ")
    assert check.stderr.count("\n") == 1
    empty = tmp_path / "empty.json"
    empty.write_text("")
    pattern = trailwatch("pattern", CIS_12, str(empty))
    assert pattern.returncode == 2 and pattern.stderr.startswith("trailwatch pattern: error: ")
    assert error_line("audit", "x") == "trailwatch audit: error: x\n"


# --- colour -------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colour_enabled(Terminal()) and not colour_enabled(io.StringIO())
    assert not colour_enabled(Terminal(), no_color=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled(Terminal())
    assert Painter(True)("red", "x") == "\033[31mx\033[0m" and Painter(False)("red", "x") == "x"


@pytest.mark.parametrize(
    "args, env, coloured",
    [
        ([], {}, True),
        (["--no-color"], {}, False),
        ([], {"NO_COLOR": "1"}, False),
    ],
)
def test_pattern_text_is_coloured_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], coloured: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    assert pattern_cli.main([CIS_12, *args]) == 0
    assert (ESC in out.getvalue()) is coloured
    assert "verdict:" in out.getvalue()


def test_piped_output_has_no_colour() -> None:
    proc = trailwatch("pattern", CIS_12)
    assert proc.returncode == 0 and ESC not in proc.stdout


# --- machine output -----------------------------------------------------------------------------


def test_pattern_json_carries_the_schema_and_tool_version() -> None:
    doc = json.loads(trailwatch("pattern", CIS_12, "--format", "json").stdout)
    assert doc["schemaVersion"] == SCHEMA_VERSION and doc["tool"] == {"name": "trailwatch", "version": version()}


def test_findings_are_parsed_from_the_packs_message() -> None:
    message = (
        "alarm 'trailwatch-alarm' (monitoring of CloudTrail log group 'g'):\n"
        "- [alarm-threshold] one call gives Sum = 1, and 1 >= 2 is false\n"
        "  fix: threshold=1\n"
        "- [alarm-actions-disabled] actions are disabled\n"
        "  fix: actions_enabled=True"
    )
    findings, fix = findings_of(message)
    assert findings == [
        {"code": "alarm-threshold", "message": "one call gives Sum = 1, and 1 >= 2 is false", "fix": "threshold=1"},
        {"code": "alarm-actions-disabled", "message": "actions are disabled", "fix": "actions_enabled=True"},
    ]
    assert fix == "threshold=1"
    assert findings_of("a message from another pack") == ([], None)
    assert findings_of("pattern is not valid.\n  fix: correct the pattern") == ([], "correct the pattern")


@pytest.fixture(scope="module")
def broken_dev() -> dict[str, Any]:
    proc = trailwatch("check", ".", "--stack", "dev", "--config", "trailwatch:alarmThreshold=2", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_check_json_has_schema_version_and_structured_diagnostics(broken_dev: dict[str, Any]) -> None:
    assert broken_dev["schemaVersion"] == SCHEMA_VERSION
    assert broken_dev["tool"] == {"name": "trailwatch", "version": version()}
    (diag,) = [d for d in broken_dev["diagnostics"] if d["enforcementLevel"] == "mandatory"]
    assert diag["code"] == "alarm-threshold"
    assert diag["resource"]["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"
    assert diag["resource"]["urn"] == diag["urn"] and diag["resource"]["name"]
    assert "threshold=1" in diag["fix"]
    assert [f["code"] for f in diag["findings"]] == ["alarm-threshold"]
    assert "\n- [alarm-threshold] " in diag["message"]  # the human text is still there, unchanged


# --- check --timeout, and the program's output as it runs --------------------------------------


def slow_program(folder: Path) -> Path:
    (folder / "Pulumi.yaml").write_text("name: slow\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text("config: {}\n")
    (folder / "__main__.py").write_text("import time\nprint('hello from the program')\ntime.sleep(120)\n")
    return folder


@pytest.mark.slow
def test_check_streams_the_programs_output_and_stops_it_at_the_timeout(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trailwatch",
            "check",
            str(slow_program(tmp_path)),
            "--policy-pack",
            str(PACK),
            "--timeout",
            "20",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    running_when_printed = proc.poll() is None
    started = time.monotonic()
    rest = proc.stderr.read()
    proc.wait(timeout=120)
    assert first == "hello from the program\n"
    assert running_when_printed and time.monotonic() - started > 1  # printed while it ran, not at the end
    assert proc.returncode == 2
    assert rest.strip().splitlines()[-1].startswith("trailwatch check: error: the program in ")
    assert "did not finish within 20s; raise the limit with --timeout SECONDS" in rest
    assert "hello from the program" not in rest  # shown once


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
def test_check_timeout_must_be_a_positive_number(value: str) -> None:
    proc = trailwatch("check", str(BASIC), "--policy-pack", str(PACK), "--timeout", value)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("trailwatch check: error: ") and "--timeout" in proc.stderr


# --- stack files read strictly -------------------------------------------------------------------


def program(folder: Path, stack_text: str) -> Path:
    (folder / "Pulumi.yaml").write_text("name: myapp\nruntime: python\n")
    (folder / "__main__.py").write_text("")
    (folder / "Pulumi.dev.yaml").write_text(stack_text)
    return folder


def load_error(folder: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(EngineError) as caught:
        load_project(folder, "dev", overrides)
    return str(caught.value)


def test_invalid_yaml_names_the_line_and_column(tmp_path: Path) -> None:
    message = load_error(program(tmp_path, "config:\n  aws:region: us-east-1\n  myapp:emails: [a@b.c\n"))
    assert message.startswith(f"{tmp_path / 'Pulumi.dev.yaml'}: line 4, column 1: not valid YAML (")
    assert "fix the file there" in message


def test_a_top_level_key_that_is_not_config_is_an_error(tmp_path: Path) -> None:
    message = load_error(program(tmp_path, "confg:\n  aws:region: us-east-1\n"))
    assert "unknown top-level key 'confg' (did you mean 'config'?)" in message
    assert "config keys go under `config:`" in message
    fine = program(tmp_path, "encryptionsalt: abc\nconfig:\n  aws:region: us-east-1\n")
    assert load_project(fine, "dev").config["aws:region"] == "us-east-1"


def test_a_misspelt_namespace_is_an_error(tmp_path: Path) -> None:
    message = load_error(program(tmp_path, "config:\n  myap:emails: [a@b.c]\n"))
    assert "config key 'myap:emails': unknown namespace 'myap' (did you mean 'myapp'?)" in message
    folder = program(tmp_path, "config:\n  trailwach:emails: [a@b.c]\n")
    assert "(did you mean 'trailwatch'?)" in load_error(folder)
    assert "(did you mean 'aws'?)" not in load_error(folder)
    assert "(did you mean 'aws-native'?)" in load_error(program(tmp_path, "config: {}\n"), ["aws-nativ:region=x"])
    ok = program(tmp_path, "config:\n  aws:region: us-east-1\n  awsx:x: 1\n  mycorp:team: a\n  name: b\n")
    assert load_project(ok, "dev").config["myapp:name"] == "b"


# --- pattern: an events file must hold events -----------------------------------------------------


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "no events in it"),
        ("\n\n", "no events in it"),
        ("[]", "no events in it"),
        ('{"Records": []}', "no events in it"),
        ('{"Records": 5}', '"Records" is int, not a list of events'),
        ('{"Records": {"eventName": "x"}}', '"Records" is dict, not a list of events'),
    ],
)
def test_an_events_file_without_events_is_bad_input(tmp_path: Path, text: str, problem: str) -> None:
    events = tmp_path / "events.json"
    events.write_text(text)
    proc = trailwatch("pattern", CIS_12, str(events))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"trailwatch pattern: error: {events}: {problem}" + proc.stderr.split(problem, 1)[1]
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_no_color_env_is_inherited_by_subprocesses_only_when_set() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = trailwatch("pattern", CIS_12, "--no-color", env=env)
    assert proc.returncode == 0 and ESC not in proc.stdout


# --- the program: did you mean, and a misspelt namespace -----------------------------------------


def test_a_misspelt_program_key_gets_a_suggestion() -> None:
    import pulumi

    from program_helpers import run_program

    with pytest.raises(pulumi.RunError) as caught:
        run_program({"trailwatch:logGroupName": "g", "trailwatch:emials": "a@example.com"})
    assert str(caught.value).startswith(
        "invalid configuration trailwatch:emials: unknown key (did you mean trailwatch:emails?); accepted: one of "
    )


def test_a_misspelt_program_namespace_is_an_error() -> None:
    import pulumi

    from program_helpers import ProgramRun, run_program

    run = ProgramRun(resources=[])
    with pytest.raises(pulumi.RunError) as caught:
        run_program({"trailwatch:logGroupName": "g", "trailwach:emails": "a@example.com"}, run=run)
    assert str(caught.value) == (
        "invalid configuration trailwach:emails: unknown namespace 'trailwach' (did you "
        "mean trailwatch:emails?); accepted: trailwatch:<key>, the only namespace this "
        "program reads"
    )
    assert run.resources == []
    from trailwatch.config import misspelt_namespace

    assert misspelt_namespace(["aws:region", "trailwatch:emails", "awsx:x", "mycorp:team"]) is None


def test_an_infix_wildcard_on_a_string_is_judged_not_blamed_on_numbers() -> None:
    """Issue 13: an infix wildcard on errorCode is a string comparison; the verdict says what the
    pattern misses, not that a wildcard is 'compared with a number' (filter_pattern's public API)."""
    proc = trailwatch(
        "pattern", '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "Access*Denied") }', "--format", "json"
    )
    verdict = json.loads(proc.stdout)["verdict"]
    assert proc.returncode == 1 and verdict["status"] == "not_ok"
    assert any("misses AccessDeniedException" in r for r in verdict["reasons"])
    assert not any("number" in r for r in verdict["reasons"])


def test_audit_verdict_words_are_coloured_only_when_enabled() -> None:
    from trailwatch.audit.cli import parser
    from trailwatch.cli.output import paint_verdicts

    text = "account 1 [us-east-1]: FAIL - no trail\n  - UNKNOWN [trail] x\nresult: PASS (FAILED-LOGIN stays)\n"
    painted = paint_verdicts(text, Painter(True))
    assert "\033[31mFAIL\033[0m - no trail" in painted and "\033[33mUNKNOWN\033[0m" in painted
    assert "result: \033[32mPASS\033[0m" in painted and "FAILED-LOGIN" in painted
    assert paint_verdicts(text, Painter(False)) == text
    assert parser().parse_args(["--no-color"]).no_color


def test_an_invalid_pack_config_names_the_line_and_column(tmp_path: Path) -> None:
    from trailwatch.engine.policyconfig import load_config_file

    bad = tmp_path / "pack.json"
    bad.write_text('{\n  "all": "mandatory",\n}\n')
    with pytest.raises(EngineError) as caught:
        load_config_file(bad)
    assert "line 3, column 1: not valid JSON (Expecting property name enclosed in double quotes)" in str(caught.value)


def test_a_program_that_kills_its_runner_is_one_error_after_its_output(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: dies\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import os\nprint('last words', flush=True)\nos._exit(3)\n")
    proc = trailwatch("check", str(tmp_path), "--policy-pack", str(PACK))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "last words\ntrailwatch check: error: the program runner died (exit 3) before "
        "reporting; its last output is above\n"
    )
