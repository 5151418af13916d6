"""Bad input to `trailwatch audit`: `UsageError` (one line, exit 2) and the argument values
both the command line (cli.py, before any AWS call) and the run (run.py, planning) parse."""

from __future__ import annotations

#: attempts per AWS call in all (botocore's adaptive retry mode), unless --max-attempts says
DEFAULT_MAX_ATTEMPTS = 5


class UsageError(Exception):
    """Bad input or an environment the audit cannot run in: one line, exit 2."""


def _regions_arg(text: str) -> list[str]:
    regions = [r.strip() for r in text.split(",") if r.strip()]
    if not regions:
        raise UsageError(
            f"--regions {text!r}: expected region names separated by commas, e.g. --regions us-east-1,eu-west-1"
        )
    bad = [r for r in regions if not all(part.isalnum() for part in r.split("-")) or r.count("-") < 2]
    if bad:
        raise UsageError(
            f"--regions {text!r}: {', '.join(repr(r) for r in bad)} "
            f"{'is not a region name' if len(bad) == 1 else 'are not region names'}; "
            "give AWS Region codes separated by commas, e.g. --regions us-east-1,eu-west-1"
        )
    return list(dict.fromkeys(regions))


def _controls_arg(text: str) -> tuple[str, ...]:
    from trailwatch_policy.controls import UnknownControl, select

    try:
        return tuple(c.id for c in select(text.strip() or None))
    except UnknownControl as error:
        raise UsageError(f"--controls: {error}") from None
