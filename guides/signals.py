from django.dispatch import receiver
from wagtail.signals import page_published

from guides.checklists import record_published_checklist


@receiver(page_published)
def on_page_published(sender, instance, revision=None, **kwargs):
    from guides.models import GuidePage

    if isinstance(instance, GuidePage):
        record_published_checklist(instance, revision)


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
