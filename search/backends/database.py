"""Wagtail's database search backend, with column weights on SQLite.

On PostgreSQL (and MySQL) Wagtail's own database backend is used as it is: it maps field boosts to
weights. Wagtail's SQLite backend ranks with a plain ``bm25()`` over one FTS5 row, so a word in a
guide's name counts no more than the same word in a step description. This subclass puts the
highly boosted fields (the guide name and its pinyin) into the FTS ``title`` column, repeats the
other fields by their boost in ``body``, and ranks with ``bm25()`` column weights.
"""

from __future__ import annotations

from collections import Counter, OrderedDict

from django.db import connection
from django.db.models import Count, F, FloatField, Func
from django.db.models.expressions import RawSQL
from modelsearch.backends.database import SearchBackend as vendor_backend
from modelsearch.backends.database.sqlite import sqlite as wagtail_sqlite
from modelsearch.index import SearchField

# A field whose boost reaches this goes to the weighted title column.
TITLE_BOOST = 5.0
TITLE_WEIGHT = 8.0
BODY_WEIGHT = 1.0


class WeightedBM25(Func):
    output_field = FloatField()

    def as_sql(self, compiler, connection, function=None, template=None):
        table = wagtail_sqlite.SQLiteFTSIndexEntry._meta.db_table
        # FTS5 columns are (autocomplete, body, title); lower bm25 means a better match.
        return f"bm25({table}, 0.0, {BODY_WEIGHT}, {TITLE_WEIGHT})", []


class WeightedObjectIndexer(wagtail_sqlite.ObjectIndexer):
    def _values(self, in_title: bool):
        texts = []
        for field in self.search_fields:
            for current_field, value in self.prepare_field(self.obj, field):
                if not isinstance(current_field, SearchField) or not value:
                    continue
                boost = float(current_field.boost or 1)
                if current_field.field_name == "title" or boost >= TITLE_BOOST:
                    if in_title:
                        texts.append(value)
                elif not in_title:
                    texts.extend([value] * max(1, round(boost)))
        return " ".join(texts)

    @property
    def title(self):
        return self._values(in_title=True)

    @property
    def body(self):
        return self._values(in_title=False)


class WeightedSQLiteIndex(wagtail_sqlite.SQLiteIndex):
    def add_items(self, model, objs):
        """Wagtail's add_items, with the weighted indexer: update existing rows, create the rest."""
        if not model.get_search_fields():
            return
        content_type_pk = wagtail_sqlite.get_content_type_pk(model)
        rows = {}
        for obj in objs:
            indexer = WeightedObjectIndexer(obj, self.backend)
            rows[indexer.id] = {"title": indexer.title, "autocomplete": indexer.autocomplete, "body": indexer.body}
        if not rows:
            return
        entries = self.entries.filter(content_type_id=content_type_pk)
        existing = set(entries.filter(object_id__in=rows).values_list("object_id", flat=True))
        for object_id in existing:
            entries.filter(object_id=object_id).update(**rows[object_id])
        self.entries.bulk_create(
            wagtail_sqlite.IndexEntry(content_type_id=content_type_pk, object_id=object_id, **values)
            for object_id, values in rows.items()
            if object_id not in existing
        )
        self._refresh_title_norms()


class WeightedSQLiteQueryCompiler(wagtail_sqlite.SQLiteSearchQueryCompiler):
    """Ranks plain-text queries with one FTS pass.

    Wagtail's compiler annotates each result with its score through a correlated subquery, and
    any join or rowid constraint lets SQLite hand the FTS5 table one rowid at a time, which runs
    the whole full-text query once per candidate row (seconds at 10,000 guides). Here the MATCH
    runs once, in a materialized CTE, and everything else joins to its result. Other query
    shapes (phrases, negations, match-all) go to Wagtail's implementation.
    """

    def _match_string(self) -> str | None:
        query = wagtail_sqlite.normalize(self.query)
        if not isinstance(query, wagtail_sqlite.PlainText):
            return None
        terms = [term for term in query.query_string.split() if term]
        if not terms:
            return None
        operator = " OR " if query.operator == "or" else " AND "
        quoted = operator.join('"' + term.replace('"', '""') + '"' for term in terms)
        return f"{{{' '.join(self.fields or self.FTS_TABLE_FIELDS)}}} : ({quoted})"

    def _matched_sql(self, select: str, tail: str = "", columns: tuple[str, ...] = ()) -> tuple[str, list] | None:
        """The FTS pass joined to the rows of the queryset it matched. ``columns`` are fields of
        the queryset's model to select too, as ``candidate._c0``, ``candidate._c1`` …"""
        match = self._match_string()
        if match is None:
            return None
        fts = wagtail_sqlite.SQLiteFTSIndexEntry._meta.db_table
        entries = wagtail_sqlite.IndexEntry._meta.db_table
        content_types = list(wagtail_sqlite.get_descendants_content_types_pks(self.queryset.model))
        # Joined by the integer primary key and without ORDER BY, SQLite flattens the queryset
        # into the statement and looks each match up by rowid; filtering with IN (...) or
        # joining on the text object_id builds or scans the whole queryset instead.
        aliases = {"_pk": F("pk"), **{f"_c{number}": F(name) for number, name in enumerate(columns)}}
        candidates = self.queryset.order_by().annotate(**aliases).values(*aliases)
        candidates_sql, candidates_params = candidates.query.sql_with_params()
        sql = (
            f"WITH matched AS MATERIALIZED ("
            f"SELECT rowid AS entry_id, bm25({fts}, 0.0, {BODY_WEIGHT}, {TITLE_WEIGHT}) AS score "
            f"FROM {fts} WHERE {fts} MATCH %s) "
            f"SELECT {select} FROM matched JOIN {entries} AS entry ON entry.id = matched.entry_id "
            f"JOIN ({candidates_sql}) AS candidate ON candidate._pk = CAST(entry.object_id AS INTEGER) "
            f"WHERE entry.content_type_id IN ({', '.join(['%s'] * len(content_types))}) {tail}"
        )
        return sql, [match, *candidates_params, *content_types]

    def ranked(self, limit: int, facet_fields: tuple[str, ...]):
        """The best ``limit`` pks, the number of matches and the facet counts, from one FTS pass
        (None for query shapes this compiler leaves to Wagtail)."""
        columns = ", ".join(f"candidate._c{number}" for number in range(len(facet_fields)))
        statement = self._matched_sql(
            "entry.object_id" + (f", {columns}" if columns else ""),
            "ORDER BY matched.score, CAST(entry.object_id AS INTEGER) DESC",
            columns=facet_fields,
        )
        if statement is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            rows = cursor.fetchall()
        facets = {
            name: dict(Counter(row[1 + number] for row in rows).most_common())
            for number, name in enumerate(facet_fields)
        }
        return [int(row[0]) for row in rows[:limit]], len(rows), facets

    def search(self, config, start, stop, score_field=None):
        if not self.order_by_relevance:
            return super().search(config, start, stop, score_field=score_field)
        limit = "" if stop is None else f"LIMIT {int(stop) - int(start or 0)} "
        offset = f"OFFSET {int(start or 0)}"
        statement = self._matched_sql(
            "entry.object_id, matched.score",
            f"ORDER BY matched.score, CAST(entry.object_id AS INTEGER) DESC {limit}{offset}",
        )
        if statement is None:
            return super().search(config, start, stop, score_field=score_field)
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            ranked = cursor.fetchall()
        objects = self.queryset.in_bulk([int(object_id) for object_id, _ in ranked])
        results = []
        for object_id, value in ranked:
            obj = objects.get(int(object_id))
            if obj is not None:
                if score_field:
                    setattr(obj, score_field, value)
                results.append(obj)
        return results

    def count(self) -> int:
        statement = self._matched_sql("COUNT(*)")
        if statement is None:
            return len(super().search(None, None, None))
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            return cursor.fetchone()[0]

    def matched_queryset(self):
        statement = self._matched_sql("CAST(entry.object_id AS INTEGER)")
        if statement is None:
            return super().search(None, None, None)
        return self.queryset.filter(pk__in=RawSQL(*statement))


class WeightedSQLiteSearchResults(wagtail_sqlite.SQLiteSearchResults):
    def _do_count(self):
        return self.query_compiler.count()

    def ranked(self, limit: int, facet_fields: tuple[str, ...]):
        """(best ``limit`` pks, number of matches, facet counts) in one FTS pass."""
        found = self.query_compiler.ranked(limit, facet_fields) if self.query_compiler.order_by_relevance else None
        if found is not None:
            return found
        pks = [obj.pk for obj in self[:limit]]
        return pks, self.count(), {name: dict(self.facet(name)) for name in facet_fields}

    def facet(self, field_name):
        if self.query_compiler._get_filterable_field(field_name) is None:
            return super().facet(field_name)  # raises Wagtail's FilterFieldError
        rows = (
            self.query_compiler.matched_queryset()
            .order_by()
            .values(field_name)
            .annotate(count=Count("pk"))
            .order_by("-count")
        )
        return OrderedDict((row[field_name], row["count"]) for row in rows)


class WeightedSQLiteSearchBackend(wagtail_sqlite.SQLiteSearchBackend):
    query_compiler_class = WeightedSQLiteQueryCompiler
    index_class = WeightedSQLiteIndex
    results_class = WeightedSQLiteSearchResults


def SearchBackend(params):  # noqa: N802  (Wagtail looks the backend up by this name)
    backend = vendor_backend(params)
    if connection.vendor == "sqlite" and isinstance(backend, wagtail_sqlite.SQLiteSearchBackend):
        return WeightedSQLiteSearchBackend(params)
    return backend
