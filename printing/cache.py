"""PDF sheets cached in Django's default storage, one file per live revision, checklist and kind:

    pdf/<code>/<revision id>/<answers>-<kind>-<language>-<digest>.pdf

``answers`` is ``all`` (nothing answered) or a hash of the canonical answers of the checklist
(``sheet_answers``): the file is keyed by what is printed, so answers that give the same
checklist share one file, and junk query strings cannot fill the storage; ``digest`` covers everything else the PDF shows (the record,
hall hours included, since halls are snippets outside the page revision; the checklist version,
the site URL, the sheet templates and their translations). A cached file is served until one of
them changes. Each language (the sheet's words; the guide's content is printed as written) has
files of its own.

When a render fails (time limit, WeasyPrint error), the newest earlier PDF of the same guide,
answers and kind is served instead, if there is one, and the failure is logged; otherwise the
caller gets PdfUnavailable.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from guides.presentation import sheet_answers as canonical_sheet_answers
from guides.presentation import situations_of
from guides.serializers import checklist_of, live_record, reference_version
from portal.middleware import content_version
from portal.public_urls import public_base_url
from printing.render import KINDS, RenderTimeout, render_guide_pdf_limited, template_digest

logger = logging.getLogger("printing")

ROOT = "pdf"
# Revisions kept per guide by prune(): the live one and the one before, for fallback.
KEEP_REVISIONS = 2
# prerender() renders every complete set of answers when there are at most this many.
MAX_PRERENDERED_COMBINATIONS = 8
# A cached file that does not look like a whole PDF and is older than this was a failed write.
BROKEN_FILE_GRACE = timedelta(minutes=2)
# How long a request's stored file is remembered (its key changes with every publish anyway).
LOOKUP_TIMEOUT = 60 * 60 * 24


class PdfUnavailable(Exception):
    """Rendering failed and no earlier PDF of this guide and these answers exists."""


@dataclass(frozen=True)
class PdfFile:
    name: str
    content: bytes
    last_modified: datetime
    # "cache": served from storage, "rendered": rendered now, "stale": an earlier revision's PDF
    # served because rendering failed.
    source: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.content).hexdigest()[:32] + '"'

    @property
    def stale(self) -> bool:
        return self.source == "stale"


# --- keys ----------------------------------------------------------------------------------------


def answers_key(answers: Mapping[str, str]) -> str:
    if not answers:
        return "all"
    text = json.dumps(sorted(answers.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def content_digest(record: dict[str, Any], checklist_version: int | None, base_url: str, language: str = settings.LANGUAGE_CODE) -> str:
    payload = json.dumps(
        [record, checklist_version, base_url, template_digest(), language],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def guide_dir(code: str) -> str:
    return f"{ROOT}/{code}"


def storage_name(
    code: str, revision_id: int | None, answers: Mapping[str, str], kind: str, digest: str, language: str = settings.LANGUAGE_CODE
) -> str:
    return f"{guide_dir(code)}/{revision_id or 0}/{file_prefix(answers, kind, language)}{digest}.pdf"


def file_prefix(answers: Mapping[str, str], kind: str, language: str) -> str:
    """What every stored file of these answers, kind and language starts with."""
    return f"{answers_key(answers)}-{kind}-{language}-"


def published_version(page, fingerprint: str) -> int | None:
    """The checklist version to print: only when this checklist is the published one."""
    if page.checklist_version and page.checklist_fingerprint == fingerprint:
        return page.checklist_version
    return None


def sheet_answers(record: dict[str, Any], params: Any, kind: str) -> dict[str, str]:
    """What a sheet is stored under besides the guide: the canonical answers of its checklist
    (guides.presentation.sheet_answers), from which everything the sheet prints follows. Answers
    with the same checklist share one file."""
    if kind == "counter":
        return {}
    return canonical_sheet_answers(record, params)


# --- storage helpers -----------------------------------------------------------------------------


def _looks_complete(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]


def _read(name: str) -> bytes | None:
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def _modified(name: str) -> datetime:
    try:
        modified = default_storage.get_modified_time(name)
    except (NotImplementedError, OSError):
        return timezone.now()
    return modified if timezone.is_aware(modified) else timezone.make_aware(modified)


def _save(name: str, content: bytes) -> bool:
    """Store unless another process got there first; never keep a renamed duplicate."""
    if default_storage.exists(name):
        return False
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        default_storage.delete(saved)
        return False
    return True


def _listdir(path: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(path)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return [], []


def _revision_dirs(code: str) -> list[str]:
    directories, _files = _listdir(guide_dir(code))
    return sorted(directories, key=lambda d: int(d) if d.isdigit() else -1, reverse=True)


def cached_files(code: str, answers: Mapping[str, str], kind: str, language: str = settings.LANGUAGE_CODE) -> list[str]:
    """Every stored PDF of this guide, answers, kind and language, newest first."""
    prefix = file_prefix(answers, kind, language)
    names = []
    for revision in _revision_dirs(code):
        _dirs, files = _listdir(f"{guide_dir(code)}/{revision}")
        names += [f"{guide_dir(code)}/{revision}/{f}" for f in files if f.startswith(prefix) and f.endswith(".pdf")]
    return sorted(names, key=_modified, reverse=True)


def last_good(
    code: str, answers: Mapping[str, str], kind: str, *, exclude: str = "", language: str = settings.LANGUAGE_CODE
) -> PdfFile | None:
    for name in cached_files(code, answers, kind, language):
        if name == exclude:
            continue
        content = _read(name)
        if content and _looks_complete(content):
            return PdfFile(name, content, _modified(name), "stale")
    return None


# --- the lookup of stored files ------------------------------------------------------------------


@dataclass(frozen=True)
class StoredPdf:
    """Where the PDF for a request is stored, with the validators and the headers it is served
    with: remembered per request so that a repeated request is answered from the file without
    reading the guide or formatting anything."""

    name: str
    etag: str
    last_modified: int
    headers: tuple[tuple[str, str], ...]


def lookup_key(code: str, kind: str, query_string: str, language: str = settings.LANGUAGE_CODE) -> str:
    """The request (code, kind, raw query, language) under everything that can change its answer:
    the content version (publish, unpublish, move, delete, view restrictions, sites), the reference
    version (halls, departments, windows), the templates and the public address (in the QR code)."""
    target = f"{code.upper()}\0{kind}\0{language}\0{query_string}".encode("utf-8", "surrogateescape")
    versions = f"{content_version()}:{reference_version()}:{template_digest()}:{public_base_url()}"
    return f"printing:lookup:{versions}:{hashlib.sha256(target).hexdigest()}"


def remember(key: str, stored: StoredPdf) -> None:
    cache.set(key, stored, LOOKUP_TIMEOUT)


def recall(key: str) -> StoredPdf | None:
    return cache.get(key)


# --- the API -------------------------------------------------------------------------------------


def render_cached(
    page,
    params: Any = None,
    kind: str = "citizen",
    *,
    record: dict[str, Any] | None = None,
    language: str = settings.LANGUAGE_CODE,
) -> PdfFile:
    """The PDF of a live guide for these situation answers, from storage or rendered now.

    ``params`` are the request's query parameters (or a dict); ``kind`` "citizen" or "counter";
    ``language`` the language of the sheet's words.
    Raises PdfUnavailable when rendering fails and no earlier PDF can stand in.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown sheet kind {kind!r}")
    # The cached record of the live revision: a request for a stored PDF costs no serializing.
    record = record if record is not None else live_record(page)
    answers = sheet_answers(record, params, kind)
    _checklist, fingerprint = checklist_of(record)
    version = published_version(page, fingerprint)
    # The QR code's address: PUBLIC_BASE_URL, never the Host header of whoever asked first.
    base_url = public_base_url()
    name = storage_name(
        record["code"], page.live_revision_id, answers, kind, content_digest(record, version, base_url, language), language
    )

    stored = _stored(name)
    if stored is not None:
        return stored
    # Requests of this process for the same sheet wait for one render and then read its file.
    with _one_render_of(name):
        stored = _stored(name)
        if stored is not None:
            return stored
        return _render_and_store(record, answers, kind, name, version, base_url, language)


def _stored(name: str) -> PdfFile | None:
    content = _read(name) if default_storage.exists(name) else None
    if content is not None:
        if _looks_complete(content):
            return PdfFile(name, content, _modified(name), "cache")
        if timezone.now() - _modified(name) > BROKEN_FILE_GRACE:
            logger.warning("deleting incomplete cached PDF %s", name)
            default_storage.delete(name)
        # else: another process is still writing it; the caller renders its own copy.
    return None


_renders_in_progress: dict[str, tuple[threading.Lock, int]] = {}
_renders_guard = threading.Lock()


@contextmanager
def _one_render_of(name: str):
    """Hold the lock of the sheet ``name`` in this process (one lock per sheet being rendered,
    forgotten when nobody waits for it)."""
    with _renders_guard:
        lock, waiting = _renders_in_progress.get(name, (None, 0))
        lock = lock or threading.Lock()
        _renders_in_progress[name] = (lock, waiting + 1)
    try:
        with lock:
            yield
    finally:
        with _renders_guard:
            lock, waiting = _renders_in_progress[name]
            if waiting == 1:
                del _renders_in_progress[name]
            else:
                _renders_in_progress[name] = (lock, waiting - 1)


def _render_and_store(record, answers, kind, name, version, base_url, language) -> PdfFile:
    try:
        pdf = render_guide_pdf_limited(
            record, params=answers, kind=kind, base_url=base_url, checklist_version=version, language=language
        )
    except Exception as error:
        fallback = last_good(record["code"], answers, kind, exclude=name, language=language)
        logger.error(
            "rendering the %s PDF of %s (answers %s) failed: %s; %s",
            kind,
            record["code"],
            answers_key(answers),
            error,
            f"serving {fallback.name}" if fallback else "no earlier PDF to serve",
            exc_info=not isinstance(error, RenderTimeout),
        )
        if fallback is not None:
            return fallback
        raise PdfUnavailable(str(error)) from error

    if _save(name, pdf):
        return PdfFile(name, pdf, _modified(name), "rendered")
    return PdfFile(name, pdf, timezone.now(), "rendered")


def answer_combinations(record: dict[str, Any], limit: int = MAX_PRERENDERED_COMBINATIONS) -> list[dict[str, str]]:
    """Every complete set of answers, or none when there are more than ``limit``."""
    situations = situations_of(record)
    if not situations:
        return []
    count = 1
    for situation in situations:
        count *= len(situation.answers)
    if count > limit:
        return []
    keys = [s.key for s in situations]
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(s.answers for s in situations))]


@dataclass
class PrerenderReport:
    code: str
    rendered: int = 0
    cached: int = 0
    failed: list[str] = field(default_factory=list)
    pruned: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rendered": self.rendered,
            "cached": self.cached,
            "failed": self.failed,
            "pruned": self.pruned,
        }


def prerender(page, *, combinations: bool = True, prune_old: bool = True) -> PrerenderReport:
    """Render (or find cached) the sheets of a live guide: the citizen sheet without answers, the
    counter checklist, and the citizen sheet for every complete set of situation answers when
    there are few. Meant for a publish hook or a background task; never raises for a failed
    render (see the report and the "printing" log)."""
    page = page.specific if hasattr(page, "specific") else page
    report = PrerenderReport(code=page.code)
    if not page.live:
        return report
    record = live_record(page)
    jobs: list[tuple[dict[str, str], str]] = [({}, "citizen"), ({}, "counter")]
    if combinations:
        # One sheet per checklist: answers with the same canonical form print the same sheet.
        distinct = {answers_key(sheet_answers(record, a, "citizen")): a for a in answer_combinations(record)}
        jobs += [(answers, "citizen") for answers in distinct.values()]
    for answers, kind in jobs:
        try:
            result = render_cached(page, answers, kind, record=record)
        except PdfUnavailable as error:
            report.failed.append(f"{kind} {answers_key(answers)}: {error}")
            continue
        if result.stale:
            report.failed.append(f"{kind} {answers_key(answers)}: served an earlier PDF")
        elif result.source == "rendered":
            report.rendered += 1
        else:
            report.cached += 1
    if prune_old and report.ok:
        report.pruned = prune(page)
    return report


def prune(page, keep_revisions: int = KEEP_REVISIONS) -> int:
    """Delete cached PDFs of old revisions (all but the newest ``keep_revisions``, always keeping
    the live one) and superseded files within the kept ones (only the newest file per answers and
    kind survives). Returns the number of files deleted."""
    code = page.code
    live = str(page.live_revision_id or 0)
    revisions = _revision_dirs(code)
    kept = [r for r in revisions if r == live] + [r for r in revisions if r != live]
    kept = kept[:keep_revisions]
    deleted = 0
    for revision in revisions:
        directory = f"{guide_dir(code)}/{revision}"
        _dirs, files = _listdir(directory)
        names = [f"{directory}/{f}" for f in files]
        if revision not in kept:
            doomed = names
        else:
            newest: dict[str, str] = {}
            for name in sorted(names, key=_modified, reverse=True):
                prefix = name.rsplit("-", 1)[0]
                newest.setdefault(prefix, name)
            doomed = [name for name in names if name not in newest.values()]
        for name in doomed:
            default_storage.delete(name)
            deleted += 1
    return deleted
