"""One-thing journeys (一件事一次办): an index page and one page per journey, edited in the
Wagtail admin by the centre (reviewers and administrators).

A journey's steps, shared questions and material links are StreamFields: ordered, nested
(a step holds its member guides) and edited in one form. The rules (merge, fingerprint,
validation) are plain Python in ``guides.domain.journeys``; ``journeys.records`` maps pages onto
them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PagePermissionTester
from wagtail.search import index

from guides.domain.journeys import AND, OR
from portal.middleware import SHAREABLE_ATTRIBUTE
from portal.public_urls import PublicUrlMixin

MANAGE_PERMISSION = "journeys.manage_journeys"


class JourneyPermissionTester(PagePermissionTester):
    """Journeys span departments, so only the centre edits them: superusers and holders of
    ``journeys.manage_journeys`` (given to the centre's reviewers). Anyone else gets no page
    permission on a journey, whatever their group page permissions say, so every Wagtail view
    (edit, publish, delete, move, copy, add) refuses them."""

    def __init__(self, user, page):
        super().__init__(user, page)
        if user.is_active and not user.is_superuser and not user.has_perm(MANAGE_PERMISSION):
            self.permissions = set()


class CentreManagedPage(Page):
    class Meta:
        abstract = True

    def permissions_for_user(self, user):
        return JourneyPermissionTester(user, self)


class JourneyIndexPage(PublicUrlMixin, CentreManagedPage):
    """/journeys/: every journey, life events first."""

    intro = models.TextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["journeys.JourneyPage"]
    max_count = 1

    class Meta:
        verbose_name = _("一件事目录")
        permissions = [("manage_journeys", _("可以编辑一件事"))]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        journeys = JourneyPage.objects.live().child_of(self).order_by("path")
        context["life_events"] = [j for j in journeys if j.audience == JourneyPage.Audience.PERSON]
        context["business_events"] = [j for j in journeys if j.audience == JourneyPage.Audience.BUSINESS]
        context["groups"] = [(_("个人办事"), context["life_events"]), (_("企业办事"), context["business_events"])]
        return context


class GuideMemberBlock(blocks.StructBlock):
    guide = blocks.PageChooserBlock(page_type="guides.GuidePage", label=_("办事指南"))
    required = blocks.ChoiceBlock(
        choices=[("required", _("必办")), ("optional", _("选办"))], default="required", label=_("必办/选办")
    )

    class Meta:
        label = _("事项")


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=60, label=_("步骤名称"))
    logic = blocks.ChoiceBlock(
        choices=[(AND, _("以下事项都要办（和）")), (OR, _("以下事项办其中一项（或）"))], default=AND, label=_("办理方式")
    )
    note = blocks.CharBlock(max_length=200, required=False, label=_("说明"))
    members = blocks.ListBlock(GuideMemberBlock(), min_num=1, label=_("事项"))

    class Meta:
        label = _("步骤")
        icon = "list-ol"


class SituationMappingBlock(blocks.StructBlock):
    guide = blocks.PageChooserBlock(page_type="guides.GuidePage", label=_("办事指南"))
    situation_key = blocks.CharBlock(max_length=20, label=_("该指南的情形标识（如 s1）"))

    class Meta:
        label = _("对应情形")


class SharedQuestionBlock(blocks.StructBlock):
    key = blocks.RegexBlock(regex=r"^q[0-9]{1,3}$", max_length=4, label=_("标识（如 q1）"),
                            error_messages={"invalid": _("标识格式为 q 加数字，如 q1")})
    question = blocks.CharBlock(max_length=100, label=_("问题"))
    options = blocks.CharBlock(
        max_length=200, label=_("选项"), help_text=_("多个选项用顿号“、”分隔；只有一个选项时为是/否问题")
    )
    mappings = blocks.ListBlock(SituationMappingBlock(), min_num=1, label=_("对应各事项的情形"))

    class Meta:
        label = _("共同情形问题")


class SituationPresetBlock(blocks.StructBlock):
    guide = blocks.PageChooserBlock(page_type="guides.GuidePage", label=_("办事指南"))
    situation_key = blocks.CharBlock(max_length=20, label=_("该指南的情形标识（如 s1）"))
    answer = blocks.CharBlock(max_length=100, label=_("预设回答（是、否或选项）"))

    class Meta:
        label = _("预设情形")


class MaterialLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=100, label=_("合并后的材料名称"))
    materials = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("guide", blocks.PageChooserBlock(page_type="guides.GuidePage", label=_("办事指南"))),
                ("material_name", blocks.CharBlock(max_length=200, label=_("材料名称"))),
            ],
            label=_("材料"),
        ),
        min_num=2,
        label=_("视为同一份的材料"),
    )

    class Meta:
        label = _("材料合并")


class JourneyPage(PublicUrlMixin, CentreManagedPage):
    """One journey: numbered steps of member guides and one merged checklist."""

    class Audience(models.TextChoices):
        PERSON = "person", _("个人（人生事件）")
        BUSINESS = "business", _("企业（经营事件）")

    intro = models.TextField(_("简介"), max_length=500)
    audience = models.CharField(_("面向"), max_length=10, choices=Audience.choices, default=Audience.PERSON)
    steps = StreamField([("step", StepBlock())], verbose_name=_("办理步骤"))
    questions = StreamField(
        [("question", SharedQuestionBlock())], blank=True, verbose_name=_("共同情形问题"),
        help_text=_("问一次，回答会带入各事项的情形，筛选合并后的材料清单"),
    )
    presets = StreamField(
        [("preset", SituationPresetBlock())], blank=True, verbose_name=_("预设情形"),
        help_text=_("本一件事中答案固定的事项情形，不再询问办事人"),
    )
    material_links = StreamField(
        [("link", MaterialLinkBlock())], blank=True, verbose_name=_("材料合并"),
        help_text=_("名称和类型相同的材料自动合并；名称不同但实为同一份的材料在此指明"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("audience"),
        FieldPanel("steps"),
        FieldPanel("questions"),
        FieldPanel("presets"),
        FieldPanel("material_links"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.FilterField("audience")]
    parent_page_types = ["journeys.JourneyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")

    def clean(self) -> None:
        super().clean()
        from journeys.records import journey_errors

        errors = journey_errors(self)
        if errors:
            raise ValidationError({"steps": errors})

    def get_context(self, request, *args, **kwargs):
        from journeys.records import journey_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(journey_page_context(self, request))
        return context

    def serve(self, request, *args, **kwargs):
        """Shared like a guide page (portal.middleware); any publish bumps the content version,
        so a member guide's new checklist reaches the merged one at once."""
        from guides.presentation import MAX_PAGE_CACHE_SECONDS

        response = super().serve(request, *args, **kwargs)
        preview = getattr(request, "is_preview", False)
        if request.method == "GET" and self.live and not preview and not self.get_view_restrictions().exists():
            response.render()
            setattr(response, SHAREABLE_ATTRIBUTE, MAX_PAGE_CACHE_SECONDS)
        return response
