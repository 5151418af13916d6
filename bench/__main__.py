"""`make bench`: run the benchmarks, print a table, write bench/results.json.

`python -m bench [NAME ...]` runs some of them (names: filter, pack, analyze, hostile, check, audit, org).
Targets are reported, not asserted: a missed target is a finding to profile, not a flaky test.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .common import table, write

BENCHES = {
    "filter": "bench.filter_eval",
    "pack": "bench.pack_start",
    "analyze": "bench.analyze_stack",
    "hostile": "bench.hostile",
    "check": "bench.check_e2e",
    "audit": "bench.audit_regions",
    "org": "bench.audit_org",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHES)})")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    results = []
    for name in args.names or list(BENCHES):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.extend(importlib.import_module(BENCHES[name]).run())
    print(table(results))
    write(results, args.output)
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
