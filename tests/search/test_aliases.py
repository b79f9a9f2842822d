"""Editors' 俗称/简称 of a guide: imported, carried in the record and the feed, shown as 又称 on the
page, and found by search and suggestions, in characters and in pinyin initials."""

from __future__ import annotations

import pytest

from guides.importer import ImportFailed, import_guides
from search.service import search_guides
from search.suggest import suggest
from tests.conftest import jsonl, make_record

pytestmark = pytest.mark.django_db


def test_aliases_travel_from_the_import_to_the_page_feed_search_and_suggest(publish_guide, client):
    page = publish_guide(aliases=["饭店证", "开饭店许可"])
    assert page.common_names == "饭店证、开饭店许可"
    html = client.get(page.url).content.decode()
    assert "又称：饭店证、开饭店许可" in html
    assert client.get(f"/api/v1/guides/{page.code}/").json()["aliases"] == ["饭店证", "开饭店许可"]
    for query in ("饭店证", "我要办饭店证", "fdz"):
        hits = search_guides(query, log=False).hits
        assert hits and hits[0].page.code == page.code, query
    assert search_guides("fdz", log=False).hits[0].reason == "又称：饭店证"
    found = suggest("fdz")
    assert found and found[0]["code"] == page.code and found[0]["reason"] == "又称：饭店证"


def test_an_alias_removed_by_the_editor_no_longer_finds_the_guide(publish_guide):
    page = publish_guide(aliases=["饭店证"])
    assert search_guides("饭店证", log=False).hits
    import_guides(jsonl(make_record(aliases=[])), publish=True)
    page.refresh_from_db()
    assert page.common_names == ""
    assert not [hit for hit in search_guides("饭店证", log=False).hits if hit.reason.startswith("又称")]


def test_bad_aliases_are_refused_with_a_clear_error(site):
    for bad in ({"a": 1}, ["饭店证", 3], ["饭店证、餐馆证"], ["长" * 301]):
        with pytest.raises(ImportFailed) as failure:
            import_guides(jsonl(make_record(aliases=bad)), publish=True)
        assert "俗称/简称" in str(failure.value.errors[0])
    # A string separated by 、 is a list.
    import_guides(jsonl(make_record(aliases="饭店证、餐馆证")), publish=True)
    from guides.models import GuidePage

    assert GuidePage.objects.get(code="T-JY-0001").common_names == "饭店证、餐馆证"


def test_generated_aliases_reach_guides_without_any_entered(publish_guide):
    """Nobody entered 食经证 or spjyxkz; the rules and the dictionary derive them from the name."""
    page = publish_guide()  # 食品经营许可证核发
    assert page.common_names == ""
    for query in ("食经证", "spjyxkz"):
        hits = search_guides(query, log=False).hits
        assert hits and hits[0].page.code == page.code, query
    assert search_guides("食经证", log=False).hits[0].reason == "又称：食经证"
