"""Which accounts a run audits, and which shard of them (pure: no AWS)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from trailwatch.audit import cli
from trailwatch.audit.accounts import Connection
from trailwatch.audit.targets import Target, TargetError, from_lines, in_shard, parse_shard, shard_of

IDS = [f"{n:012d}" for n in range(100000000000, 100000000000 + 500 * 7919, 7919)]


def test_shards_cover_every_account_once_and_do_not_depend_on_order() -> None:
    targets = [Target(a, None) for a in IDS]
    shards = [in_shard(targets, i, 4) for i in range(1, 5)]
    assert sorted(str(t.account) for s in shards for t in s) == sorted(IDS)
    assert all(60 < len(s) < 190 for s in shards)  # a hash spreads them, no shard is empty
    reordered = [in_shard(list(reversed(targets)), i, 4) for i in range(1, 5)]
    assert [sorted(t.key for t in s) for s in reordered] == [sorted(t.key for t in s) for s in shards]
    # Stable across processes and machines (not Python's salted hash): a fixed value.
    assert shard_of("123456789012", 4) == shard_of("123456789012", 4) == 3


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", ""])
def test_bad_shard(text: str) -> None:
    with pytest.raises(TargetError, match="expected I/N"):
        parse_shard(text)


def test_account_lines_ids_arns_and_comments() -> None:
    targets = from_lines(
        ["# org", "111122223333", "  arn:aws:iam::444455556666:role/path/Audit  # x", "", "111122223333"],
        "SecurityAudit",
        "aws-us-gov",
        "f",
    )
    assert targets == [
        Target("111122223333", "arn:aws-us-gov:iam::111122223333:role/SecurityAudit"),
        Target("444455556666", "arn:aws:iam::444455556666:role/path/Audit"),
    ]
    with pytest.raises(TargetError, match="f line 2: '1234' is neither a 12-digit account id nor a role ARN"):
        from_lines(["111122223333", "1234"], "R", "aws", "f")
    with pytest.raises(TargetError, match="no account ids or role ARNs"):
        from_lines(["# nothing"], "R", "aws", "f")


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    return cli.main(argv, stdout=io.StringIO(), stderr=err), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--accounts", "/nonexistent/accounts.txt", "--endpoint-url", "http://127.0.0.1:9"], "--accounts"),
        (["--organization", "--accounts", "f"], "not allowed with"),
        (["--organization", "--role-name", "arn:aws:iam::1:role/x"], "--role-name"),
        (["--shard", "2/4"], "sharding needs several accounts"),
        (["--organization", "--shard", "5/4"], "--shard '5/4'"),
        (["--max-accounts", "0"], "--max-accounts 0"),
    ],
)
def test_bad_organisation_arguments_one_line(argv: list[str], message: str, tmp_path: Path) -> None:
    code, err = run(argv)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_merge_bad_input_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text('{"schema": "other"}')
    code, err = run(["merge", str(bad)])
    assert (
        code == 2
        and err == f"trailwatch audit merge: error: {str(bad)!r}: not a trailwatch audit report (--format json)\n"
    )
    code, err = run(["merge", str(tmp_path / "missing.json")])
    assert (
        code == 2
        and err
        == f"trailwatch audit merge: error: {str(tmp_path / 'missing.json')!r}: no such file; "
        "merge the reports written with --format json\n"
    )


def test_retries_count_attempts_in_total_in_adaptive_mode() -> None:
    retries = Connection(max_attempts=3).config().retries
    assert retries == {"mode": "adaptive", "total_max_attempts": 3}
    assert Connection().probe_config().retries == {"mode": "standard", "total_max_attempts": 1}


def test_merge_and_help_do_not_import_botocore() -> None:
    import subprocess
    import sys

    code = (
        "import sys, io; from trailwatch.audit import cli; cli.main(['merge', '--help'], io.StringIO(), io.StringIO()) "
        "if False else None; print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')))"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{root}:{root / 'policy'}", "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "[]", done.stderr
