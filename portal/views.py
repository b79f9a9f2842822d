import hashlib

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guides.models import GuidePage
from portal.params import bad_request

# Situation answers are a few short keys and values; a longer query is not an answer (and past
# 16 KB Django would refuse the redirect with a logged DisallowedRedirect).
MAX_QUERY_LENGTH = 2048


def guide_short_url(request, code: str):
    """/g/<code>/ → the guide page. A temporary redirect, because the page's slug or place in the
    tree may change while the code printed on QR codes never does; situation answers in the query
    string are carried over."""
    page = GuidePage.sources.live().filter(code__iexact=code).only("url_path", "path", "depth").first()
    if page is None:
        raise Http404("No published guide with this code")
    url = page.get_url(request)
    if url is None:
        raise Http404("Guide is not routable")
    query = request.META.get("QUERY_STRING", "")
    if len(query) > MAX_QUERY_LENGTH:
        return bad_request(request, _("情形参数过长"))
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


@require_GET
def hall_page(request):
    """Every service hall: address, open now, today's hours, the coming closures and make-up
    workdays, the weekly hours, floors and windows."""
    from portal.halls import hall_overview, halls

    overviews = [hall_overview(hall) for hall in halls()]
    return TemplateResponse(request, "portal/hall.html", {"overviews": overviews})


# Icons change only with a release; share cards with the guide, the site's name or a release.
ICON_MAX_AGE = 7 * 24 * 60 * 60
CARD_MAX_AGE = 60 * 60
CARD_TIMEOUT = 30 * 24 * 60 * 60


def _image(content: bytes, content_type: str, max_age: int) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


@require_GET
def favicon(request):
    from portal.share import favicon_ico

    return _image(favicon_ico(), "image/x-icon", ICON_MAX_AGE)


@require_GET
def touch_icon(request):
    from portal.share import touch_icon_png

    return _image(touch_icon_png(), "image/png", ICON_MAX_AGE)


def _site_name(request) -> str:
    from django.conf import settings
    from wagtail.models import Site

    site = Site.find_for_request(request)
    return (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME


def _card(key: str, draw) -> HttpResponse:
    """A share card from the cache (drawn once per key: guide revision and site name), else
    drawn now and kept."""
    from django.core.cache import cache

    content = cache.get(key)
    if content is None:
        content = draw()
        cache.set(key, content, CARD_TIMEOUT)
    return _image(content, "image/png", CARD_MAX_AGE)


@require_GET
def site_share_image(request):
    from portal.share import CARD_FORMAT, share_card

    site_name = _site_name(request)
    key = f"portal:share:{CARD_FORMAT}:site:{hashlib.sha256(site_name.encode()).hexdigest()}"
    return _card(key, lambda: share_card(site_name, [_("一次告知 · 一窗受理 · 一窗出件"), _("办事指南、所需材料、窗口和办公时间")], site_name))


@require_GET
def guide_share_image(request, code: str):
    """The share card of a published guide: its name, department, section and promised limit."""
    from guides.presentation import limit_text
    from guides.serializers import live_record
    from portal.share import CARD_FORMAT, share_card

    page = GuidePage.sources.live().filter(code__iexact=code).first()
    if page is None:
        raise Http404("No published guide with this code")
    site_name = _site_name(request)
    key = f"portal:share:{CARD_FORMAT}:guide:{page.pk}:{page.live_revision_id}:{hashlib.sha256(site_name.encode()).hexdigest()}"

    def draw() -> bytes:
        record = live_record(page)
        facts = [record["category"], _("承诺时限 %(limit)s") % {"limit": limit_text(record["promised_limit"])}]
        if record["online"]:
            facts.append(_("可网办"))
        return share_card(record["name"], [record["department"], " · ".join(facts)], site_name)

    return _card(key, draw)
