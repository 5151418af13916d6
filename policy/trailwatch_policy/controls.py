"""The CIS AWS Foundations monitoring section: one table of controls that drives the judge,
the pack, the program's defaults, the audit and `trailwatch pattern --control`.

Per control: its id in each framework, the policy name (a stable interface), the texts each
framework publishes (what text-comparing scanners expect), and which CloudTrail calls it is
about. Its *meaning* -- the records that must match and must not -- is in control_probes.py
(4.1's in probes.py). Sources of the texts and where a published text is wrong: docs/controls.md.

Pure data and stdlib: the pack imports this at start-up to name its policies.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from trailwatch_policy.scanners import _without_blanks_outside_quotes

DEFAULT = "4.1"
#: `Control.event_sources` of a control whose events any service records (denied calls, the root user)
ANY_SOURCE = "*"
#: console sign-in events, ConsoleLogin (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html)
SIGNIN = "signin.amazonaws.com"
EC2 = "ec2.amazonaws.com"


@dataclass(frozen=True)
class Control:
    id: str                  # CIS AWS Foundations 1.4/1.5/2.0/3.0 id, e.g. "4.3"
    cis12: str | None        # CIS 1.2 id, e.g. "3.3"
    securityhub: str | None  # AWS Security Hub control id, e.g. "CloudWatch.1"
    policy: str              # the pack's policy name (stable)
    what: str                # "unauthorized API calls": the thing counted, for sentences
    metric: str              # metric name trailwatch publishes, e.g. "UnauthorizedAPICalls"
    #: framework/scanner -> the published text (scanners compare text; the judge does not)
    texts: Mapping[str, str]
    #: the text trailwatch recommends and deploys (its meaning is judged like any other)
    pattern: str
    #: Prowler's check: the clauses its regex wants, in order (``$.field op value``)
    prowler: tuple[str, ...] = ()
    #: where the published texts are wrong or incomplete (docs/controls.md says more)
    notes: tuple[str, ...] = field(default=())
    #: which records of the ordinary-traffic corpus (ordinary.py) are this control's own events,
    #: as a filter pattern (None: none): the judge refuses a pattern that counts any other one
    own_ordinary: str | None = None
    #: the eventSource values its events come from (ANY_SOURCE: any service's); a trail whose
    #: selectors exclude one of them loses the control's events (trail.lost_sources)
    event_sources: tuple[str, ...] = ()
    #: why its events are too frequent to share an alarm with another control's (empty: they
    #: are rare, and a filter counting them with another control's events serves both)
    frequent: str = ""

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


def _names(*names: str, source: str | None = None, quoted: bool = False) -> str:
    q = '"' if quoted else ""
    inner = " || ".join(f"($.eventName = {q}{n}{q})" for n in names)
    if source is None:
        return "{ " + inner + " }"
    return "{ ($.eventSource = " + source + ") && (" + inner + ") }"


UNAUTHORIZED_1_2 = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
UNAUTHORIZED_1_4 = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)
UNAUTHORIZED_2_0 = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)
NO_MFA = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
NO_MFA_SSO = ('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
              '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }')
ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
#: the ordinary records that are a control's own events (Control.own_ordinary): every sign-in
#: without MFA (federated ones included: MFA happens at their identity provider) is 4.2's, every
#: record of the root user 4.3's, every failed sign-in 4.6's
SIGNINS_WITHOUT_MFA = NO_MFA
ROOT_RECORDS = '{ $.userIdentity.type = "Root" }'
FAILED_SIGNINS = '{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }'

IAM_POLICY_APIS = ("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
                   "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
                   "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                   "AttachGroupPolicy", "DetachGroupPolicy")
IAM_POLICY = "{" + "||".join(f"($.eventName={n})" for n in IAM_POLICY_APIS) + "}"
CLOUDTRAIL_APIS = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
AUTH_FAILURES = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
KMS_APIS = ("DisableKey", "ScheduleKeyDeletion")
KMS = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"
S3_APIS = ("PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
           "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication")
CONFIG_APIS = ("StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder")
CONFIG = ("{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||"
          "($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }")
SG_APIS = ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
           "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup")
NACL_APIS = ("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
             "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")
GATEWAY_APIS = ("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
                "DeleteInternetGateway", "DetachInternetGateway")
ROUTE_APIS = ("CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
              "DeleteRoute", "DisassociateRouteTable")
VPC_APIS = ("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection")
CLASSIC_LINK_APIS = ("AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink")
ORG_APIS = ("AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
            "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
            "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
            "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit")


def _same(text: str, *frameworks: str) -> dict[str, str]:
    return {f: text for f in frameworks}


ALL = ("cis-1.2", "cis-1.4", "cis-2.0", "cis-3.0")
LATER = ("cis-1.4", "cis-2.0", "cis-3.0")


def _eq(*pairs: str) -> tuple[str, ...]:
    return tuple(f"$.eventName = {n}" for n in pairs)


CONTROLS: tuple[Control, ...] = (
    Control("4.1", "3.1", "CloudWatch.2", "unauthorized-api-calls-monitored", "unauthorized API calls",
            "UnauthorizedAPICalls",
            {"cis-1.2": UNAUTHORIZED_1_2, "securityhub": UNAUTHORIZED_1_2, "cis-1.4": UNAUTHORIZED_1_4,
             "cis-2.0": UNAUTHORIZED_2_0, "cis-3.0": UNAUTHORIZED_2_0},
            UNAUTHORIZED_2_0,
            ("$.errorCode = *UnauthorizedOperation", "$.errorCode = AccessDenied*"),
            ("CIS 1.4/1.5 joins the exclusions with ||: the pattern matches almost every event",),
            own_ordinary=UNAUTHORIZED_1_2, event_sources=(ANY_SOURCE,),
            frequent="denied calls are routine in a working account (tools probing their permissions, "
                     "log delivery; CIS 2.0 excludes some of them as noise)"),
    Control("4.2", "3.2", "CloudWatch.3", "console-signin-without-mfa-monitored",
            "console sign-ins without MFA", "ConsoleSigninWithoutMFA",
            {**_same(NO_MFA, *ALL), "securityhub": NO_MFA, "cis-1.4-sso": NO_MFA_SSO, "cis-2.0-sso": NO_MFA_SSO,
             "cis-3.0-sso": NO_MFA_SSO},
            NO_MFA,
            ("$.eventName = ConsoleLogin", "$.additionalEventData.MFAUsed != Yes"),
            ('the "SSO" variant (userIdentity.type = "IAMUser") never counts the root user signing in without MFA',),
            own_ordinary=SIGNINS_WITHOUT_MFA,
            event_sources=(SIGNIN,)),
    Control("4.3", "3.3", "CloudWatch.1", "root-usage-monitored", "uses of the root user", "RootAccountUsage",
            {**_same(ROOT, *ALL), "securityhub": ROOT}, ROOT,
            ("$.userIdentity.type = Root", "$.userIdentity.invokedBy NOT EXISTS", "$.eventType != AwsServiceEvent"),
            own_ordinary=ROOT_RECORDS,
            event_sources=(ANY_SOURCE,)),
    Control("4.4", "3.4", "CloudWatch.4", "iam-policy-changes-monitored", "IAM policy changes", "IAMPolicyChanges",
            {**_same(IAM_POLICY, *ALL), "securityhub": IAM_POLICY}, IAM_POLICY,
            _eq(*IAM_POLICY_APIS),
            ("no eventSource clause: it also counts AWS Organizations' CreatePolicy, DeletePolicy",
             "omits SetDefaultPolicyVersion, which changes an IAM policy's effective permissions"),
            event_sources=("iam.amazonaws.com",)),
    Control("4.5", "3.5", "CloudWatch.5", "cloudtrail-changes-monitored", "CloudTrail configuration changes",
            "CloudTrailConfigChanges",
            {**_same(_names(*CLOUDTRAIL_APIS), *ALL), "securityhub": _names(*CLOUDTRAIL_APIS)},
            _names(*CLOUDTRAIL_APIS), _eq(*CLOUDTRAIL_APIS),
            ("omits PutEventSelectors and DeleteEventDataStore, which can stop management events being recorded",),
            event_sources=("cloudtrail.amazonaws.com",)),
    Control("4.6", "3.6", "CloudWatch.6", "console-auth-failures-monitored", "console authentication failures",
            "ConsoleSigninFailures", {**_same(AUTH_FAILURES, *ALL), "securityhub": AUTH_FAILURES}, AUTH_FAILURES,
            ("$.eventName = ConsoleLogin", "$.errorMessage = Failed authentication"),
            own_ordinary=FAILED_SIGNINS,
            event_sources=(SIGNIN,)),
    Control("4.7", "3.7", "CloudWatch.7", "kms-key-disable-or-deletion-monitored",
            "disabling or scheduled deletion of customer-managed KMS keys", "DisableOrDeleteCMK",
            {**_same(KMS, *ALL), "securityhub": KMS}, KMS,
            ("$.eventSource = kms.amazonaws.com", *_eq(*KMS_APIS)),
            event_sources=("kms.amazonaws.com",)),
    Control("4.8", "3.8", "CloudWatch.8", "s3-bucket-policy-changes-monitored", "S3 bucket policy changes",
            "S3BucketPolicyChanges",
            {**_same(_names(*S3_APIS, source="s3.amazonaws.com"), *ALL),
             "securityhub": _names(*S3_APIS, source="s3.amazonaws.com")},
            _names(*S3_APIS, source="s3.amazonaws.com"),
            ("$.eventSource = s3.amazonaws.com", *_eq(*S3_APIS)),
            ("omits PutBucketPublicAccessBlock / DeleteBucketPublicAccessBlock and PutBucketOwnershipControls",),
            event_sources=("s3.amazonaws.com",)),
    Control("4.9", "3.9", "CloudWatch.9", "config-changes-monitored", "AWS Config configuration changes",
            "AWSConfigChanges", {**_same(CONFIG, *ALL), "securityhub": CONFIG}, CONFIG,
            ("$.eventSource = config.amazonaws.com", *_eq(*CONFIG_APIS)),
            ("omits DeleteConfigurationRecorder: deleting the recorder goes unnoticed",),
            event_sources=("config.amazonaws.com",)),
    Control("4.10", "3.10", "CloudWatch.10", "security-group-changes-monitored", "security group changes",
            "SecurityGroupChanges", {**_same(_names(*SG_APIS), *ALL), "securityhub": _names(*SG_APIS)},
            _names(*SG_APIS), _eq(*SG_APIS),
            ("omits ModifySecurityGroupRules, which changes a rule in place",),
            event_sources=(EC2,)),
    Control("4.11", "3.11", "CloudWatch.11", "nacl-changes-monitored", "network ACL changes", "NACLChanges",
            {**_same(_names(*NACL_APIS), *ALL), "securityhub": _names(*NACL_APIS)}, _names(*NACL_APIS),
            _eq(*NACL_APIS),
            event_sources=(EC2,)),
    Control("4.12", "3.12", "CloudWatch.12", "network-gateway-changes-monitored", "network gateway changes",
            "NetworkGatewayChanges",
            {**_same(_names(*GATEWAY_APIS), *ALL), "securityhub": _names(*GATEWAY_APIS)}, _names(*GATEWAY_APIS),
            _eq(*GATEWAY_APIS),
            ("covers customer and internet gateways only: NAT, egress-only, transit and VPN gateways are not named",),
            event_sources=(EC2,)),
    Control("4.13", "3.13", "CloudWatch.13", "route-table-changes-monitored", "route table changes",
            "RouteTableChanges",
            {"cis-1.2": _names(*ROUTE_APIS), "securityhub": _names(*ROUTE_APIS),
             **_same(_names(*ROUTE_APIS, source="ec2.amazonaws.com"), *LATER)},
            _names(*ROUTE_APIS, source="ec2.amazonaws.com"),
            ("$.eventSource = ec2.amazonaws.com", *_eq(*ROUTE_APIS)),
            ("omits AssociateRouteTable although it names ReplaceRouteTableAssociation and DisassociateRouteTable",),
            event_sources=(EC2,)),
    Control("4.14", "3.14", "CloudWatch.14", "vpc-changes-monitored", "VPC changes", "VPCChanges",
            {**_same(_names(*VPC_APIS, *CLASSIC_LINK_APIS), *ALL),
             "securityhub": _names(*VPC_APIS, *CLASSIC_LINK_APIS)},
            _names(*VPC_APIS, *CLASSIC_LINK_APIS), _eq(*VPC_APIS, *CLASSIC_LINK_APIS),
            ("its four ClassicLink clauses can never be true any more: EC2-Classic is retired and AWS marks the ClassicLink actions deprecated",),
            event_sources=(EC2,)),
    Control("4.15", None, None, "organizations-changes-monitored", "AWS Organizations changes",
            "OrganizationsChanges",
            _same(_names(*ORG_APIS, source="organizations.amazonaws.com", quoted=True), *LATER),
            _names(*ORG_APIS, source="organizations.amazonaws.com", quoted=True),
            ("$.eventSource = organizations.amazonaws.com", *_eq(*ORG_APIS)),
            event_sources=("organizations.amazonaws.com",)),
)

_BY_ID: dict[str, Control] = {}
for _c in CONTROLS:
    for _i in _c.ids:
        _BY_ID[_i.lower()] = _c


class UnknownControl(ValueError):
    """A control id that names no control; the message lists the valid ones."""


def find(ident: str) -> Control:
    """A control by its CIS 1.4 id (4.3), CIS 1.2 id (3.3), Security Hub id (CloudWatch.1)
    or policy name; ids are matched case-insensitively."""
    found = _BY_ID.get(str(ident).strip().lower())
    if found is None:
        raise UnknownControl(
            f"unknown control {ident!r}: give a CIS 1.4 id (4.1 .. 4.15), a CIS 1.2 id (3.1 .. 3.14), "
            "a Security Hub id (CloudWatch.1 .. CloudWatch.14) or a policy name such as "
            f"{CONTROLS[2].policy}")
    return found


def select(idents: object) -> tuple[Control, ...]:
    """The controls named by a list of ids (any form), in table order; "all" or None: all."""
    if idents is None or idents == "all" or idents == ["all"]:
        return CONTROLS
    if isinstance(idents, str):
        idents = [p for p in re.split(r"[,\s]+", idents) if p]
    if not isinstance(idents, (list, tuple)) or not all(isinstance(i, str) for i in idents):
        raise UnknownControl(f"controls must be a list of control ids, got {idents!r}; e.g. [\"4.1\", \"4.3\"]")
    chosen = {find(i).id for i in idents}
    return tuple(c for c in CONTROLS if c.id in chosen)


# -- what text-comparing scanners accept, per control -------------------------------------
# (Security Hub's comparison, blanks outside quotes ignored, is scanners.py's for 4.1.)

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


_PROWLER: dict[str, re.Pattern[str]] = {}


def scanner_verdicts(control: Control, text: object) -> dict[str, bool]:
    """Would each scanner trailwatch models for this control accept the text?

    4.1 keeps its own models (scanners.py, Steampipe included). For the others: Security
    Hub = its published text, blanks outside quotes ignored (AWS does not publish its
    comparison; see scanners.py); Prowler = its ordered clause regex."""
    if control.id == "4.1":
        from trailwatch_policy.scanners import scanner_verdicts as unauthorized
        return unauthorized(text)  # type: ignore[arg-type]
    out: dict[str, bool] = {}
    given = text if isinstance(text, str) else None
    if "securityhub" in control.texts:
        out["securityhub"] = given is not None and (
            _without_blanks_outside_quotes(given) == _without_blanks_outside_quotes(control.texts["securityhub"]))
    if control.prowler:
        rx = _PROWLER.get(control.id)
        if rx is None:
            rx = _PROWLER[control.id] = _prowler_regex(control.prowler)
        out["prowler"] = given is not None and rx.search(given) is not None
    return out


def scanner_requirement(control: Control, scanner: str) -> str | None:
    """What a scanner needs for this control, in words (None: not modelled)."""
    if control.id == "4.1":
        from trailwatch_policy.scanners import REQUIREMENTS
        return REQUIREMENTS.get(scanner)
    if scanner == "securityhub" and "securityhub" in control.texts:
        return (f"AWS Security Hub {control.securityhub} accepts only the published text "
                f"{control.texts['securityhub']} (blanks aside)")
    if scanner == "prowler" and control.prowler:
        return "Prowler needs the text to contain, in this order: " + "; ".join(control.prowler)
    return None
