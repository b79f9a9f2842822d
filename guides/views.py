import django_filters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.ui.tables.pages import BulkActionsColumn, PageStatusColumn, PageTitleColumn
from wagtail.admin.views.pages.listing import IndexView, PageFilterSet
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from feedback.models import usefulness_ratio, with_usefulness
from guides.choices import Section, WindowRole
from guides.models import Department, GuidePage, LifeEvent, ServiceHall, ServiceWindow


class ServiceWindowFilterSet(WagtailFilterSet):
    role = django_filters.ChoiceFilter(choices=WindowRole.choices, label=_("窗口职能"))

    class Meta:
        model = ServiceWindow
        fields = ["hall", "role"]


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = _("部门")
    list_display = ["name", "short_name", "code", "phone", "complaint_phone"]
    search_fields = ["name", "short_name", "code"]
    ordering = ["sort_order", "name"]


class ServiceHallViewSet(SnippetViewSet):
    model = ServiceHall
    icon = "home"
    menu_label = _("服务大厅")
    list_display = ["name", "address", "phone"]


class ServiceWindowViewSet(SnippetViewSet):
    model = ServiceWindow
    icon = "site"
    menu_label = _("服务窗口")
    list_display = [Column("label", label=_("窗口")), "role", "location", "hall"]
    filterset_class = ServiceWindowFilterSet


class LifeEventViewSet(SnippetViewSet):
    model = LifeEvent
    icon = "tag"
    menu_label = _("主题")
    list_display = ["name", "slug", "audience"]
    list_filter = ["audience"]


class GuideRecordsGroup(ViewSetGroup):
    menu_label = _("指南基础数据")
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (DepartmentViewSet, ServiceHallViewSet, ServiceWindowViewSet, LifeEventViewSet)


class GuideStatusFilter(django_filters.ChoiceFilter):
    """Where a guide stands in publication and review."""

    LIVE = "live"
    CHANGED = "changed"
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    SCHEDULED = "scheduled"
    CHOICES = [
        (LIVE, _("已发布，无未发布修改")),
        (CHANGED, _("已发布，有未发布修改")),
        (DRAFT, _("未发布")),
        (IN_REVIEW, _("审核中")),
        (SCHEDULED, _("已定时发布")),
    ]

    def __init__(self, **kwargs):
        super().__init__(choices=self.CHOICES, **kwargs)

    def filter(self, qs, value):
        from django.db.models import CharField
        from django.db.models.functions import Cast
        from wagtail.models import Revision, WorkflowState

        if value == self.LIVE:
            return qs.filter(live=True, has_unpublished_changes=False)
        if value == self.CHANGED:
            return qs.filter(live=True, has_unpublished_changes=True)
        if value == self.DRAFT:
            return qs.filter(live=False)
        if value == self.IN_REVIEW:
            states = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS)
            return qs.annotate(text_pk=Cast("pk", CharField())).filter(text_pk__in=states.values("object_id"))
        if value == self.SCHEDULED:
            scheduled = Revision.page_revisions.filter(approved_go_live_at__isnull=False)
            return qs.annotate(text_pk=Cast("pk", CharField())).filter(text_pk__in=scheduled.values("object_id"))
        return qs


class LintStatusFilter(django_filters.ChoiceFilter):
    """The guides by the findings of their latest revision (guides.quality's stored counts)."""

    BLOCKING = "blocking"
    WARNINGS = "warnings"
    CLEAN = "clean"
    UNCHECKED = "unchecked"
    CHOICES = [
        (BLOCKING, _("有阻断性问题")),
        (WARNINGS, _("只有提醒")),
        (CLEAN, _("检查通过")),
        (UNCHECKED, _("未检查")),
    ]

    def __init__(self, **kwargs):
        super().__init__(choices=self.CHOICES, **kwargs)

    def filter(self, qs, value):
        if value == self.BLOCKING:
            return qs.filter(lint_blocking__gt=0)
        if value == self.WARNINGS:
            return qs.filter(lint_blocking=0, lint_warnings__gt=0)
        if value == self.CLEAN:
            return qs.filter(lint_blocking=0, lint_warnings=0)
        if value == self.UNCHECKED:
            return qs.filter(lint_blocking__isnull=True)
        return qs


class LintStatusColumn(Column):
    """阻断 n · 提醒 m, 提醒 m, 检查通过 or 未检查, from the counts on the guide's row."""

    def get_value(self, instance):
        blocking, warnings = instance.lint_blocking, instance.lint_warnings
        if blocking is None:
            return gettext("未检查")
        if blocking:
            return gettext("阻断 %(blocking)s · 提醒 %(warnings)s") % {"blocking": blocking, "warnings": warnings or 0}
        if warnings:
            return gettext("提醒 %(warnings)s") % {"warnings": warnings}
        return gettext("检查通过")


def _departments_of(request):
    from editorial.roles import roles_of

    return roles_of(request.user).editable_departments()


class GuideFilterSet(PageFilterSet):
    department = django_filters.ModelChoiceFilter(label=_("部门"), queryset=_departments_of)
    section = django_filters.ChoiceFilter(label=_("版块"), choices=Section.choices)
    status = GuideStatusFilter(label=_("状态"))
    lint_status = LintStatusFilter(label=_("质量检查"))

    class Meta:
        model = GuidePage
        fields = []


class GuideIndexView(IndexView):
    def get_base_queryset(self):
        # The listing loads its specific pages in a query of their own (Wagtail's specific()),
        # which a plain select_related does not reach: the department column then cost one
        # query per row. The citizens' votes come in the same query (two subqueries), for the
        # usefulness column.
        return with_usefulness(super().get_base_queryset().select_related("department", for_specific_subqueries=True))


def usefulness_text(guide) -> str:
    """"83%（12）": the share of "useful" answers and how many answered; "—" without answers."""
    ratio = usefulness_ratio(guide.useful_yes, guide.useful_no)
    if ratio is None:
        return "—"
    return _("%(percent)d%%（%(votes)d）") % {"percent": round(ratio * 100), "votes": guide.useful_yes + guide.useful_no}


class GuideListingViewSet(PageListingViewSet):
    """The guide list of the admin: every guide the user may edit, with its code, department,
    checklist version, lint status and last review, filtered by department, section, status and
    lint status."""

    model = GuidePage
    name = "guide_list"
    url_prefix = "guides"
    icon = "doc-full-inverse"
    menu_label = _("办事指南")
    menu_order = 110
    add_to_admin_menu = True
    index_view_class = GuideIndexView
    filterset_class = GuideFilterSet
    columns = [
        BulkActionsColumn("bulk_actions"),
        PageTitleColumn("title", label=_("事项名称"), sort_key="title", classname="title"),
        Column("code", label=_("实施编码"), sort_key="code"),
        Column("department", label=_("部门"), accessor="department.display_name", sort_key="department__sort_order"),
        Column("checklist_version", label=_("清单版本"), sort_key="checklist_version"),
        LintStatusColumn("lint_status", label=_("质量检查"), sort_key="lint_blocking"),
        DateColumn("last_reviewed_at", label=_("最近审核"), sort_key="last_reviewed_at"),
        DateColumn("latest_revision_created_at", label=_("更新时间"), sort_key="latest_revision_created_at"),
        Column("usefulness", label=_("有用率"), accessor=usefulness_text),
        PageStatusColumn("status", label=_("状态"), sort_key="live"),
    ]
