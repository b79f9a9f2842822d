"""Highlighted snippets of result text; backend-independent, escaped before marking.

Marks cover whole words of the text as the segmenter cuts it: a query word inside a longer word
marks that word (执照 in 营业执照 marks 营业执照), adjacent marks join, and a single Han character
is never marked unless the query itself is one character (开, 证 in 开奶茶店要办什么证 are not).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from search.analysis import get_segmenter

SNIPPET_CHARS = 80


def _word_boundaries(text: str) -> list[int]:
    """Offsets where the segmenter's words of ``text`` start and end."""
    boundaries = {0, len(text)}
    position = 0
    for word in get_segmenter().cut(text, normalized=True):
        start = text.find(word, position)
        if start < 0:
            continue
        position = start + len(word)
        boundaries.update((start, position))
    return sorted(boundaries)


def highlight(
    text: str, tokens: Iterable[str], *, length: int = SNIPPET_CHARS, single_characters: bool = False
) -> SafeString:
    """A window of ``text`` around the first matching word, whole words wrapped in <mark>.
    ``single_characters``: the query is one character, which may then be marked alone."""
    words = sorted(
        {t for t in tokens if t and not t.isascii() and (len(t) > 1 or single_characters)}, key=len, reverse=True
    )
    text = " ".join(text.split())
    positions = [text.find(word) for word in words if word in text]
    start = max(0, min(positions) - length // 4) if positions else 0
    window = text[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    if not words:
        return mark_safe(prefix + escape(window) + suffix)  # noqa: S308  (escaped)
    boundaries = _word_boundaries(window)
    spans: list[list[int]] = []
    # Alternatives in order of length: at each position the longest word is found.
    for match in re.finditer("|".join(map(re.escape, words)), window):
        # Widen to the whole words the match lies in.
        begin = boundaries[max(0, bisect_right(boundaries, match.start()) - 1)]
        end = boundaries[min(len(boundaries) - 1, bisect_left(boundaries, match.end()))]
        if spans and begin <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([begin, end])
    marked = []
    index = 0
    for begin, end in spans:
        marked.append(escape(window[index:begin]))
        marked.append(f"<mark>{escape(window[begin:end])}</mark>")
        index = end
    marked.append(escape(window[index:]))
    return mark_safe(prefix + "".join(marked) + suffix)  # noqa: S308  (every piece was escaped)
