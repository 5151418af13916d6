"""The trimmed copy of botocore's data the audit ships (trailwatch/audit/shipped_data.py):
botocore's own files for the pinned release, less what the audit never reads, searched
first only when they match the installed botocore and hide no user models."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore
import pytest
from botocore.loaders import Loader
from botocore.session import Session

from trailwatch.audit import shipped_data
from trailwatch.audit.accounts import _loader

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_user_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home without ~/.aws/models and no AWS_DATA_PATH."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    return tmp_path


def test_the_shipped_files_are_botocores_own_for_the_installed_release() -> None:
    """Every shipped file is what `make botocore-data` makes from the installed botocore,
    and nothing else is shipped: a botocore upgrade fails here until the data is remade."""
    expected = shipped_data.expected()
    assert expected["VERSION"] == botocore.__version__
    shipped = {str(p.relative_to(shipped_data.FOLDER)): p for p in shipped_data.FOLDER.rglob("*") if p.is_file()}
    assert sorted(shipped) == sorted(expected), "the shipped files are stale: run `make botocore-data`"
    for name, path in shipped.items():
        assert shipped_data.read(path) == expected[name], f"{name} is stale: run `make botocore-data`"


def test_trimming_keeps_everything_but_documentation_text_and_other_services() -> None:
    model = {
        "documentation": "text",
        "shapes": {"S": {"type": "structure", "members": {"documentation": {"shape": "T", "documentation": "x"}}}},
        "operations": [{"documentation": "y", "name": "Op"}],
    }
    assert shipped_data.without_documentation(model) == {
        "shapes": {"S": {"type": "structure", "members": {"documentation": {"shape": "T"}}}},
        "operations": [{"name": "Op"}],
    }
    endpoints = {"version": 3, "partitions": [{"partition": "aws", "regions": {"r": {}}, "services": {"a": 1, "b": 2}}]}
    assert shipped_data.for_services(endpoints, {"b"}) == {
        "version": 3,
        "partitions": [{"partition": "aws", "regions": {"r": {}}, "services": {"b": 2}}],
    }


def test_every_service_the_audit_calls_is_shipped() -> None:
    """A service missing from the trimmed endpoint data would be resolved from its
    partition's defaults, not from its own entry: every client the audit's code makes is
    for a shipped service."""
    called = set()
    for source in (ROOT / "trailwatch" / "audit").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        called |= set(re.findall(r'(?:client|_call|_paginate)\(\s*"([a-z0-9-]+)"', text))
    assert {"sts", "cloudtrail", "logs", "cloudwatch", "sns", "kms", "ec2", "organizations"} <= called
    assert called <= set(shipped_data.SERVICES), called - set(shipped_data.SERVICES)
    assert "securityhub" in (ROOT / "trailwatch" / "audit" / "securityhub.py").read_text(encoding="utf-8")


def test_the_audit_reads_the_shipped_files_as_botocores_own(no_user_models: Path) -> None:
    """With the release they were made from and no user models, the session's loader reads
    the endpoint data and the models from the shipped folder, counts them as botocore's
    bundled data (its endpoint resolution then stays botocore's own), and a client has every
    operation botocore's full model has."""
    assert shipped_data.search_path() == str(shipped_data.FOLDER)
    session = Session()
    loader = _loader(session)
    session.register_component("data_loader", loader)
    _, path = loader.load_data_with_path("endpoints")
    assert Path(path).is_relative_to(shipped_data.FOLDER) and loader.is_builtin_path(path)
    assert not loader.is_builtin_path(str(no_user_models / "endpoints.json"))
    theirs = Loader()
    for service in shipped_data.SERVICES:
        mine = loader.load_service_model(service, "service-2")
        full = theirs.load_service_model(service, "service-2")
        assert list(mine["operations"]) == list(full["operations"]) and list(mine["shapes"]) == list(full["shapes"])
        assert "documentation" not in json.dumps(mine["operations"])
    client = session.create_client("logs", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    assert client.meta.endpoint_url == "https://logs.eu-west-1.amazonaws.com"
    assert set(client.meta.service_model.operation_names) == set(
        Session()
        .create_client("logs", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
        .meta.service_model.operation_names
    )


def test_another_release_or_user_models_read_botocores_own_data(
    no_user_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped files are botocore's for one release: with another, or with models of the
    user's own that they would hide, botocore's own data is read, as without them."""
    release = botocore.__version__
    monkeypatch.setattr(botocore, "__version__", "0.0.0")
    assert shipped_data.search_path() is None
    assert str(shipped_data.FOLDER) not in _loader(Session()).search_paths
    monkeypatch.setattr(botocore, "__version__", release)
    (no_user_models / ".aws" / "models").mkdir(parents=True)
    assert shipped_data.search_path() is None
    (no_user_models / ".aws" / "models").rmdir()
    assert shipped_data.search_path() == str(shipped_data.FOLDER)
    monkeypatch.setenv("AWS_DATA_PATH", str(no_user_models))
    assert str(shipped_data.FOLDER) not in _loader(Session()).search_paths
