"""Issue 23, "The program": what `pulumi up` deploys, read from the registrations under Pulumi's mocks.

Retained resources keep their protections; principals and ARNs follow the partition; placeholder
endpoints stop `pulumi up` but not a preview; a secret endpoint stays secret in every resource
and in no name; a secret value's error message shows none of its text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from program_helpers import ACCOUNT, ProgramRun, Registered, run_program, run_stack, stack_config
from trailwatch.config import ConfigError, Subscription, check_placeholders, local_emulator, parse_settings

BUCKET = "aws:s3/bucket:Bucket"
PROTECTIONS = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLogging:BucketLogging",
}
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PERMISSION = "aws:lambda/permission:Permission"
KEY = "aws:kms/key:Key"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
CREATE: dict[str, Any] = {"trailwatch:createTrail": True, "trailwatch:emails": ["secops@acme.internal"]}
EXISTING: dict[str, Any] = {
    "trailwatch:logGroupName": "aws-controltower/CloudTrailLogs",
    "trailwatch:emails": ["secops@acme.internal"],
}


def plain_strings(value: Any) -> Iterator[str]:
    """Every string of a wire-form value that is not inside a secret."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        if SECRET_SIG in value:
            return
        for item in value.values():
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)


# --- what protects a retained resource is retained with it ----------------------------------------


@pytest.mark.parametrize(
    ("on_destroy", "flag"), [(None, "retain_on_delete"), ("retain", "retain_on_delete"), ("protect", "protect")]
)
def test_what_protects_a_kept_bucket_is_kept_with_it(on_destroy: str | None, flag: str) -> None:
    config = dict(CREATE) if on_destroy is None else {**CREATE, "trailwatch:onDestroy": on_destroy}
    run = run_program(config)
    kept = {b.urn for b in run.of_type(BUCKET) if getattr(b, flag)}
    assert len(kept) == 2  # the trail's bucket and its access-log bucket
    checked: set[str] = set()
    for resource in run.resources:
        guarded = set(resource.property_dependencies.get("bucket", [])) & kept
        if guarded:
            assert resource.type in PROTECTIONS, resource.type
            assert getattr(resource, flag), f"{resource.name} protects a kept bucket but is not kept"
            checked.add(resource.type)
    assert checked == PROTECTIONS  # every kind of protection was seen, on the kept buckets


def test_on_delete_nothing_is_kept() -> None:
    run = run_program({**CREATE, "trailwatch:onDestroy": "delete"})
    assert not [r.name for r in run.resources if r.retain_on_delete or r.protect]


# --- partitions ------------------------------------------------------------------------------------

#: The service principals each partition's policies must name. CloudWatch Logs' is regional and
#: ends in amazonaws.com.cn in the China Regions; the others keep their global names
#: (docs/configuration.md, "Partitions", cites the pages).
PARTITIONS = [
    (
        "aws",
        "us-east-1",
        {
            "cloudtrail.amazonaws.com",
            "cloudwatch.amazonaws.com",
            "logging.s3.amazonaws.com",
            "logs.us-east-1.amazonaws.com",
            "sns.amazonaws.com",
        },
    ),
    (
        "aws-cn",
        "cn-north-1",
        {
            "cloudtrail.amazonaws.com",
            "cloudwatch.amazonaws.com",
            "logging.s3.amazonaws.com",
            "logs.cn-north-1.amazonaws.com.cn",
            "sns.amazonaws.com",
        },
    ),
    (
        "aws-us-gov",
        "us-gov-west-1",
        {
            "cloudtrail.amazonaws.com",
            "cloudwatch.amazonaws.com",
            "logging.s3.amazonaws.com",
            "logs.us-gov-west-1.amazonaws.com",
            "sns.amazonaws.com",
        },
    ),
]


def principals_and_arns(run: ProgramRun) -> tuple[set[str], list[str]]:
    principals: set[str] = set()
    arns: list[str] = []
    for resource in run.resources:
        if resource.type == PERMISSION:
            principals.add(resource.inputs["principal"])
        for text in plain_strings(resource.inputs):
            arns.extend(re.findall(r"arn:[^\s\"]*", text))
            if text.startswith("{") and '"Statement"' in text:
                for statement in json.loads(text)["Statement"]:
                    principal = statement.get("Principal")
                    if isinstance(principal, dict) and "Service" in principal:
                        services = principal["Service"]
                        principals.update([services] if isinstance(services, str) else services)
    return principals, arns


@pytest.mark.parametrize(("partition", "region", "expected"), PARTITIONS, ids=[p[0] for p in PARTITIONS])
def test_every_principal_and_arn_follows_the_partition(partition: str, region: str, expected: set[str]) -> None:
    config = {
        **CREATE,
        "aws:region": region,
        "trailwatch:lambdaFunctionArns": [f"arn:{partition}:lambda:{region}:{ACCOUNT}:function:pager"],
        "trailwatch:sqsQueueArns": [f"arn:{partition}:sqs:{region}:{ACCOUNT}:alarms"],
    }
    run = run_program(config, partition=partition, region=region)
    principals, arns = principals_and_arns(run)
    assert principals == expected
    assert arns and {arn.split(":")[1] for arn in arns} == {partition}, arns
    key = json.loads(next(k for k in run.of_type(KEY) if k.name == "trailwatch-cloudtrail-key").inputs["policy"])
    logs = next(s for s in key["Statement"] if s["Sid"] == "AllowCloudWatchLogsForTheTrailLogGroup")
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    assert logs["Principal"] == {"Service": f"logs.{region}.{suffix}"}
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"].startswith(f"arn:{partition}:logs:")


@pytest.mark.parametrize(("partition", "region", "expected"), PARTITIONS, ids=[p[0] for p in PARTITIONS])
def test_the_delivery_role_writes_cloudtrail_streams_only_in_every_partition(
    partition: str, region: str, expected: set[str]
) -> None:
    run = run_program(CREATE, partition=partition, region=region)
    (statement,) = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    # CloudTrail's documented role policy: log-stream:<account>_CloudTrail_<region>*; streams are
    # named <account>_CloudTrail_<source region>, one per region of a multi-region trail.
    assert statement["Resource"] == (
        f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:"
        f"/aws/cloudtrail/trailwatch-trailwatch-dev:log-stream:{ACCOUNT}_CloudTrail_*"
    )
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]


# --- placeholder endpoints -------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "key"), [("dev", "emails"), ("prod", "emails")])
def test_pulumi_up_refuses_a_shipped_stack_with_placeholder_endpoints(stack: str, key: str) -> None:
    run = ProgramRun(resources=[])
    with pytest.raises(pulumi.RunError) as caught:
        run_program(stack_config(stack, shipped=True), stack=stack, run=run)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"invalid configuration trailwatch:{key}: ")
    assert "is a placeholder" in message and "example.com" in message
    assert not [r for r in run.resources if r.type.startswith("aws:")]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_preview_of_a_shipped_stack_warns_and_runs(stack: str) -> None:
    run = run_stack(stack, preview=True, shipped=True)
    placeholders = sorted(w.split(": ")[0] for w in run.warnings if "is a placeholder" in w)
    # prod: two example.com addresses and the secret REPLACE-WITH-... PagerDuty URL
    assert (
        placeholders
        == {
            "dev": ["trailwatch:emails"],
            "prod": ["trailwatch:emails", "trailwatch:emails", "trailwatch:httpsEndpoints"],
        }[stack]
    )
    assert run.of_type(SUBSCRIPTION)


def test_a_secret_placeholder_is_refused_by_its_key_and_host_only() -> None:
    url = "https://events.pagerduty.com/integration/REPLACE-WITH-YOUR-INTEGRATION-KEY/enqueue"
    with pytest.raises(pulumi.RunError) as caught:
        run_program(
            {"trailwatch:logGroupName": "g", "trailwatch:httpsEndpoints": [url]},
            secret_keys=["trailwatch:httpsEndpoints"],
        )
    message = str(caught.value)
    assert message.startswith(
        "invalid configuration trailwatch:httpsEndpoints: the https endpoint on host "
        "events.pagerduty.com (its text is kept secret) is a placeholder"
    )
    assert "integration/" not in message and "--secret trailwatch:httpsEndpoints" in message


def test_a_local_emulator_stack_deploys_with_a_warning() -> None:
    config = stack_config("local", shipped=True)
    assert "@example.com" in config["trailwatch:emails"]
    run = run_program(config, stack="local")
    assert any("is a placeholder" in w for w in run.warnings)
    assert run.of_type(SUBSCRIPTION)


@pytest.mark.parametrize(
    ("protocol", "endpoint", "placeholder"),
    [
        ("email", "a@example.com", True),
        ("email", "a@Mail.Example.ORG", True),
        ("email", "a@example.net", True),
        ("email", "a@host.test", True),
        ("email", "a@x.invalid", True),
        ("email", "a@example.company.com", False),
        ("email", "a@notexample.com", False),
        ("email", "secops@acme.internal", False),
        ("https", "https://hooks.example.com/x", True),
        ("https", "https://h.localhost/x", True),
        ("https", "https://events.pagerduty.com/integration/0123abcd/enqueue", False),
        ("https", "https://events.pagerduty.com/integration/REPLACE-WITH-KEY/enqueue", True),
        ("lambda", "arn:aws:lambda:us-east-1:111122223333:function:replace_with_name", True),
        ("sqs", "arn:aws:sqs:us-east-1:111122223333:alarms", False),
    ],
)
def test_what_counts_as_a_placeholder(protocol: str, endpoint: str, placeholder: bool) -> None:
    subscription = Subscription(protocol, endpoint)  # type: ignore[arg-type]
    assert bool(check_placeholders([subscription], deploying=False)) == placeholder
    if placeholder:
        with pytest.raises(ConfigError):
            check_placeholders([subscription], deploying=True)
    else:
        assert check_placeholders([subscription], deploying=True) == []


@pytest.mark.parametrize(
    ("endpoints", "local"),
    [
        ([{"sns": "http://127.0.0.1:5000", "sts": "http://localhost:4566"}], True),
        ([{"sns": "http://127.0.0.1:5000", "sts": "https://sts.amazonaws.com"}], False),
        (None, False),
        ([], False),
        ("http://127.0.0.1:5000", False),
        ([{"sns": 5}], False),
    ],
)
def test_only_an_all_loopback_provider_is_a_local_emulator(endpoints: object, local: bool) -> None:
    assert local_emulator(endpoints) is local


# --- a secret endpoint stays secret in every resource that carries it, and in no name ------------

SECRETS = [
    ("emails", "boss.private@acme.internal"),
    ("httpsEndpoints", "https://events.pagerduty.com/integration/feedfacefeedfacefeedfacefeedface/enqueue"),
    ("sqsQueueArns", f"arn:aws:sqs:us-east-1:{ACCOUNT}:hidden-alarm-queue"),
    ("lambdaFunctionArns", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hidden-pager"),
    ("subscriptions", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hidden-pager"),
]


def carriers(run: ProgramRun, secret: str) -> list[Registered]:
    """The resources whose inputs hold `secret` (secret or plain)."""
    return [r for r in run.resources if secret in json.dumps(r.inputs)]


@pytest.mark.parametrize(("key", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_a_secret_endpoint_is_secret_in_every_resource_that_carries_it(key: str, secret: str) -> None:
    run = run_program({**EXISTING, f"trailwatch:{key}": [secret]}, secret_keys=[f"trailwatch:{key}"])
    found = carriers(run, secret)
    expected = {SUBSCRIPTION, PERMISSION} if ":lambda:" in secret else {SUBSCRIPTION}
    assert {r.type for r in found} == expected
    fragment = secret.split(":")[-1].split("/")[-2 if secret.startswith("https") else -1].split("@")[0]
    for resource in run.resources:
        leaked = [t for t in plain_strings(resource.inputs) if fragment in t]
        assert not leaked, f"{resource.type} {resource.name} carries the secret in plain text: {leaked}"
        assert fragment not in resource.urn
    for resource in found:
        field = "function" if resource.type == PERMISSION else "endpoint"
        assert resource.inputs[field][SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270"
        assert resource.additional_secret_outputs == [field]


def digest(protocol: str, endpoint: str) -> str:
    """The name scheme of earlier versions: 8 hex digits of an unsalted SHA-256 of the endpoint."""
    return hashlib.sha256(f"{protocol}:{endpoint}".encode()).hexdigest()[:8]


@pytest.mark.parametrize(("key", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_no_urn_confirms_a_guessed_secret_endpoint(key: str, secret: str) -> None:
    run = run_program({**EXISTING, f"trailwatch:{key}": [secret]}, secret_keys=[f"trailwatch:{key}"])
    subscription = next(r for r in run.of_type(SUBSCRIPTION) if secret in json.dumps(r.inputs))
    protocol = subscription.name.split("-")[2]
    old = digest(protocol, secret)
    assert all(old not in r.urn for r in run.resources)
    assert subscription.name == f"trailwatch-topic-{protocol}-secret-1"
    # A stack deployed by an earlier version keeps its subscription: the old name is an alias.
    assert subscription.alias_names == [f"trailwatch-topic-{protocol}-{old}"]


def test_plain_endpoints_keep_their_names_and_secret_ones_count_per_protocol() -> None:
    run = run_program(
        {
            **EXISTING,
            "trailwatch:httpsEndpoints": ["https://a.acme.internal/1", "https://b.acme.internal/2"],
            "trailwatch:sqsQueueArns": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"],
        }
    )
    names = sorted(r.name for r in run.of_type(SUBSCRIPTION))
    assert names == sorted(
        [
            f"trailwatch-topic-email-{digest('email', 'secops@acme.internal')}",
            "trailwatch-topic-https-secret-1",
            "trailwatch-topic-https-secret-2",
            f"trailwatch-topic-sqs-{digest('sqs', f'arn:aws:sqs:us-east-1:{ACCOUNT}:q')}",
        ]
    )
    plain = [r for r in run.of_type(SUBSCRIPTION) if "secret" not in r.name]
    assert all(r.alias_names == [] for r in plain)


# --- a secret value's error shows none of its text ---------------------------------------------------


@pytest.mark.parametrize(
    ("key", "text", "hidden", "host"),
    [
        (
            "httpsEndpoints",
            '["https://events.pagerduty.com/integration/feedface0123/enqueue"',
            "feedface0123",
            "events.pagerduty.com",
        ),
        ("httpsEndpoints", '{"not": "https://events.pagerduty.com/integration/feedface0123/x"}', "feedface0123", None),
        ("emails", '["boss.private@acme.internal", ', "boss.private", None),
        ("emails", '{"to": "boss.private@acme.internal"}', "boss.private", None),
        ("emails", '["boss.private@acme.internal", 42]', "42", None),
        ("subscriptions", '[{"protocol": "pager", "endpoint": "boss.private@acme.internal"}]', "boss.private", None),
        ("tags", '{"costcentre": 4711}', "costcentre", None),
        ("tags", '{"costcentre": "4711"', "costcentre", None),
        ("alarmThreshold", "not-a-number", "not-a-number", None),
    ],
)
def test_a_malformed_secret_value_is_not_echoed(key: str, text: str, hidden: str, host: str | None) -> None:
    raw = {"logGroupName": "g", "emails": "secops@acme.internal", key: text}
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, project="p", stack="s", secret_keys=frozenset({key}))
    message = str(caught.value)
    assert caught.value.key == f"trailwatch:{key}" and "\n" not in message
    assert hidden not in message and "4711" not in message and "boss" not in message
    assert "secret" in message
    if host is not None:
        assert f"host {host}" in message


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("emails", '["boss.private@acme.internal", '),
        ("tags", '{"costcentre": 4711}'),
        ("alarmThreshold", "not-a-number"),
    ],
)
def test_a_malformed_plain_value_is_still_shown(key: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"logGroupName": "g", "emails": "secops@acme.internal", key: text}, project="p", stack="s")
    assert ("costcentre" if key == "tags" else text.strip('[", ')) in str(caught.value)


def test_the_program_redacts_a_malformed_secret_value() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program(
            {
                "trailwatch:logGroupName": "g",
                "trailwatch:httpsEndpoints": '["https://events.pagerduty.com/integration/feedface0123/x"',
            },
            secret_keys=["trailwatch:httpsEndpoints"],
        )
    assert "feedface0123" not in str(caught.value) and "host events.pagerduty.com" in str(caught.value)


def test_an_endpoint_in_another_account_keeps_a_secret_arn_and_its_account_out_of_the_message() -> None:
    arn = "arn:aws:lambda:us-east-1:999988887777:function:hidden-pager"
    with pytest.raises(pulumi.RunError) as caught:
        run_program({**EXISTING, "trailwatch:lambdaFunctionArns": [arn]}, secret_keys=["trailwatch:lambdaFunctionArns"])
    message = str(caught.value)
    assert "hidden-pager" not in message and "999988887777" not in message
    assert "is in another account, not 111122223333" in message
