"""The review workflow of guides: 部门审核 → 中心审核, on the guide index (so on every guide)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.models import Workflow, WorkflowPage, WorkflowTask

WORKFLOW_NAME = _("办事指南审核")
DEPARTMENT_TASK_NAME = _("部门审核")
CENTRE_TASK_NAME = _("中心审核")


@transaction.atomic
def ensure_review_workflow(index) -> Workflow:
    """The guide workflow, created if missing, assigned to ``index`` (the guide index page)."""
    from editorial.models import CentreReviewTask, DepartmentReviewTask

    link = WorkflowPage.objects.filter(page=index).select_related("workflow").first()
    if link is not None and link.workflow.active:
        return link.workflow
    department_task = DepartmentReviewTask.objects.filter(active=True).first() or DepartmentReviewTask.objects.create(
        name=str(DEPARTMENT_TASK_NAME)
    )
    centre_task = CentreReviewTask.objects.filter(active=True).first() or CentreReviewTask.objects.create(
        name=str(CENTRE_TASK_NAME)
    )
    workflow = (
        Workflow.objects.filter(active=True, workflow_tasks__task=department_task)
        .filter(workflow_tasks__task=centre_task)
        .first()
    )
    if workflow is None:
        workflow = Workflow.objects.create(name=str(WORKFLOW_NAME))
        WorkflowTask.objects.create(workflow=workflow, task=department_task, sort_order=0)
        WorkflowTask.objects.create(workflow=workflow, task=centre_task, sort_order=1)
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    return workflow
