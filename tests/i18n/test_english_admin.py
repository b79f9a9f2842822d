"""The admin in each editor's language: the editorial screens (review queue, review of a
submission, roles) read in English for an editor whose preference is English and in Chinese for
the others; the admin keeps its unprefixed address (no /en/admin/), and the project's two
catalogues (locale/en for our screens, locale/zh_Hans for what Wagtail's Chinese lacks) leave
each other alone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from wagtail.users.models import UserProfile

from tests.editorial.conftest import accounts, guides  # noqa: F401 (fixtures)
from tests.editorial.test_workflow import submit_checklist_change

pytestmark = pytest.mark.django_db


def client_in(user, language: str) -> Client:
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def submitted(guides, accounts):  # noqa: F811
    page = guides["own"]
    assert submit_checklist_change(client_in(accounts["editor"], "zh-hans"), page).status_code == 302
    return page


def test_the_review_screens_read_in_english_for_an_editor_who_chose_english(submitted, accounts):  # noqa: F811
    approver = client_in(accounts["approver"], "en")
    queue = approver.get("/admin/editorial/queue/")
    assert queue.status_code == 200
    html = queue.content.decode()
    for english in ("Review queue", "Review step", "Submitted by", "Waiting", "Department review"):
        assert english in html, english
    for chinese in ("审核队列", "审核环节", "提交人", "已等待"):
        assert chinese not in html, chinese
    # The guide's content stays as the editors wrote it.
    assert submitted.title in html

    review = approver.get(f"/admin/editorial/review/{submitted.pk}/")
    assert review.status_code == 200
    html = review.content.decode()
    assert f"Review: {submitted.title}" in html
    assert "Major change: the checklist goes from version 1 to a new version." in html
    assert "重大变更" not in html


def test_the_same_screens_stay_chinese_for_an_editor_who_did_not(submitted, accounts):  # noqa: F811
    approver = client_in(accounts["approver"], "zh-hans")
    html = approver.get("/admin/editorial/queue/").content.decode()
    assert "审核队列" in html and "部门审核" in html
    assert "Review queue" not in html
    # Wagtail's strings that its own Chinese lacks come from locale/zh_Hans.
    with translation.override("zh-hans"):
        assert translation.gettext("Use server language: %(language_name)s") == "使用服务器语言：%(language_name)s"
    with translation.override("en"):
        assert translation.gettext("Use server language: %(language_name)s") == "Use server language: %(language_name)s"


def test_the_roles_screen_reads_in_english(accounts):  # noqa: F811
    admin = client_in(accounts["admin"], "en")
    html = admin.get("/admin/editorial/roles/").content.decode()
    for english in ("Editorial roles", "Department editor", "Department reviewer", "Centre reviewer", "Revoke"):
        assert english in html, english
    assert "部门编辑" not in html


def test_the_admin_has_no_language_prefix(accounts, client):  # noqa: F811
    assert client.get("/en/admin/").status_code == 404
    admin = client_in(accounts["admin"], "en")
    assert admin.get("/admin/editorial/queue/").status_code == 200
    assert admin.get("/en/admin/editorial/queue/").status_code == 404
