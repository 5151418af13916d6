"""`python -m trailwatch audit`: arguments, accounts and regions, concurrency, output.

Exit codes: 0 every account PASS, 1 some account FAIL (none UNKNOWN), 2 some account
UNKNOWN or the audit could not run (bad arguments, no credentials, endpoint unreachable).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import IO, NoReturn
from urllib.parse import urlparse

from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError,
                                 NoCredentialsError, ProfileNotFound)

from trailwatch.output import error_line
from trailwatch_policy.judge import PROFILES
from trailwatch_policy.options import ChainOptions

from .accounts import DEFAULT_MAX_ATTEMPTS, Account, Connection, base_account
from .result import AccountResult, AuditFinding, Report

DEFAULT_WORKERS = 16
FORMATS = ("text", "json", "sarif")


class UsageError(Exception):
    """Bad input or an environment the audit cannot run in: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: trailwatch audit --help)")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trailwatch audit",
        description="Audit live AWS accounts for CIS 4.1 / Security Hub CloudWatch.2: a "
                    "logging multi-region trail -> log group -> metric filter that catches "
                    "unauthorized calls -> alarm that fires on one event -> SNS topic -> "
                    "confirmed subscriber. Read-only (SecurityAudit is enough).",
        epilog="exit codes: 0 PASS, 1 FAIL, 2 UNKNOWN or error. docs/audit.md has the JSON schema.")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--regions", metavar="R1,R2", help="regions to look for trails in "
                       "(default: the profile's region; log groups are always read in their own region)")
    where.add_argument("--all-regions", action="store_true", help="every region enabled in the account")
    p.add_argument("--profile", help="AWS named profile for the base credentials")
    p.add_argument("--assume-role", metavar="ARN", action="append", default=[],
                   help="audit the account behind this role (repeatable); without it the "
                        "caller's own account is audited")
    p.add_argument("--endpoint-url", metavar="URL", help="an AWS API emulator (e.g. moto server)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    p.add_argument("--max-workers", type=int, default=DEFAULT_WORKERS, metavar="N",
                   help=f"concurrent API reads (default {DEFAULT_WORKERS}; 1 = sequential)")
    p.add_argument("--max-attempts", type=int, default=DEFAULT_MAX_ATTEMPTS, metavar="N",
                   help=f"botocore standard-mode attempts per call (default {DEFAULT_MAX_ATTEMPTS})")
    p.add_argument("--pattern-profile", choices=PROFILES, default="meaning",
                   help="how filter patterns are judged: by what they match (meaning, default), "
                        "or also by what a text-based scanner accepts (" + ", ".join(PROFILES[1:]) + ")")
    p.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    return p


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: IO[str], enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.count = 0
        self.lock = threading.Lock()

    def tick(self, label: str) -> None:
        if not self.enabled:
            return
        with self.lock:
            self.count += 1
            self.stream.write(f"\r\033[K[{self.count}] {label[:70]}")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.count:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _regions_arg(text: str) -> list[str]:
    regions = [r.strip() for r in text.split(",") if r.strip()]
    bad = [r for r in regions if not all(part.isalnum() for part in r.split("-")) or r.count("-") < 2]
    if not regions or bad:
        raise UsageError(f"--regions {text!r}: expected region names separated by commas, "
                         "e.g. --regions us-east-1,eu-west-1")
    return list(dict.fromkeys(regions))


def _check(args: argparse.Namespace) -> None:
    if args.max_workers < 1:
        raise UsageError(f"--max-workers {args.max_workers}: must be 1 or more")
    if args.max_attempts < 1:
        raise UsageError(f"--max-attempts {args.max_attempts}: must be 1 or more")
    if args.endpoint_url:
        url = urlparse(args.endpoint_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise UsageError(f"--endpoint-url {args.endpoint_url!r}: expected http(s)://host:port, "
                             "e.g. --endpoint-url http://127.0.0.1:5000")
    for arn in args.assume_role:
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise UsageError(f"--assume-role {arn!r}: expected a role ARN, "
                             "e.g. arn:aws:iam::111122223333:role/SecurityAudit")


def _connection_problem(error: Exception, endpoint: str | None) -> UsageError:
    if isinstance(error, NoCredentialsError):
        return UsageError("no AWS credentials found: set AWS_PROFILE or pass --profile, or export "
                          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    if isinstance(error, EndpointConnectionError):
        return UsageError(f"cannot reach the AWS endpoint {endpoint or error.kwargs.get('endpoint_url', '')}: "
                          "check --endpoint-url, the network or the proxy settings")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        return UsageError(f"AWS rejected the credentials ({code}: {message}): refresh them "
                          "(aws sso login / new keys) or choose another --profile")
    return UsageError(f"cannot call AWS: {error}")


def _all_regions(account: Account, region: str) -> list[str]:
    response = account.client("ec2", region).describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}])
    return sorted(r["RegionName"] for r in response.get("Regions", []))


def _audit_account(account: Account | None, role: str | None, base_region: str, regions: list[str],
                   pool: ThreadPoolExecutor, progress: Progress,
                   base: Account, options: ChainOptions | None = None) -> AccountResult:
    from .collect import Collector
    from .verdict import judge

    started = time.perf_counter()
    try:
        if account is None:
            assert role is not None
            account = base.assume(role, base_region)
        account_id = account.identify(base_region)
        progress.tick(f"account {account_id}")
        scan = Collector(account, account_id, pool, progress.tick).run(regions)
        result = judge(scan, options) if options else judge(scan)
    except (ClientError, BotoCoreError) as error:
        what = "sts:AssumeRole" if role and (account is None or account.account_id is None) else "the audit"
        result = AccountResult(account=role or "caller", status="unknown", role_arn=role, regions=regions)
        result.findings.append(AuditFinding(
            "unknown", "audit.account-unreachable", "account", role or "caller",
            f"{what} failed: {error}",
            "let the auditing identity assume the role (trust policy) and give the role the "
            "SecurityAudit managed policy"))
    result.seconds = time.perf_counter() - started
    return result


def run(args: argparse.Namespace, stderr: IO[str]) -> Report:
    connection = Connection(profile=args.profile, endpoint_url=args.endpoint_url,
                            max_attempts=args.max_attempts, pool_size=args.max_workers)
    try:
        base = base_account(connection)
    except ProfileNotFound:
        raise UsageError(f"--profile {args.profile!r}: no such profile in ~/.aws/config or "
                         "~/.aws/credentials (list them: aws configure list-profiles)") from None
    regions = _regions_arg(args.regions) if args.regions else None
    base_region = (regions[0] if regions else None) or base.default_region or "us-east-1"
    try:
        base.check(base_region)
        if args.all_regions:
            regions = _all_regions(base, base_region)
    except (ClientError, BotoCoreError) as error:
        raise _connection_problem(error, args.endpoint_url) from None
    if not regions:
        if not base.default_region:
            raise UsageError("no region: pass --regions us-east-1,... or --all-regions, "
                             "or set a region in the profile / AWS_REGION")
        regions = [base.default_region]

    progress = Progress(stderr, enabled=not args.quiet and stderr.isatty())
    started_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    started = time.perf_counter()
    roles: list[str | None] = list(args.assume_role) or [None]
    workers = args.max_workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws") as pool, \
            ThreadPoolExecutor(max_workers=min(workers, len(roles)), thread_name_prefix="account") as accounts:
        from .verdict import AUDIT_OPTIONS
        options = dataclasses.replace(AUDIT_OPTIONS, pattern_profile=args.pattern_profile)
        futures = [accounts.submit(_audit_account, None if role else base, role, base_region,
                                   regions, pool, progress, base, options) for role in roles]
        results = [f.result() for f in futures]
    progress.done()
    from .verdict import resolve_across_accounts
    resolve_across_accounts(results)
    return Report(accounts=results, tool_version=_version(), started=started_at,
                  seconds=time.perf_counter() - started)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("trailwatch")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        from .report import to_json
        return to_json(report)
    if fmt == "sarif":
        from .sarif import to_sarif
        return to_sarif(report)
    from .report import to_text
    return to_text(report)


def main(argv: list[str], stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = parser().parse_args(argv)
        _check(args)
        report = run(args, stderr)
        text = render(report, args.format)
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as error:
                raise UsageError(f"--output {args.output!r}: cannot write ({error.strerror})") from None
        else:
            stdout.write(text)
        return report.exit_code
    except UsageError as error:
        stderr.write(error_line("audit", str(error)))
        return 2
    except KeyboardInterrupt:
        stderr.write(error_line("audit", "interrupted"))
        return 2
    except Exception as error:  # noqa: BLE001 - one line, never a traceback, unless asked
        if os.environ.get("TRAILWATCH_DEBUG"):
            raise
        stderr.write(error_line("audit", f"internal error: {type(error).__name__}: {error} "
                                         "(set TRAILWATCH_DEBUG=1 for the traceback)"))
        return 2

