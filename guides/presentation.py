"""What a reader sees of a guide, computed from the serialized record only.

The web page uses it now; the PDF sheet, the kiosk and the counter checklist use the same
functions, so a checklist is filtered, a window's hours are worked out and the flow is drawn in
exactly one place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from guides.choices import SECTION_SLUGS, MaterialMark
from guides.domain import hours
from guides.domain.checklist import short_fingerprint
from guides.domain.fees import fee_summary
from guides.domain.flowchart import FONT_FAMILIES, FlowStep, render_flow_svg
from guides.domain.marks import hands_in_paper
from guides.domain.situations import (
    Situation,
    canonical_answers,
    describe_answers,
    equivalent_answers,
    parse_answers,
    select_materials,
)
from guides.domain.timelimits import TimeLimit, TimeUnit
from guides.domain.translations import translated_record
from guides.serializers import checklist_of, live_record, serialize_guide
from journeys.records import journeys_of_guide
from portal.public_urls import public_url

# Search engines show about this many characters of a Chinese description.
META_DESCRIPTION_CHARS = 120


def schedule_from_record(hall: dict[str, Any]) -> hours.HallSchedule:
    weekly = {
        int(day): tuple(hours.parse_session(text) for text in sessions)
        for day, sessions in hall["hours"].items()
    }
    return hours.HallSchedule(
        weekly=weekly,
        closed_days=frozenset(date.fromisoformat(d) for d in hall["closed_days"]),
        makeup_workdays={date.fromisoformat(d): int(w) for d, w in hall["makeup_workdays"].items()},
    )


def limit_text(limit: dict[str, Any] | None) -> str:
    if not limit:
        return ""
    return TimeLimit(int(limit["value"]), TimeUnit(limit["unit"])).display()


def flow_svg(record: dict[str, Any], font_families: Sequence[str] = FONT_FAMILIES) -> SafeString:
    steps = [
        FlowStep(
            name=step["name"],
            actor=step["actor"],
            description=step["description"],
            limit_text=limit_text(step["limit"]) or None,
            counts_toward_limit=step["counts_toward_limit"],
        )
        for step in record["steps"]
    ]
    # render_flow_svg escapes every piece of text it draws, so its output is safe markup.
    svg = render_flow_svg(steps, title=_("%(name)s办理流程") % {"name": record["name"]}, font_families=font_families)
    return mark_safe(svg)  # noqa: S308


@dataclass(frozen=True)
class HallStatus:
    is_open: bool
    label: str
    next_opening: str
    week_table: list[tuple[str, str]]


# What a reader is told about the hall now (guides.domain.hours says why it is closed).
OPEN_LABEL = _("现在办公中")
CLOSED_LABELS = {
    hours.BEFORE_OPENING: _("尚未开始办公"),
    hours.BREAK: _("午间休息"),
    hours.AFTER_HOURS: _("已下班"),
    hours.DAY_OFF: _("今日休息"),
}


def status_of_schedule(schedule: hours.HallSchedule, now: datetime | None = None) -> HallStatus:
    now = now or timezone.now()
    status = schedule.status(now)
    return HallStatus(
        is_open=status.is_open,
        label=str(OPEN_LABEL if status.is_open else CLOSED_LABELS.get(status.closed_reason, CLOSED_LABELS[hours.AFTER_HOURS])),
        next_opening="" if status.is_open else (status.next_opening_label(now) or ""),
        week_table=schedule.week_table(),
    )


def hall_status(record: dict[str, Any], now: datetime | None = None) -> HallStatus:
    return status_of_schedule(schedule_from_record(record["hall"]), now)


def floor_lines(floor_guide: str) -> list[str]:
    """A hall's floor guide as one line per floor or area (editors write it as sentences)."""
    return [line.strip() for line in re.split(r"[。\n]+", floor_guide or "") if line.strip()]


def floor_plan_anchor(hall_name: str) -> str:
    """The id of a hall's floor plan on the hall page, which the guides of the hall link to
    (from the name, which a guide's record has: the hall page lists every hall)."""
    return "floor-plan-" + hashlib.sha1(hall_name.encode("utf-8")).hexdigest()[:8]


# The material marks in words, for citizens (guides.domain.marks).
MARK_EXPLANATIONS = {
    MaterialMark.OBTAINED_BY_OFFICE: _("窗口通过电子证照库或数据共享获取，获取到的无需您提交"),
    MaterialMark.COMMITMENT_ACCEPTED: _("可签署告知承诺书代替本材料"),
    MaterialMark.DEFERRABLE: _("缺少本材料也可先受理，之后按要求补交"),
}


def mark_notes(marks: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"value": mark, "label": MaterialMark(mark).label, "explanation": MARK_EXPLANATIONS[MaterialMark(mark)]}
        for mark in marks
        if mark in MaterialMark.values
    ]


def check_code(fingerprint: str) -> str:
    """The fingerprint as citizens and clerks compare it: its first 12 hex digits (what the feed's
    verification accepts), in groups of four."""
    short = short_fingerprint(fingerprint)
    return " ".join(short[start : start + 4] for start in range(0, len(short), 4))


def situations_of(record: dict[str, Any]) -> list[Situation]:
    return [Situation.from_dict(s) for s in record["situations"]]


@dataclass(frozen=True)
class GuideView:
    """Everything a rendering of one guide needs, for one set of situation answers."""

    record: dict[str, Any]
    checklist: dict[str, Any]
    fingerprint: str
    situations: list[Situation]
    answers: dict[str, str]
    materials: list[dict[str, Any]]  # each material plus "applies": True | None
    answered: list[str]

    @property
    def short_fingerprint(self) -> str:
        return short_fingerprint(self.fingerprint)

    @property
    def check_code(self) -> str:
        return check_code(self.fingerprint)

    @property
    def fee_amount(self) -> str | None:
        """The amount of the fee tile ("80元/件"), None for free guides and standards without one."""
        fee = self.record["fee"]
        return fee_summary(fee["items"]) if fee["charged"] else None

    @property
    def legal_limit(self) -> str:
        return limit_text(self.record["legal_limit"])

    @property
    def promised_limit(self) -> str:
        return limit_text(self.record["promised_limit"])

    @property
    def is_filtered(self) -> bool:
        return bool(self.answers)

    @property
    def steps(self) -> list[dict[str, Any]]:
        return [{**step, "limit_text": limit_text(step["limit"])} for step in self.record["steps"]]

    @property
    def questions(self) -> list[dict[str, Any]]:
        """Situation questions with their choices marked as selected, for forms and buttons."""
        return [
            {
                "key": situation.key,
                "question": situation.question,
                "choices": [
                    {"value": answer, "selected": self.answers.get(situation.key) == answer}
                    for answer in situation.answers
                ],
                "answered": situation.key in self.answers,
            }
            for situation in self.situations
        ]


def build_guide_view(record: dict[str, Any], params: Any = None) -> GuideView:
    situations = situations_of(record)
    answers = parse_answers(situations, params or {})
    materials = [
        {
            **selection.material,
            "applies": selection.applies,
            "mark_notes": mark_notes(selection.material.get("marks") or ()),
            "hands_in_paper": hands_in_paper(selection.material["original"], selection.material["copies"]),
        }
        for selection in select_materials(record["materials"], situations, answers)
        if selection.applies is not False
    ]
    checklist, digest = checklist_of(record)
    return GuideView(
        record=record,
        checklist=checklist,
        fingerprint=digest,
        situations=situations,
        answers=answers,
        materials=materials,
        answered=describe_answers(situations, answers),
    )


def sheet_answers(record: dict[str, Any], params: Any = None) -> dict[str, str]:
    """The answers a printed sheet is made for: the valid ones, each in the canonical form of
    its checklist (guides.domain.situations.canonical_answers), so that answers with the same
    checklist print, and are stored as, one sheet."""
    situations = situations_of(record)
    return canonical_answers(situations, record["materials"], parse_answers(situations, params or {}))


def printed_answers(view: GuideView) -> list[str]:
    """The answers as a sheet prints them: in words of the checklist, not of one reader's
    choice. An answer stands with those that select the same materials ("是否委托他人办理？ 否");
    a question whose answers all select the same materials is left out."""
    lines = []
    for situation in view.situations:
        if situation.key not in view.answers:
            continue
        same = equivalent_answers(situation, view.record["materials"], view.answers[situation.key])
        if len(same) < len(situation.answers):
            lines.append(f"{situation.question} {_('或').join(same)}")
    return lines


def government_service_jsonld(record: dict[str, Any], url: str, fingerprint: str) -> str:
    """schema.org GovernmentService for search engines; kept to what the record states."""
    hall = record["hall"]
    day_names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    hours_available = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{day_names[int(day)]}",
            "opens": session.split("-")[0],
            "closes": session.split("-")[1],
        }
        for day, sessions in sorted(hall["hours"].items())
        for session in sessions
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": record["name"],
        "identifier": record["code"],
        "serviceType": record["item_type"],
        "description": record["summary"],
        "url": url,
        "provider": {"@type": "GovernmentOrganization", "name": record["department"]},
        "serviceOperator": {"@type": "GovernmentOrganization", "name": record["department"]},
        "audience": [{"@type": "Audience", "audienceType": a} for a in record["service_object"]],
        "availableChannel": {
            "@type": "ServiceChannel",
            "name": record["intake_window"],
            "servicePhone": {"@type": "ContactPoint", "telephone": record["phone"]},
            "serviceLocation": {
                "@type": "GovernmentOffice",
                "name": hall["name"],
                "address": hall["address"],
            },
            "processingTime": limit_text(record["promised_limit"]),
            **({"serviceUrl": record["online_url"]} if record["online_url"] else {}),
            "hoursAvailable": hours_available,
        },
        "additionalProperty": {
            "@type": "PropertyValue",
            "name": "checklist-fingerprint",
            "value": fingerprint,
        },
    }
    # Escape "<" so that no text in the record can close the surrounding <script> element.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def guide_page_context(page, request) -> dict[str, Any]:
    """The context of a guide's page: of the guide, or of its translation (then the source's
    record with the translation's prose, guides.domain.translations)."""
    from feedback.models import Channel
    from feedback.views import feedback_context
    from guides.translations import is_out_of_date, source_of
    from portal.languages import DEFAULT, bcp47, current

    preview = getattr(request, "is_preview", False)
    translation = None
    if page.is_translation:
        translation, page = page, page.__dict__.get("source_page") or source_of(page)
    record = serialize_guide(page) if preview and translation is None else live_record(page)
    view = build_guide_view(record, request.GET)
    url = (translation or page).full_url or (translation or page).url or ""
    language = current()
    if translation is not None:
        shown = serialize_guide(translation) if preview else live_record(translation)
        record = translated_record(record, shown)
        # The counter's checklist is one record in every language: the translation shows the
        # source's checklist and fingerprint (its own prose is not part of what is accepted).
        view = replace(build_guide_view(record, request.GET), checklist=view.checklist, fingerprint=view.fingerprint)
    untranslated = translation is None and language != DEFAULT
    return {
        # The language the guide's text is in, when it is not the page's (an English page of a
        # guide not translated yet shows the Chinese text).
        "content_lang": bcp47(DEFAULT) if untranslated else "",
        "guide_untranslated": untranslated,
        "content_untranslated": untranslated,
        "translation_out_of_date": translation is not None and is_out_of_date(page),
        "guide": record,
        "guide_index": page.index_page(),
        "section_slug": SECTION_SLUGS[record["category"]],
        "view": view,
        "flow_svg": flow_svg(record),
        "hall_status": hall_status(record),
        "checklist_version": page.checklist_version,
        "is_published_checklist": page.checklist_fingerprint == view.fingerprint,
        "jsonld": mark_safe(government_service_jsonld(record, url, view.fingerprint)),  # noqa: S308
        # The sheet of the same answers as the page.
        "answers_query": urlencode(view.answers),
        "floor_lines": floor_lines(record["hall"]["floor_guide"]),
        "floor_plan_anchor": floor_plan_anchor(record["hall"]["name"]),
        # What search engines and link previews (WeChat, Weibo) show.
        "meta_description": Truncator(f"{record['name']}：{' '.join(record['summary'].split())}").chars(META_DESCRIPTION_CHARS),
        "share_title": record["name"],
        "share_image": public_url(reverse("guide-share-image", args=[record["code"]])),
        "journeys": journeys_of_guide(record["code"]),
        # "这条指南有用吗？" and "报告错误" (feedback.views)
        "feedback": feedback_context(request, record["code"], Channel.WEB),
    }


# The rendered page says whether the hall is open now, so a cached copy may live at most until
# the next opening or closing; an hour at most keeps a missed invalidation short.
MAX_PAGE_CACHE_SECONDS = 60 * 60


def shared_page_lifetime(page, request) -> int | None:
    """How long a rendered guide page stays true for every reader: until the hall opens or
    closes next, an hour at most; None for previews, non-GET requests and the page that
    thanks one reader for their feedback."""
    from feedback.views import feedback_state

    if request.method != "GET" or getattr(request, "is_preview", False) or not page.live:
        return None
    if feedback_state(request):  # the thank-you of one reader
        return None
    return until_hall_changes(schedule_from_record(live_record(page)["hall"]))


def until_hall_changes(schedule: hours.HallSchedule, longest: int = MAX_PAGE_CACHE_SECONDS) -> int:
    """Seconds until the hall of ``schedule`` opens or closes next (what a page showing its
    open/closed state may be kept for), ``longest`` at most."""
    now = timezone.now()
    status = schedule.status(now)
    change = status.closes_at if status.is_open else status.next_opening
    if change is None:
        return longest
    return max(1, min(longest, int((change - now).total_seconds())))
