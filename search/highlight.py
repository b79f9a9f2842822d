"""Highlighted snippets of result text; backend-independent, escaped before marking."""

from __future__ import annotations

import re
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
    if not words:
        return mark_safe(prefix + escape(window) + suffix)  # noqa: S308  (escaped)
    # Alternatives in order of length: at each position the longest word is marked.
    pattern = re.compile("|".join(map(re.escape, words)))
    marked = []
    index = 0
    for match in pattern.finditer(window):
        marked.append(escape(window[index : match.start()]))
        marked.append(f"<mark>{escape(match.group())}</mark>")
        index = match.end()
    marked.append(escape(window[index:]))
    return mark_safe(prefix + "".join(marked) + suffix)  # noqa: S308  (every piece was escaped)
