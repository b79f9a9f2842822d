"""The self-service kiosk (自助终端): a touch-first, full-screen front end under /kiosk/.

Every guide is rendered from the one view-model of ``guides.presentation`` (the same filtered
checklist as the web page and the PDF sheet); this module only chooses what to show and keeps
every link inside /kiosk/. Addresses outside the kiosk (online services, documents, the public
page of a guide) are shown as QR codes for the citizen's phone.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from feedback.models import Channel
from feedback.views import feedback_context, feedback_state, no_store
from guides.choices import SECTION_BY_SLUG, SECTION_SLUGS, Section
from guides.domain.hours import sessions_text
from guides.models import Department, GuidePage, LifeEvent, ServiceHall
from guides.presentation import build_guide_view, hall_status, shared_page_lifetime
from guides.serializers import live_record
from portal import languages
from portal.middleware import SHAREABLE_ATTRIBUTE
from portal.params import BadPageNumber, bad_request, page_number
from portal.public_urls import public_base_url
from search.suggest import suggest

DEFAULT_IDLE_SECONDS = 60
MAX_QUERY = 20
PAGE_SIZE = 12
POPULAR_TILES = 8
# The query parameter that carries the list a guide was opened from, for 返回结果.
BACK_PARAM = "back"
# Kiosk pages that list guides, and so may be returned to from a guide.
RESULT_PAGES = {"start", "section", "department", "theme"}
KEYBOARD_ROWS = ["ABCDEFG", "HIJKLMN", "OPQRST", "UVWXYZ", "1234567890"]
# The A4 citizen sheet, served by the printing app with the same situation parameters as the page.
PDF_PATH = "/g/{code}/pdf/"

_QUERY_CHARS = re.compile(r"[^a-z0-9]")


def idle_seconds() -> int:
    """Seconds without a touch before the kiosk returns to its start screen."""
    try:
        value = int(getattr(settings, "KIOSK_IDLE_SECONDS", DEFAULT_IDLE_SECONDS))
    except (TypeError, ValueError):
        value = DEFAULT_IDLE_SECONDS
    return max(value, 1)


def clean_query(value: Any) -> str:
    """What the on-screen keyboard can type: lower-case letters and digits."""
    if not isinstance(value, str):
        return ""
    return _QUERY_CHARS.sub("", value.lower())[:MAX_QUERY]


def _query_string(params: dict[str, str]) -> str:
    return f"?{urlencode(params)}" if params else ""


def guide_url(code: str, answers: dict[str, str] | None = None, *, back: str = "") -> str:
    params = dict(answers or {})
    if back:
        params[BACK_PARAM] = back
    return reverse("kiosk:guide", args=[code]) + _query_string(params)


_DIGITS = re.compile(r"[0-9]{1,5}")


def results_url(value: Any) -> str:
    """The list a guide was opened from (the start screen with a query, or a page of a section,
    department or theme), rebuilt from its parts; "" for anything else, so that a crafted link
    can only lead back into the kiosk's own lists."""
    if not isinstance(value, str) or len(value) > 300:
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return ""
    try:
        match = resolve(parts.path)
    except Resolver404:
        return ""
    if match.namespace != "kiosk" or match.url_name not in RESULT_PAGES:
        return ""
    query = parse_qs(parts.query)
    params = {}
    if match.url_name == "start":
        params["q"] = clean_query((query.get("q") or [""])[-1])
        if not params["q"]:
            return ""
    else:
        number = (query.get("page") or [""])[-1]
        if _DIGITS.fullmatch(number) and int(number) > 1:
            params["page"] = str(int(number))
    return reverse(f"kiosk:{match.url_name}", kwargs=match.kwargs) + _query_string(params)


def kiosk_hall() -> ServiceHall | None:
    """The hall the kiosk stands in: KIOSK_HALL (its name) or else the first hall."""
    halls = ServiceHall.objects.prefetch_related("sessions", "calendar_days").order_by("pk")
    name = settings.KIOSK_HALL
    return (halls.filter(name=name).first() if name else None) or halls.first()


def today_hours(now=None) -> dict[str, Any] | None:
    """Today's opening hours of the kiosk's hall and whether it is open now."""
    hall = kiosk_hall()
    if hall is None:
        return None
    schedule = hall.schedule()
    now = now or timezone.now()
    sessions = schedule.sessions_on(now.astimezone(schedule.zone).date())
    status = schedule.status(now)
    return {
        "hall": hall.name,
        "sessions": sessions_text(sessions),
        "is_open": status.is_open,
        "next_opening": "" if status.is_open else (status.next_opening_label(now) or ""),
    }


def _live_guides():
    return GuidePage.sources.live().select_related("department")


def _section_tiles() -> list[dict[str, Any]]:
    counts = {
        row["section"]: row["n"]
        for row in GuidePage.sources.live().order_by().values("section").annotate(n=Count("pk"))
    }
    return [
        {
            "label": section.label,
            "slug": SECTION_SLUGS[section],
            "count": counts.get(section.value, 0),
            "url": reverse("kiosk:section", args=[SECTION_SLUGS[section]]),
        }
        for section in Section
    ]


def _department_tiles() -> list[dict[str, Any]]:
    departments = Department.objects.with_live_guides()
    return [
        {
            "label": department.display_name,
            "name": department.name,
            "count": department.guide_count,
            "url": reverse("kiosk:department", args=[department.code]),
        }
        for department in departments
    ]


def _theme_tiles() -> list[dict[str, Any]]:
    themes = LifeEvent.objects.with_live_guides()
    return [
        {"label": theme.name, "count": theme.guide_count, "url": reverse("kiosk:theme", args=[theme.slug])}
        for theme in themes
    ]


def _popular_tiles() -> list[dict[str, Any]]:
    popular = _live_guides().filter(is_popular=True).order_by("code")[:POPULAR_TILES]
    return [_guide_tile(page) for page in popular]


def _base_context(**extra) -> dict[str, Any]:
    return {
        "kiosk_idle_seconds": idle_seconds(),
        "kiosk_start_url": reverse("kiosk:start"),
        # The idle reset is for the next person in the hall: back to the start in Chinese.
        "kiosk_reset_url": languages.path_in(reverse("kiosk:start"), languages.DEFAULT),
        **extra,
    }


def _guide_tile(page: GuidePage, back: str = "") -> dict[str, Any]:
    return {
        "name": page.title,
        "code": page.code,
        "section": page.section,
        "department": page.department.display_name,
        "url": guide_url(page.code, back=back),
    }


@require_GET
def start(request):
    """Search keyboard with instant results; popular guides, themes, the three sections and
    the departments for those who do not know an item's name; today's hours of the hall."""
    query = clean_query(request.GET.get("q", ""))
    back = reverse("kiosk:start") + _query_string({"q": query}) if query else ""
    results = [
        {**item, "url": guide_url(item["code"], back=back)}
        for item in (suggest(query) if query else [])
    ]
    keys = [[(char.lower(), char) for char in row] for row in KEYBOARD_ROWS]
    return TemplateResponse(
        request,
        "kiosk/start.html",
        _base_context(
            query=query,
            query_backspace=query[:-1],
            keyboard=keys,
            results=results,
            popular=_popular_tiles(),
            themes=_theme_tiles(),
            sections=_section_tiles(),
            departments=_department_tiles(),
            journeys=_journey_tiles(),
            today=today_hours(),
            back_param=BACK_PARAM,
            is_start=True,
        ),
    )


def _listing(request, *, heading: str, guides):
    try:
        number = page_number(request.GET)
    except BadPageNumber as error:
        return bad_request(request, str(error), "kiosk/400.html")
    paginator = Paginator(guides.order_by("code"), PAGE_SIZE)
    page_obj = paginator.get_page(number)
    base = request.path

    def page_link(number: int) -> str:
        return base + (_query_string({"page": str(number)}) if number > 1 else "")

    return TemplateResponse(
        request,
        "kiosk/listing.html",
        _base_context(
            heading=heading,
            guides=[_guide_tile(page, back=request.get_full_path()) for page in page_obj.object_list],
            page_obj=page_obj,
            total=paginator.count,
            previous_url=page_link(page_obj.previous_page_number())
            if page_obj.has_previous()
            else "",
            next_url=page_link(page_obj.next_page_number()) if page_obj.has_next() else "",
        ),
    )


@require_GET
def section(request, slug: str):
    if slug not in SECTION_BY_SLUG:
        raise Http404("Unknown section")
    value = SECTION_BY_SLUG[slug]
    return _listing(
        request, heading=Section(value).label, guides=_live_guides().filter(section=value)
    )


@require_GET
def department(request, code: str):
    dept = get_object_or_404(Department, code=code)
    return _listing(request, heading=dept.name, guides=_live_guides().filter(department=dept))


@require_GET
def theme(request, slug: str):
    life_event = get_object_or_404(LifeEvent, slug=slug)
    return _listing(request, heading=life_event.name, guides=_live_guides().filter(themes=life_event))


def pdf_path(code: str) -> str:
    try:
        return reverse("guide-pdf", args=[code])
    except NoReverseMatch:
        return PDF_PATH.format(code=code)


def _live_guide(code: str) -> GuidePage:
    # The record comes from live_record's cache; only the page row is read here.
    page = _live_guides().filter(code__iexact=code).select_related("department").first()
    if page is None:
        raise Http404("No published guide with this code")
    return page


def _question_buttons(code: str, view, back: str = "") -> list[dict[str, Any]]:
    """Each situation question with one link per answer (and one to leave it open); each link
    carries the other answers along, so a tap reloads the checklist for the new set."""
    questions = []
    for question in view.questions:
        others = {key: value for key, value in view.answers.items() if key != question["key"]}
        choices = [
            {
                "label": choice["value"],
                "selected": choice["selected"],
                "url": guide_url(code, {**others, question["key"]: choice["value"]}, back=back)
                + "#situations",
            }
            for choice in question["choices"]
        ]
        questions.append(
            {
                "key": question["key"],
                "question": question["question"],
                "choices": choices,
                "unsure_url": guide_url(code, others, back=back) + "#situations",
                "answered": question["answered"],
            }
        )
    return questions


def _guide_context(request, page: GuidePage) -> dict[str, Any]:
    record = live_record(page)
    view = build_guide_view(record, request.GET)
    answers = dict(view.answers)
    back = results_url(request.GET.get(BACK_PARAM))
    base = public_base_url()
    query = _query_string(answers)
    materials = []
    for material in view.materials:
        documents = [
            (label, f"{base}{url}" if url.startswith("/") else url)
            for label, url in (
                (_("空白表格"), material.get("blank_form_url")),
                (_("示例样表"), material.get("sample_url")),
            )
            if url
        ]
        materials.append({**material, "documents": documents})
    return _base_context(
        guide=record,
        view=view,
        materials=materials,
        questions=_question_buttons(page.code, view, back),
        results_url=back,
        hall_status=hall_status(record),
        section_url=reverse("kiosk:section", args=[SECTION_SLUGS[record["category"]]])
        if record["category"] in SECTION_SLUGS
        else "",
        department_url=reverse("kiosk:department", args=[record["department_code"]]),
        reset_url=guide_url(page.code, back=back) + "#situations",
        guide_url=guide_url(page.code, answers, back=back),
        pdf_url=pdf_path(page.code) + query,
        print_url=reverse("kiosk:print", args=[page.code])
        + _query_string({**answers, **({BACK_PARAM: back} if back else {})}),
        phone_url=f"{base}/g/{page.code}/{query}",
        online_url=record["online_url"] if record["online"] else "",
        feedback=feedback_context(request, page.code, Channel.KIOSK),
    )


@require_GET
def guide(request, code: str):
    """One guide in large type, its checklist filtered by the situation answers in the query."""
    page = _live_guide(code)
    response = TemplateResponse(request, "kiosk/guide.html", _guide_context(request, page))
    # The same for every kiosk until the guide or the hall's open/closed state changes
    # (portal.middleware), as the guide's web page.
    lifetime = shared_page_lifetime(page, request)
    if lifetime and not page.get_view_restrictions().exists():
        setattr(response, SHAREABLE_ATTRIBUTE, lifetime)
    if feedback_state(request):
        no_store(response)
    return response


@require_GET
def guide_print(request, code: str):
    """The A4 sheet embedded and printed on load; the fallback of the print button and the page
    to open when the kiosk runs without JavaScript (the PDF viewer has its own print button)."""
    page = _live_guide(code)
    return TemplateResponse(request, "kiosk/print.html", _guide_context(request, page))


def _journey_tiles() -> list[dict[str, Any]]:
    from journeys.models import JourneyPage

    return [
        {"name": page.title, "url": reverse("kiosk:journey", args=[page.slug])}
        for page in JourneyPage.objects.live().order_by("path")
    ]


@require_GET
def journey(request, slug: str):
    """A journey at the kiosk: its steps (each guide a tap away) and the merged checklist for the
    answers, tapped as buttons as on a guide, with the journey sheet to print."""
    from journeys.models import JourneyPage
    from journeys.records import build_journey_view

    page = JourneyPage.objects.live().filter(slug=slug).first()
    if page is None:
        raise Http404("No published journey with this slug")
    view = build_journey_view(page, request.GET)
    base = reverse("kiosk:journey", args=[slug])
    questions = []
    for question in view.questions:
        others = {key: value for key, value in view.answers.items() if key != question["key"]}
        questions.append(
            {
                **question,
                "choices": [
                    {**choice, "url": base + _query_string({**others, question["key"]: choice["value"]}) + "#situations"}
                    for choice in question["choices"]
                ],
                "unsure_url": base + _query_string(others) + "#situations",
            }
        )
    steps = [
        {**step, "members": [{**member, "kiosk_url": guide_url(member["code"])} for member in step["members"]]}
        for step in view.record["steps"]
    ]
    return TemplateResponse(
        request,
        "kiosk/journey.html",
        _base_context(
            journey=view.record,
            journey_view=view,
            merged=view.merged,
            steps=steps,
            questions=questions,
            pdf_url=reverse("journey-pdf", args=[slug]) + _query_string(dict(view.answers)),
        ),
    )
