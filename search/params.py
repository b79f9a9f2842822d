"""Validation of search parameters, shared by the HTML page and the JSON API."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from guides.choices import SECTION_BY_SLUG, SECTION_SLUGS

MAX_PAGE = 100
PAGE_RE = re.compile(r"[0-9]{1,9}")


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(message)


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    section: str | None = None
    department_code: str | None = None
    online: bool | None = None
    page: int = 1


def parse_search_params(params) -> SearchParams:
    q = params.get("q", "")
    page_text = params.get("page") or "1"
    # ASCII digits only: int() would also read "٩", "𝟗" and "1\n".
    if not isinstance(page_text, str) or not PAGE_RE.fullmatch(page_text):
        raise BadParameter("page", _("page 应为正整数"))
    page = int(page_text)
    if not 1 <= page <= MAX_PAGE:
        raise BadParameter("page", _("page 应在 1 到 %(max)s 之间") % {"max": MAX_PAGE})
    section = params.get("section") or None
    if section is not None:
        if section in SECTION_BY_SLUG:
            section = SECTION_BY_SLUG[section]
        elif section not in SECTION_SLUGS:
            raise BadParameter("section", _("section 应为 gc、jy、gm 之一"))
    online_text = params.get("online") or None
    online = None
    if online_text is not None:
        if online_text.lower() in ("1", "true", "yes"):
            online = True
        elif online_text.lower() in ("0", "false", "no"):
            online = False
        else:
            raise BadParameter("online", _("online 应为 true 或 false"))
    department = params.get("department") or None
    if department is not None and (len(department) > 64 or not department.replace("-", "").replace("_", "").isalnum()):
        raise BadParameter("department", _("department 应为部门编码"))
    return SearchParams(q=q if isinstance(q, str) else "", section=section, department_code=department, online=online, page=page)
