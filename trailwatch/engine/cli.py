"""`python -m trailwatch check PROGRAM_DIR ...`: the offline `pulumi preview --policy-pack`.

Exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 the arguments, the program or
the pack failed (one clear message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

from trailwatch.cli.inputs import InputError, folder, read_json
from trailwatch.cli.output import Painter, colour_enabled, error_line

from .errors import EngineError, ProgramError
from .program import DEFAULT_TIMEOUT

# A checkout's pack folder, else the copy a wheel carries (setup.py puts it there).
CHECKOUT_PACK = Path(__file__).resolve().parents[2] / "policy"
BUNDLED_PACK = Path(__file__).resolve().parents[1] / "policy_pack"


def default_pack() -> Path:
    for candidate in (CHECKOUT_PACK, BUNDLED_PACK):
        if (candidate / "PulumiPolicy.yaml").is_file():
            return candidate
    raise EngineError(
        "no policy pack found next to trailwatch (neither a checkout's policy/ nor an "
        "installed copy); pass --policy-pack DIR, the folder with PulumiPolicy.yaml"
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise EngineError(f"{message} (see trailwatch check --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trailwatch check",
        description="Run a Pulumi Python program and a policy pack offline, like `pulumi preview --policy-pack`.",
    )
    p.add_argument("program_dir", metavar="PROGRAM_DIR", help="folder with Pulumi.yaml")
    p.add_argument("--stack", help="stack name (default: the only Pulumi.<stack>.yaml, else dev)")
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value (bare keys get the project's namespace); repeatable",
    )
    p.add_argument(
        "--policy-pack",
        type=Path,
        default=None,
        metavar="DIR",
        help="policy pack folder (default: the trailwatch pack, from this checkout or installed)",
    )
    p.add_argument(
        "--policy-pack-config",
        type=Path,
        default=None,
        metavar="FILE",
        help='JSON like {"all": "mandatory", "<policy>": "advisory" | {"enforcementLevel": ..., ...}}',
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="text (as the CLI prints), json, or sarif (GitHub code scanning; docs/findings.md)",
    )
    p.add_argument(
        "--autonames",
        choices=("provider", "unknown"),
        default="provider",
        help="autonamed names as the provider's <name>-<7 hex> (default) or unknown",
    )
    p.add_argument("--account-id", default="123456789012", help="what getCallerIdentity answers")
    p.add_argument("--organization", default="organization", help="PULUMI_ORGANIZATION for the pack")
    p.add_argument("--timings", action="store_true", help="print program/pack/analysis timings on stderr")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop the program if it runs longer than this (default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no colour in the text report (also: NO_COLOR=1); colour is used only on a terminal",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print the policy verdict and the diagnostics only: no resource tree, no progress, "
        "and the program's output only if it fails",
    )
    p.add_argument(
        "--invoke-result",
        action="append",
        default=[],
        metavar="TOKEN=FILE",
        help="answer invoke TOKEN (e.g. aws:ssm/getParameter:getParameter) with the JSON object in FILE; repeatable",
    )
    return p


_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_./-]*:[A-Za-z0-9_]+$")
_INVOKE_EXAMPLE = "aws:ssm/getParameter:getParameter=param.json"


def load_invoke_results(items: list[str]) -> dict[str, dict[str, Any]]:
    """`--invoke-result TOKEN=FILE`: the invoke's result object, read from a JSON file."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        token, sep, file = item.partition("=")  # a token has no '='; a file name may
        if not sep or not token or not file:
            raise EngineError(f"--invoke-result {item!r}: expected TOKEN=FILE, e.g. {_INVOKE_EXAMPLE}")
        if not _TOKEN.match(token):
            raise EngineError(
                f"--invoke-result {item!r}: {token!r} is not an invoke token "
                f"(package:module:function, e.g. {_INVOKE_EXAMPLE})"
            )
        fix = "pass a JSON file with the invoke's result"
        value = read_json(file, f"--invoke-result {token}={file}", fix)
        if not isinstance(value, dict):
            raise EngineError(
                f"--invoke-result {item}: {file} holds a JSON "
                f"{type(value).__name__}; the invoke's result is a JSON object "
                '(e.g. {"value": "..."} for an SSM parameter)'
            )
        out[token] = value
    return out


def _progress(message: str, quiet: bool = False) -> None:
    if sys.stderr.isatty() and not quiet:
        sys.stderr.write(f"trailwatch check: {message}\n")
        sys.stderr.flush()


def run(argv: list[str]) -> int:
    # Only what starting the program needs is imported before it starts: gRPC and Pulumi (the
    # pack's side, ~0.3 s) are imported while it runs (docs/performance.md).
    from .policyconfig import load_config_file
    from .program import ProgramLaunch
    from .project import load_pack_project, load_project

    args = build_parser().parse_args(argv)
    if not args.timeout > 0 or args.timeout == float("inf"):
        raise EngineError(f"--timeout {args.timeout:g}: give a number of seconds above 0, e.g. --timeout 600")
    if not args.account_id.isdigit() or len(args.account_id) != 12:
        raise EngineError(f"--account-id {args.account_id!r}: an AWS account id is 12 digits")
    project = load_project(Path(args.program_dir), args.stack, args.config)
    pack_arg = args.policy_pack or default_pack()
    pack_dir = folder(
        pack_arg, f"--policy-pack {pack_arg}", "pass the policy pack's folder, the one with PulumiPolicy.yaml"
    )
    # The installed copy has no virtualenv of its own: it runs with this interpreter, which
    # has pulumi-policy (a dependency of trailwatch), whatever lockfile sits above site-packages.
    interpreter = [sys.executable] if pack_dir == BUNDLED_PACK.resolve() else None
    load_pack_project(pack_dir)  # a broken PulumiPolicy.yaml is reported before the program runs
    user_config = load_config_file(args.policy_pack_config) if args.policy_pack_config else {}
    config_source = f"--policy-pack-config {args.policy_pack_config}"
    invoke_results = load_invoke_results(args.invoke_result)

    _progress(f"running {project.main.name} for stack {project.stack} in preview", args.quiet)
    started = time.perf_counter()
    running = ProgramLaunch(
        project,
        autonames=args.autonames,
        account_id=args.account_id,
        organization=args.organization,
        timeout=args.timeout,
        echo=None if args.quiet else sys.stderr,
        invoke_results=invoke_results,
    )
    try:  # the pack starts while the program runs
        from .analyzer import PackLaunch, analyze
        from .report import exit_code, render_json, render_text

        launch = PackLaunch(
            project,
            pack_dir,
            user_config,
            organization=args.organization,
            interpreter=interpreter,
            config_source=config_source,
        )
    except BaseException:
        running.cancel()
        raise
    try:
        program = running.result()
        program_secs = time.perf_counter() - started
    except BaseException:
        launch.close()
        raise
    _progress(f"{len(program.resources)} resources; running the policy pack {pack_dir.name}", args.quiet)
    analysis = analyze(
        project,
        program.resources,
        pack_dir,
        user_config,
        organization=args.organization,
        config_source=config_source,
        launch=launch,
    )
    for note in analysis.notes:
        sys.stderr.write(note + "\n")
    if args.timings:
        parts = {"program": program_secs, **analysis.timings}
        sys.stderr.write("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in parts.items()) + "\n")
    if args.format == "json":
        sys.stdout.write(render_json(program.resources, analysis))
    elif args.format == "sarif":
        from .sarif import render_sarif

        sys.stdout.write(render_sarif(program.resources, analysis))
    else:
        paint = Painter(colour_enabled(sys.stdout, args.no_color))
        sys.stdout.write(render_text(project.stack, program.resources, analysis, paint, quiet=args.quiet))
    return exit_code(analysis)


def main(argv: list[str]) -> int:
    try:
        return run(argv)
    except InputError as exc:
        sys.stderr.write(error_line("check", str(exc)))
        return 2
    except EngineError as exc:
        output = exc.output if isinstance(exc, ProgramError) and not exc.shown else ""
        if output.strip():  # what the program printed before it failed, as the CLI shows it
            sys.stderr.write(output if output.endswith("\n") else output + "\n")
        sys.stderr.write(error_line("check", str(exc)))
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(error_line("check", "interrupted"))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
