"""Stack config that points the AWS provider at a local emulator (a moto server).

Why a generator: the provider needs one endpoint per AWS service the program
touches, plus the switches that stop it from calling real STS/IMDS. Forgetting a
service sends that one call to real AWS (with fake keys), which fails far from
the cause. So the service list is derived from the resource types the program
registers, and `Pulumi.local.yaml` is generated, never hand-edited:

    python -m trailwatch.emulator --endpoint http://127.0.0.1:5000 > Pulumi.local.yaml

The `trailwatch:*` keys are copied from `Pulumi.dev.yaml` (`--like dev`), so the
local stack runs the same program settings as dev. Secret values cannot be copied
(they are encrypted with dev's key): the generator refuses them with a message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

#: Fake credentials moto accepts; they never reach real AWS because every service
#: the program uses has an endpoint override.
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"
DEFAULT_ENDPOINT = "http://127.0.0.1:5000"
DEFAULT_REGION = "us-east-1"

#: pulumi-aws type-token prefix -> provider endpoint key (the AWS API that serves it).
#: Every `aws:cloudwatch/log*` resource (logGroup, logMetricFilter, ...) is a
#: CloudWatch *Logs* API; the rest of `aws:cloudwatch/` (metricAlarm) is CloudWatch.
#: Order matters: the first matching prefix wins.
_ENDPOINT_BY_TOKEN: tuple[tuple[str, str], ...] = (
    ("aws:cloudtrail/", "cloudtrail"),
    ("aws:cloudwatch/log", "logs"),
    ("aws:cloudwatch/", "cloudwatch"),
    ("aws:sns/", "sns"),
    ("aws:kms/", "kms"),
    ("aws:s3/", "s3"),
    ("aws:iam/", "iam"),
    ("aws:lambda/", "lambda"),
    ("aws:index/getCallerIdentity:", "sts"),
)

#: What the trailwatch program registers (trail + bucket + log group + filter +
#: alarm + topic + key + delivery role, and a lambda permission when a Lambda
#: subscribes) and invokes (caller identity): the services the local stack must
#: redirect. tests/test_delivery_emulator.py derives the same set from the program.
PROGRAM_SERVICES: tuple[str, ...] = (
    "cloudtrail",
    "cloudwatch",
    "logs",
    "sns",
    "kms",
    "s3",
    "iam",
    "sts",
    "lambda",
)


class EmulatorConfigError(ValueError):
    """Bad input for the generator: the message names the input and the fix."""


def endpoint_for_type(type_token: str) -> str | None:
    """The provider endpoint key serving a pulumi-aws resource or invoke token."""
    for prefix, service in _ENDPOINT_BY_TOKEN:
        if type_token.startswith(prefix):
            return service
    return None


def services_for_types(type_tokens: Iterable[str]) -> set[str]:
    """Endpoint keys needed by these tokens; STS is always needed (credential checks)."""
    services = {s for t in type_tokens if (s := endpoint_for_type(t)) is not None}
    return services | {"sts"}


def check_endpoint(url: str) -> str:
    """An http(s) URL with a host; the provider rejects anything else late and vaguely."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EmulatorConfigError(f"--endpoint {url!r} is not an http(s) URL with a host; use e.g. {DEFAULT_ENDPOINT}")
    try:
        _ = parts.port  # urllib raises ValueError for a port that is not a number in range
    except ValueError:
        raise EmulatorConfigError(f"--endpoint {url!r} has an invalid port; use e.g. {DEFAULT_ENDPOINT}") from None
    return url.rstrip("/")


def program_keys_like(stack_file: Path) -> dict[str, Any]:
    """The `trailwatch:*` config of another stack file, so the local stack runs like it."""
    try:
        document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise EmulatorConfigError(f"--like: {stack_file} does not exist; name an existing stack (dev, prod)") from None
    except yaml.YAMLError as error:
        raise EmulatorConfigError(f"--like: {stack_file} is not valid YAML ({error}); fix that file first") from None
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise EmulatorConfigError(f"--like: {stack_file} has a 'config' that is not a mapping; fix that file first")
    keys: dict[str, Any] = {}
    for key, value in config.items():
        if not str(key).startswith("trailwatch:"):
            continue
        if isinstance(value, dict) and "secure" in value:
            raise EmulatorConfigError(
                f"--like: {stack_file} key {key} is a secret encrypted for that stack; "
                f"set it on the local stack with `pulumi config set --secret {key} ...` and drop --like"
            )
        keys[str(key)] = value
    return keys


def stack_config(
    endpoint: str = DEFAULT_ENDPOINT,
    region: str = DEFAULT_REGION,
    program_keys: Mapping[str, Any] | None = None,
    services: Iterable[str] = PROGRAM_SERVICES,
) -> dict[str, Any]:
    """The `Pulumi.<stack>.yaml` document: aws:* for the emulator plus the program's keys."""
    url = check_endpoint(endpoint)
    if not region or not region.replace("-", "").isalnum():
        raise EmulatorConfigError(f"--region {region!r} is not a region name; use e.g. {DEFAULT_REGION}")
    config: dict[str, Any] = {
        "aws:region": region,
        "aws:accessKey": TEST_ACCESS_KEY,
        "aws:secretKey": TEST_SECRET_KEY,
        "aws:skipCredentialsValidation": True,
        "aws:skipRequestingAccountId": True,
        "aws:skipMetadataApiCheck": True,
        "aws:s3UsePathStyle": True,
        # A list of one object: the provider's `endpoints` is a set of blocks.
        "aws:endpoints": [{service: url for service in sorted(set(services))}],
    }
    config.update(dict(sorted((program_keys or {}).items())))
    return {"config": config}


HEADER = (
    "# Generated by `python -m trailwatch.emulator{args}`; do not edit by hand.\n"
    "# A stack for a local AWS emulator (moto server): see docs/local-emulation.md.\n"
)


def render(document: Mapping[str, Any], args: str = "") -> str:
    """YAML text with a header saying how to regenerate it."""
    return HEADER.format(args=args) + yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trailwatch.emulator",
        description="Print a Pulumi stack config that sends every AWS call of the program to a local emulator.",
    )
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help=f"emulator URL (default {DEFAULT_ENDPOINT})")
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"AWS region (default {DEFAULT_REGION})")
    parser.add_argument("--like", default="dev", help="copy trailwatch:* keys from Pulumi.<LIKE>.yaml ('' for none)")
    parser.add_argument("--project-dir", default=".", type=Path, help="folder holding Pulumi.<stack>.yaml files")
    args = parser.parse_args(argv)
    try:
        keys = program_keys_like(args.project_dir / f"Pulumi.{args.like}.yaml") if args.like else {}
        document = stack_config(args.endpoint, args.region, keys)
    except EmulatorConfigError as error:
        sys.stderr.write(f"trailwatch.emulator: {error}\n")
        return 2
    shown = []
    if args.endpoint != DEFAULT_ENDPOINT:
        shown.append(f" --endpoint {args.endpoint}")
    if args.region != DEFAULT_REGION:
        shown.append(f" --region {args.region}")
    if args.like != "dev":
        shown.append(f" --like '{args.like}'")
    sys.stdout.write(render(document, "".join(shown)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
