"""Background work of the feed, on Django's tasks framework (the django-tasks backport that
Wagtail 8 depends on). Deliveries are enqueued once the publish has committed, on the backend
that runs work outside requests (portal.tasks): a thread of the process with the immediate
backend, ``db_worker`` with the database queue. Never the editor's request or an import: a
receiver that hangs cannot hold up a publish. ``manage.py deliver_webhooks`` (cron, or ``--loop``
as a worker) retries what is due, so a lost task only delays a delivery."""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def deliver_webhooks(subscription_ids: list[int] | None = None) -> dict:
    from feed.webhooks import deliver_due

    return deliver_due(subscription_ids=subscription_ids).as_dict()


def enqueue_delivery() -> None:
    """Called through ``transaction.on_commit`` after events were written."""
    from portal.tasks import in_background

    try:
        in_background(deliver_webhooks).enqueue()
    except Exception:  # a broken queue must not fail the publish that already committed
        logger.exception("could not enqueue webhook delivery; deliver_webhooks will retry")
