"""What the pulumi_aws (or pulumi_aws_native) SDK knows about a resource class: its input names, its output-only names
and which inputs are optional (an optional `name` is the one the provider autonames).

Used by the offline engine's recording monitor (from the class the program registered) and by
the stand-in AWS provider for the real CLI (from the type token it is asked to Check).
"""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from pulumi import _types


class Shape:
    """Input names, output-only names and optional input names of one resource class."""

    def __init__(self, inputs: set[str], output_only: set[str], optional_inputs: set[str]) -> None:
        self.inputs = inputs
        self.output_only = output_only
        self.optional_inputs = optional_inputs


def shape_of(cls: type, typ: type | None) -> Shape | None:
    """The shape of resource class `cls` whose Args class is `typ` (None: unknown)."""
    if typ is None:
        return None
    inputs_py = _types.input_type_py_to_pulumi_names(typ)
    inputs = set(inputs_py.values())
    outputs = set(_types._py_to_pulumi_names_from_py_properties(cls).values())
    optional: set[str] = set()
    try:
        params = inspect.signature(typ).parameters  # the class's __init__ without `self`
        for py_name, pulumi_name in inputs_py.items():
            param = params.get(py_name)
            if param is not None and param.default is not inspect.Parameter.empty:
                optional.add(pulumi_name)
    except (TypeError, ValueError):
        pass
    return Shape(inputs, outputs - inputs - {"id", "urn"}, optional)


# The Python SDK of each provider package whose classes the stand-ins shape.
SDK_MODULES = {"aws": "pulumi_aws", "aws-native": "pulumi_aws_native"}


@cache
def shape_for_token(type_token: str) -> Shape | None:
    """The shape of `aws:<module>/<camel>:<Class>` from pulumi_aws, or of
    `aws-native:<module>:<Class>` from pulumi_aws_native (None: not one of their classes)."""
    package, _, rest = type_token.partition(":")
    module, _, class_name = rest.rpartition(":")
    sdk = SDK_MODULES.get(package)
    if sdk is None or not class_name:
        return None
    mod_path = module.split("/")[0]
    mod_name = sdk if mod_path == "index" else f"{sdk}.{mod_path.replace('-', '_')}"
    try:
        mod = importlib.import_module(mod_name)
        cls = getattr(mod, class_name)
        args = getattr(mod, class_name + "Args", None)
        return shape_of(cls, args)
    except Exception:  # noqa: BLE001 - an unknown class: no shape, as offline
        return None
