"""Whether an SNS subscription's filter policy lets a CloudWatch alarm notification through.

https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html: a subscription with a
filter policy receives only the messages the policy matches. With the default scope
(`MessageAttributes`) the policy is matched against the message attributes; CloudWatch
alarm notifications carry none, so only a key whose rules include `{"exists": false}`
matches (https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html). With
`filterPolicyScope: MessageBody`
(https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html) it is matched
against the message body, which for an alarm is the alarm's JSON
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).

Rules modelled: exact strings and numbers, `prefix`, `suffix`, `equals-ignore-case`,
`anything-but` (values or a prefix), `exists`, `numeric`, `$or`. Anything else, or a body
field whose value trailwatch does not know, is "cannot be verified". Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trailwatch_policy.base.model import UNKNOWN
from trailwatch_policy.rules.iam_policy import load

_ABSENT = object()


def _rule(rule: Any, value: Any) -> object:
    """One rule of a key's list against a value (`_ABSENT` when the key is missing)."""
    if isinstance(rule, dict):
        if len(rule) != 1:
            return UNKNOWN
        [(kind, arg)] = rule.items()
        if kind == "exists":
            return (value is not _ABSENT) == bool(arg)
        if value is _ABSENT:
            return False  # every other rule needs the key
        if value is UNKNOWN:
            return UNKNOWN
        text = value if isinstance(value, str) else None
        if kind == "prefix" and isinstance(arg, str):
            return text is not None and text.startswith(arg)
        if kind == "suffix" and isinstance(arg, str):
            return text is not None and text.endswith(arg)
        if kind == "equals-ignore-case" and isinstance(arg, str):
            return text is not None and text.lower() == arg.lower()
        if kind == "anything-but":
            if isinstance(arg, dict) and set(arg) == {"prefix"} and isinstance(arg["prefix"], str):
                return text is not None and not text.startswith(arg["prefix"])
            values = arg if isinstance(arg, list) else [arg]
            if any(isinstance(v, (dict, list)) for v in values):
                return UNKNOWN
            return value not in values
        if kind == "numeric" and isinstance(arg, list):
            return _numeric(arg, value)
        return UNKNOWN
    if value is _ABSENT:
        return False
    if value is UNKNOWN:
        return UNKNOWN
    if rule is None:
        return value is None
    if isinstance(rule, bool) or isinstance(value, bool):
        return rule is value
    if isinstance(rule, (int, float)) and isinstance(value, (int, float)):
        return float(rule) == float(value)
    return rule == value


def _numeric(arg: list[Any], value: Any) -> object:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    ops = {"=": float.__eq__, "<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
    for i in range(0, len(arg) - 1, 2):
        op, bound = arg[i], arg[i + 1]
        if op not in ops or not isinstance(bound, (int, float)):
            return UNKNOWN
        if not ops[op](float(value), float(bound)):
            return False
    return True


def _any(results: list[object]) -> object:
    if True in results:
        return True
    return UNKNOWN if UNKNOWN in results else False


def _all(results: list[object]) -> object:
    if False in results:
        return False
    return UNKNOWN if UNKNOWN in results else True


def _matches(policy: Mapping[str, Any], message: Any, nested: bool) -> object:
    results: list[object] = []
    for key, rules in policy.items():
        if key == "$or":
            if not isinstance(rules, list):
                return UNKNOWN
            results.append(_any([_matches(p, message, nested) if isinstance(p, dict) else UNKNOWN for p in rules]))
            continue
        value = (
            message.get(key, _ABSENT) if isinstance(message, Mapping) else (UNKNOWN if message is UNKNOWN else _ABSENT)
        )
        if isinstance(rules, dict):
            if not nested:
                return UNKNOWN
            if value is _ABSENT:
                results.append(False)
            else:
                results.append(_matches(rules, value, nested))
            continue
        rules = rules if isinstance(rules, list) else [rules]
        if isinstance(value, list):
            results.append(_any([_any([_rule(r, v) for r in rules]) for v in value]))
        else:
            results.append(_any([_rule(r, value) for r in rules]))
    return _all(results)


def delivers(filter_policy: object, scope: object, body: Mapping[str, Any]) -> object:
    """True / False / UNKNOWN: the subscription receives a CloudWatch alarm notification."""
    if filter_policy is None:
        return True
    policy = load(filter_policy)
    if policy is UNKNOWN or scope is UNKNOWN:
        return UNKNOWN
    if not isinstance(policy, dict) or not policy:
        return True if isinstance(policy, dict) else UNKNOWN
    if scope == "MessageBody":
        return _matches(policy, body, nested=True)
    return _matches(policy, {}, nested=False)  # alarm notifications carry no attributes
