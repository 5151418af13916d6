"""One audit run: the plan (credentials, regions, the accounts of this shard), then each
account audited on its own thread (two pools: accounts and API reads), with a progress line.

botocore is imported only inside the functions that call AWS (cli.py's `--help` and argument
errors never import it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING

from .merge import _version, finish
from .result import AccountResult, AuditFinding, Report, SkippedAccount
from .targets import (
    Target,
    TargetError,
    from_file,
    in_shard,
    parse_role_arn,
    parse_shard,
    shard_of,
)
from .usage import UsageError, _controls_arg, _regions_arg

if TYPE_CHECKING:
    from trailwatch_policy.rules.options import ChainOptions

    from .accounts import Account


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
