"""Issue 21 item 3: a trail whose event selectors exclude management event sources fails exactly
the controls whose events come from them -- in the shared rule, the pack and the audit.

Which source records each control's events, from the CIS texts (the eventSource / eventName
each one names) and AWS's documentation:
- console sign-ins (4.2, 4.6) are recorded by signin.amazonaws.com
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html);
- denied calls (4.1) and the root user's activity (4.3) come from any service;
- the others name their service's calls: IAM (4.4), CloudTrail (4.5), KMS (4.7), S3 (4.8),
  Config (4.9), EC2 (4.10 .. 4.14), Organizations (4.15).
A trail can exclude kms.amazonaws.com and rdsdata.amazonaws.com management events
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html).
"""

from __future__ import annotations

import pytest

from moto_server import Chain, Endpoint, audit
from policy_helpers import TRAIL, PackProcess, Spec, lg_arn
from test_controls_audit import deploy
from test_controls_pack import ALL_ON, all_controls
from trailwatch_policy.base.model import Inventory, Ref, Trail
from trailwatch_policy.chain import trail_findings
from trailwatch_policy.controls import CONTROLS, find
from trailwatch_policy.rules.trail import lost_sources, trail_problems

IDS = [c.id for c in CONTROLS]
KMS = "kms.amazonaws.com"
RDS_DATA = "rdsdata.amazonaws.com"
EC2_CONTROLS = {"4.10", "4.11", "4.12", "4.13", "4.14"}

#: excluded sources -> the controls that lose events (written from the docstring's sources)
EXPECTED: list[tuple[tuple[str, ...], set[str]]] = [
    ((KMS,), {"4.1", "4.3", "4.7"}),
    ((RDS_DATA,), {"4.1", "4.3"}),
    ((KMS, RDS_DATA), {"4.1", "4.3", "4.7"}),
    (("signin.amazonaws.com",), {"4.1", "4.3", "4.2", "4.6"}),
    (("every source but ec2.amazonaws.com",), set(IDS) - EC2_CONTROLS),
    ((), set()),
]


def trail(excluded: tuple[str, ...]) -> Trail:
    return Trail("t", "t", Ref("g"), True, True, "all", excluded_sources=excluded)


@pytest.mark.parametrize("excluded, losing", EXPECTED, ids=[",".join(e) or "none" for e, _ in EXPECTED])
@pytest.mark.parametrize("control", IDS)
def test_an_excluded_source_fails_exactly_the_controls_whose_events_come_from_it(
    control: str, excluded: tuple[str, ...], losing: set[str]
) -> None:
    problems = [p for p in trail_problems(trail(excluded), find(control)) if p.code == "trail-excludes-event-sources"]
    assert bool(problems) == (control in losing), (control, excluded, problems)
    assert bool(lost_sources(find(control), excluded)) == (control in losing)
    for p in problems:  # about this control, in its words, naming what it loses
        assert p.status == "fail" and find(control).what in p.message and f"CIS {control}" in p.message
        assert any(source in p.message for source in excluded)


def test_every_row_names_the_sources_of_its_events() -> None:
    assert {c.id: c.event_sources for c in CONTROLS} == {
        "4.1": ("*",),
        "4.2": ("signin.amazonaws.com",),
        "4.3": ("*",),
        "4.4": ("iam.amazonaws.com",),
        "4.5": ("cloudtrail.amazonaws.com",),
        "4.6": ("signin.amazonaws.com",),
        "4.7": (KMS,),
        "4.8": ("s3.amazonaws.com",),
        "4.9": ("config.amazonaws.com",),
        **{cid: ("ec2.amazonaws.com",) for cid in sorted(EC2_CONTROLS)},
        "4.15": ("organizations.amazonaws.com",),
    }


def test_without_a_control_the_finding_names_the_controls_that_lose_events() -> None:
    [finding] = trail_findings(Inventory(trails=(trail((KMS,)),)))
    assert finding.code == "trail-excludes-event-sources"
    named = {c.id for c in CONTROLS if f"CIS {c.id} (" in finding.message}
    assert named == {"4.1", "4.3", "4.7"}
    assert [f.code for f in trail_findings(Inventory(trails=(trail((KMS,)),)), "4.9")] == []
    assert [f.code for f in trail_findings(Inventory(trails=(trail((KMS,)),)), "CloudWatch.7")] == [
        "trail-excludes-event-sources"
    ]


# -- the pack: the trail policy says which controls lose events ------------------------------------


@pytest.mark.slow
def test_the_pack_names_the_controls_a_kms_exclusion_costs() -> None:
    pack = PackProcess(dry_run=True)
    try:
        pack.configure()
        spec = Spec(
            TRAIL,
            "org-trail",
            {
                "name": "org",
                "isMultiRegionTrail": True,
                "enableLogging": True,
                "cloudWatchLogsGroupArn": lg_arn("aws-cloudtrail-logs-main") + ":*",
                "eventSelectors": [
                    {"includeManagementEvents": True, "readWriteType": "All", "excludeManagementEventSources": [KMS]}
                ],
            },
        )
        [d] = pack.analyze(spec)
    finally:
        pack.close()
    assert d.policyName == "cloudtrail-records-all-regions" and "[trail-excludes-event-sources]" in d.message
    named = {c.id for c in CONTROLS if f"CIS {c.id} (" in d.message}
    assert named == {"4.1", "4.3", "4.7"}, d.message


def selectors(excluded: tuple[str, ...]) -> dict[str, object]:
    """The trail's selectors (pulumi-aws names) excluding these management event sources."""
    only = [e[len("every source but ") :] for e in excluded if e.startswith("every source but ")]
    if only:  # an advanced selector recording the management events of one source only
        return {
            "advancedEventSelectors": [
                {
                    "name": "management events of one source",
                    "fieldSelectors": [
                        {"field": "eventCategory", "equals": ["Management"]},
                        {"field": "eventSource", "equals": only},
                    ],
                }
            ]
        }
    return {
        "eventSelectors": [
            {"includeManagementEvents": True, "readWriteType": "All", "excludeManagementEventSources": list(excluded)}
        ]
    }


@pytest.mark.slow
def test_each_control_policy_fails_exactly_when_its_events_come_from_an_excluded_source() -> None:
    """Each control's own policy (every policy mandatory) FAILs on the trail, in the control's
    words, exactly when the control's events come from an excluded source -- the controls the
    audit fails, each exclusion set of EXPECTED."""
    pack = PackProcess(dry_run=True)
    try:
        pack.configure(ALL_ON)
        for excluded, losing in EXPECTED:
            specs = all_controls()
            [trail_spec] = [s for s in specs if s.type == TRAIL]
            trail_spec.props.update(selectors(excluded))
            diagnostics = pack.analyze_stack(specs)
            got = {d.policyName for d in diagnostics}
            assert got == {find(cid).policy for cid in losing}, (excluded, [d.message for d in diagnostics])
            for d in diagnostics:
                c = find(d.policyName)
                assert d.urn == trail_spec.urn, d.message
                assert "[trail-excludes-event-sources]" in d.message and f"({c.label()})" in d.message
                assert c.what in d.message and all(e in d.message for e in lost_sources(c, excluded))
    finally:
        pack.close()


# -- the audit: one account, every control, a trail that excludes KMS or RDS Data API events --------


@pytest.mark.slow
@pytest.mark.parametrize(
    "excluded, losing", [((KMS,), {"4.1", "4.3", "4.7"}), ((RDS_DATA,), {"4.1", "4.3"})], ids=["kms", "rdsdata"]
)
def test_the_audit_fails_exactly_the_controls_that_lose_events(
    moto: Endpoint, excluded: tuple[str, ...], losing: set[str]
) -> None:
    deploy(
        moto,
        chain=Chain(
            selectors=[
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "ExcludeManagementEventSources": list(excluded),
                }
            ]
        ),
    )
    code, report, _ = audit(moto, "--controls", "all")
    assert (code, report["status"]) == (1, "fail")
    [account] = report["accounts"]
    got = {}
    for cid, control in account["controls"].items():
        codes = {f["code"] for t in control["trails"] for f in t["findings"]} | {f["code"] for f in control["findings"]}
        got[cid] = (control["status"], codes)
    assert got == {cid: ("fail", {"trail-excludes-event-sources"}) if cid in losing else ("pass", set()) for cid in IDS}
