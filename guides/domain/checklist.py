"""The canonical checklist of a guide, its fingerprint and its version.

The checklist is what the counter accepts against (受理清单): materials, situations, conditions,
time limits, fees and windows. Its canonical form is deterministic JSON, so the same checklist
hashes to the same fingerprint on the web page, in the PDF and in the intake feed. Prose that does
not bind the counter (summary, FAQ, legal basis) is deliberately left out: editing it must not
invalidate the counter's copy.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from guides.domain.marks import canonical_marks

# Bump when the canonical form itself changes shape; it is part of the hashed text so that a
# format change can never collide with an unchanged checklist of the old format.
# 2: materials carry their marks (免提交, 告知承诺, 容缺后补; guides.domain.marks).
CANONICAL_FORMAT = 2

MATERIAL_KEYS = (
    "name",
    "type",
    "form",
    "original",
    "copies",
    "spec",
    "necessity",
    "source",
    "acceptance_standard",
    "note",
    "situation",
)


def _text(value: Any) -> str:
    """Whitespace and Unicode composition differences are not checklist changes."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def _limit(limit: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not limit:
        return None
    return {"value": int(limit.get("value") or 0), "unit": _text(limit.get("unit"))}


def _material(material: Mapping[str, Any]) -> dict[str, Any]:
    canonical = {key: _text(material.get(key)) for key in MATERIAL_KEYS}
    canonical["original"] = int(material.get("original") or 0)
    canonical["copies"] = int(material.get("copies") or 0)
    canonical["marks"] = canonical_marks(material.get("marks"), necessity=canonical["necessity"])
    return canonical


def canonical_checklist(record: Mapping[str, Any]) -> dict[str, Any]:
    """Select and normalise the checklist part of a serialised guide record."""
    fee = record.get("fee") or {}
    return {
        "format": CANONICAL_FORMAT,
        "code": _text(record.get("code")),
        "name": _text(record.get("name")),
        "conditions": _text(record.get("conditions")),
        "situations": [
            {
                "key": _text(situation.get("key")),
                "question": _text(situation.get("question")),
                "options": [_text(option) for option in situation.get("options") or ()],
            }
            for situation in record.get("situations") or ()
        ],
        "materials": [_material(material) for material in record.get("materials") or ()],
        "legal_limit": _limit(record.get("legal_limit")),
        "promised_limit": _limit(record.get("promised_limit")),
        "fee": {
            "charged": bool(fee.get("charged")),
            "items": [
                {key: _text(item.get(key)) for key in ("name", "standard", "basis")}
                for item in fee.get("items") or ()
            ],
        },
        "intake_window": _text(record.get("intake_window")),
        "delivery_window": _text(record.get("delivery_window")),
    }


def canonical_json(checklist: Mapping[str, Any]) -> str:
    return json.dumps(checklist, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def fingerprint(checklist: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON, as lowercase hex."""
    return hashlib.sha256(canonical_json(checklist).encode("utf-8")).hexdigest()


def next_version(current_version: int, current_fingerprint: str | None, new_fingerprint: str) -> int:
    """The version a publish records: unchanged unless the checklist itself changed."""
    if current_fingerprint == new_fingerprint and current_version > 0:
        return current_version
    return current_version + 1


def short_fingerprint(value: str) -> str:
    """The first 12 hex digits: enough for a clerk to compare by eye, printed beside the full one."""
    return value[:12]


@dataclass(frozen=True)
class ChecklistDiff:
    """What changed between two canonical checklists, material by material (matched by name)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    other_fields: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.other_fields)


def diff_checklists(old: Mapping[str, Any], new: Mapping[str, Any]) -> ChecklistDiff:
    old_materials = {m["name"]: m for m in old.get("materials", ())}
    new_materials = {m["name"]: m for m in new.get("materials", ())}
    added = tuple(name for name in new_materials if name not in old_materials)
    removed = tuple(name for name in old_materials if name not in new_materials)
    changed = tuple(
        name
        for name, material in new_materials.items()
        if name in old_materials and old_materials[name] != material
    )
    other = tuple(
        key
        for key in sorted(set(old) | set(new))
        if key != "materials" and old.get(key) != new.get(key)
    )
    return ChecklistDiff(added=added, removed=removed, changed=changed, other_fields=other)

