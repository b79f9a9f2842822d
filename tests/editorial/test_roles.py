"""Granting roles (commands and the admin screen), the role API other code asks, the demo
accounts, and what nobody below administrator may do."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from editorial.models import EditorialGroup, Role
from editorial.roles import roles_of
from guides.models import DepartmentFolderPage

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_grant_department_and_grant_centre_assign_and_revoke_roles(guides):
    User = get_user_model()
    user = User.objects.create_user("wang", password="pw")
    own = guides["own"].department
    out = StringIO()
    call_command("grant_department", "wang", own.code, "--role", "editor", stdout=out)
    assert "已授予 wang 角色" in out.getvalue()
    call_command("grant_department", "wang", guides["other"].department.code, "--role", "approver", stdout=out)
    call_command("grant_centre", "wang", "--role", "reviewer", stdout=out)
    roles = roles_of(fresh(user))
    assert roles.editor_of == {own.pk} and roles.approver_of == {guides["other"].department_id}
    assert roles.is_centre_reviewer
    # Granting twice changes nothing.
    call_command("grant_department", "wang", own.code, "--role", "editor", stdout=out)
    assert EditorialGroup.objects.filter(role=Role.EDITOR, department=own).count() == 1
    assert fresh(user).groups.count() == 3

    call_command("grant_centre", "wang", "--role", "reviewer", "--revoke", stdout=out)
    assert "已撤销" in out.getvalue()
    assert not roles_of(fresh(user)).is_centre_reviewer

    with pytest.raises(CommandError, match="没有用户名"):
        call_command("grant_department", "nobody", own.code, "--role", "editor")
    with pytest.raises(CommandError, match="没有编码"):
        call_command("grant_department", "wang", "NOPE", "--role", "editor")
    with pytest.raises(CommandError):
        call_command("grant_department", "wang", own.code, "--role", "reviewer")


def test_a_department_role_is_group_page_permissions_on_the_departments_folder(guides, accounts):
    from wagtail.models import GroupPagePermission

    folder = DepartmentFolderPage.objects.get(department=guides["own"].department)
    group = EditorialGroup.objects.get(role=Role.EDITOR, department=guides["own"].department).group
    granted = set(GroupPagePermission.objects.filter(group=group).values_list("page_id", "permission__codename"))
    assert granted == {(folder.pk, "add_page"), (folder.pk, "change_page")}
    reviewer_group = EditorialGroup.objects.get(role=Role.REVIEWER).group
    pages = set(GroupPagePermission.objects.filter(group=reviewer_group).values_list("page_id", flat=True))
    assert pages == {folder.get_parent().pk}


def test_the_role_api_answers_in_one_query(guides, accounts, django_assert_num_queries):
    own, other = guides["own"].department, guides["other"].department
    author = fresh(accounts["author"])
    with django_assert_num_queries(1):
        roles = roles_of(author)
        assert roles.can_edit(own.pk) and roles.can_edit(other.pk)
        assert not roles.can_approve(own.pk) and not roles.is_centre_reviewer
        roles_of(author)  # remembered on the user object
    assert set(roles.editable_departments()) == {own, other}
    approver = roles_of(fresh(accounts["approver"]))
    assert approver.can_approve(own.pk) and not approver.can_approve(other.pk)
    assert list(approver.approvable_departments()) == [own]
    reviewer = roles_of(fresh(accounts["reviewer"]))
    assert reviewer.is_centre_reviewer and reviewer.can_edit(other.pk) and not reviewer.can_approve(own.pk)
    assert reviewer.editable_departments().count() == 2
    admin = roles_of(fresh(accounts["admin"]))
    assert admin.is_administrator and admin.can_approve(other.pk)


def test_administrators_grant_and_revoke_roles_on_the_role_screen(guides, accounts):
    admin = Client()
    admin.force_login(accounts["admin"])
    user = get_user_model().objects.create_user("li", password="pw")
    own = guides["own"].department
    page = admin.get("/admin/editorial/roles/")
    assert page.status_code == 200 and "部门编辑" in page.content.decode()
    response = admin.post("/admin/editorial/roles/", {"user": user.pk, "role": "approver", "department": own.pk})
    assert response.status_code == 302
    assert roles_of(fresh(user)).approver_of == {own.pk}
    # A department role needs a department.
    response = admin.post("/admin/editorial/roles/", {"user": user.pk, "role": "editor"})
    assert response.status_code == 200 and "请选择部门" in response.content.decode()
    group = EditorialGroup.objects.get(role=Role.APPROVER, department=own)
    assert admin.post("/admin/editorial/roles/", {"revoke": group.pk, "user": user.pk}).status_code == 302
    assert not roles_of(fresh(user)).approver_of
    from wagtail.models import ModelLogEntry

    logged = ModelLogEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True)
    assert {"editorial.grant_role", "editorial.revoke_role"} <= set(logged)


@pytest.mark.parametrize("role", ["editor", "approver", "reviewer"])
def test_nobody_below_administrator_changes_users_groups_or_roles(guides, accounts, role):
    client = Client()
    user = accounts[role]
    client.force_login(user)
    for url in ("/admin/users/", f"/admin/users/edit/{user.pk}/", "/admin/groups/", "/admin/editorial/roles/"):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/admin/users/edit/{user.pk}/",
        {"username": user.username, "email": "x@example.invalid", "is_superuser": "on", "is_active": "on"},
    )
    assert response.status_code == 403
    assert client.post("/admin/editorial/roles/", {"user": user.pk, "role": "reviewer"}).status_code == 403
    assert not fresh(user).is_superuser
    if role != "reviewer":
        assert not roles_of(fresh(user)).is_centre_reviewer
