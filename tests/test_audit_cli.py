"""The audit's command line: bad input and unusable environments give one line, exit 2."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from moto_server import Endpoint, isolated_env
from trailwatch.audit import cli
from trailwatch.audit.run import Progress

ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--regions", "us east 1"], "--regions"),
        (["--regions", ","], "--regions"),
        (["--regions", "us-east-1", "--all-regions"], "not allowed with"),
        (["--format", "xml"], "--format"),
        (["--max-workers", "0"], "--max-workers"),
        (["--endpoint-url", "localhost:5000"], "--endpoint-url"),
        (["--assume-role", "SecurityAudit"], "--assume-role"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_arguments_one_line_exit_2(argv: list[str], names: str) -> None:
    code, out, err = run(argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("trailwatch audit: error: ") and names in err
    assert "Traceback" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _subprocess(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}
    return subprocess.run(
        [sys.executable, "-m", "trailwatch", "audit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_unreachable_endpoint_one_line_exit_2() -> None:
    # A port nobody listens on (bound then released): connection refused at once.
    url = f"http://127.0.0.1:{_free_port()}"
    done = _subprocess(["--endpoint-url", url, "--regions", "us-east-1"], isolated_env())
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr == f"trailwatch audit: error: cannot reach the AWS endpoint {url}: check --endpoint-url, "
        "the network or the proxy settings\n"
    )


@pytest.mark.slow
def test_no_credentials_one_line_exit_2() -> None:
    env = isolated_env()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key)
    url = f"http://127.0.0.1:{_free_port()}"
    done = _subprocess(["--endpoint-url", url, "--regions", "us-east-1"], env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("trailwatch audit: error: no AWS credentials found")
    assert done.stderr.count("\n") == 1


@pytest.mark.slow
def test_unknown_profile_one_line_exit_2() -> None:
    done = _subprocess(["--profile", "nope", "--regions", "us-east-1"], isolated_env())
    assert done.returncode == 2
    assert done.stderr.startswith("trailwatch audit: error: --profile 'nope': no such profile")


def test_progress_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, shown = io.StringIO(), Tty()
    for stream in (quiet, shown):
        progress = Progress(stream, enabled=stream.isatty())
        progress.tick("trails us-east-1")
        progress.done()
    assert quiet.getvalue() == ""
    assert "[1] trails us-east-1" in shown.getvalue()


def test_the_loader_knows_exactly_the_services_botocore_knows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's loader answers "is X a service?" from X's folder alone (a tenth of a
    one-account audit's CPU: docs/performance.md); its answers, its list, its error for an
    unknown service and the models it loads are botocore's -- AWS_DATA_PATH included."""
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader
    from botocore.session import Session

    from trailwatch.audit.accounts import _Loader, _loader

    theirs, ours = Loader(), _Loader()
    for type_name in ("service-2", "endpoint-rule-set-1", "paginators-1"):
        every = theirs.list_available_services(type_name)
        known = ours.list_available_services(type_name)
        assert list(known) == every and len(known) == len(every) > 300
        for name in ("sts", "logs", "cloudtrail", "cloudwatch", "sns", "kms", "no-such-service", "", "../logs", None):
            assert (name in known) == (name in every), (type_name, name)
    with pytest.raises(UnknownServiceError, match="no-such-service"):
        ours.load_service_model("no-such-service", "service-2")
    assert ours.load_service_model("logs", "service-2") == theirs.load_service_model("logs", "service-2")
    (tmp_path / "madeup" / "2020-01-01").mkdir(parents=True)
    (tmp_path / "madeup" / "2020-01-01" / "service-2.json").write_text("{}")
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert "madeup" in _loader(Session()).list_available_services("service-2")
    assert "madeup" not in _Loader().list_available_services("service-2")


def test_a_client_another_thread_made_while_this_one_waited_is_the_one_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads that ask for the same client at once get one client, made once: the one
    that waited for the creation lock takes the client the other made (creating a client
    costs ~10 ms of CPU; a one-account audit used to make two of some)."""
    from trailwatch.audit import accounts

    made: list[str] = []
    other = object()

    class Session:
        def create_client(self, service: str, **_: object) -> object:
            made.append(service)
            return object()

    account = accounts.Account(Session(), accounts.Connection())

    class WaitedWhileAnotherMadeIt:
        """The lock, as the thread that waited for it sees it: the other thread's client is there."""

        def __enter__(self) -> None:
            account._clients.setdefault(("logs", "us-east-1"), other)

        def __exit__(self, *_: object) -> None:
            return None

    monkeypatch.setattr(accounts, "_CREATE", WaitedWhileAnotherMadeIt())
    assert account.client("logs", "us-east-1") is other
    assert made == []
    sns = account.client("sns", "us-east-1")
    assert account.client("sns", "us-east-1") is sns and made == ["sns"]


def test_the_loader_reads_botocores_files_into_the_same_data_in_the_same_order(tmp_path: Path) -> None:
    """The audit's loader parses botocore's JSON files into plain dicts, not OrderedDicts
    (three times faster: docs/performance.md): every model the audit loads, and the endpoint
    data, are botocore's, key for key and in botocore's order at every level; a `.json`
    file is read before a `.json.gz` one, as botocore does."""
    import gzip
    import json

    from botocore.loaders import Loader

    from trailwatch.audit.accounts import _Loader

    theirs, ours = Loader(), _Loader()
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        assert json.dumps(ours.load_data(name)) == json.dumps(theirs.load_data(name)), name
    for service in ("sts", "cloudtrail", "logs", "cloudwatch", "sns", "kms", "organizations", "ec2"):
        for type_name in ("service-2", "endpoint-rule-set-1", "paginators-1"):
            mine = ours.load_service_model(service, type_name)
            assert type(mine) is dict and json.dumps(mine) == json.dumps(theirs.load_service_model(service, type_name))
    folder = tmp_path / "madeup" / "2020-01-01"
    folder.mkdir(parents=True)
    (folder / "service-2.json.gz").write_bytes(gzip.compress(b'{"from": "gz", "b": 1, "a": 2}'))
    assert list(_Loader(extra_search_paths=[str(tmp_path)]).load_service_model("madeup", "service-2")) == [
        "from",
        "b",
        "a",
    ]
    (folder / "service-2.json").write_text('{"from": "json"}')
    assert _Loader(extra_search_paths=[str(tmp_path)]).load_service_model("madeup", "service-2") == {"from": "json"}


def test_the_audit_process_collects_garbage_once_its_start_up_is_done(moto: Endpoint) -> None:
    """`python -m trailwatch audit` turns the cyclic collector off while botocore and the
    rules load (trailwatch/cli/collector.py). Auditing several accounts, it is back on, with
    the start-up frozen, before any account is audited: each account's garbage is collected.
    Auditing one, it stays off: the process ends with that account."""
    spy = (
        "import gc, sys\n"
        "import trailwatch.audit.run as run\n"
        "audit = run.run\n"
        "def spied(*args, **kwargs):\n"
        "    sys.stderr.write(f'collector on: {gc.isenabled()}, frozen: {gc.get_freeze_count() > 0}\\n')\n"
        "    return audit(*args, **kwargs)\n"
        "run.run = spied\n"
        "from trailwatch.__main__ import main\n"
        "sys.argv = ['trailwatch', 'audit', '--endpoint-url', sys.argv[1], '--regions', 'us-east-1', *sys.argv[2:]]\n"
        "sys.exit(main())\n"
    )
    env = {**isolated_env(), "PYTHONPATH": f"{ROOT}:{ROOT / 'policy'}"}

    def audit(*more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", spy, moto.url, *more], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    one = audit()
    assert one.returncode == 1 and "FAIL" in one.stdout, one.stderr  # an empty account: no trail
    assert "collector on: False, frozen: False\n" in one.stderr
    roles = [f"arn:aws:iam::{account}:role/auditor" for account in ("111111111111", "222222222222")]
    two = audit(*(arg for role in roles for arg in ("--assume-role", role)))
    assert two.returncode == 1 and "111111111111" in two.stdout and "222222222222" in two.stdout, two.stderr
    assert "collector on: True, frozen: True\n" in two.stderr
    collector_in_process = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc; from trailwatch.cli import collector; collector.started_up(); print(gc.isenabled(), gc.get_freeze_count())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert collector_in_process.stdout == "True 0\n"  # never deferred: nothing frozen
