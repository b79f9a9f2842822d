"""The export of the whole catalogue (``manage.py export_guides``), in the format the importer
reads back: see RecordKind in guides.serializers for the kinds of lines and their order.

A restore from it reproduces every guide (live or not) with its checklist history and page
state, its translations (out of date or not, as they were), the change log with its ids, and
everything a guide refers to. The lines are written
from one snapshot of the database (``catalogue_snapshot``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from guides.serializers import (
    CATALOGUE_FORMAT,
    RECORD_CHUNK_SIZE,
    RECORD_KEY,
    RecordKind,
    catalogue_time,
    iter_encoded_records,
    serialize_change_event,
    serialize_department_catalogue,
    serialize_guide,
    serialize_guide_state,
    serialize_hall_catalogue,
    serialize_promotion,
    serialize_site,
    serialize_synonym,
    serialize_theme,
    serialize_translation,
    serialize_window,
)


@contextmanager
def catalogue_snapshot():
    """A read transaction that sees one state of the database from its first query to its end.
    SQLite gives that to every transaction; PostgreSQL's default level (read committed) would let
    a publish committed halfway through the export show in the later lines only. (Inside a
    transaction already begun, the export reads in that one.)"""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _line(kind: str, record: dict[str, Any]) -> bytes:
    return orjson.dumps({RECORD_KEY: kind, **record}) + b"\n"


def _querysets() -> dict[str, Any]:
    from wagtail.contrib.search_promotions.models import SearchPromotion

    from feed.models import ChangeEvent
    from guides.models import Department, GuidePage, LifeEvent, ServiceHall, ServiceWindow
    from guides.translations import source_locale_id
    from journeys.models import JourneyPage
    from search.models import Synonym

    return {
        # In the order of their folders in the page tree: a restore creates each department's
        # folder with it, so the tree (and what lists it, as the sitemap) comes back in order.
        RecordKind.DEPARTMENT: Department.objects.order_by(
            F("folder__path").asc(nulls_last=True), "sort_order", "name", "pk"
        ).select_related("folder"),
        RecordKind.HALL: ServiceHall.objects.order_by("pk").prefetch_related("sessions", "calendar_days"),
        RecordKind.WINDOW: ServiceWindow.objects.order_by("hall_id", "pk").select_related("hall"),
        RecordKind.THEME: LifeEvent.objects.order_by("sort_order", "name", "pk"),
        RecordKind.SYNONYM: Synonym.objects.order_by("phrases"),
        # In tree order: a restore adds them to their folders in the same order.
        RecordKind.GUIDE: GuidePage.sources.order_by("path"),
        RecordKind.JOURNEY: JourneyPage.objects.order_by("path"),
        # The translations of guides (pages in another locale with a source's translation_key).
        RecordKind.TRANSLATION: GuidePage.objects.filter(translation_key__in=GuidePage.sources.values("translation_key"))
        .exclude(locale_id=source_locale_id())
        .select_related("locale"),
        RecordKind.CHANGE: ChangeEvent.objects.order_by("pk"),
        RecordKind.PROMOTION: SearchPromotion.objects.order_by("query__query_string", "sort_order", "pk").select_related(
            "query", "page"
        ),
    }


def _site_record() -> dict[str, Any]:
    from wagtail.models import Site

    from guides.models import GuideIndexPage
    from journeys.models import JourneyIndexPage
    from portal.models import HomePage, SiteIdentity, StatementPage

    site = Site.objects.filter(is_default_site=True).first()
    identity = SiteIdentity.objects.filter(site=site).select_related("accessibility_statement").first() if site else None
    return serialize_site(
        site,
        HomePage.objects.first(),
        GuideIndexPage.objects.first(),
        StatementPage.objects.order_by("path"),
        identity,
        JourneyIndexPage.objects.first(),
    )


def iter_catalogue() -> Iterator[bytes]:
    """The lines of the catalogue (UTF-8 JSON, each ending in a newline); run it inside
    ``catalogue_snapshot``."""
    from guides.models import GuidePage
    from journeys.catalogue import serialize_journey

    querysets = _querysets()
    codes = dict(GuidePage.sources.values_list("pk", "code"))
    counts = {kind: queryset.count() for kind, queryset in querysets.items()}
    yield _line(
        RecordKind.CATALOGUE,
        {"format": CATALOGUE_FORMAT, "exported_at": catalogue_time(timezone.now()), "counts": counts},
    )
    yield _line(RecordKind.SITE, _site_record())
    simple = {
        RecordKind.DEPARTMENT: serialize_department_catalogue,
        RecordKind.HALL: serialize_hall_catalogue,
        RecordKind.WINDOW: serialize_window,
        RecordKind.THEME: serialize_theme,
        RecordKind.SYNONYM: serialize_synonym,
    }
    for kind, serialize in simple.items():
        for item in querysets[kind].iterator(chunk_size=RECORD_CHUNK_SIZE):
            yield _line(kind, serialize(item))
    yield from _guide_lines(list(querysets[RecordKind.GUIDE].values_list("pk", flat=True)))
    for journey in querysets[RecordKind.JOURNEY]:
        yield _line(RecordKind.JOURNEY, serialize_journey(journey))
    yield from _translation_lines(querysets[RecordKind.TRANSLATION])
    for event in querysets[RecordKind.CHANGE].iterator(chunk_size=2000):
        yield _line(RecordKind.CHANGE, serialize_change_event(event, codes.get(event.guide_id)))
    for promotion in querysets[RecordKind.PROMOTION]:
        yield _line(RecordKind.PROMOTION, serialize_promotion(promotion, codes.get(promotion.page_id)))


def _translation_lines(translations) -> Iterator[bytes]:
    """A line per translation, in the tree order of their source guides, then by language."""
    from guides.models import GuidePage
    from guides.translations import synced_at, translated_texts

    translations = list(translations)
    sources = {page.translation_key: page for page in GuidePage.sources.filter(translation_key__in={t.translation_key for t in translations})}
    translations.sort(key=lambda t: (sources[t.translation_key].path, t.locale.language_code))
    for translation in translations:
        source = sources[translation.translation_key]
        texts = translated_texts(source, translation.locale)
        yield _line(RecordKind.TRANSLATION, serialize_translation(translation, source.code, texts, synced_at(source)))


def document_links() -> int:
    """How many links of guides to documents (blank forms, samples, result samples) there are:
    the catalogue carries their URLs only, not the documents."""
    from guides.models import GuideMaterial, GuidePage

    return (
        GuideMaterial.objects.filter(blank_form__isnull=False).count()
        + GuideMaterial.objects.filter(sample__isnull=False).count()
        + GuidePage.sources.filter(result_sample__isnull=False).count()
    )


def floor_plan_images() -> int:
    """How many halls have a floor-plan picture: the catalogue carries its text, not the image."""
    from guides.models import ServiceHall

    return ServiceHall.objects.filter(floor_plan__isnull=False).count()


def latest_draft(page) -> dict[str, Any]:
    """The record of the latest revision of a guide and its change note."""
    from guides.models import RevisionChangeNote

    draft = page.get_latest_revision_as_object()
    return {**serialize_guide(draft), "change_note": RevisionChangeNote.text_of(page.latest_revision_id)}


def guide_line_fields(page, history) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """For one guide: the record of its line when it must be built here (None for a live guide,
    whose cached record is the live one) and the state the line adds to it."""
    if not page.live:
        record = latest_draft(page)
        return record, serialize_guide_state(page, history, None) | {"change_note": record.pop("change_note")}
    draft = latest_draft(page) if page.has_unpublished_changes else None
    return None, serialize_guide_state(page, history, draft)


def _guide_lines(pks: list[int]) -> Iterator[bytes]:
    from guides.models import ChecklistVersion, GuidePage

    prefix = orjson.dumps({RECORD_KEY: RecordKind.GUIDE})[:-1] + b","
    live = GuidePage.sources.live()
    for start in range(0, len(pks), RECORD_CHUNK_SIZE):
        chunk = pks[start : start + RECORD_CHUNK_SIZE]
        cached = {page.pk: (page, encoded) for page, encoded in iter_encoded_records(live, chunk, chunk_size=len(chunk))}
        others = {page.pk: page for page in GuidePage.sources.filter(pk__in=chunk).exclude(pk__in=list(cached))}
        history: dict[int, list[Any]] = {pk: [] for pk in chunk}
        for version in ChecklistVersion.objects.filter(guide_id__in=chunk).order_by("guide_id", "version"):
            history[version.guide_id].append(version)
        for pk in chunk:
            if pk in cached:
                page, encoded = cached[pk]
                _, state = guide_line_fields(page, history[pk])
                yield prefix + encoded[1:-1] + b"," + orjson.dumps(state)[1:] + b"\n"
            elif pk in others:
                record, state = guide_line_fields(others[pk], history[pk])
                yield _line(RecordKind.GUIDE, {**record, **state})
