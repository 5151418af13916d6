"""The meaning of each control as probe CloudTrail records (4.1's are in probes.py).

For a control about named API calls, every call the control names must match -- made by
every identity type, in several regions and partitions, from the console, the CLI and the
SDKs -- and read-only calls of the same service, same-named calls of other services and
ordinary traffic must not. Calls a published text leaves out although they change the same
thing, denied attempts and calls that can no longer happen may go either way (judged ok
both ways; docs/controls.md lists them as the published texts' gaps).

Sources: the vendored real records where one exists (``probes.real``), else AWS's
documented record format (``probes.DOCUMENTED`` / ``probes.SIGNIN_DOC``), noted per probe.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from trailwatch_policy import controls as table
from trailwatch_policy.controls.probes import (
    ACCOUNT,
    DENIAL_CODES,
    DOCUMENTED,
    EITHER,
    MFA_FAILED,
    MUST_MATCH,
    MUST_NOT_MATCH,
    PROBES,
    SIGNIN_DOC,
    Probe,
    identity,
    make,
    partition_of,
    real,
    record,
)

#: (who, region, caller): the variety every control's must-match calls are spread over
VARIANTS = (
    ("IAMUser", "us-east-1", "cli"),
    ("AssumedRole", "eu-west-1", "sdk"),
    ("Root", "ap-southeast-2", "console"),
    ("FederatedUser", "cn-north-1", "go-sdk"),
    ("AssumedRole", "us-gov-west-1", "console"),
    ("IAMUser", "sa-east-1", "sdk"),
    ("Root", "us-east-1", "cli"),
)
#: services whose events CloudTrail records in the partition's home region
GLOBAL = {"iam.amazonaws.com", "organizations.amazonaws.com"}
HOME = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}

#: the real record to start from, by (eventSource, eventName)
REAL: dict[tuple[str, str], str] = {
    ("iam.amazonaws.com", "AttachRolePolicy"): "aws.persistence.iam-create-backdoor-role.json[0]",
    ("iam.amazonaws.com", "AttachUserPolicy"): "aws.persistence.iam-create-admin-user.json[0]",
    ("cloudtrail.amazonaws.com", "DeleteTrail"): "aws.defense-evasion.cloudtrail-delete.json[0]",
    ("cloudtrail.amazonaws.com", "StopLogging"): "aws.defense-evasion.cloudtrail-stop.json[0]",
    ("cloudtrail.amazonaws.com", "PutEventSelectors"): "aws.defense-evasion.cloudtrail-event-selectors.json[0]",
    (
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
    ): "aws.exfiltration.ec2-security-group-open-port-22-ingress.json[0]",
    ("iam.amazonaws.com", "CreateUser"): "aws.persistence.iam-create-admin-user.json[2]",
}


class _Builder:
    def __init__(self) -> None:
        self.probes: list[Probe] = []
        self.n = 0

    def add(self, name: str, expectation: str, category: str, why: str, rec: dict[str, Any], source: str) -> None:
        self.probes.append(make(name, expectation, category, why, rec, source))

    def call(
        self,
        source: str,
        name: str,
        variant: tuple[str, str, str],
        *,
        read_only: bool = False,
        error: str | None = None,
        use_real: bool = True,
    ) -> tuple[dict[str, Any], str]:
        key = REAL.get((source, name))
        if key is not None and use_real and error is None:
            return real(key)
        who, region, caller = variant
        if source in GLOBAL:
            region = HOME[partition_of(region)]
        self.n += 1
        rec = record(
            source,
            name,
            who=who,
            region=region,
            caller=caller,
            read_only=read_only,
            error=error,
            message="Access Denied" if error else None,
            n=self.n,
        )
        return rec, DOCUMENTED


#: the ordinary corpus's records every API control also probes (ordinary.py reads them: one place)
ORDINARY_PROBES = (
    "aws.execution.ec2-user-data.json[0]",
    "aws.execution.ssm-start-session.json[0]",
    "aws.persistence.sts-federation-token.json[1]",
)


def _ordinary(b: _Builder) -> None:
    """Ordinary traffic no monitoring control counts: real records of the ordinary corpus
    (`ordinary.CORPUS`, where they are read), as must-not-match probes of the control."""
    from trailwatch_policy.controls.ordinary import CORPUS

    for key in ORDINARY_PROBES:
        [p] = [p for p in CORPUS if p.source == f"real record tests/data/cloudtrail-samples/{key}"]
        b.add(p.name, MUST_NOT_MATCH, "success", "ordinary traffic", copy.deepcopy(dict(p.record)), p.source)


def _api_control(
    c: table.Control,
    source: str,
    apis: tuple[str, ...],
    *,
    noise: tuple[str, ...],
    gaps: tuple[tuple[str, str, str], ...] = (),
    others: tuple[tuple[str, str], ...] = (),
) -> tuple[Probe, ...]:
    b = _Builder()
    svc = source.split(".")[0]
    for i, api in enumerate(apis):
        rec, src = b.call(source, api, VARIANTS[i % len(VARIANTS)])
        b.add(f"{svc}:{api}", MUST_MATCH, f"{svc}:{api}", f"{c.what} made with {api}", rec, src)
    first = apis[0]
    for variant in VARIANTS:  # the first call by every identity, region, partition and caller
        rec, src = b.call(source, first, variant, use_real=False)
        b.add(f"{svc}:{first}", MUST_MATCH, f"{svc}:{first}", f"{c.what} made with {first}", rec, src)
    for i, api in enumerate(noise):
        rec, src = b.call(source, api, VARIANTS[i % len(VARIANTS)], read_only=True)
        b.add(f"{svc}:{api}", MUST_NOT_MATCH, "read-only", f"read-only {svc} calls", rec, src)
    for other, api in others:
        rec, src = b.call(other, api, VARIANTS[1])
        why = f"other {svc} calls" if other == source else f"{api} calls of another service ({other})"
        b.add(f"{other.split('.')[0]}:{api}", MUST_NOT_MATCH, "other call", why, rec, src)
    rec, src = b.call(source, first, VARIANTS[1], error="AccessDenied")
    b.add(f"{svc}:{first}", EITHER, "denied attempt", "denied attempts (nothing changed)", rec, src)
    for gap_source, api, why in gaps:
        rec, src = b.call(gap_source, api, VARIANTS[0])
        b.add(f"{gap_source.split('.')[0]}:{api}", EITHER, "not named", why, rec, src)
    _ordinary(b)
    return tuple(b.probes)


def _signin(who: str, *, mfa: str | None, ok: bool, region: str = "us-east-1", n: int = 0) -> dict[str, Any]:
    """A ConsoleLogin record as AWS documents it (SIGNIN_DOC)."""
    rec = record(
        "signin.amazonaws.com",
        "ConsoleLogin",
        who=who,
        region=region,
        read_only=False,
        user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
        event_type="AwsConsoleSignIn",
        response={"ConsoleLogin": "Success" if ok else "Failure"},
        n=n,
    )
    rec["userIdentity"].pop("accessKeyId", None)
    if who != "AssumedRole":
        rec["userIdentity"].pop("sessionContext", None)
    extra: dict[str, str] = {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No"}
    if mfa is not None:
        extra["MFAUsed"] = mfa
    rec["additionalEventData"] = extra
    if not ok:
        rec["errorMessage"] = "Failed authentication"
    return rec


def _without_mfa(c: table.Control) -> tuple[Probe, ...]:
    b = _Builder()
    rec, src = real("aws.initial-access.console-login-without-mfa.json[0]")
    b.add("signin:ConsoleLogin", MUST_MATCH, "ConsoleLogin without MFA", "IAM users signing in without MFA", rec, src)
    b.add(
        "signin:ConsoleLogin",
        MUST_MATCH,
        "ConsoleLogin without MFA",
        "IAM users signing in without MFA",
        _signin("IAMUser", mfa="No", ok=True, region="cn-north-1", n=1),
        SIGNIN_DOC,
    )
    b.add(
        "signin:ConsoleLogin",
        MUST_MATCH,
        "ConsoleLogin without MFA",
        "the root user signing in without MFA",
        _signin("Root", mfa="No", ok=True, n=2),
        SIGNIN_DOC,
    )
    b.add(
        "signin:ConsoleLogin",
        MUST_MATCH,
        "ConsoleLogin without MFA",
        "the root user signing in without MFA",
        _signin("Root", mfa="No", ok=True, region="eu-west-1", n=3),
        SIGNIN_DOC,
    )
    for i, region in enumerate(("us-east-1", "eu-west-1")):
        b.add(
            "signin:ConsoleLogin",
            MUST_MATCH,
            "ConsoleLogin without MFA",
            "IAM users signing in without MFA",
            _signin("IAMUser", mfa="No", ok=True, region=region, n=40 + i),
            SIGNIN_DOC,
        )
    b.add(
        "signin:ConsoleLogin",
        MUST_NOT_MATCH,
        "with MFA",
        "sign-ins with MFA",
        _signin("IAMUser", mfa="Yes", ok=True, n=4),
        SIGNIN_DOC,
    )
    b.add(
        "signin:ConsoleLogin",
        MUST_NOT_MATCH,
        "with MFA",
        "sign-ins with MFA",
        _signin("Root", mfa="Yes", ok=True, region="eu-west-1", n=5),
        SIGNIN_DOC,
    )
    rec, src = real("aws.credential-access.ec2-get-password-data.json[32]")
    b.add("sts:AssumeRole", MUST_NOT_MATCH, "not a sign-in", "API calls (not sign-ins)", rec, src)
    b.add(
        "signin:ConsoleLogin",
        EITHER,
        "failed",
        "failed sign-ins without MFA (CIS 4.6's job)",
        _signin("IAMUser", mfa="No", ok=False, n=6),
        SIGNIN_DOC,
    )
    b.add(
        "signin:ConsoleLogin",
        EITHER,
        "federated",
        "federated sign-ins (MFA happens at the identity provider)",
        _signin("AssumedRole", mfa="No", ok=True, n=7),
        SIGNIN_DOC,
    )
    _ordinary(b)
    return tuple(b.probes)


def _root(c: table.Control) -> tuple[Probe, ...]:
    b = _Builder()
    for i, (name, source, read_only, error) in enumerate(
        (
            ("CreateAccessKey", "iam.amazonaws.com", False, None),
            ("DescribeInstances", "ec2.amazonaws.com", True, None),
            ("PutBucketPolicy", "s3.amazonaws.com", False, None),
            ("Decrypt", "kms.amazonaws.com", True, "AccessDeniedException"),
            ("ListUsers", "iam.amazonaws.com", True, None),
        )
    ):
        variant = ("Root", VARIANTS[i % len(VARIANTS)][1], VARIANTS[i % len(VARIANTS)][2])
        rec, src = b.call(source, name, variant, read_only=read_only, error=error)
        b.add(f"{source.split('.')[0]}:{name}", MUST_MATCH, "root", "root user activity", rec, src)
    b.add(
        "signin:ConsoleLogin",
        MUST_MATCH,
        "root sign-in",
        "root user sign-ins",
        _signin("Root", mfa="Yes", ok=True, n=10),
        SIGNIN_DOC,
    )
    for who in ("IAMUser", "AssumedRole", "FederatedUser"):
        rec, src = b.call("iam.amazonaws.com", "ListUsers", (who, "us-east-1", "cli"), read_only=True)
        b.add("iam:ListUsers", MUST_NOT_MATCH, "not root", "calls by other identities", rec, src)
    rec = record(
        "ec2.amazonaws.com",
        "DescribeInstances",
        identity_block={**identity("AssumedRole"), "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/RootCauseAnalysis/s"},
        n=11,
    )
    b.add(
        "ec2:DescribeInstances",
        MUST_NOT_MATCH,
        "not root",
        "a role whose name contains Root",
        rec,
        "built from AWS's documented record format (role renamed)",
    )
    rec = record(
        "kms.amazonaws.com",
        "RotateKey",
        event_type="AwsServiceEvent",
        ip="kms.amazonaws.com",
        identity_block={"type": "AWSService", "invokedBy": "kms.amazonaws.com"},
        user_agent="kms.amazonaws.com",
        n=12,
    )
    b.add(
        "kms:RotateKey",
        MUST_NOT_MATCH,
        "service event",
        "AWS service events",
        rec,
        "built from https://docs.aws.amazon.com/awscloudtrail/latest/userguide/non-api-aws-service-events.html",
    )
    rec = record(
        "s3.amazonaws.com",
        "GetBucketAcl",
        identity_block={**identity("Root"), "invokedBy": "support.amazonaws.com"},
        ip="support.amazonaws.com",
        user_agent="support.amazonaws.com",
        n=13,
    )
    b.add(
        "s3:GetBucketAcl",
        EITHER,
        "invoked by a service",
        "root credentials used by an AWS service for you",
        rec,
        "built from AWS's documented record format (userIdentity.invokedBy)",
    )
    _ordinary(b)
    return tuple(b.probes)


def _auth_failures(c: table.Control) -> tuple[Probe, ...]:
    b = _Builder()
    rec, src = real(
        "aws.initial-access.console-login-without-mfa.json[0]",
        responseElements={"ConsoleLogin": "Failure"},
        errorMessage="Failed authentication",
    )
    b.add("signin:ConsoleLogin", MUST_MATCH, "failed sign-in", "failed console sign-ins", rec, src)
    for i, (who, region) in enumerate((("Root", "us-east-1"), ("IAMUser", "cn-north-1"), ("IAMUser", "eu-west-1"))):
        b.add(
            "signin:ConsoleLogin",
            MUST_MATCH,
            "failed sign-in",
            "failed console sign-ins",
            _signin(who, mfa="No", ok=False, region=region, n=20 + i),
            SIGNIN_DOC,
        )
    b.add(
        "signin:ConsoleLogin",
        MUST_MATCH,
        "failed sign-in",
        "failed console sign-ins",
        _signin("IAMUser", mfa="Yes", ok=False, n=24),
        MFA_FAILED,
    )
    rec, src = real("aws.initial-access.console-login-without-mfa.json[0]")
    b.add("signin:ConsoleLogin", MUST_NOT_MATCH, "success", "successful sign-ins", rec, src)
    b.add(
        "signin:ConsoleLogin",
        MUST_NOT_MATCH,
        "success",
        "successful sign-ins",
        _signin("Root", mfa="Yes", ok=True, n=30),
        SIGNIN_DOC,
    )
    rec, src = real("aws.credential-access.ec2-get-password-data.json[32]")
    b.add("sts:AssumeRole", MUST_NOT_MATCH, "denied call", "denied API calls (CIS 4.1's job)", rec, src)
    _ordinary(b)
    return tuple(b.probes)


def api_probes(c: table.Control, calls: table.Calls) -> tuple[Probe, ...]:
    """The probes of a control about named API calls, from its row's `Calls`."""
    return _api_control(c, calls.source, calls.apis, noise=calls.noise, gaps=calls.gaps, others=calls.others)


@dataclass(frozen=True)
class Kind:
    """How a kind of control's probes are built and its misses worded (a row's `probes` names
    one, or is a `Calls`): the judge reads this, never a control id."""

    build: Callable[[table.Control], tuple[Probe, ...]]
    #: name each must-match group missed, partly or whole, with the calls missed (denial codes);
    #: otherwise the groups missed whole are counted in one sentence
    each_group: bool = False
    #: words for the must-match groups (None: each group's probe `why`)
    group_words: Mapping[str, str] | None = None
    #: the verdict's summary when ok (None: "counts every probe of <what>")
    ok: str | None = None
    #: the sentence for must-not-match probes other than successful calls that it counts
    #: ({codes}: their categories); None: one sentence per kind of probe
    other_errors: str | None = None


#: kinds of controls whose events are not named API calls (a row's `probes` names one)
KINDS: dict[str, Kind] = {
    "unauthorized": Kind(
        lambda c: PROBES,
        each_group=True,
        group_words={code: f"{who} denials" for code, who in DENIAL_CODES.items()},
        ok="monitors every denial (" + ", ".join(DENIAL_CODES) + ") and no ordinary traffic",
        other_errors=(
            "matches non-denial errors such as {codes} — the alarm would fire on "
            "throttling and failed requests that are not {what}"
        ),
    ),
    "without-mfa": Kind(_without_mfa),
    "root": Kind(_root),
    "auth-failures": Kind(_auth_failures),
}
#: compatibility: the probe builders by kind
BUILDERS: dict[str, Callable[[table.Control], tuple[Probe, ...]]] = {k: v.build for k, v in KINDS.items()}
_CALLS = Kind(lambda c: api_probes(c, c.probes))  # type: ignore[arg-type]


def kind(c: table.Control) -> Kind:
    """The kind of a control's probes (its row's `probes`)."""
    if isinstance(c.probes, table.Calls):
        return _CALLS
    found = KINDS.get(c.probes)
    if found is None:
        raise KeyError(f"control {c.id}: no probe kind {c.probes!r} (choose one of: {', '.join(KINDS)})")
    return found


@cache
def _probes_of(c: table.Control) -> tuple[Probe, ...]:
    return kind(c).build(c)


def probes_for(control: str | table.Control) -> tuple[Probe, ...]:
    """The probes of one control (a row, or any of its ids in the table in use), built once."""
    return _probes_of(control if isinstance(control, table.Control) else table.find(control))


def groups(control: str | table.Control) -> Mapping[str, str]:
    """Must-match category -> the words for what goes unnoticed when all of it is missed."""
    c = control if isinstance(control, table.Control) else table.find(control)
    words = kind(c).group_words
    if words is not None:
        return words
    out: dict[str, str] = {}
    for p in probes_for(c):
        if p.expectation == MUST_MATCH:
            out.setdefault(p.category, p.why)
    return out
