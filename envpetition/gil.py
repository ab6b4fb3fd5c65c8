"""The interpreter's thread switch interval, asked for by whoever needs it shorter, put back after.

A thread waiting on PostgreSQL or the broker gets the GIL back only when the busy thread gives it up:
every switch interval (5 ms by default). The importer and the monitoring worker each run a
CPU-bound thread next to an I/O thread and ask for a shorter interval while they run. The interval
is process-wide, so requests are counted here: the shortest active one holds, and when the last
ends the interval is what it was before the first began, whatever order they end in.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active: Counter[float] = Counter()
_original: list[float] = []  # the interval before the first active request


@contextmanager
def short_switch_interval(seconds: float) -> Iterator[None]:
    """Keep the switch interval at most ``seconds`` while the block runs; restore it afterwards.

    >>> before = sys.getswitchinterval()
    >>> with short_switch_interval(0.001):
    ...     sys.getswitchinterval() <= 0.001
    True
    >>> sys.getswitchinterval() == before
    True
    """
    with _lock:
        if not _active:
            _original[:] = [sys.getswitchinterval()]
        _active[seconds] += 1
        sys.setswitchinterval(min(min(_active), _original[0]))
    try:
        yield
    finally:
        with _lock:
            _active[seconds] -= 1
            if not _active[seconds]:
                del _active[seconds]
            sys.setswitchinterval(min(min(_active), _original[0]) if _active else _original[0])
