"""Pausing Python's cyclic garbage collector around bursts of allocation."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector for a burst of short-lived objects: a PDF layout, a
    chunk of serialized guides.

    Such bursts allocate hundreds of thousands of linked objects, and the collector ran over and
    over in the middle of them, each full pass walking every object of the process (a third of
    a sheet's render time, a third of a cold export). Reference counting still frees most of
    them at once; the cycles left over are collected by the next automatic pass after the
    burst, so memory stays flat (``benchmarks/pdf.py`` and ``benchmarks/feed.py`` check it).
    Nested and concurrent pauses share one: the last to finish switches the collector back on,
    if it was on.
    """
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
