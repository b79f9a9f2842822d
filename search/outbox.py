"""The search index outbox: Elasticsearch learns of saved and deleted objects after the commit.

Wagtail writes to every search backend inside the save, so a hung cluster held up each publish
for its timeout, and an import for the timeout of every guide. Here the Elasticsearch backends
are configured with ``AUTO_UPDATE: False`` (``search.es_config``); instead, every save or delete
of an indexed object writes an :class:`~search.models.IndexUpdate` row in its own transaction
(:func:`record_change`), and once that transaction has committed a background task
(``portal.tasks.in_background``) runs :func:`sync_index`, which sends the objects' current state
to the cluster in bulk and deletes the rows it sent. The database backend is still written in
the transaction: it is the fallback while the cluster is away.

* Nothing is lost: a row is deleted only after the cluster accepted the document. While the
  cluster is away the rows wait; the sync task reschedules itself (one pending retry at a time,
  with a growing delay), so the index catches up when the cluster returns, without
  ``update_index``.
* Newest state wins: a row names an object, not a state; the sync reads the object when it runs.
  One process syncs at a time (a lease in :class:`~search.models.IndexSync`), so an older read
  never overwrites a newer one.
* Fast to give up: requests have ``SEARCH_INDEX_TIMEOUT`` seconds (10) and a failure trips the
  search service's circuit breaker, which also turns searches to the database backend.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from elastic_transport import ApiError, TransportError
from elasticsearch.helpers import bulk
from modelsearch.index import get_indexed_models

from search.models import IndexSync, IndexUpdate

logger = logging.getLogger(__name__)

BATCH = 500
RETRYABLE_ITEM_STATUS = 429  # and 5xx: the cluster could not take the document now
MAX_RETRY_SECONDS = 600


def outbox_backends() -> list[str]:
    """Names of the configured search backends that the outbox keeps up to date."""
    return [name for name, params in settings.WAGTAILSEARCH_BACKENDS.items() if params.get("AUTO_UPDATE", True) is False]


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


# --- writing the outbox (inside the transaction of the change) ----------------------------------


def record_change(sender, instance, **kwargs) -> None:
    """post_save / post_delete of an indexed model: remember the object for the outbox backends."""
    if kwargs.get("raw") or not outbox_backends():
        return
    # A page saved through a parent class (Page) is indexed as its own class.
    model = getattr(instance, "specific_class", None) or type(instance)
    IndexUpdate.objects.create(model=model._meta.label_lower, object_id=str(instance.pk))
    # Once per transaction (an import saves thousands of objects in one); a rolled-back savepoint
    # drops its callbacks, so a later change registers it again.
    if not any(entry[1] is enqueue_sync for entry in getattr(connection, "run_on_commit", [])):
        transaction.on_commit(enqueue_sync, robust=True)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    for model in get_indexed_models():
        if getattr(model, "search_auto_update", True):
            post_save.connect(record_change, sender=model, dispatch_uid=f"index-outbox-save-{model._meta.label}")
            post_delete.connect(record_change, sender=model, dispatch_uid=f"index-outbox-delete-{model._meta.label}")


def enqueue_sync(run_after: dt.datetime | None = None) -> None:
    """Enqueue a sync; with ``run_after``, the one retry that ``IndexSync.retry_at`` stands for."""
    from portal.tasks import in_background

    try:
        if run_after is None:
            in_background(sync_search_index).enqueue()
        else:
            in_background(sync_search_index).using(run_after=run_after).enqueue(retry_at=run_after.isoformat())
    except Exception:  # a broken queue must not fail a change that already committed
        logger.exception("could not enqueue the search index sync; the outbox keeps the changes")


@task()
def sync_search_index(retry_at: str | None = None) -> dict:
    if retry_at is not None:  # the scheduled retry runs: the next failure may schedule another
        IndexSync.objects.filter(pk=1, retry_at=dt.datetime.fromisoformat(retry_at)).update(retry_at=None)
    return sync_index().as_dict()


# --- emptying the outbox ------------------------------------------------------------------------


@dataclass
class SyncRun:
    synced: int = 0  # outbox rows sent and deleted
    failed: bool = False
    busy: bool = False  # another process holds the lease
    waiting: bool = False  # the circuit breaker is open: retried when it closes
    error: str = ""

    def as_dict(self) -> dict:
        return {"synced": self.synced, "failed": self.failed, "busy": self.busy, "waiting": self.waiting, "error": self.error}


class _Lease:
    """One syncing process at a time, through a conditional UPDATE of the state row."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.until: dt.datetime | None = None

    def claim(self) -> bool:
        _state_row()
        now = timezone.now()
        until = now + dt.timedelta(seconds=self.seconds)
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        if IndexSync.objects.filter(free, pk=1).update(lease_until=until):
            self.until = until
            return True
        return False

    def renew(self) -> bool:
        until = timezone.now() + dt.timedelta(seconds=self.seconds)
        if IndexSync.objects.filter(pk=1, lease_until=self.until).update(lease_until=until):
            self.until = until
            return True
        return False

    def release(self) -> None:
        IndexSync.objects.filter(pk=1, lease_until=self.until).update(lease_until=None)


def _state_row() -> None:
    if not IndexSync.objects.filter(pk=1).exists():
        try:
            with transaction.atomic():
                IndexSync.objects.create(pk=1)
        except IntegrityError:  # another process created it first
            pass


class TransientIndexError(Exception):
    """The cluster did not take documents that it may take later."""


def sync_index(*, batch: int = BATCH) -> SyncRun:
    """Send the objects named in the outbox to every outbox backend, oldest first, and delete
    their rows; on a failure, keep the rows and schedule one retry."""
    from portal.middleware import bump_content_version
    from search.service import breaker

    run = SyncRun()
    names = outbox_backends()
    if not names:
        return run
    if not breaker.allows():
        run.waiting = True
        _schedule_retry(breaker.seconds_open())
        return run
    timeout = _setting("SEARCH_INDEX_TIMEOUT", 10)
    # A batch is one bulk request per backend, each with at most one retry on another node.
    lease = _Lease(seconds=4 * timeout * len(names) + 30)
    while IndexUpdate.objects.exists():
        if not lease.claim():
            run.busy = True
            return run
        try:
            while True:
                rows = list(IndexUpdate.objects.order_by("pk").values_list("pk", "model", "object_id")[:batch])
                if not rows or not lease.renew():
                    break
                try:
                    _send(rows, names, timeout)
                except Exception as error:
                    _record_failure(run, error, breaker)
                    return run
                IndexUpdate.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
                run.synced += len(rows)
                # The index answers differently now: shared search results are out of date.
                bump_content_version()
            IndexSync.objects.filter(pk=1).update(failures=0, last_error="", last_synced_at=timezone.now())
        finally:
            lease.release()
        # Rows committed after the last read found the lease taken and left them to this process.
    return run


def _record_failure(run: SyncRun, error: Exception, breaker) -> None:
    run.failed = True
    run.error = f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, (TransportError, ApiError, TransientIndexError)):
        breaker.trip()  # the cluster is unwell: searches turn to the database backend too
        logger.warning("search index sync failed (%s); the outbox keeps the changes", run.error)
    else:
        logger.exception("search index sync failed; the outbox keeps the changes")
    IndexSync.objects.filter(pk=1).update(last_error=run.error, failures=F("failures") + 1)
    failures = IndexSync.objects.filter(pk=1).values_list("failures", flat=True).first() or 1
    base = _setting("SEARCH_INDEX_RETRY_SECONDS", 30)
    _schedule_retry(max(breaker.seconds_open(), min(MAX_RETRY_SECONDS, base * 2 ** min(failures - 1, 16))))


def _schedule_retry(seconds: float) -> None:
    """Enqueue one sync ``seconds`` from now, unless a retry is already scheduled."""
    now = timezone.now()
    at = now + dt.timedelta(seconds=max(seconds, 0.05))
    _state_row()
    no_retry_pending = Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    if IndexSync.objects.filter(no_retry_pending, pk=1).update(retry_at=at):
        enqueue_sync(run_after=at)


def _send(rows: list[tuple[int, str, str]], names: list[str], timeout: float) -> None:
    from search.service import search_backend

    ids_by_model: dict[type, set[str]] = defaultdict(set)
    for _, label, object_id in rows:
        try:
            ids_by_model[apps.get_model(label)].add(object_id)
        except LookupError:  # a model removed since
            continue
    present: dict[type, list] = {}
    absent: list[tuple[type, str]] = []
    for model, ids in ids_by_model.items():
        found = {str(obj.pk): obj for obj in model.get_indexed_objects().filter(pk__in=ids)}
        present[model] = list(found.values())
        absent += [(model, object_id) for object_id in sorted(ids - found.keys())]
    for name in names:
        backend = search_backend(name)
        client = backend.es.options(request_timeout=timeout)
        ready: dict[type, str] = {}
        actions = []
        for model, objects in present.items():
            index = _ready_index(backend, client, model, ready)
            mapping = backend.mapping_class(model)
            actions += [
                {"_index": index, "_id": mapping.get_document_id(obj), "_source": mapping.get_document(obj)}
                for obj in objects
            ]
        for model, object_id in absent:
            actions.append({"_op_type": "delete", "_index": _ready_index(backend, client, model, ready), "_id": object_id})
        if not actions:
            continue
        _, errors = bulk(client, actions, raise_on_error=False)
        errors = [item for item in errors if "delete" not in item or _item_status(item) != 404]  # already gone
        retryable = [item for item in errors if _item_status(item) == RETRYABLE_ITEM_STATUS or _item_status(item) >= 500]
        if retryable:
            raise TransientIndexError(f"{len(retryable)} documents refused for now: {retryable[0]}")
        for item in errors:  # refused for good (a mapping conflict): retrying cannot help
            logger.error("the search index refused a document: %s", item)


def _item_status(item: dict) -> int:
    return int(next(iter(item.values())).get("status", 0))


def _ready_index(backend, client, model, ready: dict[type, str]) -> str:
    """The name of the model's index, created with its mappings if the cluster has none (a new
    cluster), so that documents are not indexed with guessed field types. ``ready`` remembers the
    models already looked at in this batch."""
    if model in ready:
        return ready[model]
    index = backend.get_index_for_model(model)
    ready[model] = index.name
    if not client.indices.exists(index=index.name):
        client.indices.create(index=index.name, **backend.settings)
        for other in get_indexed_models():
            if backend.get_index_for_model(other).name == index.name:
                client.indices.put_mapping(index=index.name, **backend.mapping_class(other).get_mapping())
    return index.name
