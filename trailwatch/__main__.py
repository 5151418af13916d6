"""`python -m trailwatch <command>`: one entry point, each command imported only when used.

Commands are imported lazily so that `trailwatch pattern` does not pay for Pulumi, gRPC
or boto3 imports it does not need.
"""
from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("trailwatch.engine.cli", "run a Pulumi program and the policy pack offline, like `pulumi preview --policy-pack`"),
    "pattern": ("trailwatch.pattern_cli", "judge a metric filter pattern and count the events it matches"),
    "audit": ("trailwatch.audit.cli", "audit live AWS accounts for the control"),
}

USAGE = "usage: python -m trailwatch {" + ",".join(COMMANDS) + "} [-h] ...\n\ncommands:\n" + "".join(
    f"  {name:<8} {summary}\n" for name, (_, summary) in COMMANDS.items()
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"trailwatch: unknown command {name!r}; choose one of: {', '.join(COMMANDS)}\n")
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
