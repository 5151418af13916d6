"""Who the audit reads as: one boto3 Session per account, clients shared across threads.

boto3 Sessions are not thread-safe but clients are: each account gets its own Session,
clients are created under that account's lock, cached per (service, region), then used
from any worker thread. Retries use botocore's standard mode (throttling back-off).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Connection:
    """How to reach AWS: a named profile, an emulator endpoint, retry budget."""

    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    pool_size: int = 10

    def config(self) -> Config:
        return Config(
            retries={"mode": "standard", "max_attempts": self.max_attempts},
            max_pool_connections=max(10, self.pool_size),
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="trailwatch-audit",
        )


class Account:
    """One audited account: its session, its clients, and the role it was reached through."""

    def __init__(self, session: boto3.Session, connection: Connection, role_arn: str | None = None):
        self._session = session
        self._connection = connection
        self._config = connection.config()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self.role_arn = role_arn
        self.account_id: str | None = None

    @property
    def default_region(self) -> str | None:
        return self._session.region_name

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._clients[key] = self._session.client(
                    service, region_name=region, endpoint_url=self._connection.endpoint_url,
                    config=self._config)
            return found

    def identify(self, region: str) -> str:
        """The account id behind the credentials (sts:GetCallerIdentity)."""
        if self.account_id is None:
            self.account_id = self.client("sts", region).get_caller_identity()["Account"]
        return self.account_id

    def check(self, region: str) -> str:
        """Fail fast (one attempt, short timeouts) when credentials or the endpoint are bad."""
        probe = self._session.client(
            "sts", region_name=region, endpoint_url=self._connection.endpoint_url,
            config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=5,
                          read_timeout=20))
        self.account_id = probe.get_caller_identity()["Account"]
        return self.account_id

    def assume(self, role_arn: str, region: str) -> "Account":
        """The account behind `role_arn`, reached with these credentials (sts:AssumeRole)."""
        response = self.client("sts", region).assume_role(
            RoleArn=role_arn, RoleSessionName="trailwatch-audit")
        credentials = response["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self._session.region_name,
        )
        return Account(session, self._connection, role_arn=role_arn)


def base_account(connection: Connection) -> Account:
    """The caller's own credentials (profile, environment, SSO...); raises ProfileNotFound."""
    session = boto3.Session(profile_name=connection.profile) if connection.profile else boto3.Session()
    return Account(session, connection)
