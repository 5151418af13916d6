"""botocore's own data for the services the audit calls, trimmed, shipped in `botocore_data/`.

botocore parses JSON at every start: the endpoint data (1.2 MB, every service of every
partition) when the first client is made, and each service's model (up to 4.5 MB, most of
it documentation for docstrings) when its client is. For a one-account audit that is ~45 ms
of a ~0.7 s run, paid by every shard and every per-account runner (docs/performance.md;
botocore's own trackers name it: https://github.com/boto/botocore/issues/2553,
https://github.com/boto/botocore/issues/3764). So the wheel carries, for the botocore
release named in `botocore_data/VERSION`, two kinds of file made from that release's data
by `make botocore-data` (this module run as a program):

- `endpoints.json`: botocore's, with only the services the audit calls (`SERVICES`) in
  each partition; the partitions themselves (regions, defaults) are unchanged;
- `<service>/<api version>/service-2.json.gz`: each of those services' model without its
  documentation strings (`documentation` keys whose value is text), everything else kept
  in the same order.

The folder goes on botocore's data search path, before botocore's own folder (documented:
https://docs.aws.amazon.com/botocore/latest/reference/loaders.html; the AWS CLI adds its own
folder the same way), only when the installed botocore is that release and the user keeps
no models of their own (`AWS_DATA_PATH`, `~/.aws/models`); otherwise botocore's own data is
read, as before. The audit's loader counts the folder as botocore's bundled data
(`is_builtin_path`): it is, trimmed, and botocore resolves endpoints differently for data
from elsewhere. tests/test_audit_botocore_data.py checks the shipped files against the
installed botocore's data and that every service the audit calls is in them.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).with_name("botocore_data")
#: every service the audit makes a client for (botocore's service names)
SERVICES = ("cloudtrail", "cloudwatch", "ec2", "kms", "logs", "organizations", "securityhub", "sns", "sts")


def search_path() -> str | None:
    """The shipped folder, when botocore should search it first: made from the installed
    botocore release, and no user models that it would hide."""
    import botocore

    try:
        made_from = (FOLDER / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if made_from != botocore.__version__ or os.path.isdir(os.path.expanduser(os.path.join("~", ".aws", "models"))):
        return None
    return str(FOLDER)


def without_documentation(value: Any) -> Any:
    """A model without its documentation text (a member *named* documentation is kept: its
    value is a shape reference, not text)."""
    if isinstance(value, dict):
        return {
            k: without_documentation(v) for k, v in value.items() if not (k == "documentation" and isinstance(v, str))
        }
    if isinstance(value, list):
        return [without_documentation(v) for v in value]
    return value


def for_services(endpoints: dict[str, Any], prefixes: set[str]) -> dict[str, Any]:
    """The endpoint data with only these services (by endpoint prefix) in each partition."""
    partitions = [
        {**p, "services": {name: entry for name, entry in p.get("services", {}).items() if name in prefixes}}
        for p in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


def expected() -> dict[str, Any]:
    """The shipped files, by path under FOLDER, made from the installed botocore's own data."""
    import botocore
    from botocore.loaders import Loader

    loader = Loader(include_default_search_paths=False, extra_search_paths=[Loader.BUILTIN_DATA_PATH])
    files: dict[str, Any] = {"VERSION": botocore.__version__}
    prefixes = set()
    for service in SERVICES:
        version = loader.list_api_versions(service, "service-2")[-1]
        model = loader.load_data(f"{service}/{version}/service-2")  # the file itself, before botocore's extras
        prefixes.add(model["metadata"]["endpointPrefix"])
        files[f"{service}/{version}/service-2.json.gz"] = without_documentation(model)
    files["endpoints.json"] = for_services(loader.load_data("endpoints"), prefixes)
    return files


def read(path: Path) -> Any:
    """A shipped file's content (VERSION: its text)."""
    if path.name == "VERSION":
        return path.read_text(encoding="utf-8").strip()
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as stream:
        return json.loads(stream.read().decode("utf-8"))


def write(folder: Path = FOLDER) -> list[Path]:
    """Make the shipped files from the installed botocore (`make botocore-data`)."""
    written = []
    for name, content in expected().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "VERSION":
            path.write_text(content + "\n", encoding="utf-8")
        else:
            text = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            # mtime=0: the same botocore gives the same bytes, whenever it is made
            path.write_bytes(gzip.compress(text, mtime=0) if name.endswith(".gz") else text)
        written.append(path)
    return written


if __name__ == "__main__":
    import shutil

    shutil.rmtree(FOLDER, ignore_errors=True)
    for made in write():
        print(made.relative_to(FOLDER.parent))
