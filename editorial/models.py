"""Editorial roles and the review tasks of the guide workflow."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState


class Role(models.TextChoices):
    EDITOR = "editor", _("部门编辑")
    APPROVER = "approver", _("部门审核人")
    REVIEWER = "reviewer", _("中心审核员")


DEPARTMENT_ROLES = (Role.EDITOR, Role.APPROVER)
CENTRE_ROLES = (Role.REVIEWER,)


class EditorialGroup(models.Model):
    """The Wagtail group that carries one editorial role: a department role (its group holds page
    permissions on the department's folder) or a centre role (on the whole guide index).
    Granting a role is adding the user to its group (editorial.roles)."""

    group = models.OneToOneField(Group, verbose_name=_("用户组"), on_delete=models.CASCADE, related_name="editorial_role")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)
    department = models.ForeignKey(
        "guides.Department", verbose_name=_("部门"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="editorial_groups",
    )

    class Meta:
        verbose_name = _("编审角色")
        verbose_name_plural = _("编审角色")
        constraints = [
            models.UniqueConstraint(fields=["role", "department"], name="editorial_one_group_per_department_role"),
            models.UniqueConstraint(
                fields=["role"], condition=Q(department__isnull=True), name="editorial_one_centre_group_per_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in CENTRE_ROLES], department__isnull=True)
                | Q(role__in=[r.value for r in DEPARTMENT_ROLES], department__isnull=False),
                name="editorial_department_roles_name_a_department",
            ),
        ]

    def __str__(self) -> str:
        return self.group.name


class ReviewTask(Task):
    """A review step of the guide workflow. Who may review is a matter of editorial roles
    (``may_review``); whoever wrote any revision of the change under review, or submitted it,
    may reject it but never approve it (four eyes). Checked in ``on_action``, where Wagtail's
    views (the workflow action view and the edit view's approve buttons) apply an action, so a
    forged request fails as a hidden button does."""

    class Meta:
        abstract = True

    def may_review(self, page, user) -> bool:
        raise NotImplementedError

    @staticmethod
    def _guide(obj):
        return obj.specific if hasattr(obj, "specific") else obj

    def user_can_access_editor(self, obj, user):
        return self.may_review(self._guide(obj), user)

    def locked_for_user(self, obj, user):
        return not self.may_review(self._guide(obj), user)

    def user_can_lock(self, obj, user):
        return self.may_review(self._guide(obj), user)

    def get_actions(self, obj, user):
        from editorial.review import took_part_in_change

        page = self._guide(obj)
        if not self.may_review(page, user):
            return []
        actions = [("reject", _("退回修改"), True)]
        if not took_part_in_change(page, user):
            actions += [("approve", _("通过"), False), ("approve", _("通过并留言"), True)]
        return actions

    def on_action(self, task_state, user, action_name, **kwargs):
        from editorial.review import took_part_in_change

        workflow_state = task_state.workflow_state
        page = self._guide(workflow_state.content_object)
        if (
            task_state.status != TaskState.STATUS_IN_PROGRESS
            or workflow_state.current_task_state_id != task_state.pk
            or task_state.task_id != self.pk
            or not self.may_review(page, user)
        ):
            raise PermissionDenied(_("您不能审核这项提交"))
        if action_name == "approve" and took_part_in_change(page, user):
            raise PermissionDenied(_("您参与了这次修改（撰写或提交），不能审核通过；请由另一位审核人员审核"))
        if action_name not in ("approve", "reject"):
            raise PermissionDenied
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from editorial.review import submissions_for

        return submissions_for(user, task=self)


class DepartmentReviewTask(ReviewTask):
    """部门审核: the approvers of the guide's department (and administrators)."""

    class Meta:
        verbose_name = _("部门审核")
        verbose_name_plural = _("部门审核")

    def may_review(self, page, user) -> bool:
        from editorial.roles import roles_of

        return roles_of(user).can_approve(getattr(page, "department_id", None))

    @classmethod
    def get_description(cls):
        return _("由指南所属部门的审核人审核（撰写或提交修改的人不能审核通过）")


class CentreReviewTask(ReviewTask):
    """中心审核: the centre's reviewers (and administrators)."""

    class Meta:
        verbose_name = _("中心审核")
        verbose_name_plural = _("中心审核")

    def may_review(self, page, user) -> bool:
        from editorial.roles import roles_of

        roles = roles_of(user)
        return roles.is_centre_reviewer or roles.is_administrator

    @classmethod
    def get_description(cls):
        return _("由政务服务中心审核员审核并发布（撰写或提交修改的人不能审核通过）")
