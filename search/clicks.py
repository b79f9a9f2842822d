"""Which guide citizens opened for which query, and the per-query boost it feeds.

A result link goes through ``/search/click/?q=…&code=…`` (``click_url``), which redirects to
the guide. The request never writes to the database: the click is counted in this process's
buffer (``ClickBuffer``) and written in batches outside any request, by a flusher thread every
``SEARCH_CLICK_FLUSH_SECONDS`` (off when 0, as in tests, which call ``flush()``), sooner when
many are waiting, and at exit. Each batch is one transaction of atomic increments and
waits for a writer that holds the database lock instead of failing.

Queries whose guides were opened often enough rank those guides higher (``click_boosts``);
editors see the counts in the admin (搜索 → 点击记录) and reset a query's boost by deleting its
rows.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from collections import Counter
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

logger = logging.getLogger(__name__)

# A query's clicks on a guide count once they reach this many (one person's clicks do not).
MIN_CLICKS = 3
# Score added per doubling of the clicks, and at most (a name match is worth 10 to 18).
CLICK_BOOST = 1.5
MAX_CLICK_BOOST = 6.0
MAX_QUERY_CHARS = 100
# Buffered pairs that make the flusher write at once.
FLUSH_AT = 500
BOOSTED_QUERIES_KEY = "search:boosted-queries"
BOOSTED_QUERIES_TIMEOUT = 300
LOCK_RETRIES = 20


def click_url(query: str, code: str, position: int | None = None) -> str:
    params = {"q": query[:MAX_QUERY_CHARS], "code": code}
    if position is not None:
        params["r"] = str(position)
    return reverse("search-click") + "?" + urlencode(params)


class ClickBuffer:
    """Clicks counted in memory, by (normalized query, guide id), until they are written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, int]] = Counter()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, query: str, guide_id: int) -> None:
        with self._lock:
            self._pending[(query[:MAX_QUERY_CHARS], guide_id)] += 1
            size = len(self._pending)
        self._ensure_flusher()
        if size >= FLUSH_AT:
            self._wake.set()

    def pending(self) -> dict[tuple[str, int], int]:
        with self._lock:
            return dict(self._pending)

    def take(self) -> Counter[tuple[str, int]]:
        with self._lock:
            taken, self._pending = self._pending, Counter()
        return taken

    def _ensure_flusher(self) -> None:
        interval = float(getattr(settings, "SEARCH_CLICK_FLUSH_SECONDS", 10))
        if interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, args=(interval,), name="search-click-flusher", daemon=True)
                self._thread.start()

    def _run(self, interval: float) -> None:
        from django.db import connection

        while True:
            self._wake.wait(interval)
            self._wake.clear()
            try:
                flush()
            except Exception:  # keep the thread alive; the clicks are put back by flush()
                logger.exception("writing search clicks failed")
            finally:
                connection.close()


buffer = ClickBuffer()


def record_click(query: str, guide_id: int) -> None:
    """Count a click; nothing is written now."""
    if query:
        buffer.add(query, guide_id)


def flush() -> int:
    """Write the buffered clicks in one transaction; returns how many pairs were written. On
    failure they go back into the buffer."""
    from search.models import SearchClick

    taken = buffer.take()
    if not taken:
        return 0
    now = timezone.now()
    for attempt in range(LOCK_RETRIES):
        try:
            with transaction.atomic():
                for (query, guide_id), count in sorted(taken.items()):
                    values = {"clicks": F("clicks") + count, "last_clicked_at": now}
                    if not SearchClick.objects.filter(query=query, guide_id=guide_id).update(**values):
                        try:
                            with transaction.atomic():
                                SearchClick.objects.create(query=query, guide_id=guide_id, clicks=count, last_clicked_at=now)
                        except IntegrityError:  # created by another process in between
                            SearchClick.objects.filter(query=query, guide_id=guide_id).update(**values)
            break
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCK_RETRIES - 1:
                for pair, count in taken.items():
                    buffer._pending[pair] += count
                raise
            time.sleep(min(0.05 * 2**attempt, 2.0))  # another writer holds the lock: wait
    forget_boosts(queries={query for query, _ in taken})
    return len(taken)


@atexit.register
def _flush_at_exit() -> None:
    if buffer.pending():
        try:
            flush()
        except Exception:
            logger.exception("writing search clicks at exit failed")


def forget_boosts(queries=(), **kwargs) -> None:
    """Clicks were written or deleted: the boosts are read again (in every process within
    BOOSTED_QUERIES_TIMEOUT, at once with a shared cache)."""
    cache.delete(BOOSTED_QUERIES_KEY)
    instance = kwargs.get("instance")
    keys = [_boost_key(query) for query in queries] + ([_boost_key(instance.query)] if instance is not None else [])
    cache.delete_many(keys)


def _boost_key(query: str) -> str:
    import hashlib

    return "search:boosts:" + hashlib.blake2s(query.encode(), digest_size=12).hexdigest()


def _boosted_queries() -> frozenset[str]:
    """The queries with enough clicks on some guide; nearly every search has none."""
    from search.models import SearchClick

    queries = cache.get(BOOSTED_QUERIES_KEY)
    if queries is None:
        queries = frozenset(SearchClick.objects.filter(clicks__gte=MIN_CLICKS).values_list("query", flat=True).distinct())
        cache.set(BOOSTED_QUERIES_KEY, queries, BOOSTED_QUERIES_TIMEOUT)
    return queries


def boost_of(clicks: int) -> float:
    """The score a guide gains for a query from its clicks."""
    return 0.0 if clicks < MIN_CLICKS else min(MAX_CLICK_BOOST, CLICK_BOOST * math.log2(1 + clicks))


def click_boosts(query: str) -> dict[int, float]:
    """Extra score by guide id for this (normalized) query: what citizens opened for it."""
    from search.models import SearchClick

    if not query or query[:MAX_QUERY_CHARS] not in _boosted_queries():
        return {}
    key = _boost_key(query[:MAX_QUERY_CHARS])
    boosts = cache.get(key)
    if boosts is None:
        rows = SearchClick.objects.filter(query=query[:MAX_QUERY_CHARS], clicks__gte=MIN_CLICKS).values_list("guide_id", "clicks")
        boosts = {guide_id: boost_of(clicks) for guide_id, clicks in rows}
        cache.set(key, boosts, BOOSTED_QUERIES_TIMEOUT)
    return boosts
