"""The editors' panel on the admin's dashboard (Wagtail's ``construct_homepage_panels``): what
needs doing in the viewer's departments.

- findings by department: a slot that other checks fill (see ``SECTIONS_HOOK``),
- guides not reviewed for ``STALE_AFTER_DAYS`` days (or never),
- submissions waiting in the review workflow,
- the least useful guides by the citizens' votes, and the new error reports,
- searches of the last ``ZERO_RESULT_DAYS`` days that found nothing (search.models.SearchQueryStat),
  each with the actions "add a synonym" (the synonym form, the query filled in) and "promote a
  guide" (Wagtail's promoted results).

Department editors and approvers see their departments; centre reviewers and administrators every
department. Everything is read: the panel writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.ui.components import Component

from editorial.roles import roles_of

STALE_AFTER_DAYS = 180
ZERO_RESULT_DAYS = 30
# A guide's usefulness is listed once this many citizens have answered.
MIN_VOTES = 3
LIST_LENGTH = 10
# The hook through which other checks add a section to the panel: a function of (request,
# departments) that returns a Component (or None). The guide lint's findings by department
# (guides/domain/lint.py) go there, first in the panel.
SECTIONS_HOOK = "register_editors_dashboard_section"


@dataclass(frozen=True)
class GuideUsefulness:
    guide: object
    yes: int
    no: int

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def percent(self) -> int:
        return round(100 * self.yes / self.total)


def stale_guides(departments, now=None):
    """Live guides of ``departments`` whose last review is older than STALE_AFTER_DAYS (or that
    were never reviewed), the oldest first."""
    from guides.models import GuidePage

    cutoff = (now or timezone.now()) - timedelta(days=STALE_AFTER_DAYS)
    return (
        GuidePage.sources.live()
        .filter(department__in=departments)
        .filter(Q(last_reviewed_at__lt=cutoff) | Q(last_reviewed_at__isnull=True))
        .select_related("department")
        .order_by(F("last_reviewed_at").asc(nulls_first=True), "code")
    )


def waiting_submissions(departments):
    """(department, number of its guides in the review workflow), departments in their order."""
    from django.db.models import CharField
    from django.db.models.functions import Cast
    from wagtail.models import WorkflowState

    from guides.models import GuidePage

    in_review = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).values("object_id")
    counts = (
        GuidePage.sources.filter(department__in=departments)
        .annotate(text_pk=Cast("pk", CharField()))
        .filter(text_pk__in=in_review)
        .order_by()
        .values("department")
        .annotate(waiting=Count("pk"))
    )
    by_department = {row["department"]: row["waiting"] for row in counts}
    return [(department, by_department[department.pk]) for department in departments if department.pk in by_department]


def least_useful(departments) -> list[GuideUsefulness]:
    """The guides of ``departments`` with at least MIN_VOTES answers, least useful first."""
    from django.db.models import ExpressionWrapper, FloatField

    from feedback.models import with_usefulness
    from guides.models import GuidePage

    guides = (
        with_usefulness(GuidePage.sources.live().filter(department__in=departments))
        .annotate(votes=F("useful_yes") + F("useful_no"))
        .filter(votes__gte=MIN_VOTES)
        .annotate(ratio=ExpressionWrapper(F("useful_yes") * 1.0 / F("votes"), output_field=FloatField()))
        .select_related("department")
        .order_by("ratio", "-votes", "code")[:LIST_LENGTH]
    )
    return [GuideUsefulness(guide, guide.useful_yes, guide.useful_no) for guide in guides]


def new_reports(user):
    """(number of new error reports the user handles, by department)."""
    from feedback.models import ErrorReport, ReportStatus

    rows = (
        ErrorReport.objects.visible_to(user)
        .filter(status=ReportStatus.NEW)
        .order_by()
        .values("guide__department__name")
        .annotate(n=Count("pk"))
        .order_by("guide__department__name")
    )
    return [(row["guide__department__name"], row["n"]) for row in rows]


def zero_result_searches(now=None):
    """Searches asked in the last ZERO_RESULT_DAYS days that found nothing the last time they
    were asked, the most often unanswered first. (The query log keeps a total per query, not
    per day: the count is of every search of the query that found nothing.)"""
    from search.models import SearchQueryStat

    since = (now or timezone.now()) - timedelta(days=ZERO_RESULT_DAYS)
    return SearchQueryStat.objects.filter(
        last_searched_at__gte=since, last_result_count=0, zero_result_hits__gt=0
    ).order_by("-zero_result_hits", "query")[:LIST_LENGTH]


def synonym_url(query: str) -> str:
    return reverse("wagtailsnippets_portal_search_synonym:add") + "?" + urlencode({"phrases": query})


def promotion_url() -> str:
    return reverse("wagtailsearchpromotions:add")


class EditorsDashboardPanel(Component):
    name = "editors_dashboard"
    template_name = "feedback/dashboard_panel.html"
    order = 50

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        request = self.request
        user = request.user
        roles = roles_of(user)
        departments = list(roles.editable_departments().order_by("sort_order", "name"))
        sections = [section for hook in hooks.get_hooks(SECTIONS_HOOK) if (section := hook(request, departments))]
        stale = stale_guides(departments)
        may_add_synonym = user.has_perm("portal_search.add_synonym")
        may_promote = user.has_perm("wagtailsearchpromotions.add_query") or user.has_perm(
            "wagtailsearchpromotions.add_searchpromotion"
        )
        searches = [
            {
                "stat": stat,
                "synonym_url": synonym_url(stat.query) if may_add_synonym else "",
                "promotion_url": promotion_url() if may_promote else "",
            }
            for stat in zero_result_searches()
        ]
        return {
            "request": request,
            "sections": sections,
            "every_department": roles.covers_every_department,
            "department_names": [department.display_name for department in departments]
            if not roles.covers_every_department
            else [],
            "stale_after_days": STALE_AFTER_DAYS,
            "stale_count": stale.count(),
            "stale_guides": stale[:LIST_LENGTH],
            "waiting": waiting_submissions(departments),
            "queue_url": reverse("editorial_queue") if roles.covers_every_department or roles.approver_of else "",
            "least_useful": least_useful(departments),
            "min_votes": MIN_VOTES,
            "new_reports": new_reports(user),
            "inbox_url": reverse("error_reports:index"),
            "zero_result_days": ZERO_RESULT_DAYS,
            "zero_result_searches": searches,
        }
