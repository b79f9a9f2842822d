from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import task_approved


@receiver(task_approved, dispatch_uid="editorial.centre_review_is_a_review")
def on_task_approved(sender, instance, user=None, **kwargs):
    """A guide approved in the centre review counts as reviewed (the guide list's "最近审核")."""
    from editorial.models import CentreReviewTask

    if isinstance(instance.task.specific, CentreReviewTask):
        mark_reviewed(instance.workflow_state.object_id)


def mark_reviewed(page_id) -> None:
    from guides.models import GuidePage

    GuidePage.sources.filter(pk=page_id).update(last_reviewed_at=timezone.now())
