"""The editors' panel on the admin dashboard, per role: guides not reviewed for 180 days, waiting
submissions, usefulness and new reports of the viewer's departments; zero-result searches of the
last 30 days with their actions; nothing for people without a role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from feedback.models import ErrorReport, UsefulnessTally
from guides.models import GuidePage
from search.models import SearchQueryStat
from tests.editorial.conftest import accounts, guides  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(guides):  # noqa: F811
    old = timezone.now() - timedelta(days=200)
    GuidePage.objects.filter(pk=guides["own"].pk).update(last_reviewed_at=old)
    GuidePage.objects.filter(pk=guides["other"].pk).update(last_reviewed_at=old)
    UsefulnessTally.objects.create(guide=guides["own"], day=date(2026, 12, 1), yes=1, no=3)
    UsefulnessTally.objects.create(guide=guides["other"], day=date(2026, 12, 1), yes=2, no=2)
    ErrorReport.objects.create(guide=guides["own"], part="materials", message="材料写错了")
    ErrorReport.objects.create(guide=guides["other"], part="place", message="窗口搬了")
    now = timezone.now()
    SearchQueryStat.objects.create(query="开奶茶店", hits=9, zero_result_hits=7, last_result_count=0, last_searched_at=now)
    SearchQueryStat.objects.create(query="很久以前", hits=5, zero_result_hits=5, last_result_count=0, last_searched_at=now - timedelta(days=45))
    SearchQueryStat.objects.create(query="营业执照", hits=50, zero_result_hits=0, last_result_count=11, last_searched_at=now)
    return guides


def dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.find('id="editors-dashboard')
    return html[start:] if start >= 0 else ""


def test_a_department_editor_sees_their_department(client, accounts, activity):  # noqa: F811
    html = dashboard(client, accounts["editor"])
    assert "测试区市场监督管理局" in html
    assert activity["own"].title in html and activity["other"].title not in html
    assert "25%（1/4）" in html and "50%（2/4）" not in html
    assert "1 份新的纠错报告" in html
    assert "开奶茶店" in html and "很久以前" not in html and "营业执照" not in html


def test_the_centre_sees_every_department_and_acts_on_searches(client, accounts, activity):  # noqa: F811
    html = dashboard(client, accounts["admin"])
    assert activity["own"].title in html and activity["other"].title in html
    assert "25%（1/4）" in html and "50%（2/4）" in html
    assert "/admin/snippets/portal_search/synonym/add/?phrases=%E5%BC%80%E5%A5%B6%E8%8C%B6%E5%BA%97" in html
    assert "/admin/searchpicks/add/" in html or "推荐指南" in html
    reviewer = dashboard(client, accounts["reviewer"])
    assert activity["other"].title in reviewer


def test_waiting_submissions_are_counted_per_department(client, accounts, activity):  # noqa: F811
    from tests.editorial.conftest import write_draft

    revision = write_draft(activity["own"], accounts["editor"], summary="新的摘要")
    from wagtail.models import Workflow

    Workflow.objects.get(name="办事指南审核").start(revision.content_object, accounts["editor"])
    html = dashboard(client, accounts["approver"])
    assert "1 条" in html
    assert "/admin/editorial/queue/" in html
    # An editor of the department sees it waiting, without the queue that is not theirs.
    editor = dashboard(client, accounts["editor"])
    assert "1 条" in editor and "/admin/editorial/queue/" not in editor


def test_the_synonym_form_comes_filled_in(client, accounts, activity):  # noqa: F811
    client.force_login(accounts["admin"])
    html = client.get("/admin/snippets/portal_search/synonym/add/", {"phrases": "开奶茶店"}).content.decode()
    assert 'value="开奶茶店"' in html


def test_people_without_a_role_get_no_panel(client, django_user_model, activity):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("visitor", "v@example.invalid", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert dashboard(client, user) == ""
