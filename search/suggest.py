"""Prefix and pinyin-initial completion for the search box and the kiosk keyboard.

A guide is suggested for what its name starts with (at any word), for its aliases (出生证, csz),
for any fragment of its code (lwjy0015, jy0015, 0015), for the result it issues (营业执照: yyzz
finds the registrations that issue it) and for the documents it asks for (预防接种证). Each
suggestion says why it matches ("办理结果：营业执照（个体工商户）"), best reasons first.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from search.analysis import get_segmenter, normalize, pinyin_full, pinyin_initials
from search.analysis.abbreviations import (
    DOCUMENT_ENDINGS,
    compact_code,
    dictionary_aliases,
    guide_aliases,
)

MAX_PREFIX = 40
MAX_TERM = 120
# Kinds of keys, in the order their suggestions come.
NAME, ALIAS, CODE, RESULT, MATERIAL = 0, 1, 2, 3, 4
KIND_NAMES = {NAME: "name", ALIAS: "alias", CODE: "code", RESULT: "result", MATERIAL: "material"}
_PARENTHESES_RE = re.compile(r"（[^）]*）|\([^)]*\)|《|》")
# A document in a material's name: a word ending like one, of three characters or more.
DOCUMENT_WORD_ENDINGS = tuple(ending for ending in DOCUMENT_ENDINGS if ending not in ("金", "险", "补贴", "津贴", "书"))


def _forms(text: str) -> list[str]:
    """The text itself, its full pinyin and its initials."""
    return [form[:MAX_TERM] for form in (text, pinyin_full(text), pinyin_initials(text)) if form]


def _word_suffixes(text: str) -> list[str]:
    """Each suffix of ``text`` that starts at a word."""
    words = [word for word in get_segmenter().cut(text, normalized=True) if word.strip()]
    return ["".join(words[position:]) for position in range(len(words))]


def _documents(material: str) -> list[str]:
    """The documents a material's name mentions (居民身份证原件及复印件 → 居民身份证, 身份证)."""
    found = []
    for token in get_segmenter().index_tokens(_PARENTHESES_RE.sub("", material), normalized=True):
        if len(token) >= 3 and token.endswith(DOCUMENT_WORD_ENDINGS):
            found.append(token)
    found += [alias for alias in dictionary_aliases(" ".join(found)) if alias.endswith(DOCUMENT_WORD_ENDINGS)]
    return list(dict.fromkeys(found))


def suggestion_keys(record: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    """(term, kind, position, label) rows of a guide's serialized record."""
    keys: dict[tuple[str, int], tuple[int, str]] = {}

    def add(term: str, kind: int, position: int, label: str) -> None:
        if term and (term, kind) not in keys:
            keys[(term, kind)] = (position, label)

    name = normalize(record["name"])
    for position, rest in enumerate(_word_suffixes(name)):
        for term in _forms(rest):
            add(term, NAME, position, record["name"])
    for alias in guide_aliases(record["name"], record.get("aliases", ())):
        for term in _forms(alias):
            add(term, ALIAS, 0, alias)
    code = compact_code(record["code"])
    # Every suffix with a digit: a prefix of one of them is any fragment of the code.
    for start in range(len(code)):
        if any(ch.isdigit() for ch in code[start:]):
            add(code[start:], CODE, start, record["code"])
    result = _PARENTHESES_RE.sub("", normalize(record.get("result") or ""))
    if result:
        for position, rest in enumerate(_word_suffixes(result)):
            for term in _forms(rest):
                add(term, RESULT, position, record["result"])
        for alias in dictionary_aliases(result):
            for term in _forms(alias):
                add(term, RESULT, 1, record["result"])
    for material in record.get("materials", ()):
        for position, document in enumerate(_documents(normalize(material["name"]))):
            for term in _forms(document):
                add(term, MATERIAL, position, material["name"])
    return [(term, kind, position, label[:200]) for (term, kind), (position, label) in keys.items()]


def refresh_suggestions(page, record: dict[str, Any] | None = None) -> None:
    """Replace the guide's keys with those of ``record`` (its serialized record; without one,
    those of its name, code and result)."""
    from guides.serializers import parse_names
    from search.models import SuggestionTerm

    if record is None:
        record = {
            "name": page.title, "code": page.code, "result": page.result_name,
            "aliases": parse_names(page.common_names), "materials": [],
        }  # fmt: skip
    SuggestionTerm.objects.filter(guide_id=page.pk).delete()
    SuggestionTerm.objects.bulk_create(
        SuggestionTerm(term=term, kind=kind, guide_id=page.pk, position=position, label=label)
        for term, kind, position, label in suggestion_keys(record)
    )


def _reason(kind: int, label: str) -> str:
    labels = {
        ALIAS: _("又称"),
        CODE: _("事项编码"),
        RESULT: _("办理结果"),
        MATERIAL: _("申请材料"),
    }
    return _("%(label)s：%(value)s") % {"label": labels[kind], "value": label} if kind in labels else ""


def suggest(prefix: str, *, limit: int = 8) -> list[dict[str, Any]]:
    """Guides for what was typed so far: {name, code, section, url, match, reason}; ``match``
    is what matched (name, alias, code, result, material) and ``reason`` says it in words."""
    from search.models import SuggestionTerm

    key = normalize(prefix or "")[:MAX_PREFIX].strip()
    key = "".join(key.split())
    if not key:
        return []
    code_key = compact_code(key)
    kinds = [NAME, ALIAS, RESULT]
    if len(key) >= 2:
        kinds.append(MATERIAL)
    # Codes for what holds a digit (0015, jy00); they are written without hyphens.
    lookups = [(key, kinds)]
    if code_key and any(ch.isdigit() for ch in code_key):
        lookups.append((code_key, [CODE]))
    rows = []
    for term, kinds_wanted in lookups:
        # A range on the indexed column, because LIKE 'x%' is case-insensitive on SQLite and
        # cannot use the index.
        rows += list(
            SuggestionTerm.objects.filter(
                term__gte=term, term__lt=term + "\U0010ffff", kind__in=kinds_wanted, guide__live=True
            )
            .order_by("kind", "position", "-guide__is_popular", "guide__title")
            .values_list("kind", "label", "guide_id", "guide__title", "guide__code", "guide__section", "term")[: limit * 6]
        )
    # What was typed in full (csz is 出生证) before what it only begins; then by kind.
    rows.sort(key=lambda row: (row[6] not in (key, code_key), row[0]))
    seen: set[int] = set()
    suggestions = []
    for kind, label, guide_id, title, code, section, _term in rows:
        if guide_id in seen:
            continue
        seen.add(guide_id)
        suggestions.append(
            {
                "name": title,
                "code": code,
                "section": section,
                "url": f"/g/{code}/",
                "match": KIND_NAMES[kind],
                "reason": _reason(kind, label),
            }
        )
        if len(suggestions) == limit:
            break
    return suggestions
