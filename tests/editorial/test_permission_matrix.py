"""The permission matrix: every role × own/other department × every editorial action, decided by
Wagtail's permission tester (and the workflow task) and by the real admin views, against the
outcome the editorial rules expect; and every role × the actions on a one-thing journey, which
spans departments, so that only the centre edits it. An escape is an action allowed where it
must be refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from wagtail.models import Page, TaskState

from tests.editorial.conftest import MATRIX_RESULTS, OTHER, OWN, browser_form_data, write_draft

pytestmark = pytest.mark.django_db

ROLES = ("editor", "approver", "reviewer", "admin")
SCOPES = ("own", "other")
ACTIONS = (
    "view_draft", "edit", "submit", "approve_department", "approve_centre", "publish", "unpublish",
    "delete", "move", "revert", "copy",
)
CENTRE = ("reviewer", "admin")
# On a journey: decided by the tester; the admin's views are asked all but "publish" (publishing
# from the editor posts the journey's whole StreamField form, which the tester decides the same).
JOURNEY_ACTIONS = ("view_draft", "edit", "publish", "unpublish", "delete")
JOURNEY_ADMIN_ACTIONS = ("view_draft", "edit", "unpublish", "delete")
JOURNEY = {
    "slug": "kaidian", "title": "开店一件事", "audience": "business", "intro": "开一家店要办的事。",
    "steps": [{"title": "营业执照", "logic": "and", "members": [[OWN, "required"]]},
              {"title": "其他", "logic": "and", "members": [[OTHER, "optional"]]}],
}


def expected(role: str, scope: str, action: str) -> bool:
    in_department = role in CENTRE or scope == "own"
    if action in ("view_draft", "edit", "submit", "revert"):
        return in_department
    if action == "approve_department":
        return role == "admin" or (role == "approver" and scope == "own")
    if action in ("approve_centre", "publish", "unpublish", "delete", "move"):
        return role in CENTRE
    if action == "copy":  # a guide's code is unique: nobody copies a guide
        return False
    raise AssertionError(action)


@dataclass
class Case:
    role: str
    scope: str
    action: str
    page: Page
    destination: Page
    draft_revision_id: int
    first_revision_id: int


def prepare(action: str, page, destination, accounts) -> Case:
    """The state an action needs: an unpublished draft by the author, and for the approvals a
    submission at the department step or (approved there) at the centre step."""
    first = page.revisions.order_by("pk").first()
    draft = write_draft(page, accounts["author"], summary="草稿：新的事项简介")
    if action in ("approve_department", "approve_centre"):
        page.refresh_from_db()
        state = page.get_workflow().start(page, accounts["author"])
        if action == "approve_centre":
            state.current_task_state.approve(user=accounts["approver2"])
    page.refresh_from_db()
    return Case("", "", action, page, destination, draft.pk, first.pk)


def decided_by_tester(case: Case, user) -> bool:
    page = Page.objects.get(pk=case.page.pk).specific
    perms = page.permissions_for_user(user)
    action = case.action
    if action == "view_draft":
        return perms.can_edit() or perms.can_publish()
    if action in ("edit", "revert"):
        return perms.can_edit()
    if action == "submit":
        return perms.can_edit() and perms.can_submit_for_moderation()
    if action in ("approve_department", "approve_centre"):
        task = page.current_workflow_task
        return "approve" in {name for name, _label, _modal in task.get_actions(page, user)}
    if action == "publish":
        return perms.can_publish()
    if action == "unpublish":
        return perms.can_unpublish()
    if action == "delete":
        return perms.can_delete()
    if action == "move":
        return perms.can_move_to(case.destination)
    if action == "copy":
        return perms.can_copy()
    raise AssertionError(action)


def _verdict(statuses: list[int], effect: bool | None, what: str) -> bool:
    """Allowed: every request succeeded and the effect is there; refused: every request
    answered 403 and nothing changed. Anything else is a bug in itself."""
    if all(status == 403 for status in statuses) and not effect:
        return False
    if all(status in (200, 302) for status in statuses) and effect in (True, None):
        return True
    raise AssertionError(f"{what}: inconsistent answer {statuses}, effect {effect}")


def decided_by_admin(case: Case, client: Client, admin: Client, user) -> bool:
    page = case.page
    pk = page.pk
    action = case.action
    edit_url = f"/admin/pages/{pk}/edit/"

    def revisions():
        return page.revisions.count()

    if action == "view_draft":
        statuses = [
            client.get(f"/admin/pages/{pk}/revisions/{case.draft_revision_id}/view/").status_code,
            client.get(f"/admin/pages/{pk}/edit/preview/").status_code,
            client.get(f"/admin/pages/{pk}/history/").status_code,
        ]
        return _verdict(statuses, None, action)
    if action in ("edit", "submit", "publish"):
        data = browser_form_data(admin.get(edit_url).content.decode())
        data["summary"] = f"{user.username} 的修改"
        if action != "edit":
            data[f"action-{action}"] = f"action-{action}"
        before = revisions()
        # (opening the editor is the "edit" action; submitting and publishing are the posts)
        statuses = [client.get(edit_url).status_code] if action == "edit" else []
        statuses.append(client.post(edit_url, data).status_code)
        page.refresh_from_db()
        if action == "edit":
            effect = revisions() > before
        elif action == "submit":
            effect = page.workflow_in_progress
        else:
            effect = page.live_revision_id == page.latest_revision_id and revisions() > before
        return _verdict(statuses, effect, action)
    if action in ("approve_department", "approve_centre"):
        task_state = page.current_workflow_task_state
        url = f"/admin/pages/workflow/action/{pk}/approve/{task_state.pk}/"
        statuses = [client.post(url, {"comment": ""}).status_code]
        effect = TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_APPROVED
        return _verdict(statuses, effect, action)
    if action == "unpublish":
        statuses = [client.post(f"/admin/pages/{pk}/unpublish/").status_code]
        page.refresh_from_db()
        return _verdict(statuses, not page.live, action)
    if action == "delete":
        statuses = [client.post(f"/admin/pages/{pk}/delete/").status_code]
        return _verdict(statuses, not Page.objects.filter(pk=pk).exists(), action)
    if action == "move":
        url = f"/admin/pages/{pk}/move/{case.destination.pk}/confirm/"
        statuses = [client.get(url).status_code, client.post(url).status_code]
        moved = Page.objects.get(pk=pk).get_parent().pk == case.destination.pk
        return _verdict(statuses, moved, action)
    if action == "revert":
        url = f"/admin/pages/{pk}/revisions/{case.first_revision_id}/revert/"
        admin_form = admin.get(url)
        data = browser_form_data(admin_form.content.decode())
        before = revisions()
        statuses = [client.get(url).status_code, client.post(url, data).status_code]
        return _verdict(statuses, revisions() > before, action)
    if action == "copy":
        statuses = [client.get(f"/admin/pages/{pk}/copy/").status_code]
        return _verdict(statuses, None, action)
    raise AssertionError(action)


def journey_decided_by_tester(journey, action: str, user) -> bool:
    perms = Page.objects.get(pk=journey.pk).specific.permissions_for_user(user)
    if action == "view_draft":
        return perms.can_edit() or perms.can_publish()
    return {"edit": perms.can_edit, "publish": perms.can_publish, "unpublish": perms.can_unpublish,
            "delete": perms.can_delete}[action]()


def journey_decided_by_admin(journey, action: str, client: Client, draft_revision_id: int) -> bool:
    pk = journey.pk
    if action == "view_draft":
        statuses = [
            client.get(f"/admin/pages/{pk}/revisions/{draft_revision_id}/view/").status_code,
            client.get(f"/admin/pages/{pk}/history/").status_code,
        ]
        return _verdict(statuses, None, f"journey {action}")
    if action == "edit":
        return _verdict([client.get(f"/admin/pages/{pk}/edit/").status_code], None, f"journey {action}")
    if action == "unpublish":
        statuses = [client.post(f"/admin/pages/{pk}/unpublish/").status_code]
        return _verdict(statuses, not Page.objects.get(pk=pk).live, f"journey {action}")
    if action == "delete":
        statuses = [client.post(f"/admin/pages/{pk}/delete/").status_code]
        return _verdict(statuses, not Page.objects.filter(pk=pk).exists(), f"journey {action}")
    raise AssertionError(action)


def journey_matrix(accounts) -> tuple[list[str], list[str], int]:
    """Every role on a journey over both departments' guides: the department roles may do
    nothing with it, the centre's reviewer and the administrator everything. The journey index
    is created after the reviewer's role was granted, as load_demo does on an existing site."""
    from portal.demo.loader import add_journey

    journey = add_journey(JOURNEY)
    draft = Page.objects.get(pk=journey.pk).specific
    draft.intro = "草稿：开一家店要办的事，按步骤办理。"
    draft_revision_id = draft.save_revision(user=accounts["admin"]).pk
    mismatches, escapes, cases = [], [], 0
    for role in ROLES:
        user = get_user_model().objects.get(username=accounts[role].username)
        for layer, actions in (("tester", JOURNEY_ACTIONS), ("admin", JOURNEY_ADMIN_ACTIONS)):
            for action in actions:
                with transaction.atomic():
                    if layer == "tester":
                        allowed = journey_decided_by_tester(journey, action, user)
                    else:
                        client = Client()
                        client.force_login(user)
                        allowed = journey_decided_by_admin(journey, action, client, draft_revision_id)
                    transaction.set_rollback(True)
                cache.clear()
                cases += 1
                if allowed != (role in CENTRE):
                    mismatches.append(f"{layer}: {role} {action} (journey) allowed={allowed}, expected {role in CENTRE}")
                    if allowed:
                        escapes.append(mismatches[-1])
    return mismatches, escapes, cases


def test_every_role_in_every_department_may_do_exactly_what_the_rules_say(guides, accounts):
    from guides.models import DepartmentFolderPage, GuidePage

    folders = {scope: DepartmentFolderPage.objects.get(department=guides[scope].department) for scope in SCOPES}
    admin = Client()
    admin.force_login(accounts["admin"])
    mismatches, escapes, cases = [], [], 0
    for role in ROLES:
        for scope in SCOPES:
            for action in ACTIONS:
                destination = folders["other" if scope == "own" else "own"]
                for layer in ("tester", "admin"):
                    with transaction.atomic():
                        page = GuidePage.objects.get(pk=guides[scope].pk)
                        case = prepare(action, page, destination, accounts)
                        user = get_user_model().objects.get(username=accounts[role].username)
                        if layer == "tester":
                            allowed = decided_by_tester(case, user)
                        else:
                            client = Client()
                            client.force_login(user)
                            allowed = decided_by_admin(case, client, admin, user)
                        transaction.set_rollback(True)
                    cache.clear()
                    cases += 1
                    want = expected(role, scope, action)
                    if allowed != want:
                        mismatches.append(f"{layer}: {role} {action} ({scope}) allowed={allowed}, expected {want}")
                        if allowed:
                            escapes.append(mismatches[-1])
    journey_mismatches, journey_escapes, journey_cases = journey_matrix(accounts)
    mismatches += journey_mismatches
    escapes += journey_escapes
    cases += journey_cases
    MATRIX_RESULTS.append((len(escapes), cases))
    print(f"permission matrix: {len(escapes)} escapes over {cases} cases")
    assert cases == len(ROLES) * (len(SCOPES) * len(ACTIONS) * 2 + len(JOURNEY_ACTIONS) + len(JOURNEY_ADMIN_ACTIONS))
    assert not mismatches, "\n".join(mismatches)
