"""Searching guides: analysis, retrieval on the configured backend (falling back to the database
backend when Elasticsearch fails), re-ranking, facets, snippets, suggestions and the query log.
The HTML page, the JSON API and the kiosk all call ``search_guides``."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext_lazy as _
from modelsearch.backends.elasticsearchbase import ElasticsearchBaseSearchBackend
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.search.backends import get_search_backend

from search.analysis import AnalyzedQuery, SynonymSet, analyze_query, relax_query
from search.analysis.abbreviations import result_aliases
from search.clicks import click_boosts
from search.highlight import highlight
from search.query_log import query_log
from search.ranking import TITLE_FIELDS, Candidate, Vocabulary, distinctive, ranked
from search.suggest import suggest
from search.termstats import catalogue_frequencies

logger = logging.getLogger(__name__)

# In the order of Candidate.from_texts.
SEARCH_FIELDS = ["search_name", "search_checklist", "search_text", "search_result", "search_alias"]
# Candidates re-ranked per query (five pages of results; results beyond them are rarely looked
# at and not shown). Re-ranking 100 found nothing more on the evaluation queries and cost twice
# the time. At most 100, because Wagtail's Elasticsearch backend switches to the slower scroll
# API above that.
MAX_CANDIDATES = 50
PER_PAGE = 10
FACET_FIELDS = ("section", "department_id")
# What a result shows (HTML page, JSON API, kiosk): its page objects load nothing else.
HIT_FIELDS = (
    "code", "title", "url_path", "section", "online", "visits", "summary", "result_name", "search_alias",
    "department_id", "department__name", "department__short_name",
)  # fmt: skip
# A word in more than this share of the catalogue's guides (in their names, aliases and
# results, or in the rest) does not make a hit by itself; for words the query did not say
# itself (synonyms, life events, sub-words) a smaller share suffices.
COMMON_SHARE = 0.08
COMMON_SHARE_OF_EXPANSIONS = 0.03
# A hit scores at least this share of the best result's score.
RELATIVE_FLOOR = 0.3
# Below this many guides no word is common.
COMMON_MIN_GUIDES = 40
# The labels of the reason line, by the field that matched.
REASON_LABELS = {
    "name": _("事项名称"),
    "alias": _("又称"),
    "code": _("事项编码"),
    "result": _("办理结果"),
    "checklist": _("申请材料"),
    "text": _("相关内容"),
}
# After Elasticsearch fails, this process asks the database for this long before trying again,
# so that an outage costs each request a fast local search rather than a timeout.
BACKEND_RETRY_SECONDS = 30
PROMOTED_QUERIES_KEY = "search:promoted-queries"
# Editors' picks saved in another process reach this one within this time (the saving process
# forgets its copy at once).
PROMOTED_QUERIES_TIMEOUT = 300


class _Breaker:
    def __init__(self):
        self._lock = threading.Lock()
        self._open_until = 0.0

    def allows(self) -> bool:
        return time.monotonic() >= self._open_until

    def seconds_open(self) -> float:
        """How long the breaker stays open (0 when it is closed)."""
        return max(0.0, self._open_until - time.monotonic())

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + BACKEND_RETRY_SECONDS

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


breaker = _Breaker()


def synonym_set() -> SynonymSet:
    """The seeded synonyms plus the editors' ones; an edit takes effect on the next search."""
    from search.models import SYNONYM_CACHE_KEY, Synonym

    rows = cache.get(SYNONYM_CACHE_KEY)
    if rows is None:
        rows = [s.row for s in Synonym.objects.filter(enabled=True)]
        cache.set(SYNONYM_CACHE_KEY, rows, 300)
    return SynonymSet.default().merged(rows) if rows else SynonymSet.default()


_alias_lexicon: tuple[object, frozenset[str]] = (None, frozenset())
_alias_lock = threading.Lock()


def alias_lexicon() -> frozenset[str]:
    """Every abbreviation and colloquial name the live guides' index entries hold (Han tokens of
    their alias fields), for finding them inside queries. Loaded once per process and version:
    saving a guide starts a new version."""
    global _alias_lexicon
    from guides.models import GuidePage
    from search.models import ALIAS_VERSION_KEY

    version = cache.get(ALIAS_VERSION_KEY)
    if version is None:
        cache.add(ALIAS_VERSION_KEY, time.time_ns(), None)
        version = cache.get(ALIAS_VERSION_KEY)
    loaded_version, lexicon = _alias_lexicon
    if loaded_version == version and version is not None:
        return lexicon
    with _alias_lock:
        terms = set()
        for text in GuidePage.sources.live().exclude(search_alias="").values_list("search_alias", flat=True).iterator():
            terms.update(token for token in text.split() if not token.isascii())
        # Other names of what guides issue (网络文化经营许可证 → 网文证) must stay whole in a
        # query too; results repeat across guides, so each distinct one is read once.
        results = GuidePage.sources.live().exclude(result_name="").values_list("result_name", flat=True).distinct()
        for result in results.iterator():
            terms.update(result_aliases(result))
        lexicon = frozenset(terms)
        _alias_lexicon = (version, lexicon)
    return lexicon


@dataclass
class SearchHit:
    page: Any
    snippet: str
    promoted: bool = False
    reason: str = ""  # one short line: why the guide matched (办理结果：营业执照)
    click_url: str = ""  # set by the views: the link that counts the click (search.clicks)


@dataclass
class SearchOutcome:
    query: str
    analyzed: AnalyzedQuery
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE
    facets: dict[str, dict[Any, int]] = field(default_factory=dict)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    popular: list[Any] = field(default_factory=list)
    backend: str = ""
    degraded: bool = False
    # No result tells a guide apart: the hits are only "可能相关" (maybe related).
    related: bool = False

    @property
    def num_pages(self) -> int:
        shown = min(self.total, MAX_CANDIDATES)
        return max(1, -(-shown // self.per_page))


def _backend_names() -> tuple[str, str | None]:
    backends = settings.WAGTAILSEARCH_BACKENDS
    fallback = "database" if "database" in backends else None
    return "default", fallback


_backends: dict[str, Any] = {}


def search_backend(name: str):
    """One instance per configured backend and process. Wagtail builds a new one on every
    lookup, and for Elasticsearch that is a new client that opens new connections (a few
    milliseconds of each search)."""
    backend = _backends.get(name)
    if backend is None:
        backend = _backends.setdefault(name, get_search_backend(name))
    return backend


def forget_search_backends(*, setting: str, **kwargs) -> None:
    if setting in ("WAGTAILSEARCH_BACKENDS", "MODELSEARCH_BACKENDS"):
        _backends.clear()


def _retrieve(queryset, query_string: str, backend: str):
    """The best MAX_CANDIDATES pks, the number of matches, the facet counts and, where the
    backend returned them with the ranking, the search texts of those pks."""
    # Elasticsearch searches the segmented fields with their boosts; the database backends
    # keep them in weighted FTS columns of their own (search.backends.database), not by name.
    engine = search_backend(backend)
    fields = SEARCH_FIELDS if isinstance(engine, ElasticsearchBaseSearchBackend) else None
    results = engine.search(query_string, queryset, fields=fields, operator="or")
    if hasattr(results, "ranked"):  # one pass (search.backends.database, search.backends.elasticsearch)
        return results.ranked(MAX_CANDIDATES, FACET_FIELDS, tuple(SEARCH_FIELDS))
    candidates = list(results[:MAX_CANDIDATES])
    if len(candidates) < MAX_CANDIDATES:
        # Every match is at hand: count facets here rather than asking the backend again.
        facets = {
            name: dict(Counter(getattr(page, name) for page in candidates).most_common())
            for name in FACET_FIELDS
        }
        return [page.pk for page in candidates], len(candidates), facets, {}
    facets = {name: dict(results.facet(name)) for name in FACET_FIELDS}
    return [page.pk for page in candidates], results.count(), facets, {}


def retrieval_string(analyzed: AnalyzedQuery) -> str:
    """The tokens the backend is asked for, space-separated (any of them may match)."""
    tokens = [*analyzed.all_tokens, *analyzed.pinyin_tokens]
    # A lone Han character (开, 证) matches nearly every guide: it only costs the backend time and
    # buries the answer, so it is left to the re-ranking unless the query has nothing else.
    retrieval = [t for t in tokens if len(t) > 1 or t.isascii()] or tokens
    return " ".join(dict.fromkeys(retrieval))


def search_guides(
    query: str,
    *,
    section: str | None = None,
    department: int | None = None,
    online: bool | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    log: bool = True,
    backend: str | None = None,
) -> SearchOutcome:
    """Search live guides. ``backend`` names one configured search backend to use without
    fallback (evaluation and tests); by default the primary one answers, with the database
    backend standing in when it fails."""
    from guides.models import GuidePage

    analyzed = analyze_query(query, synonyms=synonym_set(), aliases=alias_lexicon())
    outcome = SearchOutcome(query=analyzed.normalized, analyzed=analyzed, page=page, per_page=per_page)
    queryset = GuidePage.sources.live().select_related("department")
    if section:
        queryset = queryset.filter(section=section)
    if department:
        queryset = queryset.filter(department=department)
    if online is not None:
        queryset = queryset.filter(online=online)

    candidates: list[int] = []
    texts: dict[int, tuple[str, ...]] = {}
    query_string = retrieval_string(analyzed)
    if query_string:
        primary, fallback = (backend, None) if backend else _backend_names()
        if fallback is None or breaker.allows():
            try:
                candidates, outcome.total, outcome.facets, texts = _retrieve(queryset, query_string, primary)
                outcome.backend = primary
            except Exception as error:  # any failure of the search cluster, never of our code path
                if fallback is None:
                    raise
                breaker.trip()
                logger.warning("search backend %r failed (%s: %s); answering from %r", primary, type(error).__name__, error, fallback)
        if not outcome.backend:
            candidates, outcome.total, outcome.facets, texts = _retrieve(queryset, query_string, fallback)
            outcome.backend, outcome.degraded = fallback, True
    # Initials that matched nothing whole are read more loosely, as a last resort: words typed
    # together, a typo, an action the name does not say (hkbbl: 户口本 + 办理). A second round
    # trip, only for a query that found nothing.
    relaxed = relax_query(analyzed) if outcome.backend and not candidates else None
    if relaxed and relaxed.readings:
        try:
            retrieved = _retrieve(queryset, retrieval_string(relaxed.query), outcome.backend)
        except Exception as error:  # the cluster failed since the first retrieval: nothing found
            if backend or outcome.degraded:
                raise
            breaker.trip()
            logger.warning("search backend %r failed on the relaxed query (%s: %s)", outcome.backend, type(error).__name__, error)
            relaxed = None
        else:
            analyzed = relaxed.query
            candidates, outcome.total, outcome.facets, texts = retrieved

    # Re-rank on the segmented texts alone (the candidates already passed the queryset's
    # filters); only the guides shown become page objects.
    if len(texts) < len(candidates):
        rows = GuidePage.sources.filter(pk__in=candidates).values_list("pk", *SEARCH_FIELDS)
        texts = {row[0]: row[1:] for row in rows}
    vocabulary = Vocabulary(analyzed)
    found = ranked(
        analyzed,
        [Candidate.from_texts(pk, *texts[pk], vocabulary=vocabulary) for pk in candidates if pk in texts],
        boosts=click_boosts(analyzed.normalized),
    )
    if relaxed and relaxed.readings:
        found = [item for item in found if relaxed.answers(_title_tokens(item.candidate))]
        outcome.total = len(found)
    # Hits tell the guide apart by a word that is neither a lone character nor common in the
    # catalogue; if none does, the rest is listed as "可能相关" (maybe related).
    common_title, common_body = _common_words(outcome.backend, analyzed, found)
    reasons: dict[int, tuple[str, str]] = {}
    telling = {}
    for item in found:
        telling[item.candidate.key] = distinctive(analyzed, item.matched, common_title, common_body)
        reasons[item.candidate.key] = _reason(telling[item.candidate.key] or item.matched)
    strong = _hits(analyzed, found, telling)
    listed = strong or [item.candidate.key for item in found]
    outcome.related = bool(found) and not strong
    promoted = _promoted_pks(analyzed.normalized, queryset) if page == 1 else []
    ordered = [*promoted, *(key for key in listed if key not in promoted)]
    start = (page - 1) * per_page
    shown = ordered[start : start + per_page]
    # The shown guides, and the section and department of every listed one for the facets when
    # the hits are fewer than the backend's matches.
    narrowed = len(listed) < len(found) or outcome.total <= len(found)
    wanted = ordered if narrowed else shown
    if outcome.backend and not isinstance(search_backend(outcome.backend), ElasticsearchBaseSearchBackend):
        # The database backend found the candidates through the queryset itself, a moment ago.
        pages = _hit_pages(wanted)
    else:
        # Through the queryset again: an Elasticsearch index that missed an unpublish (the
        # cluster was down) must not bring the guide back.
        pages = queryset.only(*HIT_FIELDS).order_by().in_bulk(wanted)
    if narrowed:
        listed_pages = [pages[pk] for pk in ordered if pk in pages]
        outcome.total = len(listed_pages)
        outcome.facets = {
            name: dict(Counter(getattr(guide, name) for guide in listed_pages).most_common()) for name in FACET_FIELDS
        }
    highlight_tokens = [
        *analyzed.tokens, *analyzed.alias_tokens, *analyzed.correction_tokens, *analyzed.event_tokens,
        *analyzed.synonym_tokens,
    ]  # fmt: skip
    single = len(analyzed.normalized) == 1
    outcome.hits = [
        SearchHit(
            page=pages[pk],
            snippet=highlight(pages[pk].summary, highlight_tokens, single_characters=single),
            promoted=pk in promoted,
            reason=_reason_text(pages[pk], *reasons.get(pk, ("", ""))),
        )
        for pk in shown
        if pk in pages
    ]
    outcome.total = max(outcome.total, len(ordered))

    if not outcome.total:
        outcome.suggestions = suggest(analyzed.normalized) if analyzed.normalized else []
        outcome.popular = list(GuidePage.sources.live().filter(is_popular=True).order_by("code")[:8])
    if log and analyzed.normalized:
        query_log.record(analyzed.normalized, outcome.total)
    return outcome


@lru_cache(maxsize=1)
def _hits_statement() -> tuple[str, list[tuple[str, list]], list[tuple[str, list]]]:
    """The statement that reads the guides' HIT_FIELDS, with one level of foreign keys
    ("department__name"), up to ``WHERE pk IN (``: the caller appends the placeholders and ")".
    Returned with the attnames and converters of its columns, of the page and of each relation."""
    from guides.models import GuidePage

    meta = GuidePage._meta
    quote = connection.ops.quote_name
    related: dict[str, list[str]] = {}
    own = [meta.get_field(name) for name in HIT_FIELDS if "__" not in name]
    for name in HIT_FIELDS:
        head, _sep, tail = name.partition("__")
        if tail:
            related.setdefault(head, []).append(tail)
    own += [meta.get_field(head) for head in related]
    # A page's pk is its link to the Page row; Django reads the Page's own id from that link.
    page_fields = [meta.pk, *own]
    table = quote(meta.db_table)
    joins = [
        f"JOIN {quote(parent._meta.db_table)} ON {quote(parent._meta.db_table)}.{quote(parent._meta.pk.column)} = {table}.{quote(link.column)}"
        for parent, link in meta.parents.items()
    ]

    def column(field, alias: str) -> tuple[str, tuple[str, list]]:
        col = field.get_col(alias)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        return f"{quote(alias)}.{quote(field.column)}", (field.attname, [col, converters])

    selected = [column(field, field.model._meta.db_table) for field in page_fields]
    related_columns = []
    for head, names in related.items():
        foreign_key = meta.get_field(head)
        target = foreign_key.related_model._meta
        alias = f"hit_{head}"
        joins.append(f"LEFT JOIN {quote(target.db_table)} AS {quote(alias)} ON {quote(alias)}.{quote(target.pk.column)} = {table}.{quote(foreign_key.column)}")
        related_columns.append((head, [column(field, alias) for field in (target.pk, *map(target.get_field, names))]))
    expressions = [sql for sql, _ in selected] + [sql for _, columns in related_columns for sql, _ in columns]
    statement = f"SELECT {', '.join(expressions)} FROM {table} {' '.join(joins)} WHERE {table}.{quote(meta.pk.column)} IN ("
    return statement, [spec for _, spec in selected], [(head, [spec for _, spec in columns]) for head, columns in related_columns]


def _title_tokens(candidate: Candidate) -> frozenset[str]:
    return frozenset().union(*(getattr(candidate, name) for name in TITLE_FIELDS))


def _common_words(backend: str, analyzed: AnalyzedQuery, found) -> tuple[frozenset[str], frozenset[str]]:
    """The matched words common among the catalogue's names/aliases/results and in the rest."""
    if not backend or not found:
        return frozenset(), frozenset()
    terms = sorted({token for item in found for token in item.matched if len(token) > 1 or token.isascii()})
    entries, frequencies = catalogue_frequencies(search_backend(backend), terms)
    if entries < COMMON_MIN_GUIDES:
        return frozenset(), frozenset()
    own = {*analyzed.tokens, *analyzed.alias_tokens, *analyzed.code_tokens, *analyzed.pinyin_tokens}
    title, body = set(), set()
    for term in terms:
        limit = entries * (COMMON_SHARE if term in own else COMMON_SHARE_OF_EXPANSIONS)
        in_title, in_body = frequencies.get(term, (0, 0))
        if in_title > limit:
            title.add(term)
        if in_body > limit:
            body.add(term)
    return frozenset(title), frozenset(body)


def _hits(analyzed: AnalyzedQuery, found, telling: dict) -> list:
    """The keys of the candidates that are hits, best first. A hit has distinctive evidence.
    When some guide names, is also called or issues what the query itself says, the guides
    reached only through expansions (synonyms, life events, sub-words) outside their names,
    aliases and results are not hits. A guide whose name, alias or result holds a word of the
    query is a hit; the others must also score at least RELATIVE_FLOOR of the best result."""
    own = {*analyzed.tokens, *analyzed.alias_tokens, *analyzed.code_tokens, *analyzed.pinyin_tokens}
    if not found:
        return []
    best = max(item.score for item in found)

    def own_in_title(evidence: dict[str, str]) -> bool:
        return any(field in TITLE_FIELDS and token in own for token, field in evidence.items())

    named = any(own_in_title(telling[item.candidate.key]) for item in found)
    hits = []
    for item in found:
        evidence = telling[item.candidate.key]
        if not evidence:
            continue
        if named and own.isdisjoint(evidence) and not TITLE_FIELDS.intersection(evidence.values()):
            continue
        if own_in_title(evidence) or item.score >= RELATIVE_FLOOR * best:
            hits.append(item.candidate.key)
    return hits


def _reason(matched: dict[str, str]) -> tuple[str, str]:
    """(field, word) of the strongest evidence: the best field, its longest word."""
    order = {field: rank for rank, field in enumerate(("name", "alias", "result", "checklist", "text"))}
    best = min(matched.items(), key=lambda item: (order[item[1]], item[0].isascii(), -len(item[0])), default=None)
    return best[::-1] if best else ("", "")


def _alias_of(search_alias: str, token: str) -> str:
    """The alias an alias-field token belongs to (csz → 出生证): the Han token before it."""
    tokens = search_alias.split()
    if token not in tokens:
        return token
    for previous in reversed(tokens[: tokens.index(token) + 1]):
        if not previous.isascii():
            return previous
    return token


def _reason_text(page, field: str, token: str) -> str:
    if not field:
        return ""
    if field == "name" and token.isascii() and any(ch.isdigit() for ch in token):
        return _reason_line(REASON_LABELS["code"], page.code)
    if field == "alias":
        token = _alias_of(page.search_alias, token)
    elif field == "result" and page.result_name:
        token = page.result_name
    elif token.isascii():
        return str(REASON_LABELS[field])
    return _reason_line(REASON_LABELS[field], token)


def _reason_line(label, value: str) -> str:
    return _("%(label)s：%(value)s") % {"label": label, "value": value}


def _hit_pages(pks: list[int]) -> dict[int, Any]:
    """The guides ``pks`` with HIT_FIELDS loaded (the rest deferred, as only() leaves it) and
    their departments, from one plain statement: the ORM took five times longer to build this
    query than SQLite to answer it, a tenth of a search's own time."""
    from guides.models import GuidePage

    if not pks:
        return {}
    statement, page_columns, related_columns = _hits_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement + ", ".join(["%s"] * len(pks)) + ")", pks)
        rows = cursor.fetchall()

    def converted(specs, values):
        out = []
        for (_attname, (col, converters)), value in zip(specs, values, strict=True):
            for converter in converters:
                value = converter(value, col, connection)
            out.append(value)
        return out

    pages = {}
    names = [attname for attname, _ in page_columns]
    for row in rows:
        page = GuidePage.from_db(connection.alias, names, converted(page_columns, row[: len(page_columns)]))
        offset = len(page_columns)
        for head, specs in related_columns:
            values = converted(specs, row[offset : offset + len(specs)])
            offset += len(specs)
            foreign_key = GuidePage._meta.get_field(head)
            target = foreign_key.related_model
            instance = None if values[0] is None else target.from_db(connection.alias, [a for a, _ in specs], values)
            foreign_key.set_cached_value(page, instance)
        pages[page.pk] = page
    return pages


def forget_promoted_queries(**kwargs) -> None:
    cache.delete(PROMOTED_QUERIES_KEY)


def _promoted_queries() -> frozenset[str]:
    """The queries that have editors' picks; nearly every search has none and asks no more."""
    queries = cache.get(PROMOTED_QUERIES_KEY)
    if queries is None:
        queries = frozenset(
            SearchPromotion.objects.filter(page__isnull=False).values_list("query__query_string", flat=True)
        )
        cache.set(PROMOTED_QUERIES_KEY, queries, PROMOTED_QUERIES_TIMEOUT)
    return queries


def _promoted_pks(normalized: str, queryset) -> list[int]:
    """Editors' picks (Wagtail search promotions) for this exact query that the filters keep,
    in their order."""
    if not normalized or normalized not in _promoted_queries():
        return []
    picks = list(
        SearchPromotion.objects.filter(query__query_string=normalized, page__isnull=False)
        .order_by("sort_order")
        .values_list("page_id", flat=True)
    )
    if not picks:
        return []
    kept = set(queryset.filter(pk__in=picks).values_list("pk", flat=True))
    return [pk for pk in picks if pk in kept]
