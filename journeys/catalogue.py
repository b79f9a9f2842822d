"""Journeys in the catalogue file: ``manage.py export_guides`` writes one line per journey and
``import_guides`` reads it back (guides.catalogue, guides.importer).

A journey's line is the shape of the demo's journeys.json (member guides named by their codes, so
that a restore into another database points at the same guides) with the page's state: its id
(which a restore into an empty database gives back: portal.page_ids), live or not, SEO fields and
publication times. A live journey is written as published; a journey that is
not live as its latest revision, unpublished.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from guides.serializers import catalogue_time

JOURNEY_PAGE_FIELDS = ("seo_title", "search_description")


def _stream(block_type: str, values: list[dict]) -> list[dict]:
    return [{"type": block_type, "value": value} for value in values]


def journey_fields(data: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    """The fields of a JourneyPage from a journey described as in journeys.json, the guides'
    codes mapped to their page ids by ``ids``."""
    return {
        "title": data["title"],
        "intro": data["intro"],
        "audience": data["audience"],
        "steps": _stream("step", [
            {"title": s["title"], "logic": s["logic"], "note": s.get("note", ""),
             "members": [{"guide": ids[code], "required": required} for code, required in s["members"]]}
            for s in data["steps"]
        ]),
        "questions": _stream("question", [
            {"key": q["key"], "question": q["question"], "options": q["options"],
             "mappings": [{"guide": ids[code], "situation_key": key} for code, key in q["maps"]]}
            for q in data.get("questions", ())
        ]),
        "presets": _stream("preset", [
            {"guide": ids[code], "situation_key": key, "answer": answer} for code, key, answer in data.get("presets", ())
        ]),
        "material_links": _stream("link", [
            {"label": link["label"],
             "materials": [{"guide": ids[code], "material_name": name} for code, name in link["materials"]]}
            for link in data.get("links", ())
        ]),
    }


def journey_codes(data: dict[str, Any]) -> set[str]:
    """Every guide code a journey described as in journeys.json names."""
    return (
        {code for step in data["steps"] for code, _required in step["members"]}
        | {code for q in data.get("questions", ()) for code, _key in q["maps"]}
        | {code for code, _key, _answer in data.get("presets", ())}
        | {code for link in data.get("links", ()) for code, _name in link["materials"]}
    )


def _code(page) -> str | None:
    return getattr(page, "code", None)  # None: the chosen guide was deleted since


def serialize_journey(page) -> dict[str, Any]:
    """A journey's line of the catalogue (without its kind)."""
    content = page if page.live else page.get_latest_revision_as_object()
    steps = [block.value for block in content.steps]
    return {
        "slug": page.slug,
        "title": content.title,
        "intro": content.intro,
        "audience": content.audience,
        "steps": [
            {"title": s["title"], "logic": s["logic"], "note": s["note"],
             "members": [[_code(m["guide"]), m["required"]] for m in s["members"] if _code(m["guide"])]}
            for s in steps
        ],
        "questions": [
            {"key": q["key"], "question": q["question"], "options": q["options"],
             "maps": [[_code(m["guide"]), m["situation_key"]] for m in q["mappings"] if _code(m["guide"])]}
            for q in (block.value for block in content.questions)
        ],
        "presets": [
            [_code(p["guide"]), p["situation_key"], p["answer"]]
            for p in (block.value for block in content.presets) if _code(p["guide"])
        ],
        "links": [
            {"label": link["label"],
             "materials": [[_code(m["guide"]), m["material_name"]] for m in link["materials"] if _code(m["guide"])]}
            for link in (block.value for block in content.material_links)
        ],
        "page": {
            "id": page.pk,
            **{name: getattr(content, name) for name in JOURNEY_PAGE_FIELDS},
            "live": page.live,
            "first_published_at": catalogue_time(page.first_published_at),
            "last_published_at": catalogue_time(page.last_published_at),
        },
    }


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record with its publication times as datetimes (as normalized lines hold them), without
    the page's id (given once, when a restore creates the page)."""
    state = {name: value for name, value in record["page"].items() if name != "id"}
    for name in ("first_published_at", "last_published_at"):
        if isinstance(state[name], str):
            state[name] = dt.datetime.fromisoformat(state[name])
    return {**record, "page": state}


def write_journey(record: dict[str, Any], *, page_id: int | None = None) -> str:
    """Create or update the journey of a normalized line by its slug: "created", "updated" or
    "unchanged". Validated as the admin validates it (JourneyPage.clean). A journey created here
    takes ``page_id`` (a restore's: portal.page_ids)."""
    from wagtail.models import Page

    from guides.models import GuidePage
    from journeys.models import JourneyIndexPage, JourneyPage
    from portal.page_ids import keep_id

    index = JourneyIndexPage.objects.first()
    if index is None:
        raise ValidationError(_("站点中没有“一件事目录”页面：请导入含一件事目录的站点结构（record 为 site）"))
    codes = journey_codes(record)
    ids = dict(GuidePage.sources.filter(code__in=codes).values_list("code", "pk"))
    missing = sorted(codes - set(ids))
    if missing:
        raise ValidationError(_("一件事引用的事项不存在：%(codes)s") % {"codes": "、".join(missing)})
    page = JourneyPage.objects.child_of(index).filter(slug=record["slug"]).first()
    if page is not None and _comparable(serialize_journey(page)) == _comparable(record):
        return "unchanged"
    state = record["page"]
    fields = {**journey_fields(record, ids), **{name: state[name] for name in JOURNEY_PAGE_FIELDS}}
    created = page is None
    if created:
        page = index.add_child(instance=keep_id(JourneyPage(slug=record["slug"], live=False, **fields), page_id))
    else:
        for name, value in fields.items():
            setattr(page, name, value)
    revision = page.save_revision()
    if state["live"]:
        revision.publish()
    elif page.live:
        page.unpublish()
    Page.objects.filter(pk=page.pk).update(
        first_published_at=state["first_published_at"], last_published_at=state["last_published_at"]
    )
    return "created" if created else "updated"
