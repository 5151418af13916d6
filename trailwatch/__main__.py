"""`trailwatch <command>` (or `python -m trailwatch <command>`): one entry point.

Commands are imported lazily so that `trailwatch pattern` does not pay for Pulumi, gRPC
or boto3 imports it does not need, and `trailwatch --version` imports nothing heavy.
Every error line of every command reads `trailwatch <command>: error: <what and the fix>`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from trailwatch.cli.output import error_line
from trailwatch.version import DISTRIBUTION

COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "trailwatch.engine.cli",
        "run a Pulumi program and the policy pack offline, like `pulumi preview --policy-pack`",
    ),
    "pattern": ("trailwatch.cli.pattern", "judge a metric filter pattern and count the events it matches"),
    "audit": ("trailwatch.audit.cli", "audit live AWS accounts for the control (needs the [audit] extra)"),
}

USAGE = (
    "usage: trailwatch [--version] {" + ",".join(COMMANDS) + "} [-h] ...\n"
    "       (python -m trailwatch ... is the same)\n\ncommands:\n"
    + "".join(f"  {name:<8} {summary}\n" for name, (_, summary) in COMMANDS.items())
    + "\n`trailwatch <command> --help` describes each command's options.\n"
)

#: Commands whose process ends without the interpreter's teardown once they returned: they
#: leave no child process, no thread and no open file behind (their pools are joined, their
#: output files closed, `check`'s program and pack processes waited for), and freeing every
#: module one by one (botocore's models, gRPC, Pulumi's protobuf) costs about a fifth of an
#: audit's CPU time and ~0.2 s of a check's (docs/performance.md).
QUICK_EXIT = frozenset({"audit", "check"})

#: Commands whose start-up makes mostly objects that live as long as the process: the cyclic
#: collector is off until the command's start-up is done (trailwatch/cli/collector.py).
DEFERRED_COLLECTION = frozenset({"audit"})

#: What a command needs beyond the base install, and how to get it.
EXTRAS: dict[str, tuple[str, str]] = {
    "audit": ("botocore", f'pip install "{DISTRIBUTION}[audit]"'),  # the extra brings boto3 and botocore
}


def _only_help_or_merge(rest: list[str]) -> bool:
    """`audit --help` and `audit merge` (joining reports) need no AWS SDK."""
    return rest[:1] == ["merge"] or "-h" in rest or "--help" in rest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        (sys.stdout if args else sys.stderr).write(USAGE)
        return 0 if args else 2
    if args[0] in ("-V", "--version"):
        from trailwatch.version import version

        sys.stdout.write(f"trailwatch {version()}\n")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(
            error_line("", f"unknown command {name!r}; choose one of: {', '.join(COMMANDS)} (see trailwatch --help)")
        )
        return 2
    if name in EXTRAS and not _only_help_or_merge(rest):
        module, install = EXTRAS[name]
        if importlib.util.find_spec(module) is None:
            sys.stderr.write(error_line(name, f"needs {module}, which is not installed; install it with: {install}"))
            return 2
    if argv is None and name in DEFERRED_COLLECTION:  # the process's own command line
        from trailwatch.cli import collector

        collector.defer()
    command = importlib.import_module(COMMANDS[name][0])
    code = int(command.main(rest) or 0)
    if argv is None and name in QUICK_EXIT:  # the process's own command line, not a caller's
        _quick_exit(code)
    return code


def _quick_exit(code: int) -> None:
    """End the process now with `code`, its output flushed, skipping the interpreter's
    teardown. When the output cannot be flushed (a closed pipe), return instead: Python's
    own exit then reports it as usual."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
