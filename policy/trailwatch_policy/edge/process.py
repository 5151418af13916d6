"""Settings for the pack's own process, which lives for one preview.

Measured (bench/analyze_stack.py): the SDK deserializes every resource of a stack into
Python objects, and with CPython 3.11's default thresholds the full (generation 2)
collections it triggers rescan everything already alive, so AnalyzeStack grows faster than
the stack (50k resources cost 7x 10k). The process allocates few cycles and exits after the
preview, so collecting rarely is safe, and it makes the cost linear again.

Deep documents: before the pack's code runs, the SDK converts each resource's properties
recursively (protobuf `json_format.MessageToDict`, then `deserialize_properties`, several
Python frames per level), in the gRPC server's worker threads (pulumi_policy.policy:
`grpc.server(futures.ThreadPoolExecutor(max_workers=4))`, created by `PolicyPack`). With
Python's default limit of 1,000 frames a value nested ~200 deep fails the whole
AnalyzeStack call; with a higher limit but the default 8 MB thread stack, 5,000 deep
crashes the process inside protobuf's C code. So the limit and the stack size of threads
created from here on are raised before the pack serves. Protobuf itself refuses messages
nested deeper than 65,535 (about 21,000 levels of a JSON-like value), so that is the
deepest value an engine can send; 25,000 levels are budgeted. Cost: the stacks are reserved
address space, touched only as deep as a call really goes. Measured with and without (5
interleaved starts): start, AnalyzeStack of 10k resources and resident memory unchanged
(64 MB); virtual size +512 MB per gRPC thread (docs/policy-pack.md, "Deep documents").
"""

from __future__ import annotations

import gc
import sys
import threading

GEN0_THRESHOLD = 100_000  # CPython's default is 700 (2,000 from 3.13)
RECURSION_LIMIT = 200_000  # frames; ~8 per level of a nested value in the SDK's conversion
THREAD_STACK_SIZE = 512 * 1024 * 1024  # bytes per thread started after tuning (default 8 MB)


def tune_for_large_stacks() -> None:
    """Collect rarely, and never rescan what was alive once the pack was imported."""
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


def tune_for_deep_documents() -> None:
    """Let the SDK's and the pack's recursive conversions reach protobuf's own nesting
    limit: a deep but legal document is judged, not a crash (call before serving)."""
    threading.stack_size(THREAD_STACK_SIZE)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
