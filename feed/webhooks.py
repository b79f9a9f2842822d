"""Delivering change events to webhook subscribers from the outbox (``WebhookDelivery``).

Guarantees
----------
* In order per subscriber: only the oldest undelivered event of a subscriber is ever attempted;
  event n+1 waits until event n got a 2xx. A failing subscriber never holds up the others.
* At least once: a delivery is marked delivered only after a 2xx, so a crash in between sends it
  again. Every request carries ``Idempotency-Key: <event id>`` for the receiver to drop repeats.
* One worker per subscriber at a time: a worker claims a lease on the subscription with a
  conditional UPDATE (works on SQLite and PostgreSQL, no transaction is held across HTTP calls)
  and renews it before each attempt; if it lost the lease it stops. The lease always outlasts a
  try: each try has a total deadline (``FEED_WEBHOOK_TIMEOUT``) for resolving, connecting,
  sending and reading the answer, and a receiver that trickles its answer is cut off at it.
* Never in an editor's request or an import: deliveries run in the background (portal.tasks)
  after the commit, or in ``manage.py deliver_webhooks``.
* Public receivers only, unless named in ``WEBHOOK_ALLOWED_HOSTS`` (feed.targets): checked when a
  subscription is saved and again before each try, connecting to the address just checked.
* Exponential backoff with jitter after a failure: ``base * 2**(attempts-1)`` seconds capped at
  ``FEED_WEBHOOK_BACKOFF_MAX``, of which a random half is added ("equal jitter").

Request
-------
``POST <url>`` with the event as JSON (UTF-8), and the headers::

    Content-Type: application/json; charset=utf-8
    X-Yichuang-Event: checklist_changed
    X-Yichuang-Delivery: <delivery id>
    Idempotency-Key: <event id>
    X-Yichuang-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Receivers verify with :func:`verify_signature` (or its three lines in any language) and should
reject timestamps older than a few minutes.

Settings (all optional): ``FEED_WEBHOOK_TIMEOUT`` (seconds per try, 5), ``FEED_WEBHOOK_BACKOFF_BASE``
(seconds, 10), ``FEED_WEBHOOK_BACKOFF_MAX`` (seconds, 3600), ``FEED_WEBHOOK_BATCH`` (deliveries
per subscriber per run, 100), ``WEBHOOK_ALLOWED_HOSTS`` (host names that may resolve to
non-public addresses); absolute URLs in payloads start with ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import http.client
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from feed.models import WebhookDelivery, WebhookSubscription, to_iso
from feed.targets import TargetRefused, resolve_target
from portal.public_urls import public_base_url

SIGNATURE_HEADER = "X-Yichuang-Signature"
UNDELIVERED = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)
HISTORY_LENGTH = 20
LEASE_MARGIN_SECONDS = 30


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- signing ------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str | None, body: bytes, *, tolerance: int = 300, now: float | None = None
) -> bool:
    """Check an ``X-Yichuang-Signature`` header: a known scheme, a fresh timestamp, a valid MAC."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


# --- transport ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``address`` (checked by feed.targets), with ``host`` in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.aborted = threading.Event()

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def abort(self):
        """Cut the connection from another thread: a blocked read returns at once (and what
        was read so far, maybe a status line and half its headers, counts for nothing)."""
        self.aborted.set()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to ``address``, the certificate checked against ``host`` (SNI too)."""

    default_port = http.client.HTTPS_PORT

    def connect(self):
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST ``body`` to ``url`` within ``timeout`` seconds in all: resolving and checking the
    host, connecting, sending and reading the status and headers. A watchdog closes the socket at
    the deadline, so that an answer trickled byte by byte cannot hold the worker (a socket
    timeout only limits each read). A 2xx counts once its headers arrived: the body is not read.
    Redirects are not followed (a misconfigured receiver, reported as a failure)."""
    deadline = time.monotonic() + timeout
    try:
        target = resolve_target(url, timeout=timeout)
    except TargetRefused as error:
        return Outcome(False, None, str(error))
    error_text = ""
    for address in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = kind(target.host, target.port, address, timeout=remaining)
        watchdog = threading.Timer(remaining, connection.abort)
        watchdog.daemon = True
        watchdog.start()
        late = Outcome(False, None, f"deadline: no complete answer within {timeout:g} s")
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            if connection.aborted.is_set():
                return late
            if 200 <= response.status < 300:
                return Outcome(True, response.status)
            text = response.read(500).decode("utf-8", "replace")
            if connection.aborted.is_set():
                return late
            return Outcome(False, response.status, f"HTTP {response.status} {response.reason}: {text}".strip())
        except (OSError, http.client.HTTPException, ValueError) as error:
            if connection.aborted.is_set():
                return late
            error_text = f"{type(error).__name__}: {error}"
            if connection.sock is not None:  # connected: the receiver failed, another address would not help
                return Outcome(False, None, error_text)
        finally:
            watchdog.cancel()
            connection.close()
    return Outcome(False, None, error_text or f"deadline: no connection within {timeout:g} s")


Transport = Callable[[str, bytes, dict[str, str], float], Outcome]


# --- scheduling ---------------------------------------------------------------------------------


def backoff(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after the ``attempts``-th consecutive failure (1-based)."""
    base = float(_setting("FEED_WEBHOOK_BACKOFF_BASE", 10))
    cap = float(_setting("FEED_WEBHOOK_BACKOFF_MAX", 3600))
    delay = min(cap, base * 2 ** min(max(attempts, 1) - 1, 32))
    jitter = (rng or random).uniform(0, delay / 2)
    return dt.timedelta(seconds=delay / 2 + jitter)


def base_url() -> str:
    return public_base_url()


def payload_bytes(delivery: WebhookDelivery) -> bytes:
    root = base_url().rstrip("/") + "/"
    payload = delivery.event.as_payload(lambda path: urljoin(root, path.lstrip("/")))
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class DeliveryRun:
    delivered: list[int] = field(default_factory=list)  # delivery ids
    failed: list[int] = field(default_factory=list)
    busy_subscriptions: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"delivered": len(self.delivered), "failed": len(self.failed), "busy": len(self.busy_subscriptions)}


class _Lease:
    """A claim on a subscription's queue, held through the ``lease_until`` column."""

    def __init__(self, subscription_id: int, seconds: float):
        self.subscription_id = subscription_id
        self.seconds = seconds
        self.until: dt.datetime | None = None

    def _unique_until(self) -> dt.datetime:
        return timezone.now() + dt.timedelta(seconds=self.seconds)

    def claim(self) -> bool:
        now = timezone.now()
        until = self._unique_until()
        claimed = (
            WebhookSubscription.objects.filter(pk=self.subscription_id)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_until=until)
        )
        if claimed:
            self.until = until
        return bool(claimed)

    def renew(self) -> bool:
        until = self._unique_until()
        renewed = WebhookSubscription.objects.filter(pk=self.subscription_id, lease_until=self.until).update(
            lease_until=until
        )
        if renewed:
            self.until = until
        return bool(renewed)

    def release(self) -> None:
        WebhookSubscription.objects.filter(pk=self.subscription_id, lease_until=self.until).update(lease_until=None)


def attempt(
    delivery: WebhookDelivery,
    *,
    transport: Transport = http_post,
    rng: random.Random | None = None,
) -> Outcome:
    """Send one delivery and record the outcome on its row, with the times of this try."""
    subscription = delivery.subscription
    body = payload_bytes(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "yichuang-feed-webhooks/1",
        "X-Yichuang-Event": delivery.event.kind,
        "X-Yichuang-Delivery": str(delivery.pk),
        "Idempotency-Key": str(delivery.event_id),
        SIGNATURE_HEADER: sign(subscription.secret, int(time.time()), body),
    }
    started = timezone.now()
    outcome = transport(subscription.url, body, headers, try_seconds())
    finished = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = started
    delivery.response_code = outcome.status
    delivery.history = [
        *delivery.history[-(HISTORY_LENGTH - 1):],
        {"at": to_iso(started), "status": outcome.status, "error": outcome.error[:300]},
    ]
    if outcome.ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = finished
        delivery.last_error = ""
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.last_error = outcome.error[:2000]
        delivery.next_attempt_at = finished + backoff(delivery.attempts, rng)
    delivery.save(
        update_fields=[
            "attempts", "last_attempt_at", "response_code", "history", "status", "delivered_at",
            "last_error", "next_attempt_at",
        ]
    )
    return outcome


def try_seconds() -> float:
    """The total deadline of one try."""
    return float(_setting("FEED_WEBHOOK_TIMEOUT", 5))


def lease_seconds() -> float:
    """A lease is renewed before each try and outlasts it: the try's deadline, plus the time to
    read the next delivery and write the outcome (generous on a loaded database)."""
    return try_seconds() + LEASE_MARGIN_SECONDS


def retry_now(subscription_ids: list[int] | None = None) -> int:
    """Make every undelivered delivery of active subscribers due now (an operator who fixed a
    receiver does not wait out the backoff); return how many."""
    pending = WebhookDelivery.objects.filter(status__in=UNDELIVERED, subscription__active=True)
    if subscription_ids is not None:
        pending = pending.filter(subscription_id__in=subscription_ids)
    return pending.update(next_attempt_at=timezone.now())


def deliver_due(
    *,
    now: dt.datetime | None = None,
    subscription_ids: list[int] | None = None,
    batch: int | None = None,
    transport: Transport = http_post,
    rng: random.Random | None = None,
) -> DeliveryRun:
    """Deliver what is due, subscriber by subscriber, each in event order.

    ``now`` decides what is due (tests pass their own clock); the times recorded on a delivery
    and the leases always use the real clock. Never call this inside the transaction that wrote
    the events: receivers could be told about events that are then rolled back."""
    clock = now or timezone.now()
    batch = batch or int(_setting("FEED_WEBHOOK_BATCH", 100))
    run = DeliveryRun()
    candidates = WebhookSubscription.objects.filter(
        active=True, deliveries__status__in=UNDELIVERED, deliveries__next_attempt_at__lte=clock
    )
    if subscription_ids is not None:
        candidates = candidates.filter(pk__in=subscription_ids)
    for subscription_id in sorted(set(candidates.values_list("pk", flat=True))):
        lease = _Lease(subscription_id, lease_seconds())
        if not lease.claim():
            run.busy_subscriptions.append(subscription_id)
            continue
        try:
            for _ in range(batch):
                head = (
                    WebhookDelivery.objects.filter(subscription_id=subscription_id, status__in=UNDELIVERED)
                    .select_related("event", "subscription")
                    .order_by("event_id")
                    .first()
                )
                if head is None or head.next_attempt_at > clock or not head.subscription.active:
                    break
                if not lease.renew():
                    break
                outcome = attempt(head, transport=transport, rng=rng)
                (run.delivered if outcome.ok else run.failed).append(head.pk)
                if not outcome.ok:
                    break
        finally:
            lease.release()
    return run
