"""`python -m trailwatch audit`: the command line -- arguments, their validation, exit codes
and the one error line. The run is run.py (accounts, regions, concurrency), combining and
rendering reports merge.py.

Exit codes: 0 every account PASS, 1 some account FAIL (none UNKNOWN), 2 some account
UNKNOWN or the audit could not run (bad arguments, no credentials, endpoint unreachable).
`trailwatch audit merge REPORT.json...` joins the JSON reports of a sharded run.

botocore is imported only when a run needs it (start-up is paid once per shard and per
account runner); `merge`, `--help` and argument errors never import it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, NoReturn
from urllib.parse import urlparse

from trailwatch.cli import collector
from trailwatch.cli.inputs import InputError
from trailwatch.cli.output import Painter, colour_enabled, paint_verdicts
from trailwatch_policy.controls.profiles import PROFILES

from .merge import merge_reports, render
from .run import _plan, run
from .targets import (
    DEFAULT_ROLE_NAME,
    TargetError,
    check_role_name,
    from_file,
    parse_role_arn,
    parse_shard,
)
from .usage import DEFAULT_MAX_ATTEMPTS, UsageError, _regions_arg

DEFAULT_WORKERS = 16
DEFAULT_ACCOUNTS = 8
DEFAULT_CALLS_PER_SERVICE = 4
FORMATS = ("text", "json", "sarif", "asff", "ocsf", "html")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: trailwatch audit --help)")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trailwatch audit",
        description="Audit live AWS accounts -- one, several, or a whole AWS Organization -- for "
        "the CIS AWS Foundations monitoring controls (4.1 .. 4.15, Security Hub "
        "CloudWatch.1 ..): per control, a logging multi-region trail -> log group -> metric "
        "filter that counts exactly the control's events -> alarm that fires on one event -> "
        "SNS topic -> confirmed subscriber whose filter policy lets the alarm through. "
        "Read-only (docs/audit.md lists the calls).",
        epilog="exit codes: 0 PASS, 1 FAIL, 2 UNKNOWN or error. `trailwatch audit merge --help` joins "
        "shard reports. docs/audit.md has the JSON schema and the organisation set-up.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--regions",
        metavar="R1,R2",
        help="regions to look for trails in "
        "(default: the profile's region; with --organization/--accounts every region "
        "enabled in each account; log groups are always read in their own region)",
    )
    where.add_argument("--all-regions", action="store_true", help="every region enabled in each account")
    p.add_argument("--profile", help="AWS named profile for the base credentials")
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--assume-role",
        metavar="ARN",
        action="append",
        default=[],
        help="audit the account behind this role (repeatable); without it the caller's own account is audited",
    )
    who.add_argument(
        "--organization",
        action="store_true",
        help="every ACTIVE account of the caller's AWS Organization (run from the "
        "management account or a delegated administrator), through --role-name",
    )
    who.add_argument(
        "--accounts",
        metavar="FILE",
        help="accounts listed in FILE, one a line: a 12-digit id (through --role-name) "
        "or a role ARN; '#' starts a comment",
    )
    p.add_argument(
        "--role-name",
        default=DEFAULT_ROLE_NAME,
        metavar="NAME",
        help=f"role assumed in each account of --organization/--accounts (default {DEFAULT_ROLE_NAME})",
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="audit only the I-th of N stable shards of the accounts (1 <= I <= N); join "
        "the shards' JSON reports with `trailwatch audit merge`",
    )
    p.add_argument("--endpoint-url", metavar="URL", help="an AWS API emulator (e.g. moto server)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text, json, sarif (code scanning), asff (Security Hub), ocsf, html (one "
        "self-contained page); docs/findings.md",
    )
    p.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    p.add_argument(
        "--security-hub",
        action="store_true",
        help="also import the findings (ASFF) into each audited account's Security Hub "
        "(securityhub:BatchImportFindings, GetFindings); exit 2 if any is not imported",
    )
    p.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"concurrent API reads in all (default {DEFAULT_WORKERS}; 1 = sequential)",
    )
    p.add_argument(
        "--max-accounts",
        type=int,
        default=DEFAULT_ACCOUNTS,
        metavar="N",
        help=f"accounts audited at once (default {DEFAULT_ACCOUNTS})",
    )
    p.add_argument(
        "--calls-per-service",
        type=int,
        default=DEFAULT_CALLS_PER_SERVICE,
        metavar="N",
        help="API calls in flight per account, service and region, where AWS applies "
        f"its rate quotas (default {DEFAULT_CALLS_PER_SERVICE})",
    )
    p.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help=f"attempts per call in all, adaptive retry mode (default {DEFAULT_MAX_ATTEMPTS})",
    )
    p.add_argument(
        "--pattern-profile",
        choices=PROFILES,
        default="meaning",
        help="how filter patterns are judged: by what they match (meaning, default), "
        "or also by what a text-based scanner accepts (" + ", ".join(PROFILES[1:]) + ")",
    )
    p.add_argument(
        "--controls",
        metavar="IDS",
        default="all",
        help="the CIS monitoring controls to audit: comma-separated CIS 1.4 ids (4.1 .. 4.15), "
        "Security Hub ids (CloudWatch.1 ..) or policy names, or 'all' (default: all fifteen; "
        "docs/controls.md)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no colour in the text report (also: NO_COLOR=1); colour is used only on a terminal",
    )
    return p


def _check(args: argparse.Namespace) -> None:
    for flag, value in (
        ("--max-workers", args.max_workers),
        ("--max-attempts", args.max_attempts),
        ("--max-accounts", args.max_accounts),
        ("--calls-per-service", args.calls_per_service),
    ):
        if value < 1:
            raise UsageError(f"{flag} {value}: must be 1 or more")
    if args.endpoint_url:
        url = urlparse(args.endpoint_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise UsageError(
                f"--endpoint-url {args.endpoint_url!r}: expected http(s)://host:port, "
                "e.g. --endpoint-url http://127.0.0.1:5000"
            )
    if args.regions:
        _regions_arg(args.regions)
    try:
        for arn in args.assume_role:
            parse_role_arn(arn)
        check_role_name(args.role_name)
        if args.shard:
            parse_shard(args.shard)
        if args.accounts:
            from_file(args.accounts, args.role_name)  # bad input before any AWS call
    except TargetError as error:
        text = str(error)
        raise UsageError(text if text.startswith("--") else f"--assume-role {text}") from None
    if args.shard and not (args.organization or args.accounts or len(args.assume_role) > 1):
        raise UsageError(
            f"--shard {args.shard}: sharding needs several accounts "
            "(--organization, --accounts FILE or repeated --assume-role)"
        )


def _write(text: str, output: str | None, stdout: IO[str]) -> None:
    if not output:
        stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"--output {output!r}: cannot write ({error.strerror})") from None


def merge_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trailwatch audit merge",
        description="Join the JSON reports of a sharded audit (`--shard I/N`, one per shard) "
        "into one report with the verdict the unsharded run gives: organisation "
        "trails are resolved across every shard's accounts. Needs no AWS access.",
        epilog="exit codes as the audit: 0 PASS, 1 FAIL, 2 UNKNOWN or error.",
    )
    p.add_argument("reports", nargs="+", metavar="REPORT.json", help="shard reports (--format json)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    p.add_argument(
        "--allow-missing-shards",
        action="store_true",
        help="merge even when some shards' reports are missing (the result says which)",
    )
    return p


def _merge_main(argv: list[str], stdout: IO[str]) -> int:
    args = merge_parser().parse_args(argv)
    report = merge_reports(args.reports, args.allow_missing_shards)
    _write(render(report, args.format), args.output, stdout)
    return report.exit_code


def main(argv: list[str], stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    # The one error format of every trailwatch command: "<command>: error: <message>".
    prefix = "trailwatch audit merge" if argv[:1] == ["merge"] else "trailwatch audit"
    try:
        if argv[:1] == ["merge"]:
            return _merge_main(argv[1:], stdout)
        args = parser().parse_args(argv)
        _check(args)
        plan = _plan(args)
        if len(plan.targets) > 1:  # botocore, the rules and the first client are loaded
            collector.started_up()  # (one account: its garbage ends with the process)
        report = run(args, stderr, plan)
        text = render(report, args.format)
        if args.format == "text" and not args.output:
            text = paint_verdicts(text, Painter(colour_enabled(stdout, args.no_color)))
        _write(text, args.output, stdout)
        if args.security_hub:
            from .securityhub import publish

            if not publish(plan, report, stderr):
                return 2  # a finding that could not be imported is never a silent success
        return report.exit_code
    except (UsageError, InputError) as error:
        stderr.write(f"{prefix}: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        stderr.write(f"{prefix}: error: interrupted\n")
        return 2
    except Exception as error:  # noqa: BLE001 - one line, never a traceback, unless asked
        if os.environ.get("TRAILWATCH_DEBUG"):
            raise
        stderr.write(
            f"{prefix}: error: internal error: {type(error).__name__}: {error} "
            "(set TRAILWATCH_DEBUG=1 for the traceback)\n"
        )
        return 2
