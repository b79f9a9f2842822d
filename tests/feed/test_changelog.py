"""The change log: what a publish, an edit, an unpublish and a deletion write, in the publish's
transaction, and the outbox rows that go with it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connection, transaction

from feed.models import ChangeEvent, WebhookDelivery, WebhookSubscription
from feed.signals import record_publication
from guides.importer import import_guides
from guides.models import ChecklistVersion, GuidePage
from tests.conftest import jsonl, make_record
from tests.feed.conftest import add_copy, publish_edit

pytestmark = pytest.mark.django_db

PUBLISHED, UNPUBLISHED, CHANGED = "published", "unpublished", "checklist_changed"


def log() -> list[ChangeEvent]:
    return list(ChangeEvent.objects.order_by("id"))


def test_first_publish_writes_published_then_checklist_changed(publish_guide):
    page = publish_guide()
    events = log()
    assert [(e.kind, e.code, e.checklist_version) for e in events] == [
        (PUBLISHED, "T-JY-0001", 1),
        (CHANGED, "T-JY-0001", 1),
    ]
    assert {e.fingerprint for e in events} == {page.checklist_fingerprint}
    assert events[0].guide_id == page.pk
    assert events[0].revision_id == page.live_revision_id
    assert events[0].name == "食品经营许可证核发"
    assert events[0].created_at == page.last_published_at


def test_a_summary_edit_is_a_publication_without_checklist_change(publish_guide):
    page = publish_guide()
    publish_edit(page, lambda p: setattr(p, "summary", "改写后的事项简介"), note="改写事项简介")
    events = log()
    assert [e.kind for e in events] == [PUBLISHED, CHANGED, PUBLISHED]
    assert (events[-1].checklist_version, events[-1].change_note) == (1, "改写事项简介")


def test_a_checklist_change_is_announced_once_with_its_note(publish_guide):
    page = publish_guide()
    page = publish_edit(page, add_copy(page), note="营业执照复印件改为 2 份")
    assert [(e.kind, e.checklist_version, e.change_note) for e in log()[2:]] == [
        (PUBLISHED, 2, "营业执照复印件改为 2 份"),
        (CHANGED, 2, "营业执照复印件改为 2 份"),
    ]
    assert log()[-1].fingerprint == ChecklistVersion.objects.get(guide=page, version=2).fingerprint
    # Publishing the same checklist again is a publication, not a second change.
    publish_edit(page, lambda p: None, note="")
    assert [e.kind for e in log()].count(CHANGED) == 2
    assert log()[-1].kind == PUBLISHED


def test_republishing_an_old_revision_is_a_checklist_change(publish_guide):
    page = publish_guide()
    first = page.live_revision
    page = publish_edit(page, add_copy(page))
    first.publish()
    assert [(e.kind, e.checklist_version) for e in log()[-2:]] == [(PUBLISHED, 3), (CHANGED, 3)]


def test_unpublish_and_delete_are_unpublished_events_that_keep_the_code(publish_guide):
    page = publish_guide()
    other = publish_guide(code="T-JY-0009", name="另一个事项")
    page.unpublish()
    event = log()[-1]
    assert (event.kind, event.code, event.guide_id, event.checklist_version) == (UNPUBLISHED, "T-JY-0001", page.pk, 1)

    other_pk = other.pk
    GuidePage.objects.get(pk=other_pk).delete()
    event = log()[-1]
    assert (event.kind, event.code, event.name) == (UNPUBLISHED, "T-JY-0009", "另一个事项")
    event.refresh_from_db()
    assert event.guide_id is None  # SET_NULL: the log outlives the page
    assert ChangeEvent.objects.filter(code="T-JY-0009").count() == 3


def test_a_draft_or_a_future_publish_writes_nothing(publish_guide):
    page = publish_guide()
    count = ChangeEvent.objects.count()
    latest = page.get_latest_revision_as_object()
    latest.summary = "草稿"
    latest.save_revision()
    assert ChangeEvent.objects.count() == count

    from django.utils import timezone

    import_guides(jsonl(make_record(code="T-JY-0010")), publish=False)
    scheduled = GuidePage.objects.get(code="T-JY-0010")
    revision = scheduled.get_latest_revision()
    scheduled.go_live_at = timezone.now() + dt.timedelta(days=3)
    revision = scheduled.save_revision()
    revision.publish()
    assert ChangeEvent.objects.filter(code="T-JY-0010").count() == 0


def test_publish_times_strictly_increase_in_log_order_even_if_the_clock_goes_back(publish_guide):
    pages = [publish_guide(code=f"T-JY-00{n:02}") for n in (1, 2)]
    stamps = [GuidePage.objects.get(pk=p.pk).last_published_at for p in pages]
    assert stamps[0] < stamps[1]
    behind = stamps[0] - dt.timedelta(hours=1)
    with mock.patch("feed.models.timezone.now", return_value=behind):
        page = publish_edit(pages[0], lambda p: None)
    assert page.last_published_at > stamps[1]
    assert log()[-1].created_at == page.last_published_at
    created = [e.created_at for e in log()]
    assert created == sorted(created)


def test_a_rolled_back_publish_leaves_no_event_and_no_delivery(publish_guide):
    page = publish_guide()
    WebhookSubscription.objects.create(name="受理系统", url="http://127.0.0.1:9/hook")
    before = ChangeEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_edit(page, add_copy(page))
        assert ChangeEvent.objects.count() == before + 2
        raise RuntimeError("the publish fails after the signal")
    assert ChangeEvent.objects.count() == before
    assert WebhookDelivery.objects.count() == 0
    assert GuidePage.objects.get(pk=page.pk).checklist_version == 1


def test_the_outbox_is_written_with_the_events_and_sent_only_after_commit(
    publish_guide, django_capture_on_commit_callbacks, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BACKGROUND_TASK_BACKEND = "default"
    queued = DBTaskResult.objects.filter(task_path="feed.tasks.deliver_webhooks")
    counter = WebhookSubscription.objects.create(name="受理系统", url="http://127.0.0.1:9/a", event_types=[CHANGED])
    everything = WebhookSubscription.objects.create(name="大厅屏", url="http://127.0.0.1:9/b")
    WebhookSubscription.objects.create(name="停用", url="http://127.0.0.1:9/c", active=False)
    with django_capture_on_commit_callbacks() as callbacks:
        publish_guide()
        # Inside the transaction: rows written, nothing enqueued.
        assert not queued.exists()
        rows = WebhookDelivery.objects.order_by("subscription_id", "event_id")
        assert [(d.subscription_id, d.event.kind, d.status) for d in rows] == [
            (counter.pk, CHANGED, "pending"),
            (everything.pk, PUBLISHED, "pending"),
            (everything.pk, CHANGED, "pending"),
        ]
    # (The others move the cache versions again at the commit: portal.middleware.)
    deliveries = [callback for callback in callbacks if callback.__name__ == "enqueue_delivery"]
    assert len(deliveries) == 1
    deliveries[0]()
    assert queued.count() == 1


def waiting_for_the_change_log_lock() -> int:
    """Sessions waiting, right now, for the change-log lock that lock_change_log() takes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'relation' AND relation = %s::regclass"
            " AND mode = 'ShareRowExclusiveLock' AND NOT granted",
            [ChangeEvent._meta.db_table],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_of_the_change_log_commit_their_events_in_id_order(site):
    """Two publishes write the change log at once on a real PostgreSQL server (record_publication,
    what the publish signal runs, each in a transaction of its own): the second waits for the
    change-log lock until the first has committed, so its events get the later ids and times,
    and a poller reading meanwhile neither waits nor sees either publisher's events.

    (A whole Wagtail publish also waits on the search index rows the first one updated before it
    reaches the change log, which would hide a missing lock: hence the writers here.)"""
    import_guides(jsonl(make_record(code="T-JY-0001"), make_record(code="T-JY-0002", name="食品经营备案")), publish=True)
    first, second = (GuidePage.objects.get(code=code) for code in ("T-JY-0001", "T-JY-0002"))
    before = ChangeEvent.objects.count()
    timeline: list[str] = []
    first_holds_the_lock, second_is_waiting = threading.Event(), threading.Event()

    def write_first():
        try:
            with transaction.atomic():
                record_publication(first)
                timeline.append("first wrote its events, uncommitted")
                first_holds_the_lock.set()
                assert second_is_waiting.wait(30), "the second writer never waited for the lock"
                timeline.append("first commits")
        finally:
            connection.close()

    def write_second():
        try:
            assert first_holds_the_lock.wait(30)
            record_publication(second)
            timeline.append("second wrote and committed its events")
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(write_first), pool.submit(write_second)]
        assert first_holds_the_lock.wait(30)
        deadline = time.monotonic() + 30
        while not waiting_for_the_change_log_lock():
            assert time.monotonic() < deadline, f"nobody waits for the change-log lock: {timeline}"
            time.sleep(0.02)
        # A poller reads while one writer holds the lock and the other waits: it is not blocked,
        # and sees neither writer's events yet.
        assert ChangeEvent.objects.count() == before
        timeline.append("second waits for the change-log lock")
        second_is_waiting.set()
        for future in futures:
            future.result(timeout=60)

    assert timeline == [
        "first wrote its events, uncommitted",
        "second waits for the change-log lock",
        "first commits",
        "second wrote and committed its events",
    ]
    events = log()[before:]
    assert [(e.code, e.kind) for e in events] == [("T-JY-0001", PUBLISHED), ("T-JY-0002", PUBLISHED)]
    assert events[0].created_at < events[1].created_at
    stamps = dict(GuidePage.objects.values_list("code", "last_published_at"))
    assert stamps["T-JY-0001"] == events[0].created_at < stamps["T-JY-0002"] == events[1].created_at
