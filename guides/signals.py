from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from wagtail.signals import page_published

from guides.checklists import history_is_restored, record_published_checklist


@receiver(page_published)
def on_page_published(sender, instance, revision=None, **kwargs):
    from guides.models import GuidePage

    # A publish scheduled for later also sends page_published; the checklist is in force only
    # once the page is live.
    if isinstance(instance, GuidePage) and instance.live:
        if not history_is_restored():
            record_published_checklist(instance, revision)
        if settings.PRINTING_PRERENDER_ON_PUBLISH:
            from printing.tasks import prerender_guide

            transaction.on_commit(lambda: prerender_guide.enqueue(instance.pk))


def connect_reference_invalidation() -> None:
    """Cached records embed departments, halls, windows, themes and documents; any change to
    them makes every cached record stale."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.documents import get_document_model

    from guides.models import (
        Department,
        HallCalendarDay,
        HallSession,
        LifeEvent,
        ServiceHall,
        ServiceWindow,
    )
    from guides.serializers import bump_reference_version

    for model in (Department, ServiceHall, HallSession, HallCalendarDay, ServiceWindow, LifeEvent, get_document_model()):
        post_save.connect(bump_reference_version, sender=model, dispatch_uid=f"bump-ref-save-{model._meta.label}")
        post_delete.connect(bump_reference_version, sender=model, dispatch_uid=f"bump-ref-delete-{model._meta.label}")
