"""Journeys as their own kind of search result.

A journey answers a query when the query names it (its title, intro or a step's title holds one
of the query's words) or when the guides the search backend found for the query include one of
its members: "出生登记" finds 新生儿出生一件事 through its member guide, whichever backend
(the database or Elasticsearch) found the guide. Journeys are few (tens), so their cached
summaries (``journeys.records.live_journeys``) are matched in Python against the query's analysed
words, without an index of their own.
"""

from __future__ import annotations

from typing import Any

from journeys.records import live_journeys
from portal import languages

MAX_JOURNEY_RESULTS = 3


def journey_results(outcome, limit: int = MAX_JOURNEY_RESULTS) -> list[dict[str, Any]]:
    analyzed = outcome.analyzed
    words = {w for w in (*analyzed.tokens, *analyzed.alias_tokens, *analyzed.event_tokens, *analyzed.synonym_tokens) if len(w) > 1}
    found = {hit.page.code: rank for rank, hit in enumerate(outcome.hits)}
    if not words and not found:
        return []
    results = []
    for journey in live_journeys():
        named = sorted(w for w in words if w in journey["text"])
        through = [code for step in journey["steps"] for code in step["codes"] if code in found]
        if not named and not through:
            continue
        # Named journeys first, then by the best rank of a member among the guides found.
        score = (0 if named else 1, min((found[c] for c in through), default=len(found)))
        results.append(
            (score, {"slug": journey["slug"], "name": journey["name"], "url": languages.path_in(journey["url"], languages.current()), "intro": journey["intro"],
                     "matched_words": named, "matched_members": through, "step_count": len(journey["steps"])})
        )
    results.sort(key=lambda item: item[0])
    return [result for _, result in results[:limit]]
