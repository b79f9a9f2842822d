"""The editors' inbox of error reports (纠错报告) in the Wagtail admin.

Who sees which report is decided in the model layer (``ErrorReport.objects.visible_to``) and by
the permission policy, both from the editorial roles (editorial.roles): department editors and
approvers see and handle the reports of their departments' guides, the centre's reviewers and
administrators every report. The list is that queryset; a report of another department asked for
by its address answers 403. Reports come from citizens only: nobody adds or copies one here, and
only administrators delete one."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from editorial.roles import roles_of
from feedback.models import ErrorReport, ReportStatus


class ErrorReportPermissionPolicy(BasePermissionPolicy):
    """Viewing and changing (status, reply note): anyone with an editorial role, for the reports
    of the departments they edit in; deleting: administrators; adding: nobody."""

    def user_has_permission(self, user, action):
        roles = roles_of(user)
        if action in ("view", "change"):
            return roles.has_any_role
        if action == "delete":
            return roles.is_administrator
        return False

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        return roles_of(user).can_edit(instance.guide.department_id)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.model._default_manager.visible_to(user)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model

        from editorial.models import EditorialGroup

        users = get_user_model().objects.filter(is_active=True)
        if set(actions) & {"view", "change"}:
            return users.filter(is_superuser=True) | users.filter(
                groups__in=EditorialGroup.objects.values("group")
            ).distinct()
        if "delete" in actions:
            return users.filter(is_superuser=True)
        return users.none()


class VisibleReportMixin:
    """The report of the address, if the user may handle it: 403 for another department's."""

    def get_object(self, *args, **kwargs):
        report = super().get_object(*args, **kwargs)
        if not self.permission_policy.user_has_permission_for_instance(self.request.user, "change", report):
            raise PermissionDenied
        return report


def _departments(request):
    return roles_of(request.user).editable_departments()


def _guides(request):
    from guides.models import GuidePage

    return GuidePage.sources.filter(department__in=_departments(request)).order_by("code")


class ErrorReportFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ReportStatus.choices)
    department = django_filters.ModelChoiceFilter(
        label=_("部门"), field_name="guide__department", queryset=_departments
    )
    guide = django_filters.ModelChoiceFilter(label=_("办事指南"), queryset=_guides)

    class Meta:
        model = ErrorReport
        fields = []


class ErrorReportIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().visible_to(self.request.user).select_related("guide__department")


class ErrorReportEditView(VisibleReportMixin, generic.EditView):
    def save_instance(self):
        self.form.instance.handled_by = self.request.user
        return super().save_instance()


class ErrorReportDeleteView(VisibleReportMixin, generic.DeleteView):
    pass


class ErrorReportHistoryView(VisibleReportMixin, history.HistoryView):
    pass


class ErrorReportUsageView(VisibleReportMixin, usage.UsageView):
    pass


class ErrorReportViewSet(ModelViewSet):
    model = ErrorReport
    icon = "warning"
    menu_label = _("纠错报告")
    add_to_admin_menu = True
    menu_order = 160
    index_view_class = ErrorReportIndexView
    edit_view_class = ErrorReportEditView
    delete_view_class = ErrorReportDeleteView
    history_view_class = ErrorReportHistoryView
    usage_view_class = ErrorReportUsageView
    copy_view_enabled = False
    filterset_class = ErrorReportFilterSet
    list_display = [
        DateColumn("created_at", label=_("提交时间"), sort_key="created_at"),
        TitleColumn("excerpt", label=_("问题描述"), url_name="error_reports:edit"),
        Column("guide", label=_("办事指南"), accessor="guide.title"),
        Column("department", label=_("部门"), accessor="guide.department.display_name"),
        Column("part", label=_("有误的部分"), accessor="get_part_display"),
        StatusTagColumn("status", label=_("状态"), accessor="get_status_display", primary=lambda report: report.status == ReportStatus.NEW, sort_key="status"),
    ]
    ordering = ["-created_at"]
