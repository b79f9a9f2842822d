"""Wagtail's database search backend on PostgreSQL, for the pre-segmented search fields.

The guides' search fields hold the tokens that search.analysis segmented, separated by spaces.
PostgreSQL's text search parser keeps each of them as one lexeme (a Chinese word, a pinyin
string, 2号楼) under the ``simple`` configuration, which only folds case, and the query's tokens
go through the same parser (``to_tsquery``), so both sides agree. The configuration is set here
rather than left to the server's ``default_text_search_config``: that is ``english`` on a server
initialised with an English locale, which stems pinyin and drops stop words that are pinyin
syllables too (an, be, to).

``ranked`` answers the search page's retrieval with one statement: every match with its facet
values, best first (Wagtail's results ask once for a page, once for the count and once per facet).
"""

from __future__ import annotations

from collections import Counter
from operator import itemgetter

from modelsearch.backends.database.postgres.postgres import (
    PostgresSearchBackend,
    PostgresSearchResults,
)

from search.backends.database import search_texts

# A pre-segmented field must not be stemmed or lose stop words.
SEARCH_CONFIG = "simple"


class RankedPostgresSearchResults(PostgresSearchResults):
    def ranked(self, limit: int, facet_fields: tuple[str, ...], text_fields: tuple[str, ...] = ()):
        """(best ``limit`` pks, number of matches, facet counts, texts of the best pks)."""
        compiler = self.query_compiler
        rows = list(compiler.search(compiler.get_config(self.backend), None, None, backend=self.backend).values_list("pk", *facet_fields))
        facets = {
            name: dict(Counter(map(itemgetter(1 + number), rows)).most_common())
            for number, name in enumerate(facet_fields)
        }
        pks = [row[0] for row in rows[:limit]]
        return pks, len(rows), facets, search_texts(compiler.queryset.model, pks, text_fields)


class PresegmentedPostgresSearchBackend(PostgresSearchBackend):
    results_class = RankedPostgresSearchResults

    def __init__(self, params):
        super().__init__({"SEARCH_CONFIG": SEARCH_CONFIG, **params})
