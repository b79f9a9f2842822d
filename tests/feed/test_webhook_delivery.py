"""A webhook receiver cannot hold up publishing, nor hold a delivery worker beyond a try's
deadline, and two delivery processes at once send each event once. Real receivers on loopback:
one that hangs, ones that trickle their answer, one that answers slowly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from feed import webhooks
from feed.models import WebhookDelivery, WebhookSubscription
from feed.webhooks import deliver_due, lease_seconds, try_seconds
from tests.conftest import build_hall, jsonl, make_record, request_transaction
from tests.databases import shared_database_url
from tests.feed.receivers import RawReceiver, Receiver

DEADLINE = 2.0  # seconds per try: more than the 1 s a publish may cost, so a try inside it would show


@pytest.fixture(autouse=True)
def loopback_receivers(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FEED_WEBHOOK_TIMEOUT = DEADLINE


@pytest.fixture
def raw_receiver():
    receivers = []

    def make(behaviour: str) -> RawReceiver:
        receivers.append(RawReceiver(behaviour))
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.close()


@pytest.fixture
def background():
    """The thread that runs background work with the immediate backend (see
    tests/search/test_index_outbox.py: the test waits for it before touching the database)."""
    from django_tasks import task_backends

    backend = task_backends["background"]
    yield backend
    assert backend.wait(60), "background work still running after the test"
    backend.discard()


@pytest.fixture
def attempt_threads(monkeypatch):
    """The thread of every delivery try (a spy: the tries still run)."""
    threads: list[int] = []
    real = webhooks.attempt

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(webhooks, "attempt", spy)
    return threads


def timed(function) -> float:
    started = time.monotonic()
    function()
    return time.monotonic() - started


def records(prefix: str, count: int) -> list[str]:
    return jsonl(*(make_record(code=f"{prefix}-{n:04d}", name=f"食品经营许可证核发{prefix}{n}") for n in range(count)))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hanging_receiver_holds_up_no_publish_and_no_import(raw_receiver, background, attempt_threads):
    from guides.importer import import_guides
    from guides.models import GuidePage
    from portal.demo.loader import ensure_site

    ensure_site()
    build_hall()
    receiver = raw_receiver("hang")
    subscription = WebhookSubscription.objects.create(name="受理系统", url=receiver.url)
    me = threading.get_ident()

    def import_of(prefix):
        with request_transaction() as timing:
            import_guides(records(prefix, 10), publish=True)
        return timing

    def publish_of(code):
        revision = GuidePage.objects.get(code=code).get_latest_revision_as_object()
        revision.title += "（修订）"
        with request_transaction() as timing:
            revision.save_revision().publish()
        return timing

    # The import and the publish each write deliveries to a receiver that hangs: nothing is sent
    # from their thread, before or after their commit, and nothing waits after it.
    for action in (lambda: import_of("T-A"), lambda: publish_of("T-A-0001")):
        timing = action()
        assert me not in attempt_threads
        assert timing.after_commit <= 1.0, timing
        assert background.wait(DEADLINE * 5)
    assert attempt_threads and me not in attempt_threads
    assert receiver.accepted >= 1
    head = subscription.deliveries.order_by("event_id").first()
    assert head.status == "retrying" and head.last_error.startswith("deadline")
    assert subscription.deliveries.filter(status="delivered").count() == 0


@pytest.mark.django_db
def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(publish_guide, raw_receiver):
    receiver = raw_receiver("trickle-headers")
    subscription = WebhookSubscription.objects.create(name="trickle", url=receiver.url)
    publish_guide()
    seconds = timed(lambda: deliver_due())
    assert DEADLINE - 0.1 <= seconds <= DEADLINE + 1.5
    head = subscription.deliveries.order_by("event_id").first()
    assert (head.status, head.attempts, head.response_code) == ("retrying", 1, None)
    assert head.last_error == "deadline: no complete answer within 2 s"
    assert head.next_attempt_at > head.last_attempt_at
    subscription.refresh_from_db()
    assert subscription.lease_until is None and receiver.keys == [str(head.event_id)]


@pytest.mark.django_db
def test_a_success_that_trickles_its_body_counts_at_once(publish_guide, raw_receiver):
    receiver = raw_receiver("trickle-body")
    subscription = WebhookSubscription.objects.create(name="trickle", url=receiver.url)
    publish_guide()
    seconds = timed(lambda: deliver_due())
    assert seconds <= DEADLINE
    assert subscription.deliveries.filter(status="delivered").count() == 2 == len(receiver.keys)


def test_a_lease_outlasts_a_try(settings):
    for deadline in (1, 5, 60):
        settings.FEED_WEBHOOK_TIMEOUT = deadline
        assert lease_seconds() >= try_seconds() + 30


def deliver_in_process(database_url: str, var_dir: Path, *arguments: str) -> subprocess.Popen:
    """``manage.py deliver_webhooks`` in a process of its own, on ``database_url``."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        # Process A's held try must outlast the start of process B on a loaded machine.
        "FEED_WEBHOOK_TIMEOUT": "120",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_webhooks", *arguments],
        cwd=django_settings.BASE_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_delivery_processes_at_once_send_each_event_once(tmp_path, settings):
    """Process A delivers and is held in its first try; process B starts meanwhile, finds the
    subscriber leased and sends nothing; A then delivers every event, in order, once."""
    from guides.importer import import_guides
    from portal.demo.loader import ensure_site

    # The import's delivery task is queued (and left there), not run by this test's process.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BACKGROUND_TASK_BACKEND = "default"
    ensure_site()
    build_hall()
    receiver = Receiver().start()
    try:
        WebhookSubscription.objects.create(name="受理系统", url=receiver.url)
        import_guides(records("T-P", 3), publish=True)
        events = list(WebhookDelivery.objects.order_by("event_id").values_list("event_id", flat=True))
        assert len(events) == 6
        if connection.vendor == "sqlite":
            # The SQLite pass's database lives in this process's memory: the processes share a copy.
            database = tmp_path / "portal.sqlite3"
            copy = sqlite3.connect(database)
            connection.ensure_connection()
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")
            copy.close()
            database_url = f"sqlite:///{database}"
        else:
            database_url = shared_database_url()

        receiver.hold = held = threading.Event()
        first = deliver_in_process(database_url, tmp_path)
        deadline = time.monotonic() + 120
        while not receiver.requests and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert receiver.requests, first.communicate()[0]
        second = deliver_in_process(database_url, tmp_path)
        second_output, _ = second.communicate(timeout=240)
        held.set()
        first_output, _ = first.communicate(timeout=240)
        assert (first.returncode, second.returncode) == (0, 0), (first_output, second_output)
        assert "已送达 0 条，失败 0 条，其他进程处理中的订阅方 1 个" in second_output
        assert "已送达 6 条，失败 0 条" in first_output
        assert [request["key"] for request in receiver.requests] == [str(event) for event in events]
        if connection.vendor == "sqlite":
            with sqlite3.connect(database) as result:
                statuses = result.execute("SELECT status, attempts FROM feed_webhookdelivery").fetchall()
        else:
            statuses = list(WebhookDelivery.objects.values_list("status", "attempts"))
        assert statuses == [("delivered", 1)] * 6
    finally:
        receiver.stop()
