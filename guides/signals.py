from django.dispatch import receiver
from wagtail.signals import page_published

from guides.checklists import record_published_checklist


@receiver(page_published)
def on_page_published(sender, instance, revision=None, **kwargs):
    from guides.models import GuidePage

    if isinstance(instance, GuidePage):
        record_published_checklist(instance, revision)
