"""The quality gate in the admin and the model layer: a guide with blocking findings
(guides.domain.lint) is saved as a draft but neither submitted nor published, whoever asks and
however; warnings show in the edit view; the guide list shows and filters the lint status."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import WorkflowState

from guides.models import GuidePage
from guides.quality import PublicationRefused, gate_waived
from tests.conftest import jsonl, make_record
from tests.editorial.conftest import client_for, edit_data, now_minute

pytestmark = pytest.mark.django_db

CATCH_ALL = "其他相关材料"


def with_catch_all(client, page, **actions):
    data = edit_data(client, page)
    data["materials-0-name"] = CATCH_ALL
    data["change_note"] = "材料调整"
    data["go_live_at"] = now_minute()
    for name, value in actions.items():
        data[name] = value
    return client.post(f"/admin/pages/{page.pk}/edit/", data)


def catch_all_draft(page, user):
    draft = page.get_latest_revision_as_object()
    materials = list(draft.materials.all())
    materials[0].name = CATCH_ALL
    draft.materials = materials
    return draft.save_revision(user=user)


def test_publishing_a_guide_with_blocking_findings_is_refused_on_its_fields(guides, accounts):
    page = guides["own"]
    reviewer = client_for(accounts["reviewer"])
    response = with_catch_all(reviewer, page, **{"action-publish": "action-publish"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "L101" in html and CATCH_ALL in html
    # Every problem at once: the checklist change's missing note beside the finding.
    html = with_catch_all(reviewer, page, change_note="", **{"action-publish": "action-publish"}).content.decode()
    assert "受理清单有变化，请填写变更说明" in html and "L101" in html
    page.refresh_from_db()
    assert page.live_revision.as_object().materials.first().name == "食品经营许可申请书"
    assert not page.has_unpublished_changes


def test_a_draft_with_blocking_findings_is_saved_but_not_submitted(guides, accounts):
    page = guides["own"]
    editor = client_for(accounts["editor"])
    data = edit_data(editor, page)
    data["materials-0-name"] = CATCH_ALL
    assert editor.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    page.refresh_from_db()
    assert page.has_unpublished_changes and (page.lint_blocking, page.lint_warnings) == (1, 4)

    data = edit_data(editor, page)
    data["change_note"] = "材料调整"
    data["go_live_at"] = now_minute()
    data["action-submit"] = "action-submit"
    response = editor.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200
    assert re.search(r"L101 材料“其他相关材料”使用了兜底表述", response.content.decode())
    assert not WorkflowState.objects.filter(object_id=str(page.pk)).exists()


def test_the_edit_view_shows_blocking_findings_and_warnings(guides, accounts):
    page = guides["own"]
    catch_all_draft(page, accounts["editor"])
    html = client_for(accounts["editor"]).get(f"/admin/pages/{page.pk}/edit/").content.decode()
    panel = re.search(r'<div class="help-block[^"]*" data-lint-findings data-blocking="(\d+)" data-warnings="(\d+)">(.*?)</div>', html, re.S)
    assert panel and panel.groups()[:2] == ("1", "4")
    assert re.findall(r'data-lint-code="(L\d+)"', panel.group(3)) == ["L101", "L104", "L104", "L104", "L104"]
    assert "改正后才能提交审核或发布" in panel.group(3) and "没有填写受理标准" in panel.group(3)


def test_the_model_layer_refuses_publication_and_submission(guides, accounts):
    page = guides["own"]
    revision = catch_all_draft(page, accounts["editor"])
    with pytest.raises(PublicationRefused) as refused:
        revision.publish(user=accounts["reviewer"])
    assert [finding.code for finding in refused.value.findings] == ["L101"]
    page.refresh_from_db()
    assert page.live_revision_id != revision.pk

    with pytest.raises(PublicationRefused):
        page.get_workflow().start(page, accounts["editor"])
    assert not WorkflowState.objects.filter(object_id=str(page.pk)).exists()

    # The edit view publishes through Wagtail's action, past GuidePage.publish: its hook refuses too.
    from guides.wagtail_hooks import refuse_guides_with_blocking_findings

    with pytest.raises(PublicationRefused):
        refuse_guides_with_blocking_findings(None, revision.as_object())
    with gate_waived():
        revision.publish(user=accounts["reviewer"])
    page.refresh_from_db()
    assert page.live_revision_id == revision.pk


def test_a_guide_approved_by_its_department_is_refused_the_centre_review_if_it_went_bad(guides, accounts):
    """A submission made before a rule existed (or a revision written by code) stops when the
    next review task would start."""
    page = guides["own"]
    catch_all_draft(page, accounts["editor"])
    with gate_waived():
        page.get_workflow().start(page, accounts["editor"])
    page.refresh_from_db()
    task_state = page.current_workflow_task_state
    approver = client_for(accounts["approver"])
    response = approver.post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/", {"comment": ""})
    assert response.status_code == 403
    page.refresh_from_db()
    assert page.current_workflow_task.name == "部门审核"


def test_the_guide_list_shows_and_filters_the_lint_status(guides, accounts):
    reviewer = client_for(accounts["reviewer"])
    catch_all_draft(guides["own"], accounts["editor"])
    GuidePage.objects.filter(pk=guides["other"].pk).update(lint_blocking=None, lint_warnings=None)

    html = reviewer.get("/admin/guides/").content.decode()
    assert "质量检查" in html
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    (own,) = [row for row in rows if "T-JY-0001" in row]
    (other,) = [row for row in rows if "T-GM-0001" in row]
    assert "阻断 1 · 提醒 4" in own and "未检查" in other

    def codes(value):
        listing = reviewer.get("/admin/guides/", {"lint_status": value}).content.decode()
        return sorted(set(re.findall(r"T-(?:JY|GM)-0001", listing)))

    assert codes("blocking") == ["T-JY-0001"]
    assert codes("unchecked") == ["T-GM-0001"]
    assert codes("clean") == [] and codes("warnings") == []
    GuidePage.objects.filter(pk=guides["other"].pk).update(lint_blocking=0, lint_warnings=2)
    assert codes("warnings") == ["T-GM-0001"]
    GuidePage.objects.filter(pk=guides["other"].pk).update(lint_warnings=0)
    assert codes("clean") == ["T-GM-0001"]
    assert "通过" in reviewer.get("/admin/guides/", {"lint_status": "clean"}).content.decode()


def test_the_lint_status_column_costs_no_query_per_guide(guides, accounts):
    from guides.importer import import_guides

    reviewer = client_for(accounts["reviewer"])
    reviewer.get("/admin/guides/")  # (warm: content types, site, permissions)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reviewer.get("/admin/guides/").status_code == 200
        return len(captured)

    two = queries()
    import_guides(jsonl(*(make_record(code=f"T-JY-01{n:02d}") for n in range(6))), publish=True)
    assert GuidePage.objects.count() == 8
    assert queries() == two


def test_the_dashboard_counts_findings_by_the_viewers_departments(guides, accounts):
    GuidePage.objects.filter(pk=guides["own"].pk).update(lint_blocking=2, lint_warnings=1)
    GuidePage.objects.filter(pk=guides["other"].pk).update(lint_blocking=None, lint_warnings=None)
    own, other = guides["own"].department, guides["other"].department

    def section(user) -> str:
        html = client_for(user).get("/admin/").content.decode()
        start = html.find('id="dashboard-lint"')
        assert start >= 0, "no lint section on the dashboard"
        return html[start : html.find("</section>", start)]

    editor = section(accounts["editor"])
    assert own.display_name in editor and other.display_name not in editor
    assert f"/admin/guides/?department={own.pk}&amp;lint_status=blocking" in editor
    # Guides counted (one guide with two blocking findings), not findings.
    rows = re.findall(r"<tr>.*?</tr>", editor.split("<tbody>")[1], re.S)
    assert [re.findall(r">(\d+)<", row) for row in rows] == [["1", "0", "0"]]

    reviewer = section(accounts["reviewer"])
    assert own.display_name in reviewer and other.display_name in reviewer
    assert f"/admin/guides/?department={other.pk}&amp;lint_status=unchecked" in reviewer
    # Filtered from the dashboard's link, the list shows that department's blocked guides.
    listing = client_for(accounts["reviewer"]).get("/admin/guides/", {"department": own.pk, "lint_status": "blocking"})
    assert guides["own"].code in listing.content.decode() and guides["other"].code not in listing.content.decode()

    GuidePage.objects.filter(pk=guides["own"].pk).update(lint_blocking=0, lint_warnings=0)
    assert "所有指南均已通过质量检查" in section(accounts["editor"])
