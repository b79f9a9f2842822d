"""The intake feed API (``/api/v1/``): published guides, their checklist history, and the change
log, as JSON for the counter's intake system.

Every endpoint goes through :func:`api_endpoint`, which gives them the same behaviour:

* GET and HEAD only; any other method is a 405 problem with ``Allow``.
* A per-client rate limit (``FEED_RATE_LIMIT``, default ``"120/minute"``; ``None`` or ``"0"``
  disables it), counted in the cache ``FEED_RATE_LIMIT_CACHE`` that every serving process shares
  (``portal.security.count_request``). Over the limit: 429 problem with ``Retry-After``. The
  client is ``REMOTE_ADDR``, or the right-most address of ``FEED_CLIENT_IP_HEADER`` (e.g.
  ``"HTTP_X_FORWARDED_FOR"``) when the site runs behind a proxy that appends to it.
* Numbers in parameters are ASCII digits only (``SINCE_RE``, ``LIMIT_RE``, ``DATE_RE``): no
  other script's digits, no signs, spaces or line breaks around them.
* Errors are ``application/problem+json`` (RFC 9457) with a Chinese ``title``/``detail`` and, for
  bad parameters, the ``parameter``.
* Strong ETags from the SHA-256 of the body (``"<hash>"``, or ``"<hash>-gzip"`` for the gzip
  encoding of the same body), ``Last-Modified``, and 304 on ``If-None-Match`` (weak comparison,
  either encoding) or, without it, ``If-Modified-Since``. ``Cache-Control: public, no-cache``: a
  cache may keep a copy but must revalidate it.
* gzip when the client accepts it and the body is at least 200 bytes (deterministic compression,
  so the same body always has the same bytes and ETag).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
import re
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django.utils.regex_helper import _lazy_re_compile
from django.utils.text import compress_sequence, compress_string
from django.views.decorators.csrf import csrf_exempt

from feed.models import CHINA, ChangeEvent, to_iso
from guides.choices import SECTION_BY_SLUG, SECTION_SLUGS, ItemType, Section
from guides.domain.checklist import diff_checklists, short_fingerprint
from guides.domain.situations import Situation, describe_answers, select_materials
from guides.serializers import iter_encoded_records, live_record, reference_version
from portal.public_urls import public_url
from portal.security import client_ip, count_request, parse_rate_limit
from search.documents import MODEL_FIELDS

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,255}$")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{12,64}$")
CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{8,200}$")
# re's \d and $ would also take other scripts' digits ("٩٩") and a trailing line break.
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SINCE_RE = re.compile(r"[0-9]{1,18}")
LIMIT_RE = re.compile(r"[0-9]{1,4}")
ACCEPTS_GZIP = _lazy_re_compile(r"\bgzip\b")
ALLOWED_METHODS = ("GET", "HEAD")
GZIP_MIN_LENGTH = 200


# --- errors -------------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class BadParameter(ApiError):
    def __init__(self, parameter: str, detail: str):
        super().__init__(400, "参数错误", detail, parameter=parameter)


class NotFound(ApiError):
    def __init__(self, detail: str = "请求的资源不存在"):
        super().__init__(404, "未找到", detail)


def problem(request, status: int, title: str, detail: str, **extra) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.path, **extra}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/problem+json; charset=utf-8",
    )


def json_response(data, *, last_modified: dt.datetime | None = None) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response.feed_last_modified = last_modified
    return response


# --- the shared request pipeline ----------------------------------------------------------------


def _rate_limit() -> tuple[int, int] | None:
    """(requests, seconds) from FEED_RATE_LIMIT (portal.security.parse_rate_limit), None to disable."""
    return parse_rate_limit(getattr(settings, "FEED_RATE_LIMIT", "120/minute"), "FEED_RATE_LIMIT")


def check_rate_limit(request) -> tuple[HttpResponse | None, dict[str, str]]:
    limit = _rate_limit()
    if limit is None:
        return None, {}
    allowed, period = limit
    now = time.time()
    window = int(now // period)
    key = f"feed:rate:{period}:{window}:{client_ip(request)}"
    count = count_request(caches[getattr(settings, "FEED_RATE_LIMIT_CACHE", "default")], key, period + 1)
    headers = {"X-RateLimit-Limit": str(allowed), "X-RateLimit-Remaining": str(max(0, allowed - count))}
    if count <= allowed:
        return None, headers
    retry_after = max(1, math.ceil((window + 1) * period - now))
    response = problem(
        request, 429, "请求过于频繁", f"每个客户端每 {period} 秒最多 {allowed} 次请求，请 {retry_after} 秒后重试",
    )
    response["Retry-After"] = str(retry_after)
    return response, headers


def _etag_base(tag: str) -> str:
    tag = tag.removeprefix("W/").strip('"')
    return tag.removesuffix("-gzip")


def _not_modified_response(response) -> HttpResponseNotModified:
    not_modified = HttpResponseNotModified()
    for header in ("ETag", "Last-Modified", "Cache-Control", "Vary", "X-RateLimit-Limit", "X-RateLimit-Remaining"):
        if response.has_header(header):
            not_modified[header] = response[header]
    return not_modified


def _finish_stream(request, response: StreamingHttpResponse) -> HttpResponse:
    """The streamed export: a weak ETag from what determines its content (``feed_digest``; the
    body is not known before it is sent), the conditional 304, and streamed gzip."""
    patch_vary_headers(response, ("Accept-Encoding",))
    gzip_it = bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    digest = getattr(response, "feed_digest", None)
    if response.status_code == 200 and digest:
        response["ETag"] = f'W/"{digest}-gzip"' if gzip_it else f'W/"{digest}"'
        response["Cache-Control"] = "public, no-cache"
        last_modified = getattr(response, "feed_last_modified", None)
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        if _not_modified(request, digest, last_modified):
            # Not response.close(): that sends request_finished, whose handler closes the
            # request's database connection (mid-request, inside ATOMIC_REQUESTS). The body's
            # generator has not started and holds nothing.
            return _not_modified_response(response)
    if gzip_it and response.status_code == 200:
        response.streaming_content = compress_sequence(response.streaming_content)
        response["Content-Encoding"] = "gzip"
    return response


def _finish(request, response: HttpResponse) -> HttpResponse:
    """ETag, Last-Modified, the conditional 304, and gzip, for a response of the feed."""
    if response.streaming:
        return _finish_stream(request, response)
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    content = response.content
    gzip_it = (
        len(content) >= GZIP_MIN_LENGTH
        and not response.has_header("Content-Encoding")
        and bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    )
    patch_vary_headers(response, ("Accept-Encoding",))
    if response.status_code == 200:
        digest = hashlib.sha256(content).hexdigest()[:40]
        etag = f'"{digest}-gzip"' if gzip_it else f'"{digest}"'
        response["ETag"] = etag
        response["Cache-Control"] = "public, no-cache"
        last_modified = getattr(response, "feed_last_modified", None)
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        if _not_modified(request, digest, last_modified):
            return _not_modified_response(response)
    if gzip_it:
        response.content = compress_string(content)
        response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(response.content))
    return response


def _not_modified(request, digest: str, last_modified: dt.datetime | None) -> bool:
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        return tags == ["*"] or any(_etag_base(tag) == digest for tag in tags)
    since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
    return since is not None and last_modified is not None and int(last_modified.timestamp()) <= since


# Answers of the feed's shared endpoints are kept whole (compressed, with their ETag) under the
# content and reference versions (every publish, unpublish and reference-data change moves them),
# an hour at most, so that a missed invalidation stays short.
SHARED_RESPONSE_SECONDS = 60 * 60
SHARED_HEADERS = ("Content-Type", "Content-Encoding", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Vary")


def _shared_key(request) -> str:
    from portal.middleware import content_version, request_language

    gzip_it = bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    target = f"{request.path}?{urlencode(sorted(request.GET.lists()), doseq=True)}"
    digest = hashlib.sha256(target.encode("utf-8", "surrogateescape")).hexdigest()
    versions = f"{content_version()}:{reference_version()}:{request_language(request)}:{int(gzip_it)}"
    return f"feed:response:{versions}:{digest}"


def _from_shared(request, entry) -> HttpResponse:
    content, headers = entry
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    # The client's own copy is current: 304, as _finish answers it.
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    if _not_modified(
        request,
        _etag_base(response["ETag"]),
        dt.datetime.fromtimestamp(last_modified, dt.UTC) if last_modified is not None else None,
    ):
        return _not_modified_response(response)
    return response


def api_endpoint(view=None, *, shared: bool = False):
    """The feed's pipeline (see the module's docstring) around ``view``. ``shared``: the answer
    depends on the request's path and query only, so a 200 is kept for every client (the rate
    limit still counts each request)."""
    if view is None:
        return lambda view: api_endpoint(view, shared=shared)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        limited, rate_headers = check_rate_limit(request)
        key = entry = None
        if limited is not None:
            response = limited
        elif request.method not in ALLOWED_METHODS:
            response = problem(request, 405, "不支持的请求方法", f"此接口只支持 {', '.join(ALLOWED_METHODS)}")
            response["Allow"] = ", ".join(ALLOWED_METHODS)
        else:
            if shared and request.method == "GET":
                key = _shared_key(request)
                entry = shared_cache.get(key)
            if entry is None:
                try:
                    response = view(request, *args, **kwargs)
                except ApiError as error:
                    response = problem(request, error.status, error.title, error.detail, **error.extra)
                if key is not None and response.status_code == 200 and not response.streaming:
                    # Kept as _finish makes it for every client, before a client's conditional
                    # request turns it into a 304.
                    finished = _finish(_Unconditional(request), response)
                    entry = (finished.content, tuple((n, finished[n]) for n in SHARED_HEADERS if finished.has_header(n)))
                    shared_cache.set(key, entry, SHARED_RESPONSE_SECONDS)
        if entry is not None:
            response = _from_shared(request, entry)
        for name, value in rate_headers.items():
            response[name] = value
        return response if entry is not None else _finish(request, response)

    return csrf_exempt(wrapped)


class _Unconditional:
    """The request as _finish reads it, without the client's validators."""

    def __init__(self, request):
        self.META = {k: v for k, v in request.META.items() if k not in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")}


# --- parameters ---------------------------------------------------------------------------------


def _param(request, name: str) -> str | None:
    """A query parameter, or None when absent. A parameter given with an empty value is not
    "absent": it fails validation like any other malformed value, so that ``?cursor=`` built
    from a lost cursor cannot silently restart a sync from the beginning."""
    return request.GET.get(name)


def parse_limit(request) -> int:
    raw = _param(request, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not LIMIT_RE.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadParameter("limit", f"limit 必须是 1 到 {MAX_LIMIT} 之间的整数")
    return int(raw)


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(dt.UTC)


def parse_updated_since(raw: str) -> dt.datetime:
    """An ISO 8601 date (the start of that day in China Standard Time) or date-time (without an
    offset: China Standard Time)."""
    try:
        if len(raw) <= 10 and "T" not in raw:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time.min)
        else:
            value = dt.datetime.fromisoformat(raw.replace("z", "Z"))
        return _aware(value)
    except (ValueError, OverflowError) as error:
        raise BadParameter("updated_since", "updated_since 必须是 ISO 8601 日期（2025-01-31）或日期时间（2025-01-31T08:00:00+08:00）") from error


def parse_day(raw: str, parameter: str) -> dt.date:
    try:
        if not DATE_RE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise BadParameter(parameter, f"{parameter} 必须是 YYYY-MM-DD 格式的日期") from error


def encode_cursor(published_at: dt.datetime, pk: int) -> str:
    text = f"{published_at.astimezone(dt.UTC).isoformat()}|{pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[dt.datetime, int]:
    try:
        if not CURSOR_RE.fullmatch(raw):
            raise ValueError(raw)
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        stamp, _, pk = text.partition("|")
        published_at = dt.datetime.fromisoformat(stamp)
        if published_at.tzinfo is None or not SINCE_RE.fullmatch(pk):
            raise ValueError(text)
        return published_at.astimezone(dt.UTC), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as error:
        raise BadParameter("cursor", "cursor 无效：请原样使用上一页返回的 next_cursor") from error


# --- guides -------------------------------------------------------------------------------------


def _absolute(request, path: str) -> str:
    return public_url(path)


def _page_url(request, page) -> str | None:
    url = page.get_url(request=request)
    return _absolute(request, url) if url else None


def _live_guides():
    from guides.models import GuidePage

    return GuidePage.sources.live().filter(last_published_at__isnull=False)


def _guide_or_404(code: str, *, live: bool = True):
    from guides.models import GuidePage

    if not CODE_RE.fullmatch(code):
        raise NotFound(f"没有编码为“{code[:64]}”的已发布事项")
    queryset = _live_guides() if live else GuidePage.sources.all()
    guide = queryset.filter(code=code).select_related("department").first()
    if guide is None:
        raise NotFound(f"没有编码为“{code}”的已发布事项")
    return guide


def list_item(request, page) -> dict:
    return {
        "code": page.code,
        "name": page.title,
        "section": page.section,
        "section_slug": SECTION_SLUGS.get(page.section, ""),
        "department": page.department.name,
        "department_code": page.department.code,
        "item_type": page.item_type,
        "checklist_version": page.checklist_version,
        "checklist_fingerprint": page.checklist_fingerprint,
        "url": _page_url(request, page),
        "api_url": _absolute(request, reverse("feed:guide-detail", args=[page.code])),
        "updated_at": to_iso(page.last_published_at),
    }


def _filtered_guides(request):
    """Live guides narrowed by the filters that the list and the export share."""
    from guides.models import Department

    guides = _live_guides()
    if (section := _param(request, "section")) is not None:
        value = SECTION_BY_SLUG.get(section, section)
        if value not in Section.values:
            raise BadParameter("section", "section 必须是 gc、jy、gm 或 工程类、经营类、公民类")
        guides = guides.filter(section=value)
    if (code := _param(request, "department")) is not None:
        department = Department.objects.filter(code=code).values_list("pk", flat=True).first() if CODE_RE.fullmatch(code) else None
        if department is None:
            raise BadParameter("department", f"未知的部门编码“{code[:64]}”")
        guides = guides.filter(department_id=department)
    if (item_type := _param(request, "item_type")) is not None:
        if item_type not in ItemType.values:
            raise BadParameter("item_type", "item_type 必须是：" + "、".join(ItemType.values))
        guides = guides.filter(item_type=item_type)
    if (since := _param(request, "updated_since")) is not None:
        guides = guides.filter(last_published_at__gte=parse_updated_since(since))
    return guides


def _change_log_head() -> tuple[int, dt.datetime] | None:
    return ChangeEvent.objects.order_by("-id").values_list("id", "created_at").first()


@api_endpoint(shared=True)
def guide_list(request):
    limit = parse_limit(request)
    guides = _filtered_guides(request)
    cursor = _param(request, "cursor")
    if cursor is not None:
        published_at, pk = decode_cursor(cursor)
        guides = guides.filter(Q(last_published_at__gt=published_at) | Q(last_published_at=published_at, pk__gt=pk))

    # Read the head of the change log before the guides: every event up to it is reflected in
    # the list below, so a client that mirrors the list and then polls changes/?since= this
    # cursor misses nothing.
    head = _change_log_head()
    rows = list(
        guides.select_related("department")
        .defer(*MODEL_FIELDS)
        .order_by("last_published_at", "pk")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].last_published_at, rows[-1].pk) if rows else cursor
    next_url = None
    if next_cursor and has_more:
        query = request.GET.copy()
        query["cursor"] = next_cursor
        next_url = _absolute(request, f"{request.path}?{urlencode(sorted(query.items()))}")
    data = {
        "items": [list_item(request, page) for page in rows],
        "limit": limit,
        "has_more": has_more,
        "next_cursor": next_cursor,
        "next": next_url,
        "changes_cursor": str(head[0]) if head else "0",
    }
    last_modified = max(filter(None, [head[1] if head else None, *(p.last_published_at for p in rows)]), default=None)
    return json_response(data, last_modified=last_modified)


class FeedLinks:
    """The fields the feed adds to a guide's record: its published checklist version, absolute
    links and latest change note. URL patterns are resolved once per request, not per guide."""

    CODE = "__code__"

    def __init__(self, request):
        self.request = request
        self.pdf = public_url(reverse("guide-pdf", args=[self.CODE]))
        self.short = public_url(reverse("guide-short-url", args=[self.CODE]))

    def fields(self, page) -> dict:
        return {
            "checklist_version": page.checklist_version,
            "checklist_fingerprint": page.checklist_fingerprint,
            "url": _page_url(self.request, page),
            # Codes are [A-Za-z0-9_.-] (CODE_RE): safe in a path as they are.
            "pdf_url": self.pdf.replace(self.CODE, page.code),
            "short_url": self.short.replace(self.CODE, page.code),
            "updated_at": to_iso(page.last_published_at),
            "change_note": page.published_change_note,
        }


@api_endpoint(shared=True)
def guide_detail(request, code: str):
    page = _guide_or_404(code)
    record = {**live_record(page), **FeedLinks(request).fields(page)}
    return json_response(record, last_modified=page.last_published_at)


# Bump when the lines of the export change shape in a way the change log does not show.
EXPORT_FORMAT = 1
NDJSON = "application/x-ndjson; charset=utf-8"
EXPORT_FLUSH_BYTES = 64 * 1024


def _export_lines(request, guides, pks: list[int]):
    """One line per guide: the cached JSON of its record with the feed's fields spliced in, the
    same object as ``guides/{code}/`` without decoding and re-encoding the record."""
    links = FeedLinks(request)
    buffer: list[bytes] = []
    size = 0
    for page, encoded in iter_encoded_records(guides, pks):
        extra = json.dumps(links.fields(page), ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
        line = encoded[:-1] + b"," + extra[1:].encode("utf-8") + b"\n"
        buffer.append(line)
        size += len(line)
        if size >= EXPORT_FLUSH_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


@api_endpoint
def guide_export(request):
    """Every guide the filters select, as full records (one JSON object per line), streamed."""
    guides = _filtered_guides(request)
    head = _change_log_head()
    # Every publish and unpublish writes a change event and everything else a record embeds
    # bumps the reference version, so these identify the content before it is streamed.
    validator = "|".join(
        map(str, (EXPORT_FORMAT, head[0] if head else 0, reference_version(), request.scheme, request.get_host(), sorted(request.GET.lists())))
    )
    pks = list(guides.order_by("last_published_at", "pk").values_list("pk", flat=True))
    body = _export_lines(request, guides, pks) if request.method == "GET" else iter(())
    response = StreamingHttpResponse(body, content_type=NDJSON)
    response.feed_digest = hashlib.sha256(validator.encode()).hexdigest()[:40]
    response.feed_last_modified = head[1] if head else None
    response["X-Total-Count"] = str(len(pks))
    response["X-Changes-Cursor"] = str(head[0]) if head else "0"
    return response


def _checklist_body(guide, version, at: dt.date | None) -> dict:
    return {
        "code": guide.code,
        "name": guide.title,
        "version": version.version,
        "fingerprint": version.fingerprint,
        "short_fingerprint": short_fingerprint(version.fingerprint),
        "published_at": to_iso(version.published_at),
        "current": version.version == guide.checklist_version and guide.live,
        "at": at.isoformat() if at else None,
        "checklist": version.checklist,
    }


@api_endpoint(shared=True)
def guide_checklist(request, code: str):
    from guides.models import ChecklistVersion

    raw_at = _param(request, "at")
    at = parse_day(raw_at, "at") if raw_at is not None else None
    # The history stays readable after a guide is withdrawn: what the counter required on a
    # given day does not change when the item is later unpublished.
    guide = _guide_or_404(code, live=at is None)
    versions = ChecklistVersion.objects.filter(guide_id=guide.pk)
    if at is None:
        version = versions.order_by("-version").first()
        if version is None:
            raise NotFound(f"事项“{code}”尚无已发布的受理清单")
    else:
        try:
            end_of_day = dt.datetime.combine(at + dt.timedelta(days=1), dt.time.min, tzinfo=CHINA)
        except OverflowError:
            end_of_day = None
        if end_of_day is not None:
            versions = versions.filter(published_at__lt=end_of_day)
        version = versions.order_by("-published_at", "-version").first()
        if version is None:
            raise NotFound(f"事项“{code}”在 {at.isoformat()} 当日结束时尚无已发布的受理清单")
    body = _checklist_body(guide, version, at)
    body.update(_personalised(version.checklist, _answer_params(request, allowed={"at"})))
    return json_response(body, last_modified=version.published_at)


ANSWER_PARAM_RE = re.compile(r"^[sq][0-9]{1,3}$")


def _answer_params(request, *, allowed: set[str]) -> dict[str, str]:
    """The situation answers of a request (``s1=…`` for a guide, ``q1=…`` for a journey). An
    unknown parameter is an error here, unlike on the web page: a client that misspells an
    answer must not silently get the unfiltered checklist."""
    answers = {}
    for name in request.GET:
        if name in allowed:
            continue
        if not ANSWER_PARAM_RE.fullmatch(name):
            raise BadParameter(name, f"未知参数“{name[:20]}”")
        answers[name] = request.GET[name]
    return answers


def _checked_answers(situations, raw: dict[str, str]) -> dict[str, str]:
    by_key = {situation.key: situation for situation in situations}
    for key, value in raw.items():
        situation = by_key.get(key)
        if situation is None:
            raise BadParameter(key, f"没有标识为“{key}”的情形问题")
        if value not in situation.answers:
            raise BadParameter(key, f"情形“{situation.question}”的回答必须是：" + "、".join(situation.answers))
    return raw


def _personalised(checklist: dict, raw_answers: dict[str, str]) -> dict:
    """The checklist for the answers, as the printed sheet lists it: materials of other cases
    dropped, those of unanswered questions kept with ``applies`` null."""
    situations = [Situation.from_dict(s) for s in checklist.get("situations") or ()]
    answers = _checked_answers(situations, raw_answers)
    return {
        "answers": answers,
        "answered": describe_answers(situations, answers),
        "materials": [
            {**selection.material, "applies": selection.applies}
            for selection in select_materials(checklist.get("materials") or (), situations, answers)
            if selection.applies is not False
        ],
    }


def _journey_or_404(slug: str):
    from journeys.models import JourneyPage

    page = JourneyPage.objects.live().filter(slug=slug[:255]).first() if SLUG_RE.fullmatch(slug) else None
    if page is None:
        raise NotFound(f"没有网址标识为“{slug[:64]}”的已发布一件事")
    return page


def _journey_links(request, page) -> dict:
    return {
        "url": _page_url(request, page),
        "api_url": _absolute(request, reverse("feed:journey-detail", args=[page.slug])),
        "pdf_url": _absolute(request, reverse("journey-pdf", args=[page.slug])),
        "updated_at": to_iso(page.last_published_at),
    }


@api_endpoint
def journey_list(request):
    from journeys.models import JourneyPage
    from journeys.records import journey_record

    pages = list(JourneyPage.objects.live().order_by("path"))
    items = []
    for page in pages:
        record = journey_record(page)
        items.append(
            {
                "slug": page.slug,
                "name": page.title,
                "audience": page.audience,
                "member_codes": [m["code"] for step in record["steps"] for m in step["members"]],
                **_journey_links(request, page),
            }
        )
    last_modified = max((p.last_published_at for p in pages if p.last_published_at), default=None)
    return json_response({"items": items}, last_modified=last_modified)


@api_endpoint
def journey_detail(request, slug: str):
    from journeys.records import build_journey_view, journey_definition

    page = _journey_or_404(slug)
    raw = _answer_params(request, allowed=set())
    _checked_answers([q.situation for q in journey_definition(page).questions], raw)
    view = build_journey_view(page, raw)
    record = {key: value for key, value in view.record.items() if key != "url"}
    body = {**record, **_journey_links(request, page), "answered": view.answered, "merged_checklist": view.merged.as_dict()}
    return json_response(body, last_modified=page.last_published_at)


@api_endpoint
def guide_checklist_verify(request, code: str):
    from guides.models import ChecklistVersion

    raw = _param(request, "fingerprint")
    if not raw:
        raise BadParameter("fingerprint", "缺少 fingerprint 参数")
    fingerprint = raw.strip().lower()
    if not FINGERPRINT_RE.fullmatch(fingerprint):
        raise BadParameter("fingerprint", "fingerprint 必须是 12 到 64 位十六进制数字（清单指纹或其前 12 位）")
    guide = _guide_or_404(code)
    versions = ChecklistVersion.objects.filter(guide_id=guide.pk)
    current = versions.order_by("-version").first()
    if current is None:
        raise NotFound(f"事项“{code}”尚无已发布的受理清单")
    yours = versions.filter(fingerprint__startswith=fingerprint).order_by("-version").first()
    changes = None
    if yours is not None:
        diff = diff_checklists(yours.checklist, current.checklist)
        changes = {
            "added": list(diff.added),
            "removed": list(diff.removed),
            "changed": list(diff.changed),
            "other_fields": list(diff.other_fields),
        }
    body = {
        "code": guide.code,
        "current": yours is not None and yours.fingerprint == current.fingerprint,
        "version": current.version,
        "fingerprint": current.fingerprint,
        "published_at": to_iso(current.published_at),
        "your_version": yours.version if yours else None,
        "your_fingerprint": yours.fingerprint if yours else fingerprint,
        "changes": changes,
    }
    return json_response(body, last_modified=current.published_at)


# --- the change log -----------------------------------------------------------------------------


@api_endpoint
def changes(request):
    raw = _param(request, "since")
    if raw is not None and not SINCE_RE.fullmatch(raw):
        raise BadParameter("since", "since 必须是上次返回的 next_cursor（非负整数）")
    since = int(raw) if raw is not None else 0
    limit = parse_limit(request)
    # One range scan of the primary key; no join (the code is stored on the event).
    rows = list(ChangeEvent.objects.filter(id__gt=since).order_by("id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = {
        "events": [event.as_payload(lambda path: _absolute(request, path)) for event in rows],
        "limit": limit,
        "has_more": has_more,
        "next_cursor": str(rows[-1].pk if rows else since),
    }
    return json_response(data, last_modified=rows[-1].created_at if rows else None)


# --- schema and docs ----------------------------------------------------------------------------


@api_endpoint
def openapi_schema(request):
    from feed.openapi import openapi_document

    return json_response(openapi_document(request))


@api_endpoint
def guide_json_schema(request):
    from feed.openapi import guide_json_schema as build

    response = json_response(build(request))
    response["Content-Type"] = "application/schema+json; charset=utf-8"
    return response


@api_endpoint
def docs(request):
    from feed.openapi import docs_context

    return render(request, "feed/docs.html", docs_context(request))


@api_endpoint
def not_found(request, *args, **kwargs):
    raise NotFound()
