"""A journey as plain data, and its merged checklist for given answers.

Every view of a journey (page, sheet, kiosk, feed, CPSV-AP) reads ``journey_record`` and
``journey_view``; the member guides come in through their cached serialized records
(``guides.serializers.live_record``), so a journey's checklist is built from exactly what the
guides' own pages, sheets and feed show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation

from guides.domain.checklist import short_fingerprint
from guides.domain.journeys import (
    JourneyMember,
    JourneyStep,
    MaterialLink,
    MergedChecklist,
    SharedQuestion,
    SituationMapping,
    SituationPreset,
    merge_checklists,
    parse_journey_answers,
    validate_journey,
)
from guides.serializers import checklist_of, live_record
from portal import languages


def _split_options(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").replace("，", "、").split("、") if part.strip())


def _code(page) -> str | None:
    """The code of a chosen guide (None when the chooser points at a deleted page). The choosers
    name one page type, so Wagtail loads GuidePage instances in one query per field."""
    return getattr(page, "code", None)


@dataclass(frozen=True)
class JourneyDefinition:
    steps: list[JourneyStep]
    step_blocks: list[dict[str, Any]]  # title, note and logic of each step, as edited
    questions: list[SharedQuestion]
    links: list[MaterialLink]
    presets: list[SituationPreset]
    guide_ids: list[int]  # member guide page ids, in step order


def journey_definition(page) -> JourneyDefinition:
    steps, step_blocks, guide_ids = [], [], []
    for block in page.steps:
        value = block.value
        members = []
        for member in value["members"]:
            code = _code(member["guide"])
            if code is None:
                continue
            members.append(JourneyMember(code=code, required=member["required"] != "optional"))
            guide_ids.append(member["guide"].pk)
        steps.append(JourneyStep(title=value["title"], members=tuple(members), logic=value["logic"]))
        step_blocks.append({"title": value["title"], "note": value["note"], "logic": value["logic"]})
    questions = [
        SharedQuestion(
            key=block.value["key"],
            question=block.value["question"],
            options=_split_options(block.value["options"]),
            mappings=tuple(
                SituationMapping(code=_code(m["guide"]), situation_key=m["situation_key"])
                for m in block.value["mappings"]
                if _code(m["guide"])
            ),
        )
        for block in page.questions
    ]
    links = [
        MaterialLink(code=_code(m["guide"]), material_name=m["material_name"], label=block.value["label"])
        for block in page.material_links
        for m in block.value["materials"]
        if _code(m["guide"])
    ]
    presets = [
        SituationPreset(code=_code(b.value["guide"]), situation_key=b.value["situation_key"], answer=b.value["answer"])
        for b in page.presets
        if _code(b.value["guide"])
    ]
    return JourneyDefinition(steps, step_blocks, questions, links, presets, list(dict.fromkeys(guide_ids)))


def member_pages(definition: JourneyDefinition, *, live_only: bool = True) -> dict[str, Any]:
    """The member guide pages by code (published ones only unless told otherwise)."""
    from guides.models import GuidePage

    pages = GuidePage.sources.filter(pk__in=definition.guide_ids).select_related(
        "department", "intake_window__hall", "delivery_window__hall"
    )
    if live_only:
        pages = pages.live()
    return {page.code: page for page in pages}


def member_records(pages: dict[str, Any]) -> tuple[dict[str, dict], dict[str, str]]:
    records = {code: live_record(page) for code, page in pages.items()}
    fingerprints = {code: checklist_of(record)[1] for code, record in records.items()}
    return records, fingerprints


def journey_errors(page) -> list[str]:
    definition = journey_definition(page)
    records, _ = member_records(member_pages(definition, live_only=False))
    return validate_journey(definition.steps, definition.questions, records, definition.presets)


def journey_record(page) -> dict[str, Any]:
    """The journey's structure with its members' codes and checklist fingerprints."""
    definition = journey_definition(page)
    pages = member_pages(definition)
    records, fingerprints = member_records(pages)
    steps = []
    for number, (step, block) in enumerate(zip(definition.steps, definition.step_blocks, strict=True), start=1):
        steps.append(
            {
                "number": number,
                "title": block["title"],
                "note": block["note"],
                "logic": step.logic,
                "members": [
                    {
                        "code": member.code,
                        "name": records[member.code]["name"],
                        "department": records[member.code]["department"],
                        "required": member.required,
                        "fingerprint": fingerprints[member.code],
                        "checklist_version": pages[member.code].checklist_version,
                        "url": pages[member.code].url,
                    }
                    for member in step.members
                    if member.code in records
                ],
            }
        )
    return {
        "slug": page.slug,
        "name": page.title,
        "intro": page.intro,
        "audience": page.audience,
        "url": page.url,
        "steps": steps,
        "questions": [
            {
                "key": q.key,
                "question": q.question,
                "options": list(q.options),
                "answers": list(q.situation.answers),
                "maps_to": [{"code": m.code, "situation": m.situation_key} for m in q.mappings],
            }
            for q in definition.questions
        ],
        "presets": [{"code": p.code, "situation": p.situation_key, "answer": p.answer} for p in definition.presets],
        "material_links": [
            {"label": link.label, "code": link.code, "material_name": link.material_name} for link in definition.links
        ],
    }


@dataclass(frozen=True)
class JourneyView:
    record: dict[str, Any]
    merged: MergedChecklist
    questions: list[dict[str, Any]]
    answers: dict[str, str]
    answered: list[str]

    @property
    def short_fingerprint(self) -> str:
        return short_fingerprint(self.merged.fingerprint)

    @property
    def step_count(self) -> int:
        return len(self.record["steps"])


def build_journey_view(page, params: Any = None) -> JourneyView:
    definition = journey_definition(page)
    records, fingerprints = member_records(member_pages(definition))
    answers = parse_journey_answers(definition.questions, params or {})
    merged = merge_checklists(
        definition.steps, records, fingerprints, answers, definition.questions, definition.links, definition.presets
    )
    questions = [
        {
            "key": q.key,
            "question": q.question,
            "choices": [{"value": a, "selected": answers.get(q.key) == a} for a in q.situation.answers],
            "answered": q.key in answers,
        }
        for q in definition.questions
    ]
    answered = [f"{q.question} {answers[q.key]}" for q in definition.questions if q.key in answers]
    return JourneyView(journey_record(page), merged, questions, answers, answered)


def journey_page_context(page, request) -> dict[str, Any]:
    return {"journey_view": build_journey_view(page, request.GET), "journey_index": page.get_parent().specific}


LIVE_JOURNEYS_KEY = "journeys:live"


def _summaries_of_live_journeys() -> list[dict[str, Any]]:
    from journeys.models import JourneyPage

    summaries = []
    for journey in JourneyPage.objects.live().order_by("path"):
        definition = journey_definition(journey)
        steps = [
            {"title": block["title"], "codes": [member.code for member in step.members]}
            for step, block in zip(definition.steps, definition.step_blocks, strict=True)
        ]
        summaries.append(
            {
                "slug": journey.slug,
                "name": journey.title,
                "url": journey.url,
                "intro": journey.intro,
                "text": " ".join([journey.title, journey.intro, *(step["title"] for step in steps)]),
                "steps": steps,
                "member_codes": _member_codes(journey),
            }
        )
    return summaries


def _member_codes(journey) -> dict[int, str]:
    """Page id → code of every guide a journey's steps choose (loaded by the definition)."""
    return {
        member["guide"].pk: member["guide"].code
        for block in journey.steps
        for member in block.value["members"]
        if getattr(member["guide"], "code", None)
    }


def live_journeys() -> list[dict[str, Any]]:
    """Every live journey as the part-of boxes and journey search read it, cached under the site
    tree version (portal.routing): a publish, unpublish, move or delete of a journey moves it (a
    journey is not a guide), and so does the publish of a member guide whose code changed
    (``forget_renamed_members``). The publish of a guide leaves it, so a guide page's first reader
    after the publish does not read every journey again."""
    from portal.routing import cached

    def in_chinese():
        # Cached for every reader: the addresses in the language of the plain address
        # (portal.languages); readers of another language get them with its prefix.
        with translation.override(settings.LANGUAGE_CODE):
            return _summaries_of_live_journeys()

    return cached(LIVE_JOURNEYS_KEY, in_chinese)


def forget_renamed_members(sender, instance=None, **kwargs) -> None:
    """For page_published: the cached journeys link their members by code (``/g/<code>/``)."""
    from guides.models import GuidePage
    from portal.routing import bump_site_tree_version, peek

    if not isinstance(instance, GuidePage):
        return
    for journey in peek(LIVE_JOURNEYS_KEY, None) or ():
        if journey["member_codes"].get(instance.pk, instance.code) != instance.code:
            bump_site_tree_version()
            return


def journeys_of_guide(code: str) -> list[dict[str, Any]]:
    """The "part of" boxes of a guide page: each live journey the guide belongs to, with its
    step number and the previous and next steps' first guides."""
    boxes = []
    for journey in live_journeys():
        steps = journey["steps"]
        position = next((i for i, step in enumerate(steps) if code in step["codes"]), None)
        if position is None:
            continue
        neighbours = {}
        for name, index in (("previous", position - 1), ("next", position + 1)):
            if 0 <= index < len(steps) and steps[index]["codes"]:
                neighbours[name] = {"title": steps[index]["title"], "number": index + 1, "code": steps[index]["codes"][0]}
        boxes.append(
            {
                "name": journey["name"],
                "url": languages.path_in(journey["url"], languages.current()),
                "step": position + 1,
                "step_count": len(steps),
                "step_title": steps[position]["title"],
                **neighbours,
            }
        )
    return boxes
