import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.views.snippets import SnippetViewSet

from guides.choices import WindowRole
from guides.models import Department, LifeEvent, ServiceHall, ServiceWindow


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
    list_display = ["label", "role", "location", "hall"]
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
