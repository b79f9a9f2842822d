"""Who may do what in which department: the one place other code asks.

    roles = roles_of(request.user)
    roles.can_edit(department_id)        # draft and submit guides of the department
    roles.can_approve(department_id)     # the department's review step
    roles.is_centre_reviewer             # review every department, publish, unpublish, move
    roles.editable_departments()         # Department queryset (every department for the centre)
    roles.approvable_departments()

A role is a membership of a Wagtail group (EditorialGroup) whose page permissions sit on the
department's folder (editors and approvers: add, change) or on the guide index and the journey
index (centre reviewers: add, change, publish, lock, unlock; journeys span departments, so only
the centre edits them, and its reviewers hold ``journeys.manage_journeys``, which the journeys'
permission tester asks for besides). Wagtail's own views check those permissions
(``page.permissions_for_user``), so the admin enforces the roles without relying on buttons.
Administrators are Django superusers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from editorial.models import CENTRE_ROLES, DEPARTMENT_ROLES, EditorialGroup, Role

CACHE_ATTRIBUTE = "_editorial_roles"

DEPARTMENT_PAGE_PERMISSIONS = ("add_page", "change_page")
CENTRE_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
DOCUMENT_PERMISSIONS = ("add_document", "choose_document")
CENTRE_EXTRA_PERMISSIONS = ("guides.change_technical_keys", "journeys.manage_journeys")


@dataclass(frozen=True)
class EditorialRoles:
    is_administrator: bool = False
    is_centre_reviewer: bool = False
    editor_of: frozenset[int] = frozenset()
    approver_of: frozenset[int] = frozenset()

    @property
    def covers_every_department(self) -> bool:
        return self.is_administrator or self.is_centre_reviewer

    @property
    def has_any_role(self) -> bool:
        return self.covers_every_department or bool(self.editor_of or self.approver_of)

    def can_edit(self, department_id: int | None) -> bool:
        """Draft and submit (approvers edit their department's guides too)."""
        if self.covers_every_department:
            return True
        return department_id is not None and department_id in (self.editor_of | self.approver_of)

    def can_approve(self, department_id: int | None) -> bool:
        """The department's review step: its approvers; the centre reviews after it, not for it."""
        if self.is_administrator:
            return True
        return department_id is not None and department_id in self.approver_of

    def editable_departments(self):
        from guides.models import Department

        if self.covers_every_department:
            return Department.objects.all()
        return Department.objects.filter(pk__in=self.editor_of | self.approver_of)

    def approvable_departments(self):
        from guides.models import Department

        if self.is_administrator:
            return Department.objects.all()
        return Department.objects.filter(pk__in=self.approver_of)


NO_ROLES = EditorialRoles()


def roles_of(user) -> EditorialRoles:
    """The editorial roles of ``user`` (one query, remembered on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ROLES
    cached = getattr(user, CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    editor_of, approver_of, reviewer = set(), set(), False
    for role, department_id in EditorialGroup.objects.filter(group__user=user).values_list("role", "department_id"):
        if role == Role.EDITOR:
            editor_of.add(department_id)
        elif role == Role.APPROVER:
            approver_of.add(department_id)
        elif role == Role.REVIEWER:
            reviewer = True
    roles = EditorialRoles(
        is_administrator=user.is_superuser,
        is_centre_reviewer=reviewer,
        editor_of=frozenset(editor_of),
        approver_of=frozenset(approver_of),
    )
    setattr(user, CACHE_ATTRIBUTE, roles)
    return roles


# What Django's auth backend and Wagtail's page permission policy remember on a user object.
PERMISSION_CACHES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_page_permission_cache", "_explorable_root_page_cache")


def forget_roles(user) -> None:
    """Drop what this user object remembers of its roles and permissions (after a change)."""
    for attribute in (CACHE_ATTRIBUTE, *PERMISSION_CACHES):
        user.__dict__.pop(attribute, None)


def _permissions(names):
    permissions = []
    for name in names:
        app_label, _dot, codename = name.rpartition(".")
        query = Permission.objects.filter(codename=codename)
        if app_label:
            query = query.filter(content_type__app_label=app_label)
        permission = query.first()
        if permission is None:
            raise LookupError(f"permission {name} is missing; run migrate")
        permissions.append(permission)
    return permissions


def _grant_admin_basics(group: Group) -> None:
    group.permissions.add(*_permissions(["wagtailadmin.access_admin"]))
    root = Collection.get_first_root_node()
    if root is not None:
        for permission in _permissions(DOCUMENT_PERMISSIONS):
            GroupCollectionPermission.objects.get_or_create(group=group, collection=root, permission=permission)


def _group_name(role: Role, department=None) -> str:
    label = Role(role).label
    return f"{department.name} · {label}" if department is not None else str(label)


@transaction.atomic
def department_group(department, role: str) -> Group:
    """The group of a department role, created (with its page permissions on the department's
    folder) when missing."""
    from guides.folders import department_folder

    role = Role(role)
    if role not in DEPARTMENT_ROLES:
        raise ValueError(f"{role} is not a department role")
    existing = EditorialGroup.objects.filter(role=role, department=department).select_related("group").first()
    if existing is not None:
        return existing.group
    folder = department_folder(department)
    if folder is None:
        raise LookupError(_("站点中没有“办事指南目录”页面，请先运行 load_demo 或在后台创建"))
    group, _created = Group.objects.get_or_create(name=_group_name(role, department))
    _grant_admin_basics(group)
    for permission in _permissions(DEPARTMENT_PAGE_PERMISSIONS):
        GroupPagePermission.objects.get_or_create(group=group, page=folder, permission=permission)
    EditorialGroup.objects.create(group=group, role=role, department=department)
    return group


def _centre_page_permissions(group: Group) -> None:
    """The page permissions of a centre group on the guide index and, once the site has one,
    the journey index (portal.skeleton.ensure_journey_index calls grant_centre_pages)."""
    from guides.models import GuideIndexPage
    from journeys.models import JourneyIndexPage

    for index in (GuideIndexPage.objects.first(), JourneyIndexPage.objects.first()):
        if index is not None:
            for permission in _permissions(CENTRE_PAGE_PERMISSIONS):
                GroupPagePermission.objects.get_or_create(group=group, page=index, permission=permission)


@transaction.atomic
def centre_group(role: str = Role.REVIEWER) -> Group:
    """The group of a centre role, created (with its page permissions on the guide index and
    the journey index) when missing."""
    from guides.models import GuideIndexPage

    role = Role(role)
    if role not in CENTRE_ROLES:
        raise ValueError(f"{role} is not a centre role")
    existing = EditorialGroup.objects.filter(role=role, department__isnull=True).select_related("group").first()
    if existing is not None:
        return existing.group
    if not GuideIndexPage.objects.exists():
        raise LookupError(_("站点中没有“办事指南目录”页面，请先运行 load_demo 或在后台创建"))
    group, _created = Group.objects.get_or_create(name=_group_name(role))
    _grant_admin_basics(group)
    group.permissions.add(*_permissions(CENTRE_EXTRA_PERMISSIONS))
    _centre_page_permissions(group)
    EditorialGroup.objects.create(group=group, role=role)
    return group


@transaction.atomic
def grant_centre_pages() -> None:
    """Give every centre group its page permissions on the indexes the site has now (a journey
    index created after the group)."""
    for editorial_group in EditorialGroup.objects.filter(role__in=CENTRE_ROLES).select_related("group"):
        _centre_page_permissions(editorial_group.group)


def _log_role_change(user, action: str, role: str, department, by) -> None:
    log(
        instance=user,
        action=action,
        user=by,
        data={
            "role": role,
            "role_label": str(Role(role).label),
            "department": {"code": department.code, "name": department.name} if department else None,
        },
    )


@transaction.atomic
def grant_department_role(user, department, role: str, *, by=None) -> Group:
    group = department_group(department, role)
    user.groups.add(group)
    forget_roles(user)
    _log_role_change(user, "editorial.grant_role", role, department, by)
    return group


@transaction.atomic
def grant_centre_role(user, role: str = Role.REVIEWER, *, by=None) -> Group:
    group = centre_group(role)
    user.groups.add(group)
    forget_roles(user)
    _log_role_change(user, "editorial.grant_role", role, None, by)
    return group


@transaction.atomic
def revoke_role(user, role: str, department=None, *, by=None) -> bool:
    """Remove a role; False when the user did not hold it."""
    query = EditorialGroup.objects.filter(role=role, department=department, group__user=user)
    editorial_group = query.select_related("group").first()
    if editorial_group is None:
        return False
    user.groups.remove(editorial_group.group)
    forget_roles(user)
    _log_role_change(user, "editorial.revoke_role", role, department, by)
    return True


def role_holders():
    """(EditorialGroup, user) pairs of every granted role, for the admin's role screen."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    for editorial_group in EditorialGroup.objects.select_related("group", "department").order_by(
        "department__sort_order", "department__name", "role"
    ):
        for user in User.objects.filter(groups=editorial_group.group).order_by("username"):
            yield editorial_group, user
