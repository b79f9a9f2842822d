"""Webhook delivery against a real HTTP receiver on 127.0.0.1 that fails, goes away and comes
back: every event arrives, in order, exactly once after deduplication by idempotency key, and
only failed requests are ever repeated."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from feed.models import ChangeEvent, WebhookDelivery, WebhookSubscription
from feed.webhooks import SIGNATURE_HEADER, backoff, deliver_due, sign, verify_signature
from tests.feed.conftest import add_copy, publish_edit
from tests.feed.receivers import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(settings):
    """The receivers of these tests listen on loopback, which only a named host may resolve to."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def pending_head(subscription) -> WebhookDelivery:
    return subscription.deliveries.exclude(status="delivered").order_by("event_id").first()


def test_down_then_back_every_event_in_order_exactly_once(publish_guide, receiver, settings):
    settings.FEED_WEBHOOK_TIMEOUT = 2
    subscription = WebhookSubscription.objects.create(name="综合受理系统", url=receiver.url)
    rng = random.Random(7)

    # Two guides published while the receiver answers 503.
    receiver.failing = True
    page = publish_guide()
    publish_guide(code="T-GM-0001", name="居民身份证换领", category="公民类")
    clock = timezone.now()
    run = deliver_due(now=clock, rng=rng)
    assert (len(run.delivered), len(run.failed)) == (0, 1)
    first_event = ChangeEvent.objects.order_by("id").first()
    assert [r["key"] for r in receiver.requests] == [str(first_event.pk)]  # never event 2 before event 1

    head = pending_head(subscription)
    assert (head.event_id, head.status, head.attempts, head.response_code) == (first_event.pk, "retrying", 1, 503)
    assert "503" in head.last_error
    # The times are those of the try itself, not of the run that made it.
    assert clock < head.last_attempt_at <= timezone.now()
    first_delay = head.next_attempt_at - head.last_attempt_at
    assert dt.timedelta(seconds=5) <= first_delay <= dt.timedelta(seconds=11)

    # Not due yet: nothing is sent.
    assert deliver_due(now=head.last_attempt_at + first_delay / 3, rng=rng).failed == []
    assert len(receiver.requests) == 1

    # Due again, still 503: backoff grows.
    clock = head.next_attempt_at
    deliver_due(now=clock, rng=rng)
    head.refresh_from_db()
    assert head.attempts == 2
    assert dt.timedelta(seconds=10) <= head.next_attempt_at - head.last_attempt_at <= dt.timedelta(seconds=21)

    # The receiver goes away entirely; a checklist change is published meanwhile.
    receiver.stop()
    publish_edit(page, add_copy(page), note="复印件改为 2 份")
    clock = head.next_attempt_at
    deliver_due(now=clock, rng=rng)
    head.refresh_from_db()
    assert (head.attempts, head.response_code, head.status) == (3, None, "retrying")
    assert "Connection refused" in head.last_error or "URLError" in head.last_error
    assert [h["status"] for h in head.history] == [503, 503, None]

    # It comes back, healthy, on the same port; the cron command delivers the backlog.
    receiver.failing = False
    receiver.start()
    WebhookDelivery.objects.filter(pk=head.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    output = io.StringIO()
    call_command("deliver_webhooks", stdout=output)
    assert "已送达 6 条，失败 0 条" in output.getvalue()
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()
    output = io.StringIO()
    call_command("deliver_webhooks", stdout=output)  # nothing left: nothing sent
    assert "已送达 0 条" in output.getvalue()

    events = list(ChangeEvent.objects.order_by("id"))
    assert len(events) == 6
    accepted = [r for r in receiver.requests if r["status"] == 200]
    # Every event, in order, exactly once from the receiver's point of view.
    assert [r["key"] for r in accepted] == [str(e.pk) for e in events]
    # Repeats of a key only ever followed failures.
    for key in {r["key"] for r in receiver.requests}:
        statuses = [r["status"] for r in receiver.requests if r["key"] == key]
        assert statuses[-1] == 200 and set(statuses[:-1]) <= {503}, (key, statuses)
    assert [r["key"] for r in receiver.requests].count(str(first_event.pk)) == 3  # 503, 503, 200
    # Signed, with the event as body.
    for request in receiver.requests:
        assert verify_signature(subscription.secret, request["headers"][SIGNATURE_HEADER], request["body"])
        assert not verify_signature("whsec_wrong", request["headers"][SIGNATURE_HEADER], request["body"])
        payload = json.loads(request["body"])
        assert str(payload["id"]) == request["key"]
        assert request["headers"]["X-Yichuang-Event"] == payload["type"]
        assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
        assert request["path"] == "/hooks/yichuang"
    last = json.loads(accepted[-1]["body"])
    assert (last["type"], last["code"], last["checklist_version"], last["change_note"]) == (
        "checklist_changed", "T-JY-0001", 2, "复印件改为 2 份",
    )
    assert last["guide_url"] == "http://testserver/api/v1/guides/T-JY-0001/"
    delivered = WebhookDelivery.objects.get(event=events[0])
    assert (delivered.attempts, delivered.response_code, delivered.last_error) == (4, 200, "")
    assert delivered.delivered_at is not None


def test_a_failing_subscriber_does_not_hold_up_another(publish_guide, receiver):
    healthy = WebhookSubscription.objects.create(name="healthy", url=receiver.url)
    broken = WebhookSubscription.objects.create(name="broken", url="http://127.0.0.1:1/closed")
    publish_guide()
    run = deliver_due()
    assert len(run.delivered) == 2 and len(run.failed) == 1
    assert not healthy.deliveries.exclude(status="delivered").exists()
    assert broken.deliveries.filter(status="delivered").count() == 0


def test_event_types_and_inactive_subscribers(publish_guide, receiver):
    WebhookSubscription.objects.create(name="changes only", url=receiver.url, event_types=["checklist_changed"])
    paused = WebhookSubscription.objects.create(name="paused", url=receiver.url)
    publish_guide()
    paused.active = False
    paused.save()
    deliver_due()
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["checklist_changed"]
    assert paused.deliveries.filter(status="pending").count() == 2


def test_a_leased_subscriber_is_left_to_its_worker(publish_guide, receiver):
    subscription = WebhookSubscription.objects.create(name="x", url=receiver.url)
    publish_guide()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(lease_until=timezone.now() + dt.timedelta(minutes=1))
    run = deliver_due()
    assert run.busy_subscriptions == [subscription.pk] and receiver.requests == []
    # An expired lease (a crashed worker) is taken over.
    WebhookSubscription.objects.filter(pk=subscription.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert len(deliver_due().delivered) == 2
    subscription.refresh_from_db()
    assert subscription.lease_until is None


def test_a_redirect_is_a_failure(publish_guide):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:1/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        WebhookSubscription.objects.create(name="x", url=f"http://127.0.0.1:{server.server_address[1]}/")
        publish_guide()
        run = deliver_due()
        assert run.failed and not run.delivered
        assert WebhookDelivery.objects.get(pk=run.failed[0]).response_code == 307
    finally:
        server.shutdown()
        server.server_close()


def test_delivery_is_queued_after_the_publish_commits_and_never_runs_in_it(
    publish_guide, receiver, django_capture_on_commit_callbacks, settings
):
    """Nothing is sent while the publish transaction is open, and its commit only queues the
    delivery (here on the database queue, for the worker); the queued task then delivers."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BACKGROUND_TASK_BACKEND = "default"
    WebhookSubscription.objects.create(name="x", url=receiver.url)
    deliveries = DBTaskResult.objects.filter(task_path="feed.tasks.deliver_webhooks")
    with django_capture_on_commit_callbacks(execute=True):
        publish_guide()
        assert receiver.requests == [] and not deliveries.exists()
    assert receiver.requests == [] and deliveries.count() == 1
    deliveries.get().task.call()  # what db_worker runs
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["published", "checklist_changed"]
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()


def test_an_operator_retries_now(publish_guide, receiver):
    subscription = WebhookSubscription.objects.create(name="x", url=receiver.url)
    receiver.failing = True
    publish_guide()
    deliver_due()
    head = pending_head(subscription)
    assert head.next_attempt_at > timezone.now()
    receiver.failing = False
    output = io.StringIO()
    call_command("deliver_webhooks", stdout=output)
    assert "已送达 0 条" in output.getvalue()  # still backing off
    call_command("deliver_webhooks", "--now", stdout=output)
    assert "已将 2 条未送达的推送设为立即重试" in output.getvalue() and "已送达 2 条" in output.getvalue()
    assert not subscription.deliveries.exclude(status="delivered").exists()


def test_signatures():
    body = "{\"id\":1,\"name\":\"食品\"}".encode()
    header = sign("whsec_x", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature("whsec_x", header, body, now=1_700_000_100)
    assert not verify_signature("whsec_x", header, body + b" ", now=1_700_000_100)
    assert not verify_signature("whsec_x", header, body, now=1_700_001_000)  # stale
    assert not verify_signature("whsec_x", "v1=abc", body)
    assert not verify_signature("whsec_x", None, body)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings):
    settings.FEED_WEBHOOK_BACKOFF_BASE = 10
    settings.FEED_WEBHOOK_BACKOFF_MAX = 600
    rng = random.Random(1)
    for attempts, (low, high) in {1: (5, 10), 2: (10, 20), 3: (20, 40), 7: (300, 600), 50: (300, 600)}.items():
        delays = {backoff(attempts, rng).total_seconds() for _ in range(50)}
        assert low <= min(delays) and max(delays) <= high
        assert len(delays) > 1  # jittered
