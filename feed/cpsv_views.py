"""CPSV-AP 3.2.0 JSON-LD endpoints: one guide, the whole catalogue, and the context they use.

The documents are built by ``feed.cpsv`` from the same cached ``live_record`` (``serialize_guide``)
records that the guide pages render; IRIs (and the ``@context`` URL) are rooted at
``PUBLIC_BASE_URL`` (the same root as the guide pages' own URLs), so they do not change with the
Host header a client happens to use.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from feed.cpsv import context_text, cpsv_document, dumps, iter_cpsv_json
from guides.models import GuidePage
from guides.serializers import iter_live_records, live_record
from portal.public_urls import public_base_url

LD_JSON = "application/ld+json; charset=utf-8"


def problem(status: int, title: str, detail: str) -> JsonResponse:
    response = JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = "application/problem+json; charset=utf-8"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _public(response: HttpResponse | StreamingHttpResponse) -> HttpResponse | StreamingHttpResponse:
    # Public, read-only data: JSON-LD processors in browsers must be able to load it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def base_url(request) -> str:
    return public_base_url()


@require_safe
def guide(request, code: str):
    # One page: its record is usually cached, so prefetching would mostly be wasted queries.
    page = GuidePage.sources.live().select_related("department").filter(code=code).first()
    if page is None:
        return problem(404, "未找到办事指南", f"没有编码为“{code}”的已发布办事指南")
    document = cpsv_document([(live_record(page), page.checklist_version)], base_url=base_url(request))
    return _public(HttpResponse(dumps(document), content_type=LD_JSON))


def _catalogue_records() -> Iterator[tuple[dict, int]]:
    # Ordered by code in Python, not by the database's collation, so that the output is the same
    # on SQLite and PostgreSQL.
    live = GuidePage.sources.live()
    pks = [pk for _code, pk in sorted(live.values_list("code", "pk"))]
    for page, record in iter_live_records(live, pks):
        yield record, page.checklist_version


def _journey_records() -> list[dict]:
    """The live journeys, as cv:LifeEvent / cv:BusinessEvent grouping their members' services."""
    from journeys.models import JourneyPage
    from journeys.records import journey_record

    return [journey_record(page) for page in JourneyPage.objects.live().order_by("slug")]


@require_safe
def catalogue(request):
    response = StreamingHttpResponse(
        iter_cpsv_json(_catalogue_records(), base_url=base_url(request), journeys=_journey_records()), content_type=LD_JSON
    )
    return _public(response)


@require_safe
def context(request):
    response = HttpResponse(context_text(), content_type=LD_JSON)
    response["Cache-Control"] = "public, max-age=86400"
    return _public(response)
