from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from editorial.roles import roles_of
from editorial.signals import mark_reviewed
from editorial.views import DownloadView, ReviewQueueView, ReviewView, RolesView, UploadView


@hooks.register("register_admin_urls")
def register_editorial_urls():
    return [
        path("editorial/queue/", ReviewQueueView.as_view(), name="editorial_queue"),
        path("editorial/review/<int:page_id>/", ReviewView.as_view(), name="editorial_review"),
        path("editorial/roles/", RolesView.as_view(), name="editorial_roles"),
        path("editorial/excel/", UploadView.as_view(), name="editorial_upload"),
        path("editorial/excel/guides.xlsx", DownloadView.as_view(), name="editorial_download"),
    ]


class ReviewQueueMenuItem(MenuItem):
    def is_shown(self, request):
        roles = roles_of(request.user)
        return roles.covers_every_department or bool(roles.approver_of)


class EditorMenuItem(MenuItem):
    def is_shown(self, request):
        return roles_of(request.user).has_any_role


class AdministratorMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_admin_menu_item")
def register_review_queue_menu_item():
    return ReviewQueueMenuItem(
        gettext_lazy("审核队列"), reverse("editorial_queue"), icon_name="tasks", order=150, name="editorial-queue"
    )


@hooks.register("register_admin_menu_item")
def register_upload_menu_item():
    return EditorMenuItem(
        gettext_lazy("导入 Excel"), reverse("editorial_upload"), icon_name="upload", order=160, name="editorial-upload"
    )


@hooks.register("register_settings_menu_item")
def register_roles_menu_item():
    return AdministratorMenuItem(
        gettext_lazy("编审角色"), reverse("editorial_roles"), icon_name="group", order=650, name="editorial-roles"
    )


@hooks.register("register_log_actions")
def register_editorial_log_actions(actions):
    actions.register_action("editorial.grant_role", gettext_lazy("授予编审角色"), gettext_lazy("授予编审角色"))
    actions.register_action("editorial.revoke_role", gettext_lazy("撤销编审角色"), gettext_lazy("撤销编审角色"))
    actions.register_action("guides.change_department", gettext_lazy("移交部门"), gettext_lazy("移交部门"))


@hooks.register("before_edit_page")
def refuse_forbidden_page_actions(request, page):
    """Wagtail's edit view quietly saves a draft when a user asks for an action they may not
    take (publishing without the right, approving without being a reviewer of the step or
    after taking part in the change): refuse such requests outright."""
    if request.method != "POST":
        return None
    if request.POST.get("action-publish") and not page.permissions_for_user(request.user).can_publish():
        raise PermissionDenied
    if request.POST.get("action-workflow-action"):
        task = page.current_workflow_task
        wanted = request.POST.get("workflow-action-name")
        if task is None or wanted not in {name for name, _label, _modal in task.get_actions(page, request.user)}:
            raise PermissionDenied
    return None


@hooks.register("after_publish_page")
def after_guide_published(request, page):
    """A publication by the centre is a review; and the editor is told whether the checklist
    version moved."""
    from guides.models import ChecklistVersion, GuidePage

    if not isinstance(page, GuidePage) or not page.live:
        return None
    roles = roles_of(request.user)
    if roles.is_centre_reviewer or roles.is_administrator:
        mark_reviewed(page.pk)
    if page.has_unpublished_changes and page.scheduled_revision:
        return None
    newest = ChecklistVersion.objects.filter(guide_id=page.pk).order_by("-version").first()
    if newest is None:
        return None
    if newest.revision_id == page.live_revision_id:
        messages.info(request, _("受理清单已更新为第 %(version)s 版。") % {"version": newest.version})
    else:
        messages.info(request, _("一般变更：受理清单没有变化，仍为第 %(version)s 版。") % {"version": newest.version})
    return None


@hooks.register("before_move_page")
def refuse_forbidden_moves(request, page, destination):
    """Wagtail's move confirmation shows the guide and its destination to anyone and checks the
    right only when the move is posted: check it first."""
    if not page.permissions_for_user(request.user).can_move_to(destination):
        raise PermissionDenied
    return None
