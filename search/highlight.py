"""Highlighted snippets of result text; backend-independent, escaped before marking."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

SNIPPET_CHARS = 80


def highlight(text: str, tokens: Iterable[str], *, length: int = SNIPPET_CHARS) -> SafeString:
    """A window of ``text`` around the first matching token, every match wrapped in <mark>."""
    words = sorted({t for t in tokens if t and not t.isascii()}, key=len, reverse=True)
    text = " ".join(text.split())
    positions = [text.find(word) for word in words if word in text]
    start = max(0, min(positions) - length // 4) if positions else 0
    window = text[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    marked = []
    index = 0
    while index < len(window):
        match = next((word for word in words if window.startswith(word, index)), None)
        if match:
            marked.append(f"<mark>{escape(match)}</mark>")
            index += len(match)
        else:
            marked.append(escape(window[index]))
            index += 1
    return mark_safe(prefix + "".join(marked) + suffix)  # noqa: S308  (every piece was escaped)
