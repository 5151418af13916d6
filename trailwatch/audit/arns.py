"""ARN parsing: the log group a trail names lives in the region and account of its ARN."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arn:
    """An ARN's parts: arn:<partition>:<service>:<region>:<account>:<resource>."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse(text: str) -> Arn | None:
    """`arn:partition:service:region:account:resource` or None when `text` is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


@dataclass(frozen=True)
class LogGroupArn:
    """A log group's ARN, as a trail names its CloudWatch Logs group."""

    region: str
    account: str
    name: str


def log_group(text: str | None) -> LogGroupArn | None:
    """`arn:aws:logs:<region>:<acct>:log-group:<NAME>:*` (the `:*` is optional)."""
    arn = parse(text or "")
    if arn is None or arn.service != "logs" or not arn.resource.startswith("log-group:"):
        return None
    name = arn.resource[len("log-group:") :]
    if name.endswith(":*"):
        name = name[:-2]
    if not name or ":" in name or not arn.region or not arn.account:
        return None
    return LogGroupArn(arn.region, arn.account, name)


def region_of(text: str) -> str | None:
    arn = parse(text)
    return arn.region if arn and arn.region else None
