"""Per control, the pattern cases every layer is tested with (judge, `trailwatch check`, audit):
each framework's published text, a reordered/respaced equivalent, one missing a call the
control names, one that also counts read-only noise, and one that can never match."""

from __future__ import annotations

from dataclasses import dataclass

from trailwatch_policy import controls as t
from trailwatch_policy.controls import CONTROLS, Control


@dataclass(frozen=True)
class Cases:
    control: Control
    reordered: str  # same meaning, other order and spacing
    missing: str  # misses one call / identity the control names
    missing_words: str  # what the verdict must say about it
    noisy: str  # also counts read-only or ordinary traffic
    never: str  # can never match anything


def _api(apis: tuple[str, ...], source: str | None, noise: str) -> tuple[str, str, str]:
    rev = "{" + "||".join(f'($.eventName="{a}")' for a in reversed(apis)) + "}"
    if source:
        rev = "{(" + rev[1:-1] + f")&&($.eventSource={source})" + "}"
    missing = t._names(*apis[:-1], source=source)
    noisy = t._names(*apis, noise, source=source)
    return rev, missing, noisy


def _cases(c: Control) -> Cases:
    never_and = '{ ($.eventName = "CreateVpc") && ($.eventName = "DeleteVpc") }'
    if c.id == "4.1":
        return Cases(
            c,
            '{$.errorCode="AccessDenied*"||$.errorCode="*UnauthorizedOperation"}',
            '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied" }',
            "misses AccessDeniedException",
            '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" || $.readOnly IS TRUE }',
            '{ ($.errorCode = "*UnauthorizedOperation") && ($.errorCode = "AccessDenied*") }',
        )
    if c.id == "4.2":
        return Cases(
            c,
            '{$.additionalEventData.MFAUsed!="Yes"&&$.eventName="ConsoleLogin"}',
            '{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" && $.userIdentity.type = "IAMUser" }',
            "narrows the control by identity type",
            '{ $.eventName = "ConsoleLogin" }',
            '{ $.eventName = "ConsoleLogin" && $.eventName != "ConsoleLogin" }',
        )
    if c.id == "4.3":
        return Cases(
            c,
            '{$.eventType!="AwsServiceEvent"&&$.userIdentity.invokedBy NOT EXISTS&&$.userIdentity.type="Root"}',
            '{ $.userIdentity.type = "Root" && $.eventType = "AwsApiCall" }',
            "misses root sign-in",
            '{ $.userIdentity.type = "Root" || $.readOnly IS TRUE }',
            '{ $.userIdentity.type = "Root" && $.userIdentity.type = "IAMUser" }',
        )
    if c.id == "4.6":
        return Cases(
            c,
            '{$.errorMessage="Failed authentication"&&$.eventName="ConsoleLogin"}',
            '{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.userIdentity.type = "IAMUser" }',
            "narrows the control by identity type",
            "{ $.eventName = ConsoleLogin }",
            '{ $.eventName = ConsoleLogin && $.errorMessage = "Failed authentication" && $.eventName = GetCallerIdentity }',
        )
    spec = {
        "4.4": (t.IAM_POLICY_APIS, None, "GetRolePolicy"),
        "4.5": (t.CLOUDTRAIL_APIS, None, "DescribeTrails"),
        "4.7": (t.KMS_APIS, "kms.amazonaws.com", "DescribeKey"),
        "4.8": (t.S3_APIS, "s3.amazonaws.com", "GetBucketPolicy"),
        "4.9": (t.CONFIG_APIS, "config.amazonaws.com", "DescribeConfigurationRecorders"),
        "4.10": (t.SG_APIS, None, "DescribeSecurityGroups"),
        "4.11": (t.NACL_APIS, None, "DescribeNetworkAcls"),
        "4.12": (t.GATEWAY_APIS, None, "DescribeInternetGateways"),
        "4.13": (t.ROUTE_APIS, "ec2.amazonaws.com", "DescribeRouteTables"),
        "4.14": (t.VPC_APIS, None, "DescribeVpcs"),
        "4.15": (t.ORG_APIS, "organizations.amazonaws.com", "ListAccounts"),
    }[c.id]
    apis, source, noise = spec
    rev, missing, noisy = _api(apis, source, noise)
    last = apis[-1]
    return Cases(c, rev, missing, f"misses {source.split('.')[0] if source else _svc(c)}:{last}", noisy, never_and)


def _svc(c: Control) -> str:
    return {"4.4": "iam", "4.5": "cloudtrail"}.get(c.id, "ec2")


CASES: dict[str, Cases] = {c.id: _cases(c) for c in CONTROLS}

#: published texts that are wrong, and the words the verdict must say about them
KNOWN_WRONG = {
    ("4.1", "cis-1.4"): "CIS 1.4/1.5 text's known bug",
    ("4.2", "cis-1.4-sso"): "narrows the control by identity type",
    ("4.2", "cis-2.0-sso"): "narrows the control by identity type",
    ("4.2", "cis-3.0-sso"): "narrows the control by identity type",
}
