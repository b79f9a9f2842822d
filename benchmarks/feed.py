"""The intake feed at catalogue size: a full dump of the guides, and the unchanged poll of changes.

Run::

    .venv/bin/python -m benchmarks.feed [--guides 10000] [--polls 200] [--workdir DIR]
        [--database sqlite|postgresql]

What it does:

1. Builds (or, with ``--workdir``, reuses) the throwaway database of ``benchmarks.common`` with
   ``--guides`` published guides (a SQLite file, or with ``--database postgresql`` a PostgreSQL
   server started for the run). Generated guides have no change events, so when the log
   is empty a few ``ChangeEvent`` rows are written, as publishing does (under
   ``lock_change_log``), so that a changes cursor exists.
2. Full dump, the way the intake system syncs everything, through Django's WSGI handler:

   * the list: ``GET /api/v1/guides/?limit=200`` following ``next_cursor`` until ``has_more`` is
     false; every live guide must come back exactly once;
   * full records: the streamed export ``GET /api/v1/guides.ndjson`` (one full record per line,
     as ``guides/{code}/`` answers), twice: with the record cache cleared (every record serialized
     from the batch prefetches) and again with the records cached; every live guide must come back
     exactly once;
   * the CPSV-AP catalogue stream (``/api/v1/cpsv-ap/catalogue/``), for information, abandoned if
     it runs over ``--cpsv-timeout`` seconds (default 60).

   Streams are consumed chunk by chunk; the time counted is the server's (the WSGI application
   producing each chunk), not the benchmark's reading of the lines; the resident set size (VmRSS)
   is sampled after every chunk and its highest value compared with the target.
3. Unchanged poll: ``GET /api/v1/changes/?since=<head of the log>`` (no new events) ``--polls``
   times, p50/p95 of server time; beside it the floor, a trivial Django view that returns the same
   bytes through the same WSGI handler (all middleware, URL resolution), so the difference is the
   feed's own cost (rate limit bookkeeping, the query, ETag, JSON).

The rate limit stays on (so its cache bookkeeping is paid as in production) but is raised to a
value the run cannot reach. Targets (from the issue): full dump of all guides ≤ 10 s with RSS
< 250 MB, unchanged poll ≤ 5 ms server time (p50; p95 printed beside it). Each is printed OK or
OVER; timing never changes the exit status (it is 1 only if the dump is incomplete or wrong).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import common

TARGET_DUMP_SECONDS = 10.0
TARGET_RSS_MB = 250.0
TARGET_POLL_SECONDS = 0.005
PAGE_LIMIT = 200
FLOOR_PATH = "/__bench-floor__/"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--guides", type=int, default=10_000, help="published guides in the database")
    parser.add_argument("--polls", type=int, default=200, help="timed unchanged polls")
    parser.add_argument("--cpsv-timeout", type=float, default=60.0, help="abandon the CPSV stream after this many s")
    common.add_database_arguments(parser)
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def ensure_change_events(count: int = 5) -> int:
    """Write a few published events when the log is empty; return the head of the log."""
    from django.db import transaction

    from feed.models import ChangeEvent, lock_change_log
    from guides.models import GuidePage

    if not ChangeEvent.objects.exists():
        with transaction.atomic():
            for page in GuidePage.objects.live().order_by("pk")[:count]:
                ChangeEvent.objects.create(
                    kind=ChangeEvent.Kind.PUBLISHED, guide=page, code=page.code, name=page.title,
                    checklist_version=page.checklist_version, fingerprint=page.checklist_fingerprint,
                    created_at=lock_change_log(),
                )
    return ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def get_json(app, path: str, query: str = "") -> tuple[float, dict]:
    elapsed, status, body = common.timed_wsgi_get(app, path, query)
    if status != 200:
        raise SystemExit(f"GET {path}?{query} answered {status}: {body[:300]!r}")
    return elapsed, json.loads(body)


def dump_list(app) -> tuple[float, list[str], int, int]:
    """Page through the guide list; return (seconds, codes, pages, bytes)."""
    codes: list[str] = []
    pages = size = 0
    cursor = None
    start = time.perf_counter()
    while True:
        query = {"limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
        status, body = common.wsgi_get(app, "/api/v1/guides/", urlencode(query))
        if status != 200:
            raise SystemExit(f"guide list page {pages + 1} answered {status}: {body[:300]!r}")
        data = json.loads(body)
        pages += 1
        size += len(body)
        codes.extend(item["code"] for item in data["items"])
        if not data["has_more"]:
            break
        cursor = data["next_cursor"]
    return time.perf_counter() - start, codes, pages, size


LINE_CODE = re.compile(rb'^\{"code":"([^"\\]+)"', re.MULTILINE)


def stream(app, path: str, timeout: float, *, lines: bool = False) -> tuple[float, list[str], bytes, int, float, bool]:
    """Consume a streamed response chunk by chunk, sampling the resident set size after each one;
    (server seconds, codes of NDJSON lines when ``lines``, the last 64 bytes, bytes, highest RSS
    in MB, complete). Server seconds are the time spent in the WSGI application (the call, each
    chunk, the close), not in this client's reading of the lines. Nothing else is kept, so the
    reading is the server's memory, not ours."""
    statuses: list[str] = []
    start = time.perf_counter()
    result = app(common.wsgi_environ(path), lambda status, headers, exc_info=None: statuses.append(status))
    server = time.perf_counter() - start
    size, complete, highest = 0, True, current_rss_mb()
    codes: list[str] = []
    tail = b""
    chunks = iter(result)
    try:
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            server += time.perf_counter() - started
            if chunk is None:
                break
            size += len(chunk)
            if lines:
                text = tail + chunk
                cut = text.rfind(b"\n") + 1
                codes += [code.decode() for code in LINE_CODE.findall(text, 0, cut)]
                tail = text[cut:]
            elif chunk:
                tail = (tail + chunk)[-64:]
            highest = max(highest, current_rss_mb())
            if time.perf_counter() - start > timeout:
                complete = False
                break
    finally:
        if hasattr(result, "close"):
            started = time.perf_counter()
            result.close()
            server += time.perf_counter() - started
    if not statuses[0].startswith("200"):
        raise SystemExit(f"GET {path} answered {statuses[0]}")
    return server, codes, tail, size, highest, complete


def install_floor(body: bytes) -> None:
    """Route FLOOR_PATH to a plain view returning ``body`` (ahead of the site's own patterns)."""
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import portal.urls

    def floor_view(request):
        return HttpResponse(body, content_type="application/json; charset=utf-8")

    portal.urls.urlpatterns.insert(0, path(FLOOR_PATH.strip("/") + "/", floor_view))
    clear_url_caches()


def run(args: argparse.Namespace, workdir: Path) -> int:
    print(f"Feed benchmark: {args.guides:,} guides, {args.polls} polls, database in {workdir}")
    rss_start = peak_rss_mb()
    site = common.prepare_database(args.guides, workdir=workdir)
    t = site.timings
    if site.reused:
        print(f"setup: migrate {t['migrate']:.1f} s (database reused)")
    else:
        print(f"setup: {site.guide_count:,} guides in {t['import'] + t['generate'] + t['verify']:.1f} s")

    from django.conf import settings

    from guides.models import GuidePage

    settings.FEED_RATE_LIMIT = "100000000/minute"
    head = ensure_change_events()
    live_codes = set(GuidePage.objects.live().filter(last_published_at__isnull=False).values_list("code", flat=True))
    app = common.wsgi_application()
    # Warm-up: imports, URL resolver, template loaders; not part of a sync.
    common.wsgi_get(app, "/api/v1/guides/", "limit=1")
    common.wsgi_get(app, "/api/v1/changes/", f"since={head}")

    # --- 1. full dump ---------------------------------------------------------------------------
    from django.core.cache import cache

    common.settle()
    rss_before = current_rss_mb()
    list_seconds, codes, pages, list_bytes = dump_list(app)
    ok = len(codes) == len(set(codes)) and set(codes) == live_codes
    exports = []
    for label in ("records not cached", "records cached"):
        if label == "records not cached":
            cache.clear()
        common.settle()
        seconds, exported, rest, size, highest, _complete = stream(app, "/api/v1/guides.ndjson", float("inf"), lines=True)
        ok = ok and not rest and sorted(exported) == sorted(codes)
        exports.append((label, seconds, size, highest))
    common.settle()
    cpsv_seconds, _codes, cpsv_end, cpsv_bytes, cpsv_rss, cpsv_complete = stream(
        app, "/api/v1/cpsv-ap/catalogue/", args.cpsv_timeout
    )
    if cpsv_complete and not cpsv_end.rstrip().endswith(b"]}"):
        raise SystemExit("CPSV catalogue stream did not end with ']}'")

    n = len(codes)
    print()
    print(f"full dump of {n:,} guides (WSGI, server time):")
    print(
        f"  list, {pages} pages of {PAGE_LIMIT}: {list_seconds:.2f} s "
        f"({list_seconds / pages * 1000:.1f} ms/page, {list_bytes / 2**20:.1f} MiB) "
        f"→ target ≤ {TARGET_DUMP_SECONDS:.0f} s: {verdict(list_seconds <= TARGET_DUMP_SECONDS)}"
    )
    print(
        "  every live guide exactly once, in the list and in each export: "
        + ("yes" if ok else f"NO ({len(codes):,} codes, {len(set(codes)):,} distinct, {len(live_codes):,} live)")
    )
    for label, seconds, size, highest in exports:
        print(
            f"  full records, guides.ndjson ({label}): {seconds:.2f} s ({size / 2**20:.1f} MiB, "
            f"{seconds / max(1, n) * 1000:.2f} ms/guide) → target ≤ {TARGET_DUMP_SECONDS:.0f} s: "
            f"{verdict(seconds <= TARGET_DUMP_SECONDS)}; RSS at most {highest:.0f} MB "
            f"(before the dump {rss_before:.0f} MB) → < {TARGET_RSS_MB:.0f} MB: {verdict(highest < TARGET_RSS_MB)}"
        )
    if cpsv_complete:
        print(
            f"  CPSV-AP catalogue stream: {cpsv_seconds:.2f} s ({cpsv_bytes / 2**20:.1f} MiB, "
            f"{cpsv_seconds / max(1, n) * 1000:.2f} ms/guide), RSS at most {cpsv_rss:.0f} MB"
        )
    else:
        print(
            f"  CPSV-AP catalogue stream: skipped after {cpsv_seconds:.1f} s (> {args.cpsv_timeout:.0f} s), "
            f"{cpsv_bytes / 2**20:.1f} MiB streamed by then"
        )
    print(f"  peak RSS of the process: {peak_rss_mb():.0f} MB (at start {rss_start:.0f} MB)")
    if not site.reused:
        print("  (the peak includes building the database in this run)")

    # --- 2. unchanged poll ----------------------------------------------------------------------
    query = f"since={head}"
    _elapsed, status, poll_body = common.timed_wsgi_get(app, "/api/v1/changes/", query)
    data = json.loads(poll_body)
    if status != 200 or data["events"] or data["next_cursor"] != str(head):
        raise SystemExit(f"unchanged poll answered {status}: {poll_body[:300]!r}")
    install_floor(poll_body)
    status, floor_body = common.wsgi_get(app, FLOOR_PATH)
    if status != 200 or floor_body != poll_body:
        raise SystemExit(f"floor view answered {status}: {floor_body[:300]!r}")
    for _ in range(20):
        common.wsgi_get(app, "/api/v1/changes/", query)
        common.wsgi_get(app, FLOOR_PATH)
    common.settle()
    poll_times, floor_times = [], []
    for _ in range(args.polls):
        elapsed, status, _body = common.timed_wsgi_get(app, "/api/v1/changes/", query)
        if status != 200:
            raise SystemExit(f"poll answered {status}")
        poll_times.append(elapsed)
        floor_times.append(common.timed_wsgi_get(app, FLOOR_PATH)[0])
    poll, floor = common.Summary.of(poll_times), common.Summary.of(floor_times)
    print()
    print(f"unchanged poll GET /api/v1/changes/?since={head} ({len(poll_body)} bytes), {args.polls} requests:")
    print(f"  {'':<34} {'p50':>10} {'p95':>10} {'mean':>10}")
    print(f"  {'changes (WSGI, full server time)':<34} {common.ms(poll.p50):>10} {common.ms(poll.p95):>10} {common.ms(poll.mean):>10}")
    print(f"  {'floor (plain view, same bytes)':<34} {common.ms(floor.p50):>10} {common.ms(floor.p95):>10} {common.ms(floor.mean):>10}")
    print(
        f"  feed's own cost p50 {common.ms(poll.p50 - floor.p50)} ({poll.p50 / floor.p50:.2f}× the floor); "
        f"target ≤ {common.ms(TARGET_POLL_SECONDS)}: p50 {verdict(poll.p50 <= TARGET_POLL_SECONDS)}, "
        f"p95 {verdict(poll.p95 <= TARGET_POLL_SECONDS)}"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return common.run_in_workdir(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
