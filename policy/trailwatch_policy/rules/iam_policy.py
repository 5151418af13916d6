"""Resource policies (SNS topic policies, KMS key policies) evaluated the way AWS does.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
an explicit Deny that applies wins; otherwise an Allow that applies allows; otherwise the
request is implicitly denied. A statement applies when its `Principal`/`NotPrincipal`,
`Action`/`NotAction`, `Resource`/`NotResource` and every `Condition` match the request
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html).

Conditions: the operators of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
for strings, ARNs, Bool and Null, with `...IfExists` (a key absent from the request makes
the condition true) and `ForAnyValue:`/`ForAllValues:` (single-valued keys here). A key
absent from the request fails a positive operator and satisfies a negated one
(`StringNotEquals`, `ArnNotLike`, ...). Only the keys the caller models are judged
(`Request.context`); any other key, or an operator on them trailwatch does not model, makes
the statement "cannot be verified" -- never a pass.

The answer is True / False / UNKNOWN with the reason; `Decision.context_only` tells that
the only unknowns were request values not known yet (e.g. the alarm's ARN at preview),
not the policy. Pure: no Pulumi imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from trailwatch_policy.base.model import UNKNOWN, Unknown

_MAX_POLICY = 400_000  # characters; a larger document is refused, not parsed


@dataclass(frozen=True)
class Request:
    """One API call as the resource policy sees it."""

    service: str  # the calling service principal, e.g. "cloudwatch.amazonaws.com"
    actions: tuple[str, ...]  # every one of them must be allowed, e.g. ("sns:Publish",)
    resource: object = "*"  # the resource ARN, UNKNOWN, or "*"
    resource_name: object = None  # its last ARN segment when the ARN is not known
    # Modelled condition keys (lower case) -> value (str), None (absent from the request)
    # or UNKNOWN (present, value not known yet). Keys not listed are not modelled.
    context: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """Whether a policy allows a request (True, False or UNKNOWN), and why."""

    allowed: object  # True | False | UNKNOWN
    reason: str
    context_only: bool = False  # unknown only because request values are not known yet


def load(document: object) -> object:
    """A policy document as a dict; UNKNOWN when it cannot be read (or is not known)."""
    if document is UNKNOWN or document is None:
        return document
    if isinstance(document, str):
        if len(document) > _MAX_POLICY:
            return UNKNOWN
        try:
            document = json.loads(document)
        except (ValueError, RecursionError):
            return UNKNOWN
    return document if isinstance(document, dict) else UNKNOWN


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_CACHED_GLOB = 512  # characters: a longer wildcard (a hostile policy's) is translated each time


def _glob(pattern: str, text: str, ignore_case: bool = True) -> bool:
    """IAM wildcards: `*` any run of characters, `?` one character."""
    translate = _glob_regex if len(pattern) <= _CACHED_GLOB else _glob_regex.__wrapped__
    return translate(pattern, ignore_case).fullmatch(text) is not None


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """The same policy is read for every control: each wildcard is translated once."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.I | re.S if ignore_case else re.S)


class _Eval:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.unknown: list[tuple[bool, str]] = []  # (context only, why)

    def unsure(self, why: str, context: bool = False) -> Unknown:
        self.unknown.append((context, why))
        return UNKNOWN

    # -- elements -----------------------------------------------------------------------
    def principal(self, value: Any) -> object:
        """Whether a Principal element names the calling service."""
        if value == "*":
            return True
        if not isinstance(value, dict):
            return self.unsure(f"a Principal trailwatch cannot read ({value!r})")
        found: object = False
        for kind, names in value.items():
            for name in _list(names):
                if name is UNKNOWN:
                    found = self.unsure("a Principal not known yet") if found is False else found
                elif not isinstance(name, str):
                    continue
                elif kind == "AWS" and name == "*":
                    return True  # {"AWS": "*"} is everyone, services included
                elif kind == "Service" and name.lower() == self.request.service:
                    return True
        return found

    def actions(self, patterns: Any, negate: bool) -> object:
        names = _list(patterns)
        if any(p is UNKNOWN for p in names):
            return self.unsure("an Action not known yet")
        every = all(any(isinstance(p, str) and _glob(p, action) for p in names) for action in self.request.actions)
        some = any(any(isinstance(p, str) and _glob(p, action) for p in names) for action in self.request.actions)
        return (not some) if negate else every

    def resources(self, patterns: Any, negate: bool) -> object:
        result: object = False
        for pattern in _list(patterns):
            match = self._resource(pattern)
            if match is True:
                result = True
                break
            if match is UNKNOWN:
                result = UNKNOWN
        if result is UNKNOWN:
            return UNKNOWN
        return (not result) if negate else result

    def _resource(self, pattern: Any) -> object:
        if pattern is UNKNOWN:
            return self.unsure("a Resource not known yet")
        if not isinstance(pattern, str):
            return False
        if pattern == "*":
            return True
        arn = self.request.resource
        if isinstance(arn, str):
            return _glob(pattern, arn, ignore_case=False)
        name = self.request.resource_name
        if isinstance(name, str):  # the ARN is not known yet: judge its last segment
            return _glob(pattern.rsplit(":", 1)[-1], name, ignore_case=False)
        return self.unsure("the resource's ARN is not known yet", context=True)

    # -- conditions ---------------------------------------------------------------------
    def conditions(self, block: Any) -> object:
        if block is None:
            return True
        if not isinstance(block, dict):
            return self.unsure("a Condition trailwatch cannot read")
        result: object = True
        for operator, keys in block.items():
            if not isinstance(keys, dict) or not isinstance(operator, str):
                return self.unsure(f"condition operator {operator!r} trailwatch cannot read")
            for key, values in keys.items():
                held = self.condition(operator, str(key), _list(values))
                if held is False:
                    return False
                if held is UNKNOWN:
                    result = UNKNOWN
        return result

    def condition(self, operator: str, key: str, values: list[Any]) -> object:
        name = operator
        quantifier = ""
        for prefix in ("ForAnyValue:", "ForAllValues:"):
            if name.startswith(prefix):
                quantifier, name = prefix, name[len(prefix) :]
        if_exists = name.endswith("IfExists")
        name = name.removesuffix("IfExists")
        if key.lower() not in self.request.context:
            return self.unsure(f"condition key {key} is not modelled by trailwatch")
        actual = self.request.context[key.lower()]
        if name == "Null":
            if any(v is UNKNOWN for v in values):
                return self.unsure("a Null condition value not known yet")
            if actual is UNKNOWN:
                return (
                    False
                    if all(str(v).lower() == "true" for v in values)
                    else True
                    if all(str(v).lower() == "false" for v in values)
                    else UNKNOWN
                )
            return any((str(v).lower() == "true") == (actual is None) for v in values)
        negated = "Not" in name
        base = name.replace("Not", "")
        if base not in ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool"):
            return self.unsure(f"condition operator {operator} on {key} is not modelled by trailwatch")
        if actual is None:  # the key is not in the request
            if if_exists or quantifier == "ForAllValues:":
                return True
            return negated
        if any(v is UNKNOWN for v in values):
            return self.unsure(f"a value of condition {operator} on {key} is not known yet")
        matched = self._match(base, actual, [str(v) for v in values if v is not None], key)
        if matched is UNKNOWN:
            return UNKNOWN
        return (not matched) if negated else matched

    def _match(self, base: str, actual: object, values: list[str], key: str) -> object:
        if isinstance(actual, tuple):  # an ARN with parts not known yet
            return self._match_arn(base, actual, values, key)
        if actual is UNKNOWN:
            return self.unsure(f"the request's {key} is not known yet", context=True)
        text = str(actual)
        if base == "Bool":
            return any(v.lower() == text.lower() for v in values)
        if base == "StringEqualsIgnoreCase":
            return any(v.lower() == text.lower() for v in values)
        if base == "StringEquals":
            return text in values
        if base in ("ArnEquals", "ArnLike"):  # the same: component-wise, with wildcards
            return any(_arn_like(v, text) for v in values)
        return any(_glob(v, text, ignore_case=False) for v in values)

    def _match_arn(self, base: str, parts: tuple[object, ...], values: list[str], key: str) -> object:
        """Component-wise match of an ARN some of whose parts are not known yet."""
        result: object = False
        for value in values:
            wanted = value.split(":", 5)
            if len(wanted) != 6:
                continue
            ok: object = True
            for want, have in zip(wanted, parts, strict=True):  # both 6 parts
                if have is UNKNOWN:
                    if want != "*" or base == "StringEquals":
                        ok = UNKNOWN
                elif not (want == have if base == "StringEquals" else _glob(want, str(have), ignore_case=False)):
                    ok = False
                    break
            if ok is True:
                return True
            if ok is UNKNOWN:
                result = UNKNOWN
        if result is UNKNOWN:
            return self.unsure(f"the request's {key} is not known yet", context=True)
        return False

    # -- statements -----------------------------------------------------------------------
    def applies(self, statement: dict[str, Any]) -> object:
        checks: list[object] = []
        if "Principal" in statement:
            checks.append(self.principal(statement["Principal"]))
        elif "NotPrincipal" in statement:
            named = self.principal(statement["NotPrincipal"])
            checks.append(UNKNOWN if named is UNKNOWN else not named)
        else:
            checks.append(self.unsure("a statement without Principal"))
        if "Action" in statement:
            checks.append(self.actions(statement["Action"], False))
        elif "NotAction" in statement:
            checks.append(self.actions(statement["NotAction"], True))
        else:
            checks.append(False)
        if "Resource" in statement:
            checks.append(self.resources(statement["Resource"], False))
        elif "NotResource" in statement:
            checks.append(self.resources(statement["NotResource"], True))
        if False in checks:
            return False
        held = self.conditions(statement.get("Condition"))
        if held is False:
            return False
        return UNKNOWN if UNKNOWN in checks or held is UNKNOWN else True


def _arn_like(pattern: str, arn: str) -> bool:
    wanted, have = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(have) != 6:
        return False
    return all(_glob(w, h, ignore_case=False) for w, h in zip(wanted, have, strict=True))


def _label(statement: dict[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement #{index + 1}"


def evaluate(document: object, request: Request) -> Decision:
    """Whether the policy allows every action of `request` (see module docs)."""
    policy = load(document)
    if policy is UNKNOWN:
        return Decision(UNKNOWN, "the policy document is not known yet or is not valid JSON")
    if policy is None:
        return Decision(False, "there is no policy")
    assert isinstance(policy, dict)
    statements = policy.get("Statement")
    if statements is UNKNOWN:
        return Decision(UNKNOWN, "the policy's statements are not known yet")
    ev = _Eval(request)
    allow: list[tuple[object, str]] = []
    deny: list[tuple[object, str]] = []
    for index, statement in enumerate(_list(statements)):
        if not isinstance(statement, dict):
            continue
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            if effect is UNKNOWN:
                deny.append((ev.unsure("a statement's Effect is not known yet"), _label(statement, index)))
            continue
        applies = ev.applies(statement)
        (allow if effect == "Allow" else deny).append((applies, _label(statement, index)))
    context_only = bool(ev.unknown) and all(c for c, _ in ev.unknown)
    why = "; ".join(dict.fromkeys(w for _, w in ev.unknown))
    denied = [label for applies, label in deny if applies is True]
    if denied:
        return Decision(False, f"{denied[0]} explicitly denies it")
    allowed = [label for applies, label in allow if applies is True]
    maybe_denied = [label for applies, label in deny if applies is UNKNOWN]
    if allowed and not maybe_denied:
        return Decision(True, f"{allowed[0]} allows it")
    if maybe_denied:
        return Decision(UNKNOWN, f"whether {maybe_denied[0]} denies it cannot be told: {why}", context_only)
    maybe_allowed = [label for applies, label in allow if applies is UNKNOWN]
    if maybe_allowed:
        return Decision(UNKNOWN, f"whether {maybe_allowed[0]} allows it cannot be told: {why}", context_only)
    return Decision(False, "no statement allows it (an implicit deny)")


def arn_parts(
    arn: object,
    partition: object = UNKNOWN,
    service: str = "",
    region: object = UNKNOWN,
    account: object = UNKNOWN,
    resource: object = UNKNOWN,
) -> object:
    """An ARN as a request value: the string when known, else its parts (UNKNOWN where not known)."""
    if isinstance(arn, str):
        return arn
    if all(isinstance(p, str) for p in (partition, region, account, resource)):
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"
    return ("arn", partition, service, region, account, resource)
