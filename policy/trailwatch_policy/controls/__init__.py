"""The CIS AWS Foundations monitoring section: ONE table of controls, one row per control.

Every fact about a control lives in its row: its id in each framework, the pack's policy name
(a stable interface), the names of what a stack deploys for it (metric, filter, alarm), the
words messages use for its events, the texts each framework publishes and the scanner models
that compare them, the events it must count (`probes`, built by control_probes.py), the event
sources its events come from, and its default enforcement level. The program (trailwatch.component.monitor,
trailwatch.component.patterns), the pack, the audit, `trailwatch pattern`, the SARIF rules and the table in
docs/controls.md all read the row; no code outside this table branches on a control's id.

The table in use is swappable (`use(table)`): a test adds a control by passing a table with one
more row, and the pack, the audit and `trailwatch pattern` judge it with no other change.
Sources of the texts and where a published text is wrong: docs/controls.md.

Pure data and stdlib: the pack imports this at start-up to name its policies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from trailwatch_policy.controls.scanners import (
    CIS_1_2,
    CIS_1_4,
    CIS_2_0,
    REQUIREMENTS,
    STEAMPIPE_CLAUSES,
    _without_blanks_outside_quotes,
)

Enforcement = Literal["mandatory", "advisory", "disabled"]
#: `Control.event_sources` of a control whose events any service records (denied calls, the root user)
ANY_SOURCE = "*"
#: console sign-in events, ConsoleLogin (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html)
SIGNIN = "signin.amazonaws.com"
EC2 = "ec2.amazonaws.com"


@dataclass(frozen=True)
class Calls:
    """A control about named API calls of one service: what its probes are built from
    (control_probes.api_probes). Every call in `apis` must be counted, by every identity,
    region and caller; `noise` (read-only calls of the service) and `others` (other calls,
    or same-named calls of another service) must not; `gaps` (calls the published text
    leaves out although they change the same thing) may go either way."""

    source: str  # e.g. "kms.amazonaws.com"
    apis: tuple[str, ...]
    noise: tuple[str, ...] = ()
    gaps: tuple[tuple[str, str, str], ...] = ()  # (eventSource, eventName, why)
    others: tuple[tuple[str, str], ...] = ()  # (eventSource, eventName)


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity: a row is one control
class Control:
    """One control of the CIS monitoring section: every fact about it, read by program, pack, audit, `pattern`
    and docs."""

    id: str  # CIS AWS Foundations 1.4/1.5/2.0/3.0 id, e.g. "4.3"
    cis12: str | None  # CIS 1.2 id, e.g. "3.3"
    securityhub: str | None  # AWS Security Hub control id, e.g. "CloudWatch.1"
    policy: str  # the pack's policy name (stable)
    what: str  # its events, plural, for sentences: "uses of the root user"
    metric: str  # metric name trailwatch publishes, e.g. "UnauthorizedAPICalls"
    #: framework/scanner -> the published text (scanners compare text; the judge does not)
    texts: Mapping[str, str]
    #: the text trailwatch recommends and deploys (its meaning is judged like any other)
    pattern: str
    #: Prowler's check: the clauses its regex wants, in order (``$.field op value``)
    prowler: tuple[str, ...] = ()
    #: where the published texts are wrong or incomplete (docs/controls.md says more)
    notes: tuple[str, ...] = field(default=())
    #: one of its events, singular, for sentences: "use of the root user"
    event: str = ""
    #: the events it must count: named API calls (`Calls`) or the name of a probe builder in
    #: control_probes.BUILDERS (events that are not API calls: sign-ins, denials, root use)
    probes: Calls | str = "calls"
    #: the pack's default enforcement level for its policy (policy/configs/strict.json: all mandatory)
    enforcement: Enforcement = "advisory"
    #: name of the metric filter (and the logical name trailwatch deploys it under)
    filter: str = ""
    #: the benchmark's alarm name (trailwatch makes it unique per stack: `<alarm>-<project>-<stack>`)
    alarm: str = ""
    #: the text a fix snippet proposes (default: `pattern`)
    fix_pattern: str = ""
    #: Steampipe's check: regexes that must all match (empty: Steampipe not modelled)
    steampipe: tuple[str, ...] = ()
    #: scanner -> what it needs, in words (default: said from the published text / clauses)
    scanner_words: Mapping[str, str] = field(default_factory=dict)
    #: the eventSource values its events come from (ANY_SOURCE: any service's); a trail whose
    #: selectors exclude one of them loses the control's events (trail.lost_sources); default
    #: for `Calls`: its source
    event_sources: tuple[str, ...] = ()
    #: which records of the ordinary-traffic corpus (ordinary.py) are this control's own events,
    #: as a filter pattern (None: none): the judge refuses a pattern that counts any other one
    own_ordinary: str | None = None
    #: why its events are too frequent to share an alarm with another control's (empty: they
    #: are rare, and a filter counting them with another control's events serves both)
    frequent: str = ""
    #: the published text whose known bug the judge names, and the words for it
    known_bug: tuple[str, str] | None = None
    #: regexes (case-insensitive) that all appear in a pattern written for this control, right
    #: or wrong: attach mode takes the group such a filter sits on as CloudTrail's (default for
    #: `Calls`: eventName and one of its APIs)
    marks: tuple[str, ...] = ()
    #: regexes (case-insensitive), one of which appears in the name of a filter or metric made
    #: for this control (default: its metric and filter names)
    name_marks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        slug = self.policy.removesuffix("-monitored")
        if not self.event:
            object.__setattr__(self, "event", self.what)
        if not self.filter:
            object.__setattr__(self, "filter", slug)
        if not self.alarm:
            object.__setattr__(self, "alarm", self.metric)
        if not self.fix_pattern:
            object.__setattr__(self, "fix_pattern", self.pattern)
        if not self.event_sources and isinstance(self.probes, Calls):
            object.__setattr__(self, "event_sources", (self.probes.source,))
        if not self.marks and isinstance(self.probes, Calls):
            object.__setattr__(self, "marks", ("eventName", r"\b(" + "|".join(self.probes.apis) + r")\b"))
        if not self.name_marks:
            object.__setattr__(self, "name_marks", (re.escape(self.metric), re.escape(self.filter)))

    @property
    def events(self) -> str:
        """Its events, plural (the same as `what`)."""
        return self.what

    @property
    def one(self) -> str:
        """ "one <event>", for sentences about a single event."""
        return f"one {self.event}"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i for i in (self.id, self.cis12, self.securityhub, self.policy) if i)

    def requirements(self) -> tuple[str, ...]:
        """The framework requirements this control is, as Security Hub writes them in a
        finding's `Compliance.RelatedRequirements` ("CIS AWS Foundations Benchmark v1.2.0/3.1";
        https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html):
        the CIS 1.2 id, then the id of CIS 1.4, 1.5, 2.0 and 3.0."""
        cis = "CIS AWS Foundations Benchmark"
        old = (f"{cis} v1.2.0/{self.cis12}",) if self.cis12 else ()
        return old + tuple(f"{cis} v{v}/{self.id}" for v in ("1.4.0", "1.5.0", "2.0.0", "3.0.0"))

    def label(self) -> str:
        extra = ", ".join(i for i in (self.cis12 and f"CIS 1.2 {self.cis12}", self.securityhub) if i)
        return f"CIS {self.id} ({extra})" if extra else f"CIS {self.id}"

    def title(self) -> str:
        """ "CIS 4.1 / CloudWatch.2 (unauthorized API calls monitored)"."""
        ids = " / ".join(i for i in (f"CIS {self.id}", self.securityhub) if i)
        return f"{ids} ({self.what} monitored)"


def _names(*names: str, source: str | None = None, quoted: bool = False) -> str:
    q = '"' if quoted else ""
    inner = " || ".join(f"($.eventName = {q}{n}{q})" for n in names)
    if source is None:
        return "{ " + inner + " }"
    return "{ ($.eventSource = " + source + ") && (" + inner + ") }"


#: the unauthorized-API-calls texts (one copy each, in scanners.py: the scanners compare them)
UNAUTHORIZED_1_2, UNAUTHORIZED_1_4, UNAUTHORIZED_2_0 = CIS_1_2, CIS_1_4, CIS_2_0
NO_MFA = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
NO_MFA_SSO = (
    '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
    '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
)
ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
#: the ordinary records that are a control's own events (Control.own_ordinary): every sign-in
#: without MFA (federated ones included: MFA happens at their identity provider) is 4.2's, every
#: record of the root user 4.3's, every failed sign-in 4.6's
SIGNINS_WITHOUT_MFA = NO_MFA
ROOT_RECORDS = '{ $.userIdentity.type = "Root" }'
FAILED_SIGNINS = '{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }'

IAM_POLICY_APIS = (
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
)
IAM_POLICY = "{" + "||".join(f"($.eventName={n})" for n in IAM_POLICY_APIS) + "}"
CLOUDTRAIL_APIS = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
AUTH_FAILURES = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
KMS_APIS = ("DisableKey", "ScheduleKeyDeletion")
KMS = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
S3_APIS = (
    "PutBucketAcl",
    "PutBucketPolicy",
    "PutBucketCors",
    "PutBucketLifecycle",
    "PutBucketReplication",
    "DeleteBucketPolicy",
    "DeleteBucketCors",
    "DeleteBucketLifecycle",
    "DeleteBucketReplication",
)
CONFIG_APIS = ("StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder")
CONFIG = (
    "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||"
    "($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"
)
SG_APIS = (
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
)
NACL_APIS = (
    "CreateNetworkAcl",
    "CreateNetworkAclEntry",
    "DeleteNetworkAcl",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
)
GATEWAY_APIS = (
    "CreateCustomerGateway",
    "DeleteCustomerGateway",
    "AttachInternetGateway",
    "CreateInternetGateway",
    "DeleteInternetGateway",
    "DetachInternetGateway",
)
ROUTE_APIS = (
    "CreateRoute",
    "CreateRouteTable",
    "ReplaceRoute",
    "ReplaceRouteTableAssociation",
    "DeleteRouteTable",
    "DeleteRoute",
    "DisassociateRouteTable",
)
VPC_APIS = (
    "CreateVpc",
    "DeleteVpc",
    "ModifyVpcAttribute",
    "AcceptVpcPeeringConnection",
    "CreateVpcPeeringConnection",
    "DeleteVpcPeeringConnection",
    "RejectVpcPeeringConnection",
)
CLASSIC_LINK_APIS = ("AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink")
ORG_APIS = (
    "AcceptHandshake",
    "AttachPolicy",
    "CreateAccount",
    "CreateOrganizationalUnit",
    "CreatePolicy",
    "DeclineHandshake",
    "DeleteOrganization",
    "DeleteOrganizationalUnit",
    "DeletePolicy",
    "DetachPolicy",
    "DisablePolicyType",
    "EnablePolicyType",
    "InviteAccountToOrganization",
    "LeaveOrganization",
    "MoveAccount",
    "RemoveAccountFromOrganization",
    "UpdatePolicy",
    "UpdateOrganizationalUnit",
)


def _same(text: str, *frameworks: str) -> dict[str, str]:
    return {f: text for f in frameworks}


ALL = ("cis-1.2", "cis-1.4", "cis-2.0", "cis-3.0")
LATER = ("cis-1.4", "cis-2.0", "cis-3.0")


def _eq(*pairs: str) -> tuple[str, ...]:
    return tuple(f"$.eventName = {n}" for n in pairs)


_SOURCE = {
    "iam": "iam.amazonaws.com",
    "cloudtrail": "cloudtrail.amazonaws.com",
    "kms": "kms.amazonaws.com",
    "s3": "s3.amazonaws.com",
    "config": "config.amazonaws.com",
    "ec2": EC2,
    "organizations": "organizations.amazonaws.com",
    "signin": SIGNIN,
}
_EC2 = EC2

STANDARD_ROWS: tuple[Control, ...] = (
    Control(
        "4.1",
        "3.1",
        "CloudWatch.2",
        "unauthorized-api-calls-monitored",
        "unauthorized API calls",
        "UnauthorizedAPICalls",
        {
            "cis-1.2": UNAUTHORIZED_1_2,
            "securityhub": UNAUTHORIZED_1_2,
            "cis-1.4": UNAUTHORIZED_1_4,
            "cis-2.0": UNAUTHORIZED_2_0,
            "cis-3.0": UNAUTHORIZED_2_0,
        },
        UNAUTHORIZED_2_0,
        ("$.errorCode = *UnauthorizedOperation", "$.errorCode = AccessDenied*"),
        ("CIS 1.4/1.5 joins the exclusions with ||: the pattern matches almost every event",),
        event="unauthorized API call",
        probes="unauthorized",
        enforcement="mandatory",
        filter="unauthorized-api-calls",
        alarm="Unauthorized_API_Calls",
        fix_pattern=UNAUTHORIZED_1_2,
        steampipe=STEAMPIPE_CLAUSES,
        scanner_words=REQUIREMENTS,
        known_bug=("cis-1.4", "this is the CIS 1.4/1.5 text's known bug, fixed in CIS 2.0"),
        marks=("errorcode", "accessdenied|unauthori[sz]ed"),
        name_marks=("accessdenied|unauthori[sz]ed",),
        own_ordinary=UNAUTHORIZED_1_2,
        event_sources=(ANY_SOURCE,),
        frequent="denied calls are routine in a working account (tools probing their permissions, "
        "log delivery; CIS 2.0 excludes some of them as noise)",
    ),
    Control(
        "4.2",
        "3.2",
        "CloudWatch.3",
        "console-signin-without-mfa-monitored",
        "console sign-ins without MFA",
        "ConsoleSigninWithoutMFA",
        {
            **_same(NO_MFA, *ALL),
            "securityhub": NO_MFA,
            "cis-1.4-sso": NO_MFA_SSO,
            "cis-2.0-sso": NO_MFA_SSO,
            "cis-3.0-sso": NO_MFA_SSO,
        },
        NO_MFA,
        ("$.eventName = ConsoleLogin", "$.additionalEventData.MFAUsed != Yes"),
        ('the "SSO" variant (userIdentity.type = "IAMUser") never counts the root user signing in without MFA',),
        event="console sign-in without MFA",
        probes="without-mfa",
        event_sources=(SIGNIN,),
        marks=("ConsoleLogin", "MFAUsed"),
        own_ordinary=SIGNINS_WITHOUT_MFA,
    ),
    Control(
        "4.3",
        "3.3",
        "CloudWatch.1",
        "root-usage-monitored",
        "uses of the root user",
        "RootAccountUsage",
        {**_same(ROOT, *ALL), "securityhub": ROOT},
        ROOT,
        ("$.userIdentity.type = Root", "$.userIdentity.invokedBy NOT EXISTS", "$.eventType != AwsServiceEvent"),
        event="use of the root user",
        probes="root",
        marks=(r"userIdentity\.type", r"\bRoot\b"),
        own_ordinary=ROOT_RECORDS,
        event_sources=(ANY_SOURCE,),
    ),
    Control(
        "4.4",
        "3.4",
        "CloudWatch.4",
        "iam-policy-changes-monitored",
        "IAM policy changes",
        "IAMPolicyChanges",
        {**_same(IAM_POLICY, *ALL), "securityhub": IAM_POLICY},
        IAM_POLICY,
        _eq(*IAM_POLICY_APIS),
        (
            "no eventSource clause: it also counts AWS Organizations' CreatePolicy, DeletePolicy",
            "omits SetDefaultPolicyVersion, which changes an IAM policy's effective permissions",
        ),
        event="IAM policy change",
        probes=Calls(
            _SOURCE["iam"],
            IAM_POLICY_APIS,
            noise=("GetPolicy", "GetRolePolicy", "ListAttachedRolePolicies", "ListPolicies"),
            gaps=(
                (_SOURCE["iam"], "SetDefaultPolicyVersion", "a change of the default policy version"),
                (_SOURCE["organizations"], "CreatePolicy", "Organizations' CreatePolicy (same name)"),
                (_SOURCE["organizations"], "DeletePolicy", "Organizations' DeletePolicy (same name)"),
            ),
            others=((_SOURCE["iam"], "CreateUser"),),
        ),
    ),
    Control(
        "4.5",
        "3.5",
        "CloudWatch.5",
        "cloudtrail-changes-monitored",
        "CloudTrail configuration changes",
        "CloudTrailConfigChanges",
        {**_same(_names(*CLOUDTRAIL_APIS), *ALL), "securityhub": _names(*CLOUDTRAIL_APIS)},
        _names(*CLOUDTRAIL_APIS),
        _eq(*CLOUDTRAIL_APIS),
        ("omits PutEventSelectors and DeleteEventDataStore, which can stop management events being recorded",),
        event="CloudTrail configuration change",
        probes=Calls(
            _SOURCE["cloudtrail"],
            CLOUDTRAIL_APIS,
            noise=("DescribeTrails", "GetTrailStatus", "LookupEvents", "ListTrails"),
            gaps=((_SOURCE["cloudtrail"], "PutEventSelectors", "changes of the event selectors"),),
        ),
    ),
    Control(
        "4.6",
        "3.6",
        "CloudWatch.6",
        "console-auth-failures-monitored",
        "console authentication failures",
        "ConsoleSigninFailures",
        {**_same(AUTH_FAILURES, *ALL), "securityhub": AUTH_FAILURES},
        AUTH_FAILURES,
        ("$.eventName = ConsoleLogin", "$.errorMessage = Failed authentication"),
        event="console authentication failure",
        probes="auth-failures",
        event_sources=(SIGNIN,),
        marks=("ConsoleLogin", "Failed authentication|errorMessage"),
        own_ordinary=FAILED_SIGNINS,
    ),
    Control(
        "4.7",
        "3.7",
        "CloudWatch.7",
        "kms-key-disable-or-deletion-monitored",
        "disabling or scheduled deletion of customer-managed KMS keys",
        "DisableOrDeleteCMK",
        {**_same(KMS, *ALL), "securityhub": KMS},
        KMS,
        ("$.eventSource = kms.amazonaws.com", *_eq(*KMS_APIS)),
        event="disabling or scheduled deletion of a customer-managed KMS key",
        probes=Calls(
            _SOURCE["kms"],
            KMS_APIS,
            noise=("DescribeKey", "ListKeys", "Decrypt"),
            gaps=((_SOURCE["kms"], "CancelKeyDeletion", "cancelling a key deletion"),),
            others=((_SOURCE["kms"], "EnableKey"),),
        ),
    ),
    Control(
        "4.8",
        "3.8",
        "CloudWatch.8",
        "s3-bucket-policy-changes-monitored",
        "S3 bucket policy changes",
        "S3BucketPolicyChanges",
        {
            **_same(_names(*S3_APIS, source="s3.amazonaws.com"), *ALL),
            "securityhub": _names(*S3_APIS, source="s3.amazonaws.com"),
        },
        _names(*S3_APIS, source="s3.amazonaws.com"),
        ("$.eventSource = s3.amazonaws.com", *_eq(*S3_APIS)),
        ("omits PutBucketPublicAccessBlock / DeleteBucketPublicAccessBlock and PutBucketOwnershipControls",),
        event="S3 bucket policy change",
        probes=Calls(
            _SOURCE["s3"],
            S3_APIS,
            noise=("GetBucketPolicy", "GetBucketAcl", "ListBuckets"),
            gaps=((_SOURCE["s3"], "PutBucketPublicAccessBlock", "changes of the public access block"),),
            others=((_SOURCE["s3"], "PutObject"),),
        ),
    ),
    Control(
        "4.9",
        "3.9",
        "CloudWatch.9",
        "config-changes-monitored",
        "AWS Config configuration changes",
        "AWSConfigChanges",
        {**_same(CONFIG, *ALL), "securityhub": CONFIG},
        CONFIG,
        ("$.eventSource = config.amazonaws.com", *_eq(*CONFIG_APIS)),
        ("omits DeleteConfigurationRecorder: deleting the recorder goes unnoticed",),
        event="AWS Config configuration change",
        probes=Calls(
            _SOURCE["config"],
            CONFIG_APIS,
            noise=("DescribeConfigurationRecorders", "DescribeDeliveryChannels", "PutEvaluations"),
            gaps=((_SOURCE["config"], "DeleteConfigurationRecorder", "deleting the recorder"),),
        ),
    ),
    Control(
        "4.10",
        "3.10",
        "CloudWatch.10",
        "security-group-changes-monitored",
        "security group changes",
        "SecurityGroupChanges",
        {**_same(_names(*SG_APIS), *ALL), "securityhub": _names(*SG_APIS)},
        _names(*SG_APIS),
        _eq(*SG_APIS),
        ("omits ModifySecurityGroupRules, which changes a rule in place",),
        event="security group change",
        probes=Calls(
            _EC2,
            SG_APIS,
            noise=("DescribeSecurityGroups", "DescribeSecurityGroupRules"),
            gaps=((_EC2, "ModifySecurityGroupRules", "changing a rule in place"),),
            others=((_EC2, "CreateNetworkAcl"),),
        ),
    ),
    Control(
        "4.11",
        "3.11",
        "CloudWatch.11",
        "nacl-changes-monitored",
        "network ACL changes",
        "NACLChanges",
        {**_same(_names(*NACL_APIS), *ALL), "securityhub": _names(*NACL_APIS)},
        _names(*NACL_APIS),
        _eq(*NACL_APIS),
        event="network ACL change",
        probes=Calls(_EC2, NACL_APIS, noise=("DescribeNetworkAcls",), others=((_EC2, "CreateSecurityGroup"),)),
    ),
    Control(
        "4.12",
        "3.12",
        "CloudWatch.12",
        "network-gateway-changes-monitored",
        "network gateway changes",
        "NetworkGatewayChanges",
        {**_same(_names(*GATEWAY_APIS), *ALL), "securityhub": _names(*GATEWAY_APIS)},
        _names(*GATEWAY_APIS),
        _eq(*GATEWAY_APIS),
        ("covers customer and internet gateways only: NAT, egress-only, transit and VPN gateways are not named",),
        event="network gateway change",
        probes=Calls(
            _EC2,
            GATEWAY_APIS,
            noise=("DescribeInternetGateways", "DescribeCustomerGateways"),
            gaps=((_EC2, "CreateNatGateway", "NAT gateways"),),
            others=((_EC2, "CreateRoute"),),
        ),
    ),
    Control(
        "4.13",
        "3.13",
        "CloudWatch.13",
        "route-table-changes-monitored",
        "route table changes",
        "RouteTableChanges",
        {
            "cis-1.2": _names(*ROUTE_APIS),
            "securityhub": _names(*ROUTE_APIS),
            **_same(_names(*ROUTE_APIS, source="ec2.amazonaws.com"), *LATER),
        },
        _names(*ROUTE_APIS, source="ec2.amazonaws.com"),
        ("$.eventSource = ec2.amazonaws.com", *_eq(*ROUTE_APIS)),
        ("omits AssociateRouteTable although it names ReplaceRouteTableAssociation and DisassociateRouteTable",),
        event="route table change",
        probes=Calls(
            _EC2,
            ROUTE_APIS,
            noise=("DescribeRouteTables",),
            gaps=((_EC2, "AssociateRouteTable", "associating a route table"),),
            others=((_EC2, "CreateVpc"),),
        ),
    ),
    Control(
        "4.14",
        "3.14",
        "CloudWatch.14",
        "vpc-changes-monitored",
        "VPC changes",
        "VPCChanges",
        {**_same(_names(*VPC_APIS, *CLASSIC_LINK_APIS), *ALL), "securityhub": _names(*VPC_APIS, *CLASSIC_LINK_APIS)},
        _names(*VPC_APIS, *CLASSIC_LINK_APIS),
        _eq(*VPC_APIS, *CLASSIC_LINK_APIS),
        (
            "its four ClassicLink clauses can never be true any more: EC2-Classic is retired and AWS marks the ClassicLink actions deprecated",
        ),
        event="VPC change",
        probes=Calls(
            _EC2,
            VPC_APIS,
            noise=("DescribeVpcs", "DescribeVpcAttribute"),
            gaps=tuple((_EC2, api, "ClassicLink calls (deprecated with EC2-Classic)") for api in CLASSIC_LINK_APIS),
            others=((_EC2, "CreateRouteTable"),),
        ),
    ),
    Control(
        "4.15",
        None,
        None,
        "organizations-changes-monitored",
        "AWS Organizations changes",
        "OrganizationsChanges",
        _same(_names(*ORG_APIS, source="organizations.amazonaws.com", quoted=True), *LATER),
        _names(*ORG_APIS, source="organizations.amazonaws.com", quoted=True),
        ("$.eventSource = organizations.amazonaws.com", *_eq(*ORG_APIS)),
        event="AWS Organizations change",
        probes=Calls(
            _SOURCE["organizations"],
            ORG_APIS,
            noise=("DescribeOrganization", "ListAccounts", "ListPolicies"),
            others=((_SOURCE["iam"], "CreatePolicy"), (_SOURCE["iam"], "DeletePolicy")),
        ),
    ),
)


class UnknownControl(ValueError):
    """A control id that names no control; the message lists the valid ones."""


class ControlTable:
    """The controls, in order; the first is the primary control (the one the component's own
    pattern and name arguments configure, the default of `trailwatch pattern --control`)."""

    def __init__(self, rows: tuple[Control, ...] | list[Control]) -> None:
        self.rows: tuple[Control, ...] = tuple(rows)
        if not self.rows:
            raise ValueError("a control table needs at least one control")
        self._by_id: dict[str, Control] = {}
        for c in self.rows:
            for i in c.ids:
                if self._by_id.setdefault(i.lower(), c) is not c:
                    raise ValueError(f"control id {i!r} names two controls")

    def __iter__(self) -> Iterator[Control]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def primary(self) -> Control:
        return self.rows[0]

    def with_rows(self, *rows: Control) -> ControlTable:
        """This table with more controls (a test's sixteenth control)."""
        return ControlTable(self.rows + rows)

    def find(self, ident: str) -> Control:
        """A control by its CIS 1.4 id (4.3), CIS 1.2 id (3.3), Security Hub id (CloudWatch.1)
        or policy name; ids are matched case-insensitively."""
        found = self._by_id.get(str(ident).strip().lower())
        if found is None:
            raise UnknownControl(f"unknown control {ident!r}: give {self.forms()}")
        return found

    def forms(self) -> str:
        """The id forms this table accepts, in words, with their ranges."""

        def span(ids: list[str]) -> str:
            return f"{ids[0]} .. {ids[-1]}" if len(ids) > 1 else ids[0]

        parts = [f"a CIS 1.4 id ({span([c.id for c in self.rows])})"]
        cis12 = [c.cis12 for c in self.rows if c.cis12]
        if cis12:
            parts.append(f"a CIS 1.2 id ({span(cis12)})")
        hub = [c.securityhub for c in self.rows if c.securityhub]
        if hub:
            parts.append(f"a Security Hub id ({span(sorted(hub, key=_number))})")
        example = self.rows[min(2, len(self.rows) - 1)].policy
        return ", ".join(parts) + f" or a policy name such as {example}"

    def select(self, idents: object) -> tuple[Control, ...]:
        """The controls named by a list of ids (any form), in table order; "all" or None: all."""
        if idents is None or idents == "all" or idents == ["all"]:
            return self.rows
        if isinstance(idents, str):
            idents = [p for p in re.split(r"[,\s]+", idents) if p]
        if not isinstance(idents, (list, tuple)) or not all(isinstance(i, str) for i in idents):
            raise UnknownControl(
                f"controls must be a list of control ids, got {idents!r}; "
                f"e.g. [{', '.join(repr(c.id) for c in self.rows[:3:2])}]".replace("'", '"')
            )
        chosen = {id(self.find(i)) for i in idents}
        return tuple(c for c in self.rows if id(c) in chosen)


def _number(ident: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", ident))


#: the CIS AWS Foundations monitoring section, 4.1 .. 4.15
STANDARD = ControlTable(STANDARD_ROWS)
#: the standard table's rows (compatibility: code that judges controls reads `table()`)
CONTROLS: tuple[Control, ...] = STANDARD.rows
#: the primary control's CIS 1.4 id (compatibility)
DEFAULT = STANDARD.primary.id

_ACTIVE: list[ControlTable] = [STANDARD]


def table() -> ControlTable:
    """The control table in use (the standard one unless a caller swapped it with `use`)."""
    return _ACTIVE[-1]


@contextmanager
def use(other: ControlTable) -> Iterator[ControlTable]:
    """Judge with another table inside the block (tests: a sixteenth control). Not
    thread-local on purpose: the pack's gRPC threads must see the same table."""
    _ACTIVE.append(other)
    try:
        yield other
    finally:
        _ACTIVE.remove(other)


def find(ident: str) -> Control:
    """`table().find`: a control by any of its ids or its policy name."""
    return table().find(ident)


def select(idents: object) -> tuple[Control, ...]:
    """`table().select`: the controls named (all for None or "all"), in table order."""
    return table().select(idents)


def primary() -> Control:
    """The primary control of the table in use (4.1 in the standard table)."""
    return table().primary


# -- what text-comparing scanners accept, per control -------------------------------------
# Security Hub compares the published text, blanks outside quotes ignored (AWS does not publish
# its comparison; see scanners.py); Prowler an ordered clause regex; Steampipe all of its regexes.


def _prowler_regex(clauses: tuple[str, ...]) -> re.Pattern[str]:
    """Prowler's construction: each clause as ``\\$\\.field\\s*op\\s*.?VALUE``, in order, joined by ``.+``."""
    parts = []
    for clause in clauses:
        m = re.fullmatch(r"(\$\.[\w.]+)\s*(!=|=)\s*(.+)", clause)
        if m is None:
            parts.append(re.escape(clause))
        else:
            parts.append(re.escape(m[1]) + r"\s*" + re.escape(m[2]) + r"\s*.?" + re.escape(m[3]))
    return re.compile(".+".join(parts) + ".?", re.DOTALL)


_PROWLER: dict[tuple[str, ...], re.Pattern[str]] = {}
_STEAMPIPE: dict[tuple[str, ...], tuple[re.Pattern[str], ...]] = {}


def scanners_of(control: Control) -> tuple[str, ...]:
    """The scanners trailwatch models for this control."""
    return tuple(
        name
        for name, modelled in (
            ("securityhub", "securityhub" in control.texts),
            ("prowler", bool(control.prowler)),
            ("steampipe", bool(control.steampipe)),
        )
        if modelled
    )


def scanner_verdicts(control: Control, text: object) -> dict[str, bool]:
    """Would each scanner trailwatch models for this control accept the text?

    Size first: a pattern longer than CloudWatch Logs accepts never exists in AWS, so no
    scanner sees it -- and the regexes are not run on it (Prowler's `.+` makes a 1 MB text
    take most of a minute)."""
    from trailwatch_policy.filter_pattern import MAX_LENGTH

    given = text if isinstance(text, str) and len(text) <= MAX_LENGTH else None
    out: dict[str, bool] = {}
    if "securityhub" in control.texts:
        out["securityhub"] = given is not None and (
            _without_blanks_outside_quotes(given) == _without_blanks_outside_quotes(control.texts["securityhub"])
        )
    if control.prowler:
        rx = _PROWLER.get(control.prowler)
        if rx is None:
            rx = _PROWLER[control.prowler] = _prowler_regex(control.prowler)
        out["prowler"] = given is not None and rx.search(given) is not None
    if control.steampipe:
        rxs = _STEAMPIPE.get(control.steampipe)
        if rxs is None:
            rxs = _STEAMPIPE[control.steampipe] = tuple(re.compile(r) for r in control.steampipe)
        out["steampipe"] = given is not None and all(r.search(given) for r in rxs)
    return out


def scanner_requirement(control: Control, scanner: str) -> str | None:
    """What a scanner needs for this control, in words (None: not modelled)."""
    if scanner in control.scanner_words:
        return control.scanner_words[scanner]
    if scanner == "securityhub" and "securityhub" in control.texts:
        return (
            f"AWS Security Hub {control.securityhub} accepts only the published text "
            f"{control.texts['securityhub']} (blanks aside)"
        )
    if scanner == "prowler" and control.prowler:
        return "Prowler needs the text to contain, in this order: " + "; ".join(control.prowler)
    if scanner == "steampipe" and control.steampipe:
        return "Steampipe needs the text to match all of: " + "; ".join(control.steampipe)
    return None
