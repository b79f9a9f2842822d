"""Server time of the guide page against a bare render of its template, and its query count.

Run::

    .venv/bin/python -m benchmarks.guide_page [--guides 10000] [--requests 200]

What it does:

1. Builds a throwaway SQLite database (``benchmarks.common``): migrations, the demo site tree,
   hall, departments and themes, a few guides imported through ``import_guides(publish=True)``
   and the rest of ``--guides`` generated in bulk, with 1–12 materials and 1–9 steps each.
2. Picks ``--sample`` guides spread over the tree, always including a guide with the fewest
   materials and steps and one with the most (both with documents attached to materials).
3. Counts the SQL queries of one GET of each sampled guide as the *first reader after a publish*
   finds it: the shared response cache (portal.middleware) and the guide's cached record miss, as
   a publish leaves them (the content version has moved and the guide's record is that of a new
   revision), while the reference data (halls, departments) stays cached. For information, also
   the *first reader after a change of reference data* (the reference version bumped: every cached
   record and hall misses).
4. Times ``--requests`` GETs (each a first after a publish, a first after a reference change,
   then a warm one), round-robin over the sample, through Django's WSGI handler (all
   middleware, URL resolution, Wagtail routing, ``GuidePage.get_context`` with the serializer and
   presentation, the template and the response), interleaved with as many *floor* renders: the
   page's template (``guides/guide_page.html``) rendered by Django alone, with the context the
   page built for that guide, captured once, and a fresh request. The floor is what a plain Django view would cost to
   render the same template with the same data; the ratio page / floor is the overhead of
   routing, queries, serialization and presentation.

Reading the output: timings are only compared with the floor measured in the same run, never
with absolute budgets. ``ratio p50`` of warm requests (what readers get in steady state) is the
headline (target ≤ 1.5×), and the ratio of the first reader after a publish is printed beside it
(target ≤ 3× and ≤ 12 queries, from issue 14), each printed OK or OVER with the speed probe
(``benchmarks.common.speed_probe``); timing never changes the exit status. The query count of the smallest guide (1 material, 1 step) and of
the largest (12 materials, 9 steps), both with documents attached to their materials, must be
equal; if it grows with materials or steps the script exits 1. The table shows the count of every
sampled guide (the few imported ones have no documents attached).
``--breakdown`` times the parts of the page one by one; ``--profile`` prints cProfile's top
functions over the timed requests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import common

TARGET_RATIO = 1.5
# The first reader after a publish (issue 14).
TARGET_PUBLISH_RATIO = 3.0
TARGET_PUBLISH_QUERIES = 12


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.guide_page", description=__doc__.splitlines()[0])
    parser.add_argument("--guides", type=int, default=10_000, help="guides in the database (default 10000)")
    parser.add_argument("--requests", type=int, default=200, help="timed page requests, and as many floor renders")
    parser.add_argument("--sample", type=int, default=12, help="guides the requests cycle through (default 12)")
    parser.add_argument("--imported", type=int, default=8, help="guides created through import_guides (default 8)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per sampled guide (default 3)")
    parser.add_argument("--workdir", type=Path, help="keep the database here and reuse it on the next run")
    parser.add_argument("--keep", action="store_true", help="do not delete the temporary directory")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of the largest guide's request")
    parser.add_argument("--breakdown", action="store_true", help="time the parts of the page separately")
    parser.add_argument("--profile", type=int, metavar="N", default=0, help="print the top N functions of a cProfile run")
    return parser.parse_args(argv)


# --- sample and floor ------------------------------------------------------------------------


def choose_sample(index, size: int) -> tuple[list[tuple[Any, tuple[int, int]]], Any, Any]:
    """Guides spread evenly over the tree plus the two query probes, in tree order; and the
    probes: the smallest and the largest guide among those whose first material has a blank
    form attached (every generated guide), so that both load documents."""
    from guides.models import GuideMaterial, GuidePage

    shapes = common.guide_shapes()
    ids = list(GuidePage.objects.descendant_of(index).order_by("path").values_list("pk", flat=True))
    with_documents = set(
        GuideMaterial.objects.filter(sort_order=0, blank_form__isnull=False).values_list("guide_id", flat=True)
    )
    candidates = [pk for pk in ids if pk in with_documents] or ids
    smallest = min(candidates, key=lambda pk: shapes[pk])
    largest = max(candidates, key=lambda pk: shapes[pk])
    spread = max(1, size - 2)
    chosen = {smallest, largest}
    for k in range(spread):
        chosen.add(ids[round(k * (len(ids) - 1) / max(1, spread - 1))])
    position = {pk: n for n, pk in enumerate(ids)}
    pages = {page.pk: page for page in GuidePage.objects.filter(pk__in=chosen)}
    sample = sorted(((page, shapes[pk]) for pk, page in pages.items()), key=lambda item: position[item[0].pk])
    return sample, pages[smallest], pages[largest]


class Floor:
    """The bare render: the page's template and the context the page built, captured once.

    Each render gets a fresh request, as a real one would, with only the site already resolved
    (Wagtail's routing has done that before any page renders), so that per-request caches such
    as the site root paths are paid inside the render as they are in the page."""

    def __init__(self, page):
        from django.template.loader import get_template
        from django.test import RequestFactory
        from wagtail.models import Site

        self.url = page.url
        self.factory = RequestFactory(HTTP_HOST="localhost")
        request = self.new_request()
        self.site = Site.find_for_request(request)
        self.context = page.get_context(request)
        self.template = get_template(page.get_template(request))

    def new_request(self):
        from django.contrib.auth.models import AnonymousUser

        request = self.factory.get(self.url)
        request.user = AnonymousUser()
        if getattr(self, "site", None) is not None:
            request._wagtail_site = self.site
        return request

    def render(self) -> str:
        request = self.new_request()
        return self.template.render({**self.context, "request": request}, request)

    def timed(self) -> float:
        request = self.new_request()
        context = {**self.context, "request": request}
        start = time.perf_counter()
        self.template.render(context, request)
        return time.perf_counter() - start


def by_table(statements: list[str]) -> dict[str, int]:
    """How many of the statements read each table (the first one after FROM), in order."""
    counts: dict[str, int] = {}
    for sql in statements:
        table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else sql.split()[0]
        counts[table] = counts.get(table, 0) + 1
    return counts


def forget_as_a_publish_does(page) -> None:
    """What a publish of ``page`` does to the caches, without writing: the content version moves
    (the response cache misses) and the guide's record is that of a new revision (not cached)."""
    from django.core.cache import cache

    from guides.serializers import _record_key, reference_version
    from portal.middleware import bump_content_version

    bump_content_version()
    cache.delete(_record_key(page, reference_version()))


# --- breakdown and profile -------------------------------------------------------------------


def breakdown(app, sample, rounds: int) -> list[tuple[str, float]]:
    """Median time of each part of the page, averaged over the sample: what the ratio is made of.

    Each part runs on fresh objects as the request would have them at that point (a fresh request
    for the site lookup, the page as routing returns it for the context), so caches filled by one
    round do not make the next one look cheaper."""
    from django.test import RequestFactory
    from wagtail.models import Site

    from guides.presentation import (
        build_guide_view,
        flow_svg,
        government_service_jsonld,
        guide_page_context,
        hall_status,
    )
    from guides.serializers import checklist_of, serialize_guide

    factory = RequestFactory(HTTP_HOST="localhost")
    parts: dict[str, list[float]] = {}

    def measure(name: str, function: Callable[[Any], Any], setup: Callable[[], Any] = lambda: None) -> None:
        values = []
        for _ in range(rounds):
            argument = setup()
            start = time.perf_counter()
            function(argument)
            values.append(time.perf_counter() - start)
        parts.setdefault(name, []).append(common.Summary.of(values).p50)

    for page, _shape in sample:
        url = page.url
        components = [part for part in url.split("/") if part]

        def sited(url=url):
            request = factory.get(url)
            Site.find_for_request(request)
            return request

        def routed(url=url, components=components):
            request = sited(url)
            return request._wagtail_site.root_page.localized.specific.route(request, components).page

        record = serialize_guide(page)
        view = build_guide_view(record)
        floor = Floor(page)
        measure("full request (WSGI), cached response", lambda _, url=url: common.wsgi_get(app, url))
        measure(
            "full request (WSGI), first after a publish",
            lambda _, page=page: common.wsgi_get(app, page.url),
            lambda page=page: forget_as_a_publish_does(page),
        )
        measure("  Site.find_for_request", lambda _, url=url: Site.find_for_request(factory.get(url)))
        measure(
            "  routing below the site (3 levels, .specific)",
            lambda request, components=components: request._wagtail_site.root_page.localized.specific.route(
                request, components
            ),
            sited,
        )
        measure("  view restrictions (on_serve_page hook)", lambda p: list(p.get_view_restrictions()), routed)
        measure("  guide_page_context (queries + presentation)", lambda p: guide_page_context(p, factory.get(p.url)), routed)
        measure("    serialize_guide (incl. queries)", serialize_guide, routed)
        measure("    build_guide_view", lambda _, record=record: build_guide_view(record))
        measure("      checklist_of (canonical + sha256)", lambda _, record=record: checklist_of(record))
        measure("    flow_svg", lambda _, record=record: flow_svg(record))
        measure("    hall_status", lambda _, record=record: hall_status(record))
        measure(
            "    government_service_jsonld",
            lambda _, record=record, view=view: government_service_jsonld(record, "http://localhost/", view.fingerprint),
        )
        measure("  template render (the floor)", lambda _, floor=floor: floor.render())
    return [(name, sum(values) / len(values)) for name, values in parts.items()]


def profile(app, sample, requests: int, top: int) -> str:
    profiler = cProfile.Profile()
    urls = [page.url for page, _shape in sample]
    profiler.enable()
    for n in range(requests):
        common.wsgi_get(app, urls[n % len(urls)])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"\n--- cProfile of {requests} requests, by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> int:
    print(f"Guide page benchmark: {args.guides:,} guides, {args.requests} timed requests, database in {workdir}")
    site = common.prepare_database(args.guides, imported=args.imported, workdir=workdir)
    t = site.timings
    if site.reused:
        print(f"setup: migrate {t['migrate']:.1f} s (database reused)")
    else:
        per_guide = t["generate"] / site.generated * 1000 if site.generated else 0
        print(
            f"setup: migrate {t['migrate']:.1f} s · site {t['site']:.1f} s · {site.imported} imported "
            f"{t['import']:.1f} s · {site.generated:,} generated {t['generate']:.1f} s "
            f"({per_guide:.2f} ms/guide) · verify {t['verify']:.1f} s"
        )
        print(f"time to have {site.guide_count:,} guides: {t['import'] + t['generate']:.1f} s")

    app = common.wsgi_application()
    sample, smallest, largest = choose_sample(site.index, args.sample)
    for page, _shape in sample:
        for _ in range(args.warmup):
            status, _body = common.wsgi_get(app, page.url)
            if status != 200:
                raise SystemExit(f"GET {page.url} answered {status}")

    from guides.serializers import bump_reference_version

    def after_publish_get(page):
        """A request as the first reader after a publish of ``page`` makes it."""
        forget_as_a_publish_does(page)
        return common.wsgi_get(app, page.url)

    def after_reference_change_get(page):
        """A request that finds neither the cached response nor any cached record or hall."""
        bump_reference_version()
        return common.wsgi_get(app, page.url)

    # Query counts of cold requests, one each.
    queries: dict[int, tuple[int, list[str]]] = {}
    reference_queries: dict[int, int] = {}
    for page, _shape in sample:
        queries[page.pk] = common.count_queries(lambda page=page: after_publish_get(page))
        reference_queries[page.pk] = common.count_queries(lambda page=page: after_reference_change_get(page))[0]

    floors = {page.pk: Floor(page) for page, _shape in sample}
    sizes = {page.pk: len(common.wsgi_get(app, page.url)[1]) for page, _shape in sample}
    for page, _shape in sample:
        floor_size = len(floors[page.pk].render().encode())
        if abs(floor_size - sizes[page.pk]) > 0.01 * sizes[page.pk]:
            print(f"warning: floor of {page.code} renders {floor_size} bytes, the page {sizes[page.pk]}")

    probe_before = common.speed_probe()
    common.settle()
    page_times: dict[int, list[float]] = {page.pk: [] for page, _shape in sample}
    cold_times: dict[int, list[float]] = {page.pk: [] for page, _shape in sample}
    reference_times: dict[int, list[float]] = {page.pk: [] for page, _shape in sample}
    floor_times: dict[int, list[float]] = {page.pk: [] for page, _shape in sample}
    for n in range(args.requests):
        page, _shape = sample[n % len(sample)]
        forget_as_a_publish_does(page)
        elapsed, status, _body = common.timed_wsgi_get(app, page.url)
        cold_times[page.pk].append(elapsed)
        bump_reference_version()
        elapsed, status, _body = common.timed_wsgi_get(app, page.url)
        reference_times[page.pk].append(elapsed)
        elapsed, status, _body = common.timed_wsgi_get(app, page.url)
        if status != 200:
            raise SystemExit(f"GET {page.url} answered {status}")
        page_times[page.pk].append(elapsed)
        floor_times[page.pk].append(floors[page.pk].timed())
    common.settle()
    probe_after = common.speed_probe()

    print()
    print(f"{'guide':<24} {'materials':>9} {'steps':>5} {'queries':>7} {'KiB':>5} {'page p50':>10} {'floor p50':>10} {'ratio':>6}")
    for page, (materials, steps) in sample:
        page_p50 = common.Summary.of(page_times[page.pk]).p50 if page_times[page.pk] else float("nan")
        floor_p50 = common.Summary.of(floor_times[page.pk]).p50 if floor_times[page.pk] else float("nan")
        print(
            f"{page.code:<24} {materials:>9} {steps:>5} {queries[page.pk][0]:>7} {sizes[page.pk] / 1024:>5.0f} "
            f"{common.ms(page_p50):>10} {common.ms(floor_p50):>10} {page_p50 / floor_p50:>5.2f}×"
        )

    page_all = common.Summary.of(t for times in page_times.values() for t in times)
    floor_all = common.Summary.of(t for times in floor_times.values() for t in times)
    print()
    print(f"{'':<30} {'p50':>10} {'p95':>10} {'mean':>10}")
    cold_all = common.Summary.of(t for times in cold_times.values() for t in times)
    reference_all = common.Summary.of(t for times in reference_times.values() for t in times)
    print(f"{'page, first after a publish':<30} {common.ms(cold_all.p50):>10} {common.ms(cold_all.p95):>10} {common.ms(cold_all.mean):>10}")
    print(f"{'page, first after ref. change':<30} {common.ms(reference_all.p50):>10} {common.ms(reference_all.p95):>10} {common.ms(reference_all.mean):>10}")
    print(f"{'floor (bare template render)':<30} {common.ms(floor_all.p50):>10} {common.ms(floor_all.p95):>10} {common.ms(floor_all.mean):>10}")
    ratio_p50 = page_all.p50 / floor_all.p50
    ratio_mean = page_all.mean / floor_all.mean
    verdict = "OK" if ratio_p50 <= TARGET_RATIO else "OVER"
    print(f"ratio page / floor: p50 {ratio_p50:.2f}×, p95 {page_all.p95 / floor_all.p95:.2f}×, mean {ratio_mean:.2f}×")
    print(f"target ≤ {TARGET_RATIO}× (p50): {verdict}")
    cold_ratio = cold_all.p50 / floor_all.p50
    most_queries = max(count for count, _sql in queries.values())
    print(
        f"first reader after a publish (response and record caches missed): p50 {cold_ratio:.2f}× "
        f"({'OK' if cold_ratio <= TARGET_PUBLISH_RATIO else 'OVER'} against ≤ {TARGET_PUBLISH_RATIO:g}×), "
        f"{most_queries} queries ({'OK' if most_queries <= TARGET_PUBLISH_QUERIES else 'OVER'} against ≤ {TARGET_PUBLISH_QUERIES})"
    )
    print(
        f"first reader after a change of reference data (every record and hall missed): "
        f"p50 {reference_all.p50 / floor_all.p50:.2f}×, {max(reference_queries.values())} queries"
    )
    print(f"speed probe: {common.ms(probe_before)} before, {common.ms(probe_after)} after the timed requests")

    counts = {pk: count for pk, (count, _sql) in queries.items()}
    shapes = {page.pk: shape for page, shape in sample}
    constant = counts[smallest.pk] == counts[largest.pk]
    small_shape, large_shape = shapes[smallest.pk], shapes[largest.pk]
    print(
        f"queries per request: {small_shape[0]} material(s)/{small_shape[1]} step(s) → {counts[smallest.pk]}, "
        f"{large_shape[0]} materials/{large_shape[1]} steps → {counts[largest.pk]}: "
        + ("OK (does not grow with materials or steps)" if constant else "FAIL (grows with materials or steps)")
    )
    if len(set(counts.values())) > 1:
        print(f"  over the sample: {min(counts.values())}–{max(counts.values())} queries (see the table)")
    if args.show_queries or not constant:
        for page in (smallest, largest):
            tables = ", ".join(f"{table} ×{n}" if n > 1 else table for table, n in by_table(queries[page.pk][1]).items())
            print(f"  {page.code}: {tables}")
    if args.show_queries:
        print(f"\nSQL of {largest.code}:")
        for number, sql in enumerate(queries[largest.pk][1], start=1):
            print(f"  {number:>2}. {sql[:160]}")

    if args.breakdown:
        rounds = max(5, args.requests // len(sample))
        print(f"\nbreakdown (median per request, mean over the {len(sample)} sampled guides, {rounds} rounds each):")
        for name, seconds in breakdown(app, sample, rounds):
            print(f"  {name:<48} {common.ms(seconds):>10}")
    if args.profile:
        print(profile(app, sample, args.requests, args.profile))
    return 0 if constant else 1


def main(argv: list[str] | None = None) -> int:
    return common.run_in_workdir(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
