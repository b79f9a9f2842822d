"""The editorial screens of the admin: the reviewers' queue, the review of one submission (the
checklist diff beside Wagtail's field diff), the administrators' role screen and the editors'
Excel upload."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateInput

from editorial.models import CENTRE_ROLES, DEPARTMENT_ROLES, EditorialGroup, Role
from editorial.review import change_contributors, review_queue
from editorial.roles import (
    grant_centre_role,
    grant_department_role,
    revoke_role,
    role_holders,
    roles_of,
)
from editorial.uploads import upload_workbook
from guides.changes import describe_diff
from guides.checklists import checklist_change
from guides.models import Department, GuidePage, RevisionChangeNote


class ReviewQueueView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "editorial/queue.html"
    page_title = gettext_lazy("审核队列")
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        roles = roles_of(request.user)
        if not (roles.covers_every_department or roles.approver_of):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["departments"] = review_queue(self.request.user)
        return context


class ReviewView(WagtailAdminTemplateMixin, TemplateView):
    """A guide under review: who submitted it when, the change note, the effective date, whether
    the checklist changes and how, with the review actions (posted to Wagtail's workflow action
    view, where the task checks them again)."""

    template_name = "editorial/review.html"
    header_icon = "tasks"

    def dispatch(self, request, page_id, *args, **kwargs):
        self.page = get_object_or_404(GuidePage.sources.select_related("department"), pk=page_id)
        roles = roles_of(request.user)
        if not (roles.covers_every_department or roles.can_approve(self.page.department_id)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("审核：%(title)s") % {"title": self.page.title}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = self.page
        state = page.current_workflow_state
        task_state = state.current_task_state.specific if state and state.current_task_state else None
        latest = page.get_latest_revision()
        draft = page.get_latest_revision_as_object()
        change = checklist_change(draft)
        actions = []
        if task_state is not None:
            task = task_state.task.specific
            next_url = reverse("editorial_queue")
            for name, label, needs_comment in task.get_actions(page, self.request.user):
                url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, name, task_state.pk])
                actions.append({"name": name, "label": label, "url": f"{url}?next={next_url}", "comment": needs_comment})
        User = get_user_model()
        context.update(
            page=page,
            workflow_state=state,
            task_state=task_state,
            revision=latest,
            change_note=RevisionChangeNote.text_of(latest.pk if latest else None),
            effective_at=draft.go_live_at,
            change=change,
            lines=describe_diff(change.diff) if change.diff else [],
            contributors=User.objects.filter(pk__in=change_contributors(page)).order_by("username"),
            took_part=self.request.user.pk in change_contributors(page),
            actions=actions,
            compare_url=(
                reverse("wagtailadmin_pages:revisions_compare", args=[page.pk, "live", latest.pk])
                if latest and page.live else None
            ),
            preview_url=(
                reverse("wagtailadmin_pages:workflow_preview", args=[page.pk, task_state.task_id]) if task_state else None
            ),
        )
        return context


class RoleForm(forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("用户"), queryset=get_user_model().objects.filter(is_active=True).order_by("username")
    )
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=Role.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("部门"), queryset=Department.objects.all(), required=False,
        help_text=gettext_lazy("部门编辑和部门审核人必须选择部门；中心审核员不选"),
    )

    def clean(self):
        cleaned = super().clean()
        role, department = cleaned.get("role"), cleaned.get("department")
        if role in DEPARTMENT_ROLES and department is None:
            self.add_error("department", _("请选择部门"))
        if role in CENTRE_ROLES and department is not None:
            self.add_error("department", _("中心角色不属于某个部门"))
        return cleaned


class RolesView(WagtailAdminTemplateMixin, TemplateView):
    """Administrators grant and revoke editorial roles here, as ``grant_department`` and
    ``grant_centre`` do."""

    template_name = "editorial/roles.html"
    page_title = gettext_lazy("编审角色")
    header_icon = "group"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = form or RoleForm()
        context["holders"] = list(role_holders())
        return context

    def post(self, request, *args, **kwargs):
        if "revoke" in request.POST:
            group = get_object_or_404(EditorialGroup, pk=request.POST.get("revoke"))
            user = get_object_or_404(get_user_model(), pk=request.POST.get("user"))
            revoke_role(user, group.role, group.department, by=request.user)
            messages.success(request, _("已撤销 %(user)s 的角色：%(group)s") % {"user": user, "group": group})
            return redirect("editorial_roles")
        form = RoleForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        user, role, department = form.cleaned_data["user"], form.cleaned_data["role"], form.cleaned_data["department"]
        if role in CENTRE_ROLES:
            group = grant_centre_role(user, role, by=request.user)
        else:
            group = grant_department_role(user, department, role, by=request.user)
        messages.success(request, _("已授予 %(user)s 角色：%(group)s") % {"user": user, "group": group.name})
        return redirect("editorial_roles")


class UploadForm(forms.Form):
    workbook = forms.FileField(
        label=gettext_lazy("Excel 工作簿（XLSX）"),
        help_text=gettext_lazy("格式与“下载本部门指南”的工作簿相同；只能包含您可编辑部门的办事指南。"),
    )
    effective_date = forms.DateField(
        label=gettext_lazy("生效日期"), required=False, widget=AdminDateInput,
        help_text=gettext_lazy("受理清单有变化的指南必须填写（可填今天），审核通过后于当日生效。"),
    )

    def clean_workbook(self):
        from guides.excel import MAX_FILE_BYTES

        upload = self.cleaned_data["workbook"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("文件过大（%(size)s MB），上限为 %(limit)s MB")
                % {"size": round(upload.size / 1024 / 1024, 1), "limit": MAX_FILE_BYTES // 1024 // 1024}
            )
        return upload

    def clean_effective_date(self):
        day = self.cleaned_data.get("effective_date")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("生效日期不能早于今天"))
        return day


class EditorsOnlyMixin:
    """For users who edit guides of some department (editors, approvers, the centre, admins)."""

    def dispatch(self, request, *args, **kwargs):
        if not roles_of(request.user).has_any_role:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UploadView(EditorsOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """导入 Excel: a workbook of guides, each new or changed one saved as a draft and submitted
    for review (editorial.uploads); the report lists what was submitted and what was unchanged,
    or every problem by sheet, row and column (then nothing is saved)."""

    template_name = "editorial/upload.html"
    page_title = gettext_lazy("导入 Excel")
    header_icon = "upload"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = form or UploadForm()
        return context

    def post(self, request, *args, **kwargs):
        from guides.excel import WorkbookFailed

        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            report = upload_workbook(
                form.cleaned_data["workbook"].read(), request.user, effective_date=form.cleaned_data["effective_date"]
            )
        except WorkbookFailed as failure:
            return self.render_to_response(self.get_context_data(form=form, errors=failure.errors))
        return self.render_to_response(self.get_context_data(report=report))


class DownloadView(EditorsOnlyMixin, View):
    """The guides of the departments the user edits, as a workbook to edit and upload again
    (every guide's latest revision, as ``export_guides --format xlsx`` writes them)."""

    def get(self, request):
        import io

        from guides.excel import XLSX_CONTENT_TYPE, export_records, write_workbook

        departments = roles_of(request.user).editable_departments()
        pages = GuidePage.sources.filter(department__in=departments).order_by("path")
        stream = io.BytesIO()
        write_workbook(export_records(pages), stream)
        response = HttpResponse(stream.getvalue(), content_type=XLSX_CONTENT_TYPE)
        name = f"guides-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
