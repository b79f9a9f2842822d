"""The reading modes of the public pages: the standard one and the elderly mode (长者模式: large
text, high contrast, large targets, a simpler header; 互联网网站适老化通用设计规范).

A reader switches with a link (no JavaScript): ``/mode/elderly/?next=/guides/…`` sets a cookie and
goes back to the page. The mode changes the HTML of every page, so the shared page cache keys
responses by it (portal.middleware)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

COOKIE = "reading_mode"
STANDARD = "standard"
ELDERLY = "elderly"
MODES = (STANDARD, ELDERLY)
# A year: the mode is the reader's preference, kept until they switch back.
COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def reading_mode(request) -> str:
    """The mode of this request: the cookie's value when it names a mode, else standard."""
    value = request.COOKIES.get(COOKIE, "")
    return value if value in MODES else STANDARD


def switch_url(request, mode: str) -> str:
    """The link that switches to ``mode`` and comes back to this page."""
    from urllib.parse import urlencode

    return f"{reverse('reading-mode', args=[mode])}?{urlencode({'next': request.get_full_path()})}"


@require_GET
def set_reading_mode(request, mode: str):
    """Set (elderly) or clear (standard) the mode's cookie and go back to ``next`` (a path of
    this site only; anything else goes to the home page)."""
    if mode not in MODES:
        raise Http404("No such reading mode")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = "no-store"
    if mode == STANDARD:
        response.delete_cookie(COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            COOKIE, mode, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response
