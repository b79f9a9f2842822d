"""Wagtail's Elasticsearch 8 backend, with the search page's retrieval in one request.

Wagtail answers a page of results, the count and each facet with a request of its own (four per
search page); ``ranked`` asks once, with the facets as aggregations and the total tracked.
Selected by ``search.es_config.elasticsearch_backend``.
"""

from __future__ import annotations

from modelsearch.backends.elasticsearch8 import (
    Elasticsearch8SearchBackend,
    Elasticsearch8SearchResults,
)

# Buckets per facet: more than there are sections or departments in a province's catalogue.
FACET_SIZE = 1000


class RankedElasticsearchResults(Elasticsearch8SearchResults):
    def _text_columns(self, text_fields: tuple[str, ...]) -> list[str]:
        compiler = self.query_compiler
        searchable = {field.field_name: field for field in compiler.get_searchable_fields()}
        return [compiler.mapping.get_field_column_name(searchable[name]) for name in text_fields]

    def ranked_request(self, limit: int, facet_fields: tuple[str, ...], text_fields: tuple[str, ...] = ()) -> dict:
        """The keyword arguments of the one ``_search`` that ``ranked`` sends."""
        compiler = self.query_compiler
        body = self._get_es_body()
        body["aggregations"] = {
            name: {
                "terms": {
                    "field": compiler.mapping.get_field_column_name(compiler._get_filterable_field(name)),
                    "missing": 0,
                    "size": FACET_SIZE,
                }
            }
            for name in facet_fields
        }
        return {
            **body,
            "index": self.backend.get_index_for_model(compiler.queryset.model).name,
            "size": limit,
            "track_total_hits": True,
            # The indexed texts come back from the document source, so the re-ranking needs no
            # database query for them.
            "_source": self._text_columns(text_fields) or False,
            self.fields_param_name: "pk",
        }

    def ranked(self, limit: int, facet_fields: tuple[str, ...], text_fields: tuple[str, ...] = ()):
        """(best ``limit`` pks, number of matches, facet counts, {pk: text_fields values} of the
        best) from one ``_search``."""
        response = self.backend.es.search(**self.ranked_request(limit, facet_fields, text_fields))
        columns = self._text_columns(text_fields)
        pks, texts = [], {}
        for hit in response["hits"]["hits"]:
            pk = int(hit["fields"]["pk"][0])
            pks.append(pk)
            if columns:
                source = hit.get("_source", {})
                texts[pk] = tuple(source.get(column) or "" for column in columns)
        facets = {
            name: {
                (bucket["key"] if bucket["key"] != 0 else None): bucket["doc_count"]
                for bucket in response["aggregations"][name]["buckets"]
            }
            for name in facet_fields
        }
        return pks, response["hits"]["total"]["value"], facets, texts


class SearchBackend(Elasticsearch8SearchBackend):
    results_class = RankedElasticsearchResults
