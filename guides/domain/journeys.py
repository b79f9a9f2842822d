"""One-thing journeys (一件事一次办): ordered steps of member guides and their merged checklist.

A journey bundles the guides a life or business event needs. Its point at a one-window counter
is one set of materials for the whole event: a material that several member items need is
brought once, in the largest count any of them asks for. Two materials are the same when they
have the same name and the same type, or when editors link them explicitly.

The merged checklist is computed from the members' serialized records only, filtered by the
citizen's answers to the journey's shared questions (each mapped onto member situations). Its
fingerprint hashes the members' checklist fingerprints, the answers and the editors' links, so it
changes whenever any member's checklist changes.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guides.domain.situations import Situation, parse_answers, select_materials
from guides.domain.text import gettext as _

# Bump when the hashed form of a merged checklist changes shape.
MERGED_FORMAT = 1

AND = "and"
OR = "or"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


@dataclass(frozen=True)
class JourneyMember:
    """A guide in a step: 必办 (required) or 选办 (optional)."""

    code: str
    required: bool = True


@dataclass(frozen=True)
class JourneyStep:
    """A numbered step; its members are all done ("and") or one of them is ("or")."""

    title: str
    members: tuple[JourneyMember, ...]
    logic: str = AND

    def member_is_required(self, member: JourneyMember) -> bool:
        """Whether the citizen must bring this member's materials whatever they choose: an
        alternative of an "or" step is needed only if the citizen takes that alternative."""
        return member.required and (self.logic == AND or len(self.members) == 1)


@dataclass(frozen=True)
class SituationMapping:
    """A member guide's situation that a shared question answers."""

    code: str
    situation_key: str


@dataclass(frozen=True)
class SharedQuestion:
    """A question asked once for the journey; its answer is passed to each mapped member
    situation in which it is a valid answer (是/否, or an option label)."""

    key: str
    question: str
    options: tuple[str, ...]
    mappings: tuple[SituationMapping, ...] = ()

    @property
    def situation(self) -> Situation:
        return Situation(key=self.key, question=self.question, options=self.options)


@dataclass(frozen=True)
class SituationPreset:
    """A member situation the journey itself answers (in 新生儿出生一件事 the person insured is
    always the newborn), so the citizen is not asked and other cases' materials drop out."""

    code: str
    situation_key: str
    answer: str


@dataclass(frozen=True)
class MaterialLink:
    """Editors' statement that a member's material is the same as others with the same label."""

    code: str
    material_name: str
    label: str


def member_answers(
    questions: Sequence[SharedQuestion], answers: Mapping[str, str], presets: Sequence[SituationPreset] = ()
) -> dict[str, dict[str, str]]:
    """The answers of each member guide (by code) implied by the journey's answers and presets."""
    result: dict[str, dict[str, str]] = {}
    for preset in presets:
        result.setdefault(preset.code, {})[preset.situation_key] = preset.answer
    for question in questions:
        if question.key not in answers:
            continue
        for mapping in question.mappings:
            result.setdefault(mapping.code, {})[mapping.situation_key] = answers[question.key]
    return result


def parse_journey_answers(questions: Sequence[SharedQuestion], params: Mapping[str, Any]) -> dict[str, str]:
    """Well-formed answers to the shared questions; anything else is ignored, as for a guide."""
    return parse_answers([q.situation for q in questions], params)


@dataclass(frozen=True)
class MaterialNeed:
    """One member item's need of a merged material."""

    code: str
    guide_name: str
    material_name: str
    original: int
    copies: int
    necessity: str
    applies: bool | None  # None: the member's question is unanswered, so it may be needed
    required_member: bool


@dataclass
class MergedMaterial:
    name: str
    type: str
    form: str
    spec: str
    source: str
    original: int
    copies: int
    needs: list[MaterialNeed] = field(default_factory=list)
    linked: bool = False  # merged by an editor's link rather than by name and type
    # Fields on which the merged needs disagree (besides counts), for the editors' review.
    differences: tuple[str, ...] = ()

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(need.code for need in self.needs))

    @property
    def applies(self) -> bool | None:
        """True when some need surely applies; None when each need depends on an unanswered
        question."""
        return True if any(need.applies for need in self.needs) else None

    @property
    def always_needed(self) -> bool:
        """Needed whatever the citizen chooses among optional and alternative items."""
        return any(need.required_member and need.applies for need in self.needs)


@dataclass(frozen=True)
class MergedChecklist:
    materials: tuple[MergedMaterial, ...]
    item_material_count: int  # materials counted item by item, before the merge
    fingerprint: str
    answers: Mapping[str, str]
    member_fingerprints: tuple[tuple[str, str], ...]

    @property
    def material_count(self) -> int:
        return len(self.materials)

    @property
    def saved_count(self) -> int:
        return self.item_material_count - self.material_count

    def as_dict(self) -> dict[str, Any]:
        """The merged checklist as plain data, for the feed and the admin review."""
        return {
            "fingerprint": self.fingerprint,
            "answers": dict(self.answers),
            "material_count": self.material_count,
            "item_material_count": self.item_material_count,
            "members": [{"code": code, "fingerprint": digest} for code, digest in self.member_fingerprints],
            "materials": [
                {
                    "name": m.name,
                    "type": m.type,
                    "form": m.form,
                    "spec": m.spec,
                    "source": m.source,
                    "original": m.original,
                    "copies": m.copies,
                    "applies": m.applies,
                    "always_needed": m.always_needed,
                    "linked": m.linked,
                    "differences": list(m.differences),
                    "needed_by": [
                        {
                            "code": n.code,
                            "guide_name": n.guide_name,
                            "material_name": n.material_name,
                            "original": n.original,
                            "copies": n.copies,
                            "necessity": n.necessity,
                            "applies": n.applies,
                        }
                        for n in m.needs
                    ],
                }
                for m in self.materials
            ],
        }


def merged_fingerprint(
    member_fingerprints: Sequence[tuple[str, str]],
    answers: Mapping[str, str],
    links: Sequence[MaterialLink] = (),
    questions: Sequence[SharedQuestion] = (),
    presets: Sequence[SituationPreset] = (),
) -> str:
    """SHA-256 over the members' fingerprints (in step order), the answers and what shapes the
    merge (the editors' links and the mapping of the shared questions)."""
    canonical = {
        "format": MERGED_FORMAT,
        "members": [[_text(code), digest] for code, digest in member_fingerprints],
        "answers": {_text(key): _text(value) for key, value in answers.items()},
        "links": sorted([_text(link.code), _text(link.material_name), _text(link.label)] for link in links),
        "questions": [
            [_text(q.key), sorted([_text(m.code), _text(m.situation_key)] for m in q.mappings)]
            for q in questions
        ],
        "presets": sorted([_text(p.code), _text(p.situation_key), _text(p.answer)] for p in presets),
    }
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DIFFERENCE_FIELDS = ("form", "spec", "source")


def merge_checklists(
    steps: Sequence[JourneyStep],
    records: Mapping[str, Mapping[str, Any]],
    fingerprints: Mapping[str, str],
    answers: Mapping[str, str] | None = None,
    questions: Sequence[SharedQuestion] = (),
    links: Sequence[MaterialLink] = (),
    presets: Sequence[SituationPreset] = (),
) -> MergedChecklist:
    """The one checklist of a journey for the citizen's answers.

    ``records`` are the members' serialized records by code and ``fingerprints`` their checklist
    fingerprints; a member missing from ``records`` (unpublished) is left out. Materials that
    do not apply to the answers are dropped; those whose question is unanswered stay, marked as
    conditional. Merged materials keep the order in which they first appear, step by step.
    """
    answers = dict(answers or {})
    per_member = member_answers(questions, answers, presets)
    link_label = {(_text(link.code), _text(link.material_name)): _text(link.label) for link in links}
    merged: dict[tuple[str, ...], MergedMaterial] = {}
    item_count = 0
    seen_codes: list[str] = []
    for step in steps:
        for member in step.members:
            record = records.get(member.code)
            if record is None or member.code in seen_codes:
                continue
            seen_codes.append(member.code)
            situations = [Situation.from_dict(s) for s in record.get("situations") or ()]
            guide_answers = parse_answers(situations, per_member.get(member.code, {}))
            for selection in select_materials(record.get("materials") or (), situations, guide_answers):
                if selection.applies is False:
                    continue
                material = selection.material
                item_count += 1
                name, kind = _text(material.get("name")), _text(material.get("type"))
                label = link_label.get((_text(member.code), name))
                key = ("link", label) if label else ("name", name, kind)
                need = MaterialNeed(
                    code=member.code,
                    guide_name=_text(record.get("name")),
                    material_name=name,
                    original=int(material.get("original") or 0),
                    copies=int(material.get("copies") or 0),
                    necessity=_text(material.get("necessity")),
                    applies=selection.applies,
                    required_member=step.member_is_required(member),
                )
                entry = merged.get(key)
                if entry is None:
                    merged[key] = MergedMaterial(
                        name=label or name,
                        type=kind,
                        form=_text(material.get("form")),
                        spec=_text(material.get("spec")),
                        source=_text(material.get("source")),
                        original=need.original,
                        copies=need.copies,
                        needs=[need],
                        linked=bool(label),
                    )
                    continue
                entry.needs.append(need)
                entry.original = max(entry.original, need.original)
                entry.copies = max(entry.copies, need.copies)
                differing = [
                    name
                    for name in DIFFERENCE_FIELDS
                    if _text(material.get(name)) != getattr(entry, name)
                ]
                if kind != entry.type:
                    differing.insert(0, "type")
                entry.differences = tuple(dict.fromkeys((*entry.differences, *differing)))
    member_fingerprints = tuple((code, fingerprints.get(code, "")) for code in seen_codes)
    return MergedChecklist(
        materials=tuple(merged.values()),
        item_material_count=item_count,
        fingerprint=merged_fingerprint(member_fingerprints, answers, links, questions, presets),
        answers=answers,
        member_fingerprints=member_fingerprints,
    )


def step_position(steps: Sequence[JourneyStep], code: str) -> int | None:
    """The 0-based index of the first step a guide belongs to, or None."""
    for index, step in enumerate(steps):
        if any(member.code == code for member in step.members):
            return index
    return None


def _member_situation(records: Mapping[str, Mapping[str, Any]], code: str, key: str) -> Situation | None:
    record = records.get(code) or {}
    return next(
        (Situation.from_dict(s) for s in record.get("situations") or () if s.get("key") == key), None
    )


def validate_journey(steps: Sequence[JourneyStep], questions: Sequence[SharedQuestion],
                     records: Mapping[str, Mapping[str, Any]],
                     presets: Sequence[SituationPreset] = ()) -> list[str]:
    """Messages for editors: steps need members; shared questions must map onto situations the
    members declare, with answers those situations accept."""
    errors: list[str] = []
    codes = [member.code for step in steps for member in step.members]
    for index, step in enumerate(steps, start=1):
        if not step.members:
            errors.append(_("第 %(step)s 步没有办理事项") % {"step": index})
        if step.logic not in (AND, OR):
            errors.append(_("第 %(step)s 步的办理方式无效") % {"step": index})
    for question in questions:
        shared = question.situation
        for mapping in question.mappings:
            if mapping.code not in codes:
                errors.append(_("情形“%(question)s”对应的事项 %(code)s 不在本一件事中") % {"question": question.question, "code": mapping.code})
                continue
            record = records.get(mapping.code)
            if record is None:
                continue
            member = _member_situation(records, mapping.code, mapping.situation_key)
            if member is None:
                errors.append(_("事项 %(code)s 没有情形“%(key)s”") % {"code": mapping.code, "key": mapping.situation_key})
            elif not set(shared.answers) <= set(member.answers):
                errors.append(
                    _("情形“%(question)s”的选项与事项 %(code)s 的情形“%(member)s”不一致")
                    % {"question": question.question, "code": mapping.code, "member": member.question}
                )
    for preset in presets:
        if preset.code not in codes:
            errors.append(_("预设情形对应的事项 %(code)s 不在本一件事中") % {"code": preset.code})
            continue
        if preset.code not in records:
            continue
        member = _member_situation(records, preset.code, preset.situation_key)
        if member is None:
            errors.append(_("事项 %(code)s 没有情形“%(key)s”") % {"code": preset.code, "key": preset.situation_key})
        elif preset.answer not in member.answers:
            errors.append(
                _("预设回答“%(answer)s”不是事项 %(code)s 的情形“%(member)s”的选项")
                % {"answer": preset.answer, "code": preset.code, "member": member.question}
            )
    return errors
