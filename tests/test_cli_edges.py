"""The command line's edges (issue 23): messages that name what is wrong, `check` refusing what
the real Pulumi CLI and the AWS provider refuse, `check --quiet`, `pattern --pattern-file`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trailwatch.__main__ import main
from trailwatch.cli.inputs import InputError
from trailwatch.engine.errors import EngineError
from trailwatch.engine.project import check_region, known_regions, load_project

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "fixtures" / "engine" / "programs" / "basic"
PACK = ROOT / "tests" / "fixtures" / "engine" / "packs" / "basic"
CIS = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'


def err_of(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def project(folder: Path, stack: str = "config:\n  aws:region: us-east-1\n", project_file: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(project_file or "name: edge\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text(stack)
    (folder / "__main__.py").write_text("")
    return folder


def load_error(folder: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises((EngineError, InputError)) as caught:  # InputError: the file itself (trailwatch.cli.inputs)
        load_project(folder, "dev", overrides)
    return str(caught.value)


# --- messages that name the problem --------------------------------------------------------------


@pytest.mark.parametrize(
    "regions, named",
    [
        ("us-east-1,mars-1", "'mars-1' is not a region name"),
        ("us-east-1,eu_west_1,x", "'eu_west_1', 'x' are not region names"),
    ],
)
def test_audit_regions_name_the_bad_region(capsys: pytest.CaptureFixture[str], regions: str, named: str) -> None:
    code, err = err_of(capsys, "audit", "--regions", regions)
    assert code == 2 and err == (
        f"trailwatch audit: error: --regions {regions!r}: {named}; give AWS Region "
        "codes separated by commas, e.g. --regions us-east-1,eu-west-1\n"
    )


def test_invoke_result_names_the_token_or_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path / "p")
    code, err = err_of(capsys, "check", str(folder), "--policy-pack", str(PACK), "--invoke-result", "foo=/missing")
    assert code == 2 and err == (
        "trailwatch check: error: --invoke-result 'foo=/missing': 'foo' is not an invoke "
        "token (package:module:function, e.g. aws:ssm/getParameter:getParameter=param.json)\n"
    )
    token = "aws:ec2/getVpc:getVpc"
    code, err = err_of(capsys, "check", str(folder), "--policy-pack", str(PACK), "--invoke-result", f"{token}=/missing")
    assert code == 2 and err == (
        f"trailwatch check: error: --invoke-result {token}=/missing: no such file; "
        "pass a JSON file with the invoke's result\n"
    )
    answer = tmp_path / "a=b.json"  # a file name may hold '='; a token never does
    answer.write_text('{"id": "vpc-1"}')
    from trailwatch.engine.cli import load_invoke_results

    assert load_invoke_results([f"{token}={answer}"]) == {token: {"id": "vpc-1"}}


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "name: edge\n",
            (
                "no `runtime:`; a Pulumi project names its language (`runtime: python` for the programs "
                "the offline engine runs)"
            ),
        ),
        ("name: edge\nruntime:\n", "no `runtime:`"),
        ("name: edge\nruntime: nodejs\n", "`runtime: nodejs`; the offline engine runs Python programs only"),
        ("name: edge\nruntime: {name: go}\n", "`runtime: go`; the offline engine runs Python programs only"),
        ("runtime: python\n", "needs a `name:`"),
        ("name: edge\nruntime: python\nmain: [a]\n", "`main:` must be a path (a string), not list"),
        ("name: edge\nruntime: python\nconfig: [a]\n", "`config:` must be a mapping"),
    ],
)
def test_a_project_file_says_what_is_missing(tmp_path: Path, text: str, message: str) -> None:
    folder = project(tmp_path, project_file=text)
    error = load_error(folder)
    assert error.startswith(f"{folder / 'Pulumi.yaml'}: ") and message in error
    assert "None" not in error


def test_pattern_without_a_pattern_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = err_of(capsys, "pattern")
    assert code == 2
    assert err == (
        "trailwatch pattern: error: no filter pattern: give it as the first argument (trailwatch pattern "
        "'PATTERN' [EVENTS...]) or in a file (--pattern-file FILE, '-' for standard input)\n"
    )
    assert "EVENTS is required" not in err and "required" not in err


# --- check refuses what the real CLI and the AWS provider refuse --------------------------------


@pytest.mark.parametrize(
    "region, message",
    [
        ("mars-1", "aws:region 'mars-1' is not an AWS Region code; give one like us-east-1 or eu-west-1"),
        ("US-EAST-1", "aws:region 'US-EAST-1' is not an AWS Region code (did you mean 'us-east-1'?)"),
        ("us-east-1a", "aws:region 'us-east-1a' is not an AWS Region code"),  # an Availability Zone
        ("us-east-7", "aws:region 'us-east-7' is not a Region pulumi-aws knows (did you mean 'us-east-2'?)"),
        ("", "aws:region '' is not an AWS Region code"),
    ],
)
def test_check_refuses_a_region_aws_does_not_have(tmp_path: Path, region: str, message: str) -> None:
    folder = project(tmp_path, f"config:\n  aws:region: '{region}'\n")
    error = load_error(folder)
    assert error.startswith(f"{folder / 'Pulumi.dev.yaml'}: {message}")
    override = load_error(project(tmp_path), [f"aws:region={region}"])
    assert override.startswith(f"--config aws:region={region}: {message}")


def test_every_region_of_every_partition_is_accepted(tmp_path: Path) -> None:
    regions = known_regions()
    assert {"us-east-1", "eu-west-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1"} <= set(regions)
    for region in regions:
        check_region(region, "test")
    folder = project(tmp_path, "config:\n  aws:region: cn-northwest-1\n")
    assert load_project(folder, "dev").config["aws:region"] == "cn-northwest-1"


def test_known_regions_are_the_enum_pulumi_aws_defines() -> None:
    """known_regions reads the enum's source (so `check` need not import pulumi-aws before it
    starts the program); it must give exactly what importing the enum gives."""
    from pulumi_aws._enums import Region

    assert known_regions() == tuple(r.value for r in Region)


def test_a_new_region_passes_only_with_skip_region_validation(tmp_path: Path) -> None:
    unknown = "ap-newzone-9"
    assert unknown not in known_regions()
    assert "not a Region pulumi-aws knows" in load_error(project(tmp_path, f"config:\n  aws:region: {unknown}\n"))
    folder = project(tmp_path, f"config:\n  aws:region: {unknown}\n  aws:skipRegionValidation: true\n")
    assert load_project(folder, "dev").config["aws:region"] == unknown
    still = project(tmp_path, "config:\n  aws:region: mars\n  aws:skipRegionValidation: true\n")
    assert "is not an AWS Region code" in load_error(still)  # not a Region code at all


@pytest.mark.parametrize(
    "stack, line, first",
    [
        ("config:\n  aws:region: us-east-1\n  aws:region: mars-1\n", 3, 2),
        ("config:\n  edge:emails: [a@example.com]\n  aws:region: us-east-1\n  edge:emails: [b@example.com]\n", 4, 2),
        ("config: {}\nconfig:\n  aws:region: us-east-1\n", 2, 1),
    ],
)
def test_a_key_given_twice_is_refused_like_the_cli(tmp_path: Path, stack: str, line: int, first: int) -> None:
    """yaml.v3 (the Pulumi CLI's YAML) fails with `mapping key "x" already defined at line N`;
    PyYAML would keep the last value and check a config the CLI refuses."""
    error = load_error(project(tmp_path, stack))
    assert error.startswith(f"{tmp_path / 'Pulumi.dev.yaml'}: line {line}, column ")
    assert "not valid YAML (mapping key " in error and f"already defined at line {first}); fix the file there" in error


def test_a_key_given_twice_in_the_project_or_pack_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project(tmp_path / "p", project_file="name: edge\nruntime: python\nname: other\n")
    assert "line 3, column 1: not valid YAML (mapping key 'name' already defined at line 1)" in load_error(folder)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\nruntime: nodejs\n")
    code, err = err_of(capsys, "check", str(project(tmp_path / "q")), "--policy-pack", str(pack))
    assert code == 2 and "mapping key 'runtime' already defined at line 1" in err and err.count("\n") == 1


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    stack = "config:\n  edge:base: &b {team: a}\n  edge:tags:\n    <<: *b\n    team: b\n  aws:region: us-east-1\n"
    config = load_project(project(tmp_path, stack), "dev").config
    assert json.loads(config["edge:tags"]) == {"team": "b"}


def test_the_same_key_spelt_two_ways_is_refused(tmp_path: Path) -> None:
    error = load_error(project(tmp_path, "config:\n  emails: a@example.com\n  edge:emails: b@example.com\n"))
    assert error == (
        f"{tmp_path / 'Pulumi.dev.yaml'}: config keys 'emails' and 'edge:emails' are the same key "
        "(edge:emails); keep one"
    )


def test_a_stack_file_link_to_nowhere_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    """The CLI reads a missing stack file as an empty one (LoadProjectStack: os.IsNotExist), and
    a dangling link looks missing to it; `check` refuses it, since the config it was meant to
    bring would silently be absent. A stack with no file at all is still checked, as the CLI does."""
    folder = project(tmp_path)
    (folder / "Pulumi.dev.yaml").unlink()
    assert load_project(folder, "dev").stack_file is None
    (folder / "Pulumi.dev.yaml").symlink_to(tmp_path / "shared" / "Pulumi.dev.yaml")
    error = load_error(folder)
    assert error.startswith(
        f"{folder / 'Pulumi.dev.yaml'}: a symbolic link to "
        f"{tmp_path / 'shared' / 'Pulumi.dev.yaml'}, which does not exist; "
    )


# --- check --quiet ------------------------------------------------------------------------------


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "check", str(BASIC), "--policy-pack", str(PACK), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_check_quiet_prints_the_verdict_and_the_diagnostics_only(tmp_path: Path) -> None:
    clean = check("--quiet")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout == (
        "Policies:\n    ✅ fixture-pack@v0.3.0\n\npassed: no mandatory policy violated (8 resources)\n"
    )
    cfg = tmp_path / "pack.json"
    cfg.write_text(json.dumps({"retention-minimum": {"minimumDays": 365}}))
    failing = check("-q", "--policy-pack-config", str(cfg), "--config", "noAlarmActions=true")
    assert failing.returncode == 1
    lines = failing.stdout.splitlines()
    assert lines[0] == "Policies:" and lines[-1] == "error: preview failed: a mandatory policy was violated"
    assert "[mandatory]" in failing.stdout
    assert not any(
        word in failing.stdout
        for word in ("Previewing update", "Type", "pulumi:pulumi:Stack", "Resources:", "to create")
    )
    full = check("--policy-pack-config", str(cfg), "--config", "noAlarmActions=true")
    diagnostics = [ln for ln in full.stdout.splitlines() if ln.startswith("        ")]
    assert diagnostics and all(ln in lines for ln in diagnostics)  # the same diagnostics, nothing dropped


# --- pattern --pattern-file ---------------------------------------------------------------------


def pattern(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "pattern", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pattern_file_gives_the_same_verdict_as_the_argument(tmp_path: Path) -> None:
    file = tmp_path / "cis.txt"
    file.write_text(CIS + "\n")  # the final line break an editor adds is not part of the pattern
    direct = json.loads(pattern(CIS, "--format", "json").stdout)
    from_file = json.loads(pattern("--pattern-file", str(file), "--format", "json").stdout)
    from_stdin = json.loads(pattern("--pattern-file", "-", "--format", "json", stdin=CIS).stdout)
    assert direct == from_file == from_stdin
    assert from_file["pattern"] == CIS and from_file["verdict"]["status"] == "ok"


def test_pattern_file_takes_every_argument_as_events(tmp_path: Path) -> None:
    file = tmp_path / "cis.txt"
    file.write_text(CIS)
    events = tmp_path / "events.json"
    events.write_text(
        json.dumps(
            [
                {"errorCode": "AccessDenied", "eventSource": "s3.amazonaws.com", "eventName": "GetObject"},
                {"eventName": "ListBuckets"},
            ]
        )
    )
    doc = json.loads(
        pattern(
            "--pattern-file",
            str(file),
            str(events),
            "-",
            "--format",
            "json",
            stdin='{"errorCode": "Client.UnauthorizedOperation"}\n',
        ).stdout
    )
    assert doc["events"]["files"] == 2 and doc["events"]["matched"] == 2 and doc["events"]["not_matched"] == 1


def test_a_pattern_longer_than_a_command_line_is_judged_from_a_file(tmp_path: Path) -> None:
    """Longer than AWS's 1,024 characters: the judge says so (exit 2), instead of the shell failing."""
    long = "{ " + " || ".join(f'($.eventName = "Name{i:05d}")' for i in range(40)) + " }"
    assert len(long) > 1024
    file = tmp_path / "long.txt"
    file.write_text(long)
    proc = pattern("--pattern-file", str(file))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "1024" in proc.stdout + proc.stderr


def test_pattern_file_and_events_cannot_both_read_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = err_of(capsys, "pattern", "--pattern-file", "-", "-")
    assert code == 2 and err == (
        "trailwatch pattern: error: --pattern-file - and the events file - both read "
        "standard input; give one of them as a file\n"
    )


def test_the_audit_process_ends_with_its_code_and_every_byte_of_its_report(tmp_path: Path) -> None:
    """`python -m trailwatch audit` ends without the interpreter's teardown (`QUICK_EXIT`): its
    exit code and the whole report (far more than a pipe holds) still arrive; called in-process
    with arguments, `main` returns."""
    from trailwatch.__main__ import QUICK_EXIT
    from trailwatch.audit.merge import finish
    from trailwatch.audit.report import to_json
    from trailwatch.audit.result import AccountResult, AuditFinding

    finding = AuditFinding("fail", "no-trail", "account", "arn:aws:cloudtrail::*:trail/*", "x" * 400, "fix it")
    accounts = [AccountResult(account=f"{i:012d}", status="fail", findings=[finding]) for i in range(400)]
    report = to_json(finish(accounts, tool_version="t", started="", seconds=0.0, audited=["4.1"]))
    (tmp_path / "r.json").write_text(report)
    assert "audit" in QUICK_EXIT and len(report) > 200_000
    done = subprocess.run(
        [sys.executable, "-m", "trailwatch", "audit", "merge", str(tmp_path / "r.json"), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert [a["account"] for a in json.loads(done.stdout)["accounts"]] == [a.account for a in accounts]
    assert main(["audit", "merge", str(tmp_path / "r.json"), "--format", "json", "--output", str(tmp_path / "o")]) == 1
