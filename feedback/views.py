"""The citizens' side of feedback: "这条指南有用吗？" and "报告错误" on every guide page and kiosk
guide, as plain HTML forms (no JavaScript): POST, then a redirect back to the guide (PRG) with a
thank-you that is never shared from the page cache.

Guide pages are rendered once and shared with every reader (portal.middleware), and a response
that sets a cookie is never shared, so the forms cannot carry Django's CSRF token (its cookie is
per reader). These views are exempt from it and protected otherwise:

- same origin: the browser's ``Origin`` header (``Referer`` where there is none) must be this
  site, so another site cannot make its visitors' browsers vote (a per-client limit would not
  stop that: each visitor is another client). The forms change nothing of the reader's own
  (no session, no account), which is what CSRF tokens protect; the site's CSP allows forms to
  post to the site only.
- a per-client rate limit (``FEEDBACK_RATE_LIMIT``) counted in the cache that every process
  shares (portal.security), under a keyed hash of the address: the address itself is stored
  nowhere.
- a honeypot field that people never see; a post that fills it is answered as if it had been
  taken and kept nowhere.
- length limits on every field (feedback.forms), refused with the text kept, never cut.

Each vote is written in the request's transaction (portal.transactions): one counter row per
guide and day, incremented in the database, waiting for another writer rather than failing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from feedback.forms import HONEYPOT_FIELD, ErrorReportForm
from feedback.models import MESSAGE_MAX_CHARS, Channel, ErrorReport, ReportedPart, UsefulnessTally
from guides.models import GuidePage
from portal import languages
from portal.security import client_ip, over_rate_limit, parse_rate_limit

# The query parameter of the guide page that says what the reader just sent.
STATE_PARAM = "feedback"
THANKS = "thanks"  # a "yes" vote
THANKS_NO = "thanks-no"  # a "no" vote: the page opens the report form
REPORTED = "reported"
STATES = (THANKS, THANKS_NO, REPORTED)
ANSWERS = {"yes": True, "no": False}
RATE_SCOPE = "feedback"


def feedback_state(request) -> str:
    """What the reader just sent, from the guide page's query: one of STATES, else ""."""
    value = request.GET.get(STATE_PARAM, "")
    return value if value in STATES else ""


def feedback_context(request, code: str, channel: str, form: ErrorReportForm | None = None) -> dict | None:
    """What a guide page (web or kiosk) needs to show the two forms; None in a preview."""
    if getattr(request, "is_preview", False):
        return None
    return {
        "vote_url": reverse("feedback-vote", args=[code]),
        "report_url": reverse("feedback-report", args=[code]),
        "channel": channel,
        "state": feedback_state(request),
        "form": form or ErrorReportForm(),
        "parts": ReportedPart.choices,
        "honeypot": HONEYPOT_FIELD,
        "message_max": MESSAGE_MAX_CHARS,
    }


def no_store(response):
    """What one reader sent, and what they are told about it, is kept by no cache."""
    response["Cache-Control"] = "no-store"
    return response


def see_other(url: str):
    """The redirect after a post (303: the browser asks for the page with GET)."""
    return no_store(HttpResponseRedirect(url, status=303))


def _live_guide(code: str) -> GuidePage:
    """The guide of ``code``: the Chinese page, whose votes and reports count for the guide in
    every language (its translations share the code)."""
    page = GuidePage.sources.live().filter(code__iexact=code).select_related("department").first()
    if page is None:
        raise Http404("No published guide with this code")
    return page


def _channel(request) -> str:
    value = request.POST.get("channel") or request.GET.get("channel")
    return value if value in Channel.values else Channel.WEB


def guide_address(page: GuidePage, channel: str, state: str = "") -> str:
    """The guide's page in the reader's language, on the channel the reader came from."""
    path = reverse("kiosk:guide", args=[page.code]) if channel == Channel.KIOSK else page.url
    path = languages.path_in(path, languages.current())
    return f"{path}?{STATE_PARAM}={state}#feedback" if state else path


def same_origin(request) -> bool:
    """Whether the post comes from a page of this site: its Origin (or, for browsers that send
    none, its Referer) is this site's scheme and host, or one of CSRF_TRUSTED_ORIGINS."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
        if not (referer.scheme and referer.netloc):
            return False
        origin = f"{referer.scheme}://{referer.netloc}"
    return origin == f"{request.scheme}://{request.get_host()}" or origin in settings.CSRF_TRUSTED_ORIGINS


def wait_seconds(request) -> int | None:
    """Count this post of its client; the seconds to wait when the client is over the limit."""
    limit = parse_rate_limit(getattr(settings, "FEEDBACK_RATE_LIMIT", "20/minute"), "FEEDBACK_RATE_LIMIT")
    if limit is None:
        return None
    client = salted_hmac("feedback.rate-limit", client_ip(request)).hexdigest()[:32]
    return over_rate_limit(caches[settings.FEED_RATE_LIMIT_CACHE], RATE_SCOPE, client, limit)


def _base_template(channel: str) -> tuple[str, dict]:
    if channel == Channel.KIOSK:
        from kiosk.views import _base_context

        return "kiosk/base.html", _base_context()
    return "base.html", {}


def _message(request, page, channel: str, *, title: str, message: str, status: int, retry_after: int | None = None):
    base_template, base_context = _base_template(channel)
    response = TemplateResponse(
        request,
        "feedback/message.html",
        {
            **base_context,
            "base_template": base_template,
            "title": title,
            "message": message,
            "guide_name": page.translated_for_reader().title,
            "guide_url": guide_address(page, channel),
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return no_store(response)


def _refused_origin(request, page, channel):
    return _message(
        request, page, channel, status=403, title=_("无法提交"),
        message=_("请在本站的办事指南页面上提交反馈。"),
    )


def _too_many(request, page, channel, retry_after: int):
    return _message(
        request, page, channel, status=429, title=_("提交过于频繁"), retry_after=retry_after,
        message=_("您提交得太频繁了，请 %(seconds)d 秒后再试。") % {"seconds": retry_after},
    )


@csrf_exempt
@require_POST
def vote(request, code: str):
    """One answer to "这条指南有用吗？": ``answer`` is "yes" or "no"."""
    page = _live_guide(code)
    channel = _channel(request)
    if not same_origin(request):
        return _refused_origin(request, page, channel)
    answer = request.POST.get("answer")
    if answer not in ANSWERS:
        return _message(
            request, page, channel, status=400, title=_("请求有误"),
            message=_("请点按“有用”或“没用”。"),
        )
    state = THANKS if ANSWERS[answer] else THANKS_NO
    if request.POST.get(HONEYPOT_FIELD):
        return see_other(guide_address(page, channel, state))
    if (retry_after := wait_seconds(request)) is not None:
        return _too_many(request, page, channel, retry_after)
    UsefulnessTally.count_vote(page.pk, ANSWERS[answer])
    return see_other(guide_address(page, channel, state))


def _report_page(request, page, channel: str, form: ErrorReportForm, *, status: int = 200, notice: str = "", retry_after=None):
    base_template, base_context = _base_template(channel)
    response = TemplateResponse(
        request,
        "feedback/report_page.html",
        {
            **base_context,
            "base_template": base_template,
            "guide_name": page.translated_for_reader().title,
            "guide_url": guide_address(page, channel),
            "notice": notice,
            "feedback": feedback_context(request, page.code, channel, form),
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return no_store(response)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def report(request, code: str):
    """"报告错误": which part, what is wrong, an optional phone number. GET shows the form on a
    page of its own; a post with a mistake shows it again with the text as typed."""
    page = _live_guide(code)
    channel = _channel(request)
    if request.method == "GET":
        return _report_page(request, page, channel, ErrorReportForm())
    if not same_origin(request):
        return _refused_origin(request, page, channel)
    form = ErrorReportForm(request.POST)
    if request.POST.get(HONEYPOT_FIELD):
        return see_other(guide_address(page, channel, REPORTED))
    if (retry_after := wait_seconds(request)) is not None:
        notice = _("您提交得太频繁了，请 %(seconds)d 秒后再提交；您填写的内容还在下面。") % {"seconds": retry_after}
        return _report_page(request, page, channel, form, status=429, notice=notice, retry_after=retry_after)
    if not form.is_valid():
        return _report_page(request, page, channel, form, status=400, notice=_("请按提示修改后再提交。"))
    ErrorReport.objects.create(
        guide=page,
        part=form.cleaned_data["part"],
        message=form.cleaned_data["message"],
        phone=form.cleaned_data["phone"],
        channel=channel,
        checklist_version=page.checklist_version,
    )
    return see_other(guide_address(page, channel, REPORTED))
