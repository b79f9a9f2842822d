from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.template.response import TemplateResponse

from guides.models import GuidePage

MAX_QUERY_LENGTH = 100


def search(request):
    """Plain substring search over names, codes, summaries and materials."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    results = GuidePage.objects.none()
    if query:
        terms = query.split(" ")
        matches = Q()
        for term in terms:
            matches &= (
                Q(title__icontains=term)
                | Q(code__iexact=term)
                | Q(summary__icontains=term)
                | Q(conditions__icontains=term)
                | Q(materials__name__icontains=term)
            )
        results = (
            GuidePage.objects.live()
            .filter(pk__in=GuidePage.objects.filter(matches).values("pk"))
            .annotate(
                name_match=Case(
                    When(title__icontains=terms[0], then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .select_related("department")
            .order_by("name_match", "code")
        )
    page_obj = Paginator(results, 20).get_page(request.GET.get("page") or 1)
    return TemplateResponse(
        request,
        "search/search.html",
        {"search_query": query, "page_obj": page_obj, "results": page_obj.object_list},
    )
