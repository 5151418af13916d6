"""Wire values the engine uses for unknowns and secrets (pulumi/sdk/go/common/resource/plugin/rpc.go).

Kept as constants here so the CLI side needs no pulumi import; a test checks them against
pulumi_policy.proxy and pulumi.runtime.rpc.
"""

from __future__ import annotations

from typing import Any

UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
UNKNOWN_ASSET = "030794c1-ac77-496b-92df-f27374a8bd58"
UNKNOWN_ARCHIVE = "e48ece36-62e2-4504-bad9-02848725956a"
UNKNOWNS = frozenset(
    {UNKNOWN_STRING, UNKNOWN_BOOL, UNKNOWN_NUMBER, UNKNOWN_ARRAY, UNKNOWN_OBJECT, UNKNOWN_ASSET, UNKNOWN_ARCHIVE}
)

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def reveal(value: Any) -> Any:
    """Unwrap secrets (how the policy SDK deserialises Analyze properties)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return reveal(value.get("value"))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def downgrade_resources(value: Any) -> Any:
    """Resource references replaced the way the engine marshals them for a provider or a policy
    pack that does not keep resources (rpc.go, `KeepResources: false`): a custom resource becomes
    its id (unknown at preview), a component its URN.

    The SDK sends a reference when a program passes a resource itself (`topic=topic`); the AWS
    provider never sees one, and neither does the pack.
    """
    if isinstance(value, list):
        return [downgrade_resources(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get(SIG_KEY) == RESOURCE_SIG:
        return value["id"] if "id" in value else value.get("urn", "")
    return {k: downgrade_resources(v) for k, v in value.items()}
