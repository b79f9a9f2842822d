"""Search over the 250-guide corpus and the demo site, on the database backend (SQLite FTS) and
on a real Elasticsearch node; both are imported once for the package (tests/search/conftest.py)
and rolled back after it."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.middleware import SHAREABLE_ATTRIBUTE
from search.evaluation import evaluate, read_judgements
from search.models import SearchQueryStat, Synonym
from search.query_log import query_log
from search.service import PER_PAGE, breaker, search_guides
from search.views import SHARED_DEGRADED_RESULTS_SECONDS
from tests.conftest import DATA_DIR
from tests.search.conftest import BACKENDS, backend_name

QUERIES = DATA_DIR / "search-queries.tsv"


def codes(query: str, backend: str, **filters) -> list[str]:
    return [hit.page.code for hit in search_guides(query, backend=backend_name(backend), log=False, **filters).hits]


@pytest.mark.parametrize("backend", BACKENDS)
def test_relevance_on_the_corpus_queries(search_settings, backend):
    judgements = read_judgements(QUERIES.read_text(encoding="utf-8").splitlines())
    # The file judges the corpus alone: the demo site's guides are left out of the rankings.
    report = evaluate(judgements, lambda q: [code for code in codes(q, backend) if code.startswith("LW-")])
    failures = "\n".join(f"{j.query} → {','.join(j.codes)} got {','.join(top)}" for j, top in report.failures)
    print(f"{backend}: R@1 {report.recall(1):.3f} R@3 {report.recall(3):.3f} R@10 {report.recall(10):.3f} MRR {report.mrr:.3f}")
    assert report.recall(3) >= 0.9, failures
    assert report.zero_results == 0, failures


@pytest.mark.parametrize("backend", BACKENDS)
def test_pinyin_initials_and_full_pinyin_find_names(search_settings, backend):
    for query in ("yyzz", "yingyezhizhao"):
        found = search_guides(query, backend=backend_name(backend), log=False).hits
        assert found and "营业执照" in found[0].page.title, query


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_licence_a_guide_issues_finds_it_before_guides_that_ask_for_it(search_settings, backend):
    """营业执照 is a material of a third of the corpus; the guides that issue it come first,
    found by the word and by its pinyin initials."""
    from guides.models import GuidePage

    live = GuidePage.objects.live()
    issuers = set(live.filter(result_name__contains="营业执照").values_list("code", flat=True))
    asking = live.filter(search_checklist__contains="营业执照").exclude(code__in=issuers).count()
    assert len(issuers) >= 5 and asking > 2 * len(issuers)
    for query in ("营业执照", "yyzz"):
        hits = search_guides(query, backend=backend_name(backend), log=False).hits
        assert {hit.page.code for hit in hits[:5]} <= issuers, query


@pytest.mark.parametrize("backend", BACKENDS)
def test_name_matches_rank_before_body_matches(search_settings, backend):
    from guides.models import GuidePage

    named = set(GuidePage.objects.filter(title__contains="居住证").values_list("code", flat=True))
    asking = GuidePage.objects.filter(search_checklist__contains="居住证").exclude(code__in=named).count()
    hits = search_guides("居住证", backend=backend_name(backend), log=False).hits
    assert len(named) >= 2 and asking >= 3  # materials mention it in other guides too
    assert {hit.page.code for hit in hits[: len(named)]} == named
    # A guide that only asks for it comes after them, and says so.
    assert all(hit.reason.startswith("申请材料") for hit in hits[len(named) :])


@pytest.mark.parametrize("backend", BACKENDS)
def test_filters_and_facets(search_settings, backend):
    outcome = search_guides("登记", backend=backend_name(backend), log=False, section="公民类")
    assert outcome.hits and all(hit.page.section == "公民类" for hit in outcome.hits)
    everything = search_guides("登记", backend=backend_name(backend), log=False)
    assert set(everything.facets["section"]) == {"工程类", "经营类", "公民类"}
    assert everything.facets["section"]["公民类"] == outcome.total


def test_snippets_are_highlighted_and_escaped(search_settings, client):
    html = client.get("/search/", {"q": "居住证"}).content.decode()
    assert "<mark>居住证</mark>" in html
    assert client.get("/search/", {"q": "<b>居住证</b>"}).content.decode().count("<b>") == 0


def test_results_are_paginated(search_settings, client):
    first = client.get("/api/v1/search/", {"q": "登记"}).json()
    second = client.get("/api/v1/search/", {"q": "登记", "page": 2}).json()
    assert first["total"] > 10 and first["num_pages"] >= 2
    assert len(first["results"]) == 10
    assert not {r["code"] for r in first["results"]} & {r["code"] for r in second["results"]}


def test_api_returns_results_facets_and_problem_details(search_settings, client):
    data = client.get("/api/v1/search/", {"q": "营业执照注销"}).json()
    assert data["results"][0]["url"].startswith("/")
    assert {"code", "name", "url", "snippet", "section", "department"} <= set(data["results"][0])
    assert {f["value"] for f in data["facets"]["section"]} <= {"gc", "jy", "gm"}
    for bad in ({"page": "x"}, {"page": "0"}, {"section": "zz"}, {"online": "maybe"}, {"department": "NOPE"}):
        response = client.get("/api/v1/search/", {"q": "登记", **bad})
        assert response.status_code == 400, bad
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 400


def test_suggest_completes_prefixes_and_pinyin_initials(search_settings, client):
    def names(prefix):
        return [s["name"] for s in client.get("/api/v1/search/suggest/", {"q": prefix}).json()["suggestions"]]

    for prefix in ("yyzz", "YYZZ", "ｙｙｚｚ"):
        found = client.get("/api/v1/search/suggest/", {"q": prefix}).json()["suggestions"]
        # Named after the licence, or issuing it (and saying so).
        assert found and all("营业执照" in s["name"] or "营业执照" in s["reason"] for s in found), prefix
    for prefix in ("yingye", "营业", "yy"):
        found = names(prefix)
        assert found and any("营业执照" in name for name in found), prefix
        matched = client.get("/api/v1/search/suggest/", {"q": prefix}).json()["suggestions"]
        assert all("营业" in s["name"] + s["reason"] or prefix == "yy" for s in matched), prefix
    assert client.get("/api/v1/search/suggest/", {"q": ""}).json()["suggestions"] == []


def test_zero_results_are_logged_with_suggestions(search_settings, client):
    query_log.flush()  # what earlier tests searched
    response = client.get("/search/", {"q": "qqqqxxxx"})
    assert response.status_code == 200
    assert "没有找到与“qqqqxxxx”相关的事项" in response.content.decode()
    # Counted in memory by the search, written by the log's flush (never inside the request).
    assert not SearchQueryStat.objects.filter(query="qqqqxxxx").exists()
    query_log.flush()
    stat = SearchQueryStat.objects.get(query="qqqqxxxx")
    assert stat.zero_result_hits == 1 and stat.last_result_count == 0
    # Another test may have logged it before (and committed); these two searches add two.
    before = SearchQueryStat.objects.filter(query="居住证").values_list("hits", flat=True).first() or 0
    client.get("/search/", {"q": "居住证"})
    client.get("/search/", {"q": "居住证"})
    query_log.flush()
    assert SearchQueryStat.objects.get(query="居住证").hits == before + 2


def test_editor_synonyms_take_effect_without_deploy(search_settings):
    assert not search_guides("阿拉丁神灯", backend="default", log=False).hits
    Synonym.objects.create(phrases="阿拉丁神灯", expansions="居住证")
    hits = search_guides("阿拉丁神灯", backend="default", log=False).hits
    assert hits and "居住证" in hits[0].page.title


def test_promoted_results_come_first(search_settings):
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion

    from guides.models import GuidePage

    pick = GuidePage.objects.get(code="LW-GM-0001")
    assert not any(hit.promoted for hit in search_guides("办证", log=False).hits)  # caches "no picks"
    SearchPromotion.objects.create(query=Query.get("办证"), page=pick, sort_order=0)
    hits = search_guides("办证", log=False).hits
    assert hits[0].page == pick and hits[0].promoted


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_search_reads_the_database_a_fixed_number_of_times(search_settings, backend, django_assert_num_queries):
    """Whatever the number of matches: on SQLite the FTS statement, the candidates' texts and the
    shown guides; on Elasticsearch the texts come with the hits, so only the shown guides."""
    search_guides("营业执照", backend=backend_name(backend), log=False)  # warm the term statistics
    expected = 1 if backend == "elasticsearch" else 3
    for query in ("营业执照", "开饭店要办什么证", "登记"):
        search_guides(query, backend=backend_name(backend), log=False)  # this query's term statistics
        with django_assert_num_queries(expected):
            outcome = search_guides(query, backend=backend_name(backend), log=False)
        assert outcome.hits and outcome.backend == backend_name(backend)


def test_a_guide_unpublished_behind_the_index_back_is_not_shown(search_settings):
    """Elasticsearch hands back the candidates' texts itself; a guide whose unpublishing the
    index missed (the cluster was down) must still not come back as a result."""
    from guides.models import GuidePage

    first = search_guides("居住证", backend="default", log=False).hits[0].page
    GuidePage.objects.filter(pk=first.pk).update(live=False)  # the index still says live
    hits = search_guides("居住证", backend="default", log=False).hits
    assert hits and first.pk not in {hit.page.pk for hit in hits}


@pytest.mark.parametrize("backend", BACKENDS)
def test_hits_are_the_pages_the_orm_loads_with_only_the_hit_fields(search_settings, backend, django_assert_num_queries):
    """On SQLite the shown guides come from a plain statement (search.service._hit_pages): the
    same values, the same deferred fields, the department and URL without another query."""
    from guides.models import GuidePage
    from search.service import HIT_FIELDS

    hits = search_guides("营业执照", backend=backend_name(backend), log=False).hits
    assert len(hits) > 3
    expected = GuidePage.objects.select_related("department").only(*HIT_FIELDS).in_bulk([hit.page.pk for hit in hits])
    with django_assert_num_queries(0):
        for hit in hits:
            page, orm = hit.page, expected[hit.page.pk]
            assert type(page) is GuidePage and not page._state.adding
            assert page.get_deferred_fields() == orm.get_deferred_fields()
            loaded = {name: value for name, value in vars(page).items() if name != "_state"}
            assert loaded == {name: value for name, value in vars(orm).items() if name != "_state"}
            assert type(page.online) is bool and page.id == page.pk
            assert page.url_path == orm.url_path and page.department.display_name == orm.department.display_name
            assert vars(page.department).keys() == vars(orm.department).keys()
    # A deferred field still loads on access, as from any only() queryset.
    assert hits[0].page.checklist_version == expected[hits[0].page.pk].checklist_version


def test_each_backend_is_built_once_per_process_and_again_when_settings_change(search_settings):
    from django.db import connection

    from search.service import search_backend

    elasticsearch = search_backend("default")
    assert search_backend("default") is elasticsearch  # one client, its connections reused
    specialised = {"sqlite": "WeightedSQLiteSearchBackend", "postgresql": "PresegmentedPostgresSearchBackend"}
    with override_settings(WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": "search.backends.database"}}):
        assert type(search_backend("default")).__name__ == specialised[connection.vendor]
    assert search_backend("default") is not elasticsearch
    assert type(search_backend("default")) is type(elasticsearch)


@pytest.mark.sqlite
def test_common_terms_are_looked_for_in_names_only(search_settings, monkeypatch):
    """登记 is in most guides' texts: matching it everywhere made every search score most of the
    catalogue. On SQLite it is then looked for in the names alone, and the statistics behind
    that decision are the index's own. (The corpus is smaller than the catalogues where this
    starts, COMMON_MIN_ENTRIES, so the floor is lowered here.)"""
    from django.db import connection

    from search.backends import sqlite
    from search.backends.sqlite import COMMON_SHARE, retrieval_columns, term_document_frequencies

    monkeypatch.setattr(sqlite, "COMMON_MIN_ENTRIES", 0)

    entries, frequencies = term_document_frequencies(["登记", "居住证", "婚姻登记"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH '{body} : 登记'")
        assert frequencies["登记"][1] == cursor.fetchone()[0] > COMMON_SHARE * entries
    columns = retrieval_columns(["登记", "居住证", "婚姻登记"], entries, frequencies)
    assert columns["居住证"] == columns["婚姻登记"] == ("title", "body")
    assert columns.get("登记") in (None, ("title",))
    outcome = search_guides("居住登记", backend="database", log=False)
    assert outcome.hits and "居住" in outcome.hits[0].page.title
    from guides.models import GuidePage

    assert outcome.total < GuidePage.objects.live().count() / 2


@pytest.mark.sqlite
def test_retrieval_columns_keep_the_rarest_term_when_every_term_is_common():
    from search.backends.sqlite import retrieval_columns

    frequencies = {"营业": (30, 9000), "执照": (2, 9500), "营业执照": (1, 8000), "注销": (40, 600)}
    columns = retrieval_columns(["营业", "执照", "营业执照", "注销"], 10_000, frequencies)
    assert columns == {"执照": ("title",), "营业执照": ("title",), "营业": ("title",), "注销": ("title", "body")}
    everywhere = {term: (5000, 9000) for term in ("营业", "营业执照")}
    assert retrieval_columns(["营业", "营业执照"], 10_000, everywhere) == {"营业执照": ("title", "body")}
    assert retrieval_columns(["新词"], 10_000, {}) == {"新词": ("title", "body")}
    # A word the index does not hold cannot stand in for the common ones.
    assert retrieval_columns(["登记", "黄河"], 10_000, {"登记": (5000, 9000)}) == {
        "黄河": ("title", "body"),
        "登记": ("title", "body"),
    }
    # A small catalogue looks for every word everywhere.
    assert retrieval_columns(["营业", "注销"], 300, {"营业": (30, 190), "注销": (40, 60)}) == {
        "营业": ("title", "body"),
        "注销": ("title", "body"),
    }


@pytest.mark.sqlite
@pytest.mark.django_db
def test_compiled_candidate_queries_are_reused_only_for_the_same_filters():
    from guides.models import GuidePage
    from search.backends.sqlite import _candidates_sql

    live = GuidePage.objects.live().select_related("department")
    columns = ("section", "department_id")
    first = _candidates_sql(live.filter(section="公民类"), columns)
    assert _candidates_sql(live.filter(section="公民类"), columns) is first  # compiled once
    other = _candidates_sql(live.filter(section="经营类"), columns)
    assert other is not first and "经营类" in other[1] and "公民类" not in other[1]
    assert _candidates_sql(live.filter(section="公民类", online=True), columns) is not first
    assert _candidates_sql(live.filter(section="公民类"), ("section",)) is not first
    # A subquery's equality is not its value: such filters are compiled every time.
    picked = GuidePage.objects.filter(code="A")
    subquery = _candidates_sql(live.filter(pk__in=picked.values("pk")), columns)
    assert _candidates_sql(live.filter(pk__in=picked.values("pk")), columns) is not subquery
    assert _candidates_sql(live.exclude(pk__in=GuidePage.objects.filter(code="B").values("pk")), columns) != subquery


def test_falls_back_to_the_database_when_elasticsearch_stops(search_settings, client, caplog):
    node = search_settings
    before = client.get("/api/v1/search/", {"q": "营业执照注销"}).json()
    assert not before["degraded"]
    node.stop(keep_data=True)
    try:
        # A question asked before is answered from its shared copy, without a search.
        shared = client.get("/api/v1/search/", {"q": "营业执照注销"})
        assert shared.status_code == 200 and shared.json() == before
        cache.clear()  # as when the shared copies have expired
        with caplog.at_level(logging.WARNING, logger="search.service"):
            response = client.get("/api/v1/search/", {"q": "营业执照注销"})
            page = client.get("/search/", {"q": "营业执照注销"})
        assert response.status_code == 200 and page.status_code == 200
        after = response.json()
        assert after["degraded"] and after["results"]
        assert after["results"][0]["code"] in {result["code"] for result in before["results"]}
        assert any("answering from 'database'" in record.getMessage() for record in caplog.records)
        # The fallback's answers are shared only briefly.
        assert getattr(response, SHAREABLE_ATTRIBUTE) == getattr(page, SHAREABLE_ATTRIBUTE) == SHARED_DEGRADED_RESULTS_SECONDS
    finally:
        node.start()
    breaker.reset()
    cache.clear()  # the degraded copies' few seconds, asserted above
    assert not client.get("/api/v1/search/", {"q": "营业执照注销"}).json()["degraded"]


FTS_SYNTAX = st.sampled_from(['"', "*", "OR", "AND", "NOT", "NEAR(", ")", "-", ":", "^", "'", "\\", "(", "{", "}", "NEAR/3"])
QUERIES_STRATEGY = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(FTS_SYNTAX, st.sampled_from(["营业执照", "yyzz", "登记", "🙂", "\x00", "\u200b", "　"])), max_size=12).map(" ".join),
    # Lone surrogates (Cs) cannot travel in a URL at all, so no client can send them.
    st.text(alphabet=st.characters(categories=["Cc", "Co", "So", "Po"]), max_size=40),
    st.integers(min_value=1000, max_value=12000).map(lambda n: "证" * n),
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_any_query_gets_a_clear_fast_answer(search_settings, client, backend):
    backends = None if backend == "elasticsearch" else {"default": {"BACKEND": "search.backends.database"}}

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(QUERIES_STRATEGY)
    def run(query):
        with override_settings(**({"WAGTAILSEARCH_BACKENDS": backends} if backends else {})):
            response = client.get("/api/v1/search/", {"q": query})
        assert response.status_code == 200, query
        data = json.loads(response.content)
        codes = [hit["code"] for hit in data["results"]]
        # A first page of distinct guides, as many as the total announces, up to a page.
        assert len(set(codes)) == len(codes) == min(data["total"], PER_PAGE), query
        assert data["page"] == 1 and data["num_pages"] >= 1, query

    run()


@pytest.mark.django_db
def test_candidate_texts_are_read_from_the_models_own_columns_only():
    from guides.models import GuidePage
    from search.backends.database import search_texts

    assert search_texts(GuidePage, [], ("search_name",)) == {}
    with pytest.raises(ValueError, match="title"):
        search_texts(GuidePage, [1], ("search_name", "title"))  # a column of the parent page table
