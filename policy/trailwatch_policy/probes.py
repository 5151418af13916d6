"""Built-in probe CloudTrail records: what a pattern for "unauthorized API calls" must count.

The judgement evaluates a pattern on these records instead of comparing its text, so
it accepts every correct spelling and rejects every wrong one. The records are full
CloudTrail records shaped like the real ones in ../shared/data/cloudtrail-samples/
(anonymised account ids and addresses): a pattern that keys on any field sees what
it would see in a real log group.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

MUST_MATCH = "must-match"
MUST_NOT_MATCH = "must-not-match"
EITHER = "either"

ACCOUNT = "111122223333"
CLIENT_IP = "203.0.113.24"

#: the denial error codes and who emits them (used in the judgement's sentences)
DENIAL_CODES: dict[str, str] = {
    "Client.UnauthorizedOperation": "EC2",
    "UnauthorizedOperation": "EC2 (without the Client. prefix)",
    "AccessDenied": "IAM, S3, STS, Organizations",
    "AccessDeniedException": "KMS, Lambda, DynamoDB, Secrets Manager",
}


@dataclass(frozen=True, eq=False)
class Probe:
    """One record and what a correct pattern does with it (compared by identity)."""

    name: str          # "ec2:DescribeInstances"
    expectation: str   # MUST_MATCH | MUST_NOT_MATCH | EITHER
    category: str      # the errorCode, "success", or the CIS 2.0 exclusion it exercises
    why: str           # one phrase, used when the pattern gets it wrong
    record: dict[str, Any]  # a dict: FilterPattern.evaluate takes JSON values, not any Mapping

    def label(self) -> str:
        code = self.record.get("errorCode")
        return f"{self.name} {code}" if code else f"{self.name} (success)"


def _record(
    source: str,
    name: str,
    *,
    error: str | None = None,
    message: str | None = None,
    ip: str | None = CLIENT_IP,
    read_only: bool = True,
    request: Mapping[str, Any] | None = None,
    response: Mapping[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
    user_agent: str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.ubuntu.22 prompt/off command/api",
    n: int = 0,
) -> dict[str, Any]:
    service = source.split(".")[0]
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": dict(identity) if identity is not None else {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEPRINCIPAL1:dev-session",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/dev-session",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEKEY000001",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEPRINCIPAL1",
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/developer",
                    "accountId": ACCOUNT,
                    "userName": "developer",
                },
                "attributes": {"creationDate": "2024-07-30T21:31:15Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": f"2024-07-30T21:{31 + n // 60:02d}:{n % 60:02d}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "userAgent": user_agent,
        "requestParameters": dict(request) if request is not None else None,
        "responseElements": dict(response) if response is not None else None,
        "requestID": f"0c3f5a8e-1d2b-4c6a-9e7f-{n:012d}",
        "eventID": f"7a1b2c3d-4e5f-4a6b-8c7d-{n:012d}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{service}.us-east-1.amazonaws.com",
        },
    }
    if ip is not None:
        record["sourceIPAddress"] = ip
    if error is not None:
        record["errorCode"] = error
        record["errorMessage"] = message or f"{error} while calling {name}"
    return record


def _denied(action: str, resource: str) -> str:
    return (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/developer/dev-session is not authorized to perform: "
        f"{action} on resource: {resource} because no identity-based policy allows the {action} action"
    )


_SERVICE_IDENTITY = {"type": "AWSService", "invokedBy": "delivery.logs.amazonaws.com"}


def _build() -> tuple[Probe, ...]:
    probes: list[Probe] = []

    def add(name: str, expectation: str, category: str, why: str, record: dict[str, Any]) -> None:
        probes.append(Probe(name, expectation, category, why, record))

    n = iter(range(1000))
    # --- denials every correct pattern counts ---------------------------------
    add("ec2:GetPasswordData", MUST_MATCH, "Client.UnauthorizedOperation", "EC2 denials",
        _record("ec2.amazonaws.com", "GetPasswordData", error="Client.UnauthorizedOperation",
                message="You are not authorized to perform this operation. " + _denied(
                    "ec2:GetPasswordData", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc123def4567890"),
                request={"instanceId": "i-0abc123def4567890"}, n=next(n)))
    add("ec2:RunInstances", MUST_MATCH, "UnauthorizedOperation", "EC2 denials reported without the Client. prefix",
        _record("ec2.amazonaws.com", "RunInstances", error="UnauthorizedOperation",
                message="You are not authorized to perform this operation.", read_only=False,
                request={"instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]},
                         "instanceType": "t3.micro"}, n=next(n)))
    add("iam:CreateUser", MUST_MATCH, "AccessDenied", "IAM denials",
        _record("iam.amazonaws.com", "CreateUser", error="AccessDenied", read_only=False,
                message=_denied("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
                request={"userName": "backdoor"}, n=next(n)))
    add("s3:GetObject", MUST_MATCH, "AccessDenied", "S3 denials",
        _record("s3.amazonaws.com", "GetObject", error="AccessDenied", message="Access Denied",
                request={"bucketName": "payroll-exports", "key": "2024/07/salaries.csv", "Host": "payroll-exports.s3.us-east-1.amazonaws.com"},
                n=next(n)))
    add("sts:AssumeRole", MUST_MATCH, "AccessDenied", "STS denials",
        _record("sts.amazonaws.com", "AssumeRole", error="AccessDenied",
                message=_denied("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"),
                n=next(n)))
    add("kms:Decrypt", MUST_MATCH, "AccessDeniedException", "KMS denials",
        _record("kms.amazonaws.com", "Decrypt", error="AccessDeniedException",
                message=_denied("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
                request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, n=next(n)))
    add("lambda:GetFunction", MUST_MATCH, "AccessDeniedException", "Lambda denials",
        _record("lambda.amazonaws.com", "GetFunction20150331v2", error="AccessDeniedException",
                message=_denied("lambda:GetFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:billing"),
                request={"functionName": "billing"}, n=next(n)))
    add("dynamodb:Scan", MUST_MATCH, "AccessDeniedException", "DynamoDB denials",
        _record("dynamodb.amazonaws.com", "Scan", error="AccessDeniedException",
                message=_denied("dynamodb:Scan", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/customers"),
                request={"tableName": "customers"}, n=next(n)))
    add("secretsmanager:GetSecretValue", MUST_MATCH, "AccessDeniedException", "Secrets Manager denials",
        _record("secretsmanager.amazonaws.com", "GetSecretValue", error="AccessDeniedException",
                message=_denied("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-AbCdEf"),
                request={"secretId": "prod/db"}, n=next(n)))

    # --- ordinary traffic: successful calls (no errorCode key at all) ----------
    add("ec2:DescribeInstances", MUST_NOT_MATCH, "success", "successful calls",
        _record("ec2.amazonaws.com", "DescribeInstances",
                request={"instancesSet": {}, "filterSet": {}}, n=next(n)))
    add("s3:HeadBucket", MUST_NOT_MATCH, "success", "successful calls by the log-delivery service",
        _record("s3.amazonaws.com", "HeadBucket", ip="delivery.logs.amazonaws.com", identity=_SERVICE_IDENTITY,
                user_agent="delivery.logs.amazonaws.com",
                request={"bucketName": "vpc-flow-logs-archive", "Host": "vpc-flow-logs-archive.s3.us-east-1.amazonaws.com"},
                n=next(n)))
    add("iam:ListUsers", MUST_NOT_MATCH, "success", "successful calls",
        _record("iam.amazonaws.com", "ListUsers", n=next(n)))
    add("sts:GetCallerIdentity", MUST_NOT_MATCH, "success", "successful calls",
        _record("sts.amazonaws.com", "GetCallerIdentity", n=next(n)))
    add("kms:Decrypt", MUST_NOT_MATCH, "success", "successful calls",
        _record("kms.amazonaws.com", "Decrypt", request={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, n=next(n)))
    add("ssm:GetParameter", MUST_NOT_MATCH, "success", "successful calls",
        _record("ssm.amazonaws.com", "GetParameter", request={"name": "/app/config", "withDecryption": False}, n=next(n)))
    add("s3:PutObject", MUST_NOT_MATCH, "success", "successful calls made by AWS services",
        _record("s3.amazonaws.com", "PutObject", ip="cloudtrail.amazonaws.com", read_only=False,
                identity={"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}, user_agent="cloudtrail.amazonaws.com",
                request={"bucketName": "org-trail-logs", "key": f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/07/30/x.json.gz"},
                n=next(n)))

    add("logs:PutMetricFilter", MUST_NOT_MATCH, "success", "successful calls whose text mentions the codes",
        _record("logs.amazonaws.com", "PutMetricFilter", read_only=False,
                request={"logGroupName": "aws-cloudtrail-logs", "filterName": "UnauthorizedAPICalls",
                         "filterPattern": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
                         "metricTransformations": [{"metricName": "UnauthorizedAPICalls", "metricNamespace": "CISBenchmark",
                                                    "metricValue": "1", "defaultValue": 0.0}]},
                n=next(n)))

    # --- errors that are not denials ------------------------------------------
    for source, name, code in (
        ("kms.amazonaws.com", "GenerateDataKey", "ThrottlingException"),
        ("ec2.amazonaws.com", "DescribeSnapshots", "Client.RequestLimitExceeded"),
        ("bedrock.amazonaws.com", "InvokeModel", "ValidationException"),
        ("iam.amazonaws.com", "GetUser", "NoSuchEntityException"),
        ("iam.amazonaws.com", "DeleteLoginProfile", "EntityTemporarilyUnmodifiableException"),
        ("cloudtrail.amazonaws.com", "StopLogging", "TrailNotFoundException"),
    ):
        add(f"{source.split('.')[0]}:{name}", MUST_NOT_MATCH, code, "errors that are not denials",
            _record(source, name, error=code, read_only=name.startswith(("Describe", "Get", "Generate")), n=next(n)))

    # --- may go either way: exactly what CIS 2.0 chose to exclude --------------
    add("s3:HeadBucket", EITHER, "HeadBucket denial", "AccessDenied on HeadBucket",
        _record("s3.amazonaws.com", "HeadBucket", error="AccessDenied", message="Access Denied",
                request={"bucketName": "someone-elses-bucket", "Host": "someone-elses-bucket.s3.us-east-1.amazonaws.com"},
                n=next(n)))
    add("s3:GetBucketAcl", EITHER, "log-delivery denial", "AccessDenied from delivery.logs.amazonaws.com",
        _record("s3.amazonaws.com", "GetBucketAcl", error="AccessDenied", message="Access Denied",
                ip="delivery.logs.amazonaws.com", identity=_SERVICE_IDENTITY, user_agent="delivery.logs.amazonaws.com",
                request={"bucketName": "vpc-flow-logs-archive", "acl": ""}, n=next(n)))
    add("sts:AssumeRole", EITHER, "denial without sourceIPAddress", "AccessDenied without sourceIPAddress",
        _record("sts.amazonaws.com", "AssumeRole", error="AccessDenied", ip=None,
                message=_denied("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/audit"), n=next(n)))
    return tuple(probes)


PROBES: tuple[Probe, ...] = _build()


def probes(expectation: str | None = None) -> tuple[Probe, ...]:
    """The built-in probes, optionally only those with one expectation."""
    if expectation is None:
        return PROBES
    return tuple(p for p in PROBES if p.expectation == expectation)
