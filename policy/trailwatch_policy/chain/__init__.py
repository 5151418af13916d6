"""The control, end to end: every CloudTrail log group -> filter -> alarm -> topic -> someone.

`evaluate(inventory, options)` is the one judgement shared by the policy pack (resources
read at preview) and the audit (resources read from AWS). It is pure: the callers map their
inputs into `trailwatch_policy.base.model` and findings back to their own reports.

A log group passes when at least one chain through it works; otherwise every broken link
of every candidate chain is reported once, on the resource a user edits to fix it. A link
that depends on a value not known yet makes the chain "unknown" (cannot be verified),
never a pass.

The chain resolves once, then judges:

| module | what it holds |
|---|---|
| `index` | the inventory resolved once per evaluation (references, names, places, what cannot be known); frozen |
| `links` | the links (log group, filter, metric, alarm, composite, actions, topic, subscription) as functions of a `Scope`: index, options, control |
| `evaluation` | `evaluate`, `Evaluation`: builds the index, runs the links per log group and control |
| `outcome` | `Outcome` and how links combine (alternatives, sequence); `LogGroupResult` |

Each concern has one seam: the control parameter is resolved once (`evaluation.the_control`)
and read from `links.Scope.control`; alarm or composite alarm is `links.notified`;
placement (account and Region) is `places`, its problems `trailwatch_policy.rules.where`'s;
hostile-input containment (`input-unreadable`, `evaluation-failed`) is `contain`. Problem
texts are the rule modules' (`metric_filter`, `alarm`, `trail`, `where`, ...).
"""

from __future__ import annotations

from trailwatch_policy.base.findings import Finding
from trailwatch_policy.chain.evaluation import Evaluation, evaluate, evaluate_controls, trail_findings
from trailwatch_policy.chain.outcome import LogGroupResult
from trailwatch_policy.rules.log_group import CloudTrailLogGroup, cloudtrail_log_groups
from trailwatch_policy.rules.options import ChainOptions, ConfigError, options_from_config

__all__ = [
    "ChainOptions",
    "ConfigError",
    "Evaluation",
    "Finding",
    "LogGroupResult",
    "CloudTrailLogGroup",
    "cloudtrail_log_groups",
    "evaluate",
    "evaluate_controls",
    "trail_findings",
    "options_from_config",
]
