from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, post_page_move, task_submitted

from guides.checklists import history_is_restored, record_published_checklist


@receiver(page_published)
def on_page_published(sender, instance, revision=None, **kwargs):
    from guides.models import GuidePage

    # A publish scheduled for later also sends page_published; the checklist is in force only
    # once the page is live.
    # A translation has no checklist, change note or sheets of its own (its source's are shown).
    if isinstance(instance, GuidePage) and instance.live and not instance.is_translation:
        # A restore writes the checklist history of its file; the published note is the
        # restored revision's, as on any publish.
        if not history_is_restored():
            record_published_checklist(instance, revision)
        publish_change_note(instance, revision)
        if settings.PRINTING_PRERENDER_ON_PUBLISH:
            from printing.tasks import prerender_guide

            transaction.on_commit(lambda: prerender_guide.enqueue(instance.pk))


@receiver(task_submitted, dispatch_uid="guides.quality_gate_on_submission")
def on_task_submitted(sender, instance, user=None, **kwargs):
    """Every review task starts here (a submission, a resubmission after changes were asked
    for, the centre review after the department's approval): a revision with blocking findings
    goes no further (guides.quality). Raising rolls the submission back."""
    from guides.models import GuidePage
    from guides.quality import check_revision_publishable

    revision = instance.revision
    if revision is not None and issubclass(revision.content_type.model_class() or object, GuidePage):
        check_revision_publishable(revision)


def publish_change_note(page, revision) -> None:
    """The published revision's change note becomes the guide's published note (read by the
    change log, the feed and the Atom feed); a revision without one publishes an empty note."""
    from guides.models import GuidePage, RevisionChangeNote

    note = RevisionChangeNote.text_of(getattr(revision, "pk", None))
    if page.published_change_note != note:
        GuidePage.sources.filter(pk=page.pk).update(published_change_note=note)
        page.published_change_note = note


@receiver(post_save, sender="guides.Department", dispatch_uid="guides.department_folder")
def on_department_saved(sender, instance, created, raw=False, **kwargs):
    from guides.folders import department_folder, follow_department

    if raw:
        return
    if created:
        department_folder(instance)
    else:
        follow_department(instance)


@receiver(post_delete, sender="guides.Department", dispatch_uid="guides.department_folder_delete")
def on_department_deleted(sender, instance, **kwargs):
    from guides.models import DepartmentFolderPage

    for folder in DepartmentFolderPage.objects.filter(department__isnull=True, numchild=0):
        folder.delete()


@receiver(post_page_move, dispatch_uid="guides.follow_folder_department")
def on_page_moved(sender, instance, parent_page_before, parent_page_after, **kwargs):
    """A guide moved to another department's folder now belongs to that department: the move
    is logged as a change of department, and the search index and cached records follow."""
    from wagtail.log_actions import log

    from guides.models import DepartmentFolderPage, GuidePage
    from guides.serializers import bump_reference_version

    if not issubclass(sender, GuidePage) or parent_page_before.pk == parent_page_after.pk:
        return
    folder = DepartmentFolderPage.objects.filter(pk=parent_page_after.pk).select_related("department").first()
    guide = GuidePage.sources.select_related("department").get(pk=instance.pk)
    if folder is None or folder.department_id is None or folder.department_id == guide.department_id:
        return
    before = guide.department
    GuidePage.sources.filter(pk=guide.pk).update(department=folder.department)
    guide.department = folder.department
    log(
        instance=guide,
        action="guides.change_department",
        data={
            "from": {"id": before.pk, "code": before.code, "name": before.name},
            "to": {"id": folder.department.pk, "code": folder.department.code, "name": folder.department.name},
        },
    )
    from wagtail.search.index import insert_or_update_object

    transaction.on_commit(lambda: insert_or_update_object(guide))
    # Cached records name the department; a move changes no revision, so forget them all.
    bump_reference_version()


def connect_reference_invalidation() -> None:
    """Cached records embed departments, halls (with their floor plan's image), windows, themes
    and documents; any change to them makes every cached record stale."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from guides.models import (
        Department,
        HallCalendarDay,
        HallSession,
        LifeEvent,
        ServiceHall,
        ServiceWindow,
    )
    from guides.serializers import bump_reference_version

    for model in (Department, ServiceHall, HallSession, HallCalendarDay, ServiceWindow, LifeEvent, get_document_model(), get_image_model()):
        post_save.connect(bump_reference_version, sender=model, dispatch_uid=f"bump-ref-save-{model._meta.label}")
        post_delete.connect(bump_reference_version, sender=model, dispatch_uid=f"bump-ref-delete-{model._meta.label}")
