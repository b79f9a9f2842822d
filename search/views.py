from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from guides.choices import SECTION_SLUGS
from guides.models import Department
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
                }
                for hit in outcome.hits
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
