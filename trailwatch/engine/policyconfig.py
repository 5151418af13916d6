"""`--policy-pack-config` parsing and the engine's merge (pkg/resource/analyzer/config.go).

Order, as ReconcilePolicyPackConfig does it: each policy's own level plus its schema defaults,
then the pack's initialConfig, then the user's file; `all` sets every policy's level first, then
named entries apply. The SDK fills no schema defaults itself, so without this merge a policy
silently runs with no config. Unlike the real engine (which passes unknown names through), a
name that matches no policy is an error here: it is almost always a typo that disables nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trailwatch.cli.inputs import read_text

from .errors import EngineError

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@dataclass
class PolicyConfig:
    """One policy's configuration: its enforcement level and its properties."""

    enforcement_level: str | None
    properties: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True)
class PolicyMeta:
    """A policy as the pack describes it: its name, default enforcement level and config schema."""

    name: str
    enforcement_level: str
    schema_properties: dict[str, Any]
    required: tuple[str, ...] = ()


def _level(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in LEVELS:
        raise EngineError(f"{where}: {value!r} is not an enforcement level; use one of {', '.join(LEVELS)}")
    return value


def parse_config_text(text: str, source: str) -> dict[str, PolicyConfig]:
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError(
            f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); fix the file there"
        ) from None
    except RecursionError:
        raise EngineError(f"{source}: JSON nested too deeply to read; fix the file") from None
    if not isinstance(raw, dict):
        raise EngineError(
            f"{source}: expected a JSON object of policy names to levels or settings, found a JSON {type(raw).__name__}"
        )
    result: dict[str, PolicyConfig] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            result[name] = PolicyConfig(_level(value, f"{source}: {name!r}"))
        elif isinstance(value, dict):
            props = dict(value)
            level = (
                _level(props.pop("enforcementLevel"), f"{source}: {name!r}") if "enforcementLevel" in props else None
            )
            if level is None and not props:
                continue
            result[name] = PolicyConfig(level, props or None)
        else:
            raise EngineError(f"{source}: {name!r} must be an enforcement level string or an object")
    return result


def load_config_file(path: Path) -> dict[str, PolicyConfig]:
    source = f"--policy-pack-config {path}"
    text = read_text(path, source, 'give a JSON file like {"all": "mandatory"}')
    return parse_config_text(text, source)


def _apply(result: dict[str, PolicyConfig], given: dict[str, PolicyConfig]) -> None:
    everything = given.get("all")
    if everything is not None and everything.enforcement_level:
        for cfg in result.values():
            cfg.enforcement_level = everything.enforcement_level
    for name, cfg in given.items():
        current = result.get(name)
        level = current.enforcement_level if current else None
        props = dict(current.properties) if current and current.properties else None
        if cfg.enforcement_level:
            level = cfg.enforcement_level
        if cfg.properties:
            props = {**(props or {}), **cfg.properties}
        result[name] = PolicyConfig(level, props)


def reconcile(
    policies: list[PolicyMeta],
    initial: dict[str, PolicyConfig],
    user: dict[str, PolicyConfig],
    source: str = "--policy-pack-config",
) -> dict[str, PolicyConfig]:
    known = {p.name for p in policies}
    unknown = sorted(set(user) - known - {"all"})
    if unknown:
        raise EngineError(
            f"{source}: no policy named {', '.join(repr(u) for u in unknown)} in the pack; "
            f"its policies are: {', '.join(sorted(known))}"
        )
    result: dict[str, PolicyConfig] = {}
    for p in policies:
        defaults = {k: v["default"] for k, v in p.schema_properties.items() if isinstance(v, dict) and "default" in v}
        result[p.name] = PolicyConfig(p.enforcement_level, defaults or None)
    _apply(result, initial)
    _apply(result, user)
    errors: list[str] = []
    for p in policies:
        props = result[p.name].properties or {}
        errors.extend(f"{p.name}: {e}" for e in validate(props, p))
    if errors:
        raise EngineError(f"{source}: invalid policy configuration: " + "; ".join(errors))
    for cfg in result.values():
        if cfg.enforcement_level is None:
            cfg.enforcement_level = "advisory"  # what the engine's proto default means; always sent explicitly
    return result


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def check_value(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """The JSON-schema keywords policy schemas use; enough to reject what gojsonschema rejects there."""
    errs: list[str] = []
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(_TYPES.get(k, lambda _v: True)(value) for k in kinds):
        return [f"{path}: invalid type. Expected: {' or '.join(kinds)}, given: {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path} must be one of the following: {', '.join(json.dumps(e) for e in schema['enum'])}")
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path} does not match: {json.dumps(schema['const'])}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{path}: must be greater than or equal to {_num(schema['minimum'])}")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{path}: must be less than or equal to {_num(schema['maximum'])}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errs.append(f"{path}: must be greater than {_num(schema['exclusiveMinimum'])}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errs.append(f"{path}: must be less than {_num(schema['exclusiveMaximum'])}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append(f"{path}: string length must be greater than or equal to {_num(schema['minLength'])}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append(f"{path}: string length must be less than or equal to {_num(schema['maxLength'])}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append(f"{path}: does not match pattern '{schema['pattern']}'")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append(f"{path}: array must have at least {_num(schema['minItems'])} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(f"{path}: array must have at most {_num(schema['maxItems'])} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                errs.extend(check_value(item, schema["items"], f"{path}.{i}"))
    if isinstance(value, dict):
        for req in schema.get("required", []):
            if req not in value:
                errs.append(f"{path}: {req} is required")
        for key, sub in (schema.get("properties") or {}).items():
            if key in value and isinstance(sub, dict):
                errs.extend(check_value(value[key], sub, f"{path}.{key}"))
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(schema.get("properties") or {}))
            errs.extend(f"{path}: additional property {k} is not allowed" for k in extra)
    return errs


def validate(props: dict[str, Any], policy: PolicyMeta) -> list[str]:
    errs: list[str] = [f"{r} is required" for r in policy.required if r not in props]
    for key, schema in policy.schema_properties.items():
        if key in props and isinstance(schema, dict):
            errs.extend(check_value(props[key], schema, key))
    return errs
