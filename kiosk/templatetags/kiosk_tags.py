"""Template helpers of the kiosk: QR codes as inline SVG (no image files, no external service)."""

from __future__ import annotations

from functools import lru_cache

import segno
from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def qr_svg(data: str, scale: int = 4, title: str = "") -> SafeString:
    """An inline SVG QR code of ``data`` (a URL shown to phones instead of a link)."""
    if not data:
        return mark_safe("")  # noqa: S308
    return _qr_svg(str(data), int(scale), str(title))


# Encoding a QR code (choosing its mask) took two thirds of a kiosk page's time, and a kiosk shows
# the same few codes of a guide again and again.
@lru_cache(maxsize=1024)
def _qr_svg(data: str, scale: int, title: str) -> SafeString:
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(
        scale=scale,
        omitsize=True,
        border=2,
        dark="#000",
        light="#fff",
        svgclass="qr",
        title=title or None,
        desc=data,
    )
    # segno escapes the title and description it writes; the element itself is fixed markup.
    return mark_safe(f'<span class="qr-code" data-qr="{escape(data)}">{svg}</span>')  # noqa: S308
