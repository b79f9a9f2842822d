"""Wagtail's database search backend, specialised per database: SQLite (search.backends.sqlite)
and PostgreSQL (search.backends.postgres). Other databases get Wagtail's own backend as it is.

Both specialisations index the same pre-segmented search fields (search.analysis) and answer the
search page's retrieval (the best candidates, the number of matches and the facet counts) in one
statement through ``ranked``, as the Elasticsearch backend does in one request.
"""

from __future__ import annotations

from django.db import connection
from modelsearch.backends.database import SearchBackend as vendor_backend


def search_texts(model, pks: list[int], fields: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
    """``fields`` of the rows ``pks`` of ``model``'s table, by pk. A statement of its own (the
    fields are columns of the model's table): the ORM took longer to build the query than
    SQLite to answer it."""
    if not pks or not fields:
        return {}
    own = {field.name: field.column for field in model._meta.local_concrete_fields}
    if not own.keys() >= set(fields):
        raise ValueError(f"not columns of {model._meta.db_table}: {', '.join(sorted(set(fields) - own.keys()))}")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(own[name]) for name in fields)
    key = quote(model._meta.pk.column)
    placeholders = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, {columns} FROM {quote(model._meta.db_table)} WHERE {key} IN ({placeholders})", pks)
        return {row[0]: row[1:] for row in cursor.fetchall()}


def SearchBackend(params):  # noqa: N802  (Wagtail looks the backend up by this name)
    # The vendor modules are imported here: each needs models that only its database has.
    if connection.vendor == "sqlite":
        from modelsearch.backends.database.sqlite.sqlite import SQLiteSearchBackend

        backend = vendor_backend(params)
        if isinstance(backend, SQLiteSearchBackend):  # not the fallback of an SQLite without FTS5
            from search.backends.sqlite import WeightedSQLiteSearchBackend

            return WeightedSQLiteSearchBackend(params)
        return backend
    if connection.vendor == "postgresql":
        from search.backends.postgres import PresegmentedPostgresSearchBackend

        return PresegmentedPostgresSearchBackend(params)
    return vendor_backend(params)
