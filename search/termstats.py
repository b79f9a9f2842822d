"""How common a query word is in the catalogue: in how many guides it occurs among the names,
aliases and results ("title") and among the materials, conditions and the rest ("body").

A result whose only evidence is a word found in a large share of the catalogue (登记 in names,
营业执照 among materials) is not a hit (``search.service``). Each backend counts from its own
index, and counts are cached per word (they change slowly; a stale count only moves a result
between the hits and the "可能相关" group):

* SQLite: FTS5's vocabulary table (``search.backends.sqlite.term_document_frequencies``);
* Elasticsearch: one ``_search`` of ``size: 0`` with a filter aggregation per word and group;
* any other database backend: counts of the guides' search texts that contain the word.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from modelsearch.backends.elasticsearchbase import ElasticsearchBaseSearchBackend

TIMEOUT = 600
TITLE_FIELDS = ("search_name", "search_alias", "search_result")
BODY_FIELDS = ("search_checklist", "search_text")

Frequencies = tuple[int, dict[str, tuple[int, int]]]


def _key(kind: str, term: str) -> str:
    return f"search:df:{kind}:" + hashlib.blake2s(term.encode(), digest_size=12).hexdigest()


def catalogue_frequencies(engine, terms: list[str]) -> Frequencies:
    """(number of guides, {term: (guides with it in the title group, in the body group)})."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return 0, {}
    # A backend that counts from its own index (SQLite's; its module only imports on SQLite).
    counted_by_index = getattr(engine, "catalogue_frequencies", None)
    if counted_by_index is not None:
        return counted_by_index(terms)
    kind = "es" if isinstance(engine, ElasticsearchBaseSearchBackend) else "db"
    keys = {term: _key(kind, term) for term in terms}
    entries_key = f"search:df:{kind}:entries"
    cached = cache.get_many([*keys.values(), entries_key])
    found = {term: cached[key] for term, key in keys.items() if key in cached}
    entries = cached.get(entries_key)
    missing = [term for term in terms if term not in found]
    if missing or entries is None:
        counter = _elasticsearch_counts if kind == "es" else _database_counts
        entries, counts = counter(engine, missing)
        found.update(counts)
        cache.set_many({keys[term]: counts[term] for term in missing} | {entries_key: entries}, TIMEOUT)
    return entries, found


def _elasticsearch_counts(engine, terms: list[str]) -> Frequencies:
    from guides.models import GuidePage

    mapping = engine.mapping_class(GuidePage)
    fields = {field.field_name: field for field in GuidePage.get_search_fields() if hasattr(field, "boost")}

    def group(names: tuple[str, ...], term: str) -> dict:
        return {
            "bool": {
                "should": [{"term": {mapping.get_field_column_name(fields[name]): term}} for name in names],
                "minimum_should_match": 1,
            }
        }

    aggregations = {
        f"{part}{number}": {"filter": group(names, term)}
        for number, term in enumerate(terms)
        for part, names in (("t", TITLE_FIELDS), ("b", BODY_FIELDS))
    }
    response = engine.es.search(
        index=engine.get_index_for_model(GuidePage).name,
        size=0,
        track_total_hits=True,
        query={"match": {"_django_content_type": mapping.get_content_type()}},
        aggregations=aggregations,
    )
    buckets = response.get("aggregations", {})
    counts = {
        term: (buckets[f"t{number}"]["doc_count"], buckets[f"b{number}"]["doc_count"]) for number, term in enumerate(terms)
    }
    return response["hits"]["total"]["value"], counts


def _database_counts(engine, terms: list[str]) -> Frequencies:
    from django.db.models import Q

    from guides.models import GuidePage

    live = GuidePage.sources.live()

    def containing(term: str, names: tuple[str, ...]):
        query = Q()
        for name in names:
            query |= Q(**{f"{name}__contains": term})
        return query

    counts = {term: (live.filter(containing(term, TITLE_FIELDS)).count(), live.filter(containing(term, BODY_FIELDS)).count()) for term in terms}
    return live.count(), counts
