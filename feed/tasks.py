"""Background work of the feed, on Django's tasks framework (the django-tasks backport that
Wagtail 8 depends on). With the ImmediateBackend of the default settings the task runs right
after the publish transaction commits, in the same process; with a queueing backend a worker runs
it. Either way ``manage.py deliver_webhooks`` (cron, or ``--loop`` as a worker) retries what is
due, so a lost task only delays a delivery."""

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
    try:
        deliver_webhooks.enqueue()
    except Exception:  # a broken queue must not fail the publish that already committed
        logger.exception("could not enqueue webhook delivery; deliver_webhooks will retry")
