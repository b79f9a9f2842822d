"""The editor's side: the Wagtail admin in Chinese, with the guide's tabs and the record's rules
reported as form errors, never as server errors."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.test.utils.form_data import querydict_from_html

from guides.models import ChecklistVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.invalid", "pw")
    client.force_login(user)
    return client


def edit_form(client, page):
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    return response, querydict_from_html(response.content.decode(), form_id="page-edit-form")


def test_edit_view_is_chinese_with_the_guide_tabs(editor_client, publish_guide):
    page = publish_guide()
    response, _ = edit_form(editor_client, page)
    html = response.content.decode()
    for tab in ("基本信息", "申请材料", "办理流程", "时限与收费", "窗口与时间"):
        assert tab in html
    assert "受理标准" in html and "适用情形" in html and "计入办结时限" in html


def test_publishing_from_the_admin_bumps_the_checklist(editor_client, publish_guide):
    page = publish_guide()
    _, data = edit_form(editor_client, page)
    data["materials-1-copy_count"] = "4"
    data["change_note"] = "营业执照复印件改为 4 份"
    data["go_live_at"] = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    data["action-publish"] = "action-publish"
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page.refresh_from_db()
    assert page.checklist_version == 2
    assert ChecklistVersion.objects.filter(guide=page).count() == 2


def test_rule_violations_come_back_as_form_errors(editor_client, publish_guide):
    page = publish_guide()
    _, data = edit_form(editor_client, page)
    data["promised_limit_value"] = "99"
    data["phone"] = "123"
    data["action-publish"] = "action-publish"
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "承诺办结时限" in html and "不得超过" in html
    assert "电话号码“123”无效" in html
    page.refresh_from_db()
    assert page.checklist_version == 1


def test_deleting_every_material_is_refused(editor_client, publish_guide):
    page = publish_guide()
    _, data = edit_form(editor_client, page)
    for index in range(int(data["materials-TOTAL_FORMS"])):
        data[f"materials-{index}-DELETE"] = "1"
    data["action-publish"] = "action-publish"
    response = editor_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200
    assert page.materials.count() == 4


@pytest.mark.parametrize("path", ["department", "servicehall", "servicewindow", "lifeevent"])
def test_snippet_listings_load(editor_client, publish_guide, path):
    publish_guide()
    response = editor_client.get(f"/admin/snippets/guides/{path}/")
    assert response.status_code == 200


def test_window_listing_filters_by_role(editor_client, publish_guide):
    publish_guide()
    html = editor_client.get("/admin/snippets/guides/servicewindow/", {"role": "delivery"}).content.decode()
    assert "统一出件窗口" in html and "综合受理窗口（1-9号）" not in html
