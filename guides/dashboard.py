"""The guide lint's section of the editors' dashboard panel (feedback.dashboard's
``register_editors_dashboard_section`` hook): per department of the viewer, how many guides have
blocking findings, only warnings or were not checked yet, each linked to the guide list filtered
so; and the halls whose calendar misses next year's closed days. Read from the counts stored on
the guides' rows (guides.quality), so the dashboard lints nothing itself."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.coreutils import get_supported_content_language_variant

from guides.views import LintStatusFilter


@dataclass(frozen=True)
class DepartmentFindings:
    department: object
    blocking: int
    warnings: int
    unchecked: int
    links: dict[str, str]


def findings_by_department(departments) -> list[DepartmentFindings]:
    """One query: the guides of ``departments`` counted by their stored lint status; departments
    with nothing to do are left out."""
    from guides.models import GuidePage

    counts = (
        GuidePage.sources.filter(department__in=departments)
        .values("department")
        .annotate(
            blocking=Count("pk", filter=Q(lint_blocking__gt=0)),
            warnings=Count("pk", filter=Q(lint_blocking=0, lint_warnings__gt=0)),
            unchecked=Count("pk", filter=Q(lint_blocking__isnull=True)),
        )
    )
    by_pk = {department.pk: department for department in departments}
    guide_list = reverse("guide_list:index")
    # The guide list shows every locale: its links list the Chinese guides counted here.
    source_language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    rows = []
    for row in counts:
        if not (row["blocking"] or row["warnings"] or row["unchecked"]):
            continue
        department = by_pk[row["department"]]
        links = {
            status: f"{guide_list}?{urlencode({'department': department.pk, 'lint_status': status, 'locale': source_language})}"
            for status in (LintStatusFilter.BLOCKING, LintStatusFilter.WARNINGS, LintStatusFilter.UNCHECKED)
        }
        rows.append(DepartmentFindings(department, row["blocking"], row["warnings"], row["unchecked"], links))
    # The departments in the order of the viewer's list (their sort order).
    order = {department.pk: position for position, department in enumerate(departments)}
    return sorted(rows, key=lambda findings: order[findings.department.pk])


class LintDashboardSection(Component):
    template_name = "guides/dashboard_lint.html"

    def __init__(self, departments):
        self.departments = departments

    def get_context_data(self, parent_context):
        from guides.quality import lint_halls

        halls = [report for report in lint_halls(today=timezone.localdate()) if report.findings]
        return {"departments": findings_by_department(self.departments), "halls": halls}
