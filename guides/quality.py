"""The quality gate of guides: the rules of guides.domain.lint applied to guide pages.

A guide with a blocking finding is not submitted to review and not published, whoever asks and
however (the admin's form reports the findings on its fields first; Wagtail's publish action and
the start of every review task refuse here, so that a forged request, a bulk action or code gets
no further). Each guide keeps the counts of its latest revision's findings in two columns, for the
guide list's lint status without linting every row it shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guides.domain.lint import Finding, blocking, lint, lint_calendar

_waived: ContextVar[bool] = ContextVar("guides_quality_gate_waived", default=False)


class PublicationRefused(PermissionDenied):
    """A guide with blocking findings was to be submitted or published (403 in the admin)."""

    def __init__(self, page, findings: Sequence[Finding]):
        self.findings = list(findings)
        lines = "；".join(f"{finding.code} {finding.message}" for finding in self.findings)
        super().__init__(
            _("“%(guide)s”有 %(count)s 项阻断性质量问题，不能提交审核或发布：%(findings)s")
            % {"guide": page.title, "count": len(self.findings), "findings": lines}
        )


def findings_of(page) -> list[Finding]:
    """The findings of a guide page as it is in memory (a live page, a revision's object or the
    admin form's unsaved instance)."""
    from guides.serializers import serialize_guide

    return lint(serialize_guide(page))


@contextmanager
def gate_waived() -> Iterator[None]:
    """Blocking findings do not stop publication inside this block: for an import that asked
    to take them as warnings (``import_guides --findings-as-warnings``) and for a restore, which
    brings back what was published. Code only: no request can ask for it."""
    token = _waived.set(True)
    try:
        yield
    finally:
        _waived.reset(token)


def check_publishable(page) -> None:
    """Raise PublicationRefused if ``page`` has blocking findings (unless the gate is waived)."""
    if _waived.get():
        return
    refused = blocking(findings_of(page))
    if refused:
        raise PublicationRefused(page, refused)


def check_revision_publishable(revision) -> None:
    """``check_publishable`` for a revision's content, which is read back from the revision only
    when the gate applies: an import publishes under a waived gate (it checked each record
    itself), and reading a guide's revision back is a large part of its publication."""
    if _waived.get():
        return
    check_publishable(revision.as_object())


def store_counts(page, findings: Sequence[Finding]) -> None:
    """Keep the counts of ``findings`` on the guide's row (and on ``page``)."""
    from guides.models import GuidePage

    page.lint_blocking = sum(1 for finding in findings if finding.is_blocking)
    page.lint_warnings = len(findings) - page.lint_blocking
    # (the page's own row, a translation's too: its revisions pass the same gate, and the guide
    # list shows every locale; the catalogue's lint and the dashboard read the Chinese guides)
    GuidePage.objects.filter(pk=page.pk).update(lint_blocking=page.lint_blocking, lint_warnings=page.lint_warnings)


# --- the whole catalogue (manage.py lint_guides, the dashboard) -----------------------------------

LIVE = "live"
IN_REVIEW = "in_review"
DRAFT = "draft"
STATE_LABELS = {LIVE: gettext_noop("已发布"), IN_REVIEW: gettext_noop("审核中"), DRAFT: gettext_noop("草稿")}


@dataclass
class GuideReport:
    code: str
    name: str
    department_code: str
    department: str
    state: str
    findings: list[Finding]

    @property
    def gates(self) -> bool:
        """Whether its blocking findings fail the check: a guide citizens see, or one under review."""
        return self.state in (LIVE, IN_REVIEW) and bool(blocking(self.findings))


@dataclass
class HallReport:
    hall: str
    findings: list[Finding]


def _in_review_ids() -> set[int]:
    from wagtail.models import WorkflowState

    ids = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).values_list("object_id", flat=True)
    return {int(value) for value in ids if value.isdigit()}


def lint_catalogue(*, department: str | None = None) -> list[GuideReport]:
    """The findings of every guide (of one department, by code): of the revision under review
    for a guide in review, of the published content for a live guide, else of the latest draft.
    The stored counts (of the latest revision) are refreshed on the way where they changed."""
    from guides.models import GuidePage
    from guides.serializers import serialize_guide

    # (the Chinese guides: a translation is checked on its own revisions, not counted again here)
    guides = GuidePage.sources.select_related("department", "intake_window__hall", "delivery_window__hall").order_by(
        "department__sort_order", "department__name", "code"
    )
    if department is not None:
        guides = guides.filter(department__code=department)
    in_review = _in_review_ids()
    reports = []
    for page in guides:
        latest = None
        if page.has_unpublished_changes or not page.live:
            latest = findings_of(page.get_latest_revision_as_object())
        state = IN_REVIEW if page.pk in in_review else LIVE if page.live else DRAFT
        findings = lint(serialize_guide(page)) if state == LIVE else latest
        if latest is None:
            latest = findings
        blocking_count = len(blocking(latest))
        if (page.lint_blocking, page.lint_warnings) != (blocking_count, len(latest) - blocking_count):
            store_counts(page, latest)
        reports.append(GuideReport(page.code, page.title, page.department.code, page.department.name, state, findings))
    return reports


def lint_halls(*, today: date, halls=None) -> list[HallReport]:
    """The calendar rule of every hall (or of ``halls``)."""
    from guides.choices import CalendarDayKind
    from guides.models import ServiceHall

    halls = ServiceHall.objects.prefetch_related("calendar_days").order_by("name") if halls is None else halls
    reports = []
    for hall in halls:
        closed = [day.date for day in hall.calendar_days.all() if day.kind == CalendarDayKind.CLOSED]
        reports.append(HallReport(hall.name, lint_calendar(closed, today=today, hall=hall.name)))
    return reports
