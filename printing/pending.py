"""Sheets rendered for a reader in the background: nobody waits on a render for long.

A sheet that is not stored yet (answers that no publish pre-rendered, a cache pruned, renders
queued behind others in a busy hall) is rendered by a thread of the serving process while the
reader's request waits at most ``PRINTING_RESPONSE_WAIT`` seconds for it. A sheet ready by then is
served; otherwise the request answers 202 with a page that asks again (``Retry-After``, a meta
refresh; the kiosk's print button does the same) while the render goes on. Requests for the same
sheet while it renders wait for that render rather than start another. A render that failed is
remembered for ``FAILURE_MEMORY_SECONDS``, so that the readers asking again get the failure page
instead of a new wait; after that the next request tries again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connections

# Renders run one (or RENDERS_AT_ONCE) at a time in the process's render worker anyway; a second
# thread lets a stored sheet be found while another one renders.
THREADS = 2
FAILURE_MEMORY_SECONDS = 60
DEFAULT_RESPONSE_WAIT = 8.0


def response_wait() -> float:
    """Seconds a request waits for its sheet before answering 202."""
    return float(getattr(settings, "PRINTING_RESPONSE_WAIT", DEFAULT_RESPONSE_WAIT))


class _Renders:
    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        # key -> (future, when it failed or None)
        self._futures: dict[str, tuple[Future, float | None]] = {}

    def future(self, key: str, render: Callable):
        if self._pid != os.getpid():  # a forked process: the parent's threads are not its own
            self._reset()
        with self._lock:
            current = self._futures.get(key)
            if current is not None:
                future, failed_at = current
                if failed_at is None or time.monotonic() - failed_at < FAILURE_MEMORY_SECONDS:
                    return future
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="sheet-render")
            future = self._executor.submit(_closing_connections, render)
            self._futures[key] = (future, None)
        future.add_done_callback(lambda done: self._done(key, done))
        return future

    def _done(self, key: str, future: Future) -> None:
        with self._lock:
            if self._futures.get(key, (None,))[0] is not future:
                return
            if future.exception() is None:
                # Stored: the next request reads the file.
                del self._futures[key]
            else:
                self._futures[key] = (future, time.monotonic())
                # Failures older than the memory are dropped here rather than kept forever.
                now = time.monotonic()
                for old, (_future, failed_at) in list(self._futures.items()):
                    if failed_at is not None and now - failed_at >= FAILURE_MEMORY_SECONDS:
                        del self._futures[old]

    def rendering(self) -> int:
        """How many renders are pending or running (for the tests)."""
        with self._lock:
            return sum(1 for future, _ in self._futures.values() if not future.done())


def _closing_connections(render: Callable):
    try:
        return render()
    finally:
        # A thread of the pool keeps no database connection between sheets.
        connections.close_all()


renders = _Renders()


def render_for_reader(key: str, render: Callable, wait: float | None = None):
    """What ``render()`` returns if it is done within ``wait`` seconds (default
    ``PRINTING_RESPONSE_WAIT``), else None while it goes on in the background; its exception if
    it failed. ``key`` names the sheet: requests with the same key share one render."""
    future = renders.future(key, render)
    try:
        return future.result(timeout=response_wait() if wait is None else wait)
    except FutureTimeout:
        return None
