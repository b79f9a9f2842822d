"""The editor's side of a guide: the guide list with its columns and filters, the material's
situation picked among the declared ones, technical keys kept from department editors."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from guides.models import GuidePage
from tests.editorial.conftest import browser_form_data, write_draft

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)


def test_the_guide_list_shows_code_department_version_and_last_review(guides, accounts):
    reviewer = logged_in(accounts["reviewer"])
    GuidePage.objects.filter(pk=guides["own"].pk).update(last_reviewed_at="2026-03-02T10:00:00+08:00")
    html = reviewer.get("/admin/guides/").content.decode()
    for heading in ("实施编码", "部门", "清单版本", "最近审核", "状态"):
        assert heading in html
    (own_row,) = [row for row in rows(html) if "T-JY-0001" in row]
    assert "测试区市场监督管理局" in own_row and "2026-03-02" in own_row
    assert any("T-GM-0001" in row for row in rows(html))


def test_the_guide_list_filters_by_department_section_and_status(guides, accounts):
    reviewer = logged_in(accounts["reviewer"])
    police = guides["other"].department

    def codes(**params):
        html = reviewer.get("/admin/guides/", params).content.decode()
        return sorted(set(re.findall(r"T-(?:JY|GM)-0001", "".join(rows(html)))))

    assert codes(department=police.pk) == ["T-GM-0001"]
    assert codes(section="经营类") == ["T-JY-0001"]
    assert codes(status="live") == ["T-GM-0001", "T-JY-0001"]
    page = guides["own"]
    write_draft(page, accounts["editor"], summary="新简介")
    assert codes(status="changed") == ["T-JY-0001"]
    page.refresh_from_db()
    page.get_workflow().start(page, accounts["editor"])
    assert codes(status="in_review") == ["T-JY-0001"]
    # An editor's department filter offers their departments only.
    editor_html = logged_in(accounts["editor"]).get("/admin/guides/").content.decode()
    assert "测试区公安分局" not in editor_html


def test_a_materials_situation_is_chosen_among_the_declared_ones(guides, accounts):
    html = logged_in(accounts["editor"]).get(f"/admin/pages/{guides['own'].pk}/edit/").content.decode()
    select = re.search(r'<select name="materials-2-situation"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the situation of a material is a select"
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert [(value, label) for value, _selected, label in options] == [
        ("", "始终需要（不区分情形）"), ("委托他人办理", "委托他人办理（是否委托他人办理？）"),
    ]
    assert [value for value, selected, _label in options if selected] == ["委托他人办理"]


def test_technical_keys_are_kept_from_department_editors(guides, accounts):
    page = guides["own"]
    editor = logged_in(accounts["editor"])
    html = editor.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert re.search(r'<input type="hidden" name="situations-0-key" value="s1"', html)
    assert 'name="slug"' not in html
    data = browser_form_data(html)
    data["situations-0-key"] = "hacked"
    data["slug"] = "hacked"
    assert editor.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    draft = GuidePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert draft.situations.first().key == "s1" and draft.slug == "t-jy-0001"

    reviewer_html = logged_in(accounts["reviewer"]).get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert re.search(r'<input type="text" name="situations-0-key" value="s1"', reviewer_html)
    assert 'name="slug"' in reviewer_html
