"""Probe CloudTrail records: what a pattern for a control must count, and must not.

The judgement evaluates a pattern on these records instead of comparing its text, so it
accepts every correct spelling and rejects every wrong one. This module holds the probe
type, the record builder every control's probes share, and the probes of the unauthorized
API calls control (CIS 4.1); ``control_probes`` builds the other controls' probes.

Every probe names its source: a real record copied from tests/data/cloudtrail-samples
(``samples.SAMPLES``; "with ... changed" says what was changed), or AWS's documented record
format (the CloudTrail User Guide pages cited in ``DOCUMENTED``). The probes span what real
traffic looks like -- every identity type, several regions and partitions, console, CLI and
SDK callers, query/XML and JSON protocol services, read-only and mutating calls -- so a
pattern that narrows a control by a field the control does not name misses some of them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trailwatch_policy.controls.samples import SAMPLES
from trailwatch_policy.controls.scanners import CIS_1_2

MUST_MATCH = "must-match"
MUST_NOT_MATCH = "must-not-match"
EITHER = "either"

ACCOUNT = "111122223333"
CLIENT_IP = "203.0.113.24"

#: AWS's documentation of the CloudTrail record format the built probes follow.
DOCUMENTED = (
    "built from AWS's documented record format: "
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html, "
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"
)
SIGNIN_DOC = (
    "built from AWS's documented sign-in records: "
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html"
)
#: a sign-in failing at the MFA challenge (right password, wrong code) carries MFAUsed "Yes"
MFA_FAILED = (
    SIGNIN_DOC + '; MFAUsed "Yes" on a failure as Splunk\'s detection "AWS Console Login Failed '
    'During MFA Challenge" reads it (https://detect.michaelhaag.org/explore/55349868-5583-466f-98ab-d3beb321961e)'
)

#: the denial error codes and who emits them (used in the judgement's sentences)
DENIAL_CODES: dict[str, str] = {
    "Client.UnauthorizedOperation": "EC2",
    "UnauthorizedOperation": "EC2 (without the Client. prefix)",
    "AccessDenied": "IAM, S3, STS, Organizations",
    "AccessDeniedException": "KMS, Lambda, DynamoDB, Secrets Manager",
}

#: facets a control may be narrowed by without naming them: facet -> (words, field)
FACETS: dict[str, tuple[str, str]] = {
    "identity": ("identity type", "userIdentity.type"),
    "partition": ("partition", "the ARNs' partition"),
    "region": ("region", "awsRegion"),
    "caller": ("caller", "userAgent / sessionCredentialFromConsole"),
    "access": ("read-only or mutating", "readOnly"),
}


@dataclass(frozen=True, eq=False)
class Probe:
    """One record and what a correct pattern does with it (compared by identity)."""

    name: str  # "ec2:DescribeInstances"
    expectation: str  # MUST_MATCH | MUST_NOT_MATCH | EITHER
    category: str  # must-match: the group a miss is reported by (errorCode or API);
    #                    otherwise "success", an errorCode, or what the probe exercises
    why: str  # one phrase, used when the pattern gets it wrong
    record: dict[str, Any]  # a dict: FilterPattern.evaluate takes JSON values, not any Mapping
    source: str = DOCUMENTED  # where the record comes from
    facets: Mapping[str, str] = field(default_factory=dict)

    def label(self) -> str:
        code = self.record.get("errorCode")
        return f"{self.name} {code}" if code else f"{self.name} (success)"


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


_USER_AGENTS = {
    "cli": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.ubuntu.22 prompt/off command/api",
    "sdk": "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#legacy",
    "go-sdk": "aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.0",
    # Calls made from the console carry "AWS Internal" and sessionCredentialFromConsole.
    "console": "AWS Internal",
}


def identity(kind: str, region: str = "us-east-1") -> dict[str, Any]:
    """A userIdentity block of the documented shape for one identity type."""
    p = partition_of(region)
    if kind == "IAMUser":
        return {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEUSER00001",
            "arn": f"arn:{p}:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAEXAMPLEKEY000001",
            "userName": "alice",
        }
    if kind == "Root":
        return {
            "type": "Root",
            "principalId": ACCOUNT,
            "arn": f"arn:{p}:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEROOT00001",
            "sessionContext": {"attributes": {"creationDate": "2024-07-30T20:58:02Z", "mfaAuthenticated": "true"}},
        }
    if kind == "FederatedUser":
        return {
            "type": "FederatedUser",
            "principalId": f"{ACCOUNT}:partner",
            "arn": f"arn:{p}:sts::{ACCOUNT}:federated-user/partner",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEFED000001",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "IAMUser",
                    "principalId": "AIDAEXAMPLEBROKER001",
                    "arn": f"arn:{p}:iam::{ACCOUNT}:user/token-broker",
                    "accountId": ACCOUNT,
                    "userName": "token-broker",
                },
                "webIdFederationData": {},
                "attributes": {"creationDate": "2024-07-30T21:02:11Z", "mfaAuthenticated": "false"},
            },
        }
    if kind == "AWSService":
        return {"type": "AWSService", "invokedBy": "config.amazonaws.com"}
    if kind == "anonymous":  # S3 requests without credentials
        return {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}
    if kind == "AssumedRole":
        return {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEPRINCIPAL1:dev-session",
            "arn": f"arn:{p}:sts::{ACCOUNT}:assumed-role/developer/dev-session",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEKEY000001",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEPRINCIPAL1",
                    "arn": f"arn:{p}:iam::{ACCOUNT}:role/developer",
                    "accountId": ACCOUNT,
                    "userName": "developer",
                },
                "attributes": {"creationDate": "2024-07-30T21:31:15Z", "mfaAuthenticated": "false"},
            },
        }
    raise ValueError(f"unknown identity kind {kind!r}")


def record(
    source: str,
    name: str,
    *,
    error: str | None = None,
    message: str | None = None,
    ip: str | None = CLIENT_IP,
    read_only: bool = True,
    request: Mapping[str, Any] | None = None,
    response: Mapping[str, Any] | None = None,
    identity_block: Mapping[str, Any] | None = None,
    who: str = "AssumedRole",
    region: str = "us-east-1",
    caller: str = "cli",
    user_agent: str | None = None,
    event_type: str = "AwsApiCall",
    n: int = 0,
) -> dict[str, Any]:
    """A full CloudTrail record of the documented shape."""
    service = source.split(".")[0]
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": dict(identity_block) if identity_block is not None else identity(who, region),
        "eventTime": f"2024-07-30T21:{31 + n // 60:02d}:{n % 60:02d}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "userAgent": user_agent or _USER_AGENTS[caller],
        "requestParameters": dict(request) if request is not None else None,
        "responseElements": dict(response) if response is not None else None,
        "requestID": f"0c3f5a8e-1d2b-4c6a-9e7f-{n:012d}",
        "eventID": f"7a1b2c3d-4e5f-4a6b-8c7d-{n:012d}",
        "readOnly": read_only,
        "eventType": event_type,
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{service}.{region}.amazonaws.com",
        },
    }
    if caller == "console" and user_agent is None:
        rec["sessionCredentialFromConsole"] = "true"
    if ip is not None:
        rec["sourceIPAddress"] = ip
    if error is not None:
        rec["errorCode"] = error
        rec["errorMessage"] = message or f"{error} while calling {name}"
    return rec


def real(key: str, **changes: Any) -> tuple[dict[str, Any], str]:
    """A copy of a vendored real record with `changes` applied (None deletes a key), and its source."""
    rec = copy.deepcopy(SAMPLES[key])
    for k, v in changes.items():
        if v is None:
            rec.pop(k, None)
        else:
            rec[k] = v
    source = f"real record tests/data/cloudtrail-samples/{key}"
    if changes:
        source += " with " + ", ".join(sorted(changes)) + " changed"
    return rec, source


def facets_of(rec: Mapping[str, Any]) -> dict[str, str]:
    """The facets of a record a control must not be narrowed by."""
    who = rec.get("userIdentity") or {}
    kind = str(who.get("type", "?"))
    if who.get("accountId") == "anonymous":
        kind = "anonymous"
    agent = str(rec.get("userAgent", ""))
    if (
        rec.get("sessionCredentialFromConsole") == "true"
        or agent == "AWS Internal"
        or rec.get("eventType") == "AwsConsoleSignIn"
    ):
        caller = "console"
    elif agent.startswith("aws-cli/"):
        caller = "CLI"
    elif agent.startswith(("Boto3/", "aws-sdk-", "aws-sdk-go")):
        caller = "SDK"
    else:
        caller = "other tools"
    arn = str(who.get("arn", ""))
    partition = arn.split(":")[1] if arn.startswith("arn:") else partition_of(str(rec.get("awsRegion", "")))
    return {
        "identity": kind,
        "partition": partition,
        "region": str(rec.get("awsRegion", "?")),
        "caller": caller,
        "access": "read-only" if rec.get("readOnly") else "mutating",
    }


def make(name: str, expectation: str, category: str, why: str, rec: dict[str, Any], source: str = DOCUMENTED) -> Probe:
    return Probe(name, expectation, category, why, rec, source, facets_of(rec))


def _denied(
    action: str, resource: str, principal: str = f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/dev-session"
) -> str:
    return (
        f"User: {principal} is not authorized to perform: "
        f"{action} on resource: {resource} because no identity-based policy allows the {action} action"
    )


_DELIVERY_IDENTITY = {"type": "AWSService", "invokedBy": "delivery.logs.amazonaws.com"}


def _unauthorized() -> tuple[Probe, ...]:
    probes: list[Probe] = []

    def add(
        name: str, expectation: str, category: str, why: str, rec: dict[str, Any], source: str = DOCUMENTED
    ) -> None:
        probes.append(make(name, expectation, category, why, rec, source))

    n = iter(range(1000))
    # --- denials every correct pattern counts: every identity type, several regions and
    #     partitions, console/CLI/SDK callers, query/XML and JSON protocols, reads and writes
    rec, src = real("aws.credential-access.ec2-get-password-data.json[0]")
    add("ec2:GetPasswordData", MUST_MATCH, "Client.UnauthorizedOperation", "EC2 denials", rec, src)
    rec, src = real("aws.execution.ec2-launch-unusual-instances.json[0]")
    add("ec2:RunInstances", MUST_MATCH, "Client.UnauthorizedOperation", "EC2 denials of mutating calls", rec, src)
    rec, src = real("aws.discovery.ec2-download-user-data.json[0]")
    add("ec2:DescribeInstanceAttribute", MUST_MATCH, "Client.UnauthorizedOperation", "EC2 denials", rec, src)
    add(
        "ec2:DescribeVpcs",
        MUST_MATCH,
        "Client.UnauthorizedOperation",
        "EC2 denials in the China partition",
        record(
            "ec2.amazonaws.com",
            "DescribeVpcs",
            error="Client.UnauthorizedOperation",
            who="IAMUser",
            region="cn-north-1",
            caller="sdk",
            message="You are not authorized to perform this operation. User: "
            f"arn:aws-cn:iam::{ACCOUNT}:user/alice is not authorized to perform: ec2:DescribeVpcs",
            request={"vpcSet": {}, "filterSet": {}},
            n=next(n),
        ),
    )
    add(
        "ec2:RunInstances",
        MUST_MATCH,
        "UnauthorizedOperation",
        "EC2 denials reported without the Client. prefix",
        record(
            "ec2.amazonaws.com",
            "RunInstances",
            error="UnauthorizedOperation",
            message="You are not authorized to perform this operation.",
            read_only=False,
            region="eu-west-1",
            request={
                "instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]},
                "instanceType": "t3.micro",
            },
            n=next(n),
        ),
    )
    add(
        "iam:CreateUser",
        MUST_MATCH,
        "AccessDenied",
        "IAM denials in the console",
        record(
            "iam.amazonaws.com",
            "CreateUser",
            error="AccessDenied",
            read_only=False,
            who="IAMUser",
            caller="console",
            message=_denied(
                "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor", f"arn:aws:iam::{ACCOUNT}:user/alice"
            ),
            request={"userName": "backdoor"},
            n=next(n),
        ),
    )
    add(
        "s3:GetObject",
        MUST_MATCH,
        "AccessDenied",
        "S3 denials of anonymous requests",
        record(
            "s3.amazonaws.com",
            "GetObject",
            error="AccessDenied",
            message="Access Denied",
            who="anonymous",
            region="eu-west-1",
            user_agent="curl/8.5.0",
            request={
                "bucketName": "payroll-exports",
                "key": "2024/07/salaries.csv",
                "Host": "payroll-exports.s3.eu-west-1.amazonaws.com",
            },
            n=next(n),
        ),
    )
    rec, src = real("aws.credential-access.ec2-get-password-data.json[32]")
    add("sts:AssumeRole", MUST_MATCH, "AccessDenied", "STS denials", rec, src)
    rec, src = real("aws.defense-evasion.organizations-leave.json[1]")
    add("organizations:LeaveOrganization", MUST_MATCH, "AccessDenied", "Organizations denials", rec, src)
    add(
        "s3:PutObject",
        MUST_MATCH,
        "AccessDenied",
        "denials of an AWS service acting for you",
        record(
            "s3.amazonaws.com",
            "PutObject",
            error="AccessDenied",
            message="Access Denied",
            read_only=False,
            who="AWSService",
            ip="config.amazonaws.com",
            user_agent="config.amazonaws.com",
            region="ap-southeast-2",
            request={"bucketName": "config-history", "key": f"AWSLogs/{ACCOUNT}/Config/ConfigHistory.json.gz"},
            n=next(n),
        ),
    )
    add(
        "kms:Decrypt",
        MUST_MATCH,
        "AccessDeniedException",
        "KMS denials of the root user",
        record(
            "kms.amazonaws.com",
            "Decrypt",
            error="AccessDeniedException",
            who="Root",
            region="ap-southeast-2",
            message=_denied(
                "kms:Decrypt",
                f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                f"arn:aws:iam::{ACCOUNT}:root",
            ),
            request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
            n=next(n),
        ),
    )
    add(
        "lambda:UpdateFunctionCode",
        MUST_MATCH,
        "AccessDeniedException",
        "Lambda denials of federated users",
        record(
            "lambda.amazonaws.com",
            "UpdateFunctionCode20150331v2",
            error="AccessDeniedException",
            read_only=False,
            who="FederatedUser",
            region="cn-northwest-1",
            caller="go-sdk",
            message=_denied(
                "lambda:UpdateFunctionCode",
                f"arn:aws-cn:lambda:cn-northwest-1:{ACCOUNT}:function:billing",
                f"arn:aws-cn:sts::{ACCOUNT}:federated-user/partner",
            ),
            request={"functionName": "billing"},
            n=next(n),
        ),
    )
    add(
        "dynamodb:Scan",
        MUST_MATCH,
        "AccessDeniedException",
        "DynamoDB denials in the console",
        record(
            "dynamodb.amazonaws.com",
            "Scan",
            error="AccessDeniedException",
            caller="console",
            region="eu-central-1",
            message=_denied("dynamodb:Scan", f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/customers"),
            request={"tableName": "customers"},
            n=next(n),
        ),
    )
    add(
        "secretsmanager:GetSecretValue",
        MUST_MATCH,
        "AccessDeniedException",
        "Secrets Manager denials in GovCloud",
        record(
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            error="AccessDeniedException",
            who="IAMUser",
            region="us-gov-west-1",
            caller="sdk",
            message=_denied(
                "secretsmanager:GetSecretValue",
                f"arn:aws-us-gov:secretsmanager:us-gov-west-1:{ACCOUNT}:secret:prod/db-AbCdEf",
                f"arn:aws-us-gov:iam::{ACCOUNT}:user/alice",
            ),
            request={"secretId": "prod/db"},
            n=next(n),
        ),
    )

    # --- ordinary traffic: successful calls (no errorCode key at all) ----------
    rec, src = real("aws.execution.ec2-user-data.json[0]")
    add("ec2:DescribeInstances", MUST_NOT_MATCH, "success", "successful calls", rec, src)
    add(
        "s3:HeadBucket",
        MUST_NOT_MATCH,
        "success",
        "successful calls by the log-delivery service",
        record(
            "s3.amazonaws.com",
            "HeadBucket",
            ip="delivery.logs.amazonaws.com",
            identity_block=_DELIVERY_IDENTITY,
            user_agent="delivery.logs.amazonaws.com",
            request={"bucketName": "vpc-flow-logs-archive", "Host": "vpc-flow-logs-archive.s3.us-east-1.amazonaws.com"},
            n=next(n),
        ),
    )
    rec, src = real("aws.initial-access.console-login-without-mfa.json[0]")
    add("signin:ConsoleLogin", MUST_NOT_MATCH, "success", "successful console sign-ins", rec, src)
    add(
        "iam:ListUsers",
        MUST_NOT_MATCH,
        "success",
        "successful calls",
        record("iam.amazonaws.com", "ListUsers", who="Root", caller="console", n=next(n)),
    )
    rec, src = real("aws.persistence.sts-federation-token.json[1]")
    add("sts:GetCallerIdentity", MUST_NOT_MATCH, "success", "successful calls", rec, src)
    add(
        "kms:Decrypt",
        MUST_NOT_MATCH,
        "success",
        "successful calls",
        record("kms.amazonaws.com", "Decrypt", request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, n=next(n)),
    )
    rec, src = real("aws.credential-access.secretsmanager-retrieve-secrets.json[0]")
    add("secretsmanager:GetSecretValue", MUST_NOT_MATCH, "success", "successful calls", rec, src)
    add(
        "s3:PutObject",
        MUST_NOT_MATCH,
        "success",
        "successful calls made by AWS services",
        record(
            "s3.amazonaws.com",
            "PutObject",
            ip="cloudtrail.amazonaws.com",
            read_only=False,
            identity_block={"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
            user_agent="cloudtrail.amazonaws.com",
            request={
                "bucketName": "org-trail-logs",
                "key": f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/07/30/x.json.gz",
            },
            n=next(n),
        ),
    )
    add(
        "logs:PutMetricFilter",
        MUST_NOT_MATCH,
        "success",
        "successful calls whose text mentions the codes",
        record(
            "logs.amazonaws.com",
            "PutMetricFilter",
            read_only=False,
            request={
                "logGroupName": "aws-cloudtrail-logs",
                "filterName": "UnauthorizedAPICalls",
                "filterPattern": CIS_1_2,
                "metricTransformations": [
                    {
                        "metricName": "UnauthorizedAPICalls",
                        "metricNamespace": "CISBenchmark",
                        "metricValue": "1",
                        "defaultValue": 0.0,
                    }
                ],
            },
            n=next(n),
        ),
    )

    # --- errors that are not denials: throttling, validation, missing things ----
    for source, name, code in (
        ("kms.amazonaws.com", "GenerateDataKey", "ThrottlingException"),
        ("ec2.amazonaws.com", "DescribeSnapshots", "Client.RequestLimitExceeded"),
        ("bedrock.amazonaws.com", "InvokeModel", "ValidationException"),
        ("iam.amazonaws.com", "GetUser", "NoSuchEntityException"),
        ("cloudtrail.amazonaws.com", "StopLogging", "TrailNotFoundException"),
    ):
        add(
            f"{source.split('.')[0]}:{name}",
            MUST_NOT_MATCH,
            code,
            "errors that are not denials",
            record(source, name, error=code, read_only=name.startswith(("Describe", "Get", "Generate")), n=next(n)),
        )
    rec, src = real("aws.persistence.iam-create-user-login-profile.json[1]")
    add(
        "iam:DeleteLoginProfile",
        MUST_NOT_MATCH,
        "EntityTemporarilyUnmodifiableException",
        "errors that are not denials",
        rec,
        src,
    )
    add(
        "signin:ConsoleLogin",
        MUST_NOT_MATCH,
        "failed sign-in",
        "failed console sign-ins (CIS 4.6's job)",
        record(
            "signin.amazonaws.com",
            "ConsoleLogin",
            who="IAMUser",
            caller="console",
            read_only=False,
            event_type="AwsConsoleSignIn",
            message="Failed authentication",
            response={"ConsoleLogin": "Failure"},
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            n=next(n),
        )
        | {"errorMessage": "Failed authentication"},
        SIGNIN_DOC,
    )

    # --- may go either way: exactly what CIS 2.0 chose to exclude --------------
    add(
        "s3:HeadBucket",
        EITHER,
        "HeadBucket denial",
        "AccessDenied on HeadBucket",
        record(
            "s3.amazonaws.com",
            "HeadBucket",
            error="AccessDenied",
            message="Access Denied",
            request={"bucketName": "someone-elses-bucket", "Host": "someone-elses-bucket.s3.us-east-1.amazonaws.com"},
            n=next(n),
        ),
    )
    add(
        "s3:GetBucketAcl",
        EITHER,
        "log-delivery denial",
        "AccessDenied from delivery.logs.amazonaws.com",
        record(
            "s3.amazonaws.com",
            "GetBucketAcl",
            error="AccessDenied",
            message="Access Denied",
            ip="delivery.logs.amazonaws.com",
            identity_block=_DELIVERY_IDENTITY,
            user_agent="delivery.logs.amazonaws.com",
            request={"bucketName": "vpc-flow-logs-archive", "acl": ""},
            n=next(n),
        ),
    )
    add(
        "sts:AssumeRole",
        EITHER,
        "denial without sourceIPAddress",
        "AccessDenied without sourceIPAddress",
        record(
            "sts.amazonaws.com",
            "AssumeRole",
            error="AccessDenied",
            ip=None,
            message=_denied("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/audit"),
            n=next(n),
        ),
    )
    return tuple(probes)


#: the probes of the unauthorized API calls control (CIS 4.1)
PROBES: tuple[Probe, ...] = _unauthorized()


def probes(expectation: str | None = None) -> tuple[Probe, ...]:
    """The 4.1 probes, optionally only those with one expectation."""
    if expectation is None:
        return PROBES
    return tuple(p for p in PROBES if p.expectation == expectation)
