"""PDF endpoints: /g/<code>/pdf/ (citizen sheet, situation answers as query parameters like the
web page) and /g/<code>/counter.pdf (受理清单 for window staff). Live guides only.

A sheet that is not stored yet is rendered in the background (printing.pending): the request
waits PRINTING_RESPONSE_WAIT seconds at most, then answers 202 with a page that asks again."""

from __future__ import annotations

import logging

from csp.decorators import csp_replace
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import format_html
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from guides.models import GuidePage
from guides.serializers import checklist_of, live_record, serialize_guide
from portal import languages
from portal.public_urls import public_base_url
from printing.cache import (
    PdfUnavailable,
    StoredPdf,
    lookup_key,
    published_version,
    recall,
    remember,
    render_cached,
)
from printing.pending import render_for_reader
from printing.render import KINDS, render_guide_pdf_limited

logger = logging.getLogger("printing")

SERVE_BLOCK_SIZE = 64 * 1024


def live_guide(code: str) -> GuidePage:
    # The record comes from live_record's cache; only the page row is read here.
    page = GuidePage.sources.live().filter(code__iexact=code).select_related("department").first()
    if page is None:
        raise Http404("No published guide with this code")
    return page


def pdf_filename(code: str, kind: str, *, preview: bool = False) -> str:
    suffix = "" if kind == "citizen" else "-counter"
    return f"{code}{suffix}{'-preview' if preview else ''}.pdf"


def unavailable_response(page, request=None) -> HttpResponse:
    body = format_html(
        '<!DOCTYPE html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title>'
        "<h1>{title}</h1><p>{message}</p><p><a href=\"{url}\">{link}</a></p></html>",
        lang=languages.bcp47(languages.current()),
        title=_("打印版暂时无法生成"),
        message=_("生成 PDF 时出现问题，请稍后再试。办事指南的网页版内容完整、随时可用。"),
        url=page.url or "/",
        link=_("查看网页版办事指南"),
    )
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = "60"
    patch_cache_control(response, no_store=True)
    return response


# Seconds after which a reader waiting for a sheet asks again.
PENDING_RETRY_SECONDS = 3


def pending_response(page, request=None) -> HttpResponse:
    """202: the sheet is being rendered. The page asks again by itself (a meta refresh, no
    script), and says where the same content is readable meanwhile."""
    body = format_html(
        '<!DOCTYPE html><html lang="{lang}"><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="{seconds}"><title>{title}</title>'
        "<h1>{title}</h1><p>{message}</p><p><a href=\"{url}\">{link}</a></p></html>",
        lang=languages.bcp47(languages.current()),
        seconds=PENDING_RETRY_SECONDS,
        title=_("正在生成打印版，请稍候"),
        message=_("打印版正在生成，本页会在几秒后自动刷新。办事指南的网页版内容完整、随时可用。"),
        url=page.url or "/",
        link=_("查看网页版办事指南"),
    )
    response = HttpResponse(body, status=202, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(PENDING_RETRY_SECONDS)
    patch_cache_control(response, no_store=True)
    return response


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def stored_pdf(pdf, page, kind: str) -> StoredPdf:
    last_modified = int(pdf.last_modified.timestamp())
    headers = [
        ("Content-Disposition", content_disposition_header(False, pdf_filename(page.code, kind))),
        ("X-Content-Type-Options", "nosniff"),
        ("ETag", pdf.etag),
        ("Last-Modified", http_date(last_modified)),
        # An earlier revision's sheet standing in for a failed render must not be kept anywhere.
        ("Cache-Control", "no-cache, max-age=0, private" if pdf.stale else "public, no-cache"),
    ]
    if page.full_url:
        headers.append(("Link", f'<{page.full_url}>; rel="canonical"'))
    return StoredPdf(name=pdf.name, etag=pdf.etag, last_modified=last_modified, headers=tuple(headers))


def _respond(request, response, stored: StoredPdf):
    """The stored headers, or a 304 when the client's copy is current."""
    meta = request.META
    if "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta:
        not_modified = get_conditional_response(request, etag=stored.etag, last_modified=stored.last_modified)
        if not_modified is not None:
            response.close()
            response = not_modified
    for name, value in stored.headers:
        response[name] = value
    return response


def _from_storage(request, stored: StoredPdf):
    try:
        # The file itself where the storage has one on disk: served without the storage's File
        # proxy in the way of every chunk, and by sendfile where the server offers it.
        handle = open(default_storage.path(stored.name), "rb")  # noqa: SIM115 - FileResponse closes it
    except (NotImplementedError, OSError):  # a remote storage, or one whose path() is nominal
        try:
            handle = default_storage.open(stored.name, "rb")
        except OSError:
            return None  # pruned or lost: render again
    response = FileResponse(handle, content_type="application/pdf")
    # A sheet is 100-300 KB: a few large chunks, where Django's default of 4 KB sent it in 25-75
    # trips through the WSGI server (which uses sendfile instead where it can).
    response.block_size = SERVE_BLOCK_SIZE
    return _respond(request, response, stored)


# Same-origin frames may show the sheet: the kiosk's print page and Wagtail's preview panel.
SAME_ORIGIN_FRAMES = {"frame-ancestors": ["'self'"]}


@csp_replace(SAME_ORIGIN_FRAMES)
@xframe_options_sameorigin
@require_safe
def guide_pdf(request, code: str, kind: str = "citizen"):
    if kind not in KINDS:
        raise Http404("Unknown sheet")
    # A request answered before is served straight from its stored file: no query, no record.
    # The sheet's words in the language of the address (/en/g/<code>/pdf/), cached per language.
    language = languages.current()
    key = lookup_key(code, kind, request.META.get("QUERY_STRING", ""), language)
    if (stored := recall(key)) is not None and (response := _from_storage(request, stored)) is not None:
        return response

    page = live_guide(code)
    record = live_record(page)
    params = request.GET
    try:
        # Rendered (or read) by a thread of this process, waited for a few seconds at most.
        pdf = render_for_reader(key, lambda: render_cached(page, params, kind, record=record, language=language))
    except PdfUnavailable:
        return unavailable_response(page, request)
    if pdf is None:
        return pending_response(page, request)
    stored = stored_pdf(pdf, page, kind)
    if not pdf.stale and default_storage.exists(pdf.name):
        remember(key, stored)
    return _respond(request, HttpResponse(pdf.content, content_type="application/pdf"), stored)


@csp_replace(SAME_ORIGIN_FRAMES)
@xframe_options_sameorigin
def counter_pdf(request, code: str):
    return guide_pdf(request, code, kind="counter")


def preview_pdf_response(page, request, kind: str = "citizen") -> HttpResponse:
    """The PDF of a page as edited (draft or revision), never cached: for GuidePage.serve_preview.

    Prints the checklist version only when the previewed checklist is the published one, like
    the web page's preview ("草稿预览：清单尚未发布" otherwise).
    """
    if kind not in KINDS:
        raise Http404("Unknown sheet")
    record = serialize_guide(page)
    _checklist, fingerprint = checklist_of(record)
    try:
        content = render_guide_pdf_limited(
            record,
            params=request.GET,
            kind=kind,
            base_url=public_base_url(),
            checklist_version=published_version(page, fingerprint),
        )
    except Exception:
        logger.exception("preview PDF of %s failed", record.get("code"))
        return unavailable_response(page, request)
    response = pdf_response(content, pdf_filename(record["code"], kind, preview=True))
    response["X-Frame-Options"] = "SAMEORIGIN"
    patch_cache_control(response, private=True, no_store=True)
    return response


@csp_replace(SAME_ORIGIN_FRAMES)
@xframe_options_sameorigin
@require_safe
def journey_pdf(request, slug: str):
    """/j/<slug>/pdf/: the journey sheet, answers to the shared questions as query parameters."""
    from journeys.models import JourneyPage
    from journeys.records import build_journey_view
    from printing.journeys import journey_pdf_key, render_journey_pdf, stored_journey_pdf

    page = JourneyPage.objects.live().filter(slug=slug).first()
    if page is None:
        raise Http404("No published journey with this slug")
    view = build_journey_view(page, request.GET)
    language, revision, base_url = languages.current(), page.live_revision_id, public_base_url()
    try:
        # Rendered by a thread of this process like a guide sheet; the reader waits a few seconds at most.
        content = stored_journey_pdf(view, revision=revision, language=language) or render_for_reader(
            journey_pdf_key(view, revision=revision, language=language),
            lambda: render_journey_pdf(view, base_url=base_url, revision=revision, language=language),
        )
    except Exception:  # a broken font or WeasyPrint failure: the web page stays available
        logger.exception("journey sheet %s failed", slug)
        return unavailable_response(page, request)
    if content is None:
        return pending_response(page, request)
    response = pdf_response(content, f"{slug}.pdf")
    patch_cache_control(response, no_cache=True)
    return response
