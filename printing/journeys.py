"""The printable journey sheet (一件事办事清单): the steps and the one merged checklist, from the
same JourneyView as the journey page, set with the guide sheets' stylesheet, fonts and
restricted fetcher. Journeys are few and their sheets small, so a sheet is rendered when first
asked for (in the background, printing.pending, like a guide sheet nobody pre-rendered) and kept
in the cache under the merged fingerprint (which names every member's checklist and the answers)
and the journey's published revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from journeys.records import JourneyView
from portal import languages
from printing.render import (
    check_environment,
    css_string,
    html_to_pdf,
    logo_svg,
    page_counter_content,
    qr_image,
    sheet_stylesheet,
    svg_image,
    template_digest,
)

TEMPLATE = "printing/journey_sheet.html"
PDF_TIMEOUT = 60 * 60 * 24


def journey_sheet_html(
    view: JourneyView, *, base_url: str, printed_at: datetime | None = None, language: str | None = None
) -> str:
    printed_at = printed_at or timezone.now()
    local = timezone.localtime(printed_at) if timezone.is_aware(printed_at) else printed_at
    language = language or settings.LANGUAGE_CODE
    link = base_url.rstrip("/") + languages.path_in(view.record["url"], language)
    if view.answers:
        link = f"{link}?{urlencode(view.answers)}"
    with translation.override(language):
        footer_left = f"{_('合并清单指纹')} {view.merged.fingerprint}"
        footer_right = _("生成于 %(time)s") % {"time": local.strftime("%Y-%m-%d %H:%M")}
        context: dict[str, Any] = {
            "kind": "citizen",
            "journey": view.record,
            "journey_view": view,
            "merged": view.merged,
            # base_sheet.html's metadata names a guide and its fingerprint.
            "guide": {"name": view.record["name"], "code": view.record["slug"], "hall": {"name": ""}},
            "view": {"fingerprint": view.merged.fingerprint},
            "site_name": getattr(settings, "WAGTAIL_SITE_NAME", ""),
            "logo_image": svg_image(logo_svg(), "logo-mark", _("标志")),
            "short_url": link,
            "qr_image": qr_image(link),
            "printed_at": local,
            "footer_left": mark_safe(css_string(footer_left)),  # noqa: S308
            "footer_right": mark_safe(css_string(footer_right + "  ")),  # noqa: S308
            "page_counter": page_counter_content(),
        }
        return render_to_string(TEMPLATE, context)


def journey_pdf_key(view: JourneyView, *, revision: Any, language: str = settings.LANGUAGE_CODE) -> str:
    return f"journeys:pdf:{revision}:{view.merged.fingerprint}:{template_digest()}:{language}"


def stored_journey_pdf(view: JourneyView, *, revision: Any, language: str = settings.LANGUAGE_CODE) -> bytes | None:
    """The sheet kept from an earlier render, or None: a stored sheet is served straight away,
    without queueing behind the renders of the process."""
    return cache.get(journey_pdf_key(view, revision=revision, language=language))


def render_journey_pdf(
    view: JourneyView,
    *,
    base_url: str,
    revision: Any,
    printed_at: datetime | None = None,
    language: str = settings.LANGUAGE_CODE,
) -> bytes:
    key = journey_pdf_key(view, revision=revision, language=language)
    pdf = cache.get(key)
    if pdf is None:
        check_environment()
        html = journey_sheet_html(view, base_url=base_url, printed_at=printed_at, language=language)
        pdf = html_to_pdf(html, base_url=base_url, stylesheets=[sheet_stylesheet("citizen")])
        cache.set(key, pdf, PDF_TIMEOUT)
    return pdf
