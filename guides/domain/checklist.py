"""The canonical checklist of a guide, its fingerprint and its version.

The checklist is what the counter accepts against (受理清单): materials, situations, conditions,
time limits, fees and windows. Its canonical form is deterministic JSON, so the same checklist
hashes to the same fingerprint on the web page, in the PDF and in the intake feed. Prose that does
not bind the counter (summary, FAQ, legal basis) is deliberately left out: editing it must not
invalidate the counter's copy.

Of the national fields, two bind the counter and are part of it: the 办件类型 (即办件 are handed
over on the spot, 承诺件 get an acceptance notice with a due date) and each step's 审查标准 (what
an application is accepted, refused or decided against). The others do not: 行使层级, 委托部门
and 联办机构 say who exercises the item, not what is required of the applicant; 中介服务 shows at
the counter as the material the intermediary issues (来源渠道 中介机构出具) and in the fees;
特别程序 happen after acceptance, outside the time limits the checklist holds; 结果有效期 matters
only after the result; 材料依据 says why a material is required, as the legal basis does.
The two are left out of the canonical form while a guide states neither, so a checklist that
predates them keeps its fingerprint: adding optional keys needs no new format (their presence
alone tells the two shapes apart).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
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


def _review_standards(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The steps that state a 审查标准, by name, in their order."""
    standards = ({"step": _text(step.get("name")), "standard": _text(step.get("review_standard"))} for step in steps)
    return [standard for standard in standards if standard["standard"]]


def canonical_checklist(record: Mapping[str, Any]) -> dict[str, Any]:
    """Select and normalise the checklist part of a serialised guide record."""
    fee = record.get("fee") or {}
    binding_national_fields = {
        "handling_type": _text(record.get("handling_type")),
        "review_standards": _review_standards(record.get("steps") or ()),
    }
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
        **{key: value for key, value in binding_national_fields.items() if value},
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
class FieldChange:
    """One value of a checklist that changed: ``field`` is its key in the canonical checklist
    (``copies``, ``legal_limit``, ``fee.charged``, ``options`` …)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ItemChange:
    """A material, situation or fee item present before and after, with what changed in it."""

    name: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ChecklistDiff:
    """What changed between two canonical checklists, for a reviewer and for the change log.

    Materials and fee items are matched by name (the n-th of a repeated name with the n-th),
    situations by their key (the stable parameter of shared links) and named by their question
    (as it reads now; a rephrased question is a change of its ``question``); ``other_fields`` lists the
    top-level keys that differ (kept for the intake feed's verify endpoint), ``field_changes``
    their old and new values."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    other_fields: tuple[str, ...] = ()
    material_changes: tuple[ItemChange, ...] = ()
    materials_reordered: bool = False
    situations_added: tuple[str, ...] = ()
    situations_removed: tuple[str, ...] = ()
    situation_changes: tuple[ItemChange, ...] = ()
    fee_items_added: tuple[str, ...] = ()
    fee_items_removed: tuple[str, ...] = ()
    fee_item_changes: tuple[ItemChange, ...] = ()
    field_changes: tuple[FieldChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.other_fields or self.materials_reordered)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the change log stores it)."""

        def items(changes: tuple[ItemChange, ...]) -> list[dict[str, Any]]:
            return [
                {"name": c.name, "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in c.fields]}
                for c in changes
            ]

        return {
            "materials": {
                "added": list(self.added),
                "removed": list(self.removed),
                "changed": items(self.material_changes),
                "reordered": self.materials_reordered,
            },
            "situations": {
                "added": list(self.situations_added),
                "removed": list(self.situations_removed),
                "changed": items(self.situation_changes),
            },
            "fee_items": {
                "added": list(self.fee_items_added),
                "removed": list(self.fee_items_removed),
                "changed": items(self.fee_item_changes),
            },
            "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in self.field_changes],
        }


def _keyed(items: Sequence[Mapping[str, Any]], key: str) -> dict[tuple[str, int], Mapping[str, Any]]:
    """Items by (key value, occurrence), so that a repeated name pairs up in order."""
    seen: dict[str, int] = {}
    keyed = {}
    for item in items:
        value = str(item.get(key, ""))
        keyed[(value, seen.get(value, 0))] = item
        seen[value] = seen.get(value, 0) + 1
    return keyed


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any], keys: Sequence[str]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(key, old.get(key), new.get(key)) for key in keys if old.get(key) != new.get(key))


def _diff_items(old_items, new_items, key: str, fields: Sequence[str], label: str | None = None):
    """Items matched on ``key``, reported by their ``label`` (the key itself by default)."""
    old = _keyed(old_items or (), key)
    new = _keyed(new_items or (), key)

    def name(item: Mapping[str, Any]) -> str:
        return str(item.get(label or key, ""))

    added = tuple(name(item) for matched, item in new.items() if matched not in old)
    removed = tuple(name(item) for matched, item in old.items() if matched not in new)
    changed = tuple(
        ItemChange(name(item), _field_changes(old[matched], item, fields))
        for matched, item in new.items()
        if matched in old and old[matched] != item
    )
    reordered = not (added or removed) and list(old) != list(new)
    return added, removed, changed, reordered


def diff_checklists(old: Mapping[str, Any], new: Mapping[str, Any]) -> ChecklistDiff:
    materials_added, materials_removed, material_changes, reordered = _diff_items(
        old.get("materials"), new.get("materials"), "name", MATERIAL_KEYS
    )
    situations_added, situations_removed, situation_changes, _ = _diff_items(
        old.get("situations"), new.get("situations"), "key", ("question", "options"), label="question"
    )
    old_fee, new_fee = old.get("fee") or {}, new.get("fee") or {}
    fees_added, fees_removed, fee_changes, _ = _diff_items(
        old_fee.get("items"), new_fee.get("items"), "name", ("name", "standard", "basis")
    )
    other = tuple(
        key
        for key in sorted(set(old) | set(new))
        if key != "materials" and old.get(key) != new.get(key)
    )
    scalar_keys = [key for key in other if key not in {"situations", "fee"}]
    field_changes = _field_changes(old, new, scalar_keys)
    if old_fee.get("charged") != new_fee.get("charged"):
        field_changes += (FieldChange("fee.charged", old_fee.get("charged"), new_fee.get("charged")),)
    return ChecklistDiff(
        added=materials_added,
        removed=materials_removed,
        changed=tuple(change.name for change in material_changes),
        other_fields=other,
        material_changes=material_changes,
        materials_reordered=reordered,
        situations_added=situations_added,
        situations_removed=situations_removed,
        situation_changes=situation_changes,
        fee_items_added=fees_added,
        fee_items_removed=fees_removed,
        fee_item_changes=fee_changes,
        field_changes=field_changes,
    )
