"""The intake feed's durable state: the ordered change log, webhook subscriptions and their outbox.

Ordering guarantee of the change log
------------------------------------
A poller reads ``ChangeEvent`` rows with ``id > cursor``. That is only gap-free if events become
visible (commit) in id order: with concurrent publishers, PostgreSQL hands out sequence values at
insert time, so transaction A could take id 10, transaction B id 11, B commit first, a poller read
11 and move its cursor past 10 before A commits: event 10 would be missed for ever.

Every writer of the log therefore calls :func:`lock_change_log` first, inside the transaction of
the publish. On PostgreSQL it takes ``LOCK TABLE feed_changeevent IN SHARE ROW EXCLUSIVE MODE``, a
mode that conflicts with itself (and with the ROW EXCLUSIVE lock of a plain INSERT) but not with
readers (ACCESS SHARE): event writers queue up, each takes its ids and commits before the next one
gets any, so commit order is id order. Pollers never wait. SQLite allows one writer at a time for
the whole transaction already; other databases are not supported by the feed.

Under the same lock the publish time of the guide (``Page.last_published_at``) is restamped with a
strictly increasing value, so that the guide list's keyset cursor ``(last_published_at, id)`` has
the same no-gap property as the change log (see ``feed.signals``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feed.targets import validate_webhook_url

CHINA = ZoneInfo("Asia/Shanghai")
MICROSECOND = dt.timedelta(microseconds=1)


def to_iso(value: dt.datetime | None) -> str | None:
    """Times in the feed: ISO 8601 in China Standard Time, with the offset (+08:00)."""
    if value is None:
        return None
    return timezone.localtime(value, CHINA).isoformat()


def guide_api_path(code: str) -> str:
    try:
        return reverse("feed:guide-detail", args=[code])
    except NoReverseMatch:  # feed.urls not mounted (e.g. a worker without the web URLconf)
        return f"/api/v1/guides/{code}/"


def lock_change_log(using: str = DEFAULT_DB_ALIAS) -> dt.datetime:
    """Serialise writers of the change log until the end of the current transaction and return
    the timestamp the events of this transaction get: strictly later than every earlier event,
    even if the clock of this process is behind the clock of the previous writer.

    Must be called inside ``transaction.atomic()``."""
    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {conn.ops.quote_name(ChangeEvent._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE"
            )
    last = ChangeEvent.objects.using(using).order_by("-id").values_list("created_at", flat=True).first()
    now = timezone.now()
    if last is not None and now <= last:
        now = last + MICROSECOND
    return now


class ChangeEvent(models.Model):
    """One entry of the ordered, append-only log the intake system polls (``/api/v1/changes/``)
    and the webhooks deliver."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("发布")
        UNPUBLISHED = "unpublished", _("撤下")
        CHECKLIST_CHANGED = "checklist_changed", _("受理清单变更")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    guide = models.ForeignKey(
        "guides.GuidePage", verbose_name=_("办事指南"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # Kept when the guide is deleted, so that the log stays readable.
    code = models.CharField(_("实施编码"), max_length=64, db_index=True)
    name = models.CharField(_("事项名称"), max_length=255, blank=True)
    checklist_version = models.PositiveIntegerField(_("清单版本"), null=True, blank=True)
    fingerprint = models.CharField(_("清单指纹"), max_length=64, blank=True)
    change_note = models.TextField(_("变更说明"), blank=True)
    # What changed from the previous checklist version (guides.domain.checklist.ChecklistDiff
    # as JSON); checklist_changed events only, and not for a guide's first checklist.
    changes = models.JSONField(_("清单变化"), null=True, blank=True)
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["guide", "kind", "id"], name="feed_event_guide_kind")]
        verbose_name = _("变更事件")
        verbose_name_plural = _("变更事件")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.code}"

    def as_payload(self, absolute: Callable[[str], str]) -> dict:
        """The event as the changes endpoint lists it and a webhook delivers it; ``absolute``
        turns a path into an absolute URL."""
        return {
            "id": self.pk,
            "cursor": str(self.pk),
            "type": self.kind,
            "created_at": to_iso(self.created_at),
            "code": self.code,
            "name": self.name,
            "checklist_version": self.checklist_version,
            "fingerprint": self.fingerprint or None,
            "change_note": self.change_note,
            "changes": self.changes,
            "guide_url": absolute(guide_api_path(self.code)),
        }


def generate_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def default_event_types() -> list[str]:
    return [kind.value for kind in ChangeEvent.Kind]


class WebhookSubscription(models.Model):
    """A receiver of change events. The secret signs every delivery; it is generated here and
    shown to the administrator once, right after creation."""

    name = models.CharField(_("订阅方"), max_length=100, help_text=_("例如：综合受理系统（生产）"))
    url = models.URLField(
        _("接收地址"), max_length=500, validators=[validate_webhook_url],
        help_text=_("以 POST 方式推送 JSON；返回 2xx 视为送达。须为公网地址（内网主机须由系统管理员登记）"),
    )
    secret = models.CharField(_("签名密钥"), max_length=100, default=generate_secret, editable=False)
    event_types = models.JSONField(_("事件类型"), default=default_event_types, blank=True)
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用期间产生的事件不会推送给该订阅方"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # A worker that delivers to this subscriber holds the lease; see feed.webhooks.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("推送订阅")
        verbose_name_plural = _("推送订阅")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return not self.event_types or kind in self.event_types

    @property
    def event_types_display(self) -> str:
        labels = dict(ChangeEvent.Kind.choices)
        return "、".join(str(labels.get(kind, kind)) for kind in self.event_types) or str(_("全部"))

    event_types_display.fget.short_description = _("事件类型")  # type: ignore[attr-defined]


class WebhookDelivery(models.Model):
    """The outbox: one row per (subscriber, event), written in the transaction of the event and
    delivered after commit, in event order per subscriber."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        RETRYING = "retrying", _("重试中")
        DELIVERED = "delivered", _("已送达")

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("订阅方"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(ChangeEvent, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    response_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    # The last attempts (time, status code, error), newest last, for the admin's delivery log.
    history = models.JSONField(_("尝试记录"), default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="feed_delivery_once_per_event"),
        ]
        indexes = [models.Index(fields=["subscription", "status", "event"], name="feed_delivery_queue")]
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")

    def __str__(self) -> str:
        return f"{self.subscription} ← #{self.event_id}"
