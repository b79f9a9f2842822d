from wagtail import hooks
from wagtail.snippets.models import register_snippet

from guides.views import GuideListingViewSet, GuideRecordsGroup

register_snippet(GuideRecordsGroup)


@hooks.register("register_admin_viewset")
def register_guide_list():
    return GuideListingViewSet()


@hooks.register("before_publish_page")
def refuse_guides_with_blocking_findings(request, page):
    """The edit view publishes through Wagtail's publish action directly, not GuidePage.publish:
    the same gate (guides.quality), after the form has reported the findings on its fields."""
    from guides.models import GuidePage
    from guides.quality import check_publishable

    if isinstance(page, GuidePage):
        check_publishable(page)
    return None


@hooks.register("register_editors_dashboard_section")
def lint_dashboard_section(request, departments):
    """Findings by department, first in the editors' panel (feedback.dashboard)."""
    from guides.dashboard import LintDashboardSection

    return LintDashboardSection(departments)
