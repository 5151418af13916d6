"""Which accounts a run audits: the caller's own, roles named one by one, a file of
accounts, or every active account of an AWS Organization -- and which shard of them.

Pure except `from_organization` (one paginated `organizations:ListAccounts`). Sharding is
by a hash of the account id, so a shard's accounts do not depend on the order AWS lists
them in, on which other accounts exist, or on the machine: `--shard 2/4` audits the same
accounts in every run while the organisation does not change, and the N shards of a run
cover every account exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from trailwatch.cli.inputs import read_text

DEFAULT_ROLE_NAME = "SecurityAudit"
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::(\d{12}):role/[\w+=,.@/-]+$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")


class TargetError(ValueError):
    """Bad account list input: one line naming the input and the fix."""


@dataclass(frozen=True)
class Target:
    """One account to audit. `role_arn` None: with the caller's own credentials."""

    account: str | None  # 12-digit id when known before the run
    role_arn: str | None

    @property
    def key(self) -> str:
        return self.account or self.role_arn or "caller"


@dataclass(frozen=True)
class Skipped:
    """An organisation account that is not audited, and why (suspended, closing)."""

    account: str
    name: str
    status: str


def role_arn(account: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def check_role_name(name: str) -> str:
    if not _ROLE_NAME.match(name) or name.startswith("arn:"):
        raise TargetError(
            f"--role-name {name!r}: expected a role name (with an optional path), e.g. --role-name SecurityAudit"
        )
    return name


def parse_role_arn(text: str) -> Target:
    match = _ROLE_ARN.match(text)
    if match is None:
        raise TargetError(f"{text!r}: expected a role ARN, e.g. arn:aws:iam::111122223333:role/SecurityAudit")
    return Target(match.group(2), text)


def from_lines(lines: list[str], role_name: str, partition: str, source: str) -> list[Target]:
    """Account ids (audited through `role_name`) or role ARNs, one a line; `#` comments."""
    targets: list[Target] = []
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        if _ACCOUNT.match(text):
            targets.append(Target(text, role_arn(text, role_name, partition)))
            continue
        try:
            targets.append(parse_role_arn(text))
        except TargetError:
            raise TargetError(
                f"{source} line {number}: {text!r} is neither a 12-digit account id "
                "nor a role ARN (arn:aws:iam::111122223333:role/NAME)"
            ) from None
    if not targets:
        raise TargetError(f"{source}: no account ids or role ARNs in it (one a line)")
    return unique(targets)


def from_file(path: str, role_name: str, partition: str = "aws") -> list[Target]:
    lines = read_text(
        path, f"--accounts {path}", "give a text file with one 12-digit account id or role ARN a line"
    ).splitlines()
    return from_lines(lines, role_name, partition, f"--accounts {path}")


def from_organization(
    client: Any, role_name: str, partition: str, count_call: Any = lambda: None
) -> tuple[list[Target], list[Skipped]]:
    """Every ACTIVE account (paginated ListAccounts); the others are reported as skipped.

    A suspended or closing account cannot be signed in to, so auditing it would only
    produce an UNKNOWN; it is listed instead:
    https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html
    """
    targets: list[Target] = []
    skipped: list[Skipped] = []
    for page in client.get_paginator("list_accounts").paginate():
        count_call()
        for account in page.get("Accounts") or []:
            # `State` is the newer field (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED); `Status`
            # the older one (ACTIVE, SUSPENDED, PENDING_CLOSURE), still returned.
            state = str(account.get("State") or account.get("Status") or "")
            if state == "ACTIVE":
                targets.append(Target(account["Id"], role_arn(account["Id"], role_name, partition)))
            else:
                skipped.append(Skipped(account["Id"], str(account.get("Name") or ""), state or "UNKNOWN"))
    return unique(targets), sorted(skipped, key=lambda s: s.account)


def unique(targets: list[Target]) -> list[Target]:
    seen: dict[str, Target] = {}
    for target in targets:
        seen.setdefault(target.key, target)
    return list(seen.values())


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N (GitHub Actions matrices count from 1 as well as 0: say 1..N)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if match is None or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise TargetError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(match.group(1)), int(match.group(2))


def shard_of(key: str, count: int) -> int:
    """1..count, stable for a key (not Python's per-process randomised hash)."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(targets: list[Target], index: int, count: int) -> list[Target]:
    return [t for t in targets if shard_of(t.key, count) == index]
