"""`trailwatch pattern`: judge a metric filter pattern for a CIS monitoring control and count
what it matches, offline.

The offline `TestMetricFilter` AWS does not offer beyond 50 events a call. `--control` picks
the control (CIS 1.4 id such as 4.3, Security Hub id such as CloudWatch.1, or the policy
name; default 4.1, unauthorized API calls). Exit codes: 0 the verdict is ok; 1 it is not ok
(the pattern misses calls the control names or counts ordinary traffic, or a --profile
scanner rejects it); 2 bad input (unreadable event file, a pattern CloudWatch Logs would
reject, an unknown control, bad options) or an indeterminate verdict.
Imports nothing heavy (no Pulumi, gRPC or boto3).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from trailwatch.cli.inputs import DATA_LIMIT, KIB, InputError, read_stdin, read_text
from trailwatch.cli.output import Painter, colour_enabled, error_line
from trailwatch.version import SCHEMA_VERSION, version
from trailwatch_policy.controls import Control, UnknownControl, find, primary, table
from trailwatch_policy.controls.judge import PROFILES, Verdict, judge
from trailwatch_policy.filter_pattern import FilterPattern, FilterPatternError, parse

EXIT_OK, EXIT_NOT_OK, EXIT_INPUT = 0, 1, 2
PATTERN_FILE_LIMIT = 64 * KIB


class EventFileError(Exception):
    """An event file that cannot be read; the message names the file, the line and the fix."""


@dataclass
class Tally:
    """What a pattern matched in the records read: counts and examples."""

    matched: int = 0
    not_matched: int = 0
    indeterminate: int = 0
    files: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    unsure: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.matched + self.not_matched + self.indeterminate


def _parser() -> argparse.ArgumentParser:
    first = table().primary
    p = argparse.ArgumentParser(
        prog="trailwatch pattern",
        description="Judge a CloudWatch Logs metric filter pattern for a CIS AWS Foundations monitoring "
        f"control (default: {first.title()}) by what it matches, and count the events it matches.",
        epilog="exit codes: 0 ok, 1 not ok, 2 bad input or indeterminate",
    )
    p.add_argument(
        "pattern",
        nargs="?",
        metavar="PATTERN",
        help="the filter pattern text (quote it for the shell); or give --pattern-file",
    )
    p.add_argument(
        "events",
        nargs="*",
        metavar="EVENTS",
        help="files of events: a JSON array, JSON lines, or CloudTrail {\"Records\": [...]}; '-' reads stdin",
    )
    p.add_argument(
        "--pattern-file",
        metavar="FILE",
        help="read the pattern from FILE ('-': standard input) instead of PATTERN, for a pattern "
        "too long or too quoted for a command line; a final line break is not part of it",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument("--examples", type=int, default=5, metavar="N", help="matching events to show (default 5)")
    p.add_argument(
        "--control",
        default=None,
        metavar="ID",
        help=f"the control: {table().forms()} (default {first.id}); see docs/controls.md",
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="meaning",
        help="also require a scanner to accept the text (default: meaning only)",
    )
    p.add_argument(
        "--no-color",
        action="store_true",
        help="no colour in the text output (also: NO_COLOR=1); colour is used only on a terminal",
    )
    return p


EVENTS_FIX = 'give a JSON array, JSON lines or a CloudTrail {"Records": [...]} file of events'


def _read_events(name: str) -> str:
    """One events file (or '-', standard input) as text, through trailwatch.cli.inputs."""
    label = "standard input" if name == "-" else name
    if name == "-":
        return read_stdin(label, EVENTS_FIX, DATA_LIMIT)
    return read_text(name, label, EVENTS_FIX, DATA_LIMIT)


def _events_in(name: str, text: str) -> Iterator[tuple[int, Any]]:
    """Yield (line, event) from one file's text; raise EventFileError with file and line."""
    stripped = text.lstrip()
    if not stripped:
        return
    if stripped[0] == "[" or (stripped[0] == "{" and _looks_like_one_document(text)):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EventFileError(f"{name}: line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        except RecursionError:
            raise EventFileError(f"{name}: line 1: JSON nested too deeply") from None
        if isinstance(doc, dict) and "Records" in doc:
            records = doc["Records"]
            if not isinstance(records, list):
                raise EventFileError(
                    f'{name}: "Records" is {type(records).__name__}, not a list of events; '
                    'give CloudTrail\'s {"Records": [{...}, ...]}'
                )
        elif isinstance(doc, list):
            records = doc
        else:
            records = [doc]
        for event in records:
            yield 0, event
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise EventFileError(
                f"{name}: line {lineno}: not a JSON event ({msg}); give a JSON array, JSON lines "
                'or a CloudTrail {"Records": [...]} file'
            ) from None
        yield lineno, line


def _looks_like_one_document(text: str) -> bool:
    """A '{' file is one document (CloudTrail Records / pretty JSON) unless its first line is a whole event."""
    first = text.lstrip().splitlines()[0]
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return True
    return len([ln for ln in text.splitlines() if ln.strip()]) == 1


def _describe(event: Any) -> str:
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError:
            return event[:80]
    if not isinstance(event, dict):
        return json.dumps(event)[:80]
    source = str(event.get("eventSource", "?")).removesuffix(".amazonaws.com")
    text = f"{source}:{event.get('eventName', '?')}"
    code = event.get("errorCode")
    return f"{text} {code}" if code else text


def _count(pattern: FilterPattern, files: list[str], keep: int) -> Tally:
    tally = Tally()
    for name in files:
        text = _read_events(name)
        tally.files += 1
        before = tally.total
        for index, (lineno, event) in enumerate(_events_in(name, text)):
            result = pattern.evaluate(event)
            where = f"{name}:{lineno}" if lineno else f"{name}[{index}]"
            if result is True:
                tally.matched += 1
                if len(tally.examples) < keep:
                    tally.examples.append({"event": _describe(event), "at": where})
            elif result is False:
                tally.not_matched += 1
            else:
                tally.indeterminate += 1
                if len(tally.unsure) < keep:
                    tally.unsure.append({"event": _describe(event), "at": where})
        if tally.total == before:
            raise EventFileError(
                f"{name}: no events in it; give a JSON array, JSON lines or a "
                'CloudTrail {"Records": [...]} file with at least one event'
            )
    return tally


PATTERN_FIX = "give the filter pattern as text (at most 1,024 characters in CloudWatch Logs), or pass it as PATTERN"


def _pattern_and_events(pattern: str | None, events: list[str], pattern_file: str | None) -> tuple[str, list[str]]:
    """The pattern (from PATTERN or --pattern-file) and the event files (every other argument)."""
    if pattern_file is None:
        if pattern is None:
            raise InputError(
                "no filter pattern: give it as the first argument (trailwatch pattern "
                "'PATTERN' [EVENTS...]) or in a file (--pattern-file FILE, '-' for standard input)"
            )
        return pattern, events
    files = ([pattern] if pattern is not None else []) + events  # with --pattern-file every argument is EVENTS
    if pattern_file == "-" and "-" in files:
        raise InputError("--pattern-file - and the events file - both read standard input; give one of them as a file")
    label = "--pattern-file -" if pattern_file == "-" else f"--pattern-file {pattern_file}"
    # A pattern is at most 1,024 characters (CloudWatch Logs quotas); the judge reports a long
    # one, so the file may hold more, but not a file that is clearly something else.
    text = (
        read_stdin(label, PATTERN_FIX, PATTERN_FILE_LIMIT)
        if pattern_file == "-"
        else read_text(pattern_file, label, PATTERN_FIX, PATTERN_FILE_LIMIT)
    )
    text = text.removesuffix("\n").removesuffix("\r")  # the final line break an editor adds
    if not text.strip():
        raise InputError(f"{label}: no pattern in it; {PATTERN_FIX}")
    return text, files


def _exit_code(verdict: Verdict) -> int:
    if verdict.error is not None or verdict.status == "indeterminate":
        return EXIT_INPUT
    return EXIT_OK if verdict.ok else EXIT_NOT_OK


_VERDICT_COLOUR = {"ok": "green", "not_ok": "red", "indeterminate": "yellow"}


def _render_text(
    pattern_text: str,
    canonical: str | None,
    verdict: Verdict,
    tally: Tally | None,
    out: TextIO,
    paint: Painter | None = None,
    control: Control | None = None,
) -> None:
    paint = paint or Painter(False)
    if control is not None:
        out.write(f"control:   {control.label()}: {control.what} ({control.policy})\n")
    out.write(f"pattern:   {pattern_text}\n")
    if canonical is not None and canonical != pattern_text:
        out.write(f"canonical: {canonical}\n")
    out.write(f"verdict:   {paint(_VERDICT_COLOUR.get(verdict.status, 'bold'), verdict.status)}\n")
    if verdict.ok:
        out.write(f"  - {verdict.summary().removeprefix('ok: ')}\n")
    for reason in verdict.reasons:
        out.write(f"  - {reason}\n")
    accepted = [n for n, ok in verdict.scanners.items() if ok]
    rejected = [n for n, ok in verdict.scanners.items() if not ok]
    out.write(
        "scanners:  accepted by "
        + (", ".join(accepted) or "none")
        + "; rejected by "
        + (", ".join(rejected) or "none")
        + "\n"
    )
    if tally is not None:
        out.write(
            f"events:    {tally.total} in {tally.files} file(s): {tally.matched} match, "
            f"{tally.not_matched} do not, {tally.indeterminate} indeterminate\n"
        )
        for ex in tally.examples:
            out.write(f"  match    {ex['event']}  ({ex['at']})\n")
        for ex in tally.unsure:
            out.write(f"  unsure   {ex['event']}  ({ex['at']})\n")


def main(argv: list[str]) -> int:
    """Entry point of `python -m trailwatch pattern`."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage and the problem
        return EXIT_INPUT if exc.code else EXIT_OK
    try:
        args.pattern, args.events = _pattern_and_events(args.pattern, args.events, args.pattern_file)
    except InputError as exc:
        sys.stderr.write(error_line("pattern", str(exc)))
        return EXIT_INPUT
    if args.examples < 0:
        sys.stderr.write(error_line("pattern", f"--examples {args.examples}: give 0 or more"))
        return EXIT_INPUT

    try:
        control = primary() if args.control is None else find(args.control)
    except UnknownControl as exc:
        sys.stderr.write(error_line("pattern", f"--control: {exc}"))
        return EXIT_INPUT
    verdict = judge(args.pattern, control=control, profile=args.profile)
    pattern: FilterPattern | None
    try:
        pattern = parse(args.pattern)
    except FilterPatternError:
        pattern = None

    tally: Tally | None = None
    if args.events and pattern is not None:
        try:
            tally = _count(pattern, args.events, args.examples)
        except (EventFileError, InputError) as exc:
            sys.stderr.write(error_line("pattern", str(exc)))
            return EXIT_INPUT

    canonical = str(pattern) if pattern is not None else None
    if args.format == "json":
        doc: dict[str, Any] = {
            "schemaVersion": SCHEMA_VERSION,
            "tool": {"name": "trailwatch", "version": version()},
            "pattern": args.pattern,
            "canonical": canonical,
            "kind": pattern.kind if pattern is not None else None,
            "profile": args.profile,
            "control": {
                "id": control.id,
                "cis12": control.cis12,
                "securityhub": control.securityhub,
                "policy": control.policy,
                "what": control.what,
            },
            "verdict": verdict.to_dict(),
        }
        if tally is not None:
            doc["events"] = {
                "files": tally.files,
                "total": tally.total,
                "matched": tally.matched,
                "not_matched": tally.not_matched,
                "indeterminate": tally.indeterminate,
                "examples": tally.examples,
                "indeterminate_examples": tally.unsure,
            }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        paint = Painter(colour_enabled(sys.stdout, args.no_color))
        _render_text(
            args.pattern, canonical, verdict, tally, sys.stdout, paint, control if args.control is not None else None
        )
        if verdict.error is not None:
            sys.stderr.write(error_line("pattern", f"the pattern does not parse: {verdict.error}"))
    return _exit_code(verdict)
