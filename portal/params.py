"""Numbers in query parameters of the pages (the feed and the search API have their own problem
bodies): ASCII digits only. ``int()`` would also take "٩٩", "𝟗", " 1" and "1\\n"."""

from __future__ import annotations

import re

from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

ASCII_NUMBER = re.compile(r"[0-9]{1,9}")


def ascii_int(raw: str) -> int | None:
    """The number written in ``raw`` with ASCII digits only, else None."""
    return int(raw) if isinstance(raw, str) and ASCII_NUMBER.fullmatch(raw) else None


class BadPageNumber(ValueError):
    pass


def page_number(params, name: str = "page") -> int:
    """The page asked for (1 when absent or empty); BadPageNumber unless a positive number."""
    raw = params.get(name) or "1"
    number = ascii_int(raw)
    if number is None or number < 1:
        raise BadPageNumber(_("%(name)s 应为正整数") % {"name": name})
    return number


def bad_request(request, message: str, template: str = "400.html") -> TemplateResponse:
    """A 400 page that says what was wrong; logged by Django as a warning, without a traceback."""
    return TemplateResponse(request, template, {"message": message}, status=400)
