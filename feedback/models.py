"""What citizens tell the editors about a guide: whether it was useful (counted per guide and day,
nothing about who voted) and error reports (only what the citizen typed: the part, the text and
an optional phone number; no address, no browser)."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel

# Limits of an error report (the form says them; longer text is refused, never cut).
MESSAGE_MIN_CHARS = 5
MESSAGE_MAX_CHARS = 500
PHONE_MAX_CHARS = 20


class UsefulnessTally(models.Model):
    """The answers to "这条指南有用吗？" of one guide on one day: two counters, no rows per vote, so
    that a hall full of people voting at once adds to one row per guide and keeps nothing about
    any of them."""

    guide = models.ForeignKey(
        "guides.GuidePage", verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="usefulness_tallies"
    )
    day = models.DateField(_("日期"))
    yes = models.PositiveIntegerField(_("有用"), default=0)
    no = models.PositiveIntegerField(_("没用"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guide", "day"], name="usefulness_guide_day")]
        verbose_name = _("有用性统计")
        verbose_name_plural = _("有用性统计")

    def __str__(self) -> str:
        return f"{self.guide_id} {self.day}: {self.yes}/{self.no}"

    @classmethod
    def count_vote(cls, guide_id: int, useful: bool, day=None) -> None:
        """Add one vote in one transaction: the day's row is created if missing (an insert that
        finds it already there does nothing), then its counter is incremented in the database.
        Two voters at once wait for each other's row lock (SQLite: for the write lock) and both
        count; neither reads a count and writes it back."""
        day = day or timezone.localdate()
        field = "yes" if useful else "no"
        with transaction.atomic():
            cls.objects.bulk_create([cls(guide_id=guide_id, day=day)], ignore_conflicts=True)
            cls.objects.filter(guide_id=guide_id, day=day).update(**{field: F(field) + 1})


def with_usefulness(guides):
    """``guides`` (a GuidePage queryset) annotated with ``useful_yes`` and ``useful_no``, the
    votes of all days, in the same query (two subqueries, no join that multiplies rows)."""

    def total(field):
        votes = (
            UsefulnessTally.objects.filter(guide=OuterRef("pk"))
            .order_by()
            .values("guide")
            .annotate(total=Sum(field))
            .values("total")
        )
        return Coalesce(Subquery(votes, output_field=models.PositiveIntegerField()), 0)

    return guides.annotate(useful_yes=total("yes"), useful_no=total("no"))


def usefulness_ratio(yes: int, no: int) -> float | None:
    """Share of "yes" among the votes; None without votes."""
    total = yes + no
    return yes / total if total else None


class ReportedPart(models.TextChoices):
    MATERIALS = "materials", _("申请材料")
    FLOW = "flow", _("办理流程")
    PLACE = "place", _("办理地点和时间")
    LIMITS_FEES = "limits_fees", _("时限与收费")
    CONDITIONS = "conditions", _("受理条件与办理结果")
    CONTACT = "contact", _("咨询与投诉电话")
    OTHER = "other", _("其他")


class ReportStatus(models.TextChoices):
    NEW = "new", _("新报告")
    IN_PROGRESS = "in_progress", _("处理中")
    FIXED = "fixed", _("已改正")
    REJECTED = "rejected", _("不予采纳")


class Channel(models.TextChoices):
    WEB = "web", _("网页")
    KIOSK = "kiosk", _("自助终端")


class ErrorReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The reports ``user`` handles: those of the guides of their departments (editors and
        approvers), every report for the centre's reviewers and administrators, none for others."""
        from editorial.roles import roles_of

        roles = roles_of(user)
        if roles.covers_every_department:
            return self
        departments = roles.editor_of | roles.approver_of
        if not departments:
            return self.none()
        return self.filter(guide__department_id__in=departments)


class ErrorReport(models.Model):
    """A citizen's report that a guide is wrong, and what the department did about it."""

    guide = models.ForeignKey(
        "guides.GuidePage", verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="error_reports"
    )
    part = models.CharField(_("有误的部分"), max_length=20, choices=ReportedPart.choices)
    message = models.TextField(_("问题描述"), max_length=MESSAGE_MAX_CHARS)
    phone = models.CharField(_("联系电话"), max_length=PHONE_MAX_CHARS, blank=True)
    channel = models.CharField(_("来源"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    # The checklist the citizen saw, so that the editors know which version the report is about.
    checklist_version = models.PositiveIntegerField(_("清单版本"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW, db_index=True)
    reply_note = models.TextField(_("处理说明"), blank=True, help_text=_("怎样处理的，或为什么不予采纳"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ErrorReportQuerySet.as_manager()

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("guide", read_only=True),
                FieldRowPanel([FieldPanel("part", read_only=True), FieldPanel("channel", read_only=True)]),
                FieldPanel("message", read_only=True),
                FieldRowPanel([FieldPanel("phone", read_only=True), FieldPanel("created_at", read_only=True)]),
            ],
            heading=_("群众报告"),
        ),
        FieldPanel("status"),
        FieldPanel("reply_note"),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("纠错报告")
        verbose_name_plural = _("纠错报告")

    def __str__(self) -> str:
        return f"{self.guide} · {self.get_part_display()}"

    @property
    def excerpt(self) -> str:
        from django.utils.text import Truncator

        return Truncator(self.message).chars(40)
