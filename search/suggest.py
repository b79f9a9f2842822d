"""Prefix and pinyin-initial completion for the search box and the kiosk keyboard."""

from __future__ import annotations

from typing import Any

from search.analysis import get_segmenter, normalize, pinyin_full, pinyin_initials

MAX_PREFIX = 40


def suggestion_keys(name: str, code: str) -> list[tuple[str, int]]:
    """(term, position) pairs: each suffix of the name starting at a word, as text, pinyin and
    initials, plus the code."""
    text = normalize(name)
    words = [word for word in get_segmenter().cut(text) if word.strip()]
    keys: dict[str, int] = {}
    for position in range(len(words)):
        rest = "".join(words[position:])
        for term in (rest, pinyin_full(rest), pinyin_initials(rest)):
            term = term[:120]
            if term and term not in keys:
                keys[term] = position
    keys.setdefault(normalize(code), 0)
    return list(keys.items())


def refresh_suggestions(page) -> None:
    from search.models import SuggestionTerm

    SuggestionTerm.objects.filter(guide_id=page.pk).delete()
    SuggestionTerm.objects.bulk_create(
        SuggestionTerm(term=term, guide_id=page.pk, position=position)
        for term, position in suggestion_keys(page.title, page.code)
    )


def suggest(prefix: str, *, limit: int = 8) -> list[dict[str, Any]]:
    from search.models import SuggestionTerm

    key = normalize(prefix or "")[:MAX_PREFIX].strip()
    key = "".join(key.split())
    if not key:
        return []
    # A range on the indexed column, because LIKE 'x%' is case-insensitive on SQLite and
    # cannot use the index.
    rows = (
        SuggestionTerm.objects.filter(term__gte=key, term__lt=key + "\U0010ffff", guide__live=True)
        .order_by("position", "-guide__is_popular", "guide__title")
        .values_list("guide_id", "guide__title", "guide__code", "guide__section")[: limit * 6]
    )
    seen: set[int] = set()
    suggestions = []
    for guide_id, title, code, section in rows:
        if guide_id in seen:
            continue
        seen.add(guide_id)
        suggestions.append({"name": title, "code": code, "section": section, "url": f"/g/{code}/"})
        if len(suggestions) == limit:
            break
    return suggestions
