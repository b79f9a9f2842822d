"""The search query log, kept out of the request.

Every search counts its query for the editors' report (``SearchQueryStat``). Written in the
request, that was a write on the hottest read path: on SQLite each search waited for (or failed
on) the one write lock, and a search's transaction held it against imports and publishes. Here a
search only adds its query to this process's tally in memory; a thread of the process writes the
tally every ``SEARCH_LOG_FLUSH_SECONDS`` in one transaction (one INSERT for the new queries and one
UPDATE per query), and the process writes what is left when it exits in an orderly way (Ctrl-C of
the development server, gunicorn's stop or restart of a worker).

Why a thread and not the task queue: with the default ``immediate`` task backend a task runs in
the request that enqueues it, which is the write this avoids, and with the database backend every
search would write a task row instead of a log row. The log is statistics for editors: a tally
that a crash loses (at most the last few seconds) costs less than any write per search.

A tally that cannot be written (the database is busy past its timeout, or down) is kept and
written with the next one. The tally holds at most ``MAX_PENDING_QUERIES`` distinct queries;
queries beyond that are counted as dropped and logged, so junk cannot grow a process's memory.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 100
MAX_PENDING_QUERIES = 10_000


@dataclass
class QueryTally:
    """What one process saw of a query since its last write."""

    hits: int
    zero_result_hits: int
    last_result_count: int
    last_searched_at: datetime

    def add(self, other: QueryTally) -> None:
        self.hits += other.hits
        self.zero_result_hits += other.zero_result_hits
        if other.last_searched_at >= self.last_searched_at:
            self.last_result_count, self.last_searched_at = other.last_result_count, other.last_searched_at


class QueryLog:
    """This process's tally of searches and the thread that writes it."""

    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._pending: dict[str, QueryTally] = {}
        self._writer: threading.Thread | None = None
        self._wake = threading.Event()
        self.dropped = 0

    def record(self, query: str, result_count: int) -> None:
        """Count one search; no database access."""
        query = query[:MAX_QUERY_LENGTH]
        if not query:
            return
        if self._pid != os.getpid():  # a forked worker: the parent's tally and thread are not its own
            self._reset()
        tally = QueryTally(1, 0 if result_count else 1, result_count, timezone.now())
        with self._lock:
            if self._writer is None:
                self._start_writer()
            pending = self._pending.get(query)
            if pending is not None:
                pending.add(tally)
            elif len(self._pending) < MAX_PENDING_QUERIES:
                self._pending[query] = tally
            else:
                self.dropped += 1

    def pending(self) -> dict[str, QueryTally]:
        with self._lock:
            return dict(self._pending)

    def flush(self) -> int:
        """Write the tally in one transaction; return the number of queries written. On a
        database error the tally is kept for the next write and the error raised."""
        from search.models import SearchQueryStat

        with self._lock:
            pending, self._pending = self._pending, {}
            dropped, self.dropped = self.dropped, 0
        if dropped:
            logger.warning("search query log: %d searches of new queries dropped (more than %d pending)", dropped, MAX_PENDING_QUERIES)
        if not pending:
            return 0
        try:
            SearchQueryStat.add_tallies(pending)
        except DatabaseError:
            with self._lock:
                for query, tally in pending.items():
                    newer = self._pending.get(query)
                    if newer is not None:
                        tally.add(newer)
                    if newer is not None or len(self._pending) < MAX_PENDING_QUERIES:
                        self._pending[query] = tally
            raise
        return len(pending)

    def _start_writer(self) -> None:
        """Start the writing thread of this process (with the lock held). Without an interval
        (tests) nothing is written until ``flush()`` is called."""
        interval = settings.SEARCH_LOG_FLUSH_SECONDS
        if not interval:
            self._writer = threading.current_thread()  # marks "decided": no thread
            return
        self._writer = threading.Thread(target=self._write_every, args=(interval,), name="search-query-log", daemon=True)
        self._writer.start()
        atexit.register(self._write_at_exit)

    def _write_every(self, interval: float) -> None:
        while not self._wake.wait(interval):
            self._write_logged()

    def _write_logged(self) -> None:
        close_old_connections()
        try:
            self.flush()
        except OperationalError as error:  # busy past the timeout (a long import), or down
            logger.warning("search query log: could not write (%s); kept for the next write", error)
        except Exception:  # kept for the next write; the thread must live on
            logger.exception("search query log: could not write; kept for the next write")
        finally:
            connection.close()

    def _write_at_exit(self) -> None:
        if self._pid == os.getpid():
            self._wake.set()
            self._write_logged()


query_log = QueryLog()


def count_search(query: str, result_count: int) -> None:
    """Count a search answered from the shared response cache (portal.middleware), as
    ``search_guides`` counts the one it ran."""
    query_log.record(query, result_count)
