"""The languages of the public pages: Chinese at the plain address, every other language of
LANGUAGES under its prefix (/en/…), as portal.urls routes them with i18n_patterns.

A page's address in another language is the same path with the prefix swapped, so the language
switch, the hreflang alternates and the sheets' links need no lookup of the page. The address
says the language, which is why the shared page cache (keyed by path) keeps each language apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from portal.public_urls import public_url

DEFAULT = settings.LANGUAGE_CODE


def bcp47(language: str) -> str:
    """The tag of a Django language code as HTML's lang and hreflang want it: zh-hans → zh-Hans."""
    head, _, tail = language.partition("-")
    if not tail:
        return head
    return f"{head}-{tail.title() if len(tail) == 4 else tail.upper()}"


def current() -> str:
    """The active language, as one of LANGUAGES (Chinese when nothing else is active)."""
    active = translation.get_language() or DEFAULT
    codes = {code for code, _name in settings.LANGUAGES}
    return active if active in codes else DEFAULT


def unprefixed(path: str) -> str:
    """``path`` without its language prefix: /en/g/X/ → /g/X/, /en/ → /."""
    for code, _name in settings.LANGUAGES:
        if code == DEFAULT:
            continue
        prefix = f"/{code}/"
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
        if path == prefix.rstrip("/"):
            return "/"
    return path


def path_in(path: str, language: str) -> str:
    """``path`` (of any language) as the address of ``language``."""
    base = unprefixed(path)
    return base if language == DEFAULT else f"/{language}{base}"


@dataclass(frozen=True)
class Alternate:
    code: str  # Django's code: zh-hans, en
    tag: str  # BCP 47: zh-Hans, en
    name: str  # in its own language
    path: str  # this page in that language, with the query (the language switch)
    url: str  # absolute, without the query (the hreflang alternate of the page)
    active: bool


def alternates(request) -> list[Alternate]:
    """This request's page in every language, the active one included."""
    query = request.META.get("QUERY_STRING", "")
    active = current()
    found = []
    for code, name in settings.LANGUAGES:
        path = path_in(request.path, code)
        switch = path + (f"?{query}" if query else "")
        found.append(Alternate(code, bcp47(code), name, switch, public_url(path), code == active))
    return found


def with_requested_language(view):
    """For the search API, which the pages of every language call: ``?lang=en`` gives the
    messages (match reasons, errors) and the page addresses in that language; the data (names,
    codes, fingerprints) is the same in every language. Without ``lang``: Chinese."""
    from functools import wraps

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        requested = request.GET.get("lang") or DEFAULT
        codes = [code for code, _name in settings.LANGUAGES]
        if requested not in codes:
            from search.views import problem

            return problem(
                400,
                translation.gettext("参数错误"),
                translation.gettext("lang 应为 %(codes)s 之一") % {"codes": "、".join(codes)},
                parameter="lang",
            )
        with translation.override(requested):
            return view(request, *args, **kwargs)

    return wrapper
