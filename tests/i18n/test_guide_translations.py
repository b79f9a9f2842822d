"""Guides translated into English (wagtail-localize): the English page shows the translation,
with lang and hreflang; a guide not translated yet is shown in Chinese with a notice; a
translation behind its source says so until it is synced again; the checklist is one record in
both languages; every lookup by code finds the Chinese guide."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import translation as django_translation

from tests.conftest import jsonl, make_record

pytestmark = pytest.mark.django_db
CODE = "T-JY-0001"
ENGLISH = {"title": "Food business licence", "summary": "Issue a licence to run a food business."}
OUT_OF_DATE = "This translation may be out of date; the Chinese version is authoritative."
NOT_TRANSLATED = "This guide has not been translated yet; it is shown in the original Chinese."


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def fingerprint_in(html: str) -> str:
    return re.search(r'<meta name="checklist-fingerprint" content="([0-9a-f]+)">', html).group(1)


def chinese_path(page) -> str:
    with django_translation.override("zh-hans"):
        return page.url


@pytest.fixture
def translated(publish_guide):
    from guides.translations import translate

    source = publish_guide()
    return source, translate(source, "en", ENGLISH)


def test_the_english_page_shows_the_translation_in_english(client, translated):
    source, english = translated
    path = chinese_path(source)
    html = client.get(f"/en{path}").content.decode()
    assert lang_of(html) == "en"
    assert "<h1>Food business licence</h1>" in html and "Issue a licence to run a food business." in html
    assert "食品经营许可证核发</h1>" not in html
    assert NOT_TRANSLATED not in html and OUT_OF_DATE not in html
    # No part of the page is marked as Chinese text.
    assert 'lang="zh-Hans"' not in html.split("<main", 1)[1]
    assert alternates(html) == {
        "zh-Hans": f"http://testserver{path}",
        "x-default": f"http://testserver{path}",
        "en": f"http://testserver/en{path}",
    }
    # The translation's own address is the English one of its source.
    assert english.url == f"/en{path}"
    # The Chinese page stays Chinese and offers the English one.
    chinese = client.get(path).content.decode()
    assert "<h1>食品经营许可证核发</h1>" in chinese and "Food business licence" not in chinese
    assert alternates(chinese)["en"] == f"http://testserver/en{path}"


def test_a_guide_not_translated_is_shown_in_chinese_with_a_notice(client, publish_guide):
    page = publish_guide()
    html = client.get(f"/en{chinese_path(page)}").content.decode()
    assert lang_of(html) == "en"
    assert NOT_TRANSLATED in html
    assert '<article class="guide-article" id="guide-text" lang="zh-Hans">' in html
    assert "<h1>食品经营许可证核发</h1>" in html


def test_the_checklist_is_one_record_in_both_languages(client, translated):
    from guides.models import ChecklistVersion

    source, english = translated
    path = chinese_path(source)
    chinese_html = client.get(path).content.decode()
    english_html = client.get(f"/en{path}").content.decode()
    assert fingerprint_in(chinese_html) == fingerprint_in(english_html) == source.checklist_fingerprint
    # The translation has no checklist history, change events or fingerprint of its own.
    assert not ChecklistVersion.objects.filter(guide=english).exists()
    assert ChecklistVersion.objects.filter(guide=source).count() == 1


def test_a_source_change_marks_the_translation_out_of_date_until_synced(client, translated):
    from guides.translations import is_out_of_date, translate

    source, english = translated
    path = chinese_path(source)
    assert not is_out_of_date(source)
    assert OUT_OF_DATE not in client.get(f"/en{path}").content.decode()

    source.summary = "新的事项简介"
    source.save_revision().publish()
    source.refresh_from_db()
    assert is_out_of_date(source)
    html = client.get(f"/en{path}").content.decode()
    assert OUT_OF_DATE in html and "Food business licence" in html

    translate(source, "en", ENGLISH)
    assert not is_out_of_date(source)
    assert OUT_OF_DATE not in client.get(f"/en{path}").content.decode()


def test_every_lookup_by_code_finds_the_chinese_guide(client, translated):
    from guides.models import GuidePage

    source, english = translated
    assert english.code == source.code and english.locale_id != source.locale_id
    assert list(GuidePage.sources.filter(code=CODE)) == [source]
    assert GuidePage.objects.filter(code=CODE).count() == 2
    # The short link leads to the page of the reader's language.
    assert client.get(f"/g/{CODE}/")["Location"] == chinese_path(source)
    assert client.get(f"/en/g/{CODE}/")["Location"] == f"/en{chinese_path(source)}"
    # The feed lists the guide once, in Chinese, and its detail is the Chinese record.
    items = json.loads(client.get("/api/v1/guides/").content)["items"]
    assert [(item["code"], item["name"]) for item in items] == [(CODE, "食品经营许可证核发")]
    detail = json.loads(client.get(f"/api/v1/guides/{CODE}/").content)
    assert detail["name"] == "食品经营许可证核发"
    # The sheet is printed from the one guide, in either language.
    assert client.get(f"/en/g/{CODE}/pdf/").status_code == 200


def test_a_code_is_unique_per_language(translated):
    from django.core.exceptions import ValidationError

    source, english = translated
    other = english.__class__.objects.get(pk=english.pk)
    other.pk = None
    other.code = CODE.lower()
    with pytest.raises(ValidationError) as error:
        other.clean()
    assert "code" in error.value.message_dict


def test_the_importer_stays_idempotent_beside_a_translation(translated):
    from guides.importer import import_guides
    from guides.models import GuidePage

    source, english = translated
    import_guides(jsonl(make_record(summary="导入的新简介")), publish=True)
    import_guides(jsonl(make_record(summary="导入的新简介")), publish=True)
    assert GuidePage.sources.get(code=CODE).summary == "导入的新简介"
    assert GuidePage.objects.get(pk=english.pk).summary == ENGLISH["summary"]
    assert GuidePage.objects.filter(code=CODE).count() == 2


def test_a_department_editor_translates_own_department_guides_only(translated, publish_guide):
    from django.contrib.auth import get_user_model

    from editorial.models import Role
    from editorial.roles import grant_department_role
    from guides.translations import translate

    source, english = translated
    other = publish_guide(code="T-GM-0001", name="居民身份证换领", category="公民类", department="测试区公安分局", item_type="公共服务")
    other_english = translate(other, "en", {"title": "Renewing an identity card"})
    User = get_user_model()
    editor = User.objects.create_user("editor", "editor@example.invalid", "pw")
    grant_department_role(editor, source.department, Role.EDITOR)
    assert english.permissions_for_user(editor).can_edit()
    assert not other_english.permissions_for_user(editor).can_edit()
    # The translation's draft goes through its source's review workflow.
    assert english.get_workflow() is not None and english.get_workflow() == source.get_workflow()


def test_the_admin_status_says_a_translation_may_be_out_of_date(translated):
    source, english = translated
    assert "out of date" not in english.status_string and "过时" not in english.status_string
    source.save_revision().publish()
    english.refresh_from_db()
    assert "过时" in english.status_string
