"""Offline engine pieces that need no subprocess: config, policy-config merge, invokes, sentinels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trailwatch.engine import autoname, invokes, sentinels
from trailwatch.engine.analyzer import choose_interpreter, stack_violation_urn
from trailwatch.engine.errors import EngineError
from trailwatch.engine.policyconfig import PolicyConfig, PolicyMeta, parse_config_text, reconcile
from trailwatch.engine.project import Project, choose_stack, load_project

BASIC = Path(__file__).parent / "fixtures" / "engine" / "programs" / "basic"


def test_sentinels_match_the_sdks() -> None:
    from pulumi.runtime import rpc
    from pulumi_policy import proxy

    assert sentinels.UNKNOWN_STRING == proxy.UNKNOWN_STRING_VALUE == rpc.UNKNOWN
    assert sentinels.UNKNOWN_BOOL == proxy.UNKNOWN_BOOLEAN_VALUE
    assert sentinels.UNKNOWN_NUMBER == proxy.UNKNOWN_NUMBER_VALUE
    assert sentinels.UNKNOWN_ARRAY == proxy.UNKNOWN_ARRAY_VALUE
    assert sentinels.UNKNOWN_OBJECT == proxy.UNKNOWN_OBJECT_VALUE
    assert sentinels.UNKNOWN_ASSET == proxy.UNKNOWN_ASSET_VALUE
    assert sentinels.UNKNOWN_ARCHIVE == proxy.UNKNOWN_ARCHIVE_VALUE
    assert (sentinels.SIG_KEY, sentinels.SECRET_SIG) == (rpc._special_sig_key, rpc._special_secret_sig)


def test_resource_references_reach_provider_and_pack_as_id_or_urn() -> None:
    """`topic=topic` in a program: the engine marshals the reference without KeepResources."""
    from pulumi.runtime import rpc

    assert sentinels.RESOURCE_SIG == rpc._special_resource_sig
    custom = {
        sentinels.SIG_KEY: sentinels.RESOURCE_SIG,
        "urn": "urn:pulumi:s::p::aws:sns/topic:Topic::t",
        "id": sentinels.UNKNOWN_STRING,
        "packageVersion": "7.51.1",
    }
    component = {sentinels.SIG_KEY: sentinels.RESOURCE_SIG, "urn": "urn:pulumi:s::p::acme:x:Guard::g"}
    props = {
        "topic": custom,
        "alarmActions": [custom, "arn:aws:sns:us-east-1:1:x"],
        "nested": {"owner": component},
        "secret": {sentinels.SIG_KEY: sentinels.SECRET_SIG, "value": custom},
    }
    assert sentinels.downgrade_resources(props) == {
        "topic": sentinels.UNKNOWN_STRING,
        "alarmActions": [sentinels.UNKNOWN_STRING, "arn:aws:sns:us-east-1:1:x"],
        "nested": {"owner": "urn:pulumi:s::p::acme:x:Guard::g"},
        "secret": {sentinels.SIG_KEY: sentinels.SECRET_SIG, "value": sentinels.UNKNOWN_STRING},
    }


def test_config_precedence_project_default_then_stack_file_then_flag() -> None:
    base = load_project(BASIC, "dev")
    assert base.config["fixture-basic:alarmThreshold"] == "1"  # Pulumi.yaml default
    assert base.config["fixture-basic:retentionDays"] == "90"  # namespaced key in the stack file
    assert base.config["aws:region"] == "eu-west-1"
    assert json.loads(base.config["fixture-basic:tags"]) == {"team": "platform", "cost": "42"}  # object → JSON
    assert "fixture-basic:dbPassword" not in base.config and base.secure_keys == {"fixture-basic:dbPassword"}
    over = load_project(BASIC, None, ["alarmThreshold=5", "aws:region=us-east-2", "dbPassword=stand-in"])
    assert over.config["fixture-basic:alarmThreshold"] == "5"
    assert over.config["aws:region"] == "us-east-2"
    assert over.config["fixture-basic:dbPassword"] == "stand-in" and not over.secure_keys


def test_stack_choice(tmp_path: Path) -> None:
    assert choose_stack(tmp_path, None) == "dev"
    (tmp_path / "Pulumi.prod.yaml").write_text("config: {}\n")
    assert choose_stack(tmp_path, None) == "prod"
    (tmp_path / "Pulumi.qa.yaml").write_text("config: {}\n")
    with pytest.raises(EngineError, match="several stacks"):
        choose_stack(tmp_path, None)
    with pytest.raises(EngineError, match="no Pulumi.staging.yaml"):
        choose_stack(tmp_path, "staging")


def test_bad_override_names_the_input() -> None:
    with pytest.raises(EngineError, match="expected KEY=VALUE"):
        load_project(BASIC, "dev", ["justakey"])


METAS = [
    PolicyMeta("alpha", "mandatory", {"limit": {"type": "integer", "minimum": 1, "default": 30}}),
    PolicyMeta("beta", "advisory", {}),
    PolicyMeta("gamma", "mandatory", {"mode": {"type": "string", "enum": ["a", "b"]}}),
]


def test_merge_fills_schema_defaults_then_initial_then_user() -> None:
    merged = reconcile(METAS, {"alpha": PolicyConfig("advisory", {"limit": 60})}, {})
    assert merged["alpha"].enforcement_level == "advisory" and merged["alpha"].properties == {"limit": 60}
    assert merged["beta"].enforcement_level == "advisory" and merged["gamma"].enforcement_level == "mandatory"
    merged = reconcile(METAS, {}, parse_config_text('{"alpha": {"limit": 400}}', "f"))
    assert merged["alpha"] == PolicyConfig("mandatory", {"limit": 400})


def test_merge_all_then_named_levels() -> None:
    user = parse_config_text('{"all": "advisory", "gamma": "disabled"}', "f")
    merged = reconcile(METAS, {}, user)
    assert {k: v.enforcement_level for k, v in merged.items()} == {
        "alpha": "advisory",
        "beta": "advisory",
        "gamma": "disabled",
        "all": "advisory",
    }
    assert merged["alpha"].properties == {"limit": 30}  # the schema default survives a level change


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"alpha": "loud"}', "not an enforcement level"),
        ('{"alpha": 3}', "must be an enforcement level string or an object"),
        ('{"delta": "advisory"}', "no policy named 'delta'"),
        ('{"alpha": {"limit": 0}}', "alpha: limit: must be greater than or equal to 1"),
        ('{"gamma": {"mode": "c"}}', "gamma: mode must be one of the following"),
        ('{"alpha": {"limit": "ten"}}', "invalid type"),
    ],
)
def test_bad_policy_config_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        reconcile(METAS, {}, parse_config_text(text, "--policy-pack-config f.json"))


def test_policy_document_renders_real_iam_json() -> None:
    out = invokes.render_policy_document(
        {
            "statements": [
                {
                    "sid": "S1",
                    "actions": ["sns:Publish"],
                    "resources": ["arn:aws:sns:*:1:t"],
                    "principals": [
                        {"type": "Service", "identifiers": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
                    ],
                    "conditions": [{"test": "ArnLike", "variable": "aws:SourceArn", "values": ["arn:a", "arn:b"]}],
                },
                {"effect": "Deny", "notActions": ["iam:*"], "principals": [{"type": "*", "identifiers": ["*"]}]},
            ]
        }
    )
    doc = json.loads(out["json"])
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S1",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": "arn:aws:sns:*:1:t",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Condition": {"ArnLike": {"aws:SourceArn": ["arn:a", "arn:b"]}},
            },
            {"Effect": "Deny", "NotAction": "iam:*", "Principal": "*"},
        ],
    }
    assert json.loads(out["minifiedJson"]) == doc


def test_invokes_answer_from_context_and_name_unknown_tokens() -> None:
    ctx = invokes.AwsContext("210987654321", "cn-north-1")
    assert invokes.answer("aws:index/getCallerIdentity:getCallerIdentity", {}, ctx)["accountId"] == "210987654321"
    assert invokes.answer("aws:index/getPartition:getPartition", {}, ctx)["partition"] == "aws-cn"
    assert invokes.answer("aws:index/getRegion:getRegion", {}, ctx)["region"] == "cn-north-1"
    assert invokes.answer("aws:index/getAvailabilityZones:getAvailabilityZones", {}, ctx)["names"][0] == "cn-north-1a"
    with pytest.raises(invokes.UnknownInvokeError, match="'aws:ec2/getVpc:getVpc'"):
        invokes.answer("aws:ec2/getVpc:getVpc", {}, ctx)


def test_autoname_rules() -> None:
    assert autoname.autoname_field("aws:sns/topic:Topic", {"name", "fifoTopic"}) == "name"
    assert autoname.autoname_field("aws:s3/bucket:Bucket", set()) == "bucket"
    assert autoname.autoname_field("aws:iam/rolePolicy:RolePolicy", {"role"}) is None
    assert autoname.has_prefix({"namePrefix": "cis-"})
    name = autoname.provider_name("aws:sns/topic:Topic", "alerts", "urn:x", {"fifoTopic": True})
    assert name.startswith("alerts-") and name.endswith(".fifo") and len(name) == len("alerts-") + 7 + 5
    assert autoname.provider_name("aws:s3/bucket:Bucket", "Logs", "urn:y", {}).startswith("logs-")


def test_lockfile_in_a_parent_captures_the_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "repo" / "policy"
    pack.mkdir(parents=True)
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "repo" / "uv.lock").write_text("")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(
        EngineError, match=r"uv.lock makes the Pulumi CLI run the pack .* with uv, which is not installed"
    ):
        choose_interpreter(pack, [])


def test_missing_virtualenv_falls_back_with_a_note(tmp_path: Path) -> None:
    import sys

    (tmp_path / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    notes: list[str] = []
    assert choose_interpreter(tmp_path, notes) == [sys.executable]
    assert len(notes) == 1 and "venv does not exist" in notes[0]
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(sys.executable)
    assert choose_interpreter(tmp_path, []) == [str(tmp_path / "venv" / "bin" / "python")]


def test_a_stack_violation_goes_where_the_engine_puts_it(tmp_path: Path) -> None:
    """On its own URN when that is a resource of the stack; else (none, a `.get` read, a URN
    of nothing) on the root Stack resource, as the real engine reports it (issue 24)."""
    project = Project(tmp_path, "acme", "python", tmp_path / "__main__.py", "prod", {})
    group = "urn:pulumi:prod::acme::aws:cloudwatch/logGroup:LogGroup::trail-logs"
    root = "urn:pulumi:prod::acme::pulumi:pulumi:Stack::acme-prod"
    assert stack_violation_urn(group, {root, group}, project) == group
    assert stack_violation_urn("", {root, group}, project) == root
    assert stack_violation_urn("urn:pulumi:prod::acme::aws:sns/topic:Topic::read", {root, group}, project) == root
    assert stack_violation_urn("", set(), project) == root


def test_text_tree_is_drawn_like_the_cli() -> None:
    """Siblings get ├─ and the last one └─; a parent with more children below keeps a │ line."""
    from trailwatch.engine.analyzer import Analysis
    from trailwatch.engine.program import Registration
    from trailwatch.engine.report import render_text

    def reg(name: str, parent: str = "") -> Registration:
        return Registration.from_json(
            {
                "urn": f"urn:{name}",
                "type": f"t:{name}",
                "name": name,
                "parent": parent,
                "custom": True,
                "inputs": {},
                "outputs": {},
            }
        )

    text = render_text(
        "dev",
        [reg("stack"), reg("comp", "urn:stack"), reg("a", "urn:comp"), reg("b", "urn:comp"), reg("c", "urn:stack")],
        Analysis("p", "1", []),
    )
    rows = [line[5:].split()[0:2] for line in text.splitlines() if line.startswith(" +   ")]
    assert [" ".join(r) for r in rows] == ["t:stack stack", "├─ t:comp", "│ ├─", "│ └─", "└─ t:c"]
    assert "+ 5 to create" in text
