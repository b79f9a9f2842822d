"""What a translated guide shows: the source's record with the translated prose.

A guide is written in Chinese; its English page is a translation made in the admin
(wagtail-localize, docs/i18n.md). The counter accepts against one checklist whatever the language a
citizen read, so a translation never has a checklist of its own: its page is the source's record
(materials, situations, windows, time limits, fees, codes: the structure and the fingerprint) with
only the translated prose below laid over it. A prose field the translation leaves blank shows the
source's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The keys of a guide record (guides.serializers.serialize_guide) whose text a translation gives.
TRANSLATED_KEYS = (
    "name",
    "summary",
    "conditions",
    "quantity_limit",
    "legal_limit_note",
    "promised_limit_note",
    "visits_note",
    "result",
)


def translated_record(source: Mapping[str, Any], translation: Mapping[str, Any]) -> dict[str, Any]:
    """The record a translation's page shows: ``source`` with the non-blank prose of
    ``translation`` under TRANSLATED_KEYS; every other key is the source's."""
    record = dict(source)
    for key in TRANSLATED_KEYS:
        text = translation.get(key)
        if isinstance(text, str) and text.strip():
            record[key] = text
    return record
