"""Pulumi.yaml and Pulumi.<stack>.yaml, read into the flat config map the CLI hands a program.

The CLI passes config to a Python program as PULUMI_CONFIG: a JSON object of namespaced keys
(`aws:region`, `<project>:<key>`) to strings, with object and list values JSON-encoded. Bare keys
in a stack file belong to the project's namespace. `secure:` values cannot be decrypted offline;
they are left out and remembered, so a program that asks for one gets an error naming the key.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trailwatch.cli.inputs import exists, folder, read_text

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
KNOWN_NAMESPACES = (
    "aws",
    "aws-native",
    "awsx",
    "pulumi",
    "trailwatch",
    "random",
    "tls",
    "command",
    "kubernetes",
    "docker",
    "gcp",
    "azure",
    "azure-native",
    "cloudflare",
    "github",
)


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping as the Pulumi CLI does.

    The CLI reads Pulumi.yaml, stack files and PulumiPolicy.yaml with gopkg.in/yaml.v3
    (sdk/go/common/encoding/marshal.go), whose decoder fails on a repeated key: `mapping key
    "x" already defined at line N` (yaml.v3 decode.go, `uniqueKeys`). PyYAML keeps the last
    one silently, which would check a config the CLI refuses.
    """


def _unique_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        # yaml.v3 compares the keys' kind and text; `<<` merges are not keys
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if key_node.value in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"mapping key {key_node.value!r} already defined at line {seen[key_node.value]}",
                key_node.start_mark,
            )
        seen[key_node.value] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_keys)


def load_yaml(path: Path, fix: str = "fix the file") -> Any:
    """A YAML file the user gave (read through trailwatch.cli.inputs), strictly, or EngineError."""
    text = read_text(path, str(path), fix)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        what = " ".join(filter(None, [exc.context, exc.problem])) or "not valid YAML"
        raise EngineError(f"{path}: {where}not valid YAML ({what}); fix the file there") from None
    except yaml.YAMLError as exc:
        raise EngineError(f"{path}: not valid YAML ({exc.__class__.__name__}); fix the file") from None
    except RecursionError:
        raise EngineError(f"{path}: nested too deeply to read; fix the file") from None


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
        raise EngineError(
            f"{where}: config key {key!r}: unknown namespace {namespace!r}{hint}; the program would never read this key"
        )


def parse_override(text: str, project: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise EngineError(f"--config {text!r}: expected KEY=VALUE, e.g. --config aws:region=eu-west-1")
    check_namespace(key.strip(), project, "--config")
    return namespaced(key.strip(), project), value


def _program_folder(directory: Path) -> Path:
    fix = "pass the folder that holds Pulumi.yaml"
    try:
        if directory.is_file() and directory.name in ("Pulumi.yaml", "Pulumi.yml"):
            fix = f"pass the folder that holds it: {directory.resolve().parent}"
    except OSError:
        pass  # folder() says what is wrong with the path
    return folder(directory, str(directory), fix)


def _project_file(directory: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        if exists(directory / name):
            return directory / name
    raise EngineError(
        f"{directory / 'Pulumi.yaml'}: no such file; pass the folder of a Pulumi project (the one with Pulumi.yaml)"
    )


def _runtime(raw: dict[str, Any], project_file: Path) -> None:
    if "runtime" not in raw or raw["runtime"] in (None, ""):
        raise EngineError(
            f"{project_file}: no `runtime:`; a Pulumi project names its language "
            "(`runtime: python` for the programs the offline engine runs)"
        )
    runtime_raw = raw["runtime"]
    runtime = runtime_raw.get("name") if isinstance(runtime_raw, dict) else runtime_raw
    if runtime != "python":
        shown = f"`runtime: {runtime}`" if isinstance(runtime, str) else f"a runtime of {runtime!r}"
        raise EngineError(f"{project_file}: {shown}; the offline engine runs Python programs only (`runtime: python`)")


def load_project(directory: Path, stack: str | None = None, overrides: list[str] | None = None) -> Project:
    directory = _program_folder(directory)
    project_file = _project_file(directory)
    raw = load_yaml(project_file, "give the project file (name:, runtime:) of a Pulumi project")
    if not isinstance(raw, dict):
        raise EngineError(
            f"{project_file}: expected a mapping with `name:` and `runtime:`, found "
            f"{'nothing' if raw is None else type(raw).__name__}"
        )
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise EngineError(f"{project_file}: needs a `name:` (the project's name, a string)")
    name: str = raw["name"]
    _runtime(raw, project_file)
    if raw.get("main") is not None and not isinstance(raw["main"], str):
        raise EngineError(f"{project_file}: `main:` must be a path (a string), not {type(raw['main']).__name__}")
    main_dir = directory / (raw.get("main") or ".")
    main = main_dir / "__main__.py" if main_dir.is_dir() else main_dir
    if not main.is_file():
        raise EngineError(f"{project_file}: the program's main file {main} does not exist; fix `main:`")

    stack_name = choose_stack(directory, stack)
    if raw.get("config") is not None and not isinstance(raw["config"], dict):
        raise EngineError(f"{project_file}: `config:` must be a mapping of keys to values or declarations")
    config = _project_defaults(raw.get("config"), name)
    sources = dict.fromkeys(config, str(project_file))
    secure: set[str] = set()
    candidate = directory / f"Pulumi.{stack_name}.yaml"
    # A missing stack file is an empty one (the CLI's LoadProjectStack); a symbolic link that
    # leads nowhere is refused by load_yaml: the config it was meant to bring would be lost.
    stack_file = candidate if exists(candidate) else None
    if stack_file is not None:
        stack_raw = load_yaml(
            stack_file, "give the stack's settings file, or none to check the stack without stack config"
        )
        stack_raw = {} if stack_raw is None else stack_raw
        if not isinstance(stack_raw, dict):
            raise EngineError(
                f"{stack_file}: expected a mapping with a `config:` block, found {type(stack_raw).__name__}"
            )
        for top in stack_raw:
            if top not in STACK_FILE_KEYS:
                raise EngineError(
                    f"{stack_file}: unknown top-level key {str(top)!r}{_did_you_mean(str(top), STACK_FILE_KEYS)}; "
                    f"a stack file has only {', '.join(STACK_FILE_KEYS)}, and config keys go under `config:`"
                )
        block = stack_raw.get("config") or {}
        if not isinstance(block, dict):
            raise EngineError(f"{stack_file}: `config:` must be a mapping of keys to values")
        spelled: dict[str, str] = {}
        for key, value in block.items():
            check_namespace(str(key), name, str(stack_file))
            full = namespaced(str(key), name)
            if full in spelled:
                raise EngineError(
                    f"{stack_file}: config keys {spelled[full]!r} and {str(key)!r} are the same key ({full}); keep one"
                )
            spelled[full] = str(key)
            sources[full] = str(stack_file)
            if isinstance(value, dict) and set(value) == {"secure"}:
                secure.add(full)
                config.pop(full, None)
                continue
            config[full] = config_string(value)
    for text in overrides or []:
        key, value = parse_override(text, name)
        config[key] = value
        sources[key] = f"--config {text}"
        secure.discard(key)
    if "aws:region" in config:
        check_region(
            config["aws:region"],
            sources.get("aws:region", "aws:region"),
            config.get("aws:skipRegionValidation", "") == "true",
        )
    return Project(directory, name, "python", main, stack_name, config, frozenset(secure), stack_file)


def load_pack_project(pack_dir: Path) -> dict[str, Any]:
    path = pack_dir / "PulumiPolicy.yaml"
    if not exists(path):
        raise EngineError(
            f"{path}: no such file, so --policy-pack {pack_dir} is not a policy pack; "
            "pass the folder that holds PulumiPolicy.yaml"
        )
    raw = load_yaml(path, "pass a policy pack folder whose PulumiPolicy.yaml is readable")
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise EngineError(f"{path}: expected a mapping with `runtime:` (and `version:`), found {type(raw).__name__}")
    runtime = raw.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name in (None, ""):
        raise EngineError(
            f"{path}: no `runtime:`; a policy pack names its language (`runtime: python` "
            "for the packs the offline engine runs)"
        )
    if name != "python":
        raise EngineError(f"{path}: `runtime: {name}`; the offline engine runs Python policy packs only")
    return raw


# What an AWS Region code looks like: us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1.
_REGION_CODE = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")


def known_regions() -> tuple[str, ...]:
    """The Regions the installed pulumi-aws knows (its `Region` enum); empty without pulumi-aws.

    Read from the enum's source (`pulumi_aws/_enums.py`, generated: one class of string
    constants) without importing it: importing it imports Pulumi and pulumi-aws, ~0.1 s before
    `check` can start the program. If the source is not that shape, the enum is imported."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None:
        return ()
    for location in spec.submodule_search_locations or ():
        try:
            tree = ast.parse((Path(location) / "_enums.py").read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Region":
                values = tuple(
                    item.value.value
                    for item in node.body
                    if isinstance(item, ast.Assign)
                    and isinstance(item.value, ast.Constant)
                    and isinstance(item.value.value, str)
                )
                if values:
                    return values
    try:
        from pulumi_aws._enums import Region
    except ImportError:
        return ()
    return tuple(r.value for r in Region)


def check_region(region: str, source: str, skip_validation: bool = False) -> None:
    """`aws:region` must be an AWS Region, as the provider checks before `pulumi preview` goes on.

    The Terraform AWS provider that pulumi-aws bridges validates the name against the Regions
    it knows unless `skip_region_validation` is set ("Invalid AWS Region: ..."); pulumi-aws
    defaults that to true (provider/resources.go) but then validates the credentials against
    STS in that Region (provider/config.go, validateCredentials), which fails for a Region that
    does not exist. Either way the real preview stops, so `check` does too: offline, the
    program would run with a Region nothing can deploy to. A well-formed code that this
    pulumi-aws does not know yet (a new Region) passes with `aws:skipRegionValidation: true`.
    Region codes: https://docs.aws.amazon.com/general/latest/gr/rande.html#regional-endpoints
    """
    known = known_regions()
    if _REGION_CODE.match(region):
        if not known or region in known or skip_validation:
            return
        raise EngineError(
            f"{source}: aws:region {region!r} is not a Region pulumi-aws knows"
            f"{_did_you_mean(region, known)}; use one of its Regions (e.g. us-east-1), or, for "
            "a Region newer than the installed pulumi-aws, set aws:skipRegionValidation: true"
        )
    hint = _did_you_mean(region.strip().lower(), known) if known else ""
    raise EngineError(
        f"{source}: aws:region {region!r} is not an AWS Region code{hint}; give one like us-east-1 or eu-west-1"
    )
