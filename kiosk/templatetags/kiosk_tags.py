"""Template helpers of the kiosk: QR codes as inline SVG (no image files, no external service)."""

from __future__ import annotations

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
    code = segno.make(str(data), error="m", micro=False)
    svg = code.svg_inline(
        scale=scale,
        omitsize=True,
        border=2,
        dark="#000",
        light="#fff",
        svgclass="qr",
        title=str(title) or None,
        desc=str(data),
    )
    # segno escapes the title and description it writes; the element itself is fixed markup.
    return mark_safe(f'<span class="qr-code" data-qr="{escape(data)}">{svg}</span>')  # noqa: S308
