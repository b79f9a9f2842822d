"""Delivering change events to webhook subscribers from the outbox (``WebhookDelivery``).

Guarantees
----------
* In order per subscriber: only the oldest undelivered event of a subscriber is ever attempted;
  event n+1 waits until event n got a 2xx. A failing subscriber never holds up the others.
* At least once: a delivery is marked delivered only after a 2xx, so a crash in between sends it
  again. Every request carries ``Idempotency-Key: <event id>`` for the receiver to drop repeats.
* One worker per subscriber at a time: a worker claims a lease on the subscription with a
  conditional UPDATE (works on SQLite and PostgreSQL, no transaction is held across HTTP calls)
  and renews it before each attempt; if it lost the lease it stops.
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

Settings (all optional): ``FEED_WEBHOOK_TIMEOUT`` (seconds, 5), ``FEED_WEBHOOK_BACKOFF_BASE``
(seconds, 10), ``FEED_WEBHOOK_BACKOFF_MAX`` (seconds, 3600), ``FEED_WEBHOOK_BATCH`` (deliveries
per subscriber per run, 100), ``FEED_WEBHOOK_PROXIES`` (dict for urllib's ProxyHandler; default
none, requests go direct), absolute URLs in payloads start with ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from feed.models import WebhookDelivery, WebhookSubscription, to_iso
from portal.public_urls import public_base_url

SIGNATURE_HEADER = "X-Yichuang-Signature"
UNDELIVERED = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)
HISTORY_LENGTH = 20


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a misconfigured receiver, not a delivery: report it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler(_setting("FEED_WEBHOOK_PROXIES", {})), _NoRedirect)


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener().open(request, timeout=timeout) as response:
            response.read(4096)
            status = response.status
    except urllib.error.HTTPError as error:
        try:
            text = error.read(500).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            text = ""
        return Outcome(False, error.code, f"HTTP {error.code} {error.reason}: {text}".strip())
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return Outcome(False, None, f"{type(error).__name__}: {reason}")
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"HTTP {status}")


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
    now: dt.datetime,
    transport: Transport = http_post,
    rng: random.Random | None = None,
) -> Outcome:
    """Send one delivery and record the outcome on its row."""
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
    outcome = transport(subscription.url, body, headers, float(_setting("FEED_WEBHOOK_TIMEOUT", 5)))
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = outcome.status
    delivery.history = [
        *delivery.history[-(HISTORY_LENGTH - 1):],
        {"at": to_iso(now), "status": outcome.status, "error": outcome.error[:300]},
    ]
    if outcome.ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.last_error = outcome.error[:2000]
        delivery.next_attempt_at = now + backoff(delivery.attempts, rng)
    delivery.save(
        update_fields=[
            "attempts", "last_attempt_at", "response_code", "history", "status", "delivered_at",
            "last_error", "next_attempt_at",
        ]
    )
    return outcome


def deliver_due(
    *,
    now: dt.datetime | None = None,
    subscription_ids: list[int] | None = None,
    batch: int | None = None,
    transport: Transport = http_post,
    rng: random.Random | None = None,
) -> DeliveryRun:
    """Deliver what is due, subscriber by subscriber, each in event order.

    ``now`` is the clock that decides what is due and when retries are scheduled (tests pass
    their own); leases always use the real clock. Never call this inside the transaction that
    wrote the events: receivers could be told about events that are then rolled back."""
    clock = now or timezone.now()
    batch = batch or int(_setting("FEED_WEBHOOK_BATCH", 100))
    lease_seconds = 2 * float(_setting("FEED_WEBHOOK_TIMEOUT", 5)) + 30
    run = DeliveryRun()
    candidates = WebhookSubscription.objects.filter(
        active=True, deliveries__status__in=UNDELIVERED, deliveries__next_attempt_at__lte=clock
    )
    if subscription_ids is not None:
        candidates = candidates.filter(pk__in=subscription_ids)
    for subscription_id in sorted(set(candidates.values_list("pk", flat=True))):
        lease = _Lease(subscription_id, lease_seconds)
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
                outcome = attempt(head, now=clock, transport=transport, rng=rng)
                (run.delivered if outcome.ok else run.failed).append(head.pk)
                if not outcome.ok:
                    break
        finally:
            lease.release()
    return run
