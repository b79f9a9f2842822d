"""Life events (办事场景) in citizens' sentences, mapped to the items they lead to.

女儿要从老家转学过来读初中 names no item, but the event 转学 does; 在工厂上班手被机器压伤了 is an
工伤认定. ``dictionaries/life_events.tsv`` lists events as patterns of one or more pieces that
must occur in the query in order (孩子…转…学校), each with the words of the items it leads to,
in the catalogue's own terms. No Django here.
"""

from __future__ import annotations

from functools import lru_cache

from .normalize import DICTIONARIES_DIR, normalize

LIFE_EVENTS_PATH = DICTIONARIES_DIR / "life_events.tsv"


@lru_cache(maxsize=1)
def life_events() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """(pattern pieces, item words) rows."""
    rows = []
    for raw in LIFE_EVENTS_PATH.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#") or "\t" not in raw:
            continue
        patterns, items = raw.split("\t", 1)
        words = tuple(w for w in (normalize(item).strip() for item in items.split("|")) if w)
        for pattern in patterns.split("|"):
            pieces = tuple(p for p in (normalize(piece).strip() for piece in pattern.split("…")) if p)
            if pieces and words:
                rows.append((pieces, words))
    return tuple(rows)


def _occurs_in_order(pieces: tuple[str, ...], text: str) -> bool:
    position = 0
    for piece in pieces:
        found = text.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def event_items(normalized_query: str) -> list[str]:
    """The item words of every life event the query describes, in the file's order."""
    found: dict[str, None] = {}
    for pieces, words in life_events():
        if _occurs_in_order(pieces, normalized_query):
            found.update(dict.fromkeys(words))
    return list(found)
