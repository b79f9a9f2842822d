"""The one serializer of a guide.

Every view of a guide (web page, PDF sheet, kiosk, intake feed) renders from the plain record this
module builds, and the bulk import reads the same shape back. The record extends the corpus schema
(``code``, ``name``, ``category``, ``materials``, ``steps`` …) with the fields the corpus lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.dispatch import Signal
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

from guides.domain.checklist import canonical_checklist, fingerprint
from guides.domain.marks import marks_of
from portal import versions
from portal.collector import collector_paused


def _limit(value: int | None, unit: str | None) -> dict[str, Any] | None:
    if not unit:
        return None
    return {"value": int(value or 0), "unit": unit}


def document_url_function() -> Callable[[Any], str | None]:
    """A function giving ``document.url`` (None for no document) without a reverse() per
    document: reversing the serve view cost as much as the rest of a material's entry. Its URL is
    the view's prefix, the id and the file name quoted as reverse() quotes it (a test holds the
    two equal); the prefix is reversed once per script prefix and URLconf."""
    if getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None) == "direct":
        return lambda document: document.url if document is not None else None
    prefix = _document_serve_prefix(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)

    def url(document) -> str | None:
        if document is None:
            return None
        return f"{prefix}{document.pk}/{quote(document.filename, safe=URL_PATH_SAFE)}"

    return url


# What reverse() leaves unquoted in a path (the pchar of RFC 3986).
URL_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


@lru_cache(maxsize=16)
def _document_serve_prefix(script_prefix: str, urlconf: str) -> str:
    """The serve view's URL up to the document id, per script prefix and URLconf (the key: reverse
    reads both)."""
    return reverse("wagtaildocs_serve", args=[0, ""], urlconf=urlconf).removesuffix("0/")


def serialize_window(window) -> dict[str, Any] | None:
    if window is None:
        return None
    return {
        "label": window.label,
        "name": window.name,
        "numbers": window.numbers,
        "role": window.role,
        "location": window.location,
        "hall": window.hall.name,
    }


def serialize_floor_plan(hall) -> dict[str, Any] | None:
    """The hall's floor-plan picture (its uploaded file: a rendition would be written to the
    database on first read) with the text that stands for it, or None."""
    image = hall.floor_plan
    if image is None:
        return None
    return {"url": image.file.url, "width": image.width, "height": image.height, "alt": hall.floor_plan_alt}


def serialize_hall(hall) -> dict[str, Any]:
    hours: dict[str, list[str]] = {str(day): [] for day in range(7)}
    for session in sorted(hall.sessions.all(), key=lambda s: (s.weekday, s.start)):
        hours[str(session.weekday)].append(f"{session.start:%H:%M}-{session.end:%H:%M}")
    days = sorted(hall.calendar_days.all(), key=lambda d: d.date)
    return {
        "name": hall.name,
        "address": hall.address,
        "floor_guide": hall.floor_guide,
        "floor_plan": serialize_floor_plan(hall),
        "phone": hall.phone,
        "hours": hours,
        "closed_days": [d.date.isoformat() for d in days if d.kind == "closed"],
        "makeup_workdays": {d.date.isoformat(): d.hours_of_weekday for d in days if d.kind == "workday"},
    }


def _hall_record(hall) -> dict[str, Any]:
    """The hall's part of a record: shared by the records of a batch, else cached (under the
    reference version, which every change to a hall, its hours or its windows moves), so that
    the first reader of a guide after a publish does not read the hours again."""
    record = getattr(hall, "batch_record", None)
    if record is None:
        key = f"guides:hall:{hall.pk}:{reference_version()}"
        record = cache.get(key) if hall.pk else None
        if record is None:
            record = serialize_hall(hall)
            if hall.pk:
                cache.set(key, record, RECORD_TIMEOUT)
    return record


# Everything serialize_guide reads besides the page row: the objects its foreign keys name, the
# hall of its windows, its inline relations (each with the foreign keys of its rows that
# serialize_guide follows) and its themes.
PAGE_FOREIGN_KEYS = ("department", "intake_window", "delivery_window", "result_sample")
INLINE_RELATIONS = {
    "situations": (),
    "materials": ("blank_form", "sample"),
    "steps": (),
    "legal_bases": (),
    "fee_items": (),
    "faqs": (),
}
HALL_RELATIONS = ("sessions", "calendar_days")


def _attach(parents: dict[int, Any], parent_ids, model, relation: str, foreign_keys: Sequence[str] = ()) -> None:
    """Load ``relation`` (a ParentalKey or ParentalManyToManyField) of every parent in one query
    and hand each parent its rows in memory, the way modelcluster keeps unsaved relations, so
    that ``parent.<relation>.all()`` reads them without a query; ``foreign_keys`` of the rows
    come along (``_share``). ``parent_ids`` are the pks of ``parents``, as a list or query."""
    for parent in parents.values():
        parent.__dict__.setdefault("_cluster_related_objects", {})[relation] = []
    field = model._meta.get_field(relation)
    if field.many_to_many:
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = through.objects.filter(**{f"{source}__in": parent_ids}).select_related(target)
        for link in links.order_by("pk"):
            parents[getattr(link, f"{source}_id")]._cluster_related_objects[relation].append(getattr(link, target))
        return
    parent_key = field.field.name
    rows = field.related_model.objects.filter(**{f"{parent_key}__in": parent_ids})
    rows = list(rows.order_by(f"{parent_key}_id", *field.related_model._meta.ordering, "pk"))
    for row in rows:
        parents[getattr(row, f"{parent_key}_id")]._cluster_related_objects[relation].append(row)
    _share(rows, foreign_keys)


def _share(rows: list[Any], names: Sequence[str]) -> None:
    """Point the foreign keys ``names`` of ``rows`` at objects loaded in one query per target
    model, one object per target row: a form that many materials offer (as blank form or as
    sample) is loaded once, where select_related would build it for every row and key. (Set in
    the field's cache as select_related does: assigning through the descriptor would ask the
    database routers on every row.)"""
    if not rows:
        return
    by_model: dict[Any, list[Any]] = {}
    for name in names:
        field = rows[0]._meta.get_field(name)
        by_model.setdefault(field.related_model, []).append(field)
    for target_model, fields in by_model.items():
        ids = {getattr(row, field.attname) for row in rows for field in fields} - {None}
        targets = target_model.objects.in_bulk(ids) if ids else {}
        for row in rows:
            for field in fields:
                # (None for no target, or one that went away since the rows were read, as a
                # fresh read would say; cached too, so that reading it asks nothing)
                field.set_cached_value(row, targets.get(getattr(row, field.attname)))


def attach_serializable(pages: Sequence[Any]) -> None:
    """Give pages the rest of what serialize_guide reads, in about a dozen queries whatever their
    number. Unlike select_related and prefetch_related, which build a department, window, hall
    and document object for every page and a queryset per page and relation (most of the cost of
    serializing a large batch), each related object is built once and shared, and rows are handed
    to the pages as lists. The pages are for reading only: saving one would rewrite its inline
    rows. Their records share one dict per hall (serialized once, as the hours of a hall are the
    same for all its guides): encode such records, do not edit them."""
    if not pages:
        return
    _share(pages, PAGE_FOREIGN_KEYS)
    windows = {window.pk: window for page in pages for window in (page.intake_window, page.delivery_window) if window}
    _share(list(windows.values()), ("hall",))
    by_pk = {page.pk: page for page in pages}
    model = pages[0]._meta.model
    # The pages as a subquery built once: a list of their ids would be prepared again for every
    # relation, value by value through the foreign key's chain of target fields (a tenth of a
    # cold export).
    page_ids = model._base_manager.filter(pk__in=list(by_pk)).values("pk")
    for relation, foreign_keys in INLINE_RELATIONS.items():
        _attach(by_pk, page_ids, model, relation, foreign_keys)
    _attach(by_pk, page_ids, model, "themes")
    halls = {window.hall_id: window.hall for window in windows.values() if window.hall}
    if halls:
        _share(list(halls.values()), ("floor_plan",))
        hall_model = next(iter(halls.values()))._meta.model
        for relation in HALL_RELATIONS:
            _attach(halls, list(halls), hall_model, relation)
        for hall in halls.values():
            hall.batch_record = serialize_hall(hall)


def parse_names(text: str) -> list[str]:
    """A list the editors write in one field (俗称/简称, 联办机构), one per item, as they wrote them."""
    return [part.strip() for part in re.split(r"[、，,;；\n]+", text or "") if part.strip()]


# Statements of the rows of one parent, by model, lookup, ordering and database vendor (see
# _rows_of).
_row_statements: dict[tuple, tuple[str, list[str], list[tuple[Any, list]]]] = {}


def _rows_of(model, lookup: str, value: Any, ordering: Sequence[str]) -> list[Any]:
    """``model``'s rows where ``lookup`` (a column of the model, or a many-to-many relation to
    a parent) equals ``value``, in ``ordering``, as objects. The ORM compiles the statement once
    per process; then it runs as it is: building and compiling the query took more than ten times
    as long as SQLite took to answer it, most of a cold guide page's time."""
    key = (model, lookup, tuple(ordering), connection.vendor)
    statement = _row_statements.get(key)
    if statement is None:
        query = model._base_manager.filter(**{lookup: value}).order_by(*ordering).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [value]:  # a lookup that does not compile to one parameter
            raise ValueError(f"{model.__name__}.{lookup} does not compile to one parameter: {params!r}")
        columns = [column for column, _sql, _alias in compiler.select]
        statement = (
            sql,
            [column.target.attname for column in columns],
            [(column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)) for column in columns],
        )
        _row_statements[key] = statement
    sql, attnames, converters = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        rows = cursor.fetchall()
    objects = []
    for row in rows:
        values = []
        for raw, (column, functions) in zip(row, converters, strict=True):
            for function in functions:
                raw = function(raw, column, connection)
            values.append(raw)
        objects.append(model.from_db(connection.alias, attnames, values))
    return objects


def load_relations(page) -> None:
    """Give a live page what serialize_guide reads of its inline rows and themes, in memory as
    attach_serializable does for a batch (one statement per relation, compiled once per process,
    and one query for the documents its materials offer). For reading only, as there: saving the
    page would rewrite its inline rows."""
    related = page.__dict__.setdefault("_cluster_related_objects", {})
    model = page._meta.model
    for relation, foreign_keys in INLINE_RELATIONS.items():
        if relation in related:
            continue
        child = model._meta.get_field(relation).related_model
        parent_key = model._meta.get_field(relation).field.name
        related[relation] = rows = _rows_of(child, f"{parent_key}_id", page.pk, (*child._meta.ordering, "pk"))
        _share(rows, foreign_keys)
    if "themes" not in related:
        field = model._meta.get_field("themes")
        related["themes"] = _rows_of(field.related_model, field.related_query_name(), page.pk, ("pk",))


def serialize_guide(page) -> dict[str, Any]:
    """The full record of a guide page (live object, revision object or in-memory preview)."""
    situations = list(page.situations.all())
    document_url = document_url_function()
    record: dict[str, Any] = {
        "code": page.code,
        "basic_code": page.basic_code,
        "sub_item_code": page.sub_item_code,
        "name": page.title,
        "category": page.section,
        "department": page.department.name,
        "department_code": page.department.code,
        "item_type": page.item_type,
        "exercise_level": page.exercise_level,
        "entrusting_department": page.entrusting_department,
        "co_handlers": parse_names(page.co_handlers),
        "service_object": list(page.service_objects or []),
        "themes": sorted(theme.slug for theme in page.themes.all()),
        "popular": page.is_popular,
        "aliases": parse_names(page.common_names),
        "summary": page.summary,
        "conditions": page.conditions,
        "quantity_limit": page.quantity_limit,
        "intermediary_services": page.intermediary_services,
        "special_procedures": page.special_procedures,
        "legal_basis": [
            {"title": b.title, "document_number": b.document_number, "excerpt": b.excerpt}
            for b in page.legal_bases.all()
        ],
        "situations": [
            {"key": s.key, "question": s.question, "options": s.option_list} for s in situations
        ],
        "materials": [
            {
                "name": m.name,
                "type": m.material_type,
                "form": m.form,
                "original": m.original_count,
                "copies": m.copy_count,
                "spec": m.spec,
                "necessity": m.necessity,
                "source": m.source,
                "marks": marks_of(
                    obtained_by_office=m.obtained_by_office,
                    commitment_accepted=m.commitment_accepted,
                    necessity=m.necessity,
                ),
                "acceptance_standard": m.acceptance_standard,
                "note": m.note,
                "basis": m.basis,
                "situation": m.situation or None,
                "blank_form_url": document_url(m.blank_form),
                "sample_url": document_url(m.sample),
            }
            # One query with their documents (in memory for previews and attach_serializable).
            for m in page.materials.select_related("blank_form", "sample")
        ],
        "steps": [
            {
                "name": s.name,
                "actor": s.actor,
                "description": s.description,
                "review_standard": s.review_standard,
                "limit": _limit(s.limit_value, s.limit_unit),
                "counts_toward_limit": s.counts_toward_limit,
            }
            for s in page.steps.all()
        ],
        "handling_type": page.handling_type,
        "legal_limit": _limit(page.legal_limit_value, page.legal_limit_unit),
        "legal_limit_note": page.legal_limit_note,
        "promised_limit": _limit(page.promised_limit_value, page.promised_limit_unit),
        "promised_limit_note": page.promised_limit_note,
        "fee": {
            "charged": page.fee_charged,
            "items": [
                {"name": f.name, "standard": f.standard, "basis": f.basis, "reduction": f.reduction}
                for f in page.fee_items.all()
            ],
        },
        "visits": page.visits,
        "visits_note": page.visits_note,
        "online": page.online,
        "online_url": page.online_url,
        "intake_window": page.intake_window.label,
        "delivery_window": page.delivery_window.label if page.delivery_window_id else "",
        "windows": [
            serialize_window(w) for w in (page.intake_window, page.delivery_window) if w is not None
        ],
        "hall": _hall_record(page.intake_window.hall),
        "phone": page.phone,
        "complaint_phone": page.complaint_phone,
        "result": page.result_name,
        "result_type": page.result_type,
        "result_validity": page.result_validity,
        "result_sample_url": document_url(page.result_sample),
        "faq": [{"question": f.question, "answer": f.answer} for f in page.faqs.all()],
    }
    return record


REFERENCE_VERSION_KEY = "guides:reference-version"


def reference_version() -> int:
    """A counter bumped whenever data that records embed but that lives outside the guide
    (departments, halls and their hours, windows, themes, documents) changes."""
    return versions.current(REFERENCE_VERSION_KEY)


# Sent after reference data changed, for caches of rendered pages.
REFERENCE_CHANGED = Signal()


def bump_reference_version(**kwargs) -> None:
    """Move the version now and again when the change commits (portal.versions.bump)."""
    versions.bump(REFERENCE_VERSION_KEY)
    REFERENCE_CHANGED.send(sender=None)


# Bump when the shape of a record changes, so that a shared cache hands out no record of the
# old shape after an upgrade. 2: materials carry "marks". 3: the hall carries "floor_plan".
# 4: the national fields (exercise_level, entrusting_department, co_handlers,
# intermediary_services, special_procedures, handling_type, result_validity; a material's
# "basis", a step's "review_standard").
RECORD_FORMAT = 4
# Keys name the record format, the published revision and the reference version, so a cached
# record never goes stale; the timeout only bounds what superseded revisions leave behind in a shared cache.
RECORD_TIMEOUT = 60 * 60 * 24 * 30
# Guides per round trip when many records are read: bounded memory, and about a dozen prefetch
# queries per chunk whatever the catalogue size.
RECORD_CHUNK_SIZE = 200


def encode_record(record: dict[str, Any]) -> bytes:
    """The compact UTF-8 JSON of a record: the bytes of ``json.dumps(record, ensure_ascii=False,
    separators=(",", ":"))``, five times faster (orjson; a test holds the two equal). Records are
    cached in this form: exports write it out as it is, and decoding it is cheaper than
    unpickling the same dict."""
    return orjson.dumps(record)


def _record_key(page, version: int) -> str | None:
    """The cache key of a live page's record, or None for a page that is not published."""
    # Pages written in bulk may lack a live revision; their publication time identifies the content.
    published = page.live_revision_id or (page.last_published_at and page.last_published_at.timestamp())
    if not page.live or not published:
        return None
    return f"guides:record:{RECORD_FORMAT}:{page.pk}:{published}:{version}"


def live_record(page) -> dict[str, Any]:
    """The record of a live page, cached per published revision: every view of a published
    guide (page, PDF, kiosk, feed) reads the same record without re-querying it."""
    key = _record_key(page, reference_version())
    if key is None:
        return serialize_guide(page)
    encoded = cache.get(key)
    if encoded is None:
        load_relations(page)
        record = serialize_guide(page)
        cache.set(key, encode_record(record), RECORD_TIMEOUT)
        return record
    return orjson.loads(encoded)


def iter_encoded_records(queryset, pks: Sequence[int], *, chunk_size: int = RECORD_CHUNK_SIZE) -> Iterator[tuple[Any, bytes]]:
    """``(page, encode_record(live_record(page)))`` for every pk of ``pks`` that ``queryset``
    still holds, in the order of ``pks``: the exports of the whole catalogue.

    Per chunk: one query for the pages, one cache round trip for their records, and only for the
    records not cached the batch load of their relations (``attach_serializable``; the records
    are cached in turn).
    A page that left ``queryset`` since ``pks`` was read (unpublished) is skipped.
    """
    version = reference_version()
    for start in range(0, len(pks), chunk_size):
        chunk = pks[start : start + chunk_size]
        # Loaded once: a cold chunk serializes these very objects.
        pages = {page.pk: page for page in queryset.filter(pk__in=chunk)}
        keys = {pk: _record_key(page, version) or f"uncached:{pk}" for pk, page in pages.items()}
        encoded = cache.get_many(list(keys.values()))
        missing = [page for pk, page in pages.items() if keys[pk] not in encoded]
        if missing:
            with collector_paused():
                attach_serializable(missing)
                fresh = {keys[page.pk]: encode_record(serialize_guide(page)) for page in missing}
            encoded.update(fresh)
            cache.set_many({key: value for key, value in fresh.items() if not key.startswith("uncached:")}, RECORD_TIMEOUT)
        for pk in chunk:
            if pk in pages and keys[pk] in encoded:
                yield pages[pk], encoded[keys[pk]]


def iter_live_records(queryset, pks: Sequence[int], *, chunk_size: int = RECORD_CHUNK_SIZE) -> Iterator[tuple[Any, dict[str, Any]]]:
    """As iter_encoded_records, with the records decoded."""
    for page, encoded in iter_encoded_records(queryset, pks, chunk_size=chunk_size):
        yield page, orjson.loads(encoded)


def checklist_of(record: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The canonical checklist of a record and its fingerprint."""
    checklist = canonical_checklist(record)
    return checklist, fingerprint(checklist)


# --- the catalogue ------------------------------------------------------------------------------
# ``manage.py export_guides`` writes the whole catalogue in the import format, one JSON object per
# line: the records of the guides (the record above, plus their page state and history) and those
# of everything a guide refers to. Every line but a guide's names its kind under RECORD_KEY; a
# line without it is a guide, so that a file of plain records (the corpus, the feed's
# guides.ndjson) is a catalogue too. guides.importer reads these shapes back.

CATALOGUE_FORMAT = 1
RECORD_KEY = "record"


class RecordKind:
    CATALOGUE = "catalogue"  # the first line: format and the number of records of each kind
    SITE = "site"
    DEPARTMENT = "department"
    HALL = "hall"
    WINDOW = "window"
    THEME = "theme"
    SYNONYM = "synonym"
    GUIDE = "guide"
    JOURNEY = "journey"  # a one-thing journey (journeys.catalogue)
    TRANSLATION = "translation"  # a guide's translation into another language (guides.translations)
    CHANGE = "change"
    PROMOTION = "promotion"

    # The order of an export and of an import: each kind refers only to kinds before it.
    # (Translations come after the journeys, as load_demo adds them: the pages a restore creates
    # without ids from the file then come in the same order as in a portal set up by the demo.)
    ORDER = (SITE, DEPARTMENT, HALL, WINDOW, THEME, SYNONYM, GUIDE, JOURNEY, TRANSLATION, CHANGE, PROMOTION)


def catalogue_time(value) -> str | None:
    """Times of the catalogue: ISO 8601 with the offset and every microsecond (a restore gives
    back the very instants: the feed's cursors and ``?at=`` compare them)."""
    from django.utils import timezone

    return timezone.localtime(value).isoformat() if value is not None else None


def serialize_department(department) -> dict[str, Any]:
    return {
        "name": department.name,
        "short_name": department.short_name,
        "code": department.code,
        "phone": department.phone,
        "complaint_phone": department.complaint_phone,
        "sort_order": department.sort_order,
    }


def serialize_department_catalogue(department) -> dict[str, Any]:
    """A department with the id and slug of its folder in the page tree (None while it has
    none), which a restore gives back (portal.page_ids)."""
    folder = getattr(department, "folder", None)
    return {
        **serialize_department(department),
        "folder": {"id": folder.pk, "slug": folder.slug} if folder is not None else None,
    }


def serialize_hall_catalogue(hall) -> dict[str, Any]:
    """The hall as a guide record shows it, with its calendar days in full (their notes too)."""
    record = serialize_hall(hall)
    # The picture is a file, which a catalogue does not carry (see SITE_IDENTITY_FIELDS); the
    # text that stands for it is.
    del record["closed_days"], record["makeup_workdays"], record["floor_plan"]
    record["floor_plan_alt"] = hall.floor_plan_alt
    record["calendar"] = [
        {"date": d.date.isoformat(), "kind": d.kind, "hours_of_weekday": d.hours_of_weekday, "note": d.note}
        for d in sorted(hall.calendar_days.all(), key=lambda d: d.date)
    ]
    return record


def serialize_theme(theme) -> dict[str, Any]:
    return {
        "slug": theme.slug,
        "name": theme.name,
        "audience": theme.audience,
        "description": theme.description,
        "sort_order": theme.sort_order,
    }


def serialize_synonym(synonym) -> dict[str, Any]:
    return {"phrases": synonym.phrases, "expansions": synonym.expansions, "enabled": synonym.enabled, "note": synonym.note}


HOME_FIELDS = ("title", "slug", "seo_title", "search_description", "intro", "search_placeholder")
GUIDE_INDEX_FIELDS = ("title", "slug", "seo_title", "search_description", "intro")
JOURNEY_INDEX_FIELDS = ("title", "slug", "seo_title", "search_description", "intro")


STATEMENT_FIELDS = ("title", "slug", "seo_title", "search_description", "body")
# The site's identity (portal.models.SiteIdentity) but for the 党政机关网站标识 image: images are
# files, which a catalogue does not carry (as it does not carry documents).
SITE_IDENTITY_FIELDS = (
    "sponsor", "operator", "site_code", "icp_filing", "police_filing", "party_mark_url", "contact_phone",
    "contact_email", "error_report_url",
)


def serialize_statement(page) -> dict[str, Any]:
    """A statement page below the home page (the accessibility statement and the like), with its
    publishing state."""
    return {
        "id": page.pk,
        **{name: getattr(page, name) for name in STATEMENT_FIELDS},
        "live": page.live,
        "first_published_at": catalogue_time(page.first_published_at),
        "last_published_at": catalogue_time(page.last_published_at),
    }


def serialize_site_identity(identity) -> dict[str, Any]:
    """What the footer says about the site; the accessibility statement by its page's path."""
    statement = identity.accessibility_statement
    return {
        **{name: getattr(identity, name) for name in SITE_IDENTITY_FIELDS},
        "accessibility_statement": statement.url_path if statement else None,
    }


def _skeleton_page(page, names) -> dict[str, Any] | None:
    """A page of the skeleton: its id (which a restore gives back) and fields."""
    return {"id": page.pk, **{name: getattr(page, name) for name in names}} if page else None


def serialize_site(site, home, guide_index, statements=(), identity=None, journey_index=None) -> dict[str, Any]:
    """The skeleton of the portal: the default site, its home page, the guide index, the
    statement pages, the site's identity and the journey index (None when the site has none)."""
    return {
        "site_name": site.site_name if site else "",
        "hostname": site.hostname if site else "localhost",
        "port": site.port if site else 80,
        "home": _skeleton_page(home, HOME_FIELDS),
        "guide_index": _skeleton_page(guide_index, GUIDE_INDEX_FIELDS),
        "statements": [serialize_statement(page) for page in statements],
        "identity": serialize_site_identity(identity) if identity else None,
        "journey_index": _skeleton_page(journey_index, JOURNEY_INDEX_FIELDS),
    }


def serialize_promotion(promotion, guide_code: str | None) -> dict[str, Any]:
    """A promoted search result (Wagtail's search promotions): its query and what it pins, a
    guide by its code, another page by its path, or an external link."""
    return {
        "query": promotion.query.query_string,
        "sort_order": promotion.sort_order,
        "guide": guide_code,
        "page": promotion.page.url_path if promotion.page_id and guide_code is None else None,
        "external_link_url": promotion.external_link_url,
        "external_link_text": promotion.external_link_text,
        "description": promotion.description,
    }


def serialize_translation(translation, code: str, texts: dict[str, str], synced_at) -> dict[str, Any]:
    """A guide's translation (a page in another locale): its source guide by code, its language,
    the translated texts by segment path (the ``fields`` of portal/demo/translations.json), when
    the source's content was last taken for translation (what tells whether the translation is
    out of date: guides.translations.is_out_of_date) and the page's state."""
    return {
        "code": code,
        "language": translation.locale.language_code,
        "fields": texts,
        "synced_at": catalogue_time(synced_at),
        "live": translation.live,
        "first_published_at": catalogue_time(translation.first_published_at),
        "last_published_at": catalogue_time(translation.last_published_at),
    }


def serialize_checklist_version(version) -> dict[str, Any]:
    return {
        "version": version.version,
        "fingerprint": version.fingerprint,
        "published_at": catalogue_time(version.published_at),
        "checklist": version.checklist,
    }


def serialize_change_event(event, guide_code: str | None) -> dict[str, Any]:
    """An entry of the change log with its id (the cursor the intake systems hold) and the code
    of the guide it still belongs to (None once that guide was deleted)."""
    return {
        "id": event.pk,
        "kind": event.kind,
        "code": event.code,
        "guide": guide_code,
        "name": event.name,
        "checklist_version": event.checklist_version,
        "fingerprint": event.fingerprint,
        "change_note": event.change_note,
        "changes": event.changes,
        "created_at": catalogue_time(event.created_at),
    }


def serialize_guide_state(page, history: Sequence[Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    """What a guide's record leaves out and a restore needs: the editable fields outside the
    record (the change note), the page's publication state, its checklist history and the
    latest draft of a live guide (the record of a guide that is not live is its latest draft)."""
    return {
        "change_note": page.published_change_note,
        "checklist_version": page.checklist_version,
        "checklist_fingerprint": page.checklist_fingerprint,
        "page": {
            "id": page.pk,
            "slug": page.slug,
            "seo_title": page.seo_title,
            "search_description": page.search_description,
            "live": page.live,
            "first_published_at": catalogue_time(page.first_published_at),
            "last_published_at": catalogue_time(page.last_published_at),
        },
        "history": [serialize_checklist_version(version) for version in history],
        "draft": draft,
    }
