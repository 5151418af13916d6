"""`python -m trailwatch audit`: arguments, accounts and regions, concurrency, output.

Exit codes: 0 every account PASS, 1 some account FAIL (none UNKNOWN), 2 some account
UNKNOWN or the audit could not run (bad arguments, no credentials, endpoint unreachable).
`trailwatch audit merge REPORT.json...` joins the JSON reports of a sharded run.

botocore is imported only when a run needs it (start-up is paid once per shard and per
account runner); `merge`, `--help` and argument errors never import it.
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
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlparse

from trailwatch.cli.inputs import DATA_LIMIT, InputError, read_json
from trailwatch.cli.output import Painter, colour_enabled, paint_verdicts
from trailwatch_policy.controls.profiles import PROFILES

from .result import AccountResult, AuditFinding, Report, SkippedAccount
from .targets import (
    DEFAULT_ROLE_NAME,
    Target,
    TargetError,
    check_role_name,
    from_file,
    in_shard,
    parse_role_arn,
    parse_shard,
    shard_of,
)

if TYPE_CHECKING:
    from trailwatch_policy.rules.options import ChainOptions

    from .accounts import Account

DEFAULT_WORKERS = 16
DEFAULT_ACCOUNTS = 8
DEFAULT_MAX_ATTEMPTS = 5  # mirrors accounts.DEFAULT_MAX_ATTEMPTS (kept here: no botocore import)
DEFAULT_CALLS_PER_SERVICE = 4
FORMATS = ("text", "json", "sarif", "asff", "ocsf", "html")
# STS error codes that mean the credentials themselves are bad (not a service failure):
# https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
AUTH_ERRORS = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "AuthFailure",
    "AccessDenied",
    "AccessDeniedException",
    "RequestExpired",
    "InvalidSignatureException",
}


class UsageError(Exception):
    """Bad input or an environment the audit cannot run in: one line, exit 2."""


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


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: IO[str], enabled: bool, accounts: int = 0):
        self.stream, self.enabled = stream, enabled
        self.count = 0
        self.accounts, self.accounts_done = accounts, 0
        self.lock = threading.Lock()

    def tick(self, label: str) -> None:
        if not self.enabled:
            return
        with self.lock:
            self.count += 1
            self._draw(label)

    def account_done(self, label: str) -> None:
        with self.lock:
            self.accounts_done += 1
            if self.enabled:
                self._draw(label)

    def _draw(self, label: str) -> None:
        head = (
            f"[{self.accounts_done}/{self.accounts} accounts, {self.count}]" if self.accounts > 1 else f"[{self.count}]"
        )
        self.stream.write(f"\r\033[K{head} {label[:70]}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.count:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _regions_arg(text: str) -> list[str]:
    regions = [r.strip() for r in text.split(",") if r.strip()]
    if not regions:
        raise UsageError(
            f"--regions {text!r}: expected region names separated by commas, e.g. --regions us-east-1,eu-west-1"
        )
    bad = [r for r in regions if not all(part.isalnum() for part in r.split("-")) or r.count("-") < 2]
    if bad:
        raise UsageError(
            f"--regions {text!r}: {', '.join(repr(r) for r in bad)} "
            f"{'is not a region name' if len(bad) == 1 else 'are not region names'}; "
            "give AWS Region codes separated by commas, e.g. --regions us-east-1,eu-west-1"
        )
    return list(dict.fromkeys(regions))


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


def _connection_problem(error: Exception, endpoint: str | None) -> UsageError:
    """The start-up check failed: say whether the credentials, the endpoint or the service did."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    from .collect import error_code, error_text, http_status

    if isinstance(error, NoCredentialsError):
        return UsageError(
            "no AWS credentials found: set AWS_PROFILE or pass --profile, or export "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, EndpointConnectionError):
        return UsageError(
            f"cannot reach the AWS endpoint {endpoint or error.kwargs.get('endpoint_url', '')}: "
            "check --endpoint-url, the network or the proxy settings"
        )
    if isinstance(error, ClientError):
        code, status = error_code(error), http_status(error)
        if code in AUTH_ERRORS or status in (401, 403):
            return UsageError(
                f"AWS rejected the credentials ({code}: {error_text(error)}): refresh "
                "them (aws sso login / new keys) or choose another --profile"
            )
        return UsageError(
            f"the AWS STS service failed at start-up (sts:GetCallerIdentity, "
            f"{code}: {error_text(error)}): retry later; the credentials were not judged"
        )
    from .collect import _clip

    return UsageError(f"cannot call AWS: {_clip(str(error))}")


def _enabled_regions(account: Account, region: str) -> list[str]:
    """Regions enabled in this account (opted in or not needing it):
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html"""
    response = account.client("ec2", region).describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
    )
    return sorted(r["RegionName"] for r in response.get("Regions", []))


@dataclasses.dataclass
class Plan:
    """What one run does: the accounts (this shard's), where, and how."""

    base: Account
    base_region: str
    regions: list[str] | None  # None: every region enabled in each account
    targets: list[Target]
    skipped: list[SkippedAccount]
    options: ChainOptions
    shard: tuple[int, int] | None = None
    controls: tuple[str, ...] = dataclasses.field(default_factory=lambda: _controls_arg("all"))


def _audit_account(plan: Plan, target: Target, pool: ThreadPoolExecutor, progress: Progress) -> AccountResult:
    from botocore.exceptions import BotoCoreError, ClientError

    from .collect import Collector, gap_from_error
    from .verdict import combine, judge_controls

    started = time.perf_counter()
    base, role = plan.base, target.role_arn
    own = role is None or (target.account is not None and target.account == base.account_id)
    account: Account | None = base if own else None
    regions = plan.regions or []
    stage = "sts:AssumeRole"
    try:
        if account is None:
            assert role is not None
            account = base.assume(role, plan.base_region)
        stage = "sts:GetCallerIdentity"
        account_id = account.identify(plan.base_region)
        if plan.regions is None:
            stage = "ec2:DescribeRegions"
            regions = _enabled_regions(account, plan.base_region)
        stage = "the audit"
        scan = Collector(account, account_id, pool, progress.tick).run(regions)
        result = judge_controls(scan, plan.options, plan.controls)
        if own and role is None:
            result.role_arn = None
    except (ClientError, BotoCoreError) as error:
        name = target.account or role or "caller"
        result = AccountResult(account=name, status="unknown", role_arn=role, regions=regions)
        gap = gap_from_error(error, resource_id=role or name, link="account", region=plan.base_region, action=stage)
        fix = (
            "let the auditing identity assume the role (its trust policy names the auditing "
            "account or role) and give the role the SecurityAudit managed policy"
            if stage == "sts:AssumeRole"
            else gap.fix
        )
        result.findings.append(
            AuditFinding(
                "unknown", "audit.account-unreachable", "account", role or name, f"{stage} failed: {gap.message}", fix
            )
        )
        result = combine({c: result for c in plan.controls})
    finally:
        if account is not None and account is not base:
            account.release()
    result.seconds = time.perf_counter() - started
    progress.account_done(f"account {result.account}: {result.status}")
    return result


def _plan(args: argparse.Namespace) -> Plan:
    from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

    from .accounts import Connection, base_account, partition_regions

    controls = _controls_arg(args.controls)  # bad input stops before any AWS call
    connection = Connection(
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        max_attempts=args.max_attempts,
        pool_size=args.max_workers,
        calls_per_service=args.calls_per_service,
    )
    try:
        base = base_account(connection)
    except ProfileNotFound:
        raise UsageError(
            f"--profile {args.profile!r}: no such profile in ~/.aws/config or "
            "~/.aws/credentials (list them: aws configure list-profiles)"
        ) from None
    regions = _regions_arg(args.regions) if args.regions else None
    base_region = (regions[0] if regions else None) or base.default_region or "us-east-1"
    try:
        base.check(base_region)
    except (ClientError, BotoCoreError) as error:
        raise _connection_problem(error, args.endpoint_url) from None
    known = partition_regions(base, base.partition)
    for region in regions or [base_region]:
        if known and region not in known:
            raise UsageError(
                f"--regions: {region!r} is not a region of the {base.partition} partition "
                f"(botocore knows {len(known)}, e.g. us-east-1, eu-west-1); if it is new, upgrade botocore"
            )
    many = bool(args.organization or args.accounts)
    if not regions and not args.all_regions and not many and not base.default_region:
        raise UsageError(
            "no region: pass --regions us-east-1,... or --all-regions, or set a region in the profile / AWS_REGION"
        )
    if not regions and not args.all_regions and not many:
        regions = [base_region]
    skipped: list[SkippedAccount] = []
    try:
        if args.organization:
            from .targets import from_organization

            try:
                targets, gone = from_organization(
                    base.client("organizations", base_region), args.role_name, base.partition
                )
            except (ClientError, BotoCoreError) as error:
                from .collect import error_code, error_text

                detail = f"{error_code(error)}: {error_text(error)}" if isinstance(error, ClientError) else str(error)
                raise UsageError(
                    f"--organization: organizations:ListAccounts failed ({detail}): run from the "
                    "management account or a delegated administrator, with "
                    "organizations:ListAccounts allowed, or list the accounts with --accounts FILE"
                ) from None
            skipped = [SkippedAccount(s.account, s.name, s.status) for s in gone]
        elif args.accounts:
            targets = from_file(args.accounts, args.role_name, base.partition)
        else:
            targets = [parse_role_arn(r) for r in args.assume_role] or [Target(base.account_id, None)]
    except TargetError as error:
        raise UsageError(str(error)) from None
    shard = parse_shard(args.shard) if args.shard else None
    if shard:
        targets = in_shard(targets, *shard)
        skipped = [s for s in skipped if shard_of(s.account, shard[1]) == shard[0]]
    from .verdict import AUDIT_OPTIONS  # the shared rules: imported after the first call

    options = dataclasses.replace(AUDIT_OPTIONS, pattern_profile=args.pattern_profile)
    return Plan(
        base,
        base_region,
        None if (args.all_regions or (many and not regions)) else regions,
        targets,
        skipped,
        options,
        shard,
        controls,
    )


def _controls_arg(text: str) -> tuple[str, ...]:
    from trailwatch_policy.controls import UnknownControl, select

    try:
        return tuple(c.id for c in select(text.strip() or None))
    except UnknownControl as error:
        raise UsageError(f"--controls: {error}") from None


def run(args: argparse.Namespace, stderr: IO[str], plan: Plan | None = None) -> Report:
    plan = plan or _plan(args)
    progress = Progress(stderr, enabled=not args.quiet and stderr.isatty(), accounts=len(plan.targets))
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    started = time.perf_counter()
    # Two pools: account tasks wait on API reads; API read tasks never wait on anything, so
    # neither pool can deadlock whatever their sizes (`--max-workers 1` is sequential).
    with (
        ThreadPoolExecutor(max_workers=args.max_workers, thread_name_prefix="aws") as pool,
        ThreadPoolExecutor(
            max_workers=max(1, min(args.max_accounts, len(plan.targets))), thread_name_prefix="account"
        ) as accounts,
    ):
        futures = [accounts.submit(_audit_account, plan, target, pool, progress) for target in plan.targets]
        results = [f.result() for f in futures]
    progress.done()
    return finish(
        results,
        tool_version=_version(),
        started=started_at,
        seconds=time.perf_counter() - started,
        skipped=plan.skipped,
        shard=plan.shard,
        audited=list(plan.controls),
    )


def finish(results: list[AccountResult], **report: Any) -> Report:
    """The report of a run, or of shards merged: accounts in account-id order, organisation
    trails resolved across every account of the set."""
    from .verdict import recombine, resolve_across_accounts

    results = sorted(results, key=lambda a: a.account)
    ids: list[str] = []
    for account in results:
        ids.extend(c for c in account.controls if c not in ids)
    if any(len(a.controls) > 1 for a in results):
        for cid in ids:  # an organisation trail's chain, judged in its owner's account, per control
            resolve_across_accounts([a.controls[cid] for a in results if cid in a.controls])
    else:
        resolve_across_accounts(results)
    for account in results:
        recombine(account)
    return Report(accounts=results, **report)


def _version() -> str:
    from trailwatch.version import version

    return version()


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        from .report import to_json

        return to_json(report)
    if fmt == "sarif":
        from .sarif import to_sarif

        return to_sarif(report)
    if fmt == "asff":
        from .asff import to_asff

        return to_asff(report)
    if fmt == "ocsf":
        from .ocsf import to_ocsf

        return to_ocsf(report)
    if fmt == "html":
        from .html import to_html

        return to_html(report)
    from .report import to_text

    return to_text(report)


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


def merge_reports(paths: list[str], allow_missing: bool = False) -> Report:
    reports: list[Report] = []
    for path in paths:
        data = read_json(path, repr(path), "merge the reports written with --format json", DATA_LIMIT)
        if not isinstance(data, dict) or data.get("schema") != "trailwatch-audit":
            raise UsageError(f"{path!r}: not a trailwatch audit report (--format json)")
        if data.get("schemaVersion") != 1:
            raise UsageError(
                f"{path!r}: schemaVersion {data.get('schemaVersion')!r}; this trailwatch "
                "reads 1: merge reports of the same trailwatch version"
            )
        try:
            reports.append(Report.from_json(data))
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"{path!r}: malformed report ({type(error).__name__}: {error})") from None
    counts = {r.shard[1] for r in reports if r.shard}
    if len(counts) > 1 or (counts and any(r.shard is None for r in reports)):
        raise UsageError(
            "the reports come from different shardings (--shard I/N with different N, "
            "or an unsharded report among them): merge the shards of one run"
        )
    seen: dict[int, str] = {}
    for path, report in zip(paths, reports, strict=True):
        if report.shard:
            if report.shard[0] in seen:
                raise UsageError(
                    f"{path!r} and {seen[report.shard[0]]!r} are both shard {report.shard[0]}/{report.shard[1]}"
                )
            seen[report.shard[0]] = path
    missing = [i for i in range(1, next(iter(counts)) + 1) if i not in seen] if counts else []
    if missing and not allow_missing:
        raise UsageError(
            f"shard(s) {', '.join(f'{i}/{next(iter(counts))}' for i in missing)} missing: "
            "pass every shard's report (or --allow-missing-shards)"
        )
    accounts: dict[str, AccountResult] = {}
    for report in reports:
        for account in report.accounts:
            if account.account in accounts:
                raise UsageError(f"account {account.account} is in two reports: merge the shards of one run")
            accounts[account.account] = account
    skipped = {s.account: s for r in reports for s in r.skipped}
    merged = finish(
        list(accounts.values()),
        tool_version=_version(),
        started=min((r.started for r in reports if r.started), default=""),
        seconds=max((r.seconds for r in reports), default=0.0),
        skipped=sorted(skipped.values(), key=lambda s: s.account),
        audited=list(dict.fromkeys(c for r in reports for c in r.control_ids)),
    )
    if missing:
        merged.missing_shards = [f"{i}/{next(iter(counts))}" for i in missing]
    return merged


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
