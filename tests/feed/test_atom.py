"""GET /changes.atom: the change log as an Atom feed, newest first, escaped, linked from
every page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from feed.models import ChangeEvent
from tests.feed.conftest import add_copy, publish_edit

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client) -> tuple[ET.Element, list[ET.Element]]:
    response = client.get("/changes.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root, root.findall(f"{ATOM}entry")


def test_every_change_is_an_entry_newest_first(catalogue, client):
    page = catalogue[0]
    publish_edit(page, add_copy(page), note='复印件改为 2 份 <script>alert("x")</script>')
    root, items = entries(client)
    events = list(ChangeEvent.objects.order_by("-id"))
    assert [item.findtext(f"{ATOM}id") for item in items] == [f"urn:yichuang:change:{e.pk}" for e in events]
    newest = items[0]
    assert newest.findtext(f"{ATOM}title") == "受理清单变更：食品经营许可证核发"
    summary = newest.findtext(f"{ATOM}summary")
    assert '<script>alert("x")</script>' in summary  # text, escaped in the XML
    assert f"受理清单第 2 版，指纹 {page.checklist_fingerprint}" in summary
    assert newest.find(f"{ATOM}link").get("href") == "http://testserver/g/T-JY-0001/"
    assert newest.find(f"{ATOM}category").get("term") == "checklist_changed"
    assert newest.findtext(f"{ATOM}updated").endswith("+08:00")
    assert root.findtext(f"{ATOM}title") == "办事指南变更"


def test_an_unpublished_guide_is_an_entry_too(catalogue, client):
    catalogue[3].unpublish()
    _root, items = entries(client)
    assert items[0].findtext(f"{ATOM}title").startswith("撤下：")


def test_every_page_links_the_feed(catalogue, client):
    html = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert html.count('href="/changes.atom"') == 2  # head and footer


def test_the_feed_costs_one_query_however_many_entries(catalogue, client, django_assert_num_queries):
    for page in catalogue[:3]:
        publish_edit(page, add_copy(page), note="复印件改为 2 份")
    with django_assert_num_queries(1):
        _root, items = entries(client)
    assert len(items) == ChangeEvent.objects.count() > 3
