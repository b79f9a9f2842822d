"""The version counters that cached things are kept under (the content version of
portal.middleware, the site tree version of portal.routing, the reference version of
guides.serializers): moved by a change in any process, read by every process of the deployment.

They live in the cache ``versions``: the shared cache of CACHE_URL, or, without one, a file cache
under VAR_DIR that the processes of this machine share (gunicorn's workers, the task worker,
management commands). In each process's own memory a publish in one web process would leave the
others serving what they had cached before it, for as long as it stays cached.

A counter starts at the time in nanoseconds rather than at 1: a counter that is lost (a cache
restarted or cleared) starts again above every value it had, so nothing kept under an old value
is served again.
"""

from __future__ import annotations

import time

from django.core.cache import caches
from django.db import transaction

from portal.security import cache_lock

CACHE = "versions"


def current(key: str) -> int:
    store = caches[CACHE]
    version = store.get(key)
    if version is None:
        store.add(key, time.time_ns(), None)
        version = store.get(key)
    return version


def _increment(key: str) -> None:
    store = caches[CACHE]
    with cache_lock(store):  # the file cache reads and writes in two steps
        try:
            store.incr(key)
        except ValueError:  # lost meanwhile: start again above every earlier value
            store.set(key, time.time_ns(), None)


def bump(key: str) -> None:
    """Move the version now, for this transaction's own reads, and again when the change
    commits: a reader between the two saw the data before the change (readers do not see an
    uncommitted write) and may have cached it under the version of the first move."""
    _increment(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _increment(key))
