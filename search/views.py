from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from guides.choices import SECTION_SLUGS
from guides.models import Department
from search.analysis import normalize
from search.clicks import MAX_QUERY_CHARS, click_url, record_click
from search.params import BadParameter, parse_search_params
from search.service import search_guides
from search.suggest import suggest


def _run(params):
    department = None
    if params.department_code:
        department = Department.objects.filter(code=params.department_code).values_list("pk", flat=True).first()
        if department is None:
            raise BadParameter("department", "未知的部门编码")
    return search_guides(
        params.q, section=params.section, department=department, online=params.online, page=params.page
    )


def _facets(outcome):
    departments = dict(Department.objects.filter(pk__in=list(outcome.facets.get("department_id", {}))).values_list("pk", "name"))
    codes = dict(Department.objects.filter(pk__in=list(departments)).values_list("pk", "code"))
    return {
        "section": [
            {"value": SECTION_SLUGS.get(section, section), "label": section, "count": count}
            for section, count in outcome.facets.get("section", {}).items()
        ],
        "department": [
            {"value": codes[pk], "label": departments[pk], "count": count}
            for pk, count in outcome.facets.get("department_id", {}).items()
            if pk in departments
        ],
    }


@require_GET
def search(request):
    try:
        params = parse_search_params(request.GET)
        outcome = _run(params)
        error = None
    except BadParameter as bad:
        params, outcome, error = parse_search_params({"q": request.GET.get("q", "")}), None, str(bad)
        outcome = _run(params)
    first = (outcome.page - 1) * outcome.per_page + 1
    for position, hit in enumerate(outcome.hits, start=first):
        hit.click_url = click_url(outcome.query, hit.page.code, position)
    return TemplateResponse(
        request,
        "search/search.html",
        {
            "search_query": outcome.query,
            "params": params,
            "outcome": outcome,
            "facets": _facets(outcome),
            "error": error,
            "pages": range(1, outcome.num_pages + 1),
        },
        # The results for the words alone, and the error: the request itself was bad.
        status=400 if error else 200,
    )


def problem(status: int, title: str, detail: str, **extra) -> JsonResponse:
    response = JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = "application/problem+json"
    return response


@require_GET
def search_api(request):
    try:
        params = parse_search_params(request.GET)
        outcome = _run(params)
    except BadParameter as bad:
        return problem(400, "参数错误", str(bad), parameter=bad.name)
    return JsonResponse(
        {
            "query": outcome.query,
            "total": outcome.total,
            "page": outcome.page,
            "num_pages": outcome.num_pages,
            "degraded": outcome.degraded,
            # Nothing told a guide apart: the results are only "可能相关" (maybe related).
            "related": outcome.related,
            "results": [
                {
                    "code": hit.page.code,
                    "name": hit.page.title,
                    "url": hit.page.url,
                    "short_url": f"/g/{hit.page.code}/",
                    "snippet": str(hit.snippet),
                    "section": hit.page.section,
                    "department": hit.page.department.name,
                    "online": hit.page.online,
                    "visits": hit.page.visits,
                    "promoted": hit.promoted,
                    "reason": hit.reason,
                    "click_url": click_url(outcome.query, hit.page.code, position),
                }
                for position, hit in enumerate(outcome.hits, start=(outcome.page - 1) * outcome.per_page + 1)
            ],
            "facets": _facets(outcome),
            "suggestions": outcome.suggestions,
            "popular": [{"code": p.code, "name": p.title, "url": f"/g/{p.code}/"} for p in outcome.popular],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def suggest_api(request):
    q = request.GET.get("q", "")
    return JsonResponse({"query": q[:40], "suggestions": suggest(q)}, json_dumps_params={"ensure_ascii": False})


@require_GET
def search_click(request):
    """A result was opened: count it for its query (in memory, written later by
    search.clicks) and go to the guide."""
    from guides.models import GuidePage

    code = request.GET.get("code", "")[:64]
    page = GuidePage.objects.live().filter(code=code).only("pk", "url_path", "code").first() if code else None
    if page is None:
        raise Http404("No published guide with this code")
    query = " ".join(normalize(request.GET.get("q", "")).split())[:MAX_QUERY_CHARS]
    record_click(query, page.pk)
    response = HttpResponseRedirect(page.url or f"/g/{page.code}/")
    response["Cache-Control"] = "no-store"
    return response
