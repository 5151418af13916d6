"""Offline answers to the AWS provider's data sources a CIS program typically calls.

Pure functions of (args, stack context) so they are testable without Pulumi. Anything not
listed here fails with its token named: a silent empty answer would let a program build the
wrong thing without noticing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class AwsContext:
    account_id: str
    region: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


class UnknownInvokeError(Exception):
    """An invoke the offline engine does not answer."""


def caller_identity(_args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    return {
        "accountId": ctx.account_id,
        "arn": f"arn:{ctx.partition}:iam::{ctx.account_id}:user/trailwatch-offline",
        "userId": "AIDAOFFLINETRAILWATCH",
        "id": ctx.account_id,
    }


def region(args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    name = args.get("region") or args.get("name") or ctx.region
    return {
        "name": name,
        "region": name,
        "id": name,
        "endpoint": f"ec2.{name}.{ctx.dns_suffix}",
        "description": name,
    }


def partition(_args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    return {
        "partition": ctx.partition,
        "id": ctx.partition,
        "dnsSuffix": ctx.dns_suffix,
        "reverseDnsPrefix": ".".join(reversed(ctx.dns_suffix.split("."))),
    }


def availability_zones(args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    name = args.get("region") or ctx.region
    letters = "abc"
    return {
        "id": name,
        "names": [f"{name}{x}" for x in letters],
        "zoneIds": [f"{name[:3]}{name.split('-')[-1]}-az{i + 1}" for i in range(len(letters))],
        "groupNames": [name],
        "state": args.get("state"),
    }


def log_group(args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    """cloudwatch.getLogGroup: offline, a named log group is taken to exist (nothing can be
    read); its attributes are the service defaults. Whether it really exists is for `pulumi preview`."""
    name = str(args.get("name") or "")
    return {
        "name": name,
        "id": name,
        "arn": f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{name}",
        "creationTime": 0,
        "deletionProtectionEnabled": False,
        "kmsKeyId": "",
        "logGroupClass": "STANDARD",
        "region": args.get("region") or ctx.region,
        "retentionInDays": 0,
        "tags": {},
    }


def _one_or_many(values: list[Any]) -> Any:
    """Terraform renders a one-element set as a bare string."""
    return values[0] if len(values) == 1 else list(values)


def _principals(entries: list[dict[str, Any]]) -> Any:
    # Keyed by `type`, which the provider requires; an entry without one stays under None.
    out: dict[str | None, Any] = {}
    for entry in entries:
        kind = entry.get("type")
        ids = list(entry.get("identifiers") or [])
        if kind == "*" and ids == ["*"]:
            return "*"
        existing = out.get(kind)
        merged = ([existing] if isinstance(existing, str) else list(existing or [])) + ids
        out[kind] = _one_or_many(merged)
    return out


def render_policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """aws_iam_policy_document: statements, principals and conditions as real IAM JSON."""
    doc: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        doc["Id"] = args["policyId"]
    statements: list[dict[str, Any]] = []
    for raw in args.get("statements") or []:
        st: dict[str, Any] = {}
        if raw.get("sid"):
            st["Sid"] = raw["sid"]
        st["Effect"] = raw.get("effect") or "Allow"
        for key, name in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                          ("notResources", "NotResource")):
            if raw.get(key):
                st[name] = _one_or_many(list(raw[key]))
        if raw.get("principals"):
            st["Principal"] = _principals(raw["principals"])
        if raw.get("notPrincipals"):
            st["NotPrincipal"] = _principals(raw["notPrincipals"])
        if raw.get("conditions"):
            cond: dict[str, dict[str, Any]] = {}
            for c in raw["conditions"]:
                cond.setdefault(c["test"], {})[c["variable"]] = _one_or_many(list(c.get("values") or []))
            st["Condition"] = cond
        statements.append(st)
    doc["Statement"] = statements
    text = json.dumps(doc, indent=2)
    return {
        "json": text,
        "minifiedJson": json.dumps(doc, separators=(",", ":")),
        "id": str(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)),
        "statements": args.get("statements") or [],
        "version": doc["Version"],
    }


INVOKES: dict[str, Callable[[dict[str, Any], AwsContext], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": caller_identity,
    "aws:index/getRegion:getRegion": region,
    "aws:index/getPartition:getPartition": partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:iam/getPolicyDocument:getPolicyDocument": lambda args, _ctx: render_policy_document(args),
    "aws:cloudwatch/getLogGroup:getLogGroup": log_group,
}


def answer(token: str, args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    handler = INVOKES.get(token)
    if handler is None:
        raise UnknownInvokeError(
            f"the offline engine has no answer for invoke {token!r}; it answers: {', '.join(sorted(INVOKES))}"
        )
    return handler(args, ctx)
