"""Offline answers to the AWS provider's data sources a CIS program typically calls.

Pure functions of (args, stack context) so they are testable without Pulumi. Anything not
listed here fails with its token named and the way to answer it (`--invoke-result
TOKEN=FILE`): a silent empty answer would let a program build the wrong thing without
noticing. Lookups of existing resources (`get_log_group`, `get_topic`, `get_key`) answer as
AWS would for a resource that exists, in the Region and account of the invoke's provider;
SSM parameter values cannot be known offline and must be given with `--invoke-result`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AwsContext:
    """The account and Region the engine's AWS invokes answer for."""

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

    def __init__(self, token: str, why: str = "") -> None:
        self.token = token
        super().__init__(
            f"the offline engine cannot answer invoke {token!r}{why}; give its result as JSON "
            f"with --invoke-result {token}=FILE (the invoke's result object, e.g. "
            '{"value": "..."} for an SSM parameter)'
        )


def _arn(ctx: AwsContext, service: str, resource: str) -> str:
    return f"arn:{ctx.partition}:{service}:{ctx.region}:{ctx.account_id}:{resource}"


def _name_of(value: Any, separator: str) -> str:
    """A name from a name or an ARN (`arn:...:log-group:NAME`, `arn:...:sns:...:NAME`)."""
    text = str(value or "")
    return text.rsplit(separator, 1)[-1] if text.startswith("arn:") else text


def log_group(args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    """aws.cloudwatch.get_log_group: the group as DescribeLogGroups returns it (ARN without ":*")."""
    name = _name_of(args.get("name"), ":log-group:")
    if not name:
        raise UnknownInvokeError("aws:cloudwatch/getLogGroup:getLogGroup", " without a name")
    return {
        "id": name,
        "name": name,
        "arn": _arn(ctx, "logs", f"log-group:{name}"),
        "creationTime": 0,
        "deletionProtectionEnabled": False,
        "kmsKeyId": "",
        "logGroupClass": "STANDARD",
        "retentionInDays": 0,
        "tags": {},
        "region": ctx.region,
    }


def topic(args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    name = _name_of(args.get("name"), ":")
    if not name:
        raise UnknownInvokeError("aws:sns/getTopic:getTopic", " without a name")
    arn = _arn(ctx, "sns", name)
    return {"id": arn, "arn": arn, "name": name, "tags": {}, "region": ctx.region}


def key(args: dict[str, Any], ctx: AwsContext) -> dict[str, Any]:
    """aws.kms.get_key: an alias/ARN/id resolves to an enabled key; `alias/aws/...` is AWS-managed."""
    given = str(args.get("keyId") or "")
    if not given:
        raise UnknownInvokeError("aws:kms/getKey:getKey", " without a key_id")
    alias = given.split(":", 5)[-1] if given.startswith("arn:") else given
    key_id = (
        alias.split("/", 1)[1]
        if alias.startswith("key/")
        else alias
        if not alias.startswith("alias/")
        else str(uuid.UUID(hashlib.sha256(alias.encode()).hexdigest()[:32]))
    )
    return {
        "id": key_id,
        "keyId": key_id,
        "arn": _arn(ctx, "kms", f"key/{key_id}"),
        "awsAccountId": ctx.account_id,
        "enabled": True,
        "keyState": "Enabled",
        "keyManager": "AWS" if alias.startswith("alias/aws/") else "CUSTOMER",
        "keyUsage": "ENCRYPT_DECRYPT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "origin": "AWS_KMS",
        "multiRegion": False,
        "description": "",
        "creationDate": "",
        "deletionDate": "",
        "expirationModel": "",
        "cloudHsmClusterId": "",
        "customKeyStoreId": "",
        "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "region": ctx.region,
    }


def ssm_parameter(token: str) -> Callable[[dict[str, Any], AwsContext], dict[str, Any]]:
    def unanswerable(args: dict[str, Any], _ctx: AwsContext) -> dict[str, Any]:
        raise UnknownInvokeError(
            token, f" (SSM parameter {args.get('name')!r}: its value is only known to the account)"
        )

    return unanswerable


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
        for key, name in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
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
    "aws:sns/getTopic:getTopic": topic,
    "aws:kms/getKey:getKey": key,
    "aws:ssm/getParameter:getParameter": ssm_parameter("aws:ssm/getParameter:getParameter"),
    # pulumi-aws-native (its invokes answer camelCase results like these)
    "aws-native:index:getAccountId": lambda _args, ctx: {"accountId": ctx.account_id},
    "aws-native:index:getRegion": lambda _args, ctx: {"region": ctx.region},
    "aws-native:index:getPartition": lambda _args, ctx: {"partition": ctx.partition, "dnsSuffix": ctx.dns_suffix},
    "aws-native:index:getSsmParameterString": ssm_parameter("aws-native:index:getSsmParameterString"),
    "aws-native:index:getSsmParameterList": ssm_parameter("aws-native:index:getSsmParameterList"),
}


def answer(
    token: str, args: dict[str, Any], ctx: AwsContext, given: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The invoke's result: one given with --invoke-result first, else the offline answer."""
    if given and token in given:
        return given[token]
    handler = INVOKES.get(token)
    if handler is None:
        raise UnknownInvokeError(token)
    return handler(args, ctx)


def provider_context(inputs: dict[str, Any], args: dict[str, Any], default: AwsContext) -> AwsContext:
    """The Region and account an invoke or a read runs in: its `region` argument (pulumi-aws 7),
    else its provider's `region`, and the account of the provider's (last) assumed role, else
    `default`'s. `inputs` are the provider's inputs (complex ones as JSON text, as the SDK
    sends a provider's inputs)."""
    region = args.get("region") or inputs.get("region") or default.region
    account = default.account_id
    roles = inputs.get("assumeRoles") or inputs.get("assumeRole")
    if isinstance(roles, str):
        try:
            roles = json.loads(roles)
        except ValueError:
            roles = None
    role = roles[-1] if isinstance(roles, list) and roles else roles
    arn = role.get("roleArn") if isinstance(role, dict) else None
    if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[4].isdigit():
        account = arn.split(":")[4]
    return AwsContext(account_id=account, region=str(region))


# The lookup whose answer a read of the same resource gives: `--invoke-result` for the lookup
# answers the read too (an existing log group is the same whether it is looked up or read).
READ_LOOKUPS = {
    "aws:cloudwatch/logGroup:LogGroup": "aws:cloudwatch/getLogGroup:getLogGroup",
    "aws:sns/topic:Topic": "aws:sns/getTopic:getTopic",
    "aws:kms/key:Key": "aws:kms/getKey:getKey",
}


def trail(name_or_arn: str, ctx: AwsContext) -> dict[str, Any]:
    """A trail by name or ARN (`arn:aws:cloudtrail:us-east-2:123456789012:trail/MyTrail`,
    https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrail.html)."""
    name = _name_of(name_or_arn, ":trail/")
    arn = name_or_arn if name_or_arn.startswith("arn:") else _arn(ctx, "cloudtrail", f"trail/{name}")
    return {"name": name, "arn": arn}


def read_outputs(
    type_token: str,
    resource_id: str,
    inputs: dict[str, Any],
    ctx: AwsContext,
    given: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What `Resource.get(name, id)` reads, as for a resource that exists: its id, name and ARN
    (by name or ARN), or what `--invoke-result` gives for the same resource's lookup.

    The read runs in preview too, so these are known values (the engine's ReadStep). The
    offline engine's recording monitor and the CLI's stand-in providers both answer with it.
    """
    out: dict[str, Any] = {**inputs, "id": resource_id}
    lookup = READ_LOOKUPS.get(type_token)
    if given and lookup in given:
        out.update({k: v for k, v in given[lookup].items() if k != "region"})
        return out
    if type_token == "aws:cloudwatch/logGroup:LogGroup":
        out.update({k: v for k, v in log_group({"name": resource_id}, ctx).items() if k != "region"})
    elif type_token == "aws:sns/topic:Topic":
        found = topic({"name": resource_id}, ctx)
        out.update(name=found["name"], arn=resource_id if resource_id.startswith("arn:") else found["arn"])
        out["id"] = out["arn"]
    elif type_token == "aws:kms/key:Key":
        found = key({"keyId": resource_id}, ctx)
        out.update(arn=found["arn"], keyId=found["keyId"], isEnabled=True)
    elif type_token == "aws:cloudtrail/trail:Trail":
        out.update(trail(resource_id, ctx))
    elif type_token == "aws-native:logs:LogGroup":  # CloudFormation's Arn attribute ends in ":*"
        out.update(logGroupName=resource_id, arn=_arn(ctx, "logs", f"log-group:{resource_id}:*"))
    elif type_token == "aws-native:sns:Topic":  # identified by its ARN
        found = topic({"name": resource_id}, ctx)
        out.update(topicName=found["name"], topicArn=resource_id if resource_id.startswith("arn:") else found["arn"])
    elif type_token == "aws-native:kms:Key":  # identified by its key id
        found = key({"keyId": resource_id}, ctx)
        out.update(keyId=found["keyId"], arn=found["arn"], enabled=True)
    elif type_token == "aws-native:cloudtrail:Trail":  # identified by its name
        found = trail(resource_id, ctx)
        out.update(trailName=found["name"], arn=found["arn"])
    return out
