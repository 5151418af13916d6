"""Settings for the pack's own process, which lives for one preview.

Measured (bench/analyze_stack.py): the SDK deserializes every resource of a stack into
Python objects, and with CPython 3.11's default thresholds the full (generation 2)
collections it triggers rescan everything already alive, so AnalyzeStack grows faster than
the stack (50k resources cost 7x 10k). The process allocates few cycles and exits after the
preview, so collecting rarely is safe, and it makes the cost linear again.
"""
from __future__ import annotations

import gc

GEN0_THRESHOLD = 100_000  # CPython's default is 700 (2,000 from 3.13)


def tune_for_large_stacks() -> None:
    """Collect rarely, and never rescan what was alive once the pack was imported."""
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
