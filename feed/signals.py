"""Writing the change log from Wagtail's publish signals, in the transaction of the publish.

``guides.signals`` records the published checklist (``record_published_checklist``) from the same
``page_published`` signal. Django calls receivers in the order they were connected, so this module
imports ``guides.signals`` before connecting its own receivers: by the time ours runs, the
ChecklistVersion of this publish (if the checklist changed) exists and the page carries its
version and fingerprint. A ``checklist_changed`` event is written for the newest ChecklistVersion
of the guide that no earlier event announced, which also makes the receiver idempotent.

The receivers open ``transaction.atomic()``: a savepoint inside the caller's transaction (the
importer, the admin's page actions under ATOMIC_REQUESTS), or a transaction of their own when the
caller has none. Webhook deliveries are only enqueued with ``transaction.on_commit``: nothing is
sent for a publish that rolls back, and no HTTP request runs while the publish holds its locks.

A restore (``guides.checklists.restoring_history``) writes the change log of its file instead.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max
from django.dispatch import receiver
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished

import guides.signals  # noqa: F401  (connects record_published_checklist before the receivers below)
from feed.models import ChangeEvent, WebhookDelivery, WebhookSubscription, lock_change_log
from guides.checklists import history_is_restored


def _is_guide(instance) -> bool:
    from guides.models import GuidePage

    # A translation is not a guide of the feed: its consumer reads the Chinese checklist.
    return isinstance(instance, GuidePage) and not instance.is_translation


@receiver(page_published, dispatch_uid="feed.on_guide_published")
def on_guide_published(sender, instance, revision=None, **kwargs):
    # Wagtail also sends page_published for a first publish scheduled in the future (the page
    # stays not live) and for alias copies; neither is a publication of the guide.
    if not _is_guide(instance) or kwargs.get("alias") or not instance.live or history_is_restored():
        return
    record_publication(instance, revision)


@receiver(page_unpublished, dispatch_uid="feed.on_guide_unpublished")
def on_guide_unpublished(sender, instance, **kwargs):
    if not _is_guide(instance) or history_is_restored():
        return
    record_unpublication(instance)


def record_publication(page, revision=None) -> list[ChangeEvent]:
    """The ``published`` event of a guide, and ``checklist_changed`` when this publish recorded a
    new checklist version. Also restamps ``last_published_at`` under the change-log lock, so that
    publish times increase in commit order (the guide list's cursor relies on it)."""
    from guides.models import ChecklistVersion

    with transaction.atomic():
        stamp = lock_change_log()
        Page.objects.filter(pk=page.pk).update(last_published_at=stamp)
        page.last_published_at = stamp

        latest = (
            ChecklistVersion.objects.filter(guide_id=page.pk)
            .order_by("-version")
            .only("version", "fingerprint")
            .first()
        )
        version = latest.version if latest else (page.checklist_version or None)
        fingerprint = latest.fingerprint if latest else page.checklist_fingerprint
        common = {
            "guide_id": page.pk,
            "code": page.code,
            "name": page.title[:255],
            "checklist_version": version,
            "fingerprint": fingerprint or "",
            "change_note": page.published_change_note,
            "revision_id": getattr(revision, "pk", None),
            "created_at": stamp,
        }
        events = [ChangeEvent.objects.create(kind=ChangeEvent.Kind.PUBLISHED, **common)]
        if latest is not None:
            announced = ChangeEvent.objects.filter(
                guide_id=page.pk, kind=ChangeEvent.Kind.CHECKLIST_CHANGED
            ).aggregate(version=Max("checklist_version"))["version"]
            if announced is None or latest.version > announced:
                events.append(
                    ChangeEvent.objects.create(
                        kind=ChangeEvent.Kind.CHECKLIST_CHANGED, changes=checklist_changes(latest), **common
                    )
                )
        fan_out(events)
    return events


def checklist_changes(version) -> dict | None:
    """What changed from the guide's previous checklist version to ``version``."""
    from guides.domain.checklist import diff_checklists
    from guides.models import ChecklistVersion

    previous = (
        ChecklistVersion.objects.filter(guide_id=version.guide_id, version__lt=version.version)
        .order_by("-version")
        .only("checklist")
        .first()
    )
    if previous is None:
        return None
    current = ChecklistVersion.objects.only("checklist").get(pk=version.pk)
    return diff_checklists(previous.checklist, current.checklist).as_dict()


def record_unpublication(page) -> ChangeEvent:
    with transaction.atomic():
        stamp = lock_change_log()
        event = ChangeEvent.objects.create(
            kind=ChangeEvent.Kind.UNPUBLISHED,
            guide_id=page.pk,
            code=page.code,
            name=page.title[:255],
            checklist_version=page.checklist_version or None,
            fingerprint=page.checklist_fingerprint or "",
            created_at=stamp,
        )
        fan_out([event])
    return event


def refresh_checklist(page, change_note: str) -> ChangeEvent | None:
    """Record the checklist of a live guide as it reads now when it is not the one last
    recorded (the canonical format moved on with a release, or a window it names was renamed),
    with a ``checklist_changed`` event; None when the recorded one is current. The guide is not
    published again: its content and publish time stay as they are."""
    from guides.checklists import record_published_checklist

    with transaction.atomic():
        created = record_published_checklist(page, page.live_revision)
        if created is None:
            return None
        stamp = lock_change_log()
        event = ChangeEvent.objects.create(
            kind=ChangeEvent.Kind.CHECKLIST_CHANGED,
            guide_id=page.pk,
            code=page.code,
            name=page.title[:255],
            checklist_version=created.version,
            fingerprint=created.fingerprint,
            change_note=change_note,
            revision_id=page.live_revision_id,
            created_at=stamp,
        )
        fan_out([event])
    return event


def fan_out(events: list[ChangeEvent]) -> list[WebhookDelivery]:
    """Write the outbox rows of the events for every active subscriber that wants them (same
    transaction as the events) and enqueue their delivery once that transaction has committed."""
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    deliveries = [
        WebhookDelivery(subscription=subscription, event=event, next_attempt_at=event.created_at)
        for event in events
        for subscription in subscriptions
        if subscription.wants(event.kind)
    ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        from feed.tasks import enqueue_delivery

        # Once per transaction (an import publishes hundreds of guides in one): Django drops
        # the callbacks of a rolled-back savepoint, so a later publish registers it again.
        # robust: a failure to enqueue must not turn a committed publish into an error page;
        # the deliver_webhooks command picks the rows up anyway.
        pending = getattr(connection, "run_on_commit", [])
        if not any(entry[1] is enqueue_delivery for entry in pending):
            transaction.on_commit(enqueue_delivery, robust=True)
    return deliveries
