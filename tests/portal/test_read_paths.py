"""Many readers at once: no public page, API or file writes to the database, opens a transaction
(on SQLite every transaction takes the one write lock when it begins), or keeps a writer
waiting. Each is requested with every cache cold, as the first reader after a publish."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.query_log import query_log

pytestmark = pytest.mark.django_db

# What a reading request may send: reads (on PostgreSQL, ``.iterator()`` reads through a server-side
# cursor declared for a SELECT), and FTS5's vocabulary table that the database search backend
# creates once per connection in the connection's own temporary schema (not the file).
READ_STATEMENT = re.compile(
    r"^\s*(SELECT|WITH)\b|^DECLARE \S+ NO SCROLL CURSOR (WITH HOLD )?FOR (SELECT|WITH)\b"
    r"|^CREATE VIRTUAL TABLE IF NOT EXISTS temp\.",
    re.IGNORECASE,
)


@pytest.fixture
def guide(site, publish_guide):
    from wagtail.models import Site

    from portal.models import SiteIdentity, StatementPage

    # The footer's identity and statement page, read on every page.
    home = site["index"].get_parent().specific
    statement = home.add_child(instance=StatementPage(title="无障碍声明", slug="accessibility", body="<p>声明</p>"))
    statement.save_revision().publish()
    SiteIdentity.objects.create(
        site=Site.objects.get(is_default_site=True), sponsor="测试区人民政府办公室", accessibility_statement=statement
    )
    publish_guide(code="T-GM-0001", name="居住证申领", category="公民类", department="测试区公安分局")
    return publish_guide()  # with a situation: 委托他人办理


def public_urls(page) -> list[str]:
    code = page.code
    answer = f"{page.situations.get().key}=%E6%98%AF"  # 是
    return [
        "/",
        "/hall/",
        "/accessibility/",
        "/mode/elderly/?next=/",
        page.url,
        f"{page.url}?{answer}",
        "/guides/section/jy/",
        f"/g/{code}/",
        "/search/?q=食品经营",
        "/search/?q=阿拉丁神灯",
        "/api/v1/search/?q=食品",
        "/api/v1/search/suggest/?q=sp",
        "/kiosk/",
        f"/kiosk/g/{code}/",
        f"/kiosk/g/{code}/?{answer}",
        # The thank-you after a vote, and the report form on its own page (feedback app).
        f"{page.url}?feedback=thanks",
        f"/kiosk/g/{code}/?feedback=thanks-no",
        f"/feedback/{code}/report/",
        "/api/v1/guides/",
        f"/api/v1/guides/{code}/",
        f"/api/v1/guides/{code}/checklist/",
        f"/api/v1/guides/{code}/checklist/verify/?fingerprint={page.checklist_fingerprint}",
        "/api/v1/guides.ndjson",
        "/api/v1/changes/",
        "/api/v1/schema/",
        "/api/v1/cpsv-ap/catalogue/",
        f"/api/v1/cpsv-ap/guides/{code}/",
        "/sitemap.xml",
        "/changes.atom",
        f"/g/{code}/pdf/",
        f"/g/{code}/pdf/?{answer}",
        f"/g/{code}/counter.pdf",
        f"/g/{code}/share.png",
        "/share.png",
    ]


def test_public_read_paths_only_read(client, guide):
    writes = {}
    for url in public_urls(guide):
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code in (200, 301, 302), (url, response.status_code)
        if url in ("/", "/hall/", "/accessibility/"):
            assert "主办单位：测试区人民政府办公室" in response.content.decode(), url
        statements = [q["sql"] for q in captured.captured_queries if not READ_STATEMENT.match(q["sql"])]
        if statements:
            writes[url] = statements
    assert not writes, "\n".join(f"{url}: {sql[:200]}" for url, sqls in writes.items() for sql in sqls)


def test_a_search_is_counted_in_memory_and_written_later(client, guide):
    from search.models import SearchQueryStat

    query_log.flush()  # what earlier tests searched
    SearchQueryStat.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        for query in ("食品经营", "食品经营", "阿拉丁神灯"):
            assert client.get("/search/", {"q": query}).status_code == 200
    assert not [q["sql"] for q in captured.captured_queries if "search_searchquerystat" in q["sql"].lower()]
    assert not SearchQueryStat.objects.exists()

    assert query_log.flush() == 2
    stats = {s.query: s for s in SearchQueryStat.objects.all()}
    assert (stats["食品经营"].hits, stats["食品经营"].zero_result_hits) == (2, 0)
    assert stats["食品经营"].last_result_count >= 1
    assert (stats["阿拉丁神灯"].hits, stats["阿拉丁神灯"].zero_result_hits, stats["阿拉丁神灯"].last_result_count) == (1, 1, 0)

    # The next tally adds to the rows.
    client.get("/api/v1/search/", {"q": "食品经营"})
    assert query_log.flush() == 1
    assert SearchQueryStat.objects.get(query="食品经营").hits == 3


def test_tallies_of_several_processes_add_up_and_the_newest_search_wins():
    from datetime import timedelta

    from django.utils import timezone

    from search.models import SearchQueryStat
    from search.query_log import QueryTally

    now = timezone.now()
    SearchQueryStat.add_tallies({"居住证": QueryTally(3, 0, 5, now)})
    # Another process's older tally, written later: counts add, the last search stays the newer.
    SearchQueryStat.add_tallies({"居住证": QueryTally(2, 2, 0, now - timedelta(seconds=4)), "yyzz": QueryTally(1, 0, 7, now)})
    stat = SearchQueryStat.objects.get(query="居住证")
    assert (stat.hits, stat.zero_result_hits, stat.last_result_count, stat.last_searched_at) == (5, 2, 5, now)
    assert SearchQueryStat.objects.get(query="yyzz").hits == 1


def test_a_tally_the_database_refuses_is_kept_for_the_next_write():
    from django.db import OperationalError

    from search.models import SearchQueryStat

    def locked(execute, sql, params, many, context):
        if "searchquerystat" in sql.lower():
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    query_log.flush()  # what earlier tests searched
    query_log.record("营业执照", 4)
    with connection.execute_wrapper(locked), pytest.raises(OperationalError):
        query_log.flush()
    query_log.record("营业执照", 3)
    assert query_log.flush() == 1
    stat = SearchQueryStat.objects.get(query="营业执照")
    assert (stat.hits, stat.last_result_count) == (2, 3)


def test_cache_versions_move_again_when_a_change_commits(django_capture_on_commit_callbacks):
    """A reader between a change and its commit reads the data before it (SQLite in WAL mode,
    PostgreSQL) and caches that under the version the change moved: the version moves again at
    the commit so that nothing cached in between is served."""
    from django.db import transaction

    from guides.serializers import bump_reference_version, reference_version
    from portal.middleware import content_version

    before = content_version(), reference_version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        bump_reference_version()  # also moves the content version (REFERENCE_CHANGED)
        during = content_version(), reference_version()
        assert during[0] > before[0] and during[1] > before[1]
    after = content_version(), reference_version()
    assert after[0] > during[0] and after[1] > during[1]
