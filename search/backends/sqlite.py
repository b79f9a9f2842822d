"""Wagtail's database search backend on SQLite, with column weights and one FTS pass.

Wagtail's SQLite backend ranks with a plain ``bm25()`` over one FTS5 row, so a word in a
guide's name counts no more than the same word in a step description. This subclass puts the
highly boosted fields (the guide name and its pinyin) into the FTS ``title`` column, repeats the
other fields by their boost in ``body``, and ranks with ``bm25()`` column weights.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, OrderedDict
from operator import itemgetter

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, FloatField, Func
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Lookup
from django.db.models.sql.where import WhereNode
from modelsearch.backends.database.sqlite import sqlite as wagtail_sqlite
from modelsearch.index import SearchField

from search.backends.database import search_texts

# A field whose boost reaches this goes to the weighted title column.
TITLE_BOOST = 5.0
TITLE_WEIGHT = 8.0
BODY_WEIGHT = 1.0
# A term in more than this share of the index entries (in a column) is common there, once that
# is more than COMMON_MIN_ENTRIES entries: scoring a few hundred matches costs little, and in a
# small catalogue every word that matters is in a good share of the guides.
COMMON_SHARE = 0.1
COMMON_MIN_ENTRIES = 200
# Document frequencies change slowly; a stale one only changes which terms retrieval skips.
TERM_STATS_TIMEOUT = 600
_TERM_STATS_TABLE = "temp.search_term_stats"


def _term_stats_key(term: str) -> str:
    return "search:df:" + hashlib.blake2s(term.encode(), digest_size=12).hexdigest()


def term_document_frequencies(terms: list[str]) -> tuple[int, dict[str, tuple[int, int]]]:
    """The number of index entries and, per term, how many entries contain it in the title
    column and in the body column (FTS5's vocabulary table reads the term's whole posting list,
    so the counts are cached)."""
    keys = {term: _term_stats_key(term) for term in terms}
    cached = cache.get_many([*keys.values(), "search:df:entries"])
    found = {term: cached[key] for term, key in keys.items() if key in cached}
    entries = cached.get("search:df:entries")
    missing = [term for term in terms if term not in found]
    if missing or entries is None:
        fts = wagtail_sqlite.SQLiteFTSIndexEntry._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_TERM_STATS_TABLE} USING fts5vocab(main, '{fts}', 'col')")
            if entries is None:
                cursor.execute(f"SELECT COUNT(*) FROM {wagtail_sqlite.IndexEntry._meta.db_table}")
                entries = cursor.fetchone()[0]
            for term in missing:
                # A range rather than equality: FTS5's vocabulary table looks ranges up in its index.
                cursor.execute(f"SELECT col, doc FROM {_TERM_STATS_TABLE} WHERE term >= %s AND term <= %s", [term, term])
                counts = dict(cursor.fetchall())
                found[term] = (counts.get("title", 0), counts.get("body", 0))
        cache.set_many({keys[term]: found[term] for term in missing} | {"search:df:entries": entries}, TERM_STATS_TIMEOUT)
    return entries, found


def retrieval_columns(terms: list[str], entries: int, frequencies: dict[str, tuple[int, int]]) -> dict[str, tuple[str, ...]]:
    """Where each term of an OR query is looked for. A term common in the bodies (登记, 身份证,
    营业执照 are in most guides' materials) is looked for in the title column only (names and
    results), and a term common in both not at all: such terms cannot tell guides apart, but
    matching them made every search score and sort most of the catalogue. The re-ranking still
    weighs them on the candidates the rarer terms found. If no term the index holds is left, the
    rarest one it holds is looked for everywhere."""
    limit = max(COMMON_SHARE * entries, COMMON_MIN_ENTRIES)
    columns: dict[str, tuple[str, ...]] = {}
    for term in terms:
        in_title, in_body = frequencies.get(term, (0, 0))
        if in_body <= limit:
            columns[term] = ("title", "body")
        elif in_title <= limit:
            columns[term] = ("title",)
    def occurrences(term: str) -> int:
        return sum(frequencies.get(term, (0, 0)))

    # Terms the index does not hold find nothing: they cannot stand in for the common ones.
    if not any(occurrences(term) for term in columns):
        present = [term for term in terms if occurrences(term)]
        if present:
            columns[min(present, key=lambda term: (occurrences(term), -len(term)))] = ("title", "body")
    return columns


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


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# Values whose equality and hash are their value.
PLAIN_VALUES = (str, int, float, bool, type(None), datetime.date)


def _filter_key(node) -> tuple | None:
    """A hashable description of a queryset's WHERE tree made only of column lookups against
    constants (``live``, ``section``, ``department`` …), or None for anything else (subqueries,
    expressions), whose equality Django does not define by value."""
    if isinstance(node, WhereNode):
        children = tuple(_filter_key(child) for child in node.children)
        if None in children:
            return None
        return (node.connector, node.negated, children)
    if isinstance(node, Lookup) and isinstance(node.lhs, Col) and isinstance(node.rhs, PLAIN_VALUES):
        return (node.lookup_name, node.lhs.alias, node.lhs.target.column, type(node.rhs), node.rhs)
    return None


# Compiled candidate subqueries by model, filters and columns. Compiling the queryset took
# longer than any other part of a search besides the FTS statement itself, and searches use a
# few filter combinations over and over. (Emptied when full: plain dict operations stay safe
# across threads.)
_compiled_candidates: dict[tuple, tuple[str, tuple]] = {}
COMPILED_CANDIDATES_KEPT = 256


def _candidates_sql(queryset, columns: tuple[str, ...]) -> tuple[str, tuple]:
    """The SQL of the queryset's rows as ``_pk`` and ``_c0``, ``_c1`` … (``columns``)."""
    query = queryset.query
    plain = not (query.annotations or query.extra or query.combinator or query.distinct or query.is_sliced)
    filters = _filter_key(query.where) if plain else None
    key = (queryset.model, queryset.db, filters, columns)
    compiled = _compiled_candidates.get(key) if filters is not None else None
    if compiled is None:
        aliases = {"_pk": F("pk"), **{f"_c{number}": F(name) for number, name in enumerate(columns)}}
        compiled = queryset.order_by().annotate(**aliases).values(*aliases).query.sql_with_params()
        if filters is not None:
            if len(_compiled_candidates) >= COMPILED_CANDIDATES_KEPT:
                _compiled_candidates.clear()
            _compiled_candidates[key] = compiled
    return compiled


class FieldsAsColumns:
    """Searches restricted to some fields (``fields=``; the admin's listings pass their
    ``search_fields``). Wagtail's SQLite compilers name those fields as columns of the FTS table
    in the MATCH, but that table has only its fixed columns (title, body, autocomplete), so every
    restricted search failed with "no such column". Once Wagtail has checked the names, they
    become the columns that hold those fields; a column also holds the object's other fields
    of its kind, so the restriction widens to them."""

    def fts_column(self, field) -> str:
        raise NotImplementedError

    def check(self):
        super().check()
        if self.fields:
            columns = {self.fts_column(self.search_fields[name]) for name in self.fields}
            self.fields = [column for column in self.FTS_TABLE_FIELDS if column in columns]


class WeightedSQLiteQueryCompiler(FieldsAsColumns, wagtail_sqlite.SQLiteSearchQueryCompiler):
    """Ranks plain-text queries with one FTS pass.

    Wagtail's compiler annotates each result with its score through a correlated subquery, and
    any join or rowid constraint lets SQLite hand the FTS5 table one rowid at a time, which runs
    the whole full-text query once per candidate row (seconds at 10,000 guides). Here the MATCH
    runs once, in a materialized CTE, and everything else joins to its result. Other query
    shapes (phrases, negations, match-all) go to Wagtail's implementation.
    """

    def fts_column(self, field) -> str:
        # Where WeightedObjectIndexer puts the field's text.
        title = field is not None and (field.field_name == "title" or float(field.boost or 1) >= TITLE_BOOST)
        return "title" if title else "body"

    def _match_string(self) -> str | None:
        query = wagtail_sqlite.normalize(self.query)
        if not isinstance(query, wagtail_sqlite.PlainText):
            return None
        terms = list(dict.fromkeys(term for term in query.query_string.split() if term))
        if not terms:
            return None
        fields = self.fields or self.FTS_TABLE_FIELDS
        if query.operator != "or" or len(terms) == 1 or set(fields) != {"title", "body"}:
            operator = " OR " if query.operator == "or" else " AND "
            return f"{{{' '.join(fields)}}} : ({operator.join(map(_quoted, terms))})"
        groups: dict[tuple[str, ...], list[str]] = {}
        for term, columns in retrieval_columns(terms, *term_document_frequencies(terms)).items():
            groups.setdefault(columns, []).append(term)
        return " OR ".join(f"{{{' '.join(columns)}}} : ({' OR '.join(map(_quoted, group))})" for columns, group in groups.items())

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
        candidates_sql, candidates_params = _candidates_sql(self.queryset, columns)
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
            name: dict(Counter(map(itemgetter(1 + number), rows)).most_common())
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


class WeightedSQLiteAutocompleteQueryCompiler(FieldsAsColumns, wagtail_sqlite.SQLiteAutocompleteQueryCompiler):
    """Wagtail's autocompletion, with the fields it is restricted to searched in the one
    autocomplete column that holds them all."""

    def fts_column(self, field) -> str:
        return "autocomplete"


class WeightedSQLiteSearchResults(wagtail_sqlite.SQLiteSearchResults):
    """Results of both kinds of query the backend answers: searches, through the one-pass
    statements of WeightedSQLiteQueryCompiler, and autocompletion (the admin's listings and
    choosers), through Wagtail's own autocomplete compiler and results."""

    @property
    def _weighted(self) -> bool:
        return isinstance(self.query_compiler, WeightedSQLiteQueryCompiler)

    def _do_count(self):
        if not self._weighted:
            return super()._do_count()
        return self.query_compiler.count()

    def ranked(self, limit: int, facet_fields: tuple[str, ...], text_fields: tuple[str, ...] = ()):
        """(best ``limit`` pks, number of matches, facet counts, texts) in one FTS pass where the
        query allows; the texts (``text_fields`` of the best pks, as Elasticsearch returns them
        from ``_source``) come from a plain statement of their own, as carrying them through the
        FTS statement's sort of every match cost more."""
        compiler = self.query_compiler
        found = compiler.ranked(limit, facet_fields) if self._weighted and compiler.order_by_relevance else None
        if found is None:
            pks = [obj.pk for obj in self[:limit]]
            found = pks, self.count(), {name: dict(self.facet(name)) for name in facet_fields}
        return (*found, search_texts(compiler.queryset.model, found[0], text_fields))

    def facet(self, field_name):
        if not self._weighted or self.query_compiler._get_filterable_field(field_name) is None:
            return super().facet(field_name)  # (raises Wagtail's FilterFieldError for the latter)
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
    autocomplete_query_compiler_class = WeightedSQLiteAutocompleteQueryCompiler
    index_class = WeightedSQLiteIndex
    results_class = WeightedSQLiteSearchResults

    def catalogue_frequencies(self, terms: list[str]) -> tuple[int, dict[str, tuple[int, int]]]:
        """How common each term is, from the index itself (search.termstats)."""
        return term_document_frequencies(terms)
