from urllib.parse import urlencode

from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guides.choices import SECTION_SLUGS
from guides.models import Department
from journeys.search import journey_results
from portal import languages
from portal.middleware import ON_SHARED_HIT_ATTRIBUTE, SHAREABLE_ATTRIBUTE
from search.analysis import normalize
from search.clicks import MAX_QUERY_CHARS, click_url, record_click
from search.params import BadParameter, parse_search_params
from search.service import search_guides
from search.suggest import suggest

# A query's results are shared by everyone who asks it (portal.middleware) until a publish, a
# synonym, a promoted result or an update of the search index moves the content version, and for
# five minutes at most: the ranking also learns from clicks (search.clicks), which move nothing.
SHARED_RESULTS_SECONDS = 5 * 60
# An answer from the fallback backend while Elasticsearch is down is shared too (the database
# carries the whole hall meanwhile), but only briefly, so that better answers return soon after
# the search server does.
SHARED_DEGRADED_RESULTS_SECONDS = 10


def _shared(response, outcome, lifetime: int = SHARED_RESULTS_SECONDS):
    """Mark a search's response as shareable; each reader it is served to counts as a search."""
    if outcome is not None and outcome.degraded:
        lifetime = min(lifetime, SHARED_DEGRADED_RESULTS_SECONDS)
    setattr(response, SHAREABLE_ATTRIBUTE, lifetime)
    if outcome is not None and outcome.query:
        setattr(response, ON_SHARED_HIT_ATTRIBUTE, ("search.query_log.count_search", (outcome.query, outcome.total)))
    return response


def _run(params):
    department = None
    if params.department_code:
        department = Department.objects.filter(code=params.department_code).values_list("pk", flat=True).first()
        if department is None:
            raise BadParameter("department", _("未知的部门编码"))
    return search_guides(
        params.q, section=params.section, department=department, online=params.online, page=params.page
    )


def _facets(outcome):
    departments = dict(Department.objects.filter(pk__in=list(outcome.facets.get("department_id", {}))).values_list("pk", "name"))
    codes = dict(Department.objects.filter(pk__in=list(departments)).values_list("pk", "code"))
    return {
        "section": [
            # The section's value is its Chinese label, a msgid of the catalogue.
            {"value": SECTION_SLUGS.get(section, section), "label": _(section), "count": count}
            for section, count in outcome.facets.get("section", {}).items()
        ],
        "department": [
            {"value": codes[pk], "label": departments[pk], "count": count}
            for pk, count in outcome.facets.get("department_id", {}).items()
            if pk in departments
        ],
    }


def _page_query(params, **changes) -> str:
    """The query string of the search page for ``params`` with ``changes`` (None drops a
    parameter): facets combine, and every change but the page number goes back to page 1."""
    values = {
        "q": params.q,
        "section": SECTION_SLUGS.get(params.section) if params.section else None,
        "department": params.department_code,
        "online": "1" if params.online else None,
        "page": params.page if params.page > 1 else None,
    }
    if "page" not in changes:
        values["page"] = None
    values.update(changes)
    return "?" + urlencode([(key, value) for key, value in values.items() if value not in (None, "")])


def _search_page_facets(params, outcome) -> dict:
    """The facets of the search page: each value links to the search with it added (or, when
    it is the selected one, removed), the other filters kept."""
    facets = _facets(outcome)
    section = SECTION_SLUGS.get(params.section) if params.section else None
    for entry in facets["section"]:
        entry["selected"] = entry["value"] == section
        entry["url"] = _page_query(params, section=None if entry["selected"] else entry["value"])
    for entry in facets["department"]:
        entry["selected"] = entry["value"] == params.department_code
        entry["url"] = _page_query(params, department=None if entry["selected"] else entry["value"])
    selected = [entry["label"] for group in ("section", "department") for entry in facets[group] if entry["selected"]]
    if params.online:
        selected.append(str(_("可网办")))
    return {
        **facets,
        "online": {"selected": bool(params.online), "url": _page_query(params, online=None if params.online else "1")},
        "selected": selected,
        "clear_url": _page_query(params, section=None, department=None, online=None),
    }


def _pagination(params, outcome) -> dict | None:
    if outcome.num_pages <= 1:
        return None
    current = outcome.page
    return {
        "current": current,
        "total": outcome.num_pages,
        "previous": _page_query(params, page=current - 1 if current > 2 else None) if current > 1 else "",
        "next": _page_query(params, page=current + 1) if current < outcome.num_pages else "",
        "pages": [
            {"number": number, "url": _page_query(params, page=number if number > 1 else None)}
            for number in range(1, outcome.num_pages + 1)
        ],
    }


def _browse_context() -> dict:
    """What the search page offers before anything is searched: popular guides, sections and
    themes."""

    from guides.models import GuideIndexPage, GuidePage, LifeEvent

    live = GuidePage.sources.live()
    return {
        "popular": list(live.filter(is_popular=True).select_related("department").order_by("code")[:12]),
        "guide_index": GuideIndexPage.objects.live().first(),
        "sections": [{"label": section.label, "slug": slug} for section, slug in SECTION_SLUGS.items()],
        "themes": list(LifeEvent.objects.with_live_guides()),
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
    context = {
        "search_query": outcome.query,
        "params": params,
        "outcome": outcome,
        "journeys": journey_results(outcome) if outcome.page == 1 else [],
        "facets": _search_page_facets(params, outcome),
        "pagination": _pagination(params, outcome),
        "error": error,
        "meta_description": _("搜索办事指南：事项名称、材料、口语说法或拼音首字母"),
    }
    if not outcome.query:
        context["browse"] = _browse_context()
    elif not outcome.total:
        from portal.halls import main_hall_overview

        context["hall"] = main_hall_overview()
    response = TemplateResponse(
        request,
        "search/search.html",
        context,
        # The results for the words alone, and the error: the request itself was bad.
        status=400 if error else 200,
    )
    if context.get("hall"):
        # It says whether the hall is open now.
        from guides.presentation import until_hall_changes

        return _shared(response, outcome, until_hall_changes(context["hall"]["hall"].schedule(), SHARED_RESULTS_SECONDS))
    return _shared(response, outcome)


def problem(status: int, title: str, detail: str, **extra) -> JsonResponse:
    response = JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = "application/problem+json"
    return response


@require_GET
@languages.with_requested_language
def search_api(request):
    try:
        params = parse_search_params(request.GET)
        outcome = _run(params)
    except BadParameter as bad:
        return problem(400, _("参数错误"), str(bad), parameter=bad.name)
    response = JsonResponse(
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
                    "short_url": languages.path_in(f"/g/{hit.page.code}/", languages.current()),
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
            # One-thing journeys, a kind of result of their own (first page only).
            "journeys": [
                *(journey_results(outcome) if outcome.page == 1 else [])
            ],
            "suggestions": outcome.suggestions,
            "popular": [
                {"code": p.code, "name": p.title, "url": languages.path_in(f"/g/{p.code}/", languages.current())}
                for p in outcome.popular
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    return _shared(response, outcome)


@require_GET
@languages.with_requested_language
def suggest_api(request):
    q = request.GET.get("q", "")
    language = languages.current()
    suggestions = [{**found, "url": languages.path_in(found["url"], language)} for found in suggest(q)]
    response = JsonResponse({"query": q[:40], "suggestions": suggestions}, json_dumps_params={"ensure_ascii": False})
    return _shared(response, None)


@require_GET
def search_click(request):
    """A result was opened: count it for its query (in memory, written later by
    search.clicks) and go to the guide."""
    from guides.models import GuidePage

    code = request.GET.get("code", "")[:64]
    page = GuidePage.sources.live().filter(code=code).only("pk", "url_path", "code").first() if code else None
    if page is None:
        raise Http404("No published guide with this code")
    query = " ".join(normalize(request.GET.get("q", "")).split())[:MAX_QUERY_CHARS]
    record_click(query, page.pk)
    response = HttpResponseRedirect(page.url or f"/g/{page.code}/")
    response["Cache-Control"] = "no-store"
    return response
