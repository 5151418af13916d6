"""The metric filter pattern texts a stack can choose, by profile name, and which scanners accept them.

Pure data: the texts are copied character for character from the benchmark (see
/work/shared/specs/filter-pattern.md section 6) because scanners compare them literally.
They are also in the pack (`trailwatch_policy.scanners`), which the program cannot import:
`pulumi up` installs only requirements.txt and the pack folder is not on its path. Tests
keep the two copies identical and `ACCEPTED_BY` equal to what the pack's scanner rules say.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal, NamedTuple

#: CIS AWS Foundations 1.2 §3.1 text; the only text AWS Security Hub CloudWatch.2 accepts.
CIS_1_2: Final = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'

#: CIS AWS Foundations 2.0 .. 7.0 text (excludes log-delivery and HeadBucket denials).
CIS_2_0: Final = (
    '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") '
    '&& ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
)

#: Profile name -> pattern text. The first entry is the default.
PROFILES: Final[dict[str, str]] = {"cis-2.0": CIS_2_0, "cis-1.2": CIS_1_2}
DEFAULT_PROFILE: Final = "cis-2.0"

#: The scanners whose acceptance of a pattern text trailwatch knows (the pack's `scanners.SCANNERS`).
SCANNERS: Final = ("securityhub", "prowler", "steampipe")

#: Profile -> the scanners that accept its text (a test derives it from the pack's scanner rules).
ACCEPTED_BY: Final[dict[str, frozenset[str]]] = {
    "cis-2.0": frozenset({"prowler", "steampipe"}),
    "cis-1.2": frozenset({"securityhub", "prowler"}),
}

#: What each scanner needs, in words, for the error when no profile satisfies all of them.
NEEDS: Final[dict[str, str]] = {
    "securityhub": "Security Hub CloudWatch.2 accepts only the CIS 1.2 text (cis-1.2)",
    "prowler": "Prowler accepts both texts",
    "steampipe": "Steampipe needs the CIS 2.0 exclusions of delivery.logs and HeadBucket (cis-2.0)",
}


def profiles_accepted_by(scanners: Iterable[str]) -> list[str]:
    """The profiles (in preference order) whose text every one of `scanners` accepts."""
    wanted = set(scanners)
    return [name for name in PROFILES if wanted <= ACCEPTED_BY[name]]


def accepting_scanners(pattern: str) -> frozenset[str]:
    """The scanners known to accept `pattern`: only a profile's exact text is known."""
    for name, text in PROFILES.items():
        if pattern == text:
            return ACCEPTED_BY[name]
    return frozenset()


class Control(NamedTuple):
    """One control of the CIS monitoring section, as the program deploys it (the pack's
    table, trailwatch_policy.controls, has the same ids, metric names and patterns)."""

    id: str                  # CIS AWS Foundations 1.4 .. 3.0 id
    cis12: str | None
    securityhub: str | None
    policy: str              # the pack's policy that checks it
    metric: str              # metric (and filter/alarm name prefix) trailwatch publishes
    what: str
    pattern: str | None      # None: 4.1, whose text is the stack's patternProfile


#: A CIS 1.4 id of the monitoring section (the component's `controls=` items).
ControlId = Literal["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12",
                    "4.13", "4.14", "4.15"]

CONTROLS: Final[tuple[Control, ...]] = (
    Control('4.1', '3.1', 'CloudWatch.2', 'unauthorized-api-calls-monitored',
            'UnauthorizedAPICalls', 'unauthorized API calls',
            None),
    Control('4.2', '3.2', 'CloudWatch.3', 'console-signin-without-mfa-monitored',
            'ConsoleSigninWithoutMFA', 'console sign-ins without MFA',
            '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'),
    Control('4.3', '3.3', 'CloudWatch.1', 'root-usage-monitored',
            'RootAccountUsage', 'uses of the root user',
            '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'),
    Control('4.4', '3.4', 'CloudWatch.4', 'iam-policy-changes-monitored',
            'IAMPolicyChanges', 'IAM policy changes',
            '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}'),
    Control('4.5', '3.5', 'CloudWatch.5', 'cloudtrail-changes-monitored',
            'CloudTrailConfigChanges', 'CloudTrail configuration changes',
            '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }'),
    Control('4.6', '3.6', 'CloudWatch.6', 'console-auth-failures-monitored',
            'ConsoleSigninFailures', 'console authentication failures',
            '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    Control('4.7', '3.7', 'CloudWatch.7', 'kms-key-disable-or-deletion-monitored',
            'DisableOrDeleteCMK', 'disabling or scheduled deletion of customer-managed KMS keys',
            '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }'),
    Control('4.8', '3.8', 'CloudWatch.8', 's3-bucket-policy-changes-monitored',
            'S3BucketPolicyChanges', 'S3 bucket policy changes',
            '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }'),
    Control('4.9', '3.9', 'CloudWatch.9', 'config-changes-monitored',
            'AWSConfigChanges', 'AWS Config configuration changes',
            '{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }'),
    Control('4.10', '3.10', 'CloudWatch.10', 'security-group-changes-monitored',
            'SecurityGroupChanges', 'security group changes',
            '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }'),
    Control('4.11', '3.11', 'CloudWatch.11', 'nacl-changes-monitored',
            'NACLChanges', 'network ACL changes',
            '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }'),
    Control('4.12', '3.12', 'CloudWatch.12', 'network-gateway-changes-monitored',
            'NetworkGatewayChanges', 'network gateway changes',
            '{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }'),
    Control('4.13', '3.13', 'CloudWatch.13', 'route-table-changes-monitored',
            'RouteTableChanges', 'route table changes',
            '{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }'),
    Control('4.14', '3.14', 'CloudWatch.14', 'vpc-changes-monitored',
            'VPCChanges', 'VPC changes',
            '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }'),
    Control('4.15', None, None, 'organizations-changes-monitored',
            'OrganizationsChanges', 'AWS Organizations changes',
            '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }'),
)
ALL_CONTROLS: Final = tuple(c.id for c in CONTROLS)


def find_control(ident: str) -> Control | None:
    """A control by CIS 1.4 id, CIS 1.2 id, Security Hub id or policy name (any case)."""
    key = ident.strip().lower()
    for c in CONTROLS:
        if key in {i.lower() for i in (c.id, c.cis12, c.securityhub, c.policy) if i}:
            return c
    return None
