"""Many readers, one writer at a time: how requests and commands use the database.

On the embedded default (SQLite) the database file takes one writer at a time. It runs in WAL mode
(readers never wait for the writer, nor it for them), every transaction starts ``IMMEDIATE`` (it
takes the write lock when it begins, so two writers queue for the lock rather than one of them
failing with "database is locked" when it first writes) and a connection waits up to
``DATABASE_BUSY_TIMEOUT`` seconds for the lock (``sqlite_options``).

Since a transaction takes the write lock when it begins, a request that only reads must not run
in one: ``WritesInOneTransactionMiddleware`` wraps the view of every request that may write (every
method but GET, HEAD, OPTIONS and TRACE) in one transaction, as ``ATOMIC_REQUESTS`` did for all,
and lets reading requests run without; a writer that waited for the lock in vain gets a 503 with
Retry-After, its change not saved, rather than a server error. Reading requests do not write (the
search query log is kept in memory and written in batches, ``search.query_log``). The same holds
on PostgreSQL, where writers wait for the row locks they need.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# Methods that only read (RFC 9110's safe methods).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# What a writer that waited in vain is told to wait before sending its change again.
BUSY_RETRY_AFTER_SECONDS = 10


def sqlite_options(busy_timeout: float) -> dict:
    """``OPTIONS`` of a SQLite database: WAL, IMMEDIATE transactions, the wait for the lock."""
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": busy_timeout,
        # WAL is a property of the file (set once, kept); NORMAL is the durability WAL mode is
        # meant for: a commit survives the process, the last ones may not survive a power cut.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }


class WritesInOneTransactionMiddleware:
    """Runs the view of a request that may write in one transaction (all or nothing: a publish
    writes the page, its checklist version, the change log and the webhook outbox) and the view
    of a request that only reads without one. Must come last in ``MIDDLEWARE``, so that the
    other middleware's ``process_view`` (CSRF) has run first. Views marked with
    ``transaction.non_atomic_requests`` run without a transaction, as with ATOMIC_REQUESTS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in READING_METHODS:
            return None
        if DEFAULT_DB_ALIAS in getattr(view_func, "_non_atomic_requests", set()):
            return None
        try:
            with transaction.atomic():
                return view_func(request, *view_args, **view_kwargs)
        except OperationalError as error:
            if not waited_in_vain(error):
                raise
            logger.warning("%s %s: another writer held the database past the wait (%s)", request.method, request.path, error)
            return busy_response()


def waited_in_vain(error: OperationalError) -> bool:
    """Whether the error says that another writer held the lock past the wait: SQLite's busy
    timeout, or PostgreSQL's lock_timeout (SQLSTATE 55P03) where one is set."""
    cause = error.__cause__
    return "database is locked" in str(error) or getattr(cause, "sqlstate", None) == "55P03"


def busy_response() -> HttpResponse:
    """503 with Retry-After: the change was not saved (its transaction rolled back) and can be
    sent again as it is."""
    message = gettext("系统正忙：另一项保存或导入尚未完成，本次修改没有保存。请稍后重新提交。")
    response = HttpResponse(
        f"<!doctype html><meta charset=utf-8><title>503</title><p>{escape(message)}</p>",
        status=503, content_type="text/html; charset=utf-8",
    )
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


@contextmanager
def one_writer(name: str, *, wait_seconds: float):
    """A transaction that only one caller named ``name`` runs at a time, for ``wait_seconds``
    at most waiting for the others (and for any other writer, on SQLite): what a long write such
    as an import needs, where the connection's usual wait would be too short.

    On SQLite the IMMEDIATE transaction is that lock already, so only the connection's wait for
    it (its busy timeout) is lengthened for the transaction. On PostgreSQL an advisory lock held
    until the transaction ends keeps two such writers from interleaving (two imports of the same
    guides would both create them), waiting for at most ``wait_seconds``."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        with _sqlite_busy_timeout(connection, wait_seconds), transaction.atomic():
            yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(wait_seconds * 1000)}ms"])
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"portal:{name}"])
        yield


@contextmanager
def _sqlite_busy_timeout(connection, seconds: float):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")
