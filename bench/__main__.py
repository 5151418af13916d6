"""`make bench`: run the benchmarks, print the table docs/performance.md shows, and write the
results where `git status` stays clean (bench/out/results.json, git-ignored); `make bench
SAVE=1` (`--save`) writes the committed bench/results.json instead, to update the docs.

`python -m bench [NAME ...]` runs some of them (names: filter, regex, pack, analyze, hostile, check, audit, org,
controls).
Targets are reported, not asserted: a missed target is a finding to profile, not a flaky test.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .common import machine, markdown, write_payload

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / "out" / "results.json"  # git-ignored
SAVED = HERE / "results.json"  # committed: the numbers docs/performance.md shows

BENCHES = {
    "filter": "bench.filter_eval",
    "regex": "bench.filter_regex",
    "pack": "bench.pack_start",
    "analyze": "bench.analyze_stack",
    "hostile": "bench.hostile",
    "check": "bench.check_e2e",
    "audit": "bench.audit_regions",
    "org": "bench.audit_org",
    "controls": "bench.audit_controls",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {', '.join(BENCHES)})"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="where to write the results (default: bench/out/results.json, git-ignored)",
    )
    where.add_argument("--save", action="store_true", help="write bench/results.json (committed; `make bench SAVE=1`)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    results = []
    for name in args.names or list(BENCHES):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.extend(importlib.import_module(BENCHES[name]).run())
    info = machine()
    print(markdown(results, info))
    output = SAVED if args.save else (args.output or SCRATCH)
    write_payload(results, info, output)
    print(f"\nwritten: {output}" + ("" if args.save else " (make bench SAVE=1 writes bench/results.json)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
