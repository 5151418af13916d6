"""`trailwatch.monitor`, kept importable: it was documented before the component moved to
trailwatch.component.monitor (stacks copied `from trailwatch.monitor import ...` from this
repository's __main__.py). The same module object, so every name and every patch reaches it."""

import sys

from trailwatch.component import monitor as _monitor
from trailwatch.component.monitor import *  # noqa: F403 -- the names, for type checkers

sys.modules[__name__] = _monitor
