"""Ordinary traffic: the frequent CloudTrail records no monitoring control's alarm may count.

A pattern that counts any of these keeps its alarm in ALARM all day: CloudWatch runs an
alarm's actions on state changes only ("not performed again if the condition persists",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html), so
the event the control exists for is never notified. Every control's judge (judge.py)
refuses a pattern that counts one of them -- except the records that ARE the control's own
events: each control row names them (`Control.own_ordinary`, a filter pattern; e.g. a
root sign-in is 4.3's event, a failed sign-in 4.6's).

The corpus spans what an account sees most: console sign-ins of every identity type and
outcome (IAM user, root, IAM Identity Center and SAML-federated roles; success, failure,
with and without MFA), the high-volume read and data-key calls of KMS, S3, EC2, IAM, STS,
Systems Manager, Secrets Manager, CloudTrail, Config and Organizations, calls AWS services
make for you (service-linked roles with `invokedBy`, `AWSService` identities) and service
events (`AwsServiceEvent`). Each record names its source: a real record from
tests/data/cloudtrail-samples (samples.SAMPLES) or AWS's documented record format.

The records are evaluated once per distinct pattern (`counted`), not once per control.
Pure and stdlib only.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from trailwatch_policy.controls.probes import (
    ACCOUNT,
    DOCUMENTED,
    MFA_FAILED,
    MUST_NOT_MATCH,
    SIGNIN_DOC,
    Probe,
    identity,
    make,
    real,
    record,
)

#: the category the judge reports these under
ORDINARY = "ordinary"

SERVICE_EVENTS_DOC = (
    "built from AWS's documented service events: "
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/non-api-aws-service-events.html"
)
INVOKED_BY_DOC = (
    "built from AWS's documented record format (userIdentity.invokedBy, the AWS service that made "
    "the request for you): "
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"
)
_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:102.0) Gecko/20100101 Firefox/102.0"


def _signin(who: str, *, mfa: bool, ok: bool, n: int, role: str = "developer") -> dict[str, Any]:
    """A ConsoleLogin record of the shape the CloudTrail User Guide shows (SIGNIN_DOC):
    no access key, `additionalEventData.MFAUsed`, `responseElements.ConsoleLogin`, and for
    a failure `errorMessage: "Failed authentication"`."""
    rec = record(
        "signin.amazonaws.com",
        "ConsoleLogin",
        who="AssumedRole" if who in ("SSO", "SAML") else who,
        region="us-east-1",
        read_only=False,
        user_agent=_BROWSER,
        event_type="AwsConsoleSignIn",
        response={"ConsoleLogin": "Success" if ok else "Failure"},
        n=n,
    )
    ident = rec["userIdentity"]
    ident.pop("accessKeyId", None)
    if who in ("IAMUser", "Root"):
        ident.pop("sessionContext", None)
    if who in ("SSO", "SAML"):  # a role session: its name is the person's
        arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/alice@example.com"
        ident.update(principalId="AROAEXAMPLEPRINCIPAL1:alice@example.com", arn=arn)
        ident["sessionContext"]["sessionIssuer"].update(
            arn=f"arn:aws:iam::{ACCOUNT}:role/{'aws-reserved/sso.amazonaws.com/' if who == 'SSO' else ''}{role}",
            userName=role,
        )
    extra: dict[str, Any] = {
        "LoginTo": "https://console.aws.amazon.com/console/home",
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa else "No",
    }
    if mfa:
        extra["MFAIdentifier"] = f"arn:aws:iam::{ACCOUNT}:u2f/user/alice/key-EXAMPLE"
    if who == "SAML":
        extra["SamlProviderArn"] = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp"
    rec["additionalEventData"] = extra
    if not ok:
        rec["errorMessage"] = "Failed authentication"
    return rec


def _service_linked(
    source: str,
    name: str,
    service: str,
    *,
    n: int,
    role: str,
    region: str = "us-east-1",
    request: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A call a service-linked role makes for you: an AssumedRole identity with invokedBy."""
    ident = identity("AssumedRole", region)
    ident.update(
        principalId=f"AROAEXAMPLESERVICE01:{service.split('.')[0]}",
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{service.split('.')[0]}",
        invokedBy=service,
    )
    ident["sessionContext"]["sessionIssuer"].update(
        arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{service}/{role}", userName=role
    )
    return record(
        source, name, identity_block=ident, ip=service, user_agent=service, region=region, request=request, n=n
    )


def _aws_service(
    source: str, name: str, service: str, *, n: int, read_only: bool = True, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A call an AWS service makes with its own identity (userIdentity.type AWSService)."""
    return record(
        source,
        name,
        identity_block={"type": "AWSService", "invokedBy": service},
        ip=service,
        user_agent=service,
        read_only=read_only,
        request=request,
        n=n,
    )


def _build() -> tuple[Probe, ...]:
    out: list[Probe] = []

    def add(name: str, why: str, rec: dict[str, Any], source: str) -> None:
        out.append(make(name, MUST_NOT_MATCH, ORDINARY, why, rec, source))

    n = iter(range(500, 1000))
    # -- console sign-ins: every identity type and outcome ------------------------------------
    rec, src = real("aws.initial-access.console-login-without-mfa.json[0]")
    add("signin:ConsoleLogin", "console sign-ins of IAM users without MFA", rec, src)
    for who, mfa, ok, why in (
        ("IAMUser", True, True, "console sign-ins of IAM users with MFA"),
        ("IAMUser", False, False, "failed console sign-ins of IAM users"),
        ("IAMUser", True, False, "console sign-ins of IAM users failing the MFA challenge"),
        ("Root", True, True, "console sign-ins of the root user with MFA"),
        ("Root", False, True, "console sign-ins of the root user without MFA"),
        ("Root", False, False, "failed console sign-ins of the root user"),
        ("SSO", False, True, "console sign-ins through IAM Identity Center (an assumed role)"),
        ("SAML", False, True, "console sign-ins federated through a SAML identity provider"),
    ):
        add(
            "signin:ConsoleLogin",
            why,
            _signin(
                who,
                mfa=mfa,
                ok=ok,
                n=next(n),
                role="AWSReservedSSO_Admin_0123456789abcdef" if who == "SSO" else "corp-admin",
            ),
            SIGNIN_DOC if ok or not mfa else MFA_FAILED,
        )

    # -- KMS: the data-key and crypto calls every encrypted read and write makes ---------------
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    add(
        "kms:Decrypt",
        "KMS Decrypt calls",
        record(
            "kms.amazonaws.com",
            "Decrypt",
            who="AssumedRole",
            caller="sdk",
            request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": key},
            n=next(n),
        ),
        DOCUMENTED,
    )
    add(
        "kms:Decrypt",
        "KMS Decrypt calls AWS services make for you (S3 SSE-KMS)",
        record(
            "kms.amazonaws.com",
            "Decrypt",
            caller="sdk",
            ip="s3.amazonaws.com",
            user_agent="s3.amazonaws.com",
            identity_block={**identity("AssumedRole"), "invokedBy": "s3.amazonaws.com"},
            request={
                "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::payroll-exports/2024/07/salaries.csv"},
            },
            n=next(n),
        ),
        INVOKED_BY_DOC,
    )
    add(
        "kms:GenerateDataKey",
        "KMS GenerateDataKey calls",
        record(
            "kms.amazonaws.com",
            "GenerateDataKey",
            who="IAMUser",
            caller="cli",
            request={"keyId": key, "keySpec": "AES_256"},
            n=next(n),
        ),
        DOCUMENTED,
    )
    add(
        "kms:GenerateDataKey",
        "KMS GenerateDataKey calls CloudTrail makes to encrypt its log files",
        _aws_service(
            "kms.amazonaws.com",
            "GenerateDataKey",
            "cloudtrail.amazonaws.com",
            n=next(n),
            request={"keyId": key, "keySpec": "AES_256"},
        ),
        INVOKED_BY_DOC,
    )
    add(
        "kms:Encrypt",
        "KMS Encrypt calls",
        record(
            "kms.amazonaws.com",
            "Encrypt",
            who="FederatedUser",
            caller="go-sdk",
            region="eu-west-1",
            request={"keyId": key, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
            n=next(n),
        ),
        DOCUMENTED,
    )
    add(
        "kms:RotateKey",
        "KMS automatic key rotations (AWS service events)",
        record(
            "kms.amazonaws.com",
            "RotateKey",
            event_type="AwsServiceEvent",
            ip="kms.amazonaws.com",
            identity_block={"accountId": ACCOUNT, "invokedBy": "kms.amazonaws.com"},
            user_agent="kms.amazonaws.com",
            read_only=False,
            n=next(n),
        ),
        SERVICE_EVENTS_DOC,
    )

    # -- S3: object reads and writes, bucket probes, log delivery ------------------------------
    add(
        "s3:GetObject",
        "S3 GetObject calls",
        record(
            "s3.amazonaws.com",
            "GetObject",
            who="AssumedRole",
            caller="sdk",
            request={
                "bucketName": "app-assets",
                "key": "img/logo.png",
                "Host": "app-assets.s3.us-east-1.amazonaws.com",
            },
            n=next(n),
        ),
        DOCUMENTED,
    )
    add(
        "s3:PutObject",
        "S3 PutObject calls CloudTrail makes to deliver its log files",
        _aws_service(
            "s3.amazonaws.com",
            "PutObject",
            "cloudtrail.amazonaws.com",
            n=next(n),
            read_only=False,
            request={
                "bucketName": "org-trail-logs",
                "key": f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/07/30/x.json.gz",
            },
        ),
        INVOKED_BY_DOC,
    )
    add(
        "s3:HeadBucket",
        "S3 HeadBucket calls of the log-delivery service",
        _aws_service(
            "s3.amazonaws.com",
            "HeadBucket",
            "delivery.logs.amazonaws.com",
            n=next(n),
            request={"bucketName": "vpc-flow-logs-archive"},
        ),
        INVOKED_BY_DOC,
    )
    add(
        "s3:ListObjects",
        "S3 ListObjects (ListBucket) calls",
        record(
            "s3.amazonaws.com",
            "ListObjects",
            who="IAMUser",
            caller="cli",
            request={"bucketName": "app-assets", "prefix": "img/"},
            n=next(n),
        ),
        DOCUMENTED,
    )
    add(
        "s3:ListBuckets",
        "S3 ListBuckets calls from the console",
        record("s3.amazonaws.com", "ListBuckets", who="AssumedRole", caller="console", n=next(n)),
        DOCUMENTED,
    )
    add(
        "s3:GetBucketAcl",
        "S3 GetBucketAcl calls AWS Config's service-linked role makes",
        _service_linked(
            "s3.amazonaws.com",
            "GetBucketAcl",
            "config.amazonaws.com",
            n=next(n),
            role="AWSServiceRoleForConfig",
            request={"bucketName": "app-assets", "acl": ""},
        ),
        INVOKED_BY_DOC,
    )

    # -- EC2: Describe* from people, tools and services -----------------------------------------
    rec, src = real("aws.execution.ec2-user-data.json[0]")
    add("ec2:DescribeInstances", "EC2 Describe calls", rec, src)
    rec, src = real("aws.credential-access.ec2-steal-instance-credentials.json[20]")
    add("ec2:DescribeInstances", "EC2 Describe calls of assumed roles", rec, src)
    add(
        "ec2:DescribeSecurityGroups",
        "EC2 Describe calls AWS Config's service-linked role makes",
        _service_linked(
            "ec2.amazonaws.com",
            "DescribeSecurityGroups",
            "config.amazonaws.com",
            n=next(n),
            role="AWSServiceRoleForConfig",
            region="eu-west-1",
        ),
        INVOKED_BY_DOC,
    )
    add(
        "ec2:DescribeVpcs",
        "EC2 Describe calls from the console",
        record("ec2.amazonaws.com", "DescribeVpcs", who="AssumedRole", caller="console", n=next(n)),
        DOCUMENTED,
    )
    add(
        "ec2:DescribeNetworkInterfaces",
        "EC2 Describe calls Auto Scaling makes",
        _service_linked(
            "ec2.amazonaws.com",
            "DescribeNetworkInterfaces",
            "autoscaling.amazonaws.com",
            n=next(n),
            role="AWSServiceRoleForAutoScaling",
        ),
        INVOKED_BY_DOC,
    )

    # -- IAM: Get* / List* ----------------------------------------------------------------------
    add(
        "iam:GetRole",
        "IAM Get calls",
        record(
            "iam.amazonaws.com",
            "GetRole",
            who="AssumedRole",
            caller="sdk",
            request={"roleName": "developer"},
            n=next(n),
        ),
        DOCUMENTED,
    )
    add(
        "iam:ListRoles",
        "IAM List calls from the console",
        record("iam.amazonaws.com", "ListRoles", who="IAMUser", caller="console", n=next(n)),
        DOCUMENTED,
    )
    add(
        "iam:ListAttachedRolePolicies",
        "IAM List calls IAM Access Analyzer makes",
        _service_linked(
            "iam.amazonaws.com",
            "ListAttachedRolePolicies",
            "access-analyzer.amazonaws.com",
            n=next(n),
            role="AWSServiceRoleForAccessAnalyzer",
            request={"roleName": "developer"},
        ),
        INVOKED_BY_DOC,
    )
    add(
        "iam:GetPolicyVersion",
        "IAM Get calls",
        record(
            "iam.amazonaws.com",
            "GetPolicyVersion",
            who="FederatedUser",
            caller="cli",
            request={"policyArn": f"arn:aws:iam::{ACCOUNT}:policy/deploy", "versionId": "v3"},
            n=next(n),
        ),
        DOCUMENTED,
    )

    # -- STS: role assumption and identity checks ------------------------------------------------
    rec, src = real("aws.credential-access.ec2-get-password-data.json[30]")
    add("sts:AssumeRole", "STS AssumeRole calls", rec, src)
    add(
        "sts:AssumeRole",
        "STS AssumeRole calls AWS services make for you (Lambda execution roles)",
        _aws_service(
            "sts.amazonaws.com",
            "AssumeRole",
            "lambda.amazonaws.com",
            n=next(n),
            request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/billing-fn", "roleSessionName": "billing"},
        ),
        INVOKED_BY_DOC,
    )
    for key_ in (
        "aws.persistence.sts-federation-token.json[1]",
        "aws.credential-access.ec2-steal-instance-credentials.json[5]",
        "aws.persistence.iam-create-user-login-profile.json[0]",
    ):
        rec, src = real(key_)
        add("sts:GetCallerIdentity", "STS GetCallerIdentity calls", rec, src)

    # -- other services' high-volume reads and agents --------------------------------------------
    rec, src = real("aws.execution.ssm-start-session.json[0]")
    add("ssm:DescribeInstanceInformation", "Systems Manager agent calls", rec, src)
    rec, src = real("aws.credential-access.secretsmanager-retrieve-secrets.json[0]")
    add("secretsmanager:GetSecretValue", "Secrets Manager GetSecretValue calls", rec, src)
    add(
        "cloudtrail:LookupEvents",
        "CloudTrail LookupEvents calls from the console",
        record("cloudtrail.amazonaws.com", "LookupEvents", who="IAMUser", caller="console", n=next(n)),
        DOCUMENTED,
    )
    add(
        "config:PutEvaluations",
        "AWS Config rule evaluations",
        _service_linked(
            "config.amazonaws.com", "PutEvaluations", "config.amazonaws.com", n=next(n), role="AWSServiceRoleForConfig"
        ),
        INVOKED_BY_DOC,
    )
    add(
        "logs:CreateLogStream",
        "CloudWatch Logs log streams CloudTrail creates to deliver events",
        _aws_service(
            "logs.amazonaws.com",
            "CreateLogStream",
            "cloudtrail.amazonaws.com",
            n=next(n),
            read_only=False,
            request={"logGroupName": "aws-cloudtrail-logs", "logStreamName": f"{ACCOUNT}_CloudTrail_us-east-1"},
        ),
        INVOKED_BY_DOC,
    )
    add(
        "organizations:DescribeOrganization",
        "AWS Organizations Describe calls of services",
        _service_linked(
            "organizations.amazonaws.com",
            "DescribeOrganization",
            "securityhub.amazonaws.com",
            n=next(n),
            role="AWSServiceRoleForSecurityHub",
        ),
        INVOKED_BY_DOC,
    )
    # -- denied calls: CIS 4.1's events, routine in a working account (4.1 exempts them) ------------
    rec, src = real("aws.credential-access.ec2-get-password-data.json[32]")
    add("sts:AssumeRole", "denied API calls (CIS 4.1's events, routine in a working account)", rec, src)
    rec, src = real("aws.discovery.ec2-download-user-data.json[0]")
    add("ec2:DescribeInstanceAttribute", "denied API calls (CIS 4.1's events, routine in a working account)", rec, src)
    add(
        "kms:GenerateDataKey",
        "throttled KMS calls",
        record(
            "kms.amazonaws.com",
            "GenerateDataKey",
            who="AssumedRole",
            caller="sdk",
            error="ThrottlingException",
            message="Rate exceeded",
            n=next(n),
        ),
        DOCUMENTED,
    )
    return tuple(out)


#: the ordinary records, in a fixed order
CORPUS: tuple[Probe, ...] = _build()


@cache
def _own(exception: str | None) -> frozenset[int]:
    """Indices of the corpus records a control's `own_ordinary` pattern counts (its events)."""
    if not exception:
        return frozenset()
    from trailwatch_policy.filter_pattern import parse_cached as parse

    pattern = parse(exception)
    return frozenset(i for i, p in enumerate(CORPUS) if pattern.evaluate(p.record) is True)


def ordinary_for(exception: str | None) -> tuple[Probe, ...]:
    """The corpus records that are ordinary traffic for a control whose own events in the
    corpus `exception` (its row's `own_ordinary`) counts."""
    own = _own(exception)
    return tuple(p for i, p in enumerate(CORPUS) if i not in own)


@lru_cache(maxsize=4096)
def results(pattern_text: str) -> tuple[Any, ...]:
    """`evaluate` of a pattern on every corpus record, computed once per distinct pattern
    (the pattern must parse)."""
    from trailwatch_policy.filter_pattern import parse_cached as parse

    pattern = parse(pattern_text)
    return tuple(pattern.evaluate(p.record) for p in CORPUS)


def counted(pattern_text: str, exception: str | None) -> tuple[list[Probe], list[Probe]]:
    """The ordinary records (for a control with this `own_ordinary`) the pattern counts, and
    those whose outcome cannot be told."""
    own = _own(exception)
    hits: list[Probe] = []
    unsure: list[Probe] = []
    for i, r in enumerate(results(pattern_text)):
        if i in own:
            continue
        if r is True:
            hits.append(CORPUS[i])
        elif r is None:
            unsure.append(CORPUS[i])
    return hits, unsure
