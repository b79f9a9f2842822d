"""Click logging: which guide was opened for which query, counted without writing in the request,
written in batches, raising the guide for that query; editors see and reset it."""

from __future__ import annotations

import pytest
from django.test.utils import CaptureQueriesContext

from search import clicks
from search.models import SearchClick
from search.service import search_guides

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_buffer():
    clicks.buffer.take()
    yield
    clicks.buffer.take()


@pytest.fixture
def two_guides(publish_guide):
    first = publish_guide(code="T-GM-0001", name="残疾人证核发", result="残疾人证", materials=[
        {"name": "居民身份证", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
         "source": "政府部门核发", "note": "", "situation": None},
    ])  # fmt: skip
    second = publish_guide(code="T-GM-0002", name="残疾人证换领", result="残疾人证", materials=[
        {"name": "原残疾人证", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
         "source": "政府部门核发", "note": "", "situation": None},
    ])  # fmt: skip
    return first, second


def test_a_click_is_counted_without_writing_in_the_request(two_guides, client):
    from django.db import connection

    first, _ = two_guides
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/click/", {"q": "残疾证", "code": first.code, "r": "1"})
    assert response.status_code == 302 and response["Location"] == first.url
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert clicks.buffer.pending() == {("残疾证", first.pk): 1}
    assert not SearchClick.objects.exists()
    assert clicks.flush() == 1
    assert SearchClick.objects.get().clicks == 1 and clicks.buffer.pending() == {}


def test_unknown_guides_are_not_counted(two_guides, client):
    assert client.get("/search/click/", {"q": "残疾证", "code": "NOPE"}).status_code == 404
    assert client.get("/search/click/", {"q": "残疾证"}).status_code == 404
    assert clicks.buffer.pending() == {}


def test_frequent_clicks_raise_the_guide_for_that_query_until_reset(two_guides, client):
    first, second = two_guides
    before = [hit.page.code for hit in search_guides("残疾证", log=False).hits]
    assert set(before) == {first.code, second.code}
    loser = before[-1]
    page = first if loser == first.code else second
    for _ in range(clicks.MIN_CLICKS + 5):
        client.get("/search/click/", {"q": "残疾证", "code": page.code})
    clicks.flush()
    assert SearchClick.objects.get(query="残疾证", guide=page).clicks == clicks.MIN_CLICKS + 5
    after = [hit.page.code for hit in search_guides("残疾证", log=False).hits]
    assert after[0] == loser
    # Another query is not affected.
    assert clicks.click_boosts("残疾人证") == {}
    # An editor resets the boost by deleting the row.
    SearchClick.objects.filter(query="残疾证").delete()
    assert [hit.page.code for hit in search_guides("残疾证", log=False).hits] == before


def test_a_few_clicks_do_not_move_anything(two_guides):
    first, _ = two_guides
    for _ in range(clicks.MIN_CLICKS - 1):
        clicks.record_click("残疾证", first.pk)
    clicks.flush()
    assert clicks.click_boosts("残疾证") == {}


def test_flushing_twice_adds_up_and_the_result_links_count(two_guides, client):
    first, _ = two_guides
    clicks.record_click("残疾证", first.pk)
    clicks.flush()
    clicks.record_click("残疾证", first.pk)
    clicks.record_click("残疾证", first.pk)
    clicks.flush()
    assert SearchClick.objects.get().clicks == 3
    html = client.get("/search/", {"q": "残疾证"}).content.decode()
    assert f"/search/click/?q=%E6%AE%8B%E7%96%BE%E8%AF%81&amp;code={first.code}" in html


def test_editors_see_the_clicks_in_the_admin(two_guides, admin_client):
    first, _ = two_guides
    SearchClick.objects.create(query="残疾证", guide=first, clicks=9)
    html = admin_client.get("/admin/search_clicks/").content.decode()
    assert "残疾证" in html and "残疾人证核发" in html
    row = SearchClick.objects.get()
    assert admin_client.post(f"/admin/search_clicks/delete/{row.pk}/").status_code in (200, 302)
    assert not SearchClick.objects.exists()
