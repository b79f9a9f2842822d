from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, SnippetViewSet

from search.models import SearchClick, SearchQueryStat, Synonym


class SynonymCreateView(CreateView):
    """The new synonym's form with the citizens' phrase filled in from ``?phrases=`` (the
    dashboard's "add synonym" beside a search that found nothing)."""

    def get_initial(self):
        initial = super().get_initial()
        if phrases := self.request.GET.get("phrases", "").strip():
            initial["phrases"] = phrases[: Synonym._meta.get_field("phrases").max_length]
        return initial


class SynonymViewSet(SnippetViewSet):
    model = Synonym
    add_view_class = SynonymCreateView
    icon = "openquote"
    menu_label = _("同义词")
    list_display = ["phrases", "expansions", "enabled", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["phrases", "expansions"]


class SearchQueryStatViewSet(ModelViewSet):
    """What citizens search for, most frequent first; filter to the queries that found nothing."""

    model = SearchQueryStat
    icon = "search"
    menu_label = _("搜索记录")
    add_to_admin_menu = True
    menu_order = 310
    list_display = ["query", "hits", "zero_result_hits", "last_result_count", "last_searched_at"]
    list_filter = {"last_result_count": ["exact", "gte"], "zero_result_hits": ["gte"]}
    search_fields = ["query"]
    ordering = ["-hits"]
    inspect_view_enabled = True
    form_fields = ["query"]


class SearchClickViewSet(ModelViewSet):
    """What citizens opened for each query, and the boost it gives that guide for the query;
    deleting a row resets the boost."""

    model = SearchClick
    icon = "pick"
    menu_label = _("点击记录")
    add_to_admin_menu = True
    menu_order = 311
    list_display = ["query", "guide", "clicks", "boost", "last_clicked_at"]
    list_filter = {"clicks": ["gte"]}
    search_fields = ["query"]
    ordering = ["-clicks"]
    inspect_view_enabled = True
    form_fields = ["clicks"]


register_snippet(SynonymViewSet)


@hooks.register("register_admin_viewset")
def register_search_query_stats():
    return SearchQueryStatViewSet("search_query_stats")


@hooks.register("register_admin_viewset")
def register_search_clicks():
    return SearchClickViewSet("search_clicks")
