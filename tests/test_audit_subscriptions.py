"""The audit sees what the pack sees (issue 21, item 7): it reads each subscription's
attributes (sns:GetSubscriptionAttributes) and judges its filter policy with the pack's own
rule (`trailwatch_policy.rules.topic`, `sns_filter`), for every control of the section.

moto's server returns `FilterPolicy` and `FilterPolicyScope` as AWS does (scope defaulted to
MessageAttributes when a policy is set), so those run against moto itself. moto answers
`ConfirmationWasAuthenticated` true and `PendingConfirmation` false for every subscription,
whatever happened: those cases use the documented double in front of the server
(`process_server(faults=...)`, tests/moto_server.py), which answers GetSubscriptionAttributes
with the attributes AWS documents
(https://docs.aws.amazon.com/sns/latest/api/API_GetSubscriptionAttributes.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from moto_server import Chain, Endpoint, add_controls, build
from moto_server import audit as run_audit
from trailwatch_policy.controls import CONTROLS

IDS = [c.id for c in CONTROLS]
pytestmark = pytest.mark.slow


def deploy(endpoint: Endpoint) -> dict[str, str]:
    """Every control's filter and alarm on one trail's log group, all notifying one topic
    with one email subscription; returns the ARNs (``subscription`` included)."""
    made = build(endpoint, Chain(pattern=CONTROLS[0].pattern))
    add_controls(endpoint, made["topic"], CONTROLS[1:])
    [sub] = endpoint.client("sns").list_subscriptions_by_topic(TopicArn=made["topic"])["Subscriptions"]
    return {**made, "subscription": sub["SubscriptionArn"]}


def audit(endpoint: Endpoint, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    """Every control (`--controls all`), JSON; `env`: credentials and the like."""
    code, report, stderr = run_audit(endpoint, *args, controls="all", env=env, timeout=180)
    assert report is not None, stderr
    return code, report


def per_control(report: dict[str, Any]) -> dict[str, tuple[str, dict[str, dict[str, Any]]]]:
    """control id -> (status, {code: finding}) over the control's account and trail findings."""
    [account] = report["accounts"]
    out = {}
    for cid, control in account["controls"].items():
        found = {f["code"]: f for f in control["findings"]}
        for trail in control["trails"]:
            found.update({f["code"]: f for f in trail["findings"]})
        out[cid] = (control["status"], found)
    return out


def set_filter(endpoint: Endpoint, subscription: str, policy: dict[str, Any], scope: str | None = None) -> None:
    sns = endpoint.client("sns")
    if scope is not None:  # the scope first: moto validates the policy against it, like AWS
        sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="FilterPolicyScope", AttributeValue=scope
        )
    sns.set_subscription_attributes(
        SubscriptionArn=subscription, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
    )


def test_moto_returns_the_filter_policy_and_its_default_scope(moto: Endpoint) -> None:
    """What the tests below rely on moto for (and what they do not: the confirmation)."""
    made = deploy(moto)
    set_filter(moto, made["subscription"], {"severity": ["high"]})
    attributes = moto.client("sns").get_subscription_attributes(SubscriptionArn=made["subscription"])["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"severity": ["high"]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert (attributes["PendingConfirmation"], attributes["ConfirmationWasAuthenticated"]) == ("false", "true")


def test_a_message_attributes_policy_fails_every_control_as_in_the_pack(moto: Endpoint) -> None:
    made = deploy(moto)
    assert audit(moto)[0] == 0  # the same account without the policy: every control passes
    set_filter(moto, made["subscription"], {"severity": ["high"]})  # alarms carry no attributes
    code, report = audit(moto)
    assert (code, report["status"]) == (1, "fail")
    verdicts = per_control(report)
    assert {cid: status for cid, (status, _) in verdicts.items()} == {cid: "fail" for cid in IDS}
    for cid, (_, found) in verdicts.items():
        finding = found["topic-subscription-filtered"]
        assert (finding["status"], finding["resource"], finding["link"]) == (
            "fail",
            made["subscription"],
            "subscription",
        ), cid
        assert "drops CloudWatch alarm notifications" in finding["message"]


@pytest.mark.parametrize(
    ("policy", "status"),
    [
        pytest.param({"NewStateValue": ["ALARM"]}, "pass", id="body-matches-alarm-state"),
        pytest.param({"NewStateValue": ["OK"]}, "fail", id="body-only-ok-state"),
        pytest.param({"AlarmName": [{"prefix": "zzz-"}]}, "fail", id="body-names-no-alarm-of-the-section"),
    ],
)
def test_a_message_body_policy_is_matched_against_the_alarm_json(
    moto: Endpoint, policy: dict[str, Any], status: str
) -> None:
    made = deploy(moto)
    set_filter(moto, made["subscription"], policy, scope="MessageBody")
    code, report = audit(moto)
    assert {cid: s for cid, (s, _) in per_control(report).items()} == {cid: status for cid in IDS}
    assert code == (0 if status == "pass" else 1)


def test_an_unreadable_filter_policy_cannot_be_verified(moto: Endpoint) -> None:
    """moto enforces IAM (`/moto-api/reset-auth`): the auditor may read everything but
    sns:GetSubscriptionAttributes. Never a PASS: the policy could drop every alarm."""
    deploy(moto)
    code, report = audit(moto, **moto.auditor_denied("sns:GetSubscriptionAttributes"))
    assert (code, report["status"]) == (2, "unknown")
    for cid, (status, found) in per_control(report).items():
        assert status == "unknown", cid
        assert found["topic-subscription-filtered"]["status"] == "unknown"
        assert "sns:GetSubscriptionAttributes" in found["audit.access-denied"]["message"]
        assert found["audit.access-denied"]["fix"].startswith("grant sns:GetSubscriptionAttributes")
        assert found["audit.access-denied"]["message"].endswith(
            f"whether {next(c.what for c in CONTROLS if c.id == cid)} are monitored cannot be verified"
        )


def reply_attributes(endpoint: Endpoint, made: dict[str, str], **attributes: str) -> None:
    """The double: GetSubscriptionAttributes answers these attributes (AWS's XML shape)."""
    values = {
        "SubscriptionArn": made["subscription"],
        "TopicArn": made["topic"],
        "Protocol": "email",
        "Endpoint": "security@example.com",
        "Owner": made["account"],
        "RawMessageDelivery": "false",
        "PendingConfirmation": "false",
        "ConfirmationWasAuthenticated": "true",
        **attributes,
    }
    entries = "".join(f"<entry><key>{k}</key><value>{v}</value></entry>" for k, v in values.items())
    body = (
        '<GetSubscriptionAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        f"<GetSubscriptionAttributesResult><Attributes>{entries}</Attributes></GetSubscriptionAttributesResult>"
        "<ResponseMetadata><RequestId>double</RequestId></ResponseMetadata></GetSubscriptionAttributesResponse>"
    )
    endpoint.control(faults={"reply": {"GetSubscriptionAttributes": ["200 OK", "text/xml", body]}})


def test_pending_confirmation_in_the_attributes_is_not_a_subscriber(moto: Endpoint) -> None:
    made = deploy(moto)
    reply_attributes(moto, made, PendingConfirmation="true", ConfirmationWasAuthenticated="false")
    code, report = audit(moto)
    assert code == 1
    for cid, (status, found) in per_control(report).items():
        assert (status, found["topic-subscription-pending"]["status"]) == ("fail", "fail"), cid


# -- the response mapping, on shapes moto does not produce ---------------------------------
def test_mapping_reads_the_attributes_the_rule_needs() -> None:
    from trailwatch.audit import mapping
    from trailwatch_policy.base.model import UNKNOWN

    topic = "arn:aws:sns:eu-west-1:111122223333:alerts"
    listed = {"SubscriptionArn": topic + ":1", "TopicArn": topic, "Protocol": "email", "Endpoint": "a@b.c"}
    plain = mapping.subscription(listed, {"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "false"})
    assert (plain.confirmed, plain.filter_policy, plain.filter_policy_scope, plain.confirmation_authenticated) == (
        True,
        None,
        None,
        False,
    )
    filtered = mapping.subscription(listed, {"FilterPolicy": '{"a": ["b"]}'})  # no scope: AWS's default
    assert (filtered.filter_policy, filtered.filter_policy_scope) == ('{"a": ["b"]}', "MessageAttributes")
    assert mapping.subscription(listed, {"PendingConfirmation": "true"}).confirmed is False
    unread = mapping.subscription(listed, None, unreadable=True)
    assert (unread.confirmed, unread.filter_policy, unread.filter_policy_scope) == (True, UNKNOWN, UNKNOWN)
    pending = mapping.subscription({**listed, "SubscriptionArn": "PendingConfirmation"}, None, unreadable=True)
    assert (pending.confirmed, pending.filter_policy) == (False, None)  # nothing to read: not a subscriber


def test_unauthenticated_confirmation_is_a_warning_for_every_control_never_a_verdict(moto: Endpoint) -> None:
    """AuthenticateOnUnsubscribe (issue 23): the alarm is delivered today, so every control
    still passes (exit 0); each control says which subscription anyone can unsubscribe."""
    made = deploy(moto)
    reply_attributes(moto, made, ConfirmationWasAuthenticated="false")
    code, report = audit(moto)
    assert (code, report["status"]) == (0, "pass")
    [account] = report["accounts"]
    for c in CONTROLS:
        control = account["controls"][c.id]
        [warning] = control["warnings"]
        assert (control["status"], warning["status"], warning["code"], warning["resource"]) == (
            "pass",
            "warning",
            "subscription-unauthenticated-unsubscribe",
            made["subscription"],
        )
        assert "unsubscribe link at the foot of every alarm mail" in warning["message"]
        assert warning["message"].endswith(f"no one is told of {c.what}")
        assert "--authenticate-on-unsubscribe true" in warning["fix"]
    sarif = run_audit(moto, "--controls", "4.7,4.15", fmt="sarif", timeout=180).report
    levels = {(r["ruleId"], r["level"]) for r in sarif["runs"][0]["results"]}
    assert {
        ("kms-key-disable-or-deletion-monitored/subscription-unauthenticated-unsubscribe", "warning"),
        ("organizations-changes-monitored/subscription-unauthenticated-unsubscribe", "warning"),
    } <= levels
    # authenticated (what moto itself says): no warning
    moto.control(faults={})
    assert all(not c["warnings"] for c in audit(moto)[1]["accounts"][0]["controls"].values())


def test_a_warning_survives_a_shard_merge(moto: Endpoint, tmp_path: Path) -> None:
    made = deploy(moto)
    reply_attributes(moto, made, ConfirmationWasAuthenticated="false")
    _, report = audit(moto, "--controls", "4.3")
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    from trailwatch.audit.merge import merge_reports, render

    merged = merge_reports([str(path)], allow_missing=True)
    assert [w.code for w in merged.accounts[0].warnings] == ["subscription-unauthenticated-unsubscribe"]
    text = render(merged, "text")
    assert "WARNING [subscription] subscription-unauthenticated-unsubscribe" in text
    assert "result: PASS (1 account(s): 1 pass, 0 fail, 0 unknown" in text
