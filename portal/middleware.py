"""Whole-response cache of published guide pages, in front of Wagtail's routing.

A guide page is the same for every reader until its content, the data it embeds or the hall's
open/closed state changes, and at a counter or in a hall it is read over and over. GuidePage.serve
marks a response as shareable and says how long it stays true; this middleware keeps it under the
request's path and query and the reader's reading mode (portal.reading_mode), together with a
content version that every publish, unpublish, move, delete, view restriction, site, site setting
and reference-data change bumps.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from portal.reading_mode import reading_mode

CONTENT_VERSION_KEY = "portal:content-version"
SHAREABLE_ATTRIBUTE = "shareable_for_seconds"
# Only pages are shared; APIs, the admin and files have their own caching rules.
UNCACHED_PREFIXES = ("/api/", "/admin/", "/django-admin/", "/static/", "/media/", "/documents/")


def content_version() -> int:
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(CONTENT_VERSION_KEY, version, None)
    return version


def _increment_content_version() -> None:
    try:
        cache.incr(CONTENT_VERSION_KEY)
    except ValueError:
        cache.set(CONTENT_VERSION_KEY, 2, None)


def bump_content_version(**kwargs) -> None:
    """Move the version now, for this transaction's own reads, and again when the change
    commits: a reader between the two saw the data before the change (readers do not see an
    uncommitted write) and may have cached it under the version of the first move."""
    _increment_content_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_increment_content_version)


def _key(request) -> str:
    # Hashed: paths and query strings are arbitrary text, cache keys are short ASCII. The reading
    # mode (a cookie) changes the whole page, so readers of each mode share their own copy.
    target = f"{request.path}?{urlencode(sorted(request.GET.items()))}"
    digest = hashlib.sha256(target.encode()).hexdigest()
    return f"portal:response:{content_version()}:{reading_mode(request)}:{digest}"


class SharedPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cacheable = (
            request.method == "GET"
            and not request.COOKIES.get("sessionid")
            and not request.path.startswith(UNCACHED_PREFIXES)
        )
        if cacheable:
            content = cache.get(_key(request))
            if content is not None:
                response = HttpResponse(content, content_type="text/html; charset=utf-8")
                # Caches between the portal and the reader must not mix the reading modes either.
                patch_vary_headers(response, ("Cookie",))
                return response
        response = self.get_response(request)
        lifetime = getattr(response, SHAREABLE_ATTRIBUTE, None)
        if lifetime:
            patch_vary_headers(response, ("Cookie",))
        if cacheable and lifetime and response.status_code == 200:
            cache.set(_key(request), response.content, lifetime)
        return response
