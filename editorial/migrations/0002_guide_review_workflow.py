"""The guide review workflow (部门审核 → 中心审核) on the guide index, in place of Wagtail's default
"Moderators approval"; Wagtail's default Editors and Moderators groups lose their permissions on
the whole page tree, and go where nobody belongs to them (department and centre roles replace
them, editorial.roles)."""

from django.db import migrations


def create_review_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowState = apps.get_model("wagtailcore", "WorkflowState")
    TaskState = apps.get_model("wagtailcore", "TaskState")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Task = apps.get_model("wagtailcore", "Task")
    Group = apps.get_model("auth", "Group")
    GuideIndexPage = apps.get_model("guides", "GuideIndexPage")
    DepartmentReviewTask = apps.get_model("editorial", "DepartmentReviewTask")
    CentreReviewTask = apps.get_model("editorial", "CentreReviewTask")

    department_type, _ = ContentType.objects.get_or_create(app_label="editorial", model="departmentreviewtask")
    centre_type, _ = ContentType.objects.get_or_create(app_label="editorial", model="centrereviewtask")
    department_task = DepartmentReviewTask.objects.create(name="部门审核", content_type=department_type, active=True)
    centre_task = CentreReviewTask.objects.create(name="中心审核", content_type=centre_type, active=True)
    workflow = Workflow.objects.create(name="办事指南审核", active=True)
    WorkflowTask.objects.create(workflow=workflow, task=department_task, sort_order=0)
    WorkflowTask.objects.create(workflow=workflow, task=centre_task, sort_order=1)
    index = GuideIndexPage.objects.order_by("path").first()
    if index is not None:
        WorkflowPage.objects.update_or_create(page_id=index.pk, defaults={"workflow": workflow})

    # Wagtail's default workflow and groups reach every page of the tree.
    for default in Workflow.objects.filter(name="Moderators approval", active=True):
        states = WorkflowState.objects.filter(workflow=default, status__in=["in_progress", "needs_changes"])
        TaskState.objects.filter(workflow_state__in=states, status="in_progress").update(status="cancelled")
        states.update(status="cancelled")
        WorkflowPage.objects.filter(workflow=default).delete()
        default.active = False
        default.save(update_fields=["active"])
        Task.objects.filter(workflow_tasks__workflow=default).update(active=False)
    GroupPagePermission.objects.filter(group__name__in=["Editors", "Moderators"], page__depth=1).delete()
    # Nobody holds them on a new site: gone, so that nobody is given them by mistake.
    Group.objects.filter(name__in=["Editors", "Moderators"], user__isnull=True).delete()
    # The root of the page tree shows in the admin's breadcrumbs.
    Page = apps.get_model("wagtailcore", "Page")
    Page.objects.filter(depth=1, title="Root").update(title="根目录", draft_title="根目录")


def remove_review_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Workflow.objects.filter(name="办事指南审核").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0001_roles_and_review_tasks"),
        ("guides", "0008_department_folders_and_change_notes"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_review_workflow, remove_review_workflow)]
