"""CPython's cyclic garbage collector during a command's start-up.

The collector runs whenever allocations outnumber deallocations by 700 container objects,
and every so often rescans everything that survived earlier runs. An audit's start-up
allocates almost nothing but objects that live as long as the process: botocore's modules,
service models and endpoint rules (JSON documents of up to 1.2 MB, parsed into dicts), the
controls' table and the rules. While they load, the collector rescans the growing heap again
and again and frees nothing: about 7% of a one-account audit's run time (docs/performance.md,
measured with and without). So a command whose start-up is like that turns the collector off
(`defer()`, from `trailwatch.__main__`, before the command's modules are imported) and says
when its start-up is done (`started_up()`): what was made so far is moved out of the
collector's sight for good (`gc.freeze`) and the collector runs as usual from there, so the
garbage of each audited account (its clients, its replies) is still collected and an
organisation's audit keeps a flat memory. An audit of one account never says it: the
process ends with that account, and its garbage with it.
https://docs.python.org/3/library/gc.html#gc.freeze
"""

from __future__ import annotations

import gc


def defer() -> None:
    """Turn the collector off until `started_up()`."""
    gc.disable()


def started_up() -> None:
    """The start-up is done: freeze what it made and turn the collector back on. Does
    nothing when `defer()` did not turn it off (a caller that runs the command in its own
    process, such as a test, keeps its collector as it was)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
