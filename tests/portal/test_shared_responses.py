"""Responses shared by every reader from the cache (portal.middleware, feed.api): searches,
suggestions, kiosk guides and the feed's list, records and checklists. A repeated request is
answered without a database query; the next request after a publish, a synonym or a promoted
result shows the change; the language and the query string each get their own copy; a search
answered from the cache still counts in the query log."""

from __future__ import annotations

import gzip
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.query_log import query_log

pytestmark = pytest.mark.django_db

CODE = "T-JY-0001"  # tests/conftest.py's BASE_RECORD
OTHER = "T-GM-0007"


def fetch(client, url: str, **headers):
    """The response to ``url`` and the number of database queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    return response, len(captured.captured_queries)


def body(response) -> str:
    content = response.content
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return content.decode()


@pytest.fixture
def guides(publish_guide):
    publish_guide(code=OTHER, name="居住证申领", category="公民类", department="测试区公安分局", summary="居住证。")
    return publish_guide()


SHARED_URLS = [
    "/search/?q=食品经营",
    "/search/?q=阿拉丁神灯",  # no results: the page shows the hall's hours
    "/api/v1/search/?q=食品经营",
    "/api/v1/search/suggest/?q=sp",
    f"/kiosk/g/{CODE}/",
    f"/kiosk/g/{CODE}/?s1=%E5%90%A6",
    "/api/v1/guides/?limit=20",
    f"/api/v1/guides/{CODE}/",
    f"/api/v1/guides/{CODE}/checklist/",
]


@pytest.mark.parametrize("url", SHARED_URLS)
def test_a_repeated_request_is_answered_without_a_query(client, guides, url):
    first, _ = fetch(client, url, HTTP_ACCEPT_ENCODING="gzip")
    second, queries = fetch(client, url, HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == second.status_code == 200
    assert queries == 0
    assert second.content == first.content
    for header in ("Content-Type", "Content-Language", "Vary", "ETag", "Content-Encoding"):
        assert second.get(header) == first.get(header), header


def test_a_search_answered_from_the_cache_still_counts(client, guides):
    from search.models import SearchQueryStat

    query_log.flush()
    SearchQueryStat.objects.all().delete()
    for _ in range(3):
        assert client.get("/search/", {"q": "食品经营"}).status_code == 200
    assert client.get("/api/v1/search/", {"q": "食品经营"}).status_code == 200
    client.get("/api/v1/search/", {"q": "食品经营"})
    query_log.flush()
    assert SearchQueryStat.objects.get(query="食品经营").hits == 5


def test_the_next_search_after_a_publish_finds_the_new_guide(client, guides, publish_guide):
    assert "T-JY-0042" not in body(client.get("/api/v1/search/?q=食品经营"))
    assert "T-JY-0042" not in body(client.get("/search/?q=食品经营"))
    publish_guide(code="T-JY-0042", name="食品经营许可证延续")
    assert "T-JY-0042" in body(client.get("/api/v1/search/?q=食品经营"))
    assert "T-JY-0042" in body(client.get("/search/?q=食品经营"))
    assert "食品经营许可证延续" in body(client.get("/api/v1/search/suggest/?q=食品经营"))


def test_the_next_search_after_an_unpublish_no_longer_lists_the_guide(client, guides):
    from guides.models import GuidePage

    assert CODE in body(client.get("/api/v1/search/?q=食品经营"))
    GuidePage.objects.get(code=CODE).unpublish()
    assert CODE not in body(client.get("/api/v1/search/?q=食品经营"))


def test_a_synonym_and_a_promoted_result_apply_to_the_next_search(client, guides):
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion

    from guides.models import GuidePage
    from search.models import Synonym

    assert json.loads(body(client.get("/api/v1/search/?q=阿拉丁神灯")))["total"] == 0
    Synonym.objects.create(phrases="阿拉丁神灯", expansions="居住证")
    assert OTHER in [r["code"] for r in json.loads(body(client.get("/api/v1/search/?q=阿拉丁神灯")))["results"]]

    assert [r["code"] for r in json.loads(body(client.get("/api/v1/search/?q=食品经营")))["results"]][0] == CODE
    SearchPromotion.objects.create(query=Query.get("食品经营"), page=GuidePage.objects.get(code=OTHER), sort_order=0)
    results = json.loads(body(client.get("/api/v1/search/?q=食品经营")))["results"]
    assert results[0]["code"] == OTHER and results[0]["promoted"]


def test_each_language_has_its_own_copy(client, guides):
    # The address chooses the language (/en/…); a browser's Accept-Language does not.
    for url in ("/search/?q=食品经营", f"/kiosk/g/{CODE}/"):
        english = client.get("/en" + url)
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        again = client.get("/en" + url)
        assert english["Content-Language"] == again["Content-Language"] == "en", url
        assert chinese["Content-Language"] == "zh-hans", url
        assert again.content == english.content != chinese.content, url


def test_each_query_string_has_its_own_copy(client, guides):
    key = guides.situations.get().key  # 委托他人办理
    plain = body(client.get(f"/kiosk/g/{CODE}/"))
    answered = body(client.get(f"/kiosk/g/{CODE}/?{key}=否"))
    assert "授权委托书" in plain and "授权委托书" not in answered
    checklist = json.loads(body(client.get(f"/api/v1/guides/{CODE}/checklist/")))
    narrowed = json.loads(body(client.get(f"/api/v1/guides/{CODE}/checklist/?{key}=否")))
    assert narrowed != checklist
    # A repeated parameter is part of the key too.
    first = client.get("/api/v1/search/?q=食品经营&q=居住证")
    assert json.loads(body(first))["query"] == "居住证"


def test_the_next_kiosk_page_and_feed_record_after_a_publish_show_the_change(client, guides, publish_guide):
    urls = [f"/kiosk/g/{CODE}/", f"/api/v1/guides/{CODE}/", f"/api/v1/guides/{CODE}/checklist/", "/api/v1/guides/"]
    for url in urls:
        assert "现场核验说明" not in body(client.get(url)), url
    record = {
        "name": "现场核验说明", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
        "source": "申请人自备", "note": "", "situation": None,
    }
    from tests.conftest import BASE_RECORD

    publish_guide(materials=[*BASE_RECORD["materials"], record], summary="现场核验说明 已更新。")
    for url in urls[:3]:
        assert "现场核验说明" in body(client.get(url)), url
    listed = json.loads(body(client.get("/api/v1/guides/")))["items"]
    detail = json.loads(body(client.get(f"/api/v1/guides/{CODE}/")))
    assert [i["checklist_version"] for i in listed if i["code"] == CODE] == [detail["checklist_version"]] == [2]


def test_a_cached_feed_answer_keeps_its_validators_and_the_rate_limit(client, guides, settings):
    settings.FEED_RATE_LIMIT = "3/minute"
    url = f"/api/v1/guides/{CODE}/"
    first = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip" and first["X-RateLimit-Remaining"] == "2"
    not_modified, queries = fetch(client, url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and queries == 0
    assert not_modified["ETag"] == first["ETag"] and not_modified["X-RateLimit-Remaining"] == "1"
    plain = client.get(url)  # another encoding: its own copy, the same body
    assert "Content-Encoding" not in plain and json.loads(plain.content) == json.loads(body(first))
    assert client.get(url).status_code == 429  # the fourth request of the minute, cached or not


def test_a_signed_in_reader_is_not_served_from_the_shared_copy(client, guides, django_user_model):
    client.get("/search/?q=食品经营")
    user = django_user_model.objects.create_user("reader", password="x-Secret-123")
    client.force_login(user)
    _response, queries = fetch(client, "/search/?q=食品经营")
    assert queries > 0


def test_a_change_in_another_process_reaches_this_one(client, guides, tmp_path, settings):
    """Without CACHE_URL every process keeps its own copies, under version counters that the
    processes of the machine share (a file cache under VAR_DIR): a publish in one gunicorn worker
    or in the task worker moves them for every other process."""
    import os
    import subprocess
    import sys

    from portal.middleware import content_version

    settings.CACHES = {
        **settings.CACHES,
        "versions": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache" / "versions"),
        },
    }
    url = f"/kiosk/g/{CODE}/"
    client.get(url)
    assert fetch(client, url)[1] == 0
    before = content_version()
    environment = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.dev", "PORTAL_VAR_DIR": str(tmp_path), "CACHE_URL": "",
    }
    script = "import django; django.setup(); from portal.middleware import bump_content_version; bump_content_version()"
    subprocess.run([sys.executable, "-c", script], env=environment, check=True, timeout=120)
    assert content_version() > before
    response, queries = fetch(client, url)
    assert response.status_code == 200 and queries > 0


def test_a_lost_version_counter_starts_again_above_every_value_it_had():
    from django.core.cache import caches

    from portal.middleware import bump_content_version, content_version

    first = content_version()
    bump_content_version()
    bumped = content_version()
    assert bumped == first + 1
    caches["versions"].clear()  # a cache restarted or cleared
    assert content_version() > bumped
