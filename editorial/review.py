"""Submissions under review: who took part in a change (four eyes), what each user may review,
and the reviewers' queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import Revision, TaskState, WorkflowState

from editorial.roles import roles_of


def change_contributors(page) -> set[int]:
    """The users who wrote a revision of the change under review (every revision newer than the
    published one) or submitted it."""
    revisions = Revision.page_revisions.filter(object_id=str(page.pk))
    if page.live_revision_id:
        revisions = revisions.filter(pk__gt=page.live_revision_id)
    users = set(revisions.exclude(user__isnull=True).values_list("user_id", flat=True))
    state = WorkflowState.objects.active().filter(
        base_content_type_id=page.get_base_content_type().pk, object_id=str(page.pk)
    ).first()
    if state is not None and state.requested_by_id:
        users.add(state.requested_by_id)
    return users


def took_part_in_change(page, user) -> bool:
    return user.pk in change_contributors(page)


def _guide_ids_of(departments):
    from guides.models import GuidePage

    return GuidePage.sources.filter(department__in=departments).annotate(text_pk=Cast("pk", CharField())).values(
        "text_pk"
    )


def submissions_for(user, *, task=None):
    """Task states in progress that ``user`` may act on (of ``task``, or of every review task)."""
    from editorial.models import CentreReviewTask, DepartmentReviewTask

    roles = roles_of(user)
    states = TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS)
    if task is not None:
        states = states.filter(task=task)
    if roles.is_administrator:
        return states
    department_tasks = DepartmentReviewTask.objects.values("pk")
    centre_tasks = CentreReviewTask.objects.values("pk")
    visible = states.none()
    if roles.approver_of:
        visible |= states.filter(
            task__in=department_tasks,
            workflow_state__object_id__in=_guide_ids_of(roles.approver_of),
        )
    if roles.is_centre_reviewer:
        visible |= states.filter(task__in=centre_tasks)
    return visible


@dataclass(frozen=True)
class QueueEntry:
    page: object
    task_state: TaskState
    submitted_at: datetime
    submitted_by: object
    actionable: bool

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.submitted_at

    @property
    def age_in_days(self) -> int:
        return self.age.days

    @property
    def stage(self) -> str:
        # The tasks the workflow creates are named with the catalogue's strings (editorial.workflow):
        # shown in the reader's language; a name an administrator gave stays as written.
        return gettext(self.task_state.task.name)


def review_queue(user) -> list[tuple[object, list[QueueEntry]]]:
    """Guides under review that ``user`` may see, by department (in the departments' order),
    oldest submission first. Centre reviewers and administrators see every department's;
    department approvers their departments'."""
    from guides.models import GuidePage

    roles = roles_of(user)
    if not (roles.covers_every_department or roles.approver_of):
        return []
    actionable = set(submissions_for(user).values_list("pk", flat=True))
    states = (
        WorkflowState.objects.active()
        .filter(status=WorkflowState.STATUS_IN_PROGRESS, current_task_state__isnull=False)
        .select_related("current_task_state__task", "requested_by")
        .order_by("created_at")
    )
    guides = GuidePage.sources.select_related("department")
    if not roles.covers_every_department:
        guides = guides.filter(department__in=roles.approver_of)
    pages = {str(page.pk): page for page in guides.filter(pk__in=[int(s.object_id) for s in states if s.object_id.isdigit()])}
    by_department: dict[int, tuple[object, list[QueueEntry]]] = {}
    for state in states:
        page = pages.get(state.object_id)
        if page is None:
            continue
        entry = QueueEntry(
            page=page,
            task_state=state.current_task_state,
            submitted_at=state.created_at,
            submitted_by=state.requested_by,
            actionable=state.current_task_state_id in actionable,
        )
        by_department.setdefault(page.department_id, (page.department, []))[1].append(entry)
    return sorted(by_department.values(), key=lambda item: (item[0].sort_order, item[0].name))
