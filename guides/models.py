"""The guide record: departments, halls and windows as snippets, and the guide page with its
materials, steps and situations as orderable inlines.

Rules that do not depend on Wagtail (checklist fingerprint, time limits, opening hours,
situations, phone formats) live in ``guides.domain``; this module only maps them onto models.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.base import ModelState
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    CommentPanel,
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable, Page, PageManager, PagePermissionTester, PageViewRestriction
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField, TranslatableField

from guides.choices import (
    SECTION_BY_SLUG,
    CalendarDayKind,
    ExerciseLevel,
    HandlingType,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    ResultType,
    Section,
    Weekday,
    WindowRole,
)
from guides.domain import hours
from guides.domain.phones import InvalidPhone, normalize_phone
from guides.domain.timelimits import TimeLimit, TimeUnit
from guides.forms import GuidePageForm
from guides.panels import ChecklistChangePanel, LintFindingsPanel
from portal.middleware import SHAREABLE_ATTRIBUTE
from portal.public_urls import PublicUrlMixin
from portal.routing import any_view_restrictions
from search.documents import (
    ALIAS_BOOST,
    CHECKLIST_BOOST,
    NAME_BOOST,
    RESULT_BOOST,
    TEXT_BOOST,
    search_field_values,
)
from search.models import forget_alias_lexicon
from search.suggest import refresh_suggestions

# The search text is segmented in Python; Elasticsearch must only split it on spaces.
PRESEGMENTED = {"analyzer": "whitespace"}

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$",
    _("编码只能包含字母、数字、连字符、下划线和点"),
)


def validate_phone(value: str) -> None:
    if not value:
        return
    try:
        normalize_phone(value)
    except InvalidPhone as error:
        raise ValidationError(_("电话号码“%(value)s”无效：%(reason)s"), params={"value": value, "reason": str(error)}) from error


class LoadedDirectly:
    """Builds the instances it reads from the database as unpickling does: the row's values go
    straight into the instance (``from_db`` is Django's documented hook for this).

    Model.__init__ passes every value through the field's descriptor and sends two signals, and a
    page's constructors (Page, ClusterableModel) add work that does nothing for a row that has an
    id and no keyword arguments: ClusterableModel lists the model's child relations on every
    call. For the rows of a guide, twenty of which an export reads per guide, that cost more than
    reading them. Nothing listens to post_init of these models; a test holds the instances read
    this way equal to constructed ones, and deferred fields stay deferred.
    """

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = cls.__new__(cls)
        instance.__dict__.update(zip(field_names, values, strict=True))
        instance._state = ModelState()
        instance._state.adding = False
        instance._state.db = db
        return instance


class WithLiveGuidesQuerySet(models.QuerySet):
    def with_live_guides(self):
        """Those that have live guides, each with ``guide_count``, in the model's own order: a
        query with an aggregate drops Meta.ordering, and lists must not come out in whichever
        order the database happens to group in."""
        from guides.translations import source_locale_id

        # (a guide is counted once, not once per language)
        live = Q(guides__live=True, guides__locale=source_locale_id())
        return (
            self.annotate(guide_count=models.Count("guides", filter=live))
            .filter(guide_count__gt=0)
            .order_by(*self.model._meta.ordering, "pk")
        )


class Department(index.Indexed, models.Model):
    name = models.CharField(_("部门名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    code = models.CharField(_("部门编码"), max_length=64, unique=True, validators=[code_validator])
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True, validators=[validate_phone])
    complaint_phone = models.CharField(_("投诉电话"), max_length=40, blank=True, validators=[validate_phone])
    sort_order = models.PositiveIntegerField(_("排序"), default=100)

    objects = WithLiveGuidesQuerySet.as_manager()

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("short_name"), FieldPanel("code")]),
        FieldRowPanel([FieldPanel("phone"), FieldPanel("complaint_phone")]),
        FieldPanel("sort_order"),
    ]
    # The fields the admin's department listing searches (guides.views.DepartmentViewSet): it
    # autocompletes on exactly those, and Wagtail requires each to be a search field too.
    search_fields = [
        *(index.SearchField(name) for name in ("name", "short_name", "code")),
        *(index.AutocompleteField(name) for name in ("name", "short_name", "code")),
        index.FilterField("code"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class ServiceHall(index.Indexed, ClusterableModel):
    name = models.CharField(_("大厅名称"), max_length=100, unique=True)
    address = models.CharField(_("地址"), max_length=200)
    floor_guide = models.TextField(_("楼层指引"), blank=True)
    # A picture of the floors, shown on the hall page and linked from every guide of the hall.
    floor_plan = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("楼层平面图"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("大厅各楼层窗口分布的图片，显示在服务大厅页面，办事指南页链接到它"),
    )
    floor_plan_alt = models.CharField(
        _("平面图文字说明"), max_length=300, blank=True,
        help_text=_("替代文本：为看不到图片的读者说明平面图上有什么，上传平面图时必填"),
    )
    phone = models.CharField(_("大厅电话"), max_length=40, blank=True, validators=[validate_phone])

    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("phone"),
        FieldPanel("floor_guide"),
        FieldRowPanel([FieldPanel("floor_plan"), FieldPanel("floor_plan_alt")]),
        InlinePanel("sessions", heading=_("每周办公时间"), label=_("时段")),
        InlinePanel("calendar_days", heading=_("节假日与调休"), label=_("日期")),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.floor_plan_id and not self.floor_plan_alt.strip():
            raise ValidationError({"floor_plan_alt": _("上传了楼层平面图，请填写平面图文字说明（替代文本）")})

    def schedule(self) -> hours.HallSchedule:
        """The domain schedule, from the prefetched or in-memory sessions and calendar days."""
        weekly: dict[int, list[hours.Session]] = {day: [] for day in range(7)}
        for session in self.sessions.all():
            weekly[session.weekday].append(hours.Session(session.start, session.end))
        closed = frozenset(d.date for d in self.calendar_days.all() if d.kind == CalendarDayKind.CLOSED)
        makeup = {
            d.date: d.hours_of_weekday
            for d in self.calendar_days.all()
            if d.kind == CalendarDayKind.WORKDAY
        }
        return hours.HallSchedule(
            weekly={day: tuple(sorted(s, key=lambda x: x.start)) for day, s in weekly.items()},
            closed_days=closed,
            makeup_workdays=makeup,
        )


class HallSession(LoadedDirectly, Orderable):
    hall = ParentalKey(ServiceHall, on_delete=models.CASCADE, related_name="sessions")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    panels = [FieldRowPanel([FieldPanel("weekday"), FieldPanel("start"), FieldPanel("end")])]

    class Meta(Orderable.Meta):
        verbose_name = _("办公时段")

    def clean(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise ValidationError({"end": _("结束时间必须晚于开始时间")})


class HallCalendarDay(LoadedDirectly, Orderable):
    hall = ParentalKey(ServiceHall, on_delete=models.CASCADE, related_name="calendar_days")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarDayKind.choices)
    hours_of_weekday = models.PositiveSmallIntegerField(
        _("按哪天的时间办公"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("仅用于调休上班日"),
    )
    note = models.CharField(_("说明"), max_length=50, blank=True, help_text=_("例如：国庆节、春节调休"))

    panels = [FieldRowPanel([FieldPanel("date"), FieldPanel("kind"), FieldPanel("hours_of_weekday"), FieldPanel("note")])]

    class Meta(Orderable.Meta):
        verbose_name = _("节假日或调休日")


class ServiceWindow(index.Indexed, models.Model):
    hall = models.ForeignKey(ServiceHall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="windows")
    name = models.CharField(_("窗口名称"), max_length=100)
    numbers = models.CharField(_("窗口号"), max_length=50, blank=True, help_text=_("例如：1-9 或 3"))
    role = models.CharField(_("窗口职能"), max_length=20, choices=WindowRole.choices)
    location = models.CharField(_("位置"), max_length=200, blank=True)

    panels = [
        FieldPanel("hall"),
        FieldRowPanel([FieldPanel("name"), FieldPanel("numbers")]),
        FieldPanel("role"),
        FieldPanel("location"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name"), index.FilterField("role")]

    class Meta:
        ordering = ["hall", "role", "name", "numbers"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "name", "numbers"], name="unique_window_per_hall"),
        ]
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if not self.numbers:
            return self.name
        suffix = "号" if not self.numbers.endswith("号") else ""
        if "-" in self.numbers or "," in self.numbers:
            return f"{self.name}（{self.numbers}{suffix}）"
        return f"{self.name} {self.numbers}{suffix}"


class LifeEvent(index.Indexed, models.Model):
    """A life or business event (开办企业, 生育, 退休) that groups guides for browsing."""

    name = models.CharField(_("主题名称"), max_length=50, unique=True)
    slug = models.SlugField(_("网址标识"), max_length=50, unique=True)
    audience = models.CharField(_("面向"), max_length=10, choices=[("个人", _("个人")), ("企业", _("企业"))], default="个人")
    description = models.CharField(_("简介"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)

    objects = WithLiveGuidesQuerySet.as_manager()

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
        FieldPanel("audience"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("主题")
        verbose_name_plural = _("主题")

    def __str__(self) -> str:
        return self.name


class GuideIndexPage(PublicUrlMixin, RoutablePageMixin, Page):
    """The root of every guide; lists them by section, department and life-event theme.

    Its children are the departments' folders (DepartmentFolderPage) and the guides live in
    them, but a guide's address skips its folder: ``/guides/<slug>/`` (see GuidePage.get_url_parts).
    """

    intro = models.TextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["guides.DepartmentFolderPage"]
    max_count = 1

    class Meta:
        verbose_name = _("办事指南目录")

    def route(self, request, path_components):
        """A guide is found in one query by its slug (unique among guides), whichever
        department's folder holds it."""
        if len(path_components) == 1 and self.live:
            guide = (
                GuidePage.sources.live()
                .descendant_of(self)
                .filter(slug=path_components[0])
                .select_related("department", "intake_window__hall", "delivery_window__hall")
                .first()
            )
            if guide is not None:
                guide = guide.translated_for_reader()
                guide.routed_index = self  # the page's breadcrumbs need no query for it
                return guide.route(request, [])
        return super().route(request, path_components)

    def guides(self):
        return (
            GuidePage.sources.live()
            .descendant_of(self)
            .select_related("department")
            .order_by("section", "code")
        )

    def render_listing(self, request, *, heading: str, guides, description: str = "", phone: str = ""):
        from django.core.paginator import Paginator

        from portal.params import BadPageNumber, bad_request, page_number

        try:
            number = page_number(request.GET)
        except BadPageNumber as error:
            return bad_request(request, str(error))
        paginator = Paginator(guides, 30)
        page_obj = paginator.get_page(number)
        return self.render(
            request,
            context_overrides={
                "listing_heading": heading,
                "listing_description": description,
                "meta_description": description or heading,
                "listing_phone": phone,
                "page_obj": page_obj,
                "guides": page_obj.object_list,
            },
            template="guides/guide_listing.html",
        )

    @path("")
    def all_guides(self, request):
        return self.render_listing(request, heading=self.title, description=self.intro, guides=self.guides())

    @path("section/<slug:slug>/", name="section")
    def section(self, request, slug):
        section = SECTION_BY_SLUG.get(slug)
        if section is None:
            raise Http404
        return self.render_listing(request, heading=Section(section).label, guides=self.guides().filter(section=section))

    @path("department/<str:code>/", name="department")
    def department(self, request, code):
        department = get_object_or_404(Department, code=code)
        return self.render_listing(
            request, heading=department.name, phone=department.phone, guides=self.guides().filter(department=department)
        )

    @path("theme/<slug:slug>/", name="theme")
    def theme(self, request, slug):
        theme = get_object_or_404(LifeEvent, slug=slug)
        return self.render_listing(
            request, heading=theme.name, description=theme.description, guides=self.guides().filter(themes=theme)
        )


def folder_slug(department_code: str) -> str:
    """The slug of a department's folder. Never part of a public address, but shown in the admin."""
    return "dept-" + slugify(department_code.replace(".", "-"))


class RestrictedFolderPermissionTester(PagePermissionTester):
    """A department folder exists for permissions: department roles may add guides in it, but
    only administrators rename, move, publish or delete the folder itself (it follows its
    department, see guides.folders)."""

    def can_edit(self):
        return self.user.is_active and self.user.is_superuser

    def can_delete(self, ignore_bulk=False):
        return self.user.is_active and self.user.is_superuser and self.page.is_leaf()

    def can_publish(self):
        return self.user.is_active and self.user.is_superuser

    def can_unpublish(self):
        return self.can_publish() and self.page.live

    def can_copy(self):
        return False

    def can_lock(self):
        return self.can_edit()

    def can_unlock(self):
        return self.can_edit()


class DepartmentFolderPage(PublicUrlMixin, Page):
    """A department's folder in the guide tree: the subtree on which its editors and approvers
    get Wagtail group page permissions (the scoping Wagtail's maintainers recommend; Wagtail's
    own views honour it). Created with its department (guides.folders); not a page for citizens:
    its address redirects to the department's listing and is never part of a guide's address."""

    # (blank in the folder's copies in other locales: see save)
    department = models.OneToOneField(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.SET_NULL, related_name="folder"
    )

    content_panels = [FieldPanel("title", read_only=True), FieldPanel("department", read_only=True)]
    promote_panels: list = []
    parent_page_types = ["guides.GuideIndexPage"]
    subpage_types = ["guides.GuidePage"]
    is_creatable = False

    class Meta:
        verbose_name = _("部门指南目录")
        verbose_name_plural = _("部门指南目录")

    def permissions_for_user(self, user):
        return RestrictedFolderPermissionTester(user, self)

    def save(self, *args, **kwargs):
        """Translating a guide copies its folder into the other locale (an alias, which Wagtail
        copies with every field and keeps in step): the department has one folder, the Chinese
        one, where its roles are granted, so the copy names none."""
        from guides.translations import is_translation

        if self.department_id is not None and is_translation(self):
            self.department = None
        return super().save(*args, **kwargs)

    def route(self, request, path_components):
        # /guides/<folder>/<guide>/ is not an address of the guide; /guides/<guide>/ is.
        if path_components:
            raise Http404
        return super().route(request, path_components)

    def serve(self, request, *args, **kwargs):
        index = self.get_parent().specific
        if self.department_id is None or not isinstance(index, GuideIndexPage):
            raise Http404
        return HttpResponseRedirect(index.url + index.reverse_subpage("department", args=[self.department.code]))

    def get_sitemap_urls(self, request=None):
        return []


# Fields of a guide that a revision's content must not roll back (GuidePage.with_content_json).
KEPT_ACROSS_REVISIONS = (
    "checklist_version", "checklist_fingerprint", "published_change_note", "last_reviewed_at", "department_id",
    "lint_blocking", "lint_warnings",
)


class SourceGuideManager(PageManager):
    """The guides in the source language (Chinese) only: what every list, lookup by code and
    export means by "the guides". Translations are reached from their source
    (guides.translations) or through ``GuidePage.objects``, which holds every locale."""

    def get_queryset(self):
        from guides.translations import source_locale_id

        return super().get_queryset().filter(locale=source_locale_id())


class GuidePage(PublicUrlMixin, LoadedDirectly, Page):
    """One service item (事项) as published to citizens, kiosks and the intake system."""

    # Every page, translations too, as Wagtail's and wagtail-localize's own lookups expect.
    objects = PageManager()
    # The guides themselves, in the source language: what every list, lookup by code and export
    # of the portal reads.
    sources = SourceGuideManager()

    # Identity
    code = models.CharField(
        # Unique per language (see clean); indexed for the lookups by code.
        _("实施编码"), max_length=64, db_index=True, validators=[code_validator],
        help_text=_("事项实施编码，全库唯一，用于短链接 /g/编码/ 和受理系统对接"),
    )
    basic_code = models.CharField(_("基本编码"), max_length=64, blank=True)
    sub_item_code = models.CharField(_("业务办理项编码"), max_length=64, blank=True)
    section = models.CharField(_("版块"), max_length=10, choices=Section.choices)
    department = models.ForeignKey(Department, verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="guides")
    # Names, not departments of the catalogue: the entrusting body is often a city or provincial
    # office, and co-handlers may be bodies outside the centre.
    entrusting_department = models.CharField(
        _("委托部门"), max_length=200, blank=True,
        help_text=_("实施主体受委托实施本事项时，填写委托的部门；不是受委托实施的留空"),
    )
    co_handlers = models.CharField(
        _("联办机构"), max_length=300, blank=True,
        help_text=_("共同办理本事项的其他部门或机构，用“、”分隔"),
    )
    item_type = models.CharField(_("事项类型"), max_length=20, choices=ItemType.choices)
    exercise_level = models.CharField(_("行使层级"), max_length=20, choices=ExerciseLevel.choices, blank=True)
    service_objects = models.JSONField(_("服务对象"), default=list, blank=True)
    themes = ParentalManyToManyField(LifeEvent, verbose_name=_("主题"), blank=True, related_name="guides")
    is_popular = models.BooleanField(_("高频事项"), default=False, help_text=_("在首页“热门事项”中展示"))
    common_names = models.CharField(
        _("俗称/简称"), max_length=300, blank=True,
        help_text=_("群众常用的其他叫法，用“、”分隔，例如：出生证、出生证明。指南页面显示为“又称”，搜索和输入提示也能找到"),
    )

    # Basis and conditions
    summary = models.TextField(_("事项简介"))
    conditions = models.TextField(_("受理条件"))
    quantity_limit = models.CharField(_("数量限制"), max_length=200, blank=True, help_text=_("无数量限制的留空"))
    intermediary_services = models.TextField(
        _("中介服务"), blank=True,
        help_text=_("申请人须委托中介机构提供的服务：服务名称、对机构的要求、是否收费；没有的留空"),
    )
    special_procedures = models.TextField(
        _("特别程序"), blank=True,
        help_text=_("听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审、公示等特别程序及其时限（不计入办结时限）；没有的留空"),
    )

    # Time limits
    handling_type = models.CharField(
        _("办件类型"), max_length=10, choices=HandlingType.choices, blank=True,
        help_text=_("即办件当场办结，承诺办结时限为即办；承诺件在承诺办结时限内办结"),
    )
    legal_limit_value = models.PositiveIntegerField(_("法定办结时限"), default=0)
    legal_limit_unit = models.CharField(_("单位"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS)
    legal_limit_note = models.CharField(_("法定时限说明"), max_length=200, blank=True)
    promised_limit_value = models.PositiveIntegerField(_("承诺办结时限"), default=0)
    promised_limit_unit = models.CharField(_("单位"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS)
    promised_limit_note = models.CharField(_("承诺时限说明"), max_length=200, blank=True)

    # Fees, visits, online
    fee_charged = models.BooleanField(_("是否收费"), default=False)
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), choices=[(0, "0"), (1, "1"), (2, "2")], default=1)
    visits_note = models.CharField(_("到现场次数说明"), max_length=200, blank=True)
    online = models.BooleanField(_("可网上办理"), default=False)
    online_url = models.URLField(_("网上办理地址"), blank=True)

    # Where and whom to ask
    intake_window = models.ForeignKey(
        ServiceWindow, verbose_name=_("受理窗口"), on_delete=models.PROTECT, related_name="intake_guides",
        limit_choices_to={"role": WindowRole.INTAKE},
    )
    delivery_window = models.ForeignKey(
        ServiceWindow, verbose_name=_("出件窗口"), on_delete=models.PROTECT, related_name="delivery_guides",
        limit_choices_to={"role": WindowRole.DELIVERY}, null=True, blank=True,
    )
    phone = models.CharField(_("咨询电话"), max_length=40, validators=[validate_phone])
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=40, validators=[validate_phone])

    # Result
    result_name = models.CharField(_("办理结果"), max_length=200, blank=True)
    result_type = models.CharField(_("结果类型"), max_length=10, choices=ResultType.choices, blank=True)
    result_validity = models.CharField(
        _("结果有效期"), max_length=100, blank=True, help_text=_("例如：5年、长期有效；没有有效期的留空"),
    )
    result_sample = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("结果样本"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    # The change note of the published revision (see RevisionChangeNote), copied here by the
    # publish path for the feed; never edited, kept across revisions.
    published_change_note = models.TextField(_("已发布的变更说明"), blank=True, editable=False)
    # When the centre last reviewed the guide: approved it in the centre review or published it
    # (editorial.review); kept across revisions.
    last_reviewed_at = models.DateTimeField(_("最近审核"), null=True, blank=True, editable=False)

    # Segmented search text (see search.documents), refreshed on every save so that every search
    # backend indexes the same tokens and results can be re-ranked without analysing again.
    search_name = models.TextField(editable=False, blank=True)
    search_alias = models.TextField(editable=False, blank=True)
    search_result = models.TextField(editable=False, blank=True)
    search_checklist = models.TextField(editable=False, blank=True)
    search_text = models.TextField(editable=False, blank=True)

    # Checklist versioning: written by the publish path, never by editors; kept across revisions.
    checklist_version = models.PositiveIntegerField(_("清单版本"), default=0, editable=False)
    checklist_fingerprint = models.CharField(_("清单指纹"), max_length=64, blank=True, editable=False)

    # The findings of guides.domain.lint in the latest revision, counted (guides.quality): the
    # guide list shows and filters by them. None until the guide is first checked (a guide saved
    # before the rules existed; ``manage.py lint_guides`` counts them). Kept across revisions.
    lint_blocking = models.PositiveSmallIntegerField(_("阻断性问题"), null=True, blank=True, editable=False)
    lint_warnings = models.PositiveSmallIntegerField(_("提醒"), null=True, blank=True, editable=False)

    basic_panels = [LintFindingsPanel(heading=_("质量检查")), *Page.content_panels] + [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("code"), FieldPanel("basic_code"), FieldPanel("sub_item_code")]),
                FieldRowPanel([FieldPanel("section"), FieldPanel("item_type"), FieldPanel("exercise_level")]),
                # The department is the folder the guide is in; a reviewer changes it by moving.
                FieldPanel("department", read_only=True),
                FieldRowPanel([FieldPanel("entrusting_department"), FieldPanel("co_handlers")]),
                FieldPanel("service_objects"),
                FieldPanel("themes"),
                FieldPanel("is_popular"),
                FieldPanel("common_names"),
            ],
            heading=_("事项信息"),
        ),
        FieldPanel("summary"),
        FieldPanel("conditions"),
        FieldPanel("quantity_limit"),
        FieldPanel("intermediary_services"),
        InlinePanel("legal_bases", heading=_("设定依据"), label=_("依据")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("result_name"), FieldPanel("result_type"), FieldPanel("result_validity")]),
                FieldPanel("result_sample"),
            ],
            heading=_("办理结果"),
        ),
        InlinePanel("faqs", heading=_("常见问题"), label=_("问答")),
    ]
    # The change note (a form field stored with the revision) and the effective date: required
    # when the checklist changes (GuidePageForm).
    change_panels = [
        ChecklistChangePanel(heading=_("受理清单变化")),
        FieldPanel("change_note"),
        FieldPanel("go_live_at"),
    ]
    material_panels = [
        InlinePanel("situations", heading=_("情形问题"), label=_("问题")),
        InlinePanel("materials", heading=_("申请材料"), label=_("材料"), min_num=1),
    ]
    step_panels = [InlinePanel("steps", heading=_("办理流程"), label=_("环节"))]
    limit_panels = [
        MultiFieldPanel(
            [
                FieldPanel("handling_type"),
                FieldRowPanel([FieldPanel("legal_limit_value"), FieldPanel("legal_limit_unit")]),
                FieldPanel("legal_limit_note"),
                FieldRowPanel([FieldPanel("promised_limit_value"), FieldPanel("promised_limit_unit")]),
                FieldPanel("promised_limit_note"),
                FieldPanel("special_procedures"),
            ],
            heading=_("办结时限"),
        ),
        FieldPanel("fee_charged"),
        InlinePanel("fee_items", heading=_("收费项目"), label=_("收费项目")),
        FieldRowPanel([FieldPanel("visits"), FieldPanel("visits_note")]),
        FieldRowPanel([FieldPanel("online"), FieldPanel("online_url")]),
    ]
    window_panels = [
        FieldRowPanel([FieldPanel("intake_window"), FieldPanel("delivery_window")]),
        FieldRowPanel([FieldPanel("phone"), FieldPanel("complaint_phone")]),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(basic_panels, heading=_("基本信息")),
            ObjectList(material_panels, heading=_("申请材料")),
            ObjectList(step_panels, heading=_("办理流程")),
            ObjectList(limit_panels, heading=_("时限与收费")),
            ObjectList(window_panels, heading=_("窗口与时间")),
            ObjectList(change_panels, heading=_("变更说明")),
            ObjectList(
                [
                    # The slug is a technical key: only who may change technical keys sees it.
                    FieldPanel("slug", permission="guides.change_technical_keys"),
                    FieldPanel("seo_title"),
                    FieldPanel("search_description"),
                ],
                heading=_("推广"),
            ),
            ObjectList([FieldPanel("expire_at"), CommentPanel()], heading=_("设置")),
        ]
    )

    search_fields = Page.search_fields + [
        index.SearchField("search_name", boost=NAME_BOOST, es_extra=PRESEGMENTED),
        index.SearchField("search_alias", boost=ALIAS_BOOST, es_extra=PRESEGMENTED),
        index.SearchField("search_result", boost=RESULT_BOOST, es_extra=PRESEGMENTED),
        index.SearchField("search_checklist", boost=CHECKLIST_BOOST, es_extra=PRESEGMENTED),
        index.SearchField("search_text", boost=TEXT_BOOST, es_extra=PRESEGMENTED),
        index.AutocompleteField("code"),
        index.FilterField("code"),
        index.FilterField("section"),
        index.FilterField("department"),
        index.FilterField("online"),
        index.FilterField("visits"),
    ]

    parent_page_types = ["guides.DepartmentFolderPage"]
    subpage_types: list[str] = []
    base_form_class = GuidePageForm

    # The change note the next save_revision() attaches to its revision (the edit form sets it).
    # Not a column: a note belongs to one revision and must not carry over to the next draft.
    change_note: str | None = None
    # Set by the admin's form, whose inline forms are applied after the model is validated.
    rows_checked_by_form = False

    # What a translator translates: the prose of the page (guides.domain.translations). The rest
    # is the source's, copied on every sync and not to be overridden: the codes and the address,
    # the checklist's structure (materials, situations, steps and fees are inline rows, copied as
    # they are), windows, time limits and the editorial fields.
    translatable_fields = [
        TranslatableField(name)
        for name in (
            "title", "seo_title", "search_description", "summary", "conditions", "quantity_limit",
            "legal_limit_note", "promised_limit_note", "visits_note", "result_name",
        )
    ] + [
        SynchronizedField(name, overridable=False)
        for name in (
            "slug", "code", "basic_code", "sub_item_code", "section", "department", "item_type",
            "service_objects", "is_popular", "common_names", "legal_limit_value", "legal_limit_unit",
            "promised_limit_value", "promised_limit_unit", "fee_charged", "visits", "online",
            "online_url", "intake_window", "delivery_window", "phone", "complaint_phone",
            "result_type", "result_sample", "legal_bases", "situations", "materials", "steps",
            "fee_items", "faqs", "exercise_level", "entrusting_department", "co_handlers",
            "intermediary_services", "special_procedures", "handling_type", "result_validity",
        )
    ]

    class Meta:
        verbose_name = _("办事指南")
        verbose_name_plural = _("办事指南")
        permissions = [("change_technical_keys", _("可修改技术标识（网址标识、情形参数名）"))]

    def __str__(self) -> str:
        return self.title

    @property
    def legal_limit(self) -> TimeLimit:
        return TimeLimit(self.legal_limit_value, TimeUnit(self.legal_limit_unit))

    @property
    def promised_limit(self) -> TimeLimit:
        return TimeLimit(self.promised_limit_value, TimeUnit(self.promised_limit_unit))

    @cached_property
    def short_url(self) -> str:
        from django.urls import reverse

        return reverse("guide-short-url", args=[self.code])

    def full_clean(self, *args, **kwargs):
        # The address of a guide is its code unless someone chose another slug.
        if not self.slug and self.code:
            self.slug = slugify(self.code.replace(".", "-"))
        super().full_clean(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        from guides.validation import guide_errors

        # (the admin's form checks the rows once it has applied its inline forms)
        errors = guide_errors(self, inline=not self.rows_checked_by_form)
        # A code names one guide: one page per code and language (its translations share it).
        # (Checked here: the locale is a column of Wagtail's page table, no constraint of ours
        # can span both tables.)
        same_code = GuidePage.objects.filter(code__iexact=self.code, locale_id=self.locale_id)
        if self.code and self.locale_id and same_code.exclude(pk=self.pk).exists():
            errors.setdefault("code", []).append(_("实施编码“%(code)s”已被另一条指南使用") % {"code": self.code})
        # Guides share one address space, /guides/<slug>/, whichever folder holds them (per
        # language: a translation keeps its source's slug).
        same_slug = GuidePage.objects.filter(slug=self.slug, locale_id=self.locale_id)
        if self.slug and same_slug.exclude(pk=self.pk).exists():
            errors.setdefault("__all__", []).append(
                _("网址标识“%(slug)s”已被另一条指南使用") % {"slug": self.slug}
            )
        if errors:
            raise ValidationError(errors)

    def get_url_parts(self, request=None):
        """The address without the department folder's segment: /guides/<slug>/. The folder is
        where permissions are granted, not where citizens look (GuideIndexPage.route)."""
        parts = super().get_url_parts(request)
        if parts is None:
            return None
        site_id, root_url, page_path = parts
        segments = page_path.split("/")
        # ['', …, 'dept-x', 'slug', ''] (or without the trailing '' when slashes are not appended)
        folder_position = -3 if page_path.endswith("/") else -2
        if len(segments) >= 1 - folder_position + 1:
            del segments[folder_position]
        return site_id, root_url, "/".join(segments)

    def permissions_for_user(self, user):
        from editorial.permissions import GuidePermissionTester

        return GuidePermissionTester(user, self)


    def save_revision(self, *args, **kwargs):
        from guides.quality import findings_of, store_counts

        revision = super().save_revision(*args, **kwargs)
        # The latest revision is what editors work on and what the gate checks on submission.
        store_counts(self, findings_of(self))
        if self.change_note is not None:
            note = self.change_note.strip()
            if note:
                RevisionChangeNote.objects.update_or_create(revision=revision, defaults={"text": note})
            else:
                RevisionChangeNote.objects.filter(revision=revision).delete()
        return revision

    def publish(self, revision, *args, **kwargs):
        """Wagtail's publication of a revision (the workflow's last approval, a bulk publish, an
        import, the create view): refused while the revision has blocking findings
        (guides.quality). A revision scheduled for later passed the gate when it was approved and
        goes live as it is (``publish_scheduled``)."""
        from guides.quality import check_revision_publishable

        scheduled = revision.approved_go_live_at is not None and revision.approved_go_live_at <= timezone.now()
        if not scheduled:
            check_revision_publishable(revision)
        return super().publish(revision, *args, **kwargs)

    def save(self, *args, **kwargs):
        """Refresh the search text and completion keys on full saves (creation and publishing);
        the partial saves of a draft revision leave them describing the live content."""
        from guides.serializers import serialize_guide

        full_save = kwargs.get("update_fields") is None
        record = None
        if full_save and self.department_id and self.intake_window_id:
            record = serialize_guide(self)
            for field_name, value in search_field_values(record).items():
                setattr(self, field_name, value)
        result = super().save(*args, **kwargs)
        # Completions and aliases are of the Chinese guides (search answers with the source).
        if full_save and not self.is_translation:
            refresh_suggestions(self, record)
            forget_alias_lexicon()
        return result

    def translated_for_reader(self) -> GuidePage:
        """The page a reader of the active language is shown: the live translation into it
        (which then knows its source), else this page."""
        from guides.translations import live_translation
        from portal.languages import DEFAULT, current

        language = current()
        translation = live_translation(self, language) if language != DEFAULT else None
        if translation is None:
            return self
        translation.source_page = self
        return translation

    def get_workflow(self):
        """A translation's draft goes through its source's review workflow (the workflow is
        assigned on the Chinese guide index; the translation is outside it)."""
        if self.is_translation:
            from guides.translations import source_of

            source = source_of(self)
            return source.get_workflow() if source is not None else None
        return super().get_workflow()

    @property
    def status_string(self):
        """Wagtail's status, and for a translation whose source was published since its last
        sync, that it may be out of date (the admin's page lists and the editor show it)."""
        status = super().status_string
        if self.is_translation:
            from guides.translations import is_out_of_date, source_of

            source = source_of(self)
            if source is not None and is_out_of_date(source):
                return _("%(status)s，译文可能已过时") % {"status": status}
        return status

    @property
    def is_translation(self) -> bool:
        from guides.translations import is_translation

        return is_translation(self)

    def with_content_json(self, content):
        """Checklist version and fingerprint, the published change note and the last review
        describe the published history, not a revision, and the department is the folder the
        guide is in now: restoring a revision's content must not roll them back."""
        page = super().with_content_json(content)
        for field in KEPT_ACROSS_REVISIONS:
            setattr(page, field, getattr(self, field))
        return page

    def get_context(self, request, *args, **kwargs):
        from guides.presentation import guide_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(guide_page_context(self, request))
        return context

    @property
    def preview_modes(self):
        return [("", _("网页")), ("pdf", _("打印版 PDF")), ("counter", _("受理清单 PDF"))]

    def serve_preview(self, request, mode_name):
        if mode_name in ("pdf", "counter"):
            from printing.views import preview_pdf_response

            return preview_pdf_response(self, request, "counter" if mode_name == "counter" else "citizen")
        return super().serve_preview(request, mode_name)

    def index_page(self) -> GuideIndexPage | None:
        """The guide index above the guide's department folder: the one routing came through,
        else the ancestor."""
        return self.__dict__.get("routed_index") or GuideIndexPage.objects.ancestor_of(self).first()

    def get_view_restrictions(self):
        """Wagtail's view restrictions of the page and its ancestors (for an alias, those of its
        original), in one query rather than two, and asked once per page object: Wagtail's
        serve hook checks them and ``serve`` asks whether there are any."""
        restrictions = self.__dict__.get("_view_restrictions")
        if restrictions is None and not any_view_restrictions():
            restrictions = self._view_restrictions = PageViewRestriction.objects.none()
        if restrictions is None:
            steps = range(self.steplen, len(self.path) + 1, self.steplen)
            paths = [self.path[:length] for length in steps]
            restrictions = PageViewRestriction.objects.filter(
                Q(page__path__in=paths, page__alias_of__isnull=True) | Q(page__aliases__path__in=paths)
            ).distinct()
            len(restrictions)  # evaluated now: iterating and exists() read the result
            self._view_restrictions = restrictions
        return restrictions

    def serve(self, request, *args, **kwargs):
        """Mark the response as shareable (portal.middleware caches it) for as long as the hall's
        open/closed state it shows stays true, unless the page is restricted to some readers."""
        from feedback.views import feedback_state, no_store
        from guides.presentation import shared_page_lifetime

        response = super().serve(request, *args, **kwargs)
        lifetime = shared_page_lifetime(self, request)
        if lifetime and not self.get_view_restrictions().exists():
            response.render()
            setattr(response, SHAREABLE_ATTRIBUTE, lifetime)
        if feedback_state(request):
            no_store(response)
        return response


class InlineRowMeta(Orderable.Meta):
    # Rows written by code (imports) may have no position; the order they were written in then
    # decides, on every database (PostgreSQL has no implicit order of equal keys), so that a
    # guide's checklist and fingerprint read the same every time.
    ordering = ["sort_order", "pk"]


class GuideLegalBasis(LoadedDirectly, Orderable):
    guide = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="legal_bases")
    title = models.CharField(_("依据"), max_length=300, help_text=_("法律法规名称及条款，例如：《市场主体登记管理条例》第三条"))
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    excerpt = models.TextField(_("条款内容"), blank=True)

    panels = [FieldPanel("title"), FieldPanel("document_number"), FieldPanel("excerpt")]

    class Meta(InlineRowMeta):
        pass


class GuideSituation(LoadedDirectly, Orderable):
    guide = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="situations")
    key = models.SlugField(
        _("标识"), max_length=20, blank=True,
        help_text=_("用于分享链接的参数名，留空自动生成；发布后请勿修改"),
    )
    question = models.CharField(_("问题"), max_length=200, help_text=_("例如：是否委托他人办理？"))
    options = models.TextField(
        _("选项"),
        help_text=_("每行一个情形。只有一行时为“是/否”问题，回答“是”即适用该情形；多行时为单选。"),
    )

    panels = [FieldRowPanel([FieldPanel("question"), FieldPanel("key")]), FieldPanel("options")]

    class Meta(InlineRowMeta):
        pass

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class GuideMaterial(LoadedDirectly, Orderable):
    guide = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("材料名称"), max_length=200)
    material_type = models.CharField(_("材料类型"), max_length=20, choices=MaterialType.choices, default=MaterialType.OTHER)
    form = models.CharField(_("材料形式"), max_length=10, choices=MaterialForm.choices, default=MaterialForm.PAPER)
    original_count = models.PositiveSmallIntegerField(_("原件份数"), default=1)
    copy_count = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    spec = models.CharField(_("规格"), max_length=50, blank=True, help_text=_("例如：A4"))
    necessity = models.CharField(_("必要性"), max_length=10, choices=Necessity.choices, default=Necessity.REQUIRED)
    source = models.CharField(_("来源渠道"), max_length=20, choices=MaterialSource.choices, default=MaterialSource.APPLICANT)
    # The marks of guides.domain.marks; 容缺后补 is the necessity of that name.
    obtained_by_office = models.BooleanField(
        _("免提交"), default=False,
        help_text=_("窗口通过电子证照库或部门数据共享获取，申请人无需提交"),
    )
    commitment_accepted = models.BooleanField(
        _("告知承诺"), default=False,
        help_text=_("申请人签署告知承诺书即可代替本材料"),
    )
    acceptance_standard = models.TextField(_("受理标准"), blank=True, help_text=_("前台收件时核对的要点"))
    note = models.TextField(_("填报须知/备注"), blank=True)
    basis = models.TextField(_("材料依据"), blank=True, help_text=_("要求提交本材料的法律法规或文件及条款"))
    situation = models.CharField(
        _("适用情形"), max_length=200, blank=True,
        help_text=_("仅在某一情形下需要时，填写该情形（须与“情形问题”中的选项一致）；始终需要的留空"),
    )
    blank_form = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("空白表格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sample = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("示例样表"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("material_type")]),
        FieldRowPanel([FieldPanel("form"), FieldPanel("original_count"), FieldPanel("copy_count"), FieldPanel("spec")]),
        FieldRowPanel([FieldPanel("necessity"), FieldPanel("source"), FieldPanel("situation")]),
        FieldRowPanel([FieldPanel("obtained_by_office"), FieldPanel("commitment_accepted")]),
        FieldPanel("acceptance_standard"),
        FieldPanel("note"),
        FieldPanel("basis"),
        FieldRowPanel([FieldPanel("blank_form"), FieldPanel("sample")]),
    ]

    class Meta(InlineRowMeta):
        pass


class GuideStep(LoadedDirectly, Orderable):
    guide = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(_("环节名称"), max_length=100)
    actor = models.CharField(_("办理主体"), max_length=50, help_text=_("例如：申请人、综合受理窗口、审批部门、统一出件窗口"))
    description = models.TextField(_("办理要求"), blank=True)
    review_standard = models.TextField(
        _("审查标准"), blank=True, help_text=_("本环节据以作出受理、审查或决定的标准，例如：材料齐全、符合法定形式")
    )
    limit_value = models.PositiveIntegerField(_("环节时限"), null=True, blank=True)
    limit_unit = models.CharField(_("单位"), max_length=10, choices=LimitUnit.choices, blank=True)
    counts_toward_limit = models.BooleanField(_("计入办结时限"), default=True, help_text=_("现场勘查、专家评审、公示等不计入法定时限的环节请取消勾选"))

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("actor")]),
        FieldPanel("description"),
        FieldPanel("review_standard"),
        FieldRowPanel([FieldPanel("limit_value"), FieldPanel("limit_unit"), FieldPanel("counts_toward_limit")]),
    ]

    class Meta(InlineRowMeta):
        pass

    @property
    def limit(self) -> TimeLimit | None:
        if not self.limit_unit:
            return None
        return TimeLimit(self.limit_value or 0, TimeUnit(self.limit_unit))

    def clean(self) -> None:
        if self.limit_unit and self.limit_unit != LimitUnit.IMMEDIATE and not self.limit_value:
            raise ValidationError({"limit_value": _("请填写环节时限，或清空单位")})
        if self.limit_value and not self.limit_unit:
            raise ValidationError({"limit_unit": _("请选择时限单位")})


class GuideFeeItem(LoadedDirectly, Orderable):
    guide = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="fee_items")
    name = models.CharField(_("收费项目"), max_length=200)
    standard = models.TextField(_("收费标准"))
    basis = models.TextField(_("收费依据"), blank=True)
    reduction = models.TextField(_("减免政策"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("standard"), FieldPanel("basis"), FieldPanel("reduction")]

    class Meta(InlineRowMeta):
        pass


class GuideFAQ(LoadedDirectly, Orderable):
    guide = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))

    panels = [FieldPanel("question"), FieldPanel("answer")]

    class Meta(InlineRowMeta):
        pass


class ChecklistVersion(models.Model):
    """Every published checklist, kept so that what was required on a given day can be shown."""

    guide = models.ForeignKey(GuidePage, on_delete=models.CASCADE, related_name="checklist_versions")
    version = models.PositiveIntegerField(_("版本"))
    fingerprint = models.CharField(_("指纹"), max_length=64)
    checklist = models.JSONField(_("清单"))
    revision = models.ForeignKey("wagtailcore.Revision", null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("发布时间"))

    class Meta:
        ordering = ["guide", "-version"]
        constraints = [models.UniqueConstraint(fields=["guide", "version"], name="unique_checklist_version")]
        verbose_name = _("清单版本")
        verbose_name_plural = _("清单版本")

    def __str__(self) -> str:
        return f"{self.guide.code} v{self.version}"


class RevisionChangeNote(models.Model):
    """The change note (变更说明) written with one revision of a guide. It belongs to that
    revision: the next draft starts without one, and when the revision is published the change
    log, the webhooks and the Atom feed announce it (guides.signals copies it to the page)."""

    revision = models.OneToOneField(
        "wagtailcore.Revision", primary_key=True, on_delete=models.CASCADE, related_name="guide_change_note"
    )
    text = models.TextField(_("变更说明"))

    class Meta:
        verbose_name = _("变更说明")
        verbose_name_plural = _("变更说明")

    def __str__(self) -> str:
        return self.text

    @classmethod
    def text_of(cls, revision_id: int | None) -> str:
        if revision_id is None:
            return ""
        return cls.objects.filter(revision_id=revision_id).values_list("text", flat=True).first() or ""
