"""The AWS CLI fix of every finding code an audit can emit, filled from the registry.

A rule's `Problem.fix` is the Pulumi wording (values to set, a Python snippet): what the
pack shows beside a resource of the stack. A live audit reports resources by ARN, where a
command fixes them faster: `cli_fix` fills the code's template (trailwatch_policy.base.codes) from the finding's
resource ARN (region, trail, alarm, topic, log group, filter names) and the values the
rule knew (`Problem.args`: the filter's metric, the alarm's topic...). A value nobody
knows stays a visible `<placeholder>`. Pure: no boto3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from trailwatch_policy.base.codes import REGISTRY
from trailwatch_policy.base.findings import Finding
from trailwatch_policy.controls import primary


@dataclass(frozen=True)
class Fix:
    """How to fix one code: `cli` always; `pulumi` only for codes no rule writes (the
    audit's own: a missing trail or log group); the rules write their own, with values."""

    cli: str
    pulumi: str = ""


# The templates live with their codes (trailwatch_policy.base.codes); these views keep the old names.
FIXES: Final[Mapping[str, Fix]] = {code: Fix(e.cli, e.pulumi) for code, e in REGISTRY.items() if e.cli}

# Codes only the pack emits: a value not known before `pulumi up` (or one the pack could not
# read), a place the audit never sees. AWS always answers with values, so they need no command.
PREVIEW_ONLY: Final = frozenset(code for code, e in REGISTRY.items() if e.preview_only)


def _defaults() -> Mapping[str, str]:
    """Values a finding does not carry: the primary control's names (rules pass their control's)."""
    c = primary()
    return {
        "namespace": "CISBenchmark",
        "metric": c.metric,
        "filter": c.filter,
        "alarm": c.alarm,
        "pattern": c.fix_pattern,
        "topic": "<sns topic arn>",
    }


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key.replace('_', ' ')}>"


def _from_arn(arn: str) -> dict[str, str]:
    """The names a command needs, from the ARN (or `arn:...:metric-filter:` id) of a resource."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return {}
    service, region, resource = parts[2], parts[3], parts[5]
    out = {"region": region} if region else {}
    if service == "cloudtrail" and resource.startswith("trail/"):
        out["trail"] = arn
    elif service == "cloudwatch" and resource.startswith("alarm:"):
        out["alarm"] = resource[len("alarm:") :]
    elif service == "sns":
        out.update(topic=arn)
    elif service == "logs" and resource.startswith("log-group:"):
        group, _, rest = resource[len("log-group:") :].partition(":metric-filter:")
        out["log_group"] = group.removesuffix(":*")
        if rest:
            out["filter"] = rest
    return out


def values(resource_id: str, log_group: str | None = None, args: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Template values: defaults < what the rule knew < the resource's own ARN."""
    out: dict[str, str] = _Values(_defaults())
    out.update({k: v for k, v in args if v})
    if log_group:
        out["log_group"] = log_group
    out.update(_from_arn(resource_id))
    topic = out["topic"]
    if topic.startswith("arn:"):
        parsed = _from_arn(topic)
        out.setdefault("topic_region", parsed.get("region", "<region>"))
        out.setdefault("topic_name", topic.rsplit(":", 1)[-1])
    return out


def cli_fix(
    code: str, resource_id: str, log_group: str | None = None, args: Iterable[tuple[str, str]] = (), fallback: str = ""
) -> str:
    """The AWS CLI fix of `code` for `resource_id`; `fallback` when the table has none."""
    fix = FIXES.get(code)
    if fix is None:
        return fallback
    return fix.cli.format_map(values(resource_id, log_group, args))


def cli_fix_of(finding: Finding) -> str:
    """A rule's finding's AWS CLI fix (audit reports): its code's template filled from the
    finding's resource, log group and the values the rule knew; its Pulumi `fix` when the
    code has no command."""
    return cli_fix(finding.code, finding.resource_id, finding.log_group, finding.args, finding.fix)


def pulumi_fix(code: str, resource_id: str, log_group: str | None = None) -> str:
    """The table's Pulumi fix (only the audit's own codes have one here; rules write theirs)."""
    fix = FIXES.get(code)
    return fix.pulumi.format_map(values(resource_id, log_group)) if fix and fix.pulumi else ""
