"""The review workflow end to end: a department editor's checklist change stays off every public
channel until the centre approves it; the change note and the checklist diff reach the reviewer,
then the change log, the webhooks and the Atom feed. Four eyes, major and minor changes, the
effective date and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import PageLogEntry, TaskState

from feed.models import ChangeEvent, WebhookDelivery, WebhookSubscription
from guides.models import GuidePage, RevisionChangeNote
from tests.editorial.conftest import browser_form_data, client_for, edit_data, now_minute

pytestmark = pytest.mark.django_db

NOTE = "营业执照复印件由 1 份改为 2 份"


def submit_checklist_change(client, page, *, note=NOTE, effective=None, copies="2"):
    data = edit_data(client, page)
    data["materials-1-copy_count"] = copies
    data["change_note"] = note
    data["go_live_at"] = effective if effective is not None else now_minute()
    data["action-submit"] = "action-submit"
    return client.post(f"/admin/pages/{page.pk}/edit/", data)


def approve(client, page, comment=""):
    task_state = GuidePage.objects.get(pk=page.pk).current_workflow_task_state
    return client.post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/", {"comment": comment})


def live_copies(client, page) -> int:
    data = client.get(f"/api/v1/guides/{page.code}/").json()
    return data["materials"][1]["copies"]


def test_a_checklist_change_goes_live_only_when_the_centre_approves_it_with_its_note_and_diff(guides, accounts):
    page = guides["own"]
    WebhookSubscription.objects.create(name="受理系统", url="http://127.0.0.1:9/hook")
    editor, approver, reviewer = (client_for(accounts[name]) for name in ("editor", "approver", "reviewer"))
    public = Client()
    fingerprint = page.checklist_fingerprint

    response = submit_checklist_change(editor, page)
    assert response.status_code == 302, response.content.decode()[:3000]
    page.refresh_from_db()
    assert page.workflow_in_progress and page.current_workflow_task.name == "部门审核"
    assert live_copies(public, page) == 1 and page.checklist_fingerprint == fingerprint

    # 部门审核: the department's approver; still not live.
    assert approve(approver, page).status_code == 302
    page.refresh_from_db()
    assert page.current_workflow_task.name == "中心审核"
    assert live_copies(public, page) == 1
    assert not ChangeEvent.objects.filter(guide=page, kind=ChangeEvent.Kind.CHECKLIST_CHANGED, checklist_version=2).exists()

    # The reviewer's queue lists it under its department, with its age.
    queue = reviewer.get("/admin/editorial/queue/").content.decode()
    assert page.department.name in queue and page.code in queue and 'data-age-days="0"' in queue
    # The review screen shows the change note and the checklist diff against the live version.
    review = reviewer.get(f"/admin/editorial/review/{page.pk}/").content.decode()
    assert NOTE in review
    assert 'data-checklist-change="major"' in review
    assert "材料“营业执照”：复印件份数：1 → 2" in review

    assert approve(reviewer, page, comment="同意").status_code == 302
    page.refresh_from_db()
    assert not page.workflow_in_progress
    assert page.checklist_version == 2 and page.checklist_fingerprint != fingerprint
    assert live_copies(public, page) == 2
    assert page.last_reviewed_at is not None

    event = ChangeEvent.objects.get(guide=page, kind=ChangeEvent.Kind.CHECKLIST_CHANGED, checklist_version=2)
    assert event.change_note == NOTE
    assert event.changes["materials"]["changed"] == [
        {"name": "营业执照", "fields": [{"field": "copies", "old": 1, "new": 2}]}
    ]
    delivered = WebhookDelivery.objects.filter(event=event).count()
    assert delivered == 1
    payload = public.get("/api/v1/changes/").json()["events"][-1]
    assert (payload["type"], payload["change_note"]) == ("checklist_changed", NOTE)
    assert payload["changes"]["materials"]["changed"][0]["name"] == "营业执照"
    atom = public.get("/changes.atom").content.decode()
    assert NOTE in atom and "复印件份数：1 → 2" in atom

    # Every review action is in the audit log, with who took it.
    actions = list(
        PageLogEntry.objects.filter(page=page, action__startswith="wagtail.workflow").values_list("action", "user__username")
    )
    assert ("wagtail.workflow.start", "editor") in actions
    assert ("wagtail.workflow.approve", "approver") in actions
    assert ("wagtail.workflow.approve", "reviewer") in actions


def test_a_checklist_change_without_a_note_or_an_effective_date_is_not_submitted(guides, accounts):
    page = guides["own"]
    editor = client_for(accounts["editor"])
    response = submit_checklist_change(editor, page, note="", effective="")
    assert response.status_code == 200
    html = response.content.decode()
    assert "受理清单有变化，请填写变更说明" in html and "受理清单有变化，请填写生效时间" in html
    page.refresh_from_db()
    assert not page.workflow_in_progress
    yesterday = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert "生效时间不能早于今天" in submit_checklist_change(editor, page, effective=yesterday).content.decode()


def test_a_prose_change_is_minor_keeps_the_version_and_needs_no_note(guides, accounts):
    page = guides["own"]
    editor, approver, reviewer = (client_for(accounts[name]) for name in ("editor", "approver", "reviewer"))
    data = edit_data(editor, page)
    data["summary"] = "新的事项简介"
    data["action-submit"] = "action-submit"
    assert editor.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    panel = editor.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert 'data-checklist-change="minor"' in panel and "仍为第 1 版" in panel
    review = reviewer.get(f"/admin/editorial/review/{page.pk}/").content.decode()
    assert "一般变更" in review
    approve(approver, page)
    approve(reviewer, page)
    page.refresh_from_db()
    assert page.summary == "新的事项简介" and page.checklist_version == 1
    assert not ChangeEvent.objects.filter(guide=page, kind=ChangeEvent.Kind.CHECKLIST_CHANGED, checklist_version=2).exists()


def test_whoever_wrote_or_submitted_the_change_cannot_approve_it(guides, accounts):
    from editorial.models import Role
    from editorial.roles import grant_department_role

    page = guides["own"]
    approver = accounts["approver"]
    # The approver writes and submits a change: they may reject it, never approve it.
    client = client_for(approver)
    assert submit_checklist_change(client, page).status_code == 302
    page.refresh_from_db()
    task = page.current_workflow_task
    assert [name for name, _label, _modal in task.get_actions(page, approver)] == ["reject"]
    assert approve(client, page).status_code == 403
    page.refresh_from_db()
    assert page.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
    # The task itself refuses, whatever view or code asks it.
    with pytest.raises(PermissionDenied):
        task.on_action(page.current_workflow_task_state, approver, "approve")
    # Nor through the edit view's approve button.
    data = edit_data(client, page)
    data["action-workflow-action"] = "true"
    data["workflow-action-name"] = "approve"
    assert client.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 403
    # Another approver of the department may.
    grant_department_role(accounts["approver2"], page.department, Role.APPROVER)
    assert approve(client_for(accounts["approver2"]), page).status_code == 302
    page.refresh_from_db()
    assert page.current_workflow_task.name == "中心审核"

    # A reviewer who edits during the centre review took part in the change.
    reviewer = client_for(accounts["reviewer"])
    data = edit_data(reviewer, page)
    data["summary"] = "中心审核时改了简介"
    assert reviewer.post(f"/admin/pages/{page.pk}/edit/", data).status_code == 302
    assert approve(reviewer, page).status_code == 403
    assert GuidePage.objects.get(pk=page.pk).checklist_version == 1


def test_a_task_state_of_another_guide_cannot_be_approved_through_this_one(guides, accounts):
    """Wagtail's workflow action view takes the task state from the URL: the task checks that the
    state is the one in progress on the guide the reviewer may review."""
    own, other = guides["own"], guides["other"]
    author = accounts["author"]
    for page in (own, other):
        assert submit_checklist_change(client_for(author), page).status_code == 302
    other_state = GuidePage.objects.get(pk=other.pk).current_workflow_task_state
    approver = client_for(accounts["approver"])
    response = approver.post(f"/admin/pages/workflow/action/{own.pk}/approve/{other_state.pk}/", {"comment": ""})
    assert response.status_code == 403
    assert TaskState.objects.get(pk=other_state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_the_change_note_belongs_to_its_revision_not_to_the_next_draft(guides, accounts):
    page = guides["own"]
    editor, approver, reviewer = (client_for(accounts[name]) for name in ("editor", "approver", "reviewer"))
    submit_checklist_change(editor, page)
    approve(approver, page)
    approve(reviewer, page)
    page.refresh_from_db()
    assert RevisionChangeNote.text_of(page.live_revision_id) == NOTE
    assert page.published_change_note == NOTE

    # The next draft starts without a note (and without the old effective date).
    form = editor.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    data = browser_form_data(form)
    assert data["change_note"] == "" and data.get("go_live_at", "") == ""
    data["summary"] = "只改简介"
    data["action-submit"] = "action-submit"
    editor.post(f"/admin/pages/{page.pk}/edit/", data)
    page.refresh_from_db()
    assert RevisionChangeNote.text_of(page.latest_revision_id) == ""
    approve(approver, page)
    approve(reviewer, page)
    published = ChangeEvent.objects.filter(guide=page, kind=ChangeEvent.Kind.PUBLISHED).order_by("-id").first()
    assert published.change_note == ""
    assert GuidePage.objects.get(pk=page.pk).published_change_note == ""


def test_a_future_effective_date_publishes_the_approved_change_on_that_date(guides, accounts):
    page = guides["own"]
    editor, approver, reviewer = (client_for(accounts[name]) for name in ("editor", "approver", "reviewer"))
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%d 09:00")
    assert submit_checklist_change(editor, page, effective=tomorrow).status_code == 302
    approve(approver, page)
    approve(reviewer, page)
    page.refresh_from_db()
    assert page.checklist_version == 1 and live_copies(Client(), page) == 1
    scheduled = page.scheduled_revision
    assert scheduled is not None and timezone.localtime(scheduled.approved_go_live_at).hour == 9

    # The day comes (the revision's effective date and its approval move into the past).
    past = timezone.now() - dt.timedelta(minutes=1)
    scheduled.content["go_live_at"] = past.isoformat()
    scheduled.approved_go_live_at = past
    scheduled.save(update_fields=["content", "approved_go_live_at"])
    call_command("publish_scheduled", verbosity=0)
    page.refresh_from_db()
    assert page.checklist_version == 2 and live_copies(Client(), page) == 2
    event = ChangeEvent.objects.get(guide=page, kind=ChangeEvent.Kind.CHECKLIST_CHANGED, checklist_version=2)
    assert event.change_note == NOTE
