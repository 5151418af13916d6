"""The one version of trailwatch: pyproject.toml in a checkout, the installed metadata otherwise.

Imports nothing heavy: `trailwatch --version` must work without Pulumi or boto3.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

#: The version of the machine-readable output formats (`check --format json`,
#: `pattern --format json`); bumped when a field changes meaning or disappears.
SCHEMA_VERSION = 1

#: The distribution's name (pip install ...): `trailwatch` on PyPI belongs to an unrelated
#: project, so the package is published as trailwatch-cis; the command and module stay trailwatch.
DISTRIBUTION = "trailwatch-cis"


@lru_cache(maxsize=1)
def version() -> str:
    # Imported here, not at the top: every command imports this module for DISTRIBUTION, and
    # an installed package has no pyproject.toml to parse.
    from importlib import metadata

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():  # a checkout: the file is the truth (an editable install may be stale)
        import tomllib

        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            project = {}
        if project.get("name") == DISTRIBUTION and isinstance(project.get("version"), str):
            return project["version"]
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"
