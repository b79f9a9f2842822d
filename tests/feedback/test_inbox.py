"""The editors' inbox of error reports and the usefulness column of the guide list: a department
sees its own guides' reports only (the list, and 403 for another's by address), the centre and
administrators see all; status and reply note are edited there; nobody adds a report."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.models import ErrorReport, ReportStatus, UsefulnessTally
from tests.editorial.conftest import accounts, guides  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(guides):  # noqa: F811
    own = ErrorReport.objects.create(guide=guides["own"], part="materials", message="营业执照应为原件", phone="13800138000")
    other = ErrorReport.objects.create(guide=guides["other"], part="place", message="公安窗口已经搬到二楼")
    return {"own": own, "other": other}


def login(client, accounts, name):  # noqa: F811
    client.force_login(accounts[name])
    return client


def listed(client) -> str:
    response = client.get("/admin/error_reports/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_department_sees_only_its_guides_reports(client, accounts, reports):  # noqa: F811
    for name in ("editor", "approver"):
        html = listed(login(client, accounts, name))
        assert "营业执照应为原件" in html
        assert "公安窗口已经搬到二楼" not in html
        assert client.get(f"/admin/error_reports/edit/{reports['own'].pk}/").status_code == 200
        assert client.get(f"/admin/error_reports/edit/{reports['other'].pk}/").status_code == 403
        posted = client.post(
            f"/admin/error_reports/edit/{reports['other'].pk}/", {"status": "rejected", "reply_note": "不是我们的"}
        )
        assert posted.status_code == 403
        assert ErrorReport.objects.get(pk=reports["other"].pk).status == ReportStatus.NEW
        assert client.get(f"/admin/error_reports/history/{reports['other'].pk}/").status_code == 403


def test_the_model_layer_scopes_the_reports(accounts, reports):  # noqa: F811
    visible = lambda name: set(ErrorReport.objects.visible_to(accounts[name]))  # noqa: E731
    assert visible("editor") == visible("approver") == {reports["own"]}
    assert visible("reviewer") == visible("admin") == visible("author") == {reports["own"], reports["other"]}


def test_the_centre_and_administrators_see_every_report(client, accounts, reports):  # noqa: F811
    for name in ("reviewer", "admin"):
        html = listed(login(client, accounts, name))
        assert "营业执照应为原件" in html and "公安窗口已经搬到二楼" in html
        assert client.get(f"/admin/error_reports/edit/{reports['other'].pk}/").status_code == 200


def test_people_without_a_role_get_no_inbox(client, django_user_model, reports):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("visitor", "v@example.invalid", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.get("/admin/error_reports/").status_code == 403 or "营业执照" not in client.get("/admin/error_reports/").content.decode()
    assert client.get(f"/admin/error_reports/edit/{reports['own'].pk}/").status_code in (302, 403)


def test_an_editor_sets_the_status_and_a_reply_note(client, accounts, reports):  # noqa: F811
    login(client, accounts, "editor")
    response = client.post(
        f"/admin/error_reports/edit/{reports['own'].pk}/",
        {"status": "fixed", "reply_note": "已改为原件 1 份"},
    )
    assert response.status_code == 302
    report = ErrorReport.objects.get(pk=reports["own"].pk)
    assert (report.status, report.reply_note, report.handled_by) == ("fixed", "已改为原件 1 份", accounts["editor"])
    # What the citizen sent cannot be changed here.
    client.post(
        f"/admin/error_reports/edit/{reports['own'].pk}/",
        {"status": "fixed", "reply_note": "x", "message": "改写", "phone": "000"},
    )
    report.refresh_from_db()
    assert (report.message, report.phone) == ("营业执照应为原件", "13800138000")


def test_the_inbox_filters_by_status_department_and_guide(client, accounts, reports, guides):  # noqa: F811
    ErrorReport.objects.filter(pk=reports["own"].pk).update(status="in_progress")
    login(client, accounts, "reviewer")
    by_status = client.get("/admin/error_reports/", {"status": "in_progress"}).content.decode()
    assert "营业执照应为原件" in by_status and "公安窗口" not in by_status
    department = guides["other"].department_id
    by_department = client.get("/admin/error_reports/", {"department": department}).content.decode()
    assert "公安窗口" in by_department and "营业执照应为原件" not in by_department
    by_guide = client.get("/admin/error_reports/", {"guide": guides["own"].pk}).content.decode()
    assert "营业执照应为原件" in by_guide and "公安窗口" not in by_guide


def test_nobody_adds_or_copies_a_report_and_only_administrators_delete(client, accounts, reports):  # noqa: F811
    login(client, accounts, "reviewer")
    assert client.get("/admin/error_reports/new/").status_code == 403
    assert client.post(f"/admin/error_reports/delete/{reports['own'].pk}/").status_code == 403
    assert ErrorReport.objects.count() == 2
    login(client, accounts, "admin")
    assert client.get("/admin/error_reports/new/").status_code == 403
    assert client.post(f"/admin/error_reports/delete/{reports['own'].pk}/").status_code == 302
    assert ErrorReport.objects.count() == 1


def guide_list(client, **params):
    """The admin's guide list and how many of its queries read the votes."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/guides/", params)
    assert response.status_code == 200
    return response.content.decode(), sum("feedback_usefulnesstally" in query["sql"] for query in captured.captured_queries)


def test_the_guide_list_shows_usefulness_without_a_query_per_guide(client, accounts, guides, publish_guide):  # noqa: F811
    from datetime import date

    own, other = guides["own"], guides["other"]
    UsefulnessTally.objects.create(guide=own, day=date(2026, 12, 1), yes=5, no=1)
    UsefulnessTally.objects.create(guide=own, day=date(2026, 12, 2), yes=4, no=2)
    login(client, accounts, "admin")
    html, queries = guide_list(client)
    assert 1 <= queries <= 2  # the list's query (and its count)
    assert "有用率" in html
    assert "75%（12）" in html  # 9 of 12
    assert html.count("—") >= 1  # the other guide has no votes
    for number in range(2, 8):
        publish_guide(code=f"T-JY-{number:04}", name=f"食品经营许可证核发{number}")
        UsefulnessTally.objects.create(guide_id=type(own).objects.get(code=f"T-JY-{number:04}").pk, day=date(2026, 12, 1), yes=number, no=1)
    html, more_queries = guide_list(client)
    assert "86%（7）" in html  # T-JY-0007: 6 of 7
    assert more_queries == queries, "the usefulness column costs a query per guide"
    assert other.title in html
