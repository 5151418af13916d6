"""Pulumi.yaml and Pulumi.<stack>.yaml, read into the flat config map the CLI hands a program.

The CLI passes config to a Python program as PULUMI_CONFIG: a JSON object of namespaced keys
(`aws:region`, `<project>:<key>`) to strings, with object and list values JSON-encoded. Bare keys
in a stack file belong to the project's namespace. `secure:` values cannot be decrypted offline;
they are left out and remembered, so a program that asks for one gets an error naming the key.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import EngineError


@dataclass(frozen=True)
class Project:
    """What the engine needs from a program folder for one stack."""

    directory: Path
    name: str
    runtime: str
    main: Path
    stack: str
    config: dict[str, str]
    secure_keys: frozenset[str] = field(default_factory=frozenset)
    stack_file: Path | None = None


# The attributes of a stack settings file
# (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/): anything else is a
# typo that would silently drop the whole block (a `confg:` leaves the stack unconfigured).
STACK_FILE_KEYS = ("config", "environment", "encryptedkey", "encryptionsalt", "secretsprovider")
# Config namespaces in common use: a namespace that is none of these nor the project's, but
# close to one of them, is a typo (`trailwach:emails` would be ignored by the program).
KNOWN_NAMESPACES = ("aws", "aws-native", "awsx", "pulumi", "trailwatch", "random", "tls", "command",
                    "kubernetes", "docker", "gcp", "azure", "azure-native", "cloudflare", "github")


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        what = " ".join(filter(None, [exc.context, exc.problem])) or "not valid YAML"
        raise EngineError(f"{path}: {where}not valid YAML ({what}); fix the file there") from None
    except yaml.YAMLError as exc:
        raise EngineError(f"{path}: not valid YAML ({exc.__class__.__name__}); fix the file") from None
    except OSError as exc:
        raise EngineError(f"{path}: cannot be read ({exc.strerror})") from None


def config_string(value: Any) -> str:
    """How the CLI turns a YAML config value into the string a program reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if value is None:
        return ""
    return str(value)


def namespaced(key: str, project: str) -> str:
    """`key` → `<project>:key`; `ns:key` stays (the CLI's rule for config keys)."""
    if ":" in key:
        return key
    return f"{project}:{key}"


def stack_names(directory: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))


def choose_stack(directory: Path, requested: str | None) -> str:
    """`--stack`, else the only stack file, else `dev`."""
    found = stack_names(directory)
    if requested:
        if found and requested not in found:
            raise EngineError(
                f"--stack {requested}: no Pulumi.{requested}.yaml in {directory}; stacks there: {', '.join(found)}"
            )
        return requested
    if len(found) == 1:
        return found[0]
    if found and "dev" not in found:
        raise EngineError(f"{directory} has several stacks ({', '.join(found)}); choose one with --stack NAME")
    return "dev"


def _project_defaults(raw: Any, project: str) -> dict[str, str]:
    """Pulumi.yaml `config:` block: `key: value` or `key: {default: ..., value: ...}`."""
    result: dict[str, str] = {}
    if not isinstance(raw, dict):
        return result
    for key, spec in raw.items():
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            value = spec.get("value", spec.get("default"))
        elif isinstance(spec, dict):
            continue  # a type declaration without a default
        else:
            value = spec
        result[namespaced(str(key), project)] = config_string(value)
    return result


def check_namespace(key: str, project: str, where: str) -> None:
    """A config key whose namespace looks like a misspelt known one is an error."""
    namespace = key.split(":", 1)[0] if ":" in key else project
    known = (project, *KNOWN_NAMESPACES)
    if namespace in known:
        return
    hint = _did_you_mean(namespace, known, cutoff=0.75)
    if hint:
        raise EngineError(f"{where}: config key {key!r}: unknown namespace {namespace!r}{hint}; "
                          "the program would never read this key")


def parse_override(text: str, project: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise EngineError(f"--config {text!r}: expected KEY=VALUE, e.g. --config aws:region=eu-west-1")
    check_namespace(key.strip(), project, "--config")
    return namespaced(key.strip(), project), value


def load_project(
    directory: Path, stack: str | None = None, overrides: list[str] | None = None
) -> Project:
    directory = directory.resolve()
    if not directory.is_dir():
        raise EngineError(f"{directory}: no such program folder; pass the folder that holds Pulumi.yaml")
    project_file = directory / "Pulumi.yaml"
    if not project_file.is_file():
        alt = directory / "Pulumi.yml"
        if not alt.is_file():
            raise EngineError(f"{directory}: no Pulumi.yaml; pass the folder of a Pulumi project")
        project_file = alt
    raw = _load_yaml(project_file)
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise EngineError(f"{project_file}: needs a `name:`")
    name: str = raw["name"]
    runtime_raw = raw.get("runtime")
    runtime = runtime_raw.get("name") if isinstance(runtime_raw, dict) else runtime_raw
    if runtime != "python":
        raise EngineError(f"{project_file}: runtime is {runtime!r}; the offline engine runs Python programs only")
    main_dir = directory / str(raw.get("main") or ".")
    main = main_dir / "__main__.py" if main_dir.is_dir() else main_dir
    if not main.is_file():
        raise EngineError(f"{project_file}: the program's main file {main} does not exist; fix `main:`")

    stack_name = choose_stack(directory, stack)
    config = _project_defaults(raw.get("config"), name)
    secure: set[str] = set()
    candidate = directory / f"Pulumi.{stack_name}.yaml"
    stack_file = candidate if candidate.is_file() else None
    if stack_file is not None:
        stack_raw = _load_yaml(stack_file) or {}
        if not isinstance(stack_raw, dict):
            raise EngineError(f"{stack_file}: expected a mapping with a `config:` block")
        for top in stack_raw:
            if top not in STACK_FILE_KEYS:
                raise EngineError(f"{stack_file}: unknown top-level key {str(top)!r}{_did_you_mean(str(top), STACK_FILE_KEYS)}; "
                                  f"a stack file has only {', '.join(STACK_FILE_KEYS)}, and config keys go under `config:`")
        block = stack_raw.get("config") or {}
        if not isinstance(block, dict):
            raise EngineError(f"{stack_file}: `config:` must be a mapping of keys to values")
        for key, value in block.items():
            check_namespace(str(key), name, str(stack_file))
            full = namespaced(str(key), name)
            if isinstance(value, dict) and set(value) == {"secure"}:
                secure.add(full)
                config.pop(full, None)
                continue
            config[full] = config_string(value)
    for text in overrides or []:
        key, value = parse_override(text, name)
        config[key] = value
        secure.discard(key)
    return Project(directory, name, "python", main, stack_name, config, frozenset(secure), stack_file)
