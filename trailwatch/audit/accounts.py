"""Who the audit reads as: one botocore session for the whole run, a client per
(account, service, region), and a bound on the calls in flight per (account, service, region).

Cost per account must stay flat across an organisation of hundreds of accounts:
- botocore's loader (service models, endpoint rules: most of a client's creation cost) is
  per session, so every account's clients are made from ONE botocore session with the
  account's own credentials passed explicitly; an `Account` keeps its clients for its
  own audit and they go away with it.
- boto3 is not imported at all (it adds s3transfer and ~0.1 s of start-up per process,
  paid by every shard of a sharded run).
- Retries use botocore's *adaptive* mode (standard retries plus client-side rate limiting
  after throttling errors), and `Limits` bounds the calls in flight per account, service
  and region, where AWS applies its API rate quotas (CloudTrail, CloudWatch and CloudWatch
  Logs read APIs have low TPS quotas):
  https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/cloudwatch_limits_cwl.html
- `total_max_attempts` is the number of attempts in total (botocore's `max_attempts`
  counts retries, one fewer).

botocore sessions are not documented as thread-safe for client creation, so clients are
created under one lock; the clients themselves are thread-safe.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader
from botocore.session import Session

from .usage import DEFAULT_MAX_ATTEMPTS

DEFAULT_CALLS_PER_SERVICE = 4
ROLE_SESSION_NAME = "trailwatch-audit"

_CREATE = threading.Lock()  # one botocore session for the run: client creation is serialised


@dataclass(frozen=True)
class Connection:
    """How to reach AWS: a named profile, an emulator endpoint, retry and concurrency budget."""

    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    pool_size: int = 10
    calls_per_service: int = DEFAULT_CALLS_PER_SERVICE

    def config(self) -> Config:
        return Config(
            retries={"mode": "adaptive", "total_max_attempts": self.max_attempts},
            max_pool_connections=max(10, min(self.pool_size, 50)),
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="trailwatch-audit",
        )

    def probe_config(self) -> Config:
        """The start-up reachability check: one attempt, short timeouts."""
        return Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=20,
            user_agent_extra="trailwatch-audit",
        )


class Limits:
    """At most `per_service` calls in flight per (account, service, region)."""

    def __init__(self, per_service: int):
        self.per_service = per_service
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, str, str], threading.BoundedSemaphore] = {}

    @contextmanager
    def slot(self, account: str, service: str, region: str) -> Iterator[None]:
        key = (account, service, region)
        with self._lock:
            semaphore = self._slots.get(key)
            if semaphore is None:
                semaphore = self._slots[key] = threading.BoundedSemaphore(self.per_service)
        with semaphore:
            yield

    def forget(self, account: str) -> None:
        """Drop an audited account's semaphores (memory stays flat over an organisation)."""
        with self._lock:
            for key in [k for k in self._slots if k[0] == account]:
                del self._slots[key]


class Account:
    """One audited account: its credentials, its clients, and the role it was reached through."""

    def __init__(
        self,
        session: Session,
        connection: Connection,
        role_arn: str | None = None,
        credentials: dict[str, str] | None = None,
        limits: Limits | None = None,
    ):
        self._session = session
        self._connection = connection
        self._config = connection.config()
        self._credentials = credentials or {}
        self._clients: dict[tuple[str, str], Any] = {}
        self.limits = limits or Limits(connection.calls_per_service)
        self.role_arn = role_arn
        self.account_id: str | None = None
        self.caller_arn: str | None = None

    @property
    def connection(self) -> Connection:
        return self._connection

    @property
    def default_region(self) -> str | None:
        region = self._session.get_config_variable("region")
        return region if isinstance(region, str) and region else None

    def _make(self, service: str, region: str, config: Config) -> Any:
        """A new client (the caller holds `_CREATE`: the session is shared)."""
        return self._session.create_client(
            service,
            region_name=region,
            endpoint_url=self._connection.endpoint_url,
            config=config,
            **self._credentials,
        )

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        found = self._clients.get(key)
        if found is None:
            with _CREATE:  # a thread that waited here finds the client another one made
                found = self._clients.get(key)
                if found is None:
                    found = self._clients[key] = self._make(service, region, self._config)
        return found

    def identify(self, region: str) -> str:
        """The account id behind the credentials (sts:GetCallerIdentity)."""
        if self.account_id is None:
            self.account_id = self.client("sts", region).get_caller_identity()["Account"]
        return self.account_id

    def check(self, region: str) -> str:
        """Fail fast (one attempt, short timeouts) when credentials or the endpoint are bad."""
        with _CREATE:
            probe = self._make("sts", region, self._connection.probe_config())
        identity = probe.get_caller_identity()
        self.account_id, self.caller_arn = identity["Account"], identity.get("Arn")
        return self.account_id

    @property
    def partition(self) -> str:
        """The partition of the caller's ARN (aws, aws-cn, aws-us-gov...); aws before `check`."""
        parts = (self.caller_arn or "").split(":")
        return parts[1] if len(parts) > 2 and parts[1] else "aws"

    def assume(self, role_arn: str, region: str) -> Account:
        """The account behind `role_arn`, reached with these credentials (sts:AssumeRole)."""
        response = self.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)
        credentials = response["Credentials"]
        return Account(
            self._session,
            self._connection,
            role_arn=role_arn,
            limits=self.limits,
            credentials={
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            },
        )

    def release(self) -> None:
        """Close this account's clients once its audit is done."""
        for client in self._clients.values():
            close = getattr(client, "close", None)
            if close is not None:
                close()
        self._clients.clear()
        if self.account_id:
            self.limits.forget(self.account_id)


class UnreadableReply(BotoCoreError):
    """A success status whose body is not an AWS API reply (a proxy's or captive portal's
    HTML page with HTTP 200): botocore would read it as an empty result."""

    fmt = "the reply to {operation} was not an AWS API response (HTTP {status}, {what})"


def _check_reply(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """`before-parse` hook: refuse a 2xx reply that the service's protocol cannot have sent.

    botocore's JSON parser turns an unparseable body into `{"message": body}`, so without
    this an HTML page answering DescribeTrails reads as "no trail" (a false FAIL).
    """
    status = response_dict.get("status_code") or 0
    body = response_dict.get("body") or b""
    if not 200 <= status < 300 or not body or not isinstance(body, (bytes, bytearray)):
        return
    protocol = operation_model.service_model.resolved_protocol
    head = bytes(body[:200]).lstrip().lower()
    what = ""
    if head.startswith((b"<!doctype", b"<html")) or b"<html" in head:
        what = "an HTML page"
    elif protocol in ("json", "rest-json"):
        try:
            if not isinstance(json.loads(body), dict):
                what = "JSON that is not an object"
        except ValueError:
            what = "a body that is not JSON"
    elif protocol in ("query", "ec2", "rest-xml") and not head.startswith(b"<"):
        what = "a body that is not XML"
    if what:
        raise UnreadableReply(operation=operation_model.name, status=status, what=what)


class _Loader(Loader):
    """botocore's loader, except that "is X a service?" (asked before each model is loaded)
    looks in X's own data folder instead of listing all ~400 services' folders, which took a
    tenth of a one-account audit's CPU time (docs/performance.md). The answer is the same:
    a service is one whose folder has an API version with that model type. Its files are
    read by `_JSONFiles`. `shipped`: trailwatch's trimmed copy of botocore's own data
    (`shipped_data`), searched after `extra_search_paths` and before botocore's folders, and
    counted as botocore's bundled data."""

    def __init__(self, extra_search_paths: list[str] | None = None, shipped: str | None = None) -> None:
        super().__init__(
            extra_search_paths=[*(extra_search_paths or []), *([shipped] if shipped else [])], file_loader=_JSONFiles()
        )
        self._shipped = os.path.join(shipped, "") if shipped else None

    def list_available_services(self, type_name: str) -> Any:
        return _Services(self, type_name)

    def is_builtin_path(self, path: str) -> bool:
        """The shipped folder (`shipped_data`) holds botocore's own data, trimmed: botocore
        resolves endpoints from its own endpoint data otherwise than from a user's."""
        return super().is_builtin_path(path) or (self._shipped is not None and path.startswith(self._shipped))


class _JSONFiles(JSONFileLoader):
    """botocore's JSON file loader (the same files: `<path>.json`, else `<path>.json.gz`),
    parsed into plain dicts. botocore parses them into `OrderedDict`s, from the days when
    only those kept the file's key order (boto/botocore#51); a dict has kept insertion order
    since Python 3.7 (https://docs.python.org/3/library/stdtypes.html#dict), so the models
    iterate in the same order, and parsing is about three times faster: the endpoint data
    and a one-account audit's five service models took ~90 ms of its start-up
    (docs/performance.md)."""

    _OPENERS: tuple[tuple[str, Any], ...] = ((".json", open), (".json.gz", gzip.open))

    def exists(self, file_path: str) -> bool:
        return any(os.path.isfile(file_path + suffix) for suffix, _ in self._OPENERS)

    def load_file(self, file_path: str) -> Any:
        for suffix, opener in self._OPENERS:
            if os.path.isfile(file_path + suffix):
                with opener(file_path + suffix, "rb") as stream:
                    return json.loads(stream.read().decode("utf-8"))
        return None


class _Services:
    """`Loader.list_available_services`, membership answered per service; the whole list
    (botocore's error message for an unknown service) is made only when iterated."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except DataNotFoundError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(Loader.list_available_services(self._loader, self._type_name))

    def __len__(self) -> int:
        return len(Loader.list_available_services(self._loader, self._type_name))


def _loader(session: Session) -> _Loader:
    """The loader botocore's `create_loader` makes for the session's data path (AWS_DATA_PATH),
    with trailwatch's trimmed copy of botocore's data first when none is set (`shipped_data`)."""
    data_path = session.get_config_variable("data_path")
    if not data_path:
        from .shipped_data import search_path

        return _Loader(shipped=search_path())
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in str(data_path).split(os.pathsep)]
    return _Loader(extra_search_paths=paths)


def base_account(connection: Connection) -> Account:
    """The caller's own credentials (profile, environment, SSO...); raises ProfileNotFound."""
    session = Session(profile=connection.profile) if connection.profile else Session()
    session.register_component("data_loader", _loader(session))
    session.register("before-parse", _check_reply)
    if connection.profile:
        session.get_scoped_config()  # ProfileNotFound now, not at the first call
    return Account(session, connection)


def partition_regions(account: Account, partition: str = "aws") -> set[str]:
    """Every region name the partition has (botocore's offline endpoint data)."""
    return set(account._session.get_available_regions("cloudtrail", partition))
