from wagtail import hooks
from wagtail.permissions import register_permission_policy

from editorial.roles import roles_of
from feedback.dashboard import EditorsDashboardPanel
from feedback.inbox import ErrorReportPermissionPolicy, ErrorReportViewSet
from feedback.models import ErrorReport

register_permission_policy(ErrorReport, ErrorReportPermissionPolicy(ErrorReport))


@hooks.register("register_admin_viewset")
def register_error_report_inbox():
    return ErrorReportViewSet("error_reports")


@hooks.register("construct_homepage_panels")
def add_editors_dashboard(request, panels):
    if roles_of(request.user).has_any_role:
        panels.append(EditorsDashboardPanel(request))
