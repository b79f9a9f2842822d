"""The kiosk pages rendered by the Django test client: every link stays under /kiosk/, external
addresses become QR codes, and the checklist is the view-model's."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest

from guides.presentation import build_guide_view
from guides.serializers import serialize_guide
from search.analysis import pinyin_initials
from tests.kiosk.conftest import FOOD_CODE, ONLINE_URL

pytestmark = pytest.mark.django_db


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: list[str] = []
        self.assets: list[str] = []
        self.iframes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.anchors.append(attrs["href"])
        if tag in ("link", "script", "img") and (attrs.get("href") or attrs.get("src")):
            self.assets.append(attrs.get("href") or attrs.get("src"))
        if tag == "iframe":
            self.iframes.append(attrs.get("src", ""))


def links_of(html: str) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(html)
    return collector


def get_html(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def material_names(html: str) -> list[str]:
    return re.findall(r'<h3 class="material-name">([^<]+)</h3>', html)


def assert_stays_in_kiosk(html: str, *, allowed_prefixes=()):
    links = links_of(html)
    for href in links.anchors:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc, href
        # The kiosk in the other language (/en/kiosk/, the language switch) is the kiosk too.
        assert href.startswith(("/kiosk/", "/en/kiosk/")) or href.startswith(allowed_prefixes), href
    for asset in links.assets:
        assert not urlsplit(asset).netloc, f"external asset {asset}"
        assert asset.startswith(("/static/kiosk/", "/static/img/logo.svg", "data:")), asset


def test_start_page_has_keyboard_sections_and_departments(client, catalogue, settings):
    settings.KIOSK_IDLE_SECONDS = 45
    html = get_html(client, "/kiosk/")
    assert 'data-idle-seconds="45"' in html
    assert 'data-start-url="/kiosk/"' in html
    for key in "abcdefghijklmnopqrstuvwxyz0123456789":
        assert f'data-key="{key}"' in html
    for label, slug in (("工程类", "gc"), ("经营类", "jy"), ("公民类", "gm")):
        assert f'href="/kiosk/section/{slug}/"' in html and label in html
    assert "测试区公安分局" in html and "/kiosk/department/" in html
    assert 'data-suggest-url="/api/v1/search/suggest/"' in html
    assert_stays_in_kiosk(html)


def test_keyboard_works_without_javascript(client, catalogue):
    query = pinyin_initials("食品经营")
    assert query == "spjy"
    html = get_html(client, "/kiosk/", q=query.upper())
    assert f'href="/kiosk/g/{FOOD_CODE}/?back=%2Fkiosk%2F%3Fq%3Dspjy"' in html and "食品经营许可证核发" in html
    # Each key submits the query typed so far plus its letter; backspace drops the last one.
    assert 'name="q" value="spjya" data-key="a"' in html
    assert 'name="q" value="spj" data-key="backspace"' in html
    html = get_html(client, "/kiosk/", q="zzzz")
    assert 'id="kiosk-empty" hidden' not in html
    assert "ZZZZ" in html


def test_guide_page_stays_in_kiosk_and_shows_online_url_as_qr(client, catalogue):
    html = get_html(client, f"/kiosk/g/{FOOD_CODE}/")
    assert_stays_in_kiosk(html)
    hrefs = links_of(html).anchors
    assert ONLINE_URL not in hrefs and not any("zwfw.example" in href for href in hrefs)
    escaped = ONLINE_URL.replace("&", "&amp;")
    qr = re.search(
        r'<span class="qr-code" data-qr="' + re.escape(escaped) + r'"><svg[^>]*class="qr".*?</svg>',
        html,
        re.S,
    )
    assert qr, "online_url is shown as an inline SVG QR code"
    # Name, limits, visits and windows in large type.
    for text in (
        "食品经营许可证核发",
        "10个工作日",
        "20个工作日",
        "综合受理窗口（1-9号）",
        "统一出件窗口（10-11号）",
        "到现场",
    ):
        assert text in html


def test_situation_buttons_reload_the_view_model_checklist(client, catalogue):
    page = catalogue["food"]
    key = page.situations.get().key
    record = serialize_guide(page)
    for answer, expected in (("否", 2), ("是", 4), (None, 4)):
        params = {key: answer} if answer else {}
        html = get_html(client, f"/kiosk/g/{FOOD_CODE}/", **params)
        expected_names = [m["name"] for m in build_guide_view(record, params).materials]
        assert material_names(html) == expected_names and len(expected_names) == expected
        if answer:
            assert "is-selected" in re.search(
                rf'<a class="choice[^"]*"[^>]*data-answer="{answer}"', html
            ).group(0)
    html = get_html(client, f"/kiosk/g/{FOOD_CODE}/", **{key: "否"})
    # The other answers link to the same kiosk page with their value; the print button carries them.
    assert f'href="/kiosk/g/{FOOD_CODE}/?{key}=%E6%98%AF#situations"' in html
    assert f'data-pdf="/g/{FOOD_CODE}/pdf/?{key}=%E5%90%A6"' in html
    assert f'href="/kiosk/g/{FOOD_CODE}/print/?{key}=%E5%90%A6"' in html


def test_print_page_embeds_the_pdf_sheet(client, catalogue):
    page = catalogue["food"]
    key = page.situations.get().key
    html = get_html(client, f"/kiosk/g/{FOOD_CODE}/print/", **{key: "是"})
    pdf_url = f"/g/{FOOD_CODE}/pdf/?{key}=%E6%98%AF"
    # The script loads the sheet from data-src; without a script the frame and a link show it.
    assert f'data-src="{pdf_url}"' in html
    assert links_of(html).iframes == ["", pdf_url]
    assert_stays_in_kiosk(html, allowed_prefixes=(pdf_url,))
    assert f'href="/kiosk/g/{FOOD_CODE}/?{key}=%E6%98%AF"' in html


def test_listings_link_to_kiosk_guides(client, catalogue):
    html = get_html(client, "/kiosk/section/gm/")
    assert "居民身份证换领" in html and "食品经营许可证核发" not in html
    assert_stays_in_kiosk(html)
    department = catalogue["food"].department
    listing = f"/kiosk/department/{department.code}/"
    html = get_html(client, listing)
    # The guide's 返回结果 leads back to this listing.
    assert f'href="/kiosk/g/{FOOD_CODE}/?{urlencode({"back": listing})}"' in html
    assert_stays_in_kiosk(html)


def test_unknown_and_unpublished_guides_are_not_found(client, catalogue):
    assert client.get("/kiosk/section/xx/").status_code == 404
    assert client.get("/kiosk/department/NOPE/").status_code == 404
    assert client.get("/kiosk/g/NOPE-1/").status_code == 404
    catalogue["food"].unpublish()
    assert client.get(f"/kiosk/g/{FOOD_CODE}/").status_code == 404
    assert FOOD_CODE not in get_html(client, "/kiosk/", q="spjy")


def test_results_url_leads_only_back_into_the_kiosks_lists(db):
    from kiosk.views import results_url

    assert results_url("/kiosk/?q=SPJY") == "/kiosk/?q=spjy"
    assert results_url("/kiosk/section/gm/?page=2") == "/kiosk/section/gm/?page=2"
    assert results_url("/kiosk/section/gm/?page=1&x=<script>") == "/kiosk/section/gm/"
    assert results_url("/kiosk/theme/shengyu/") == "/kiosk/theme/shengyu/"
    for bad in (
        "https://evil.example/kiosk/?q=a",
        "//evil.example/kiosk/?q=a",
        "/kiosk/g/T-JY-0001/",
        "/admin/",
        "/kiosk/",
        "javascript:alert(1)",
        None,
        "/kiosk/?q=" + "a" * 400,
    ):
        assert results_url(bad) == "", bad


def test_a_guide_opened_from_results_links_back_to_them(client, catalogue):
    key = catalogue["food"].situations.get().key
    html = get_html(client, "/kiosk/", q="spjy")
    assert f'href="/kiosk/g/{FOOD_CODE}/?back=%2Fkiosk%2F%3Fq%3Dspjy"' in html
    html = get_html(client, f"/kiosk/g/{FOOD_CODE}/", back="/kiosk/?q=spjy")
    assert 'id="kiosk-back" href="/kiosk/?q=spjy"' in html
    # Answers keep the way back; the sheet's address does not carry it.
    assert f'href="/kiosk/g/{FOOD_CODE}/?{key}=%E5%90%A6&amp;back=%2Fkiosk%2F%3Fq%3Dspjy#situations"' in html
    assert f'data-pdf="/g/{FOOD_CODE}/pdf/"' in html
    html = get_html(client, f"/kiosk/g/{FOOD_CODE}/", back="https://evil.example/")
    assert "kiosk-back" not in html
