"""Template filters of the printed sheets."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def url_breaks(url: str) -> SafeString:
    """A URL that a line may break only after a "/": each piece up to and including a slash
    is kept on one line (sheet.css: .url-part), with a break opportunity (<wbr>) between pieces.
    Without it a line broke anywhere, mid-word ("YX-" | "GM-0024") or inside "https://"."""
    text = str(url or "")
    pieces, start = [], 0
    for position, char in enumerate(text):
        # "//" stays together with what follows the scheme's colon.
        if char == "/" and text[position + 1 : position + 2] != "/":
            pieces.append(text[start : position + 1])
            start = position + 1
    if start < len(text):
        pieces.append(text[start:])
    # The separator is fixed markup; each piece is escaped by format_html_join.
    return format_html_join(mark_safe("<wbr>"), '<span class="url-part">{}</span>', ((piece,) for piece in pieces))  # noqa: S308
