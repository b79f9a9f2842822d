"""Whole-response cache of public pages and searches, in front of sessions, Wagtail's routing
and the views.

A guide page, a kiosk guide, a search result list or a list of suggestions is the same for every
reader until the content, the data it embeds or the hall's open/closed state changes, and in a
hall it is asked for over and over. A view marks its response as shareable and says how long it
stays true (``SHAREABLE_ATTRIBUTE``); this middleware keeps it under the request's path and query,
the reader's language and reading mode (portal.reading_mode), together with a content version
that every publish, unpublish, move, delete, view restriction, site, site setting, reference-data
change, synonym, promoted result and search index update bumps. A cached response is answered
before the session, authentication, CSRF and messages are looked at: only anonymous requests
(no session cookie) are answered from it, and a response that sets a cookie is never kept.

What a view must still do for every request, even one answered from the cache (counting a
search in the query log), it names in ``ON_SHARED_HIT_ATTRIBUTE``: a function's dotted path and
its arguments, kept with the response and called on each hit.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from portal import versions
from portal.reading_mode import reading_mode

CONTENT_VERSION_KEY = "portal:content-version"
SHAREABLE_ATTRIBUTE = "shareable_for_seconds"
ON_SHARED_HIT_ATTRIBUTE = "on_shared_hit"
# Pages are shared, and of the APIs only the searches (their answers are pages of results too);
# the feed (rate-limited per client), the admin and files have their own caching rules.
SHARED_API_PREFIXES = ("/api/v1/search/",)
UNCACHED_PREFIXES = ("/api/", "/admin/", "/django-admin/", "/static/", "/media/", "/documents/")
# Headers of the view's response that a cached copy carries (the middleware above this one add
# theirs to every response, cached or not).
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "Cache-Control", "X-Frame-Options")


def content_version() -> int:
    return versions.current(CONTENT_VERSION_KEY)


def bump_content_version(**kwargs) -> None:
    """A signal receiver: the content changed (portal.versions.bump)."""
    versions.bump(CONTENT_VERSION_KEY)


def request_language(request) -> str:
    """The language LocaleMiddleware will choose for this request (it runs after this
    middleware): from the language cookie or Accept-Language."""
    return translation.get_language_from_request(request)


def shared_cache_key(request) -> str:
    # Hashed: paths and query strings are arbitrary text, cache keys are short ASCII. The reading
    # mode (a cookie) and the language change the whole page, so each has its own copy. Every
    # value of a repeated parameter counts, in order.
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    digest = hashlib.sha256(f"{request.path}?{query}".encode("utf-8", "surrogateescape")).hexdigest()
    return (
        f"portal:response:{content_version()}:{reading_mode(request)}:{request_language(request)}:{digest}"
    )


def _shareable_path(path: str) -> bool:
    return path.startswith(SHARED_API_PREFIXES) or not path.startswith(UNCACHED_PREFIXES)


def _replay(entry) -> HttpResponse:
    content, headers, on_hit = entry
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    if on_hit is not None:
        path, args = on_hit
        import_string(path)(*args)
    return response


class SharedPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cacheable = (
            request.method == "GET"
            and not request.COOKIES.get("sessionid")
            and _shareable_path(request.path)
        )
        key = None
        if cacheable:
            key = shared_cache_key(request)
            entry = cache.get(key)
            if entry is not None:
                return _replay(entry)
        response = self.get_response(request)
        lifetime = getattr(response, SHAREABLE_ATTRIBUTE, None)
        if lifetime:
            # Caches between the portal and the reader must not mix the reading modes either.
            patch_vary_headers(response, ("Cookie",))
        if (
            key is not None
            and lifetime
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            headers = tuple((name, response[name]) for name in KEPT_HEADERS if response.has_header(name))
            cache.set(key, (response.content, headers, getattr(response, ON_SHARED_HIT_ATTRIBUTE, None)), lifetime)
        return response
