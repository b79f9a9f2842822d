"""The portal in English under /en/: the language of every page is its address, <html lang> and
the hreflang alternates say so, a switch on every page leads to the other language, the shared
page cache keeps the languages apart, and the guides' content stays as editors wrote it (in
Chinese), which English pages say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NOTICE = "Content without an English translation is shown in the original Chinese."
CODE = "T-JY-0001"


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def chinese_path(page) -> str:
    with translation.override("zh-hans"):
        return page.url


def expected_alternates(path: str) -> dict[str, str]:
    return {
        "zh-Hans": f"http://testserver{path}",
        "x-default": f"http://testserver{path}",
        "en": f"http://testserver/en{path}",
    }


def test_a_guide_reads_in_english_under_en_with_its_content_as_written(client, publish_guide):
    page = publish_guide()
    path = chinese_path(page)
    response = client.get(f"/en{path}")
    assert response.status_code == 200
    html = response.content.decode()
    assert lang_of(html) == "en"
    assert alternates(html) == expected_alternates(path)
    # The words of the page in English; the guide itself as written, and the page says so.
    assert "Skip to content" in html and "跳到正文" not in html
    assert "10 working days" in html and "10个工作日" not in html
    assert "Mon–Fri" in html
    assert NOTICE in html
    assert "食品经营许可证核发" in html and "食品经营许可申请书" in html
    # The counter's checklist is one: the same fingerprint in both languages.
    assert f'<meta name="checklist-fingerprint" content="{page.checklist_fingerprint}">' in html
    # Links stay in English: the sheet, the home page; the switch leads to the Chinese page.
    assert f'href="/en/g/{CODE}/pdf/"' in html
    assert 'class="brand" href="/en/"' in html
    assert f'<a class="header-link language-switch" href="{path}" hreflang="zh-Hans" lang="zh-Hans">简体中文</a>' in html


def test_the_chinese_page_offers_english_and_keeps_the_answers_when_switching(client, publish_guide):
    page = publish_guide()
    path = chinese_path(page)
    html = client.get(path, {"s1": "是"}).content.decode()
    assert lang_of(html) == "zh-Hans"
    assert alternates(html) == expected_alternates(path)
    assert NOTICE not in html and "跳到正文" in html
    switch = re.search(r'<a class="header-link language-switch" href="([^"]+)" hreflang="en" lang="en">English</a>', html)
    assert switch and switch.group(1) == f"/en{path}?s1=%E6%98%AF"


def test_the_address_alone_says_the_language(client, publish_guide):
    page = publish_guide()
    path = chinese_path(page)
    # A browser asking for English at the plain address gets the Chinese page it links to.
    html = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert lang_of(html) == "zh-Hans"
    assert lang_of(client.get("/en/").content.decode()) == "en"


def test_the_page_cache_keeps_each_language_apart(client, publish_guide, django_assert_num_queries):
    page = publish_guide()
    path = chinese_path(page)
    first_english = client.get(f"/en{path}").content
    first_chinese = client.get(path).content
    assert lang_of(first_english.decode()) == "en" and lang_of(first_chinese.decode()) == "zh-Hans"
    # Both served from the shared cache now, each in its own language.
    with django_assert_num_queries(0):
        again_chinese = client.get(path).content
        again_english = client.get(f"/en{path}").content
    assert again_chinese == first_chinese and again_english == first_english


@pytest.mark.parametrize("path", ["/en/", "/en/search/?q=食品", "/en/hall/", "/en/kiosk/"])
def test_every_kind_of_page_has_its_english_version(client, publish_guide, path):
    publish_guide()
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert lang_of(html) == "en"
    assert NOTICE in html
    assert re.search(r'href="/[^"]*" hreflang="zh-Hans" lang="zh-Hans"', html), "no switch to Chinese"


def test_the_english_kiosk_returns_to_the_chinese_start_when_idle(client, publish_guide):
    publish_guide()
    html = client.get("/en/kiosk/").content.decode()
    assert 'data-start-url="/kiosk/"' in html
    assert 'class="kiosk-home" href="/en/kiosk/"' in html
    assert 'data-guide-url="/en/kiosk/g/__code__/"' in html


def test_the_search_api_speaks_the_language_it_is_asked_for(client, publish_guide):
    publish_guide()
    english = client.get("/api/v1/search/suggest/", {"q": "0001", "lang": "en"}).json()["suggestions"]
    chinese = client.get("/api/v1/search/suggest/", {"q": "0001"}).json()["suggestions"]
    assert [s["url"] for s in english] == [f"/en/g/{CODE}/"]
    assert [s["url"] for s in chinese] == [f"/g/{CODE}/"]
    # The data is the same; the reason is said in the language asked for.
    assert english[0]["name"] == chinese[0]["name"] == "食品经营许可证核发"
    assert english[0]["reason"].startswith("Item code") and chinese[0]["reason"].startswith("事项编码")
    results = client.get("/api/v1/search/", {"q": "食品经营许可", "lang": "en"}).json()["results"]
    assert results and all(r["url"].startswith("/en/") and r["short_url"].startswith("/en/g/") for r in results)


def test_an_unknown_language_is_a_clear_error(client, site):
    response = client.get("/api/v1/search/suggest/", {"q": "食品", "lang": "fr"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["parameter"] == "lang" and "zh-hans" in problem["detail"] and "en" in problem["detail"]


def test_the_domain_rules_speak_the_active_language():
    from guides.domain.phones import InvalidPhone, normalize_phone
    from guides.domain.timelimits import TimeLimit, TimeUnit

    for language, message, limit in (
        ("en", "The phone number is empty", "20 working days"),
        ("zh-hans", "电话号码不能为空", "20个工作日"),
    ):
        with translation.override(language):
            with pytest.raises(InvalidPhone) as error:
                normalize_phone(" ")
            assert str(error.value) == message
            assert TimeLimit(20, TimeUnit.WORKING_DAYS).display() == limit


def test_the_domain_without_django_writes_chinese():
    """guides/domain imports no Django: outside the app its messages are the Chinese msgids."""
    script = (
        "import sys\n"
        "from guides.domain.phones import InvalidPhone, normalize_phone\n"
        "from guides.domain.hours import parse_session\n"
        "try:\n    normalize_phone('')\nexcept InvalidPhone as error:\n    print(error)\n"
        "try:\n    parse_session('9点')\nexcept ValueError as error:\n    print(error)\n"
        "print('django' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["电话号码不能为空", "无法识别办公时段“9点”，格式应为 09:00-12:00", "False"]


def test_the_sitemap_names_each_page_in_both_languages(client, publish_guide):
    page = publish_guide()
    path = chinese_path(page)
    xml = client.get("/sitemap.xml").content.decode()
    entry = re.search(rf"<url><loc>http://testserver{re.escape(path)}</loc>.*?</url>", re.sub(r">\s+<", "><", xml))
    assert entry, xml[:500]
    links = dict(re.findall(r'<xhtml:link rel="alternate" hreflang="([^"]+)" href="([^"]+)"/>', entry.group(0)))
    assert links == expected_alternates(path)
